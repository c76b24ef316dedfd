// Each model's training snapshot in the database's own storage: the prepared rows of its last
// read (an Arrow IPC file, see rows-arrow.js), so that the next training GETs only the records
// that changed since.
//
//   resource=R/plugin=ml/snapshots/M/manifest          { fingerprint, key, bytes, sha256, rows, splits, savedAt }
//   resource=R/plugin=ml/snapshots/M/<sha256>.arrow    the rows
//
// Written rows first, manifest second: a crash in between leaves the previous manifest pointing at
// the previous rows. A snapshot is trusted only when its bytes match the manifest's hash and its
// fingerprint matches the model's configuration now; anything else means a full read.
import { createHash } from 'node:crypto';
import { callNative, ModelStorageError } from './errors.js';
import { listPluginKeys } from './listed-answers.js';
import { deleteObject } from './object-delete.js';
import { nativeGet } from './record-objects.js';
import { announceStoreRequests } from './request-events.js';
import { readRows } from './rows-arrow.js';
import { readBinary, writeBinary } from './weights-store.js';

/** Bumped when what a snapshot holds, or how rows are prepared from records, changes. */
const PREPARATION_VERSION = 1;

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/**
 * What a snapshot's rows depend on, as one hash: the resource, the partition, the fields read and
 * the source text of `filter` and `map`. A function's source text is all that can be compared:
 * a closure whose captured values changed is not detected (train with `{ full: true }` then).
 */
export function snapshotFingerprint(config, fields) {
  const description = {
    preparation: PREPARATION_VERSION,
    resource: config.resource,
    partition: config.partition?.name ? { name: config.partition.name, values: sortedEntries(config.partition.values ?? {}) } : null,
    fields,
    filter: config.filter ? String(config.filter) : null,
    map: config.map ? String(config.map) : null,
  };
  return sha256(JSON.stringify(description));
}

function sortedEntries(object) {
  return Object.entries(object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export class SnapshotStore {
  /** @param {import('./plugin.js').MLPlugin} plugin */
  constructor(plugin) {
    this.plugin = plugin;
  }

  get _storage() {
    return this.plugin.getStorage();
  }

  _key(modelName, name) {
    const resource = this.plugin.config.models[modelName].resource;
    return this._storage.getPluginKey(resource, 'snapshots', modelName, name);
  }

  /**
   * The manifest of `modelName`'s snapshot if it can be trusted for `fingerprint`:
   * `{ manifest, reason: null }`, or `{ manifest: null, reason }` saying why not.
   */
  async loadManifest(modelName, fingerprint) {
    const resource = this.plugin.config.models[modelName].resource;
    // LIST first: on S3, s3db.js retries a GET of a missing key with back-off for seconds.
    const present = await listPluginKeys(this.plugin, `snapshots/${modelName}/`, { resource });
    if (!present.some((key) => key.endsWith(`/snapshots/${modelName}/manifest`))) return { manifest: null, reason: 'missing' };
    let manifest;
    try {
      manifest = await this._storage.get(this._key(modelName, 'manifest'));
    } catch (error) {
      return { manifest: null, reason: `unreadable manifest: ${error.message}` };
    }
    if (manifest?.preparation !== PREPARATION_VERSION) return { manifest: null, reason: 'older preparation' };
    if (manifest.fingerprint !== fingerprint) return { manifest: null, reason: 'configuration changed' };
    return { manifest, reason: null };
  }

  /**
   * The rows a trusted manifest points to: `{ rows, reason: null }` (StoredRows), or
   * `{ rows: null, reason }` when they are missing, damaged or unreadable. `store`: a NativeStore
   * that reads the bucket (the bytes then come from Rust, off Node's thread), or null.
   */
  async loadRows(manifest, yielder, store = null) {
    let bytes;
    try {
      bytes = store?.readsBucket ? await readNative(this.plugin.database.client, store, manifest.key) : await readBinary(this.plugin.database.client, manifest.key);
    } catch (error) {
      return { rows: null, reason: `unreadable rows: ${error.message}` };
    }
    if (bytes.length !== manifest.bytes || sha256(bytes) !== manifest.sha256) return { rows: null, reason: 'damaged' };
    try {
      return { rows: await readRows(bytes, yielder), reason: null };
    } catch (error) {
      return { rows: null, reason: `unreadable rows: ${error.message}` };
    }
  }

  /**
   * Stores `bytes` (the Arrow IPC rows) as the snapshot of `modelName`, replacing the previous one.
   * `splits`: record ids that cut the listing into ranges of about one LIST call each (see
   * record-reader.js), for the next read to list them all at once; `store`: a NativeStore that
   * writes to the bucket (the upload then runs in Rust, off Node's thread), or null.
   */
  async save(modelName, bytes, { fingerprint, rows, splits, previousKey, store = null }) {
    const hash = sha256(bytes);
    const key = this._key(modelName, `${hash}.arrow`);
    // The same rows as the snapshot read: nothing to write.
    if (key === previousKey) return key;
    const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (store?.readsBucket) {
      try {
        await callNative(() => store.putObject(key, body), ModelStorageError);
      } finally {
        announceStoreRequests(this.plugin.database.client, store);
      }
    } else {
      await writeBinary(this.plugin.database.client, key, body);
    }
    // The old rows go as the manifest stops naming them: a reader that loaded the old manifest
    // and then finds its rows gone falls back to a full read, whichever lands first.
    await Promise.all([
      this._storage.set(
        this._key(modelName, 'manifest'),
        { modelName, format: 'arrow-ipc', preparation: PREPARATION_VERSION, fingerprint, key, bytes: bytes.byteLength, sha256: hash, rows, splits, savedAt: new Date().toISOString() },
        { behavior: 'body-only' },
      ),
      previousKey ? deleteObject(this.plugin.database.client, previousKey).catch(() => {}) : null,
    ]);
    return key;
  }
}

/** The bytes under `key`, read by a NativeStore on the bucket (an error when there are none). */
async function readNative(client, store, key) {
  const fetched = await nativeGet(client, store, key);
  if (fetched === null) throw new ModelStorageError(`no object at ${key}`, { key, code: 'E_STORAGE_NOT_FOUND' });
  return fetched.object.body;
}

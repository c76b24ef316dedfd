// Reads a resource's records in time linear in their number on every s3db.js client: one key
// listing, which also gives each record's version marker (LIST returns ETag and LastModified
// without a GET), then GETs of only the records wanted, `readConcurrency` at a time.
//
// Why not s3db.js's own paging: `resource.page()` reads a page's records with the client's
// default parallelism (10 GETs in flight, a few hundred records/s on a remote S3), and on
// FileSystemClient its cursor skips and repeats records while `list({ offset })` walks the whole
// directory again for each page (quadratic). Here file:// is listed once.
import { readdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileObjectPath, isFileClient } from './file-objects.js';

export const DEFAULT_READ_CONCURRENCY = 50;
/** Upper bound of `readConcurrency`: more GETs in flight only queue behind the HTTP agent's sockets. */
export const MAX_READ_CONCURRENCY = 1024;

/**
 * Writes with an identical body within the store's timestamp granularity cannot be told apart by
 * a LIST (an empty-bodied s3db.js record always has the same ETag). A record last modified this
 * close to (or after) the moment its GET was sent is therefore marked for reading again next
 * time. S3 keeps LastModified to the second; the extra second allows for clock skew.
 */
const SETTLE_MS = { memory: 1, file: 50, s3: 2000 };

function clientKind(client) {
  if (isFileClient(client)) return 'file';
  if (client?.constructor?.name === 'MemoryClient') return 'memory';
  return 's3';
}

/**
 * How many keys one listObjects call asks for: S3 answers at most 1000; the memory client sorts
 * every key on each call, so fewer, larger calls; the file client walks the whole directory on each
 * call (and its continuation tokens skip keys), so one call.
 */
const LIST_PAGE = { s3: 1000, memory: 10_000, file: Number.MAX_SAFE_INTEGER };

/**
 * Every object under `prefix`: `[{ Key, ETag, LastModified, Size }]`. On S3, `splitAfter` (record
 * ids, sorted, or a promise of them) cuts the listing into ranges that are listed concurrently.
 */
async function listAll(client, prefix, yielder, splitAfter = null) {
  const kind = clientKind(client);
  if (kind === 'file') {
    const objects = await listFileDirectory(client, prefix);
    if (objects.length > 0) return objects;
  }
  if (kind === 's3' && splitAfter) {
    const bounds = await splitAfter;
    const objects = bounds?.length > 0 ? await listS3Ranges(client, prefix, bounds, yielder) : null;
    if (objects) return objects;
  }
  const maxKeys = LIST_PAGE[clientKind(client)];
  const objects = [];
  let continuationToken = null;
  do {
    const page = await client.listObjects({ prefix, maxKeys, continuationToken });
    for (const object of page.Contents ?? []) objects.push(object);
    continuationToken = page.IsTruncated ? page.NextContinuationToken : null;
    await yielder.maybeYield();
  } while (continuationToken);
  return objects;
}

/** LIST calls in flight at once when the listing is cut into ranges. */
const LIST_CONCURRENCY = 16;

/**
 * The objects under `prefix` on S3, listed as ranges of keys side by side: one LIST call answers
 * at most 1000 keys and the next call needs its continuation token, so a listing of N keys is
 * N/1000 round trips one after another; ranges bounded by known record ids (the snapshot's) are
 * independent, so they all run at once. Range i holds the keys after bound i-1 up to bound i
 * (ListObjectsV2's StartAfter is exclusive); the first and last are open, so every key falls in
 * exactly one range whatever the bounds. Null when this client's SDK is out of reach (the caller
 * then lists one page after another). `maxKeys`: keys per LIST call (S3's most by default).
 */
export async function listS3Ranges(client, prefix, ids, yielder, maxKeys = 1000) {
  const ListObjectsV2Command = s3ListCommand();
  if (!ListObjectsV2Command || typeof client.sendCommand !== 'function' || typeof client.config?.bucket !== 'string') return null;
  // The key prefix exactly as s3db.js's S3Client.listObjects builds it (path.join included).
  const keyPrefix = client.config.keyPrefix ? join(client.config.keyPrefix, prefix) : prefix;
  const bounds = ids.map((id) => `${keyPrefix}id=${id}`);
  const ranges = [null, ...bounds].map((after, i) => ({ after, upTo: bounds[i] ?? null }));
  const results = new Array(ranges.length);
  let next = 0;
  const worker = async () => {
    while (next < ranges.length) {
      const i = next++;
      const { after, upTo } = ranges[i];
      const objects = [];
      let token;
      for (;;) {
        const page = await client.sendCommand(
          new ListObjectsV2Command({ Bucket: client.config.bucket, Prefix: keyPrefix, MaxKeys: maxKeys, StartAfter: after ?? undefined, ContinuationToken: token }),
        );
        let passed = false;
        for (const object of page.Contents ?? []) {
          if (upTo !== null && object.Key > upTo) {
            passed = true;
            break;
          }
          objects.push(object);
        }
        await yielder.maybeYield();
        if (passed || !page.IsTruncated) break;
        token = page.NextContinuationToken;
      }
      results[i] = objects;
    }
  };
  await Promise.all(Array.from({ length: Math.min(LIST_CONCURRENCY, ranges.length) }, worker));
  return results.flat();
}

let listCommand;
/**
 * The AWS SDK's ListObjectsV2Command (s3db.js's own listObjects cannot pass StartAfter): from the
 * copy s3db.js resolves, else from here. Null when neither resolves.
 */
function s3ListCommand() {
  if (listCommand === undefined) {
    listCommand = null;
    // import.meta.resolve is missing where a bundler or test runner rewrites the module.
    for (const from of [() => import.meta.resolve('s3db.js'), () => import.meta.url]) {
      try {
        listCommand = createRequire(from())('@aws-sdk/client-s3').ListObjectsV2Command ?? null;
      } catch {
        continue;
      }
      if (listCommand) break;
    }
  }
  return listCommand;
}

/** Stats of the metadata files in flight at once when listing a file:// directory. */
const STAT_CONCURRENCY = 64;

/**
 * The objects directly under `prefix` on a FileSystemClient, from its on-disk layout (s3db.js
 * keeps each object at `{basePath}/{keyPrefix}/{key}` with its metadata in `{key}.meta.json`,
 * written by rename): one readdir and concurrent stats instead of the client's listObjects, which
 * reads and parses every metadata file one after another. The version is the metadata file's
 * inode, mtime and size: each write renames a new file into place. Empty when the directory does
 * not exist (the caller then asks the client, which also covers a changed layout).
 */
async function listFileDirectory(client, prefix) {
  const directory = prefix.endsWith('/') ? fileObjectPath(client, prefix) : null;
  if (!directory) return [];
  let names;
  try {
    names = await readdir(directory);
  } catch (error) {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return [];
    throw error;
  }
  const metaFiles = names.filter((name) => name.endsWith(META_SUFFIX));
  const objects = new Array(metaFiles.length).fill(null);
  let next = 0;
  const worker = async () => {
    while (next < metaFiles.length) {
      const i = next++;
      const info = await stat(join(directory, metaFiles[i])).catch(() => null); // deleted meanwhile
      if (!info) continue;
      objects[i] = {
        Key: prefix + metaFiles[i].slice(0, -META_SUFFIX.length),
        ETag: `"${info.ino}"`,
        LastModified: info.mtime,
        Size: info.size,
      };
    }
  };
  await Promise.all(Array.from({ length: Math.min(STAT_CONCURRENCY, metaFiles.length) }, worker));
  return objects.filter(Boolean);
}
const META_SUFFIX = '.meta.json';

/** The id in an s3db.js record key (`…/id=XYZ`), or null for keys of other shapes. */
function idOfKey(key) {
  const at = key.lastIndexOf('/id=');
  return at === -1 ? null : key.slice(at + 4);
}

/** Code-unit order: what S3 and the memory client list in, and the same on every client. */
function byId(a, b) {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The records of `resource` (or of `partition: { name, values }`) as
 * `[{ id, version, modifiedMs }]`, sorted by id. `version` is the record object's ETag,
 * LastModified and size, as one LIST reports them. `splitAfter`: record ids (or a promise of
 * them) to list the ranges between at once, e.g. from the previous listing (see splitPoints).
 */
export async function listRecordVersions(resource, { partition, yielder, splitAfter = null }) {
  const client = resource.client;
  // The key prefix s3db.js uses for the records themselves; the client adds its own keyPrefix.
  const objects = await listAll(client, `resource=${resource.name}/data/`, yielder, splitAfter);
  let members = null;
  if (partition?.name) {
    const definition = resource.config?.partitions?.[partition.name];
    // s3db.js answers an unknown partition with an empty list: say what is wrong instead.
    if (!definition) throw new Error(`partition "${partition.name}" is not defined on resource "${resource.name}"`);
    // A partition holds one small reference object per member; the record's own object carries its version.
    const prefix = `${resource.buildPartitionPrefix(partition.name, definition, partition.values ?? {})}/`;
    members = new Set((await listAll(client, prefix, yielder)).map((object) => idOfKey(object.Key)));
  }
  const entries = [];
  for (const object of objects) {
    const id = idOfKey(object.Key);
    if (id === null || (members && !members.has(id))) continue;
    const modifiedMs = new Date(object.LastModified).getTime();
    entries.push({ id, version: `${object.ETag}|${modifiedMs}|${object.Size}`, modifiedMs });
  }
  entries.sort(byId);
  return entries;
}

/**
 * Ids of `sortedIds` that cut it into ranges of RANGE_KEYS: below S3's 1000 keys a LIST call, so
 * that a range still takes one call after the resource has grown a little.
 */
export function splitPoints(sortedIds) {
  const points = [];
  for (let i = RANGE_KEYS; i < sortedIds.length; i += RANGE_KEYS) points.push(sortedIds[i]);
  return points;
}
const RANGE_KEYS = 900;

/**
 * GETs the records of `entries` (from listRecordVersions), `concurrency` in flight, giving the
 * event loop a turn between slices. Resolves to one item per entry, in order:
 * `{ record, settled }`, or null for a record deleted since the listing. `settled`: its version
 * can be trusted to reveal the next change (see SETTLE_MS).
 */
export async function fetchRecords(resource, entries, { concurrency, yielder, onFetched }) {
  const settleMs = SETTLE_MS[clientKind(resource.client)];
  const out = new Array(entries.length).fill(null);
  let next = 0;
  const worker = async () => {
    while (next < entries.length) {
      const i = next++;
      const sentAt = Date.now();
      const record = await resource.getOrNull(entries[i].id);
      if (record) out[i] = { record, settled: entries[i].modifiedMs < sentAt - settleMs };
      onFetched?.();
      await yielder.maybeYield();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, entries.length) }, worker));
  return out;
}

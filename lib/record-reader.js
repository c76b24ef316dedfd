// Reads a resource's records in time linear in their number on every s3db.js client: one key
// listing, which also gives each record's version marker (LIST returns ETag and LastModified
// without a GET), then GETs of only the records wanted, `readConcurrency` at a time.
//
// Why not s3db.js's own paging: `resource.page()` reads a page's records with the client's
// default parallelism (10 GETs in flight, a few hundred records/s on a remote S3), and on
// FileSystemClient its cursor skips and repeats records while `list({ offset })` walks the whole
// directory again for each page (quadratic). Here file:// is listed once.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FileSystemClient } from 's3db.js';

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
  if (client instanceof FileSystemClient || client?.constructor?.name === 'FileSystemClient') return 'file';
  if (client?.constructor?.name === 'MemoryClient') return 'memory';
  return 's3';
}

/**
 * How many keys one listObjects call asks for: S3 answers at most 1000; the memory client sorts
 * every key on each call, so fewer, larger calls; the file client walks the whole directory on each
 * call (and its continuation tokens skip keys), so one call.
 */
const LIST_PAGE = { s3: 1000, memory: 10_000, file: Number.MAX_SAFE_INTEGER };

/** Every object under `prefix`: `[{ Key, ETag, LastModified, Size }]`. */
async function listAll(client, prefix, yielder) {
  if (clientKind(client) === 'file') {
    const objects = await listFileDirectory(client, prefix);
    if (objects.length > 0) return objects;
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
  if (typeof client.basePath !== 'string' || !prefix.endsWith('/')) return [];
  const directory = join(client.basePath, typeof client.keyPrefix === 'string' ? client.keyPrefix : '', ...prefix.split('/'));
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
 * LastModified and size, as one LIST reports them.
 */
export async function listRecordVersions(resource, { partition, yielder }) {
  const client = resource.client;
  // The key prefix s3db.js uses for the records themselves; the client adds its own keyPrefix.
  const objects = await listAll(client, `resource=${resource.name}/data/`, yielder);
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

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
import { callNative, ModelStorageError } from './errors.js';
import { fileObjectPath, isFileClient } from './file-objects.js';
import { answeredList, listedPrefix } from './listed-answers.js';
import { announceListPage } from './request-events.js';

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
 * Calls `collect(key, etag, lastModifiedMs, size)` for every object under `prefix`, in no
 * particular order. On S3, `splitAfter` (record ids, sorted, or a promise of them) cuts the
 * listing into ranges that are listed concurrently, and `store` (a NativeStore that reads the
 * bucket, or null) lists them from Rust. `onListed` (same arguments) hears of each object as soon
 * as its page arrives, before the listing is complete.
 */
async function listAll(client, prefix, yielder, collect, { splitAfter = null, store = null, onListed = null } = {}) {
  const kind = clientKind(client);
  if (kind === 's3') {
    const bounds = (await splitAfter) ?? [];
    if ((bounds.length > 0 || store?.readsBucket) && (await listS3Ranges(client, prefix, bounds, yielder, collect, { store, onListed }))) return;
  }
  // Elsewhere each object is collected as it is listed.
  if (onListed) {
    const collectOnly = collect;
    collect = (key, etag, modifiedMs, size) => {
      onListed(key, etag, modifiedMs, size);
      collectOnly(key, etag, modifiedMs, size);
    };
  }
  if (kind === 'file' && (await listFileDirectory(client, prefix, collect))) return;
  const maxKeys = LIST_PAGE[clientKind(client)];
  const listPage = (continuationToken) => client.listObjects({ prefix, maxKeys, continuationToken });
  let continuationToken = null;
  do {
    // On S3 the answer is checked (see listed-answers.js).
    const page =
      kind === 's3'
        ? await answeredList(() => listPage(continuationToken), { Prefix: listedPrefix(client, prefix), ContinuationToken: continuationToken })
        : await listPage(continuationToken);
    for (const object of page.Contents ?? []) collect(object.Key, object.ETag, new Date(object.LastModified).getTime(), object.Size);
    continuationToken = page.IsTruncated ? page.NextContinuationToken : null;
    await yielder.maybeYield();
  } while (continuationToken);
}

/** LIST calls in flight at once when the listing is cut into ranges. */
const LIST_CONCURRENCY = 16;

/**
 * The objects under `prefix` on S3, listed as ranges of keys side by side: one LIST call answers
 * at most 1000 keys and the next call needs its continuation token, so a listing of N keys is
 * N/1000 round trips one after another; ranges bounded by known record ids (the snapshot's) are
 * independent, so they all run at once. Range i holds the keys after bound i-1 up to bound i
 * (ListObjectsV2's StartAfter is exclusive); the first and last are open, so every key falls in
 * exactly one range whatever the bounds (no bounds: one range, the whole listing). Each object
 * goes to `collect(key, etag, lastModifiedMs, size)` (ranges interleave). With `store` (a
 * NativeStore that reads the bucket) the pages come from Rust, whose XML parsing costs Node's
 * thread nothing; else from the AWS SDK s3db.js uses. False when neither is at hand (the caller
 * then lists one page after another). `maxKeys`: keys per LIST call (S3's most by default).
 */
export async function listS3Ranges(client, prefix, ids, yielder, collect, { maxKeys = 1000, store = null, onListed = null } = {}) {
  if (typeof client.config?.bucket !== 'string') return false;
  const keyPrefix = listedPrefix(client, prefix);
  const listPage = store?.readsBucket ? nativeListPage(client, store, keyPrefix, maxKeys) : sdkListPage(client, keyPrefix, maxKeys);
  if (!listPage) return false;
  const bounds = ids.map((id) => `${keyPrefix}id=${id}`);
  const ranges = [null, ...bounds].map((after, i) => ({ after, upTo: bounds[i] ?? null, pages: [] }));
  let next = 0;
  const worker = async () => {
    while (next < ranges.length) {
      const { after, upTo, pages } = ranges[next++];
      let token = null;
      for (;;) {
        const page = await listPage(after, token);
        // The keys of this range: up to its bound.
        let count = page.keys.length;
        if (upTo !== null) while (count > 0 && page.keys[count - 1] > upTo) count--;
        pages.push({ page, count });
        if (onListed) for (let i = 0; i < count; i++) onListed(page.keys[i], page.eTags[i], page.lastModified[i], page.sizes[i]);
        await yielder.maybeYield();
        if (count < page.keys.length || !page.nextToken) break;
        token = page.nextToken;
      }
    }
  };
  const concurrency = store?.readsBucket || !sharesConcurrentGets(client) ? LIST_CONCURRENCY : 1;
  await Promise.all(Array.from({ length: Math.min(concurrency, ranges.length) }, worker));
  // Collected range after range, page after page: in the order S3 lists keys.
  for (const { pages } of ranges) {
    for (const { page, count } of pages) {
      for (let i = 0; i < count; i++) collect(page.keys[i], page.eTags[i], page.lastModified[i], page.sizes[i]);
    }
  }
  return true;
}

/**
 * Whether `client`'s HTTP handler answers concurrent GETs of one path with one response whatever
 * their query strings: s3db.js's default handler (ReckerHttpHandler) deduplicates in-flight GETs
 * by path alone, so LIST calls of two ranges at once (same path, other StartAfter) both got the
 * first one's keys. Its LIST calls must then go one at a time.
 */
function sharesConcurrentGets(client) {
  const handler = client.httpHandler;
  return Boolean(handler && (handler.deduplicator || handler.constructor?.name === 'ReckerHttpHandler'));
}

/**
 * `(after, token) => page` listing through the native client: `{ keys, eTags, lastModified, sizes,
 * nextToken }`. Each LIST is announced on the s3db.js `client` (request-events.js).
 */
function nativeListPage(client, store, keyPrefix, maxKeys) {
  return async (after, token) => {
    const request = { prefix: keyPrefix, startAfter: after, continuationToken: token, maxKeys };
    let page = null;
    try {
      page = await callNative(() => store.listPage(keyPrefix, after ?? undefined, token ?? undefined, maxKeys), ModelStorageError);
      return page;
    } finally {
      announceListPage(client, request, page);
    }
  };
}

/** The same through the AWS SDK s3db.js uses (its own listObjects cannot pass StartAfter); null without it. */
function sdkListPage(client, keyPrefix, maxKeys) {
  const ListObjectsV2Command = s3ListCommand();
  if (!ListObjectsV2Command || typeof client.sendCommand !== 'function') return null;
  return async (after, token) => {
    const input = { Bucket: client.config.bucket, Prefix: keyPrefix, MaxKeys: maxKeys, StartAfter: after ?? undefined, ContinuationToken: token ?? undefined };
    // Another model's listing may be in flight at the same moment (see listed-answers.js).
    const page = await answeredList(() => client.sendCommand(new ListObjectsV2Command(input)), input);
    const contents = page.Contents ?? [];
    return {
      keys: contents.map((o) => o.Key),
      eTags: contents.map((o) => o.ETag),
      lastModified: contents.map((o) => new Date(o.LastModified).getTime()),
      sizes: contents.map((o) => o.Size),
      nextToken: page.IsTruncated ? page.NextContinuationToken : null,
    };
  };
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
 * inode, mtime and size: each write renames a new file into place. Each object goes to
 * `collect(key, etag, lastModifiedMs, size)`. False when the directory does not exist or is empty (the caller then asks
 * the client, which also covers a changed layout).
 */
async function listFileDirectory(client, prefix, collect) {
  const directory = prefix.endsWith('/') ? fileObjectPath(client, prefix) : null;
  if (!directory) return false;
  let names;
  try {
    names = await readdir(directory);
  } catch (error) {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return false;
    throw error;
  }
  const metaFiles = names.filter((name) => name.endsWith(META_SUFFIX));
  if (metaFiles.length === 0) return false;
  let next = 0;
  const worker = async () => {
    while (next < metaFiles.length) {
      const name = metaFiles[next++];
      const info = await stat(join(directory, name)).catch(() => null); // deleted meanwhile
      if (!info) continue;
      collect(prefix + name.slice(0, -META_SUFFIX.length), `"${info.ino}"`, info.mtime.getTime(), info.size);
    }
  };
  await Promise.all(Array.from({ length: Math.min(STAT_CONCURRENCY, metaFiles.length) }, worker));
  return true;
}
const META_SUFFIX = '.meta.json';

/** The id in an s3db.js record key (`…/id=XYZ`), or null for keys of other shapes. */
function idOfKey(key) {
  const at = key.lastIndexOf('/id=');
  return at === -1 ? null : key.slice(at + 4);
}

/**
 * The records of `resource` (or of `partition: { name, values }`), sorted by id: a RecordListing.
 * `splitAfter`: record ids (or a promise of them) to list the ranges between at once, e.g. from
 * the previous listing (see splitPoints); `store`: a NativeStore to list S3 with (see listAll).
 */
export async function listRecordVersions(resource, { partition, yielder, splitAfter = null, store = null, onListed = null }) {
  const client = resource.client;
  let members = null;
  if (partition?.name) {
    const definition = resource.config?.partitions?.[partition.name];
    // s3db.js answers an unknown partition with an empty list: say what is wrong instead.
    if (!definition) throw new Error(`partition "${partition.name}" is not defined on resource "${resource.name}"`);
    // A partition holds one small reference object per member; the record's own object carries its version.
    const prefix = `${resource.buildPartitionPrefix(partition.name, definition, partition.values ?? {})}/`;
    members = new Set();
    await listAll(client, prefix, yielder, (key) => members.add(idOfKey(key)), { store });
  }
  const listing = new RecordListing();
  const idOfRecordKey = (key) => {
    const id = idOfKey(key);
    return id !== null && !(members && !members.has(id)) ? id : null;
  };
  // The key prefix s3db.js uses for the records themselves; the client adds its own keyPrefix.
  await listAll(
    client,
    `resource=${resource.name}/data/`,
    yielder,
    (key, etag, modifiedMs, size) => {
      const id = idOfRecordKey(key);
      if (id !== null) listing.add(id, etag, modifiedMs, size);
    },
    {
      splitAfter,
      store,
      onListed: onListed
        ? (key, etag, modifiedMs, size) => {
            const id = idOfRecordKey(key);
            if (id !== null) onListed(id, versionOf(etag, modifiedMs, size));
          }
        : null,
    },
  );
  listing.sortById();
  return listing;
}

/**
 * Listed records as parallel arrays, no object per record: `ids[k]`, `modifiedMs[k]`, and
 * `versionAt(k)`, record k's object ETag, LastModified and size as one LIST reports them. ETags
 * are kept once each (every s3db.js record whose fields fit in its metadata has the empty body's).
 */
export class RecordListing {
  constructor() {
    this.ids = [];
    this.modifiedMs = [];
    this._sizes = [];
    this._etagCodes = [];
    this._etags = [];
    this._etagCode = new Map();
  }

  get length() {
    return this.ids.length;
  }

  add(id, etag, modifiedMs, size) {
    let code = this._etagCode.get(etag);
    if (code === undefined) {
      code = this._etags.length;
      this._etags.push(etag);
      this._etagCode.set(etag, code);
    }
    this.ids.push(detached(id));
    this.modifiedMs.push(modifiedMs);
    this._sizes.push(size);
    this._etagCodes.push(code);
  }

  /** Record k's version marker (what the snapshot stores and compares). */
  versionAt(k) {
    return versionOf(this._etags[this._etagCodes[k]], this.modifiedMs[k], this._sizes[k]);
  }

  /** Code-unit order of the ids: what S3 and the memory client list in, the same on every client. */
  sortById() {
    const ids = this.ids;
    // Listed in order already (S3's ranges are collected one after another): only the arrays' types change.
    let sorted = true;
    for (let k = 1; k < ids.length && sorted; k++) sorted = ids[k - 1] < ids[k];
    if (sorted) {
      this.modifiedMs = Float64Array.from(this.modifiedMs);
      this._etagCodes = Int32Array.from(this._etagCodes);
      return;
    }
    const order = Array.from(ids.keys()).sort((a, b) => (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0));
    this.ids = order.map((i) => ids[i]);
    this.modifiedMs = Float64Array.from(order, (i) => this.modifiedMs[i]);
    // A plain array: a client may list no size (kept as `undefined` in the version, as before).
    this._sizes = order.map((i) => this._sizes[i]);
    this._etagCodes = Int32Array.from(order, (i) => this._etagCodes[i]);
  }
}

/** A record's version marker from what a listing says of its object. */
export function versionOf(etag, modifiedMs, size) {
  return `${etag}|${modifiedMs}|${size}`;
}

/**
 * `text` as a string of its own. An id cut from its key by slice() is, in V8, a view that keeps the
 * whole key alive for as long as the listing holds the id, the whole read (about 60 bytes more a
 * record on S3); a JSON round trip copies it exactly, lone surrogates included, in under 1 µs.
 */
function detached(text) {
  return typeof text === 'string' ? JSON.parse(JSON.stringify(text)) : text;
}

/**
 * Ids of a sorted list (`length` ids, the i-th from `idAt(i)`) that cut it into ranges of
 * RANGE_KEYS: below S3's 1000 keys a LIST call, so that a range still takes one call after the
 * resource has grown a little.
 */
export function splitPoints(length, idAt) {
  const points = [];
  for (let i = RANGE_KEYS; i < length; i += RANGE_KEYS) points.push(idAt(i));
  return points;
}
const RANGE_KEYS = 900;

/**
 * GETs records `concurrency` at a time and hands them back in listing order, each as soon as it
 * and every one before it have arrived: `await next()` gives the next record (null for one deleted
 * since the listing), `settled` then says whether its version can be trusted to reveal the next
 * change (see SETTLE_MS). At most `window` records are fetched ahead of the one `next()` gives, so
 * memory holds a window of records however many are read, and each is converted while young
 * (V8 then frees it in a cheap scavenge instead of promoting it to the old heap).
 * `idAt(w)`/`modifiedMsAt(w)`: the w-th record to GET and its listed modification time;
 * `getRecord(id)`: how one record is read (default `resource.getOrNull`; see record-objects.js);
 * `prefetched(id)`: the GET already sent for a record (`Promise<{ record, sentAt }>`), or null.
 */
export class OrderedFetch {
  constructor(resource, { count, idAt, modifiedMsAt, concurrency, window, yielder, onFetched, getRecord = (id) => resource.getOrNull(id), prefetched = null }) {
    Object.assign(this, { count, idAt, modifiedMsAt, yielder, onFetched, getRecord, prefetched });
    this.window = Math.max(1, Math.min(window, count));
    this.settleMs = SETTLE_MS[clientKind(resource.client)];
    this.settled = false;
    /** Ring buffers of `window` slots: the fetched record, whether it arrived, whether it is settled. */
    this._records = new Array(this.window).fill(null);
    this._arrived = new Uint8Array(this.window);
    this._settled = new Uint8Array(this.window);
    this._next = 0;
    this._consumed = 0;
    this._error = null;
    this._closed = false;
    /** The consumer waiting for record `w`: `{ w, resolve, reject }`. */
    this._waiting = null;
    /** Workers waiting for the window to move. */
    this._roomWaiters = [];
    /** Most records ever held at once (fetched, not yet taken): what the window bounds. */
    this.maxHeld = 0;
    const workers = Math.min(concurrency, count);
    this.done = Promise.all(Array.from({ length: workers }, () => this._worker()));
  }

  async _worker() {
    while (!this._closed && this._next < this.count) {
      if (this._next >= this._consumed + this.window) {
        await new Promise((resolve) => this._roomWaiters.push(resolve));
        continue;
      }
      const w = this._next++;
      const id = this.idAt(w);
      // A GET sent before the listing was complete (Prefetch), else one sent now.
      const early = this.prefetched?.(id) ?? null;
      let sentAt = Date.now();
      let record;
      try {
        if (early) ({ record, sentAt } = await early);
        else record = await this.getRecord(id);
      } catch (error) {
        this._fail(error);
        return;
      }
      if (this._closed) return;
      const slot = w % this.window;
      this._records[slot] = record ?? null;
      this._arrived[slot] = 1;
      this._settled[slot] = this.modifiedMsAt(w) < sentAt - this.settleMs ? 1 : 0;
      this.maxHeld = Math.max(this.maxHeld, w + 1 - this._consumed);
      this.onFetched?.();
      if (this._waiting?.w === w) {
        const { resolve } = this._waiting;
        this._waiting = null;
        resolve();
      }
      await this.yielder.maybeYield();
    }
  }

  _fail(error) {
    if (this._error) return;
    this._error = error;
    this._closed = true;
    this._waiting?.reject(error);
    this._waiting = null;
    for (const wake of this._roomWaiters.splice(0)) wake();
  }

  /** The next record in listing order (null: deleted since the listing); `settled` is its flag. */
  async next() {
    if (this._error) throw this._error;
    const w = this._consumed;
    if (w >= this.count) throw new Error('OrderedFetch: every record was taken');
    const slot = w % this.window;
    if (!this._arrived[slot]) await new Promise((resolve, reject) => (this._waiting = { w, resolve, reject }));
    const record = this._records[slot];
    this.settled = this._settled[slot] === 1;
    this._records[slot] = null;
    this._arrived[slot] = 0;
    this._consumed++;
    for (const wake of this._roomWaiters.splice(0)) wake();
    return record;
  }

  /** Stops fetching (the consumer failed): workers end after the GETs in flight. */
  close() {
    this._closed = true;
    for (const wake of this._roomWaiters.splice(0)) wake();
    this.done.catch(() => {});
  }
}

/**
 * GETs of records sent while the listing is still arriving: once the snapshot is known, a listed
 * record whose version it does not hold is certain to be read, so its GET need not wait for the
 * rest of the listing. `concurrency` GETs at a time, at most `limit` in all (each is held until
 * OrderedFetch takes it, so memory stays bounded); `take(id)` hands one over, once.
 */
export class Prefetch {
  constructor({ getRecord, concurrency, limit }) {
    Object.assign(this, { getRecord, concurrency, limit });
    this._started = new Map();
    this._queue = [];
    this._running = 0;
    this._closed = false;
  }

  /** Starts reading record `id` (unless the limit is reached or it is already started). */
  start(id) {
    if (this._closed || this._started.size >= this.limit || this._started.has(id)) return;
    let settle;
    const fetched = new Promise((resolve, reject) => (settle = { resolve, reject }));
    // Its failure surfaces when OrderedFetch takes it; a record never taken fails silently.
    fetched.catch(() => {});
    this._started.set(id, fetched);
    this._queue.push({ id, settle });
    this._pump();
  }

  _pump() {
    while (this._running < this.concurrency && this._queue.length > 0) {
      const { id, settle } = this._queue.shift();
      this._running++;
      const sentAt = Date.now();
      Promise.resolve()
        .then(() => (this._closed ? null : this.getRecord(id)))
        .then(
          (record) => settle.resolve({ record, sentAt }),
          (error) => settle.reject(error),
        )
        .finally(() => {
          this._running--;
          this._pump();
        });
    }
  }

  /** The GET started for `id` (`Promise<{ record, sentAt }>`), or null; each is handed over once. */
  take(id) {
    const fetched = this._started.get(id);
    if (!fetched) return null;
    this._started.set(id, null);
    return fetched;
  }

  /** Sends no more GETs (those queued resolve with no record). */
  close() {
    this._closed = true;
  }
}

// Reads a model's training rows from s3db.js: every record of the resource (or of one partition),
// through the model's `filter` and `map`, each converted to typed arrays as soon as it and those
// before it have arrived, so that memory holds a window of records, not the whole resource.
//
// With a training snapshot (training-snapshot.js), only records whose version changed since the
// last read are fetched: one LIST gives every record's version, the snapshot gives the prepared
// rows of the unchanged ones, deleted records simply no longer appear. Each listed record is
// tested against the snapshot as its page arrives, so the GETs of the changed ones run beside the
// rest of the listing. Either way rows reach the TrainingSet in id order with the same values
// (the snapshot's copied column by column, the fetched ones as plain objects), so an incremental
// read trains exactly the model a full read trains.
import { ModelConfigError, TrainingAbortedError, TrainingError } from './errors.js';
import { LoopYielder } from './event-loop.js';
import { assertFeaturesExist, assertTargetExists } from './feature-names.js';
import { recordGetter } from './record-objects.js';
import { DEFAULT_READ_CONCURRENCY, listRecordVersions, OrderedFetch, Prefetch, splitPoints } from './record-reader.js';
import { RESERVED_COLUMNS, RowsBuilder } from './rows-arrow.js';
import { snapshotFingerprint } from './training-snapshot.js';

/**
 * Records fetched ahead of the one being converted, at most: memory holds this many records
 * whatever the resource's size (see OrderedFetch).
 */
const READ_AHEAD = 1000;
/** Prepared rows handed to the TrainingSet at once. */
const BATCH_ROWS = 256;
/** Snapshot rows copied at once (one slice of event-loop time). */
const MAX_RUN = 16_384;
/** What `prepare` returns for a record the model's `filter` drops. */
const FILTERED_OUT = Symbol('filtered out');

/**
 * The training set of `modelName`: `{ samples, features, targets, labels }` (see TrainingSet), plus
 * `rows` (a promise of the prepared rows as an Arrow IPC file), `snapshotSaved` (a promise that
 * settles once the snapshot is stored; await it before reporting the training done) and `read`
 * (`{ mode: 'full'|'incremental', reason, listed, fetched, reused, deleted, recordsAhead, durationMs }`;
 * `recordsAhead`: the most records fetched and not yet converted at once, at most READ_AHEAD).
 * Failing reads become a TrainingError; a throwing `filter`/`map` a TrainingError naming the record;
 * a `partition` the resource does not define a ModelConfigError.
 * @param {{ resource: object, config: object, model: import('./models/base-model.js').BaseModel,
 *   modelName: string, signal?: AbortSignal, snapshots?: import('./training-snapshot.js').SnapshotStore,
 *   full?: boolean, readConcurrency?: number, objectStore?: object | null,
 *   onProgress?: (progress: object) => void,
 *   onSnapshotError?: (error: Error) => void }} options
 */
export async function readTrainingSet({
  resource,
  config,
  model,
  modelName,
  signal,
  snapshots = null,
  full = false,
  readConcurrency = DEFAULT_READ_CONCURRENCY,
  objectStore = null,
  onProgress,
  onSnapshotError,
}) {
  const started = Date.now();
  checkPartition(resource, config, modelName);
  const yielder = new LoopYielder();
  const fields = model.trainingFields;
  // A field named like a bookkeeping column cannot be kept in a snapshot: read in full.
  const useSnapshot = snapshots !== null && !fields.some((field) => RESERVED_COLUMNS.includes(field));
  const fingerprint = useSnapshot ? snapshotFingerprint(config, fields) : null;
  throwIfAborted(signal, modelName);
  // The manifest first (two small round trips): its split points let the LIST of the records run
  // as concurrent ranges, while the snapshot's rows are fetched and decoded beside it.
  const manifest = !useSnapshot || full
    ? Promise.resolve({ manifest: null, reason: full ? 'full read requested' : 'no snapshot for this model' })
    : snapshots.loadManifest(modelName, fingerprint).catch((error) => ({ manifest: null, reason: `unreadable: ${error.message}` }));
  const snapshot = manifest.then(async ({ manifest: trusted, reason }) => {
    if (!trusted) return { snapshot: null, reason };
    const loaded = await snapshots.loadRows(trusted, yielder, objectStore).catch((error) => ({ rows: null, reason: `unreadable: ${error.message}` }));
    return loaded.rows ? { snapshot: { manifest: trusted, rows: loaded.rows }, reason: null } : { snapshot: null, reason: loaded.reason };
  });
  const { get: getRecord } = recordGetter(resource, objectStore);
  // With a snapshot, the records it lacks (or holds another version of) are read while the
  // listing is still arriving.
  const prefetch = new Prefetch({ getRecord, concurrency: readConcurrency, limit: READ_AHEAD });
  const diff = useSnapshot && !full ? new ListedAgainstSnapshot(snapshot, prefetch) : null;
  let listing;
  let previous;
  try {
    [listing, previous] = await Promise.all([
      guardFetch(
        () =>
          listRecordVersions(resource, {
            partition: config.partition,
            yielder,
            splitAfter: manifest.then((m) => m.manifest?.splits ?? null),
            store: objectStore,
            onListed: diff?.onListed,
          }),
        modelName,
        config,
      ),
      snapshot,
    ]);
  } catch (error) {
    prefetch.close();
    throw error;
  }
  const reuse = reusablePlan(listing, previous.snapshot?.rows, diff);
  const total = reuse.toRead;
  let fetched = 0;
  const report = () => onProgress?.({ phase: 'read', modelName, read: fetched, total, elapsedMs: Date.now() - started });
  report();

  const set = model.createTrainingSet();
  const builder = new RowsBuilder(fields);
  // The records to GET, in listing order, streamed: each is converted as soon as it and those
  // before it have arrived, so records die young and at most READ_AHEAD are held.
  const wanted = new Int32Array(total);
  for (let k = 0, w = 0; k < listing.length; k++) if (reuse.index[k] < 0) wanted[w++] = k;
  const stream = new OrderedFetch(resource, {
    count: total,
    idAt: (w) => listing.ids[wanted[w]],
    modifiedMsAt: (w) => listing.modifiedMs[wanted[w]],
    concurrency: readConcurrency,
    window: READ_AHEAD,
    yielder,
    getRecord,
    prefetched: (id) => prefetch.take(id),
    onFetched: () => fetched++,
  });
  const stored = previous.snapshot?.rows ?? null;
  builder.reserve(listing.length, stored);
  let rows = [];
  try {
    for (let k = 0; k < listing.length; ) {
      const from = reuse.index[k];
      if (from >= 0) {
        // A run of unchanged records, consecutive in the snapshot too: copied column by column
        // into the training set and the new snapshot (the rows of the records before it first).
        let end = k + 1;
        while (end < listing.length && end - k < MAX_RUN && reuse.index[end] === from + (end - k)) end++;
        set.add(rows);
        rows = [];
        addStored(set, stored, from, from + (end - k));
        builder.addStored(stored, from, from + (end - k));
        k = end;
      } else {
        const [id, version] = [listing.ids[k], listing.versionAt(k)];
        const record = await guardFetch(() => stream.next(), modelName, config);
        if (record) {
          const prepared = prepare(record, config, modelName);
          if (prepared === FILTERED_OUT) {
            builder.add(id, stream.settled ? version : null, null);
          } else {
            // Not an object: TrainingSet rejects it below with the usual message.
            const row = isRecord(prepared) ? pick(prepared, fields) : prepared;
            if (row !== prepared) builder.add(id, stream.settled ? version : null, row);
            rows.push(row);
          }
        }
        k++;
        // Progress every READ_AHEAD records listed.
        if (k % READ_AHEAD === 0) report();
        if (rows.length < BATCH_ROWS) continue;
        set.add(rows);
        rows = [];
      }
      throwIfAborted(signal, modelName);
      await yielder.maybeYield();
    }
    set.add(rows);
    rows = [];
    await stream.done;
  } finally {
    stream.close();
    prefetch.close();
  }
  report();
  // The new snapshot first: its upload (and the old rows' removal) then runs while the training
  // set is finished and the model trains. `rows` and `snapshotSaved` settle meanwhile;
  // `snapshotSaved` never rejects (a failed write is reported and the next training reads in full).
  const bytes = builder.encode({ resource: config.resource, modelName }, yielder);
  bytes.catch(() => {});
  const snapshotSaved = useSnapshot
    ? bytes
        .then((encoded) =>
          snapshots.save(modelName, encoded, {
            fingerprint,
            rows: builder.length,
            splits: splitPoints(builder.length, (i) => builder.idAt(i)),
            previousKey: previous.snapshot?.manifest.key,
            store: objectStore,
          }),
        )
        .then(
          () => undefined,
          (error) => onSnapshotError?.(error),
        )
    : Promise.resolve();
  let data;
  try {
    await bytes.catch(() => {});
    data = set.finish();
    assertTargetExists(config.target, { records: data.samples + data.missingTargets, withTarget: data.samples, resource, config, modelName });
    assertFeaturesExist(data.preparation, data.samples, { resource, config, modelName });
  } catch (error) {
    // No write outlives a training that failed.
    await snapshotSaved;
    throw error;
  }
  return {
    ...data,
    rows: bytes,
    snapshotSaved,
    read: {
      mode: previous.snapshot ? 'incremental' : 'full',
      reason: previous.reason,
      listed: listing.length,
      fetched,
      reused: listing.length - total,
      deleted: reuse.deleted,
      recordsAhead: stream.maxHeld,
      durationMs: Date.now() - started,
    },
  };
}

/**
 * For each listed entry, the snapshot row to reuse (its version unchanged and settled), or -1 to
 * GET it; `toRead` counts the -1s, `deleted` the snapshot's records no longer listed. From what
 * `tested` (the ListedAgainstSnapshot that saw the listing arrive) noted of each record.
 */
function reusablePlan(listing, rows, tested) {
  const index = new Int32Array(listing.length).fill(-1);
  if (!rows) return { index, toRead: listing.length, deleted: 0 };
  if (!tested?.testing) throw new Error('the listing was not tested against the snapshot');
  let toRead = 0;
  for (let k = 0; k < listing.length; k++) {
    const i = tested.reusable.get(listing.ids[k]);
    if (i === undefined) toRead++;
    else index[k] = i;
  }
  return { index, toRead, deleted: rows.ids.length - tested.found };
}

/**
 * `(id) => index of id in ids, or -1`, asked in any order: when they are sorted, the row after
 * the previous answer first (a listing page's ids mostly follow each other in the snapshot too),
 * else a binary search; a Map when they are not sorted.
 */
function idLookup(ids) {
  if (!isSorted(ids)) return mapLookup(ids);
  let next = 0;
  return (id) => {
    if (next < ids.length && ids[next] === id) return next++;
    let low = 0;
    let high = ids.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (ids[middle] < id) low = middle + 1;
      else high = middle;
    }
    const found = low < ids.length && ids[low] === id;
    // Not found: the next id listed probably sits where this one would.
    next = found ? low + 1 : low;
    return found ? low : -1;
  };
}

function isSorted(ids) {
  for (let i = 1; i < ids.length; i++) if (!(ids[i - 1] < ids[i])) return false;
  return true;
}

function mapLookup(ids) {
  const byId = new Map(ids.map((id, at) => [id, at]));
  return (id) => byId.get(id) ?? -1;
}

/**
 * Each listed record tested against the snapshot (a promise of `{ snapshot }`) as the listing
 * arrives (`onListed(id, version)`): a record the snapshot will not supply (not in it, or in it
 * with another version or none, the test of reusablePlan) has its GET started at once; one it
 * will supply has its row noted, so that the plan needs no second pass over the snapshot.
 * Records listed before the snapshot is decoded are tested then; without a snapshot nothing is
 * started (a full read streams its GETs itself).
 */
class ListedAgainstSnapshot {
  constructor(snapshot, prefetch) {
    /** Listed id → its row in the snapshot, for the rows it supplies. */
    this.reusable = new Map();
    /** Listed records the snapshot holds, reusable or not. */
    this.found = 0;
    /** Whether every record listed so far was tested (the snapshot is decoded). */
    this.testing = false;
    let early = [];
    this._test = (id, version) => early.push(id, version);
    snapshot.then(
      ({ snapshot: loaded }) => {
        const listed = early;
        early = null;
        if (!loaded) {
          this._test = null;
          return;
        }
        const { ids, versions } = loaded.rows;
        const indexOf = idLookup(ids);
        this._test = (id, version) => {
          const i = indexOf(id);
          if (i !== -1) this.found++;
          if (i !== -1 && versions[i] !== null && versions[i] === version) this.reusable.set(id, i);
          else prefetch.start(id);
        };
        for (let e = 0; e < listed.length; e += 2) this._test(listed[e], listed[e + 1]);
        this.testing = true;
      },
      () => {
        this._test = null;
      },
    );
    this.onListed = (id, version) => this._test?.(id, version);
  }
}

/** Snapshot rows `[from, to)` into the training set: column by column where it can, else as objects. */
function addStored(set, stored, from, to) {
  if (typeof set.addStored === 'function') return set.addStored(stored, from, to);
  const rows = [];
  for (let i = from; i < to; i++) if (stored.included[i]) rows.push(stored.rowAt(i));
  set.add(rows);
}

/** The training fields of a prepared record, as a plain object. */
function pick(record, fields) {
  const row = {};
  for (const field of fields) {
    const value = record[field];
    if (value !== undefined) row[field] = value;
  }
  return row;
}

function isRecord(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The model's `partition` must be one its resource defines: it is the model's configuration that
 * is wrong, not the read (s3db.js itself lists an unknown partition as empty). Checked when
 * training reads, since the resource may be created after the plugin.
 */
function checkPartition(resource, config, modelName) {
  const name = config.partition?.name;
  if (name === undefined) return;
  const defined = Object.keys(resource.config?.partitions ?? {});
  if (defined.includes(name)) return;
  const known = defined.length > 0 ? `its partitions: ${defined.map((p) => `"${p}"`).join(', ')}` : 'it defines no partitions';
  throw new ModelConfigError(`Model "${modelName}": partition "${name}" is not defined on resource "${config.resource}" (${known})`, {
    modelName,
    resource: config.resource,
    partition: name,
    partitions: defined,
  });
}

async function guardFetch(read, modelName, config) {
  try {
    return await read();
  } catch (error) {
    throw new TrainingError(`Failed to fetch training data for "${modelName}": ${error.message}`, {
      modelName,
      resource: config.resource,
      partition: config.partition?.name,
      originalError: error.message,
    });
  }
}

function throwIfAborted(signal, modelName) {
  if (signal?.aborted) {
    throw new TrainingAbortedError(`Training of "${modelName}" was aborted while reading its data`, { modelName });
  }
}

/** One record through the model's `filter` (FILTERED_OUT when it drops the record), then its `map`. */
function prepare(record, config, modelName) {
  if (config.filter && !callUser(config.filter, record, modelName, 'filter')) return FILTERED_OUT;
  return config.map ? callUser(config.map, record, modelName, 'map') : record;
}

/** Runs a user's filter/map; its exception becomes a TrainingError naming the record. */
function callUser(fn, record, modelName, kind) {
  try {
    return fn(record);
  } catch (error) {
    throw new TrainingError(`The \`${kind}\` function of model "${modelName}" threw on record ${record?.id ?? '(no id)'}: ${error?.message ?? error}`, {
      modelName,
      recordId: record?.id,
      originalError: String(error?.message ?? error),
    });
  }
}

// Reads a model's training rows from s3db.js: every record of the resource (or of one partition),
// through the model's `filter` and `map`, converted to typed arrays page by page so that memory
// holds one page of records at a time, not the whole resource.
//
// With a training snapshot (training-snapshot.js), only records whose version changed since the
// last read are fetched: one LIST gives every record's version, the snapshot gives the prepared
// rows of the unchanged ones, deleted records simply no longer appear. Either way rows reach the
// TrainingSet in id order, as the same plain objects, so an incremental read trains exactly the
// model a full read trains.
import { TrainingAbortedError, TrainingError } from './errors.js';
import { LoopYielder } from './event-loop.js';
import { DEFAULT_READ_CONCURRENCY, fetchRecords, listRecordVersions, splitPoints } from './record-reader.js';
import { RESERVED_COLUMNS, RowsBuilder } from './rows-arrow.js';
import { snapshotFingerprint } from './training-snapshot.js';

/** Records converted per step; the next page's GETs are in flight while one is converted. */
const PAGE_SIZE = 1000;
/** What `prepare` returns for a record the model's `filter` drops. */
const FILTERED_OUT = Symbol('filtered out');

/**
 * The training set of `modelName`: `{ samples, features, targets, labels }` (see TrainingSet), plus
 * `rows` (a promise of the prepared rows as an Arrow IPC file), `snapshotSaved` (a promise that
 * settles once the snapshot is stored; await it before reporting the training done) and `read`
 * (`{ mode: 'full'|'incremental', reason, listed, fetched, reused, deleted }`).
 * Failing reads become a TrainingError; a throwing `filter`/`map` a TrainingError naming the record.
 * @param {{ resource: object, config: object, model: import('./models/base-model.js').BaseModel,
 *   modelName: string, signal?: AbortSignal, snapshots?: import('./training-snapshot.js').SnapshotStore,
 *   full?: boolean, readConcurrency?: number, onProgress?: (progress: object) => void,
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
  onProgress,
  onSnapshotError,
}) {
  const started = Date.now();
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
  const [entries, previous] = await Promise.all([
    guardFetch(
      () => listRecordVersions(resource, { partition: config.partition, yielder, splitAfter: manifest.then((m) => m.manifest?.splits ?? null) }),
      modelName,
      config,
    ),
    manifest.then(async ({ manifest: trusted, reason }) => {
      if (!trusted) return { snapshot: null, reason };
      const loaded = await snapshots.loadRows(trusted, yielder).catch((error) => ({ rows: null, reason: `unreadable: ${error.message}` }));
      return loaded.rows ? { snapshot: { manifest: trusted, rows: loaded.rows }, reason: null } : { snapshot: null, reason: loaded.reason };
    }),
  ]);
  const reuse = reusablePlan(entries, previous.snapshot?.rows);
  const total = reuse.toRead;
  let fetched = 0;
  const report = () => onProgress?.({ phase: 'read', modelName, read: fetched, total, elapsedMs: Date.now() - started });
  report();

  const set = model.createTrainingSet();
  const builder = new RowsBuilder(fields);
  // A page is a run of listed entries holding at most PAGE_SIZE records to GET: memory holds one
  // page of records, and the few GETs of an incremental read go out together, not page by page.
  const pages = pageBounds(reuse.index);
  const fetchPage = ([start, end]) => {
    const wanted = [];
    for (let k = start; k < end; k++) if (reuse.index[k] < 0) wanted.push(entries[k]);
    return guardFetch(
      () => fetchRecords(resource, wanted, { concurrency: readConcurrency, yielder, onFetched: () => fetched++ }),
      modelName,
      config,
    );
  };
  let pending = pages.length > 0 ? fetchPage(pages[0]) : null;
  for (let p = 0; p < pages.length; p++) {
    throwIfAborted(signal, modelName);
    const [start, end] = pages[p];
    const results = await pending;
    pending = p + 1 < pages.length ? fetchPage(pages[p + 1]) : null;
    // If this page fails to convert, the prefetched one is abandoned: no unhandled rejection.
    pending?.catch(() => {});
    let rows = [];
    let j = 0;
    for (let k = start; k < end; k++) {
      const entry = entries[k];
      const cached = reuse.index[k];
      if (cached >= 0) {
        const row = previous.snapshot.rows.included[cached] ? cachedRow(previous.snapshot.rows, cached) : null;
        builder.add(entry.id, entry.version, row);
        if (row) rows.push(row);
      } else {
        const got = results[j++];
        if (!got) continue; // deleted since the listing
        const prepared = prepare(got.record, config, modelName);
        if (prepared === FILTERED_OUT) {
          builder.add(entry.id, got.settled ? entry.version : null, null);
          continue;
        }
        // Not an object: TrainingSet rejects it below with the usual message.
        const row = isRecord(prepared) ? pick(prepared, fields) : prepared;
        if (row !== prepared) builder.add(entry.id, got.settled ? entry.version : null, row);
        rows.push(row);
      }
      // Snapshot rows cost no GET: a page may hold many, converted a slice at a time.
      if (rows.length >= PAGE_SIZE) {
        set.add(rows);
        rows = [];
        await yielder.maybeYield();
      }
    }
    set.add(rows);
    report();
    await yielder.maybeYield();
  }
  const data = set.finish();
  // Encoding and storing the snapshot need not hold up the fit: `rows` and `snapshotSaved` settle
  // while the model trains. `snapshotSaved` never rejects (a failed write is reported and the
  // next training reads in full).
  const bytes = builder.encode({ resource: config.resource, modelName }, yielder);
  bytes.catch(() => {});
  const snapshotSaved = useSnapshot
    ? bytes
        .then((encoded) =>
          snapshots.save(modelName, encoded, {
            fingerprint,
            rows: builder.length,
            splits: splitPoints(builder.ids),
            previousKey: previous.snapshot?.manifest.key,
          }),
        )
        .then(
          () => undefined,
          (error) => onSnapshotError?.(error),
        )
    : Promise.resolve();
  return {
    ...data,
    rows: bytes,
    snapshotSaved,
    read: {
      mode: previous.snapshot ? 'incremental' : 'full',
      reason: previous.reason,
      listed: entries.length,
      fetched,
      reused: entries.length - total,
      deleted: reuse.deleted,
      durationMs: Date.now() - started,
    },
  };
}

/** `[start, end)` runs of the listing, each with at most PAGE_SIZE entries to GET (`index[k] < 0`). */
function pageBounds(index) {
  const pages = [];
  let start = 0;
  let toGet = 0;
  for (let k = 0; k < index.length; k++) {
    if (index[k] >= 0) continue;
    if (toGet === PAGE_SIZE) {
      pages.push([start, k]);
      start = k;
      toGet = 0;
    }
    toGet++;
  }
  if (index.length > start) pages.push([start, index.length]);
  return pages;
}

/**
 * For each listed entry, the snapshot row to reuse (its version unchanged and settled), or -1 to
 * GET it; `toRead` counts the -1s, `deleted` the snapshot's records no longer listed.
 */
function reusablePlan(entries, rows) {
  const index = new Int32Array(entries.length).fill(-1);
  if (!rows) return { index, toRead: entries.length, deleted: 0 };
  const byId = new Map();
  for (let i = 0; i < rows.ids.length; i++) byId.set(rows.ids[i], i);
  let toRead = 0;
  let stillListed = 0;
  for (let k = 0; k < entries.length; k++) {
    const i = byId.get(entries[k].id);
    if (i !== undefined) stillListed++;
    if (i !== undefined && rows.versions[i] !== null && rows.versions[i] === entries[k].version) index[k] = i;
    else toRead++;
  }
  return { index, toRead, deleted: rows.ids.length - stillListed };
}

/** Snapshot row `i` as the plain object a fresh read gives (absent fields stay absent). */
function cachedRow(rows, i) {
  const row = {};
  for (let c = 0; c < rows.fields.length; c++) {
    const value = rows.columns[c][i];
    if (value !== undefined) row[rows.fields[c]] = value;
  }
  return row;
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

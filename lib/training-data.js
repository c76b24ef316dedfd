// Reads a model's training rows from s3db.js: every record of the resource (or of one partition),
// page by page. Each page goes through the model's `filter` and `map` and is converted to typed
// arrays at once, so memory holds one page of records at a time, not the whole resource.
import { FileSystemClient } from 's3db.js';
import { TrainingAbortedError, TrainingError } from './errors.js';

const PAGE_SIZE = 1000;

/**
 * Pages of records of `resource`, or of `partition: { name, values }` only.
 *
 * `resource.page()` follows the storage's continuation token: one LIST request per page on S3,
 * where `list({ offset })` would list every key before the offset again for each page. s3db.js
 * 21.6.2's FileSystemClient sorts keys with `localeCompare` but resumes a cursor by `>` (code-unit
 * order), so its cursor pages skip and repeat records; there offset pages are correct, and cost no
 * more (each of its listings walks the whole directory anyway).
 */
export async function* recordPages(resource, { partition, pageSize = PAGE_SIZE } = {}) {
  const scope = partitionScope(resource, partition);
  if (resource.client instanceof FileSystemClient) {
    for (let offset = 0; ; offset += pageSize) {
      const items = await resource.list({ ...scope, limit: pageSize, offset });
      yield items;
      if (items.length < pageSize) return;
    }
  }
  let cursor = null;
  do {
    const page = await resource.page({ ...scope, size: pageSize, ...(cursor ? { cursor } : {}) });
    yield page.items;
    cursor = page.nextCursor;
  } while (cursor);
}

/** `{ partition, partitionValues }` for s3db.js, or `{}` for the whole resource. */
function partitionScope(resource, partition) {
  if (!partition?.name) return {};
  // s3db.js answers an unknown partition with an empty list: say what is wrong instead.
  if (!resource.config?.partitions?.[partition.name]) {
    throw new Error(`partition "${partition.name}" is not defined on resource "${resource.name}"`);
  }
  return { partition: partition.name, partitionValues: partition.values ?? {} };
}

/**
 * The training set of `modelName`: `{ samples, features, targets, labels }` (see TrainingSet).
 * Failing reads become a TrainingError; a throwing `filter`/`map` a TrainingError naming the record.
 * @param {{ resource: object, config: object, model: import('./models/base-model.js').BaseModel,
 *   modelName: string, signal?: AbortSignal }} options
 */
export async function readTrainingSet({ resource, config, model, modelName, signal }) {
  const set = model.createTrainingSet();
  const pages = recordPages(resource, { partition: config.partition });
  for (;;) {
    throwIfAborted(signal, modelName);
    const next = await nextPage(pages, modelName, config);
    if (next.done) break;
    set.add(prepare(next.value, config, modelName));
  }
  return set.finish();
}

async function nextPage(pages, modelName, config) {
  try {
    return await pages.next();
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

/** One page through the model's `filter`, then its `map`. */
function prepare(records, config, modelName) {
  let rows = records;
  if (config.filter) rows = rows.filter((record) => callUser(config.filter, record, modelName, 'filter'));
  if (config.map) rows = rows.map((record) => callUser(config.map, record, modelName, 'map'));
  return rows;
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

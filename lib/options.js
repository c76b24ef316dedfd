// Checks of the plugin's options and of each model definition's plugin-level keys, done when the
// plugin is constructed: a bad value is a ModelConfigError then, never a silent misbehaviour later
// (an NaN lock TTL that makes every training "locked", a negative refresh interval, a part size S3
// refuses on the first save).
import { ModelConfigError, display } from './errors.js';
import { MAX_READ_CONCURRENCY } from './record-reader.js';

export const BACKENDS = ['auto', 'wgpu', 'cpu'];

/** When a newly trained version starts serving: always, or only if it beats the active one. */
export const DEPLOY_POLICIES = ['always', 'if-better'];

/** setInterval's longest delay: a longer one fires at once (Node clamps it to 1 ms). */
export const MAX_INTERVAL_MS = 2 ** 31 - 1;

/** The longest training lock: a year, in seconds (a lock's expiry is a 15-digit millisecond time). */
const MAX_LOCK_TTL_S = 365 * 24 * 3600;

/** S3's smallest multipart part (5 MiB) and the largest object size we would ever split (5 TiB). */
const MIN_PART_BYTES = 5 * 1024 * 1024;
const MAX_STORAGE_BYTES = 5 * 1024 ** 4;

/** The most trainable parameters `maxParameters` may allow (the default cap is in the core). */
export const MAX_PARAMETERS_LIMIT = 1_000_000_000;

function fail(message, context) {
  throw new ModelConfigError(message, context);
}

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkBoolean(value, key, context) {
  if (value !== undefined && typeof value !== 'boolean') {
    fail(`${context.where}\`${key}\` must be true or false, got ${display(value)}`, { ...context.fields, [key]: display(value) });
  }
}

function checkWholeNumber(value, key, min, max, context) {
  if (value !== undefined && !(Number.isInteger(value) && value >= min && value <= max)) {
    fail(`${context.where}\`${key}\` must be a whole number from ${min} to ${max}, got ${display(value)}`, {
      ...context.fields,
      [key]: display(value),
    });
  }
}

/**
 * The plugin's own options (not `models`, whose entries are checked one by one). Unknown keys are
 * left alone: s3db.js's Plugin base class reads some of them.
 */
export function checkPluginOptions(options) {
  if (!isPlainObject(options)) fail(`MLPlugin options must be an object, got ${display(options)}`, {});
  const context = { where: 'MLPlugin: ', fields: {} };
  const { models, backend, minTrainingSamples, refreshInterval, trainingLockTtl, storage, maxParameters } = options;
  if (models !== undefined && !isPlainObject(models)) {
    fail(`MLPlugin: \`models\` must be an object of model definitions by name, got ${display(models)}`, {});
  }
  if (backend !== undefined && !BACKENDS.includes(backend)) {
    fail(`\`backend\` must be one of ${BACKENDS.join(', ')}, got ${display(backend)}`, { backend: display(backend) });
  }
  for (const key of ['saveModel', 'saveTrainingData', 'enableVersioning']) checkBoolean(options[key], key, context);
  checkWholeNumber(minTrainingSamples, 'minTrainingSamples', 1, Number.MAX_SAFE_INTEGER, context);
  if (
    refreshInterval !== undefined &&
    refreshInterval !== false &&
    refreshInterval !== Infinity &&
    !(Number.isFinite(refreshInterval) && refreshInterval >= 0)
  ) {
    fail(`MLPlugin: \`refreshInterval\` must be milliseconds (0 or more), or false / Infinity to never look, got ${display(refreshInterval)}`, {
      refreshInterval: display(refreshInterval),
    });
  }
  if (trainingLockTtl !== undefined && !(Number.isFinite(trainingLockTtl) && trainingLockTtl > 0 && trainingLockTtl <= MAX_LOCK_TTL_S)) {
    fail(`MLPlugin: \`trainingLockTtl\` must be a number of seconds above 0 and at most ${MAX_LOCK_TTL_S}, got ${display(trainingLockTtl)}`, {
      trainingLockTtl: display(trainingLockTtl),
    });
  }
  checkWholeNumber(maxParameters, 'maxParameters', 1, MAX_PARAMETERS_LIMIT, context);
  checkWholeNumber(options.readConcurrency, 'readConcurrency', 1, MAX_READ_CONCURRENCY, context);
  checkStorage(storage);
}

/** `storage: { native, multipartThreshold, partSize }`, with S3's rules for multipart sizes. */
function checkStorage(storage) {
  if (storage === undefined) return;
  if (!isPlainObject(storage)) fail(`MLPlugin: \`storage\` must be an object, got ${display(storage)}`, {});
  const context = { where: 'MLPlugin: storage.', fields: {} };
  checkBoolean(storage.native, 'native', context);
  checkWholeNumber(storage.partSize, 'partSize', MIN_PART_BYTES, MAX_STORAGE_BYTES, context);
  checkWholeNumber(storage.multipartThreshold, 'multipartThreshold', MIN_PART_BYTES, MAX_STORAGE_BYTES, context);
  const partSize = storage.partSize ?? 8 * 1024 * 1024;
  if (storage.multipartThreshold !== undefined && storage.multipartThreshold < partSize) {
    fail(`MLPlugin: storage.multipartThreshold (${storage.multipartThreshold}) must be at least partSize (${partSize})`, {
      multipartThreshold: storage.multipartThreshold,
      partSize,
    });
  }
}

/** Names that JavaScript objects treat specially: as keys of the model registry they would not be data. */
const RESERVED_NAMES = new Set(['__proto__']);

/**
 * Model and resource names become parts of storage keys: they must not reach outside their prefix
 * or carry characters that break a key or a log line (C0 and C1 controls, DEL, the Unicode line and
 * paragraph separators). Checked at configuration time so a bad name never gets near storage.
 */
export function checkKeySafe(value, what, modelName) {
  if (typeof value !== 'string') return; // the type checks that follow say what is missing
  if (
    value.length === 0 ||
    value.length > 200 ||
    // eslint-disable-next-line no-control-regex
    /[/\\\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(value) ||
    value === '.' ||
    value === '..' ||
    RESERVED_NAMES.has(value)
  ) {
    throw new ModelConfigError(
      `Model ${display(modelName)}: ${what} ${display(value)} cannot be used in storage keys (no '/', '\\', control characters, line separators, '.', '..' or '__proto__'; at most 200 characters)`,
      { modelName: display(modelName), [what.replace(' name', '')]: value },
    );
  }
}

/** A model definition's keys that the plugin (not the native model) reads. */
export function checkModelOptions(name, config) {
  const context = { where: `Model "${name}": `, fields: { modelName: name } };
  for (const key of ['saveModel', 'saveTrainingData', 'autoTrain']) checkBoolean(config[key], key, context);
  checkWholeNumber(config.minSamples, 'minSamples', 1, Number.MAX_SAFE_INTEGER, context);
  checkWholeNumber(config.readConcurrency, 'readConcurrency', 1, MAX_READ_CONCURRENCY, context);
  if (config.timeField !== undefined && !(typeof config.timeField === 'string' && config.timeField.length > 0)) {
    fail(`Model "${name}": \`timeField\` must name a field, got ${display(config.timeField)}`, { modelName: name });
  }
  if (config.deploy !== undefined && !DEPLOY_POLICIES.includes(config.deploy)) {
    fail(`Model "${name}": \`deploy\` must be one of ${DEPLOY_POLICIES.join(', ')}`, { modelName: name });
  }
  checkPartitionShape(name, config.partition);
  if (config.modelConfig !== undefined && !isPlainObject(config.modelConfig)) {
    fail(`Model "${name}": \`modelConfig\` must be an object, got ${display(config.modelConfig)}`, { modelName: name });
  }
  checkAutoTraining(name, config);
}

/**
 * `partition: { name, values? }` (null: none). Anything else (a bare name, say) was ignored, and
 * the model trained on every record of the resource. Whether the resource defines it is checked at training.
 */
function checkPartitionShape(name, partition) {
  if (partition === undefined || partition === null) return;
  const { name: partitionName, values } = isPlainObject(partition) ? partition : {};
  if (typeof partitionName !== 'string' || partitionName.length === 0 || (values !== undefined && !isPlainObject(values))) {
    fail(`Model "${name}": \`partition\` must be { name, values? } (e.g. { name: 'byRegion', values: { region: 'north' } }), got ${display(partition)}`, {
      modelName: name,
      partition: display(partition),
    });
  }
}

/** `autoTrain` settings: counts and intervals that timers and counters can honour. */
function checkAutoTraining(name, config) {
  const { trainAfterInserts, trainInterval } = config;
  if (trainAfterInserts !== undefined && !(Number.isInteger(trainAfterInserts) && trainAfterInserts > 0)) {
    throw new ModelConfigError(`Model "${name}": \`trainAfterInserts\` must be a positive integer`, {
      modelName: name,
      trainAfterInserts,
    });
  }
  if (trainInterval !== undefined && !(Number.isFinite(trainInterval) && trainInterval > 0 && trainInterval <= MAX_INTERVAL_MS)) {
    throw new ModelConfigError(`Model "${name}": \`trainInterval\` must be a number of milliseconds between 1 and ${MAX_INTERVAL_MS}`, {
      modelName: name,
      trainInterval,
    });
  }
}

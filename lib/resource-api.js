// `resource.ml`: the per-resource API of the upstream MLPlugin (contract §5.5), and the guesses
// zero-config `learn()` makes from a resource (§5.6).
import { Resource } from 's3db.js';
import { MLError, ModelConfigError } from './errors.js';
import { attributeType, MAX_CATEGORIES, schemaAttributes, schemaKinds } from './preprocessing.js';

/** Fields that are bookkeeping, never features, and why. */
const NOT_FEATURES = {
  id: 'identifier',
  createdAt: 'timestamp used for ordering',
  updatedAt: 'timestamp used for ordering',
  createdBy: 'bookkeeping',
};
/** Kinds `learn()` uses as features (a date needs `featureTypes`: it is usually bookkeeping). */
const LEARNED_KINDS = new Set(['numeric', 'category', 'boolean']);

/**
 * Defines the `resource.ml` getter on s3db.js's Resource, once per process. A getter that is
 * already there (from s3db.js's own MLPlugin, or another copy of this package) is kept: it calls
 * the same `_resource*` methods on whichever plugin is the database's `_mlPlugin`.
 */
export function defineResourceAccessor() {
  if (!Object.prototype.hasOwnProperty.call(Resource.prototype, 'ml')) {
    Object.defineProperty(Resource.prototype, 'ml', {
      configurable: true,
      get() {
        return resourceApi(this);
      },
    });
  }
  defineLegacyMethods();
}

/**
 * The resource methods of older MLPlugin releases (`resource.predict(input, target)`,
 * `resource.trainModel(target, options)`, `resource.listModels()`), kept for code written
 * against them: each calls its `resource.ml` counterpart. A method s3db.js (or anything else)
 * already defines under one of these names is left alone.
 */
const LEGACY_METHODS = {
  predict(input, target) {
    return this.ml.predict(input, target);
  },
  trainModel(target, options = {}) {
    return this.ml.train(target, options);
  },
  listModels() {
    return this.ml.list();
  },
};

function defineLegacyMethods() {
  for (const [name, method] of Object.entries(LEGACY_METHODS)) {
    if (name in Resource.prototype) continue;
    Object.defineProperty(Resource.prototype, name, { configurable: true, writable: true, value: method });
  }
}

/** The database of a resource. Resources restored from s3db.json have no `database`; the Database observes them. */
function databaseOf(resource) {
  return resource.database ?? resource.observers?.find((observer) => observer?._mlPlugin);
}

function resourceApi(resource) {
  const plugin = databaseOf(resource)?._mlPlugin;
  if (!plugin) {
    throw new MLError('MLPlugin is not installed on this database instance', {
      pluginName: 'MLPlugin',
      operation: 'Resource.ml accessor',
      statusCode: 400,
      retriable: false,
      suggestion: 'Install MLPlugin via db.usePlugin(new MLPlugin(...)) before calling resource.ml.* methods.',
    });
  }
  const { name } = resource;
  const modelFor = (target) => plugin._requireModelForResource(name, target);
  return {
    learn: async (target, options = {}) => plugin._resourceLearn(name, target, options),
    predict: async (input, target) => plugin._resourcePredict(name, input, target),
    explain: async (input, target) => plugin._resourceExplain(name, input, target),
    importance: async (target) => plugin.featureImportance(modelFor(target)),
    train: async (target, options = {}) => plugin._resourceTrainModel(name, target, options),
    list: () => plugin._resourceListModels(name),
    report: async (target, options = {}) => plugin._resourceReport(name, target, options),
    stats: (target) => plugin.getModelStats(modelFor(target)),
    versions: async (target) => plugin.listModelVersions(modelFor(target)),
    rollback: async (target, version = null) => plugin.rollbackVersion(modelFor(target), version),
    compare: async (target, v1, v2) => plugin.compareVersions(modelFor(target), v1, v2),
    export: async (target) => plugin.exportModel(modelFor(target)),
    import: async (target, data) => plugin.importModel(modelFor(target), data),
  };
}

/**
 * The model type for `target` from sample records: numbers → regression, strings/booleans →
 * classification, nothing to go by → regression.
 */
export function detectType(samples, target) {
  const values = samples.map((record) => record[target]).filter((value) => value !== null && value !== undefined);
  if (values.length === 0) return 'regression';
  // Upstream picks 'timeseries' for numbers when every record has a timestamp; this build has no
  // timeseries model yet, so numbers are always regression for now.
  if (values.every((value) => typeof value === 'number')) return 'regression';
  if (values.every((value) => typeof value === 'string' || typeof value === 'boolean')) return 'classification';
  return 'regression';
}

/**
 * Features for `target`: the schema's number, string, enum and boolean attributes (else the
 * fields of the first sample record), leaving out bookkeeping fields and strings with so many
 * distinct values among the samples that they are identifiers (names, emails, ids).
 * @returns {{ features: string[], chosen: Record<string,string>, leftOut: Record<string,string> }}
 *   `chosen`: feature → kind; `leftOut`: attribute → why it is not a feature.
 */
export function selectFeatures(resource, target, samples) {
  const attributes = schemaAttributes(resource);
  const declared = schemaKinds(resource);
  const fields = Object.keys(attributes).length > 0 ? Object.keys(attributes) : Object.keys(samples[0] ?? {});
  const chosen = {};
  const leftOut = {};
  for (const field of fields) {
    if (field === target) continue;
    if (NOT_FEATURES[field]) {
      leftOut[field] = NOT_FEATURES[field];
      continue;
    }
    const kind = declared[field] ?? (Object.keys(attributes).length > 0 ? null : kindOfValue(samples[0][field]));
    if (!kind || !LEARNED_KINDS.has(kind)) {
      leftOut[field] = kind ? `${kind} attribute (declare it in \`features\` and \`featureTypes\` to use it)` : `type ${JSON.stringify(attributeType(attributes[field]) ?? typeof samples[0]?.[field])} is not a feature kind`;
      continue;
    }
    const isEnum = Array.isArray(attributes[field]?.enum) || attributeType(attributes[field]) === 'enum';
    const reason = kind === 'category' && !isEnum ? identifierLike(samples, field) : null;
    if (reason) leftOut[field] = reason;
    else chosen[field] = kind;
  }
  const features = Object.keys(chosen);
  if (features.length === 0) {
    throw new ModelConfigError(`No usable features found for target "${target}" in resource "${resource.name}"`, {
      resourceName: resource.name,
      target,
      availableAttributes: Object.keys(attributes),
      leftOut,
    });
  }
  return { features, chosen, leftOut };
}

function kindOfValue(value) {
  if (typeof value === 'number') return 'numeric';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return 'category';
  return null;
}

/**
 * Why a string attribute is an identifier rather than a category, or null: more distinct values
 * among the samples than a vocabulary keeps, or most sampled values distinct.
 */
function identifierLike(samples, field) {
  const values = samples.map((record) => record?.[field]).filter((v) => v !== null && v !== undefined);
  const distinct = new Set(values.map(String)).size;
  if (distinct > MAX_CATEGORIES || (distinct > 10 && distinct > values.length / 2)) {
    return `high-cardinality string (${distinct} distinct values in ${values.length} sampled records)`;
  }
  return null;
}

/**
 * Upstream's `learn()` defaults for `type`, the batch size lowered for small resources
 * (`sampleCount` < the batch size) unless the caller chose one.
 */
export function learnModelConfig(type, sampleCount, userConfig = {}) {
  const defaults = { epochs: 50, batchSize: 32, learningRate: 0.01, validationSplit: 0.2 };
  Object.assign(defaults, type === 'classification' ? { units: 64, dropout: 0.2 } : { polynomial: 1 });
  if (userConfig.batchSize === undefined && sampleCount > 0 && sampleCount < defaults.batchSize) {
    defaults.batchSize = Math.max(4, Math.floor(sampleCount / 2));
  }
  // The caller's settings refine the defaults (upstream replaced them all: contract §5.18 #9).
  return { ...defaults, ...userConfig };
}

// What every model shares: its configuration, its native counterpart, statistics, and the
// record → typed array conversion before each native call. Training takes records (`train`) or
// rows already converted page by page (`trainArrays`, what the plugin uses).
import { native } from '../native.js';
import {
  callNative,
  DataValidationError,
  display,
  InsufficientDataError,
  MLError,
  ModelConfigError,
  ModelNotTrainedError,
  PredictionError,
  TrainingAbortedError,
  TrainingError,
} from '../errors.js';
import { checkRecords, TrainingSet } from '../dataset.js';
import { Preparation, preparationConfig, preprocessingSummary } from '../preprocessing.js';
import { checkNumericOptions } from '../model-config.js';
import { callSafely } from '../callbacks.js';

/** The `format` of `export()` objects. */
const EXPORT_FORMAT = 's3db-ml';

export class BaseModel {
  /**
   * @param {object} config `{ name, type, resource, features, target, minSamples, modelConfig, logLevel, backend }`
   */
  constructor(config) {
    this.type = config.type;
    this.backend = config.backend ?? 'auto';
    this.config = {
      name: config.name,
      resource: config.resource,
      features: [...config.features],
      target: config.target,
      minSamples: Math.max(1, config.minSamples ?? 10),
      modelConfig: {},
      logLevel: config.logLevel ?? 'info',
    };
    /** What the user wrote in `modelConfig` (the effective values are in `config.modelConfig`). */
    this._userModelConfig = { ...config.modelConfig };
    /** `featureTypes` and `impute` (checked now: a mistake is a ModelConfigError at definition). */
    this._preparationConfig = preparationConfig(config.name, this.config.features, config.modelConfig);
    /** Feature kinds the resource's schema declares (see `useSchemaKinds`). */
    this._schemaKinds = {};
    /** The serving model's preparation, kept until the native side swaps in another model. */
    this._preparationCache = { id: -1, preparation: null };
    this._buildNative();
    this.stats = { trainedAt: null, samples: 0, loss: null, accuracy: null, predictions: 0, errors: 0 };
    /** The last training report from the native engine (history, held-out metrics, backend). */
    this.lastTraining = null;
  }

  /** (Re)creates the native model from the configuration; invalid settings throw ModelConfigError. */
  _buildNative() {
    const { NativeModel } = native();
    const { name, features, target } = this.config;
    checkNumericOptions(name, this._userModelConfig);
    this._native = callNative(
      () => new NativeModel({ name, type: this.type, features, target, modelConfig: this._userModelConfig }),
      ModelConfigError,
      { modelName: name },
    );
    this.config.modelConfig = { ...this._userModelConfig, ...this._native.resolvedConfig() };
  }

  /** Trainable parameters of the configured network. */
  get parameterCount() {
    return this._native.describe()?.parameters ?? this._native.parameterCount();
  }

  get isTrained() {
    return this._native.isTrained;
  }

  /** `{ features: { name: { min, max } }, target: { min, max } }`, as the upstream plugin exposes it. */
  get normalizer() {
    return this._native.describe()?.normalizer ?? { features: {}, target: { min: 0, max: 0 } };
  }

  /** Tells the model the feature kinds its resource's schema declares (before reading training rows). */
  useSchemaKinds(kinds) {
    this._schemaKinds = { ...kinds };
  }

  /** Feature kinds known before reading: the schema's, overridden by `featureTypes`. */
  get _knownKinds() {
    const kinds = {};
    for (const feature of this.config.features) {
      const kind = this._preparationConfig.featureTypes[feature] ?? this._schemaKinds[feature];
      if (kind) kinds[feature] = kind;
    }
    return kinds;
  }

  /** The serving model's input preparation (models of earlier builds: every feature a number). */
  _preparation() {
    const id = this._native.servingId;
    if (this._preparationCache.id !== id) {
      const served = this._native.preparation();
      if (!served) {
        throw new ModelNotTrainedError(`Model "${this.config.name}" is not trained yet`, { model: this.config.name });
      }
      const stored = served.preparation;
      const preparation = stored ? new Preparation(stored, this.config.features) : Preparation.strict(this.config.features);
      this._preparationCache = { id: served.id, preparation };
    }
    return this._preparationCache.preparation;
  }

  /** `{ rows, warnings }`: encoded rows of `records` for native calls, and what each had to assume. */
  _encode(records, purpose) {
    checkRecords(records, this.config.name);
    return this._preparation().encode(records, { model: this.config.name, purpose });
  }

  /** What the serving model's preparation did (`result.preprocessing`), or null when untrained. */
  get preprocessing() {
    if (!this.isTrained) return null;
    return preprocessingSummary(this._preparation().stored);
  }

  /** Subclasses: whether targets are class labels (true) or numbers (false). */
  get _labelTargets() {
    throw new MLError('BaseModel is abstract', { operation: 'train' });
  }

  /** Subclasses: the native trainer's options for these targets (`labels` for classification). */
  _nativeTrainOptions(_data) {
    throw new MLError('BaseModel is abstract', { operation: 'train' });
  }

  /** Values per training row (the features; a time series adds its target). */
  get _inputColumns() {
    return this.config.features.length;
  }

  /**
   * The fields of a prepared record that training reads (a training snapshot keeps exactly these;
   * `id` names a record in error messages).
   */
  get trainingFields() {
    return [...new Set([...this.config.features, this.config.target, 'id'])];
  }

  /** An empty TrainingSet for this model's features and target: `add()` pages, then `trainArrays(set.finish())`. */
  createTrainingSet() {
    return new TrainingSet({
      features: this.config.features,
      target: this.config.target,
      labels: this._labelTargets,
      model: this.config.name,
      kinds: this._knownKinds,
      impute: this._preparationConfig.impute,
    });
  }

  /**
   * Trains on `records` (objects holding the features and the target) and swaps the new weights in.
   * `signal` (an AbortSignal) stops training within one batch; `onProgress` receives
   * `{ modelName, epoch, epochs, loss, valLoss, elapsedMs, etaMs }` after every epoch.
   * @returns {Promise<{ loss: number, accuracy: number|null, epochs: number, samples: number }>}
   */
  async train(records, options = {}) {
    if (!Array.isArray(records) || records.length === 0) {
      throw new InsufficientDataError('No training data provided', { model: this.config.name, samples: 0, minimum: 1 });
    }
    const set = this.createTrainingSet();
    set.add(records);
    return this.trainArrays(set.finish(), options);
  }

  /**
   * Trains with early stopping: stops once the monitored loss has not improved by `minDelta` for
   * `patience` epochs, and by default keeps the best epoch's weights.
   * @returns {Promise<object>} the training result with `stoppedEarly` and `bestEpoch`
   */
  async trainWithEarlyStopping(records, { patience = 10, minDelta = 0.001, monitor = 'val_loss', restoreBestWeights = true, ...options } = {}) {
    return this.train(records, { ...options, earlyStopping: { patience, minDelta, monitor, restoreBestWeights } });
  }

  /**
   * Trains on rows already converted: `features` row-major (samples × input columns), `targets`
   * one per row (class indices into `labels` for classification). Options as for `train`.
   * `preparation` (from a TrainingSet) says how records became those columns; it is stored with
   * the model and encodes every later prediction.
   * @param {{ samples?: number, features: Float64Array, targets: Float64Array, labels?: Array<string|number|boolean>,
   *   preparation?: object, missingTargets?: number }} data
   */
  async trainArrays(data, options = {}) {
    const { backend, signal, onProgress, earlyStopping } = options ?? {};
    const modelName = this.config.name;
    // This training's own earlyStopping (trainWithEarlyStopping) is read like modelConfig's.
    checkNumericOptions(modelName, { earlyStopping });
    const { features, targets } = this._checkArrays(data);
    const nativeOptions = this._nativeTrainOptions(data);
    if (signal?.aborted) {
      throw new TrainingAbortedError(`Training of "${modelName}" was aborted before it started`, { modelName });
    }
    const abort = () => this._native.abortTraining();
    signal?.addEventListener('abort', abort, { once: true });
    // The native thread stops within a batch of the abort, but the epochs it finished before are
    // still queued for this thread: an aborted training reports none of them.
    const onEpoch = onProgress
      ? (info) => {
          if (!signal?.aborted) callSafely(onProgress, { phase: 'train', modelName, ...info }, 'a training progress callback');
        }
      : undefined;
    let report;
    try {
      report = await callNative(
        () =>
          this._native.train(
            features,
            targets,
            { backend: backend ?? this.backend, earlyStopping, preparation: data.preparation, ...nativeOptions },
            onEpoch,
          ),
        TrainingError,
        { modelName },
      );
    } catch (error) {
      // The engine says "training was aborted during epoch N"; name the model, as the other aborts do.
      if (error instanceof TrainingAbortedError) error.message = error.message.replace(/^training /, `Training of "${modelName}" `);
      throw error;
    } finally {
      signal?.removeEventListener('abort', abort);
    }
    this.lastTraining = report;
    this.stats.trainedAt = new Date().toISOString();
    this.stats.samples = report.samples;
    this.stats.loss = report.loss;
    this.stats.accuracy = report.accuracy ?? null;
    return { ...this._result(report), preprocessing: this.preprocessing, missingTargets: data.missingTargets ?? 0 };
  }

  /** The shapes the native trainer expects; a mismatch here would otherwise surface as a napi error. */
  _checkArrays(data) {
    const modelName = this.config.name;
    const { features, targets } = data ?? {};
    if (!(features instanceof Float64Array) || !(targets instanceof Float64Array)) {
      throw new DataValidationError('trainArrays expects Float64Array `features` and `targets`', { model: modelName });
    }
    const columns = data.preparation ? this._encodedColumns(data.preparation) : this._inputColumns;
    const rows = this._takesTargets ? targets.length : features.length / columns;
    if (rows === 0) {
      throw new InsufficientDataError('No training data provided', { model: modelName, samples: 0, minimum: 1 });
    }
    if (features.length !== rows * columns) {
      throw new DataValidationError(
        `trainArrays: ${features.length} feature values for ${rows} rows (expected ${rows * columns}: ${columns} values per row)`,
        { model: modelName, expected: rows * columns, got: features.length },
      );
    }
    return { features, targets };
  }

  /** Values per training row under `preparation` (a time series adds its target). */
  _encodedColumns(preparation) {
    const width = preparation.features.reduce((n, f) => n + (f.kind === 'date' ? 5 : 1), 0);
    return this._takesTargets ? width : width + 1;
  }

  /** Whether training rows come with separate targets (a time series carries them in its rows). */
  get _takesTargets() {
    return true;
  }

  _result(report) {
    return {
      loss: report.loss,
      valLoss: report.valLoss ?? null,
      accuracy: report.accuracy ?? null,
      epochs: report.epochs,
      stoppedEarly: report.stoppedEarly,
      bestEpoch: report.bestEpoch,
      samples: report.samples,
      trainSamples: report.trainSamples,
      validationSamples: report.validationSamples,
      backend: report.backend,
      engine: report.engine,
      durationMs: report.durationMs,
      metrics: report.regression ?? (report.classification ? this._labelled(report.classification) : null),
      warnings: report.warnings ?? [],
    };
  }

  /**
   * The result of the training that made the weights in memory (its figures travel with
   * `export()`/`import()`), without this process's `warnings`; null when untrained.
   */
  trainingResult() {
    const report = this._native.describe()?.report;
    return report ? { ...this._result(report), warnings: [] } : null;
  }

  /** Held-out metrics of the last training (rows it never trained on). */
  heldOutMetrics() {
    const report = this._native.describe()?.report;
    if (!report) {
      throw new ModelNotTrainedError(`Model "${this.config.name}" is not trained yet`, { model: this.config.name });
    }
    return report.regression ?? this._labelled(report.classification);
  }

  /**
   * The engine's class-indexed classification metrics as the user reads them: the confusion
   * matrix and per-label figures keyed by label (models that predict labels override this).
   */
  _labelled(raw) {
    return raw;
  }

  /** Predicts one input object. */
  async predict(input) {
    return this.predictSync(input);
  }

  /**
   * The same prediction without a Promise (a few microseconds). `warnings` lists what had to be
   * assumed (`{ feature, kind: 'imputed' | 'unseen_category' }`), only when there is something.
   */
  predictSync(input) {
    try {
      const { rows, warnings } = this._predictionRows(input);
      const result = callNative(() => this._native.predict(rows), PredictionError, { model: this.config.name });
      this.stats.predictions++;
      const assumed = mergeWarnings(warnings);
      return assumed ? { ...result, warnings: assumed } : result;
    } catch (error) {
      this.stats.errors++;
      throw error;
    }
  }

  /**
   * Why the model predicts what it does for `input` (the same input `predict` takes):
   * `{ prediction, baseline, contributions, label?, contributionsByStep? }`, where
   * `baseline + Σ contributions = prediction` in the target's units (see README "Explanations").
   */
  async explain(input) {
    return this.explainSync(input);
  }

  /** The same explanation without a Promise (on the calling thread, like `predictSync`). */
  explainSync(input) {
    const { rows } = this._predictionRows(input);
    return callNative(() => this._native.explain(rows), PredictionError, { model: this.config.name });
  }

  /**
   * Permutation importance measured after training (`{ metric, baseline, samples, source,
   * repeats, seed, features: [{ feature, importance }] }`), or null for a model stored before
   * s3db-ml measured it.
   */
  get importance() {
    return this._native.describe()?.importance ?? null;
  }

  /**
   * Training rows kept by `saveTrainingData` (`[{ features, target, context? }]`, `context` holding
   * a time series' time field) as `trainArrays` takes them, label targets as this model's class indices.
   */
  snapshotArrays(rows) {
    const { target } = this.config;
    const set = this.createTrainingSet();
    set.add(rows.map((row) => ({ ...row.context, ...row.features, [target]: row.target })));
    const data = set.finish();
    if (data.labels) data.targets = this._classIndices(data);
    return data;
  }

  /** Each row's index among the model's `classes` (-1 for a label it does not know). */
  _classIndices({ targets, labels }) {
    const index = new Map((this.classes ?? []).map((label, i) => [String(label), i]));
    return Float64Array.from(targets, (t) => index.get(String(labels[t])) ?? -1);
  }

  /**
   * Measures the importance of a model stored without it, from the rows it was trained on
   * (`{ features, targets }` as `trainArrays` takes them); the model keeps it.
   */
  computeImportance({ features, targets }) {
    return callNative(() => this._native.computeImportance(features, targets), PredictionError, { model: this.config.name });
  }

  /** `{ rows, warnings }`: the native input of one prediction (a time series takes a sequence). */
  _predictionRows(input) {
    return this._encode([input], 'prediction');
  }

  /** The native rows of labelled records to evaluate on. */
  _evaluationRows(records) {
    return this._encode(records, 'prediction').rows;
  }

  /** Predicts many inputs at once, off the JavaScript thread; each item may carry `warnings`. */
  async predictBatch(inputs) {
    if (!Array.isArray(inputs)) {
      throw new PredictionError('predictBatch expects an array of input objects', { model: this.config.name });
    }
    try {
      const { rows, warnings } = this._encode(inputs, 'prediction');
      const batch = await callNative(() => this._native.predictBatch(rows), PredictionError, { model: this.config.name });
      this.stats.predictions += inputs.length;
      const results = this._batchResults(batch, inputs.length);
      warnings.forEach((w, i) => {
        if (w) results[i].warnings = w;
      });
      return results;
    } catch (error) {
      this.stats.errors++;
      throw error;
    }
  }

  /** Metrics of this model on labelled records (see subclasses). */
  async _evaluate(records, targets) {
    return callNative(() => this._native.evaluate(this._evaluationRows(records), targets), PredictionError, {
      model: this.config.name,
    });
  }

  /**
   * The trained model, self-contained: configuration, normaliser, statistics and the weights as a
   * base64 safetensors file (`format: 'safetensors'` gives that file as a Buffer instead).
   * `null` when the model is not trained.
   */
  export(options = {}) {
    const format = options?.format ?? 'json';
    if (!this.isTrained) return null;
    const bytes = callNative(() => this._native.exportSafetensors(), MLError, { model: this.config.name });
    if (format === 'safetensors') return bytes;
    if (format !== 'json') {
      throw new DataValidationError(`export format must be 'json' or 'safetensors', got ${display(format)}`, {
        model: this.config.name,
      });
    }
    return {
      format: EXPORT_FORMAT,
      formatVersion: 1,
      type: this.type,
      config: this.config,
      normalizer: this.normalizer,
      stats: { ...this.stats },
      isTrained: true,
      model: bytes.toString('base64'),
      ...this._exportFields(),
    };
  }

  /** The fields the upstream model class of this type adds to its export (contract §5.12). */
  _exportFields() {
    return {};
  }

  /**
   * Restores a model exported by `export()` (the object, or the safetensors Buffer). Damaged or
   * foreign data is a DataValidationError, a model of another type or features a ModelConfigError;
   * either way the current model is untouched.
   */
  import(data) {
    const name = this.config.name;
    let bytes;
    let shown;
    if (Buffer.isBuffer(data) || data instanceof Uint8Array) {
      bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    } else if (data?.format === EXPORT_FORMAT && typeof data.model === 'string') {
      bytes = Buffer.from(data.model, 'base64');
      shown = shownModel(data);
    } else {
      throw new DataValidationError(`Model "${name}" can only import what s3db-ml's export() produced (an object with format "${EXPORT_FORMAT}" or a safetensors Buffer)`, {
        model: name,
      });
    }
    callNative(() => this._native.importSafetensors(bytes, shown), DataValidationError, { model: name });
    this._adoptStats(Buffer.isBuffer(data) || data instanceof Uint8Array ? undefined : data.stats);
  }

  /**
   * Writes the trained weights (the safetensors export) at `key` through a NativeStore; the bytes
   * stay native. Resolves with `{ bytes, sha256 }` for the version record.
   */
  saveTo(store, key) {
    return callNative(() => this._native.saveTo(store, key), MLError, { model: this.config.name, key });
  }

  /**
   * Loads weights stored with `saveTo`, after checking them against `expected` (`{ bytes, sha256 }`).
   * Unreadable, damaged or foreign weights reject with a named error and change nothing.
   */
  async loadFrom(store, key, expected, stats = {}) {
    await callNative(() => this._native.loadFrom(store, key, expected), DataValidationError, { model: this.config.name, key });
    this._adoptStats(stats);
  }

  /** Statistics of a restored model: those it was stored with, else what its report says. */
  _adoptStats(stored) {
    // An export's stats are the user's JSON: only well-formed values are believed.
    const stats = isObject(stored) ? stored : {};
    const finite = (value) => (typeof value === 'number' && Number.isFinite(value) ? value : null);
    this.stats.trainedAt = typeof stats.trainedAt === 'string' ? stats.trainedAt : new Date().toISOString();
    this.stats.samples = finite(stats.samples) ?? this._native.describe()?.report?.samples ?? 0;
    this.stats.loss = finite(stats.loss);
    this.stats.accuracy = finite(stats.accuracy);
  }

  /** An untrained model of the same configuration, to read a stored version into without touching this one. */
  blankCopy() {
    return new this.constructor({
      ...this.config,
      type: this.type,
      modelConfig: this._userModelConfig,
      backend: this.backend,
      timeField: this.timeField,
    });
  }

  /** Frees the trained weights; the model must be trained again before predicting. */
  dispose() {
    this._native.reset();
  }

  getStats() {
    return { ...this.stats, isTrained: this.isTrained, config: this.config, preprocessing: this.preprocessing, importance: this.importance };
  }
}

/**
 * What a JSON export shows of its model beside the bytes, for the native side to compare with
 * them: the type, features and target, and the type's own shape (a time series' lookback, a
 * regression's polynomial degree, a classifier's classes). The shape is shown twice, in `config`
 * (as the user wrote it) and at the top level (the upstream export's fields), so both are passed
 * and both must match. Keys of other types are not shown: `modelConfig` keeps whatever the user
 * wrote, read or not.
 */
function shownModel(data) {
  const config = isObject(data.config) ? data.config : {};
  const modelConfig = isObject(config.modelConfig) ? config.modelConfig : {};
  const shape = (source) => ({
    lookback: data.type === 'timeseries' ? source.lookback : undefined,
    polynomial: data.type === 'regression' ? source.polynomial : undefined,
  });
  const inConfig = { type: data.type, features: config.features, target: config.target, ...shape(modelConfig) };
  const atTopLevel = { ...shape(data), classes: data.classes };
  return [inConfig, atTopLevel].map((shown) => Object.fromEntries(Object.entries(shown).filter(([, value]) => value !== undefined)));
}

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** One list of warnings from those of several records (a time series' window), or null. */
function mergeWarnings(perRecord) {
  const seen = new Map();
  for (const warnings of perRecord) {
    for (const w of warnings ?? []) seen.set(`${w.kind}:${w.feature}`, w);
  }
  return seen.size > 0 ? [...seen.values()] : null;
}

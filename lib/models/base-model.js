// What every model shares: its configuration, its native counterpart, statistics, and the
// record → typed array conversion before each native call. Training takes records (`train`) or
// rows already converted page by page (`trainArrays`, what the plugin uses).
import { native } from '../native.js';
import {
  callNative,
  DataValidationError,
  InsufficientDataError,
  MLError,
  ModelConfigError,
  PredictionError,
  TrainingAbortedError,
  TrainingError,
} from '../errors.js';
import { featureMatrix, TrainingSet } from '../dataset.js';

export class BaseModel {
  /**
   * @param {object} config `{ name, type, resource, features, target, minSamples, modelConfig, logLevel, backend }`
   */
  constructor(config) {
    const { NativeModel } = native();
    this.type = config.type;
    this.backend = config.backend ?? 'auto';
    this._native = callNative(
      () =>
        new NativeModel({
          name: config.name,
          type: config.type,
          features: config.features,
          target: config.target,
          modelConfig: config.modelConfig ?? {},
        }),
      ModelConfigError,
      { modelName: config.name },
    );
    this.config = {
      name: config.name,
      resource: config.resource,
      features: [...config.features],
      target: config.target,
      minSamples: Math.max(1, config.minSamples ?? 10),
      modelConfig: { ...config.modelConfig, ...this._native.resolvedConfig() },
      logLevel: config.logLevel ?? 'info',
    };
    this.stats = { trainedAt: null, samples: 0, loss: null, accuracy: null, predictions: 0, errors: 0 };
    /** The last training report from the native engine (history, held-out metrics, backend). */
    this.lastTraining = null;
  }

  get isTrained() {
    return this._native.isTrained;
  }

  /** `{ features: { name: { min, max } }, target: { min, max } }`, as the upstream plugin exposes it. */
  get normalizer() {
    return this._native.describe()?.normalizer ?? { features: {}, target: { min: 0, max: 0 } };
  }

  /** Rows of features for native calls. */
  _features(records, purpose) {
    return featureMatrix(records, this.config.features, { model: this.config.name, purpose });
  }

  /** Subclasses: whether targets are class labels (true) or numbers (false). */
  get _labelTargets() {
    throw new MLError('BaseModel is abstract', { operation: 'train' });
  }

  /** Subclasses: the native trainer's options for these targets (`labels` for classification). */
  _nativeTrainOptions(_data) {
    throw new MLError('BaseModel is abstract', { operation: 'train' });
  }

  /** An empty TrainingSet for this model's features and target: `add()` pages, then `trainArrays(set.finish())`. */
  createTrainingSet() {
    return new TrainingSet({
      features: this.config.features,
      target: this.config.target,
      labels: this._labelTargets,
      model: this.config.name,
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
   * Trains on rows already converted: `features` row-major (samples × features.length), `targets`
   * one per row (class indices into `labels` for classification). Options as for `train`.
   * @param {{ features: Float64Array, targets: Float64Array, labels?: Array<string|number|boolean> }} data
   */
  async trainArrays(data, { backend, signal, onProgress } = {}) {
    const modelName = this.config.name;
    const { features, targets } = this._checkArrays(data);
    const nativeOptions = this._nativeTrainOptions(data);
    if (signal?.aborted) {
      throw new TrainingAbortedError(`Training of "${modelName}" was aborted before it started`, { modelName });
    }
    const abort = () => this._native.abortTraining();
    signal?.addEventListener('abort', abort, { once: true });
    const onEpoch = onProgress ? (info) => callSafely(onProgress, { modelName, ...info }) : undefined;
    let report;
    try {
      report = await callNative(
        () => this._native.train(features, targets, { backend: backend ?? this.backend, ...nativeOptions }, onEpoch),
        TrainingError,
        { modelName },
      );
    } finally {
      signal?.removeEventListener('abort', abort);
    }
    this.lastTraining = report;
    this.stats.trainedAt = new Date().toISOString();
    this.stats.samples = report.samples;
    this.stats.loss = report.loss;
    this.stats.accuracy = report.accuracy ?? null;
    return this._result(report);
  }

  /** The shapes the native trainer expects; a mismatch here would otherwise surface as a napi error. */
  _checkArrays(data) {
    const modelName = this.config.name;
    const { features, targets } = data ?? {};
    if (!(features instanceof Float64Array) || !(targets instanceof Float64Array)) {
      throw new DataValidationError('trainArrays expects Float64Array `features` and `targets`', { model: modelName });
    }
    if (targets.length === 0) {
      throw new InsufficientDataError('No training data provided', { model: modelName, samples: 0, minimum: 1 });
    }
    const columns = this.config.features.length;
    if (features.length !== targets.length * columns) {
      throw new DataValidationError(
        `trainArrays: ${features.length} feature values for ${targets.length} targets (expected ${targets.length * columns}: ${columns} features per row)`,
        { model: modelName, expected: targets.length * columns, got: features.length },
      );
    }
    return { features, targets };
  }

  _result(report) {
    return {
      loss: report.loss,
      valLoss: report.valLoss ?? null,
      accuracy: report.accuracy ?? null,
      epochs: report.epochs,
      samples: report.samples,
      trainSamples: report.trainSamples,
      validationSamples: report.validationSamples,
      backend: report.backend,
      durationMs: report.durationMs,
      metrics: report.regression ?? report.classification ?? null,
    };
  }

  /** Predicts one input object. */
  async predict(input) {
    return this.predictSync(input);
  }

  /** The same prediction without a Promise (a few microseconds). */
  predictSync(input) {
    try {
      const row = this._features([input], 'prediction');
      const result = callNative(() => this._native.predict(row), PredictionError, { model: this.config.name });
      this.stats.predictions++;
      return result;
    } catch (error) {
      this.stats.errors++;
      throw error;
    }
  }

  /** Predicts many inputs at once, off the JavaScript thread. */
  async predictBatch(inputs) {
    if (!Array.isArray(inputs)) {
      throw new PredictionError('predictBatch expects an array of input objects', { model: this.config.name });
    }
    try {
      const rows = this._features(inputs, 'prediction');
      const batch = await callNative(() => this._native.predictBatch(rows), PredictionError, { model: this.config.name });
      this.stats.predictions += inputs.length;
      return this._batchResults(batch, inputs.length);
    } catch (error) {
      this.stats.errors++;
      throw error;
    }
  }

  /** Metrics of this model on labelled records (see subclasses). */
  async _evaluate(records, targets) {
    return callNative(() => this._native.evaluate(this._features(records, 'prediction'), targets), PredictionError, {
      model: this.config.name,
    });
  }

  /** Frees the trained weights; the model must be trained again before predicting. */
  dispose() {
    this._native.reset();
  }

  getStats() {
    return { ...this.stats, isTrained: this.isTrained, config: this.config };
  }
}

/** Runs a user callback from a native progress report: its exceptions must not escape. */
function callSafely(callback, value) {
  try {
    callback(value);
  } catch (error) {
    process.emitWarning(`s3db-ml: a training progress callback threw: ${error?.message ?? error}`);
  }
}

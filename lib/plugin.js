// The s3db.js plugin: model registry, training pipeline (read pages → filter → map → typed arrays
// → check → train), predictions, statistics, events, auto-training and `resource.ml`. The maths
// runs in the native engine; this file wires it to s3db.js's lifecycle and keeps the upstream
// MLPlugin's public surface.
import { Plugin } from 's3db.js';
import { native } from './native.js';
import {
  callNative,
  display,
  InsufficientDataError,
  MLError,
  ModelConfigError,
  ModelNotFoundError,
  ModelNotTrainedError,
  TrainingError,
} from './errors.js';
import { RegressionModel } from './models/regression-model.js';
import { ClassificationModel } from './models/classification-model.js';
import { TimeSeriesModel } from './models/timeseries-model.js';
import { NeuralNetworkModel } from './models/neural-network-model.js';
import { readTrainingSet } from './training-data.js';
import { schemaKinds } from './preprocessing.js';
import { AutoTrainer } from './auto-train.js';
import { callSafely } from './callbacks.js';
import { assertTargetExists } from './feature-names.js';
import { defineResourceAccessor, detectType, learnModelConfig, selectFeatures } from './resource-api.js';
import { ModelStore } from './model-store.js';
import { ServingVersions } from './model-versions.js';
import { acquireTrainingLock, releaseTrainingLock } from './training-lock.js';
import { BACKENDS, checkKeySafe, checkModelOptions, checkPluginOptions } from './options.js';
import { modelReport } from './report/index.js';
import { SnapshotStore } from './training-snapshot.js';
import { DEFAULT_READ_CONCURRENCY } from './record-reader.js';

const MODEL_CLASSES = {
  regression: RegressionModel,
  classification: ClassificationModel,
  timeseries: TimeSeriesModel,
  'neural-network': NeuralNetworkModel,
};
/** How long stopping the plugin waits for aborted trainings to release their locks. */
const STOP_WAIT_MS = 30_000;

export class MLPlugin extends Plugin {
  /**
   * @param {import('../index').MLPluginOptions} options
   */
  constructor(options = {}) {
    checkPluginOptions(options);
    // slug 'ml' keeps storage under plugin=ml/ and the registry key 'ml', like upstream.
    super({ slug: 'ml', ...options });
    const {
      models = {},
      minTrainingSamples = 10,
      saveModel = true,
      saveTrainingData = false,
      enableVersioning = true,
      backend = 'auto',
      refreshInterval = 5000,
      trainingLockTtl = 900,
      readConcurrency = DEFAULT_READ_CONCURRENCY,
      ...rest
    } = options;
    this.config = {
      // A copy: learn() adds models, and the caller's object is not ours to change.
      models: { ...models },
      logLevel: this.logLevel,
      minTrainingSamples,
      saveModel,
      saveTrainingData,
      enableVersioning,
      backend,
      refreshInterval,
      trainingLockTtl,
      readConcurrency,
      ...rest,
    };
    this.models = {};
    /** modelName → true while that model trains. */
    this.training = new Map();
    /** modelName → `{ stopping, done }` of the training in flight (see `_stopTrainings`). */
    this._inFlight = new Map();
    /** `learn()`: which attributes each model it created chose as features, and why it left the others out. */
    this._featureSelections = new Map();
    this.stats = {
      totalTrainings: 0,
      totalPredictions: 0,
      totalErrors: 0,
      autoTrainings: 0,
      autoTrainingErrors: 0,
      startedAt: null,
    };
    /** How `backend` resolved on this machine (set on install). */
    this.backendInfo = null;
    this._autoTrainer = new AutoTrainer(this);
    this._store = new ModelStore(this);
    this._versions = new ServingVersions(this, this._store);
    this._snapshots = new SnapshotStore(this);
    /** modelName → records inserted since its last insert-triggered training (as upstream exposes it). */
    this.insertCounters = this._autoTrainer.insertCounters;
    for (const [name, config] of Object.entries(models)) {
      this._createModel(name, config);
    }
  }

  async onInstall() {
    this.backendInfo = await callNative(() => native().backendInfo(this.config.backend));
    // resource.ml routes to the first MLPlugin installed on a database, as upstream.
    this.database._mlPlugin ??= this;
    defineResourceAccessor();
    this._autoTrainer.start();
    this.stats.startedAt = new Date().toISOString();
    this.emit('db:plugin:installed', { plugin: 'MLPlugin', models: Object.keys(this.models) });
  }

  /** Trained models stored in the database start serving at once. */
  async onStart() {
    for (const modelName of Object.keys(this.models)) await this._versions.loadStored(modelName);
  }

  async onStop() {
    this._autoTrainer.stop();
    await this._stopTrainings();
    if (this.database?._mlPlugin === this) delete this.database._mlPlugin;
    for (const model of Object.values(this.models)) model.dispose();
  }

  /**
   * Aborts the trainings in flight and waits (at most STOP_WAIT_MS) until they have let go of
   * their locks. `db.disconnect()` stops the plugin before it tears the s3db.js client down, and on
   * S3 that client never settles a request sent after it: a training still running then hung in
   * its lock release, lost its version and left the lock to block every instance for
   * `trainingLockTtl`.
   */
  async _stopTrainings() {
    const running = [...this._inFlight.values()];
    if (running.length === 0) return;
    for (const { stopping } of running) stopping.abort();
    let timer;
    const limit = new Promise((resolve) => {
      timer = setTimeout(resolve, STOP_WAIT_MS);
      timer.unref?.();
    });
    await Promise.race([Promise.all(running.map(({ done }) => done)), limit]);
    clearTimeout(timer);
  }

  /** Validates a model definition and creates its model object. */
  _createModel(name, config) {
    if (!config || typeof config !== 'object') {
      throw new ModelConfigError(`Model "${name}" must be an object`, { modelName: name });
    }
    checkKeySafe(name, 'model name', name);
    checkKeySafe(config.resource, 'resource name', name);
    checkModelOptions(name, config);
    const ModelClass = MODEL_CLASSES[config.type];
    if (!ModelClass) {
      throw new ModelConfigError(
        `Model "${name}" must have a valid type: ${Object.keys(MODEL_CLASSES).join(', ')} (got ${display(config.type)})`,
        { modelName: name, type: config.type, validTypes: Object.keys(MODEL_CLASSES) },
      );
    }
    if (typeof config.resource !== 'string' || config.resource.length === 0) {
      throw new ModelConfigError(`Model "${name}" must name its \`resource\``, { modelName: name });
    }
    // A time series may forecast from its target's own history alone (`features: []`).
    const minFeatures = config.type === 'timeseries' ? 0 : 1;
    if (!Array.isArray(config.features) || config.features.length < minFeatures || !config.features.every((f) => typeof f === 'string')) {
      const what = minFeatures ? 'a non-empty array of field names' : 'an array of field names, empty for the target alone';
      throw new ModelConfigError(`Model "${name}" must list its \`features\` (${what})`, {
        modelName: name,
      });
    }
    if (typeof config.target !== 'string' || config.target.length === 0) {
      throw new ModelConfigError(`Model "${name}" must name its \`target\` field`, { modelName: name });
    }
    for (const fn of ['filter', 'map']) {
      if (config[fn] !== undefined && typeof config[fn] !== 'function') {
        throw new ModelConfigError(`Model "${name}": \`${fn}\` must be a function`, { modelName: name });
      }
    }
    const backend = config.backend ?? this.config.backend;
    if (!BACKENDS.includes(backend)) {
      throw new ModelConfigError(`Model "${name}": \`backend\` must be one of ${BACKENDS.join(', ')}`, { modelName: name, backend });
    }
    this.models[name] = new ModelClass({
      name,
      type: config.type,
      resource: config.resource,
      features: config.features,
      target: config.target,
      minSamples: config.minSamples ?? this.config.minTrainingSamples,
      // The plugin's `maxParameters` is the default cap of every model (see architecture.rs).
      modelConfig:
        this.config.maxParameters === undefined ? (config.modelConfig ?? {}) : { maxParameters: this.config.maxParameters, ...config.modelConfig },
      logLevel: this.config.logLevel,
      backend,
      timeField: config.timeField,
    });
    return this.models[name];
  }

  /**
   * The model named `modelName`. Only the registry's own entries count: `constructor` or
   * `toString` are names of Object.prototype's members, not models.
   */
  _model(modelName) {
    if (typeof modelName !== 'string' || !Object.hasOwn(this.models, modelName)) {
      throw new ModelNotFoundError(`Model ${display(modelName)} not found`, {
        modelName: typeof modelName === 'string' ? modelName : display(modelName),
        availableModels: Object.keys(this.models),
      });
    }
    return this.models[modelName];
  }

  _saveModelEnabled(modelName) {
    return this.config.models[modelName].saveModel ?? this.config.saveModel;
  }

  /** The resource a model trains on (ModelNotFoundError when it does not exist). */
  _resourceOf(modelName) {
    const config = this.config.models[modelName];
    const resource = this.database?.resources?.[config.resource];
    if (!resource) {
      throw new ModelNotFoundError(`Resource "${config.resource}" not found`, {
        modelName,
        resource: config.resource,
      });
    }
    return resource;
  }

  /**
   * Trains a model on every record of its resource (or its `partition`), after `filter` and `map`.
   * Records are read and converted page by page, so memory holds typed arrays, not records; with
   * the model's training snapshot, only records changed since the last training are read.
   * `options`: `{ backend, signal, onProgress, full }` (see BaseModel.train); `full: true` reads
   * every record and rewrites the snapshot.
   * @returns {Promise<object>} `{ loss, accuracy, epochs, samples, ... }`, or
   *   `{ skipped: true, reason: 'already_training' }` when it is already training.
   */
  async train(modelName, options = {}) {
    const model = this._model(modelName);
    options ??= {};
    if (this.training.get(modelName)) return { skipped: true, reason: 'already_training' };
    this.training.set(modelName, true);
    // Stopping the plugin aborts this training too (see _stopTrainings).
    const stopping = new AbortController();
    options = { ...options, signal: options.signal ? AbortSignal.any([options.signal, stopping.signal]) : stopping.signal };
    let finished;
    this._inFlight.set(modelName, { stopping, done: new Promise((resolve) => (finished = resolve)) });
    let lock = null;
    let result;
    try {
      // Instances sharing the bucket train a stored model one at a time; the others go on
      // serving and pick the new version up (see ServingVersions.refreshIfStale).
      if (this._saveModelEnabled(modelName) && this.database?.client) {
        lock = await acquireTrainingLock(this, modelName);
        if (!lock) return { skipped: true, reason: 'locked_by_another_instance' };
      }
      result = await this._trainAndStore(modelName, model, options);
    } catch (error) {
      this.stats.totalErrors++;
      if (error instanceof MLError) throw error;
      throw new TrainingError(`Training failed for "${modelName}": ${error.message}`, {
        modelName,
        originalError: error.message,
      });
    } finally {
      this.training.set(modelName, false);
      try {
        if (lock) await releaseTrainingLock(this, lock);
      } finally {
        this._inFlight.delete(modelName);
        finished();
      }
    }
    // Announced once the lock is free, so that a listener may train again at once.
    this.stats.totalTrainings++;
    // The version is stored and serving: a listener that throws must not make train() reject.
    callSafely((payload) => this.emit('plg:ml:model-trained', payload), { modelName, type: model.type, result }, "a 'plg:ml:model-trained' listener");
    return result;
  }

  /** Reads the training set, trains, and stores the new version when `saveModel` is on. */
  async _trainAndStore(modelName, model, options) {
    const resource = this._resourceOf(modelName);
    // Feature kinds come from the schema (strings are categories, ...) unless `featureTypes` says otherwise.
    model.useSchemaKinds(schemaKinds(resource));
    const config = this.config.models[modelName];
    const reportProgress = (progress) => {
      this.emit('plg:ml:training-progress', progress);
      // Returned, so that callSafely also hears of an async callback's rejection.
      return options.onProgress?.(progress);
    };
    const data = await readTrainingSet({
      resource,
      config,
      model,
      modelName,
      signal: options.signal,
      snapshots: this.database?.client ? this._snapshots : null,
      full: options.full === true,
      readConcurrency: config.readConcurrency ?? this.config.readConcurrency,
      // On S3 (unless `storage.native` is false) records are fetched by the native client too;
      // where it cannot be built, s3db.js reads them.
      objectStore: this.database?.client ? await this._store.weights.store().catch(() => null) : null,
      onProgress: (progress) => callSafely(reportProgress, progress, 'a training progress callback'),
      onSnapshotError: (error) => this.emit('plg:ml:snapshot-error', { modelName, error }),
    });
    try {
      const minimum = model.config.minSamples;
      if (data.samples < minimum) {
        throw new InsufficientDataError(`Insufficient training data: ${data.samples} samples (minimum: ${minimum})`, {
          modelName,
          model: modelName,
          samples: data.samples,
          minimum,
        });
      }
      // If the new version cannot be stored, the previous model goes on serving.
      const save = this._saveModelEnabled(modelName) && this.database?.client;
      const previous = save && model.isTrained ? model.export({ format: 'safetensors' }) : null;
      const result = await model.trainArrays(data, {
        backend: options.backend,
        signal: options.signal,
        earlyStopping: options.earlyStopping,
        onProgress: reportProgress,
      });
      result.read = data.read;
      if (save) result.version = await this._versions.saveTrained(modelName, model, result, previous, data);
      return result;
    } finally {
      // The snapshot is written while the model trains and is stored; the training is done once both are.
      await data.snapshotSaved;
    }
  }


  /** `[{ version, savedAt, isCurrent, metrics }]` of every stored version. */
  listModelVersions(modelName) {
    return this._versions.list(modelName);
  }

  /** Loads a stored version into memory (it serves in this process until the next load or training). */
  loadModelVersion(modelName, version) {
    return this._versions.load(modelName, version);
  }

  /** Loads `version` and makes it the one that serves, here and for every instance that loads later. */
  setActiveVersion(modelName, version) {
    return this._versions.setActive(modelName, version);
  }

  /** Activates `version` (default: the newest deployed version below the current one; see ModelVersions.rollback). */
  rollbackVersion(modelName, version = null) {
    return this._versions.rollback(modelName, version);
  }

  /** Metrics of two versions side by side, with the relative change of loss and accuracy. */
  compareVersions(modelName, version1, version2) {
    return this._versions.compare(modelName, version1, version2);
  }

  /**
   * The rows a version was trained on (default: the active version), when `saveTrainingData` was
   * on: `{ modelName, version, samples, features, target, data: [{ features, target }], savedAt }`,
   * or null. A `version` that is not a positive whole number is a DataValidationError, one that
   * is not stored a ModelNotFoundError.
   */
  async getTrainingData(modelName, version = null) {
    this._model(modelName);
    if (version === null || version === undefined) {
      const { currentVersion } = await this._store.versionInfo(modelName);
      return currentVersion > 0 ? this._store.trainingData(modelName, currentVersion) : null;
    }
    // A version asked for by number must exist; one stored without its rows gives null.
    await this._versions.requireStored(modelName, version);
    return this._store.trainingData(modelName, version);
  }

  /** `{ modelName, totalTrainings, latestVersion, history: [...], updatedAt }`, or null. */
  async getTrainingHistory(modelName) {
    this._model(modelName);
    return this._store.history(modelName);
  }

  /** An auto-training failed: nobody awaits it, so it is counted and emitted, never thrown. */
  _autoTrainingFailed(modelName, trigger, error) {
    this.stats.autoTrainingErrors++;
    try {
      this.emit('plg:ml:training-error', { modelName, trigger, error });
    } catch (listenerError) {
      process.emitWarning(`s3db-ml: a plg:ml:training-error listener threw: ${listenerError?.message ?? listenerError}`);
    }
  }

  /**
   * Trains from scratch. Every training here starts from freshly initialised weights (upstream's
   * `train()` continued from the previous ones), so this is `train()`; the current model keeps
   * serving until the new one replaces it, and keeps serving if training is skipped or fails.
   */
  async retrain(modelName, options = {}) {
    return this.train(modelName, options);
  }

  /** One prediction: `{ prediction, confidence, interval? , probabilities? }`. */
  async predict(modelName, input) {
    const model = this._model(modelName);
    await this._versions.ensureLoaded(modelName);
    try {
      const result = model.predictSync(input);
      this.stats.totalPredictions++;
      this.emit('plg:ml:prediction', { modelName, input, result });
      return result;
    } catch (error) {
      this.stats.totalErrors++;
      throw error;
    }
  }

  /**
   * Why `predict` says what it does for `input` (the same input): `{ prediction, baseline,
   * contributions: { feature: number }, label?, contributionsByStep? }` with `baseline +
   * Σ contributions = prediction` in the target's units (a label's calibrated probability for
   * classification). Integrated gradients from the training means; see README "Explanations".
   */
  async explain(modelName, input) {
    const model = this._model(modelName);
    await this._versions.ensureLoaded(modelName);
    return model.explain(input);
  }

  /**
   * `[{ feature, importance }]`, most important first: permutation importance on the rows the
   * serving version did not train on, in its own metric (rise in RMSE, fall in accuracy),
   * measured after training and stored with the version. A version stored before s3db-ml measured
   * it is measured now from its stored training rows (`saveTrainingData`), or this says why not.
   */
  async featureImportance(modelName) {
    const model = this._model(modelName);
    await this._versions.ensureLoaded(modelName);
    if (!model.isTrained) {
      throw new ModelNotTrainedError(`Model "${modelName}" is not trained yet`, { modelName, model: modelName });
    }
    const stored = model.importance;
    if (stored) return stored.features;
    const version = await this._versions.servingVersion(modelName);
    const kept = version > 0 && this.database?.client ? await this._store.trainingData(modelName, version) : null;
    if (!kept) {
      throw new MLError(
        `Model "${modelName}" has no feature importance: it was stored before s3db-ml measured it, and the rows it was trained on were not kept (saveTrainingData), so it cannot be measured now. Train it again to measure it.`,
        { modelName, version, statusCode: 409, reason: 'no_training_rows', suggestion: 'Train the model again (or keep its training rows with saveTrainingData: true).' },
      );
    }
    return (await model.computeImportance(model.snapshotArrays(kept.data))).features;
  }

  /** Many predictions at once (off the JavaScript thread). */
  async predictBatch(modelName, inputs) {
    const model = this._model(modelName);
    await this._versions.ensureLoaded(modelName);
    try {
      const results = await model.predictBatch(inputs);
      this.stats.totalPredictions += results.length;
      return results;
    } catch (error) {
      this.stats.totalErrors++;
      throw error;
    }
  }

  /**
   * The metric set of the model's kind: on `data` when given, otherwise on the rows held out of
   * its last training. Regression and numeric networks: R², MAE, RMSE, MAPE; classification:
   * accuracy, confusion matrix, per-label precision/recall/F1; time series: MAPE, MAE, RMSE.
   */
  async evaluate(modelName, options = {}) {
    const model = this._model(modelName);
    const data = options?.data;
    await this._versions.ensureLoaded(modelName);
    if (data === undefined) return model.heldOutMetrics();
    // Metrics of no records would read as a perfect score (R² 1, error 0).
    if (Array.isArray(data) && data.length === 0) {
      throw new InsufficientDataError(`Model "${modelName}": evaluate() needs at least one record in \`data\`, got none`, { model: modelName, samples: 0, minimum: 1 });
    }
    return model.evaluate(data);
  }

  /**
   * The trained model with its weights: a self-contained JSON object, or with
   * `{ format: 'safetensors' }` a Buffer that standard safetensors readers load.
   */
  async exportModel(modelName, options = {}) {
    const model = this._model(modelName);
    await this._versions.ensureLoaded(modelName);
    return model.export(options ?? {});
  }

  /** Restores a model from `exportModel()` output; predictions are then identical to the exporter's. */
  async importModel(modelName, data) {
    const model = this._model(modelName);
    const previous = model.isTrained ? model.export({ format: 'safetensors' }) : null;
    model.import(data);
    if (this._saveModelEnabled(modelName) && this.database?.client) {
      // The exporter's training figures, held-out metrics included, so that the versions API and a
      // later `deploy: 'if-better'` training compare against them. An import is the user's explicit
      // choice of model: it serves whatever the deploy policy.
      const result = model.trainingResult() ?? { loss: model.stats.loss, accuracy: model.stats.accuracy, samples: model.stats.samples };
      await this._versions.saveTrained(modelName, model, result, previous, null, { deploy: 'always' });
    }
  }

  /**
   * The training report of a version (default: the one serving here) as one self-contained HTML
   * page, or with `{ format: 'svg' }` its charts alone: `[{ id, title, caption, svg }]`.
   */
  async report(modelName, options = {}) {
    return modelReport(this, modelName, options);
  }

  getModelStats(modelName) {
    return this._model(modelName).getStats();
  }

  getStats() {
    const models = Object.values(this.models);
    return {
      ...this.stats,
      models: models.length,
      trainedModels: models.filter((m) => m.isTrained).length,
      backend: this.backendInfo,
    };
  }

  // ---- resource.ml (contract §5.5): the accessor in resource-api.js calls these by name ----

  /**
   * The model of `resourceName` that predicts `target`, or null. The last configured one wins, as in
   * the upstream plugin (its model cache is built in configuration order, each pair overwritten).
   */
  _findModelForResource(resourceName, target) {
    let found = null;
    for (const [name, config] of Object.entries(this.config.models)) {
      if (config.resource === resourceName && config.target === target) found = name;
    }
    return found;
  }

  /** Like `_findModelForResource`, but a missing model is a ModelNotFoundError. */
  _requireModelForResource(resourceName, target) {
    const modelName = this._findModelForResource(resourceName, target);
    if (!modelName) {
      throw new ModelNotFoundError(`No model found for resource "${resourceName}" with target "${target}"`, {
        resourceName,
        targetAttribute: target,
        availableModels: Object.keys(this.models),
      });
    }
    return modelName;
  }

  /**
   * Zero-config training (contract §5.6): creates `{resource}_{target}_auto` with a detected type
   * and features the first time, retrains the existing model afterwards. Both return `modelName`.
   * `options`: any model configuration key, plus `signal`/`onProgress` for this training.
   */
  async _resourceLearn(resourceName, target, options = {}) {
    options ??= {};
    const modelName = this._findModelForResource(resourceName, target) ?? (await this._learnModel(resourceName, target, options));
    const { type, features } = this.config.models[modelName];
    const featureSelection = this._featureSelections.get(modelName);
    return { modelName, type, features, target, ...(featureSelection && { featureSelection }), ...(await this.train(modelName, options)) };
  }

  /** Creates the auto model of `learn()` (validated like a configured one) and returns its name. */
  async _learnModel(resourceName, target, options) {
    const resource = this.database?.resources?.[resourceName];
    if (!resource) {
      throw new ModelConfigError(`Resource "${resourceName}" not found`, {
        resourceName,
        availableResources: Object.keys(this.database?.resources ?? {}),
      });
    }
    const samples = await resource.list({ limit: 100 });
    // A concurrent learn() of the same target may have created the model during that read.
    const created = this._findModelForResource(resourceName, target);
    if (created) return created;
    const modelName = `${resourceName}_${target}_auto`;
    // Before the model exists: a typo'd target must not leave a model behind.
    const withTarget = samples.filter((record) => record?.[target] !== null && record?.[target] !== undefined).length;
    assertTargetExists(target, { records: samples.length, withTarget, resource, config: { resource: resourceName }, modelName });
    const { type: chosenType, features: chosenFeatures, modelConfig, ...rest } = options;
    // Options of this one training, not of the model.
    delete rest.signal;
    delete rest.onProgress;
    delete rest.full;
    const type = chosenType ?? detectType(samples, target);
    // `features: []` is a choice too (a time series of its target's own history).
    const selection = Array.isArray(chosenFeatures) ? null : selectFeatures(resource, target, samples);
    const config = {
      autoTrain: false,
      saveModel: true,
      saveTrainingData: false,
      ...rest,
      type,
      resource: resourceName,
      features: selection ? selection.features : chosenFeatures,
      target,
      modelConfig: learnModelConfig(type, samples.length, modelConfig),
    };
    this._addModel(modelName, config);
    if (selection) this._featureSelections.set(modelName, { chosen: selection.chosen, leftOut: selection.leftOut });
    return modelName;
  }

  /** Registers a model created while running (its auto-training, if any, starts now). */
  _addModel(modelName, config) {
    this._createModel(modelName, config);
    this.config.models[modelName] = config;
    this._autoTrainer.setup(modelName);
  }

  async _resourcePredict(resourceName, input, target) {
    return this.predict(this._requireModelForResource(resourceName, target), input);
  }

  async _resourceExplain(resourceName, input, target) {
    return this.explain(this._requireModelForResource(resourceName, target), input);
  }

  async _resourceTrainModel(resourceName, target, options = {}) {
    return this.train(this._requireModelForResource(resourceName, target), options);
  }

  async _resourceReport(resourceName, target, options = {}) {
    return this.report(this._requireModelForResource(resourceName, target), options);
  }

  _resourceListModels(resourceName) {
    return Object.entries(this.config.models)
      .filter(([, config]) => config.resource === resourceName)
      .map(([name, config]) => ({
        name,
        type: config.type,
        target: config.target,
        features: config.features,
        isTrained: this.models[name]?.isTrained ?? false,
      }));
  }
}

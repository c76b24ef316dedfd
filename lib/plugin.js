// The s3db.js plugin: model registry, training pipeline (read → filter → map → check → train),
// predictions, statistics and events. The maths runs in the native engine; this file wires it to
// s3db.js's lifecycle and keeps the upstream MLPlugin's public surface.
import { Plugin } from 's3db.js';
import { native } from './native.js';
import {
  callNative,
  InsufficientDataError,
  MLError,
  ModelConfigError,
  ModelNotFoundError,
  TrainingError,
} from './errors.js';
import { RegressionModel } from './models/regression-model.js';
import { ClassificationModel } from './models/classification-model.js';
import { TimeSeriesModel } from './models/timeseries-model.js';
import { NeuralNetworkModel } from './models/neural-network-model.js';

const MODEL_CLASSES = {
  regression: RegressionModel,
  classification: ClassificationModel,
  timeseries: TimeSeriesModel,
  'neural-network': NeuralNetworkModel,
};
const BACKENDS = ['auto', 'wgpu', 'cpu'];

export class MLPlugin extends Plugin {
  /**
   * @param {import('../index').MLPluginOptions} options
   */
  constructor(options = {}) {
    // slug 'ml' keeps storage under plugin=ml/ and the registry key 'ml', like upstream.
    super({ slug: 'ml', ...options });
    const {
      models = {},
      minTrainingSamples = 10,
      saveModel = true,
      saveTrainingData = false,
      enableVersioning = true,
      backend = 'auto',
      ...rest
    } = options;
    if (!BACKENDS.includes(backend)) {
      throw new ModelConfigError(`\`backend\` must be one of ${BACKENDS.join(', ')}, got ${JSON.stringify(backend)}`, {
        backend,
      });
    }
    this.config = {
      models,
      logLevel: this.logLevel,
      minTrainingSamples,
      saveModel,
      saveTrainingData,
      enableVersioning,
      backend,
      ...rest,
    };
    this.models = {};
    /** modelName → true while that model trains. */
    this.training = new Map();
    this.stats = { totalTrainings: 0, totalPredictions: 0, totalErrors: 0, startedAt: null };
    /** How `backend` resolved on this machine (set on install). */
    this.backendInfo = null;
    for (const [name, config] of Object.entries(models)) {
      this._createModel(name, config);
    }
  }

  async onInstall() {
    this.backendInfo = await callNative(() => native().backendInfo(this.config.backend));
    this.stats.startedAt = new Date().toISOString();
    this.emit('db:plugin:installed', { plugin: 'MLPlugin', models: Object.keys(this.models) });
  }

  async onStop() {
    for (const model of Object.values(this.models)) model.dispose();
  }

  /** Validates a model definition and creates its model object. */
  _createModel(name, config) {
    if (!config || typeof config !== 'object') {
      throw new ModelConfigError(`Model "${name}" must be an object`, { modelName: name });
    }
    const ModelClass = MODEL_CLASSES[config.type];
    if (!ModelClass) {
      throw new ModelConfigError(
        `Model "${name}" must have a valid type: ${Object.keys(MODEL_CLASSES).join(', ')} (got ${JSON.stringify(config.type)})`,
        { modelName: name, type: config.type, validTypes: Object.keys(MODEL_CLASSES) },
      );
    }
    if (typeof config.resource !== 'string' || config.resource.length === 0) {
      throw new ModelConfigError(`Model "${name}" must name its \`resource\``, { modelName: name });
    }
    if (!Array.isArray(config.features) || config.features.length === 0 || !config.features.every((f) => typeof f === 'string')) {
      throw new ModelConfigError(`Model "${name}" must list its numeric \`features\` (a non-empty array of field names)`, {
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
      modelConfig: config.modelConfig ?? {},
      logLevel: this.config.logLevel,
      backend,
      timeField: config.timeField,
    });
    return this.models[name];
  }

  _model(modelName) {
    const model = this.models[modelName];
    if (!model) {
      throw new ModelNotFoundError(`Model "${modelName}" not found`, {
        modelName,
        availableModels: Object.keys(this.models),
      });
    }
    return model;
  }

  /** Every record the model trains on: all of the resource (or its partition), then filter, then map. */
  async _trainingRecords(modelName) {
    const config = this.config.models[modelName];
    const resource = this.database?.resources?.[config.resource];
    if (!resource) {
      throw new ModelNotFoundError(`Resource "${config.resource}" not found`, {
        modelName,
        resource: config.resource,
      });
    }
    let records;
    try {
      records = config.partition?.name
        ? await readPartition(resource, config.partition)
        : await resource.getAll();
    } catch (error) {
      throw new TrainingError(`Failed to fetch training data for "${modelName}": ${error.message}`, {
        modelName,
        resource: config.resource,
        partition: config.partition?.name,
        originalError: error.message,
      });
    }
    if (config.filter) records = records.filter((record) => callUser(config.filter, record, modelName, 'filter'));
    if (config.map) records = records.map((record) => callUser(config.map, record, modelName, 'map'));
    return records;
  }

  /**
   * Trains a model on its resource's data.
   * @returns {Promise<object>} `{ loss, accuracy, epochs, samples, ... }`, or
   *   `{ skipped: true, reason: 'already_training' }` when it is already training.
   */
  async train(modelName, options = {}) {
    const model = this._model(modelName);
    if (this.training.get(modelName)) return { skipped: true, reason: 'already_training' };
    this.training.set(modelName, true);
    try {
      const records = await this._trainingRecords(modelName);
      const minimum = model.config.minSamples;
      if (records.length < minimum) {
        throw new InsufficientDataError(
          `Insufficient training data: ${records.length} samples (minimum: ${minimum})`,
          { modelName, model: modelName, samples: records.length, minimum },
        );
      }
      const result = await model.train(records, {
        backend: options.backend,
        signal: options.signal,
        onProgress: (progress) => {
          this.emit('plg:ml:training-progress', progress);
          options.onProgress?.(progress);
        },
      });
      this.stats.totalTrainings++;
      this.emit('plg:ml:model-trained', { modelName, type: model.type, result });
      return result;
    } catch (error) {
      this.stats.totalErrors++;
      if (error instanceof MLError) throw error;
      throw new TrainingError(`Training failed for "${modelName}": ${error.message}`, {
        modelName,
        originalError: error.message,
      });
    } finally {
      this.training.set(modelName, false);
    }
  }

  /** Forgets the current weights and trains from scratch. */
  async retrain(modelName, options = {}) {
    const model = this._model(modelName);
    if (this.training.get(modelName)) return { skipped: true, reason: 'already_training' };
    model.dispose();
    return this.train(modelName, options);
  }

  /** One prediction: `{ prediction, confidence, interval? , probabilities? }`. */
  async predict(modelName, input) {
    const model = this._model(modelName);
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

  /** Many predictions at once (off the JavaScript thread). */
  async predictBatch(modelName, inputs) {
    const model = this._model(modelName);
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
  async evaluate(modelName, { data } = {}) {
    const model = this._model(modelName);
    if (data !== undefined) return model.evaluate(data);
    return model.heldOutMetrics();
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

/** All records of one partition, page by page (listPartition returns 1000 at most per call). */
async function readPartition(resource, partition) {
  const pageSize = 1000;
  const records = [];
  for (let offset = 0; ; offset += pageSize) {
    const page = await resource.listPartition({
      partition: partition.name,
      partitionValues: partition.values ?? {},
      limit: pageSize,
      offset,
    });
    records.push(...page);
    if (page.length < pageSize) return records;
  }
}

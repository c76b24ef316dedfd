// Public types of s3db-ml. The native layer's own declarations are generated into binding.d.ts.
import type { Plugin } from 's3db.js';
import 's3db.js';
import {
  MLError,
  ModelConfigError,
  TrainingError,
  PredictionError,
  ModelNotFoundError,
  ModelNotTrainedError,
  DataValidationError,
  InsufficientDataError,
  TensorFlowDependencyError,
} from 's3db.js/plugins/ml.errors';
// With its extension: `moduleResolution: nodenext` (and node16) resolve nothing without one.
import type { BackendInfo } from './binding.js';

export {
  MLError,
  ModelConfigError,
  TrainingError,
  PredictionError,
  ModelNotFoundError,
  ModelNotTrainedError,
  DataValidationError,
  InsufficientDataError,
  TensorFlowDependencyError,
};
export type { BackendInfo };

/** No compute backend can run the model. Extends TensorFlowDependencyError, which the docs catch. */
export declare class ComputeBackendUnavailableError extends TensorFlowDependencyError {
  /** When the native addon did not load: this machine's platform, e.g. `linux-arm64-musl`. */
  platform?: string;
  /** When the native addon did not load: the platforms with a prebuilt package. */
  supportedPlatforms?: string[];
}
/** Training was stopped through its AbortSignal; the previous model keeps serving. */
export declare class TrainingAbortedError extends TrainingError {}
/** A stored model object could not be written or read; `notFound` when it does not exist. */
export declare class ModelStorageError extends MLError {
  notFound: boolean;
  key?: string;
  /** S3's error code (`InvalidAccessKeyId`, `NoSuchBucket`...), when S3 answered. */
  s3Code?: string;
  httpStatus?: number;
}

/** Where model weights go (`MLPluginOptions.storage`). */
export interface StorageOptions {
  /**
   * On an S3 database, write and read weights from Rust with aws-sdk-s3 (default true). `false`
   * sends them through the s3db.js client, as on memory:// and file:// databases.
   */
  native?: boolean;
  /** Weights of this many bytes or more go up as a multipart upload (default 8 MiB; at least `partSize`). */
  multipartThreshold?: number;
  /** Bytes per multipart part (default 8 MiB; at least 5 MiB, S3's minimum). */
  partSize?: number;
}

export type Backend = 'auto' | 'wgpu' | 'cpu';
export type Activation = 'relu' | 'sigmoid' | 'tanh' | 'elu' | 'selu' | 'linear' | 'softmax';
export type Label = string | number | boolean;
export type DataRecord = Record<string, unknown>;

export interface LayerConfig {
  units: number;
  activation?: Activation;
  dropout?: number;
  batchNormalization?: boolean;
}

export type LossName = 'meanSquaredError' | 'meanAbsoluteError' | 'binaryCrossentropy' | 'categoricalCrossentropy';

export interface EarlyStoppingOptions {
  /** Epochs without improvement before stopping (default 10). */
  patience?: number;
  /** Smallest decrease that counts as an improvement (default 0.001). */
  minDelta?: number;
  /** 'val_loss' (default; the training loss when nothing is held out) or 'loss'. */
  monitor?: 'val_loss' | 'loss';
  /** Keep the best epoch's weights (default true). */
  restoreBestWeights?: boolean;
}

/** How a feature's values become numbers (docs/preprocessing.md). */
export type FeatureKind = 'numeric' | 'category' | 'boolean' | 'date';
/** How a missing value is filled: a strategy, a fixed number, or 'error' to refuse it. */
export type ImputeSetting = 'mean' | 'median' | 'mode' | 'zero' | 'error' | number;

/** What training did with one feature (`result.preprocessing[feature]`). */
export interface FeaturePreprocessing {
  kind: FeatureKind;
  /** Missing values among the training rows. */
  missing: number;
  /** What a missing value becomes (absent in 'error' mode): a number, a category, a boolean or an ISO date. */
  imputedWith?: unknown;
  /** Categories: the vocabulary, most frequent first (at most 50). */
  categories?: Label[];
  /** Categories: training values that went to "other" (rare or beyond the cap). */
  other?: number;
}

/** What a prediction had to assume about one feature. */
export interface PredictionWarning {
  feature: string;
  kind: 'imputed' | 'unseen_category';
}

export interface ModelHyperParameters {
  /**
   * The most trainable parameters this network may have (default: the plugin's `maxParameters`,
   * else 10,000,000; at most 1,000,000,000). A larger network is a ModelConfigError when the model
   * is configured, before anything is allocated.
   */
  maxParameters?: number;
  /** Feature kinds that override the schema's (e.g. `{ listedAt: 'date', zip: 'category' }`). */
  featureTypes?: Record<string, FeatureKind>;
  /** How missing values are filled per feature (default: median for numbers and dates, mode otherwise). */
  impute?: Record<string, ImputeSetting>;
  /** Passes over the training rows (default 50). */
  epochs?: number;
  /** Rows per gradient step (default 32). */
  batchSize?: number;
  /** Adam step size (default 0.01). */
  learningRate?: number;
  /** Share of rows held out for validation, calibration and metrics (default 0.2). */
  validationSplit?: number;
  /** Shuffle rows every epoch (default true). */
  shuffle?: boolean;
  /** Seed of initialisation, shuffling and the split (default 42): same seed, same model. */
  seed?: number;
  /** Regression: 1 = linear, 2..5 = polynomial of that degree (default 1). */
  polynomial?: number;
  /** Hidden layer size (polynomial regression, classification; default 64). */
  units?: number;
  /** Hidden layer activation (default 'relu'). */
  activation?: Activation;
  /** Classification: dropout after the first hidden layer (default 0.2). */
  dropout?: number;
  /** Regression, time series, numeric networks: coverage of the prediction interval (default 0.9). */
  intervalCoverage?: number;
  /** Stop training when the monitored loss stops improving (every model type). */
  earlyStopping?: EarlyStoppingOptions;
  /** Time series: records per prediction (default 10). */
  lookback?: number;
  /** Time series: LSTM size (default 50). */
  lstmUnits?: number;
  /** Time series: dense layer after the LSTM (default 25). */
  denseUnits?: number;
  /** Time series: dropout on the hidden state fed back at each step (default 0.2). */
  recurrentDropout?: number;
  /** Neural network: hidden layers (default 64 relu with dropout 0.2, then 32 relu with 0.1). */
  layers?: LayerConfig[];
  /** Neural network: output activation (default 'linear'). */
  outputActivation?: Activation;
  /** Neural network: output units (default 1; one per label with 'categoricalCrossentropy'). */
  outputUnits?: number;
  /** Neural network: loss (default 'meanSquaredError'). */
  loss?: LossName;
  /** Neural network: metric names, kept for reference. */
  metrics?: string[];
}

export interface ModelConfig {
  type: 'regression' | 'classification' | 'timeseries' | 'neural-network';
  /** Time series: the field that orders records (default: timestamp, createdAt or date). */
  timeField?: string;
  resource: string;
  /** Fields the model reads (numbers, categories, booleans or dates: docs/preprocessing.md); a time series may list none (it then forecasts from the target's history). */
  features: string[];
  target: string;
  /** Train on this partition of the resource only; one the resource does not define is a ModelConfigError. */
  partition?: { name: string; values?: Record<string, unknown> };
  /** Applied to every record, page by page, before `map`. */
  filter?: (record: DataRecord) => boolean;
  map?: (record: DataRecord) => DataRecord;
  /** Enables `trainAfterInserts` and `trainInterval`. */
  autoTrain?: boolean;
  /** Retrain after this many new records (insert, insertMany, upserts that create). */
  trainAfterInserts?: number;
  /** Retrain every this many milliseconds (1 to 2^31-1), until the plugin stops. */
  trainInterval?: number;
  /** Overrides the plugin's `minTrainingSamples`. */
  minSamples?: number;
  /** Overrides the plugin's `backend`. */
  backend?: Backend;
  /** 'always' (default) activates every new version; 'if-better' only one that beats the active version on held-out rows. */
  deploy?: 'always' | 'if-better';
  saveModel?: boolean;
  saveTrainingData?: boolean;
  /** Overrides the plugin's `readConcurrency`. */
  readConcurrency?: number;
  modelConfig?: ModelHyperParameters;
}

export interface MLPluginOptions {
  models?: Record<string, ModelConfig>;
  /** Rows required after filter/map before training (default 10). */
  minTrainingSamples?: number;
  saveModel?: boolean;
  saveTrainingData?: boolean;
  enableVersioning?: boolean;
  /** Where training runs (default 'auto': wgpu on a real GPU, else the CPU). */
  backend?: Backend;
  /** How often (ms) an instance checks storage for a newer active version (default 5000; 0 = every call; Infinity = never). */
  refreshInterval?: number;
  /** Seconds after which another instance may take over a crashed trainer's lock (default 900). */
  trainingLockTtl?: number;
  /** Where model weights go. */
  storage?: StorageOptions;
  /**
   * The most trainable parameters a model may have (default 10,000,000; at most 1,000,000,000),
   * unless its `modelConfig.maxParameters` says otherwise. Checked when a model is configured.
   */
  maxParameters?: number;
  /** GETs in flight while training reads records (default 50; 1 to 1024). */
  readConcurrency?: number;
  logLevel?: string;
  verbose?: boolean;
  namespace?: string;
}

/** One stored training in `getTrainingHistory()`. */
export interface TrainingHistoryEntry {
  version: number;
  totalSamples: number | null;
  metrics: { loss: number | null; accuracy: number | null; heldOut: Record<string, unknown> | null };
  /** Where its rows are kept (`saveTrainingData`), or null. */
  storageKey: string | null;
  /** Whether the version was stored to serve (false: `deploy: 'if-better'` turned it down); null when not known. */
  deployed: boolean | null;
  trainedAt: string;
  /** Filled in from the version's record: the process that stored it ended before writing this entry. */
  recovered?: true;
}

export interface TrainingHistory {
  modelName: string;
  type: 'training_history';
  totalTrainings: number;
  latestVersion: number;
  history: TrainingHistoryEntry[];
  updatedAt: string;
}

export interface TrainResult {
  /** Final-epoch training loss (normalised units). */
  loss: number;
  valLoss: number | null;
  /** Classification: held-out accuracy. Regression: null. */
  accuracy: number | null;
  /** Epochs run (fewer than configured when early stopping ended training). */
  epochs: number;
  stoppedEarly: boolean;
  bestEpoch: number;
  samples: number;
  trainSamples: number;
  validationSamples: number;
  backend: 'cpu' | 'wgpu';
  /**
   * What trained the model: 'least-squares' (regression without hidden layers: the exact fit),
   * 'logistic-regression' (classification whose network did not beat the converged logistic
   * regression on the held-out rows: the model is that regression), 'native' (s3db-ml's own CPU
   * engine for dense networks and the LSTM) or 'burn' (Burn's autodiff: GPUs, batch normalisation).
   */
  engine: 'least-squares' | 'logistic-regression' | 'native' | 'burn';
  durationMs: number;
  /**
   * Held-out metrics, what `evaluate(name)` returns: R², MAE, RMSE and MAPE for numbers; for labels
   * the accuracy and the confusion matrix and per-label precision, recall and F1 keyed by label.
   */
  metrics: RegressionMetrics | TimeSeriesMetrics | (ConfusionMatrix & { perLabel: Record<string, unknown> }) | null;
  /** How each feature was prepared (kinds, missing counts, vocabularies). */
  preprocessing: Record<string, FeaturePreprocessing> | null;
  /** Records skipped because their target was missing. */
  missingTargets: number;
  /** Why the model may be poor although training succeeded (e.g. too few optimiser steps to converge). */
  warnings: string[];
  /** The plugin's `train()`: how the records were read. */
  read?: ReadReport;
  /** The plugin's `train()` with `saveModel` on: the version the model was stored as. */
  version?: number;
  /**
   * The plugin's `train()` with `saveModel` on: whether that version now serves (false when
   * `deploy: 'if-better'` turned it down; it is stored and listed all the same).
   */
  deployed?: boolean;
}

/**
 * `exportModel()`'s JSON: the weights (`model`, base64 safetensors) with the fields the upstream
 * model classes export for their type.
 */
export interface ModelExport {
  format: 's3db-ml';
  formatVersion: number;
  type: ModelConfig['type'];
  config: ModelStats['config'];
  normalizer: Normalizer;
  stats: Record<string, unknown>;
  isTrained: true;
  model: string;
  /** Regression: the polynomial degree. */
  polynomial?: number;
  /** Classification (and categorical networks): the labels by class index, and both maps. */
  classes?: Label[];
  classToIndex?: Record<string, number>;
  indexToClass?: Record<number, Label>;
  /** Time series: records per prediction. */
  lookback?: number;
  /** Neural network: `getArchitecture()`. */
  architecture?: Architecture;
}

/** One finished epoch, as `onProgress` and `plg:ml:training-progress` receive it. */
export interface TrainingProgress {
  phase: 'train';
  modelName: string;
  epoch: number;
  epochs: number;
  loss: number;
  /** Absent when no rows were held out. */
  valLoss?: number;
  elapsedMs: number;
  etaMs: number;
}

/** The read phase of a plugin's `train()`: records read so far out of the records to read. */
export interface ReadProgress {
  phase: 'read';
  modelName: string;
  /** Records fetched so far. */
  read: number;
  /** Records this training fetches (all of them on a full read, the changed ones on an incremental read). */
  total: number;
  elapsedMs: number;
}

/** How `train()` read its records. */
export interface ReadReport {
  /** 'incremental' when the model's training snapshot was used, else 'full'. */
  mode: 'full' | 'incremental';
  /** Why the read was full (null when incremental): 'missing', 'configuration changed', 'damaged', 'full read requested', ... */
  reason: string | null;
  /** Records listed (the resource, or its partition). */
  listed: number;
  /** Records fetched with a GET. */
  fetched: number;
  /** Records whose prepared row came from the snapshot. */
  reused: number;
  /** Records of the snapshot that no longer exist. */
  deleted: number;
  /** The most records fetched and not yet converted at once: a full read holds a window of records, not the resource. */
  recordsAhead: number;
  durationMs: number;
}

export interface TrainOptions {
  backend?: Backend;
  /** Aborting stops training within one batch (TrainingAbortedError); the previous model keeps serving. */
  signal?: AbortSignal;
  /**
   * Called after every epoch (none after an abort). An exception it throws, or a rejection of the
   * promise it returns, becomes a process warning (`process.emitWarning`) and does not stop the
   * training.
   */
  onProgress?: (progress: TrainingProgress) => void;
  /** Early stopping for this training only. */
  earlyStopping?: EarlyStoppingOptions;
}

/** Options of the plugin's `train()`: its progress also reports the read phase. */
export interface PluginTrainOptions extends TrainOptions {
  /** Read every record, ignoring the training snapshot (which is then rewritten). */
  full?: boolean;
  onProgress?: (progress: TrainingProgress | ReadProgress) => void;
}

/** Training rows already converted (see `BaseModel.trainArrays`). */
export interface TrainingArrays {
  /** Row-major, one row per sample of its encoded columns (a date is 5; a time series appends its target to each row and leaves `targets` empty). */
  features: Float64Array;
  /** Regression: target values. Classification: class indices into `labels`. */
  targets: Float64Array;
  /** Classification: the label of each class index. */
  labels?: Label[];
  /** How records became `features` (a TrainingSet's `finish()` gives it); absent: every feature a number. */
  preparation?: unknown;
  missingTargets?: number;
}

export interface SkippedTraining {
  skipped: true;
  reason: 'already_training' | 'locked_by_another_instance';
}

export interface RegressionPrediction {
  prediction: number;
  /**
   * T / (T + h·e^(2d)): T is 5% of the target's training range, h the interval's half-width and d
   * how far the input lies outside the training range (in units of that range). 1 without held-out
   * error; always in (0, 1].
   */
  confidence: number;
  /** Split-conformal prediction interval at `intervalCoverage` (default 90%). */
  interval: [number, number];
  /** Present only when a missing value was imputed or a category was not in the vocabulary. */
  warnings?: PredictionWarning[];
}

export interface ClassificationPrediction {
  prediction: Label;
  /** Probability of the predicted label. */
  confidence: number;
  probabilities: Record<string, number>;
  /** Present only when a missing value was imputed or a category was not in the vocabulary. */
  warnings?: PredictionWarning[];
}

/** A binary (`binaryCrossentropy`) network's prediction: P(1), with no interval. */
export interface ProbabilityPrediction {
  prediction: number;
  /** max(p, 1 − p). */
  confidence: number;
  /** Present only when a missing value was imputed or a category was not in the vocabulary. */
  warnings?: PredictionWarning[];
}

export type Prediction = RegressionPrediction | ClassificationPrediction | ProbabilityPrediction;

/**
 * Why a prediction is what it is: `baseline + Σ contributions = prediction`, in the target's
 * units. Integrated gradients from the training means (exact for linear and ReLU networks).
 */
export interface Explanation {
  /** The predicted value; for label models the calibrated probability of `label`. */
  prediction: number;
  /** The model's output at the reference input (the training means). */
  baseline: number;
  /** Per feature (and, for a time series, the target's own history under its field name). */
  contributions: Record<string, number>;
  /** Label models: the predicted label, whose probability is explained. */
  label?: Label;
  /** Time series: per record of the window, oldest first, the contributions of its values. */
  contributionsByStep?: Array<Record<string, number>>;
}

export interface FeatureImportance {
  feature: string;
  /** The rise in RMSE (target units) or the fall in accuracy when the feature is shuffled. */
  importance: number;
}

/** Permutation importance as measured after training and stored with the version. */
export interface ImportanceReport {
  metric: 'rmse' | 'accuracy';
  /** The metric on the measured rows unshuffled. */
  baseline: number;
  samples: number;
  source: 'validation' | 'training';
  repeats: number;
  seed: number;
  /** Most important first. */
  features: FeatureImportance[];
}

export interface RegressionMetrics {
  r2: number;
  mae: number;
  rmse: number;
  mape: number | null;
  samples: number;
}

export interface ConfusionMatrix {
  matrix: Record<string, Record<string, number>>;
  accuracy: number;
  total: number;
  correct: number;
}

export interface ModelStats {
  trainedAt: string | null;
  samples: number;
  loss: number | null;
  accuracy: number | null;
  predictions: number;
  errors: number;
  r2?: number;
  isTrained: boolean;
  /** How the serving model prepares each feature; null when untrained. */
  preprocessing: Record<string, FeaturePreprocessing> | null;
  /** Permutation importance measured after training; null for models stored before it existed. */
  importance: ImportanceReport | null;
  config: {
    name: string;
    resource: string;
    features: string[];
    target: string;
    minSamples: number;
    modelConfig: Record<string, unknown>;
    logLevel: string;
  };
}

export interface Normalizer {
  features: Record<string, { min: number; max: number }>;
  target: { min: number; max: number };
}

/**
 * What every model shares. `Input` is what one prediction takes (a record; for a time series, a
 * sequence of `lookback` records) and `Output` what it returns.
 */
export declare class BaseModel<Input = DataRecord, Output extends Prediction = Prediction> {
  readonly type: string;
  readonly config: ModelStats['config'];
  /** Counters of this instance (`getStats()` adds `isTrained`, `config`, `preprocessing` and `importance`). */
  readonly stats: Pick<ModelStats, 'trainedAt' | 'samples' | 'loss' | 'accuracy' | 'predictions' | 'errors'>;
  readonly isTrained: boolean;
  readonly normalizer: Normalizer;
  readonly parameterCount: number;
  /** How the serving model prepares each feature; null when untrained. */
  readonly preprocessing: Record<string, FeaturePreprocessing> | null;
  train(records: DataRecord[], options?: TrainOptions): Promise<TrainResult>;
  trainArrays(data: TrainingArrays, options?: TrainOptions): Promise<TrainResult>;
  trainWithEarlyStopping(records: DataRecord[], options?: EarlyStoppingOptions & TrainOptions): Promise<TrainResult>;
  heldOutMetrics(): RegressionMetrics | Record<string, unknown>;
  predict(input: Input): Promise<Output>;
  predictSync(input: Input): Output;
  predictBatch(inputs: Input[]): Promise<Output[]>;
  explain(input: Input): Promise<Explanation>;
  explainSync(input: Input): Explanation;
  readonly importance: ImportanceReport | null;
  dispose(): void;
  getStats(): ModelStats;
}

export declare class RegressionModel extends BaseModel<DataRecord, RegressionPrediction> {
  evaluate(records: DataRecord[]): Promise<RegressionMetrics>;
  calculateR2Score(records: DataRecord[]): Promise<number>;
}

export declare class ClassificationModel extends BaseModel<DataRecord, ClassificationPrediction> {
  readonly classes: Label[];
  evaluate(records: DataRecord[]): Promise<ConfusionMatrix & { perLabel: Record<string, { precision: number; recall: number; f1: number; support: number }> }>;
  calculateConfusionMatrix(records: DataRecord[]): Promise<ConfusionMatrix>;
}

export interface TimeSeriesMetrics extends RegressionMetrics {}

export interface Architecture {
  inputFeatures: string[];
  hiddenLayers: Array<Required<LayerConfig> & { index: number }>;
  outputLayer: { units: number; activation: Activation };
  /** Trainable parameters (batch normalisation counts its scale and shift). */
  totalParameters: number;
  loss: LossName;
  metrics: string[];
}

/** A prediction takes exactly `lookback` records with features and target, in any order. */
export declare class TimeSeriesModel extends BaseModel<DataRecord[], RegressionPrediction> {
  readonly lookback: number;
  predictMultiStep(records: DataRecord[], steps?: number): Promise<number[]>;
  evaluate(records: DataRecord[]): Promise<TimeSeriesMetrics>;
  /** Mean absolute percentage error, skipping actual values of 0; null when every actual value is 0. */
  calculateMAPE(records: DataRecord[]): Promise<number | null>;
}

export declare class NeuralNetworkModel extends BaseModel {
  /** A categorical network's labels by output unit; `[0, 1]` for a binary one (it predicts P(1)); `[]` otherwise. */
  readonly classes: Label[];
  getArchitecture(): Architecture;
  addLayer(layer: LayerConfig): this;
  setOutput(output: { units?: number; activation?: Activation; loss?: LossName; metrics?: string[] }): this;
  /** Regression metrics for a numeric target; a categorical or binary network (labels "0"/"1") is scored as a classifier. */
  evaluate(records: DataRecord[]): Promise<RegressionMetrics | (ConfusionMatrix & { perLabel: Record<string, unknown> })>;
  /** Numeric targets only: a network that predicts labels or a probability is a ModelConfigError. */
  calculateR2Score(records: DataRecord[]): Promise<number>;
}

export interface PluginStats {
  totalTrainings: number;
  totalPredictions: number;
  totalErrors: number;
  /** Trainings started by `trainAfterInserts` / `trainInterval` that completed. */
  autoTrainings: number;
  /** Auto-trainings that failed (each also emitted as `plg:ml:training-error`). */
  autoTrainingErrors: number;
  startedAt: string | null;
  models: number;
  trainedModels: number;
  backend: BackendInfo | null;
}

/** Which version `report()` draws, and how. */
export interface ReportOptions {
  /** A stored version (default: the one serving in this process). */
  version?: number;
  /** `'html'` (default): one self-contained page; `'svg'`: the charts alone. */
  format?: 'html' | 'svg';
}

/** One chart of a report, as `report(name, { format: 'svg' })` returns it. */
export interface ReportChart {
  /** `loss`, `predicted-actual`, `forecast`, `residuals`, `confusion`, `per-label`, `reliability` or `importance`. */
  id: string;
  title: string;
  /** One or two sentences saying what the chart shows. */
  caption: string;
  /** A standalone SVG document (no script, no external reference). */
  svg: string;
}

export declare class MLPlugin extends Plugin {
  constructor(options?: MLPluginOptions);
  /**
   * Narrowed from the base class's `string | null`: s3db.js 21.6.2 types the `plugins` option and
   * `usePlugin()` with `string | undefined`, so its own Plugin class is not accepted there.
   * (Set by the database when the plugin is registered.)
   */
  instanceName: string;
  /** Narrowed likewise (`null` in the class, `undefined` in the option's type). */
  cronManager: NonNullable<Plugin['cronManager']>;
  /** Widened likewise: s3db.js types the database given to plugins as `DatabaseRef`. */
  install(database: any): Promise<void>;
  readonly models: Record<string, RegressionModel | ClassificationModel | TimeSeriesModel | NeuralNetworkModel>;
  readonly training: Map<string, boolean>;
  /** Records inserted since each auto-training model's last insert-triggered training. */
  readonly insertCounters: Map<string, number>;
  readonly backendInfo: BackendInfo | null;
  train(modelName: string, options?: PluginTrainOptions): Promise<TrainResult | SkippedTraining>;
  retrain(modelName: string, options?: PluginTrainOptions): Promise<TrainResult | SkippedTraining>;
  /** Stored versions, oldest first. */
  listModelVersions(modelName: string): Promise<Array<{ version: number; savedAt: string; isCurrent: boolean; metrics: Record<string, unknown>; importance: ImportanceReport | null }>>;
  /** Loads a stored version into this instance. */
  loadModelVersion(modelName: string, version: number): Promise<{ version: number; metrics: Record<string, unknown>; savedAt: string }>;
  /** Loads a version and makes it the active one for every instance. */
  setActiveVersion(modelName: string, version: number): Promise<{ modelName: string; version: number }>;
  /**
   * Activates `version`; by default the newest version below the current one that was deployed
   * when it was trained (versions `deploy: 'if-better'` turned down are skipped).
   */
  rollbackVersion(modelName: string, version?: number | null): Promise<{ modelName: string; previousVersion: number; currentVersion: number; version: number }>;
  /** Metrics and importances side by side; `importanceShift` is version 2's importance minus version 1's per feature. */
  compareVersions(modelName: string, version1: number, version2: number): Promise<{
    modelName: string;
    version1: { version: number; savedAt: string; metrics: Record<string, unknown>; importance: ImportanceReport | null };
    version2: { version: number; savedAt: string; metrics: Record<string, unknown>; importance: ImportanceReport | null };
    improvement: { loss: string; accuracy: string };
    importanceShift: Record<string, number> | null;
  }>;
  getTrainingData(modelName: string, version?: number | null): Promise<{ modelName: string; version: number; samples: number; features: string[]; target: string; data: Array<{ id: string; features: Record<string, unknown>; target: unknown; context?: Record<string, unknown> }>; savedAt: string } | null>;
  getTrainingHistory(modelName: string): Promise<TrainingHistory | null>;
  /** The trained model as a self-contained object (null while it is untrained). */
  exportModel(modelName: string, options?: { format?: 'json' }): Promise<ModelExport | null>;
  /** The trained model as a safetensors file (null while it is untrained). */
  exportModel(modelName: string, options: { format: 'safetensors' }): Promise<Buffer | null>;
  /** A `format` known only at run time: either. */
  exportModel(modelName: string, options?: { format?: 'json' | 'safetensors' }): Promise<ModelExport | Buffer | null>;
  /** Restores what `exportModel()` returned, in either format (or the same JSON read back from a file). */
  importModel(modelName: string, data: ModelExport | Record<string, unknown> | Buffer): Promise<void>;
  /** Metrics of the model's kind on `data`, or on the rows held out of its last training. */
  evaluate(modelName: string, options?: { data?: DataRecord[] }): Promise<Record<string, unknown>>;
  /** A record for row models; exactly `lookback` records for a time series. */
  predict(modelName: string, input: DataRecord | DataRecord[]): Promise<Prediction>;
  predictBatch(modelName: string, inputs: DataRecord[]): Promise<Prediction[]>;
  /** Why `predict` says what it does for the same input. */
  explain(modelName: string, input: DataRecord | DataRecord[]): Promise<Explanation>;
  /**
   * Permutation importance of the serving version, most important first. Rejects with an MLError
   * (409) for a model stored before importances were measured whose training rows were not kept.
   */
  featureImportance(modelName: string): Promise<FeatureImportance[]>;
  getModelStats(modelName: string): ModelStats;
  getStats(): PluginStats;
  /**
   * The training report of a version: one self-contained HTML page (header with the held-out
   * metrics, loss per epoch, and the charts of the model's kind), or with `format: 'svg'` its
   * charts alone. Unknown model or version: ModelNotFoundError; untrained: ModelNotTrainedError.
   */
  report(modelName: string, options?: ReportOptions & { format?: 'html' }): Promise<string>;
  report(modelName: string, options: ReportOptions & { format: 'svg' }): Promise<ReportChart[]>;
}

/** `plg:ml:training-error`: an auto-training failed (nothing awaits it, so it is never thrown). */
export interface TrainingErrorEvent {
  modelName: string;
  trigger: 'inserts' | 'interval';
  error: Error;
}

/** `learn()` options: any model configuration key, plus `signal`/`onProgress` for this training. */
export type LearnOptions = Partial<Omit<ModelConfig, 'resource' | 'target'>> & PluginTrainOptions;

export type LearnResult = (TrainResult | SkippedTraining) & {
  modelName: string;
  type: ModelConfig['type'];
  features: string[];
  target: string;
  /** For a model `learn()` created: the attributes chosen (feature → kind) and why the others were left out. */
  featureSelection?: { chosen: Record<string, FeatureKind>; leftOut: Record<string, string> };
};

/**
 * `resource.ml`: the models of one resource, by target attribute. Where several configured models
 * of the resource share a target, the last configured one answers (as in the upstream plugin);
 * reach the others through the plugin by name.
 */
export interface ResourceML {
  /**
   * Trains the resource's model for `target`, first creating `{resource}_{target}_auto` with a
   * detected type (numbers: regression, strings/booleans: classification) and the schema's
   * number, string, enum and boolean attributes as features (not ids, timestamps or identifiers).
   */
  learn(target: string, options?: LearnOptions): Promise<LearnResult>;
  /** A record; for a time series, the window of `lookback` records. */
  predict(input: DataRecord | DataRecord[], target: string): Promise<Prediction>;
  explain(input: DataRecord | DataRecord[], target: string): Promise<Explanation>;
  importance(target: string): Promise<FeatureImportance[]>;
  train(target: string, options?: PluginTrainOptions): Promise<TrainResult | SkippedTraining>;
  list(): Array<{ name: string; type: string; target: string; features: string[]; isTrained: boolean }>;
  stats(target: string): ModelStats;
  /** The training report of the resource's model for `target` (see `MLPlugin.report`). */
  report(target: string, options?: ReportOptions & { format?: 'html' }): Promise<string>;
  report(target: string, options: ReportOptions & { format: 'svg' }): Promise<ReportChart[]>;
  /** `listModelVersions` of the target's model. */
  versions(target: string): ReturnType<MLPlugin['listModelVersions']>;
  /** `rollbackVersion` of the target's model. */
  rollback(target: string, version?: number | null): ReturnType<MLPlugin['rollbackVersion']>;
  /** `compareVersions` of the target's model. */
  compare(target: string, v1: number, v2: number): ReturnType<MLPlugin['compareVersions']>;
  /** `exportModel` of the target's model, as JSON. */
  export(target: string): Promise<ModelExport | null>;
  /** `importModel` into the target's model. */
  import(target: string, data: ModelExport | Record<string, unknown> | Buffer): Promise<void>;
}

declare module 's3db.js' {
  interface Resource {
    /** Routes to the first MLPlugin installed on the resource's database; throws MLError without one. */
    readonly ml: ResourceML;
    /** Older MLPlugin API: `resource.ml.predict(input, target)`. */
    predict(input: DataRecord | DataRecord[], target: string): Promise<Prediction>;
    /** Older MLPlugin API: `resource.ml.train(target, options)`. */
    trainModel(target: string, options?: TrainOptions): Promise<TrainResult | SkippedTraining>;
    /** Older MLPlugin API: `resource.ml.list()`. */
    listModels(): ReturnType<ResourceML['list']>;
  }
}

/** Which compute backend `choice` resolves to on this machine. */
export declare function backendInfo(choice?: Backend): Promise<BackendInfo>;

// Public types of s3db-ml. The native layer's own declarations are generated into binding.d.ts.
import type { Plugin, Database } from 's3db.js';
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
import type { BackendInfo } from './binding';

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
export declare class ComputeBackendUnavailableError extends TensorFlowDependencyError {}
/** Training was stopped through its AbortSignal; the previous model keeps serving. */
export declare class TrainingAbortedError extends TrainingError {}

export type Backend = 'auto' | 'wgpu' | 'cpu';
export type Activation = 'relu' | 'sigmoid' | 'tanh' | 'elu' | 'selu' | 'linear' | 'softmax';
export type Label = string | number | boolean;
export type DataRecord = Record<string, unknown>;

export interface ModelHyperParameters {
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
  /** Regression: coverage of the prediction interval (default 0.9). */
  intervalCoverage?: number;
}

export interface ModelConfig {
  type: 'regression' | 'classification';
  resource: string;
  features: string[];
  target: string;
  /** Train on this partition of the resource only. */
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
  saveModel?: boolean;
  saveTrainingData?: boolean;
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
  logLevel?: string;
  verbose?: boolean;
  namespace?: string;
}

export interface TrainResult {
  /** Final-epoch training loss (normalised units). */
  loss: number;
  valLoss: number | null;
  /** Classification: held-out accuracy. Regression: null. */
  accuracy: number | null;
  epochs: number;
  samples: number;
  trainSamples: number;
  validationSamples: number;
  backend: 'cpu' | 'wgpu';
  durationMs: number;
  /** Held-out metrics: RegressionMetrics or ClassificationReport-like raw metrics. */
  metrics: Record<string, unknown> | null;
}

/** One finished epoch, as `onProgress` and `plg:ml:training-progress` receive it. */
export interface TrainingProgress {
  modelName: string;
  epoch: number;
  epochs: number;
  loss: number;
  valLoss?: number;
  elapsedMs: number;
  etaMs: number;
}

export interface TrainOptions {
  backend?: Backend;
  /** Aborting rejects with TrainingAbortedError; the previous model keeps serving. */
  signal?: AbortSignal;
  onProgress?: (progress: TrainingProgress) => void;
}

/** Training rows already converted (see `BaseModel.trainArrays`). */
export interface TrainingArrays {
  /** Row-major, `targets.length × features.length` values. */
  features: Float64Array;
  /** Regression: target values. Classification: class indices into `labels`. */
  targets: Float64Array;
  /** Classification: the label of each class index. */
  labels?: Label[];
}

export interface SkippedTraining {
  skipped: true;
  reason: 'already_training';
}

export interface RegressionPrediction {
  prediction: number;
  /** Share of held-out predictions within 5% of the target's range, lowered when extrapolating. */
  confidence: number;
  /** Split-conformal prediction interval at `intervalCoverage` (default 90%). */
  interval: [number, number];
}

export interface ClassificationPrediction {
  prediction: Label;
  /** Probability of the predicted label. */
  confidence: number;
  probabilities: Record<string, number>;
}

export type Prediction = RegressionPrediction | ClassificationPrediction;

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

export declare class BaseModel {
  readonly type: string;
  readonly config: ModelStats['config'];
  readonly stats: Omit<ModelStats, 'isTrained' | 'config'>;
  readonly isTrained: boolean;
  readonly normalizer: Normalizer;
  train(records: DataRecord[], options?: TrainOptions): Promise<TrainResult>;
  trainArrays(data: TrainingArrays, options?: TrainOptions): Promise<TrainResult>;
  predict(input: DataRecord): Promise<Prediction>;
  predictSync(input: DataRecord): Prediction;
  predictBatch(inputs: DataRecord[]): Promise<Prediction[]>;
  dispose(): void;
  getStats(): ModelStats;
}

export declare class RegressionModel extends BaseModel {
  predict(input: DataRecord): Promise<RegressionPrediction>;
  predictBatch(inputs: DataRecord[]): Promise<RegressionPrediction[]>;
  evaluate(records: DataRecord[]): Promise<RegressionMetrics>;
  calculateR2Score(records: DataRecord[]): Promise<number>;
}

export declare class ClassificationModel extends BaseModel {
  readonly classes: Label[];
  predict(input: DataRecord): Promise<ClassificationPrediction>;
  predictBatch(inputs: DataRecord[]): Promise<ClassificationPrediction[]>;
  evaluate(records: DataRecord[]): Promise<ConfusionMatrix & { perLabel: Record<string, { precision: number; recall: number; f1: number; support: number }> }>;
  calculateConfusionMatrix(records: DataRecord[]): Promise<ConfusionMatrix>;
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

export declare class MLPlugin extends Plugin {
  constructor(options?: MLPluginOptions);
  readonly models: Record<string, RegressionModel | ClassificationModel>;
  readonly training: Map<string, boolean>;
  /** Records inserted since each auto-training model's last insert-triggered training. */
  readonly insertCounters: Map<string, number>;
  readonly backendInfo: BackendInfo | null;
  install(database: Database): Promise<void>;
  train(modelName: string, options?: TrainOptions): Promise<TrainResult | SkippedTraining>;
  retrain(modelName: string, options?: TrainOptions): Promise<TrainResult | SkippedTraining>;
  predict(modelName: string, input: DataRecord): Promise<Prediction>;
  predictBatch(modelName: string, inputs: DataRecord[]): Promise<Prediction[]>;
  getModelStats(modelName: string): ModelStats;
  getStats(): PluginStats;
}

/** `plg:ml:training-error`: an auto-training failed (nothing awaits it, so it is never thrown). */
export interface TrainingErrorEvent {
  modelName: string;
  trigger: 'inserts' | 'interval';
  error: Error;
}

/** `learn()` options: any model configuration key, plus `signal`/`onProgress` for this training. */
export type LearnOptions = Partial<Omit<ModelConfig, 'resource' | 'target'>> & TrainOptions;

export type LearnResult = (TrainResult | SkippedTraining) & {
  modelName: string;
  type: ModelConfig['type'];
  features: string[];
  target: string;
};

/** `resource.ml`: the models of one resource, by target attribute. */
export interface ResourceML {
  /**
   * Trains the resource's model for `target`, first creating `{resource}_{target}_auto` with a
   * detected type (numbers: regression, strings/booleans: classification) and numeric features.
   */
  learn(target: string, options?: LearnOptions): Promise<LearnResult>;
  predict(input: DataRecord, target: string): Promise<Prediction>;
  train(target: string, options?: TrainOptions): Promise<TrainResult | SkippedTraining>;
  list(): Array<{ name: string; type: string; target: string; features: string[]; isTrained: boolean }>;
  stats(target: string): ModelStats;
  /** Model persistence is not available yet: these reject with an MLError (501). */
  versions(target: string): Promise<unknown>;
  rollback(target: string, version?: number | null): Promise<unknown>;
  compare(target: string, v1: number, v2: number): Promise<unknown>;
  export(target: string): Promise<unknown>;
  import(target: string, data: unknown): Promise<unknown>;
}

declare module 's3db.js' {
  interface Resource {
    /** Routes to the first MLPlugin installed on the resource's database; throws MLError without one. */
    readonly ml: ResourceML;
  }
}

/** Which compute backend `choice` resolves to on this machine. */
export declare function backendInfo(choice?: Backend): Promise<BackendInfo>;

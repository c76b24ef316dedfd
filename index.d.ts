// Public types of s3db-ml. The native layer's own declarations are generated into binding.d.ts.
import type { Plugin, Database } from 's3db.js';
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
  partition?: { name: string; values?: Record<string, unknown> };
  filter?: (record: DataRecord) => boolean;
  map?: (record: DataRecord) => DataRecord;
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
  train(records: DataRecord[], options?: { backend?: Backend }): Promise<TrainResult>;
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
  startedAt: string | null;
  models: number;
  trainedModels: number;
  backend: BackendInfo | null;
}

export declare class MLPlugin extends Plugin {
  constructor(options?: MLPluginOptions);
  readonly models: Record<string, RegressionModel | ClassificationModel>;
  readonly training: Map<string, boolean>;
  readonly backendInfo: BackendInfo | null;
  install(database: Database): Promise<void>;
  train(modelName: string, options?: { backend?: Backend }): Promise<TrainResult | SkippedTraining>;
  retrain(modelName: string, options?: { backend?: Backend }): Promise<TrainResult | SkippedTraining>;
  predict(modelName: string, input: DataRecord): Promise<Prediction>;
  predictBatch(modelName: string, inputs: DataRecord[]): Promise<Prediction[]>;
  getModelStats(modelName: string): ModelStats;
  getStats(): PluginStats;
}

/** Which compute backend `choice` resolves to on this machine. */
export declare function backendInfo(choice?: Backend): Promise<BackendInfo>;

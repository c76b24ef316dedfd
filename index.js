// s3db-ml: the s3db.js MLPlugin on a native Rust engine.
export { MLPlugin } from './lib/plugin.js';
export { RegressionModel } from './lib/models/regression-model.js';
export { ClassificationModel } from './lib/models/classification-model.js';
export { TimeSeriesModel } from './lib/models/timeseries-model.js';
export { NeuralNetworkModel } from './lib/models/neural-network-model.js';
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
  ComputeBackendUnavailableError,
  TrainingAbortedError,
  ModelStorageError,
} from './lib/errors.js';

import { native } from './lib/native.js';
import { callNative } from './lib/errors.js';

/**
 * Which compute backend `choice` resolves to on this machine.
 * @param {'auto'|'wgpu'|'cpu'} [choice='auto']
 */
export function backendInfo(choice = 'auto') {
  return callNative(() => native().backendInfo(choice));
}

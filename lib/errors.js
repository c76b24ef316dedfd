// The error classes of s3db.js's ML plugin, re-exported so that `instanceof` works whichever
// package users import them from, plus the two this product adds. Native errors arrive tagged
// (see src/error.rs) and are rebuilt here as the named class, with their context as properties.
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

/** No compute backend can run the model (the native addon is missing, or `backend: 'wgpu'` has no GPU). */
export class ComputeBackendUnavailableError extends TensorFlowDependencyError {
  constructor(message, context = {}) {
    super(message, {
      suggestion: "Use backend 'auto' or 'cpu', install a Vulkan driver for 'wgpu', or rebuild the addon with `npm run build`.",
      ...context,
    });
    this.name = 'ComputeBackendUnavailableError';
  }
}

/** Training was stopped through its AbortSignal; the previous model keeps serving. */
export class TrainingAbortedError extends TrainingError {
  constructor(message, context = {}) {
    super(message, { retriable: true, statusCode: 499, suggestion: 'Start training again when ready.', ...context });
    this.name = 'TrainingAbortedError';
  }
}

/** A stored object could not be written or read (S3 unreachable, access denied, missing object). */
export class ModelStorageError extends MLError {
  constructor(message, context = {}) {
    const notFound = context.code === 'E_STORAGE_NOT_FOUND';
    super(message, {
      statusCode: notFound ? 404 : 503,
      retriable: !notFound,
      suggestion: notFound
        ? 'The object was deleted or never written; load another version or train again.'
        : "Check the database's S3 endpoint, credentials and permissions, then retry.",
      ...context,
      notFound,
    });
    this.name = 'ModelStorageError';
  }
}

const CLASS_BY_CODE = {
  E_MODEL_CONFIG: ModelConfigError,
  E_DATA_VALIDATION: DataValidationError,
  E_INSUFFICIENT_DATA: InsufficientDataError,
  E_MODEL_NOT_TRAINED: ModelNotTrainedError,
  E_TRAINING: TrainingError,
  E_PREDICTION: PredictionError,
  E_BACKEND_UNAVAILABLE: ComputeBackendUnavailableError,
  E_ABORTED: TrainingAbortedError,
  E_STORAGE: ModelStorageError,
  E_STORAGE_NOT_FOUND: ModelStorageError,
};

const NATIVE_TAG = 'S3DBML_ERROR:';

/** Longest rendering of a value in an error message. */
const DISPLAY_LIMIT = 100;

/**
 * A value as error messages show it. Never throws, whatever the value: a Symbol, a BigInt, an
 * object without a prototype or with a broken `toString`, a cycle. Template literals and
 * `JSON.stringify` throw on some of these, which would turn a named error into a TypeError.
 */
export function display(value) {
  const clip = (text) => (text.length > DISPLAY_LIMIT ? `${text.slice(0, DISPLAY_LIMIT)}…` : text);
  try {
    switch (typeof value) {
      case 'string':
        return clip(JSON.stringify(value));
      case 'bigint':
        return clip(`${value}n`);
      case 'symbol':
        return clip(value.toString());
      case 'function':
        return 'a function';
      case 'object':
        if (value === null) return 'null';
        break;
      default:
        return String(value);
    }
    const json = JSON.stringify(value);
    if (json !== undefined) return clip(json);
  } catch {
    // Cyclic, a BigInt inside, a throwing toJSON or getter: fall through to the type's tag.
  }
  try {
    return Object.prototype.toString.call(value);
  } catch {
    return 'an unprintable value';
  }
}

/**
 * Turns whatever the native addon threw into a named error. Untagged errors are unexpected
 * (a napi type mismatch, say) and become `fallback` with the original as `originalError`.
 */
export function fromNative(error, fallback = MLError, extraContext = {}) {
  // Already one of ours (the addon could not be loaded, say): its class is the answer.
  if (error instanceof MLError) return error;
  const text = typeof error?.message === 'string' ? error.message : String(error);
  const at = text.indexOf(NATIVE_TAG);
  if (at === -1) {
    return new fallback(text, { ...extraContext, originalError: text });
  }
  let payload;
  try {
    payload = JSON.parse(text.slice(at + NATIVE_TAG.length));
  } catch {
    return new fallback(text, { ...extraContext, originalError: text });
  }
  const ErrorClass = CLASS_BY_CODE[payload.code] ?? fallback;
  return new ErrorClass(payload.message, { ...extraContext, ...payload.context, code: payload.code });
}

/** Calls a native function, rethrowing its errors as named classes (sync or async). */
export function callNative(fn, fallback = MLError, extraContext = {}) {
  let result;
  try {
    result = fn();
  } catch (error) {
    throw fromNative(error, fallback, extraContext);
  }
  if (result && typeof result.then === 'function') {
    return result.catch((error) => {
      throw fromNative(error, fallback, extraContext);
    });
  }
  return result;
}

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

// The numeric options of `modelConfig` are numbers before the native side sees them. The native
// side checks each one's range and names it when out of range, but a value that is not a finite
// number never gets that far: NaN and ±Infinity cannot become JSON, and a string ('10' from an
// environment variable) is refused by the deserialiser, both with a serde message that names
// neither the model nor the option.
import { ModelConfigError, display } from './errors.js';

/** Every numeric `modelConfig` option of every model type (crates/core/src/spec.rs HyperParams). */
export const NUMERIC_OPTIONS = [
  'epochs',
  'batchSize',
  'learningRate',
  'validationSplit',
  'seed',
  'polynomial',
  'units',
  'dropout',
  'intervalCoverage',
  'lookback',
  'lstmUnits',
  'denseUnits',
  'recurrentDropout',
  'outputUnits',
  'maxParameters',
];
/** The numeric options of each entry of a neural network's `layers`. */
export const NUMERIC_LAYER_OPTIONS = ['units', 'dropout'];
/** The numeric options of `earlyStopping`. */
export const NUMERIC_EARLY_STOPPING_OPTIONS = ['patience', 'minDelta'];

/** Throws a ModelConfigError naming the model and the option when a numeric option is not a finite number. */
export function checkNumericOptions(modelName, modelConfig) {
  if (!modelConfig || typeof modelConfig !== 'object') return;
  for (const key of NUMERIC_OPTIONS) checkNumber(modelName, key, modelConfig[key]);
  const { layers, earlyStopping } = modelConfig;
  if (Array.isArray(layers)) {
    layers.forEach((layer, i) => {
      if (layer && typeof layer === 'object') for (const key of NUMERIC_LAYER_OPTIONS) checkNumber(modelName, `layers[${i}].${key}`, layer[key]);
    });
  }
  if (earlyStopping && typeof earlyStopping === 'object') {
    for (const key of NUMERIC_EARLY_STOPPING_OPTIONS) checkNumber(modelName, `earlyStopping.${key}`, earlyStopping[key]);
  }
}

/** `undefined` and `null` leave the option at its default, as the native side reads them. */
function checkNumber(modelName, option, value) {
  if (value === undefined || value === null || Number.isFinite(value)) return;
  const hint = typeof value === 'string' ? ' (a string: pass the number itself, e.g. Number(process.env.X))' : '';
  throw new ModelConfigError(`Model "${modelName}": \`${option}\` must be a finite number, got ${display(value)}${hint}`, {
    modelName,
    option,
    value: display(value),
  });
}

import { BaseModel } from './base-model.js';
import { DataValidationError, ModelConfigError, display } from '../errors.js';
import { checkRecords, numericTargets } from '../dataset.js';
import { evaluateLabels, labelBatchResults, labelExportFields, labelMetrics, labelTrainOptions } from './classification-model.js';

/**
 * The two cases of a binary network, by class index: a target of 0 or false, 1 or true. Its
 * metrics are keyed by these (as its report's charts are): booleans and 0/1 count as the same
 * target, and the stored model does not keep which of the two its rows held.
 */
const BINARY_CLASSES = Object.freeze([0, 1]);

/**
 * A custom network: hidden `layers`, an output layer and a loss. A numeric target is predicted
 * like regression (with an interval); 'binaryCrossentropy' gives the probability of class 1 and
 * is evaluated as a two-class classifier; 'categoricalCrossentropy' a label with per-label
 * probabilities.
 */
export class NeuralNetworkModel extends BaseModel {
  get _predictsLabels() {
    return this.config.modelConfig.loss === 'categoricalCrossentropy';
  }

  /** The labels of a categorical network, by output unit; `[0, 1]` for a binary one (its prediction is P(1)). */
  get classes() {
    if (this._isBinary) return [...BINARY_CLASSES];
    return this._native.describe()?.classes ?? [];
  }

  get _isBinary() {
    return this.config.modelConfig.loss === 'binaryCrossentropy';
  }

  /** Categorical and binary networks read their targets as labels (binary ones: 0/1/booleans). */
  get _labelTargets() {
    return this._predictsLabels || this._isBinary;
  }

  _nativeTrainOptions(data) {
    return this._predictsLabels ? labelTrainOptions(this, data) : {};
  }

  /** Binary targets arrive as labels; the native side wants them as 0/1 numbers. */
  async trainArrays(data, options) {
    if (!this._isBinary || !data?.labels) return super.trainArrays(data, options);
    return super.trainArrays({ ...data, targets: this._classIndices(data), labels: undefined }, options);
  }

  /** A binary network's class is its target's value: 0 or false, 1 or true. */
  _classIndices(data) {
    if (!this._isBinary) return super._classIndices(data);
    const values = data.labels.map((label, i) => binaryValue(label, i, this.config.target, this.config.name));
    return Float64Array.from(data.targets, (t) => values[t]);
  }

  _exportFields() {
    return { architecture: this.getArchitecture(), ...(this._predictsLabels && labelExportFields(this.classes)) };
  }

  _batchResults(batch, n) {
    if (this._predictsLabels) return labelBatchResults(batch, n);
    const hasInterval = batch.lower.length === n;
    return Array.from({ length: n }, (_, i) => ({
      prediction: batch.values[i],
      confidence: batch.confidence[i],
      ...(hasInterval && { interval: [batch.lower[i], batch.upper[i]] }),
    }));
  }

  /**
   * Metrics on labelled records: R²/MAE/RMSE for numbers, a confusion matrix keyed by label for
   * labels. A binary network is a two-class classifier (`p >= 0.5` is class 1), so it gets the
   * confusion matrix its held-out metrics (`heldOutMetrics()`) have, keyed "0" and "1".
   */
  async evaluate(records) {
    if (this._predictsLabels) return evaluateLabels(this, records);
    checkRecords(records, this.config.name);
    if (this._isBinary) {
      const { target, name } = this.config;
      const targets = Float64Array.from(records, (r, i) => binaryValue(r?.[target], i, target, name));
      return this._labelled(await this._evaluate(records, targets));
    }
    return this._evaluate(records, numericTargets(records, this.config.target, { model: this.config.name }));
  }

  async calculateR2Score(records) {
    if (this._labelTargets) {
      // R² measures numbers; a network that predicts labels or a probability has accuracy instead.
      throw new ModelConfigError(
        `calculateR2Score() needs a network with a numeric target; "${this.config.name}" uses '${this.config.modelConfig.loss}', call evaluate() for its accuracy`,
        { model: this.config.name, loss: this.config.modelConfig.loss },
      );
    }
    const { r2 } = await this.evaluate(records);
    this.stats.r2 = r2;
    return r2;
  }

  _labelled(raw) {
    return this._labelTargets ? labelMetrics(raw, this.classes) : raw;
  }

  /** The network as configured: layers, output, loss and the real trainable parameter count. */
  getArchitecture() {
    const { layers, outputUnits, outputActivation, loss, metrics } = this.config.modelConfig;
    return {
      inputFeatures: [...this.config.features],
      hiddenLayers: layers.map((layer, index) => ({ index, ...layer })),
      outputLayer: { units: outputUnits, activation: outputActivation },
      totalParameters: this.parameterCount,
      loss,
      metrics,
    };
  }

  /** Appends a hidden layer; only before the network is trained. */
  addLayer(layer) {
    this._reconfigure('addLayer', { layers: [...this.config.modelConfig.layers, layer] });
    return this;
  }

  /** Sets the output layer (`{ units, activation, loss, metrics }`); only before training. */
  setOutput({ units, activation, loss, metrics } = {}) {
    this._reconfigure('setOutput', {
      ...(units !== undefined && { outputUnits: units }),
      ...(activation !== undefined && { outputActivation: activation }),
      ...(loss !== undefined && { loss }),
      ...(metrics !== undefined && { metrics }),
    });
    return this;
  }

  _reconfigure(method, changes) {
    if (this.isTrained) {
      throw new ModelConfigError(`Cannot ${method}() after the network is trained; call it before train()`, {
        model: this.config.name,
      });
    }
    const previous = this._userModelConfig;
    this._userModelConfig = { ...previous, ...changes };
    try {
      this._buildNative();
    } catch (error) {
      this._userModelConfig = previous;
      this._buildNative();
      throw error;
    }
  }
}

/** A binary target as 0 or 1; booleans count as 0/1. */
function binaryValue(value, row, target, model) {
  if (value === true || value === 1) return 1;
  if (value === false || value === 0) return 0;
  throw new DataValidationError(
    `Target "${target}" must be 0, 1 or a boolean for 'binaryCrossentropy', got ${display(value)} (row ${row})`,
    { model, target, row },
  );
}

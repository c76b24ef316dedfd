import { BaseModel } from './base-model.js';
import { labelIndices } from '../dataset.js';
import { DataValidationError } from '../errors.js';

/** Binary and multi-class classification with string, boolean or number labels. */
export class ClassificationModel extends BaseModel {
  /** The labels of the trained model, by class index. */
  get classes() {
    return this._native.describe()?.classes ?? [];
  }

  get _labelTargets() {
    return true;
  }

  /** Targets are class indices into `labels` (the vocabulary, in class order). */
  _nativeTrainOptions({ labels, targets }) {
    const model = this.config.name;
    if (!Array.isArray(labels) || labels.length === 0) {
      throw new DataValidationError('Classification training needs `labels`: the label of each class index', { model });
    }
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i];
      if (!Number.isInteger(t) || t < 0 || t >= labels.length) {
        throw new DataValidationError(`Target ${i} is ${t}, not a class index below ${labels.length}`, { model, row: i });
      }
    }
    return { labels, labelKeys: labels.map(String) };
  }

  _batchResults(batch, n) {
    const k = batch.labels.length;
    const results = new Array(n);
    for (let i = 0; i < n; i++) {
      const probabilities = {};
      for (let c = 0; c < k; c++) probabilities[batch.labelKeys[c]] = batch.probabilities[i * k + c];
      results[i] = { prediction: batch.labels[batch.classes[i]], confidence: batch.confidence[i], probabilities };
    }
    return results;
  }

  /**
   * Accuracy, confusion matrix (`matrix[actual][predicted]` by label) and per-label
   * precision/recall/F1 on labelled records. A label the model never saw is a DataValidationError.
   */
  async evaluate(records) {
    const labels = this.classes;
    const targets = labelIndices(records, this.config.target, labels, { model: this.config.name });
    const raw = await this._evaluate(records, targets);
    const keys = labels.map(String);
    const matrix = {};
    const perLabel = {};
    keys.forEach((actual, a) => {
      matrix[actual] = {};
      keys.forEach((predicted, p) => {
        matrix[actual][predicted] = raw.matrix[a][p];
      });
      perLabel[actual] = raw.perClass[a];
    });
    return { accuracy: raw.accuracy, total: raw.total, correct: raw.correct, matrix, perLabel };
  }

  /** `{ matrix, accuracy, total, correct }` as the seed documents it. */
  async calculateConfusionMatrix(records) {
    const { matrix, accuracy, total, correct } = await this.evaluate(records);
    return { matrix, accuracy, total, correct };
  }
}

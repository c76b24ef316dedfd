import { BaseModel } from './base-model.js';
import { labelIndices, labelVocabulary } from '../dataset.js';

/** Binary and multi-class classification with string, boolean or number labels. */
export class ClassificationModel extends BaseModel {
  /** The labels of the trained model, by class index. */
  get classes() {
    return this._native.describe()?.classes ?? [];
  }

  _trainingData(records) {
    return { features: this._features(records, 'training'), ...labelTargets(this, records) };
  }

  _batchResults(batch, n) {
    return labelBatchResults(batch, n);
  }

  /**
   * Accuracy, confusion matrix (`matrix[actual][predicted]` by label) and per-label
   * precision/recall/F1 on labelled records. A label the model never saw is a DataValidationError.
   */
  async evaluate(records) {
    return evaluateLabels(this, records);
  }

  /** `{ matrix, accuracy, total, correct }` as the seed documents it. */
  async calculateConfusionMatrix(records) {
    const { matrix, accuracy, total, correct } = await this.evaluate(records);
    return { matrix, accuracy, total, correct };
  }

  heldOutMetrics() {
    return labelMetrics(super.heldOutMetrics(), this.classes);
  }
}

/** Label vocabulary and class indices of training records, for any model that predicts labels. */
export function labelTargets(model, records) {
  const name = model.config.name;
  const labels = labelVocabulary(records, model.config.target, { model: name });
  return {
    targets: labelIndices(records, model.config.target, labels, { model: name }),
    nativeOptions: { labels, labelKeys: labels.map(String) },
  };
}

/** Native columnar label predictions → `{ prediction, confidence, probabilities }` objects. */
export function labelBatchResults(batch, n) {
  const k = batch.labels.length;
  const results = new Array(n);
  for (let i = 0; i < n; i++) {
    const probabilities = {};
    for (let c = 0; c < k; c++) probabilities[batch.labelKeys[c]] = batch.probabilities[i * k + c];
    results[i] = { prediction: batch.labels[batch.classes[i]], confidence: batch.confidence[i], probabilities };
  }
  return results;
}

/** Confusion matrix and per-label metrics on labelled records. */
export async function evaluateLabels(model, records) {
  const labels = model.classes;
  const targets = labelIndices(records, model.config.target, labels, { model: model.config.name });
  return labelMetrics(await model._evaluate(records, targets), labels);
}

/** Native index-based classification metrics → keyed by label. */
export function labelMetrics(raw, labels) {
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

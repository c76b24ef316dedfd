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

  _nativeTrainOptions(data) {
    return labelTrainOptions(this, data);
  }

  _batchResults(batch, n) {
    return labelBatchResults(batch, n);
  }

  _exportFields() {
    return labelExportFields(this.classes);
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

  _labelled(raw) {
    return labelMetrics(raw, this.classes);
  }
}

/** Native options for label targets: class indices into `labels` (the vocabulary, in class order). */
export function labelTrainOptions(model, { labels, targets }) {
  const name = model.config.name;
  if (!Array.isArray(labels) || labels.length === 0) {
    throw new DataValidationError('Training on labels needs `labels`: the label of each class index', { model: name });
  }
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i];
    if (!Number.isInteger(t) || t < 0 || t >= labels.length) {
      throw new DataValidationError(`Target ${i} is ${t}, not a class index below ${labels.length}`, { model: name, row: i });
    }
  }
  return { labels, labelKeys: labels.map(String) };
}

/** Upstream's label maps: `classes` by index, `classToIndex[label]`, `indexToClass[index]`. */
export function labelExportFields(classes) {
  const classToIndex = {};
  const indexToClass = {};
  classes.forEach((label, i) => {
    classToIndex[String(label)] = i;
    indexToClass[i] = label;
  });
  return { classes: [...classes], classToIndex, indexToClass };
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

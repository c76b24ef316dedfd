import { BaseModel } from './base-model.js';
import { labelIndices, labelVocabulary } from '../dataset.js';

/** Binary and multi-class classification with string, boolean or number labels. */
export class ClassificationModel extends BaseModel {
  /** The labels of the trained model, by class index. */
  get classes() {
    return this._native.describe()?.classes ?? [];
  }

  _trainingTargets(records) {
    const model = this.config.name;
    const labels = labelVocabulary(records, this.config.target, { model });
    return {
      targets: labelIndices(records, this.config.target, labels, { model }),
      nativeOptions: { labels, labelKeys: labels.map(String) },
    };
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

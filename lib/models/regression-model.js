import { BaseModel } from './base-model.js';
import { numericTargets } from '../dataset.js';

/** Linear (`polynomial: 1`) or polynomial (2..5) regression with calibrated intervals. */
export class RegressionModel extends BaseModel {
  get _labelTargets() {
    return false;
  }

  _nativeTrainOptions() {
    return {};
  }

  _exportFields() {
    return { polynomial: this.config.modelConfig.polynomial };
  }

  _batchResults(batch, n) {
    const results = new Array(n);
    for (let i = 0; i < n; i++) {
      results[i] = {
        prediction: batch.values[i],
        confidence: batch.confidence[i],
        interval: [batch.lower[i], batch.upper[i]],
      };
    }
    return results;
  }

  /** `{ r2, mae, rmse, mape, samples }` on labelled records. */
  async evaluate(records) {
    return this._evaluate(records, numericTargets(records, this.config.target, { model: this.config.name }));
  }

  /** R² on labelled records (also kept as `stats.r2`). */
  async calculateR2Score(records) {
    const { r2 } = await this.evaluate(records);
    this.stats.r2 = r2;
    return r2;
  }
}

import { BaseModel } from './base-model.js';
import { DataValidationError, ModelConfigError, PredictionError, callNative, display } from '../errors.js';
import { checkRecords, concatFloat64, numericTargets } from '../dataset.js';
import { learnPreparation, rawColumns } from '../preprocessing.js';

/** Fields that order a series when `timeField` is not given, in order of preference. */
const TIME_FIELDS = ['timestamp', 'createdAt', 'date'];

/**
 * Forecasting with an LSTM over `lookback` consecutive records. Records are put in time order by
 * `timeField` (default: the first of timestamp, createdAt, date that every record has), never by
 * id: s3db.js lists records by id, which is random, and windows over that order mean nothing.
 */
export class TimeSeriesModel extends BaseModel {
  constructor(config) {
    super(config);
    this.timeField = config.timeField ?? null;
  }

  /** The field that orders `records`; ModelConfigError when none can. */
  _timeFieldOf(records) {
    if (this.timeField) return this.timeField;
    const found = TIME_FIELDS.find((field) => records.length > 0 && records.every((r) => r?.[field] != null));
    if (!found) {
      throw new ModelConfigError(
        `Model "${this.config.name}" needs to know the order of its records: set \`timeField\` to a date or number field (none of ${TIME_FIELDS.join(', ')} is present on every record)`,
        { model: this.config.name, modelName: this.config.name },
      );
    }
    return found;
  }

  /**
   * `{ rows, warnings }`: records in time order, with their steps (encoded features, then the
   * target) as one row each, and what each step's features had to assume.
   */
  _steps(records, purpose) {
    checkRecords(records, this.config.name);
    const field = this._timeFieldOf(records);
    const times = Float64Array.from(records, (record, row) => timeValue(record?.[field], field, row, this.config.name));
    const { rows, warnings } = this._encode(records, purpose);
    const steps = appendTargets(rows, numericTargets(records, this.config.target, { model: this.config.name }));
    return { rows: inTimeOrder(times, steps, steps.length / Math.max(1, records.length)), warnings };
  }

  /** Features, target and the field that orders the series (each candidate when none is set). */
  get trainingFields() {
    return [...new Set([...super.trainingFields, ...(this.timeField ? [this.timeField] : TIME_FIELDS)])];
  }

  /** Training rows are steps (features then target); they are put in time order at the end. */
  createTrainingSet() {
    return new SeriesSet(this);
  }

  get _inputColumns() {
    return this.config.features.length + 1;
  }

  get _takesTargets() {
    return false;
  }

  get _labelTargets() {
    return false;
  }

  _nativeTrainOptions(data) {
    return data.time ? { time: data.time } : {};
  }

  get lookback() {
    return this.config.modelConfig.lookback;
  }

  _exportFields() {
    return { lookback: this.lookback };
  }

  _checkSequence(records) {
    if (!Array.isArray(records) || records.length !== this.lookback) {
      throw new DataValidationError(
        `Time series prediction requires an array of exactly ${this.lookback} records (the lookback), got ${Array.isArray(records) ? records.length : typeof records}`,
        { model: this.config.name, expected: this.lookback, got: Array.isArray(records) ? records.length : null },
      );
    }
  }

  /** A prediction takes exactly `lookback` records, in any order. */
  _predictionRows(records) {
    this._checkSequence(records);
    return this._steps(records, 'prediction');
  }

  /** Evaluation scores one-step forecasts over the series itself. */
  _evaluationRows(records) {
    return this._steps(records, 'prediction').rows;
  }

  /** Predicts for several sequences (each exactly `lookback` records). */
  async predictBatch(sequences) {
    if (!Array.isArray(sequences)) {
      throw new PredictionError('predictBatch expects an array of record sequences', { model: this.config.name });
    }
    return Promise.all(sequences.map((sequence) => this.predict(sequence)));
  }

  /**
   * Forecasts `steps` records ahead of `records` (at least `lookback`, the most recent used),
   * feeding each prediction back; later steps repeat the last record's features.
   * @returns {Promise<number[]>}
   */
  async predictMultiStep(records, steps = 1) {
    if (!Array.isArray(records) || records.length < this.lookback) {
      throw new DataValidationError(`Forecasting needs at least ${this.lookback} records, got ${records?.length ?? 0}`, {
        model: this.config.name,
        expected: this.lookback,
      });
    }
    if (!Number.isInteger(steps) || steps < 1 || steps > 100_000) {
      throw new DataValidationError(`\`steps\` must be a whole number from 1 to 100000, got ${display(steps)}`, { model: this.config.name });
    }
    const history = this._steps(records, 'prediction').rows;
    return callNative(() => this._native.forecast(history, steps), PredictionError, { model: this.config.name });
  }

  /** One-step forecast metrics over a series: `{ mape, mae, rmse, r2, samples }`. */
  async evaluate(records) {
    return this._evaluate(records, new Float64Array(0));
  }

  /**
   * Mean absolute percentage error of one-step forecasts over `records` (actual 0s skipped), or
   * null when every actual is 0: the percentage is undefined there, as `evaluate().mape` and the
   * held-out metrics say (upstream returned 0, which reads as a perfect forecast).
   */
  async calculateMAPE(records) {
    const { mape } = await this.evaluate(records);
    return mape ?? null;
  }

  _batchResults() {
    throw new PredictionError('time series batches are sequences', { model: this.config.name });
  }
}

/**
 * Collects a series page by page (each feature's raw values, the target and each record's time)
 * and returns it in time order: s3db.js pages come in id order, which says nothing about time.
 * Records without a target are skipped and counted.
 */
class SeriesSet {
  constructor(model) {
    this.model = model;
    this.samples = 0;
    this.missingTargets = 0;
    this._field = model.timeField;
    this._columns = rawColumns(model.config.features, model._knownKinds);
    this._targets = [];
    this._times = [];
    this._numericTimes = false;
  }

  add(records) {
    const { name, target } = this.model.config;
    checkRecords(records, name);
    const kept = records.filter((r) => {
      const missing = r !== null && typeof r === 'object' && (r[target] === null || r[target] === undefined);
      if (missing) this.missingTargets++;
      return !missing;
    });
    if (kept.length === 0) return;
    this._field ??= this.model._timeFieldOf(kept);
    const field = this._field;
    this._numericTimes ||= kept.some((r) => typeof r?.[field] === 'number');
    this._times.push(Float64Array.from(kept, (r, i) => timeValue(r?.[field], field, this.samples + i, name)));
    this._targets.push(numericTargets(kept, target, { model: name, firstRow: this.samples }));
    for (const column of this._columns) column.addPage(kept, this.samples, name);
    this.samples += kept.length;
  }

  finish() {
    const { name } = this.model.config;
    const { preparation, rows } = learnPreparation(this._columns, this.samples, {
      model: name,
      impute: this.model._preparationConfig.impute,
    });
    const times = concatFloat64(this._times);
    const steps = appendTargets(rows, concatFloat64(this._targets));
    const order = timeOrder(times, steps, steps.length / Math.max(1, this.samples));
    return {
      samples: this.samples,
      features: reorderRows(steps, order),
      targets: new Float64Array(0),
      preparation,
      missingTargets: this.missingTargets,
      // Each step's time, in the same order: the report's forecast chart is drawn against it.
      time: this._field ? { field: this._field, dates: !this._numericTimes, values: reorderRows(times, order) } : null,
    };
  }
}

/** Rows of encoded features with each row's target appended. */
function appendTargets(rows, targets) {
  const n = targets.length;
  if (n === 0) return rows;
  const width = rows.length / n;
  const out = new Float64Array(n * (width + 1));
  for (let r = 0; r < n; r++) {
    out.set(rows.subarray(r * width, (r + 1) * width), r * (width + 1));
    out[r * (width + 1) + width] = targets[r];
  }
  return out;
}

/**
 * The order that sorts `steps` (rows of `columns` values) by `times`; records at the same time by
 * their values, so that the series, and the model trained on it, never depend on the order storage
 * listed them.
 */
function timeOrder(times, steps, columns) {
  return Array.from(times.keys()).sort((a, b) => {
    if (times[a] !== times[b]) return times[a] - times[b];
    for (let c = 0; c < columns; c++) {
      const diff = steps[a * columns + c] - steps[b * columns + c];
      if (diff !== 0) return diff;
    }
    return 0;
  });
}

/** `values` (rows of equal width, one per entry of `order`) with its rows in `order`. */
function reorderRows(values, order) {
  const width = values.length / Math.max(1, order.length);
  const sorted = new Float64Array(values.length);
  order.forEach((from, to) => sorted.set(values.subarray(from * width, (from + 1) * width), to * width));
  return sorted;
}

/** `steps` (rows of `columns` values) in time order (see `timeOrder`). */
function inTimeOrder(times, steps, columns) {
  return reorderRows(steps, timeOrder(times, steps, columns));
}

/** A record's time as a number: numbers as they are, dates and date strings as milliseconds. */
function timeValue(value, field, row, model) {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.getTime();
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new DataValidationError(`Time field "${field}" must be a number, Date or date string, got ${display(value)} (row ${row})`, {
    model,
    feature: field,
    row,
  });
}

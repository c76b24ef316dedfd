// Turns s3db.js records into the contiguous typed arrays the native side trains and predicts on,
// with the checks that produce the seed's DataValidationError messages. Plain arrays never cross
// the boundary row by row. `TrainingSet` does this page by page, so that training on a large
// resource holds typed arrays, not record objects; how features become numbers is learned from
// all of its rows when it finishes (lib/preprocessing.js).
import { DataValidationError, display } from './errors.js';
import { learnPreparation, rawColumns } from './preprocessing.js';

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** A list of records must be an array (of objects, each checked by `checkRecord`). */
export function checkRecords(records, model) {
  if (!Array.isArray(records)) {
    throw new DataValidationError(`Expected an array of records, got ${describe(records)}`, { model, type: describe(records) });
  }
}

/** Records are plain objects; anything else is a DataValidationError, not a TypeError further on. */
function checkRecord(record, row, holding, model) {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    throw new DataValidationError(`Expected an object with ${holding}, got ${describe(record)}`, {
      model,
      row,
      type: describe(record),
    });
  }
}

/** Where a bad value is: the record's id when it has one, else its row. */
function recordLabel(record, row) {
  const id = record.id;
  if (id === undefined) return ` (row ${row})`;
  return ` (record ${typeof id === 'string' ? id : display(id)})`;
}

/** Float64Array of numeric targets. */
export function numericTargets(records, target, { model, firstRow = 0 } = {}) {
  checkRecords(records, model);
  const out = new Float64Array(records.length);
  for (let r = 0; r < records.length; r++) {
    checkRecord(records[r], firstRow + r, `target ${target}`, model);
    const value = records[r][target];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw badNumericTarget(value, records[r], firstRow + r, target, model);
    out[r] = value;
  }
  return out;
}

function badNumericTarget(value, record, row, target, model) {
  const problem = value === undefined ? `Missing target "${target}"` : `Target "${target}" must be a finite number, got ${typeof value === 'number' ? value : describe(value)}`;
  return new DataValidationError(`${problem} in training data${recordLabel(record, row)}`, { model, target, row, recordId: record.id });
}

/** A stable key per label so that 1, '1' and true stay distinct classes. */
function labelKey(value) {
  return `${typeof value}:${String(value)}`;
}

/**
 * Order of the label vocabulary, like the upstream plugin (`[...new Set()].sort()`, i.e. by string),
 * with the JavaScript type as a tie-breaker so that 1, '1' and true keep a stable order.
 */
function compareLabels(a, b) {
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : typeof a < typeof b ? -1 : typeof a > typeof b ? 1 : 0;
}

/** Labels must be strings, numbers or booleans: anything else is a DataValidationError. */
function checkLabel(value, recordOf, row, target, model) {
  const type = typeof value;
  if (type === 'string' || type === 'boolean' || (type === 'number' && Number.isFinite(value))) return;
  const problem = value === undefined ? `Missing target "${target}"` : `Label "${target}" must be a string, boolean or number, got ${describe(value)}`;
  const record = recordOf();
  throw new DataValidationError(`${problem} in training data${recordLabel(record, row)}`, {
    model,
    target,
    row,
    recordId: record.id,
  });
}

/** Float64Array of class indices; a label outside the vocabulary is a DataValidationError. */
export function labelIndices(records, target, classes, { model } = {}) {
  checkRecords(records, model);
  const index = new Map(classes.map((label, i) => [labelKey(label), i]));
  const out = new Float64Array(records.length);
  for (let r = 0; r < records.length; r++) {
    checkRecord(records[r], r, `target ${target}`, model);
    const value = records[r][target];
    const i = index.get(labelKey(value));
    if (i === undefined) {
      throw new DataValidationError(`Label ${display(value)} of "${target}" was not seen in training (known: ${classes.map(display).join(', ')})${recordLabel(records[r], r)}`, {
        model,
        target,
        targetClass: value,
        knownClasses: classes,
        row: r,
      });
    }
    out[r] = i;
  }
  return out;
}

/**
 * Training rows accumulated page by page: each `add(records)` keeps each feature's raw values as
 * typed arrays (see preprocessing.js), so the caller can drop the records; `finish()` learns the
 * preparation (kinds, vocabularies, fill values) from every row and encodes them. A record whose
 * target is missing is skipped and counted (`missingTargets`).
 *
 * Classification labels need their whole vocabulary before their final indices (the vocabulary is
 * sorted), so pages store provisional indices in order of first appearance, and `finish()` remaps
 * them. Only the distinct labels are kept as values.
 */
export class TrainingSet {
  /**
   * @param {{ features: string[], target: string, labels: boolean, model?: string,
   *   kinds?: Record<string,string>, impute?: Record<string,string|number> }} spec
   *   `labels`: true for classification targets, false for numeric ones; `kinds`: the feature
   *   kinds known before reading (schema, `featureTypes`); `impute`: `modelConfig.impute`.
   */
  constructor({ features, target, labels, model, kinds = {}, impute = {} }) {
    this.features = features;
    this.target = target;
    this.model = model;
    this.samples = 0;
    this.missingTargets = 0;
    this._impute = impute;
    this._columns = rawColumns(features, kinds);
    this._targetChunks = [];
    /** Classification: label key → { value, code } in order of first appearance. */
    this._labels = labels ? new Map() : null;
  }

  /** Converts one page of records (already filtered and mapped) and keeps only the arrays. */
  add(records) {
    const kept = this._withTargets(records);
    if (kept.length === 0) return;
    const firstRow = this.samples;
    const { model } = this;
    for (const column of this._columns) column.addPage(kept, firstRow, model);
    this._targetChunks.push(this._labels ? this._labelCodes(kept, firstRow) : numericTargets(kept, this.target, { model, firstRow }));
    this.samples += kept.length;
  }

  /**
   * Rows `[from, to)` of StoredRows (rows-arrow.js), the same as `add` with the objects
   * `stored.rowAt(i)` of the rows the filter kept, read column by column instead.
   */
  addStored(stored, from, to) {
    const targets = stored.column(this.target);
    const columns = this._columns.map((column) => stored.column(column.name));
    if (!targets || columns.includes(undefined)) {
      const records = [];
      for (let i = from; i < to; i++) if (stored.included[i]) records.push(stored.rowAt(i));
      this.add(records);
      return;
    }
    // The rows with a target (the others are counted, as in `add`).
    const selected = new Int32Array(to - from);
    let count = 0;
    for (let i = from; i < to; i++) {
      if (!stored.included[i]) continue;
      const value = targets.valueAt(i);
      if (value === null || value === undefined) this.missingTargets++;
      else selected[count++] = i;
    }
    if (count === 0) return;
    const rows = selected.subarray(0, count);
    const firstRow = this.samples;
    const rowAt = (i) => stored.rowAt(i);
    this._columns.forEach((column, c) => column.addStored(columns[c], rows, firstRow, this.model, rowAt));
    const values = new Float64Array(count);
    if (this._labels) {
      for (let r = 0; r < count; r++) values[r] = this._labelCode(targets.valueAt(rows[r]), firstRow + r, () => rowAt(rows[r]));
    } else {
      for (let r = 0; r < count; r++) {
        const value = targets.valueAt(rows[r]);
        if (typeof value !== 'number' || !Number.isFinite(value)) throw badNumericTarget(value, rowAt(rows[r]), firstRow + r, this.target, this.model);
        values[r] = value;
      }
    }
    this._targetChunks.push(values);
    this.samples += count;
  }

  /** The records that have a target (the others are counted); a non-object is an error. */
  _withTargets(records) {
    checkRecords(records, this.model);
    const kept = [];
    for (let r = 0; r < records.length; r++) {
      const record = records[r];
      checkRecord(record, this.samples + r, `features ${this.features.join(', ')}`, this.model);
      const value = record[this.target];
      if (value === null || value === undefined) this.missingTargets++;
      else kept.push(record);
    }
    return kept;
  }

  _labelCodes(records, firstRow) {
    const out = new Float64Array(records.length);
    for (let r = 0; r < records.length; r++) out[r] = this._labelCode(records[r][this.target], firstRow + r, () => records[r]);
    return out;
  }

  /** The provisional code of label `value` of row `row` (`recordOf()` gives its record, for an error). */
  _labelCode(value, row, recordOf) {
    checkLabel(value, recordOf, row, this.target, this.model);
    const key = labelKey(value);
    let entry = this._labels.get(key);
    if (!entry) {
      entry = { value, code: this._labels.size };
      this._labels.set(key, entry);
    }
    return entry.code;
  }

  /**
   * `{ samples, features, targets, labels, preparation, missingTargets }`: row-major Float64Array
   * encoded features, Float64Array targets (class indices into `labels` for classification), the
   * sorted label vocabulary (or undefined) and the preparation that encoded the features.
   */
  finish() {
    const { preparation, rows: features } = learnPreparation(this._columns, this.samples, { model: this.model, impute: this._impute });
    const targets = concatFloat64(this._targetChunks);
    this._targetChunks = [];
    const base = { samples: this.samples, features, targets, preparation, missingTargets: this.missingTargets };
    if (!this._labels) return { ...base, labels: undefined };
    const entries = [...this._labels.values()].sort((a, b) => compareLabels(a.value, b.value));
    const finalIndex = new Float64Array(entries.length);
    entries.forEach((entry, i) => {
      finalIndex[entry.code] = i;
    });
    for (let i = 0; i < targets.length; i++) targets[i] = finalIndex[targets[i]];
    return { ...base, labels: entries.map((e) => e.value) };
  }
}

/** One Float64Array from several (no copy when there is only one). */
export function concatFloat64(chunks) {
  if (chunks.length === 1) return chunks[0];
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const out = new Float64Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

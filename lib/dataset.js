// Turns s3db.js records into the contiguous typed arrays the native side trains and predicts on,
// with the checks that produce the seed's DataValidationError messages. Plain arrays never cross
// the boundary row by row.
import { DataValidationError } from './errors.js';

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * Row-major Float64Array of `features` for each record.
 * Missing features, non-numbers, null and non-finite numbers are DataValidationErrors that name
 * the feature (and the record, when it has an id).
 */
export function featureMatrix(records, features, { model, purpose = 'prediction' } = {}) {
  const columns = features.length;
  const out = new Float64Array(records.length * columns);
  for (let r = 0; r < records.length; r++) {
    const record = records[r];
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      throw new DataValidationError(`Expected an object with features ${features.join(', ')}, got ${describe(record)}`, {
        model,
        row: r,
        type: describe(record),
      });
    }
    for (let c = 0; c < columns; c++) {
      const feature = features[c];
      const value = record[feature];
      if (typeof value === 'number' && Number.isFinite(value)) {
        out[r * columns + c] = value;
        continue;
      }
      if (value === undefined) {
        const missingFeatures = features.filter((f) => record[f] === undefined);
        const where = purpose === 'training' ? ' in training data' : '';
        throw new DataValidationError(`Missing features${where}: ${missingFeatures.join(', ')}${recordLabel(record, r)}`, {
          model,
          missingFeatures,
          row: r,
          recordId: record.id,
        });
      }
      const got = typeof value === 'number' ? String(value) : describe(value);
      throw new DataValidationError(`Feature "${feature}" must be a finite number, got ${got}${recordLabel(record, r)}`, {
        model,
        feature,
        value: typeof value === 'number' ? String(value) : value,
        type: describe(value),
        row: r,
        recordId: record.id,
      });
    }
  }
  return out;
}

function recordLabel(record, row) {
  return record.id !== undefined ? ` (record ${record.id})` : ` (row ${row})`;
}

/** Float64Array of numeric targets. */
export function numericTargets(records, target, { model } = {}) {
  const out = new Float64Array(records.length);
  for (let r = 0; r < records.length; r++) {
    const value = records[r][target];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      const problem = value === undefined ? `Missing target "${target}"` : `Target "${target}" must be a finite number, got ${typeof value === 'number' ? value : describe(value)}`;
      throw new DataValidationError(`${problem} in training data${recordLabel(records[r], r)}`, {
        model,
        target,
        row: r,
        recordId: records[r].id,
      });
    }
    out[r] = value;
  }
  return out;
}

/** A stable key per label so that 1, '1' and true stay distinct classes. */
function labelKey(value) {
  return `${typeof value}:${String(value)}`;
}

/**
 * Label vocabulary from training records: sorted like the upstream plugin (`[...new Set()].sort()`,
 * i.e. by string), keeping each label's original type. Labels must be strings, numbers or booleans.
 */
export function labelVocabulary(records, target, { model } = {}) {
  const seen = new Map();
  for (let r = 0; r < records.length; r++) {
    const value = records[r][target];
    const type = typeof value;
    if (!(type === 'string' || type === 'boolean' || (type === 'number' && Number.isFinite(value)))) {
      const problem = value === undefined ? `Missing target "${target}"` : `Label "${target}" must be a string, boolean or number, got ${describe(value)}`;
      throw new DataValidationError(`${problem} in training data${recordLabel(records[r], r)}`, {
        model,
        target,
        row: r,
        recordId: records[r].id,
      });
    }
    const key = labelKey(value);
    if (!seen.has(key)) seen.set(key, value);
  }
  return [...seen.values()].sort((a, b) => {
    const sa = String(a);
    const sb = String(b);
    return sa < sb ? -1 : sa > sb ? 1 : typeof a < typeof b ? -1 : typeof a > typeof b ? 1 : 0;
  });
}

/** Float64Array of class indices; a label outside the vocabulary is a DataValidationError. */
export function labelIndices(records, target, classes, { model } = {}) {
  const index = new Map(classes.map((label, i) => [labelKey(label), i]));
  const out = new Float64Array(records.length);
  for (let r = 0; r < records.length; r++) {
    const value = records[r][target];
    const i = index.get(labelKey(value));
    if (i === undefined) {
      throw new DataValidationError(`Label ${JSON.stringify(value)} of "${target}" was not seen in training (known: ${classes.map((c) => JSON.stringify(c)).join(', ')})${recordLabel(records[r], r)}`, {
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

// The input preparation: how a record's features become the numbers a network reads, learned from
// the training rows and stored with the model (docs/preprocessing.md has the full reference).
//
// Each feature has a kind: 'numeric', 'category', 'boolean' or 'date', taken from
// `modelConfig.featureTypes`, else the s3db.js schema, else the values themselves. A feature
// becomes encoded columns (the core expands categories into one-hot units, see
// crates/core/src/preparation.rs):
//   numeric  → the number;                 boolean → 1 or 0;
//   category → its index in the vocabulary (the most frequent values, at most MAX_CATEGORIES, each
//              seen at least MIN_CATEGORY_COUNT times; anything else is "other");
//   date     → days since the earliest training date, then sin/cos of the weekday and of the
//              month (UTC), so Sunday sits next to Monday and December next to January.
// A missing value (null, undefined, an absent key) is filled (`modelConfig.impute`); a value of the
// wrong kind is a DataValidationError naming the field and the record.
//
// What is learned does not depend on the order of the rows: vocabularies are ordered by count, then
// by value; medians and means are taken over sorted values.
import { DataValidationError, ModelConfigError, display } from './errors.js';

export const FEATURE_KINDS = ['numeric', 'category', 'boolean', 'date'];
/** Categories kept per feature (the most frequent); the rest go to "other". */
export const MAX_CATEGORIES = 50;
/** A value seen fewer times than this in training is too rare to learn from: it goes to "other". */
export const MIN_CATEGORY_COUNT = 2;
/** The preparation format (crates/core/src/preparation.rs reads the same number). */
export const PREPARATION_VERSION = 1;
const IMPUTE_NAMES = ['mean', 'median', 'mode', 'zero', 'error'];
/** The default imputation of each kind. */
const DEFAULT_IMPUTE = { numeric: 'median', category: 'mode', boolean: 'mode', date: 'median' };
/** Which imputations apply to which kind (a number means "this value"). */
const IMPUTE_FOR_KIND = {
  numeric: ['mean', 'median', 'mode', 'zero', 'value', 'error'],
  date: ['mean', 'median', 'mode', 'value', 'error'],
  boolean: ['mode', 'zero', 'value', 'error'],
  category: ['mode', 'error'],
};
const DATE_SUFFIXES = ['', '.weekdaySin', '.weekdayCos', '.monthSin', '.monthCos'];
const DAY_MS = 86_400_000;

// Value tags of the raw training columns.
const MISSING = 0;
const NUMBER = 1;
const BOOLEAN = 2;
const STRING = 3;
const DATE = 4;

/**
 * Checks `modelConfig.featureTypes` and `modelConfig.impute` of a model over `features`;
 * ModelConfigError for an unknown kind, field or imputation.
 * @returns {{ featureTypes: Record<string,string>, impute: Record<string,string|number> }}
 */
export function preparationConfig(modelName, features, modelConfig = {}) {
  const fail = (message, context) => new ModelConfigError(`Model "${modelName}": ${message}`, { modelName, ...context });
  const featureTypes = plainObject(modelConfig.featureTypes, 'featureTypes', fail);
  const impute = plainObject(modelConfig.impute, 'impute', fail);
  for (const [field, kind] of Object.entries(featureTypes)) {
    if (!features.includes(field)) {
      throw fail(`\`featureTypes\` names "${field}", which is not one of the features (${features.join(', ')})`, { field });
    }
    if (!FEATURE_KINDS.includes(kind)) {
      throw fail(`\`featureTypes.${field}\` must be one of ${FEATURE_KINDS.map((k) => `'${k}'`).join(', ')}, got ${display(kind)}`, { field, kind });
    }
  }
  for (const [field, how] of Object.entries(impute)) {
    if (!features.includes(field)) {
      throw fail(`\`impute\` names "${field}", which is not one of the features (${features.join(', ')})`, { field });
    }
    if (!(IMPUTE_NAMES.includes(how) || (typeof how === 'number' && Number.isFinite(how)))) {
      throw fail(`\`impute.${field}\` must be 'mean', 'median', 'mode', 'zero', 'error' or a number, got ${display(how)}`, { field, impute: how });
    }
  }
  return { featureTypes, impute };
}

function plainObject(value, key, fail) {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw fail(`\`${key}\` must be an object of field → setting, got ${Array.isArray(value) ? 'an array' : typeof value}`, {});
  return value;
}

/** The attribute definitions of an s3db.js resource's schema (field → definition); `{}` without one. */
export function schemaAttributes(resource) {
  return resource?.schema?.attributes ?? resource?.attributes ?? {};
}

/**
 * Feature kinds an s3db.js resource's schema declares: number/integer/float → numeric,
 * string/enum → category, boolean → boolean, date → date. Other types say nothing.
 */
export function schemaKinds(resource) {
  const kinds = {};
  for (const [field, definition] of Object.entries(schemaAttributes(resource))) {
    const kind = kindOfType(attributeType(definition), definition);
    if (kind) kinds[field] = kind;
  }
  return kinds;
}

/** 'number|optional' → 'number'; `{ type: 'number' }` → 'number'. */
export function attributeType(definition) {
  return typeof definition === 'string' ? definition.split('|')[0].trim() : definition?.type;
}

function kindOfType(type, definition) {
  if (['number', 'integer', 'float'].includes(type)) return 'numeric';
  if (type === 'boolean') return 'boolean';
  if (type === 'date') return 'date';
  if (type === 'string' || type === 'enum' || Array.isArray(definition?.enum) || Array.isArray(definition?.values)) return 'category';
  return null;
}

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Where a bad value is: the record's id when it has one (whatever its type), else its row. */
function recordLabel(record, row) {
  const id = record?.id;
  if (id === undefined) return ` (row ${row})`;
  return ` (record ${typeof id === 'string' ? id : display(id)})`;
}

const isMissing = (value) => value === null || value === undefined;

/** Milliseconds of a date value (Date, epoch milliseconds, or a string Date.parse reads), or NaN. */
function dateMs(value) {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return Number.isFinite(value) ? value : NaN;
  if (typeof value === 'string') return Date.parse(value);
  return NaN;
}

/**
 * A decimal number written as a string ('4', '-1.5', '2e3', ' 7 '), else NaN. Applications often
 * keep numbers in string attributes; a feature declared numeric reads them. Hexadecimal, empty,
 * 'Infinity' and decimal commas are not numbers here (Number() would take the first three).
 */
const DECIMAL = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
function numberInString(text) {
  if (!DECIMAL.test(text)) return NaN;
  const number = Number(text);
  return Number.isFinite(number) ? number : NaN;
}

/** The error for a value of the wrong kind, in the messages the seed used for numbers. */
function wrongKind(feature, kind, value, record, row, model) {
  const got = typeof value === 'number' ? String(value) : describe(value);
  const expected = {
    numeric: 'a finite number',
    boolean: 'a boolean',
    category: 'a string, number or boolean',
    date: 'a date (an ISO-8601 string, a Date or epoch milliseconds)',
  }[kind];
  const shown = kind === 'date' ? display(value) : got;
  return new DataValidationError(`Feature "${feature}" must be ${expected}, got ${shown}${recordLabel(record, row)}`, {
    model,
    feature,
    kind,
    value: typeof value === 'number' ? String(value) : value,
    type: describe(value),
    row,
    recordId: record?.id,
  });
}

function missingError(features, record, row, model, purpose) {
  const where = purpose === 'training' ? ' in training data' : '';
  return new DataValidationError(`Missing features${where}: ${features.join(', ')}${recordLabel(record, row)}`, {
    model,
    missingFeatures: features,
    row,
    recordId: record?.id,
  });
}

function notAnObject(record, features, row, model) {
  return new DataValidationError(`Expected an object with features ${features.join(', ')}, got ${describe(record)}`, {
    model,
    row,
    type: describe(record),
  });
}

/** A category value's identity: 1, '1' and true are different categories. */
const categoryKey = (value) => `${typeof value}:${String(value)}`;

/** Vocabulary order: by count (most first), then by type and value, so ties never depend on row order. */
function compareCategories(a, b) {
  if (a.count !== b.count) return b.count - a.count;
  const ta = typeof a.value;
  const tb = typeof b.value;
  if (ta !== tb) return ta < tb ? -1 : 1;
  if (ta === 'number') return a.value - b.value;
  const sa = String(a.value);
  const sb = String(b.value);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/**
 * One feature's raw training values, page by page: a tag per row (missing, number, boolean,
 * string, date) and a number (the value, 0/1, a string's code, or epoch milliseconds).
 */
class RawColumn {
  constructor(name, kind) {
    this.name = name;
    /** The declared kind, or null to infer it from the values. */
    this.kind = kind;
    this.tags = [];
    this.values = [];
    this.strings = [];
    this.stringCodes = new Map();
    /** The first record of each tag, for naming a record when inferring fails. */
    this.firstOf = new Map();
  }

  /** The tag and number of one value; a value the declared kind cannot take throws. */
  read(value, record, row, model, recordOf = null) {
    const read = this._classify(value);
    if (read === null) throw wrongKind(this.name, this.kind ?? 'numeric', value, recordOf ? recordOf() : record, row, model);
    return read;
  }

  /** The tag and number of one value, or null when the declared kind cannot take it. */
  _classify(value) {
    if (isMissing(value)) return [MISSING, 0];
    const kind = this.kind;
    if (kind === 'date') {
      const ms = dateMs(value);
      if (Number.isNaN(ms)) return null;
      return [DATE, ms];
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value) || kind === 'boolean') return null;
      return [NUMBER, value];
    }
    if (typeof value === 'boolean') {
      if (kind === 'numeric') return null;
      return [BOOLEAN, value ? 1 : 0];
    }
    if (typeof value === 'string') {
      if (kind === 'numeric') {
        const number = numberInString(value);
        return Number.isNaN(number) ? null : [NUMBER, number];
      }
      if (kind === 'boolean') return null;
      let code = this.stringCodes.get(value);
      if (code === undefined) {
        code = this.strings.length;
        this.strings.push(value);
        this.stringCodes.set(value, code);
      }
      return [STRING, code];
    }
    if (value instanceof Date && kind === null && !Number.isNaN(value.getTime())) return [DATE, value.getTime()];
    return null;
  }

  addPage(records, firstRow, model) {
    const tags = new Uint8Array(records.length);
    const values = new Float64Array(records.length);
    for (let r = 0; r < records.length; r++) {
      const record = records[r];
      const [tag, number] = this.read(record[this.name], record, firstRow + r, model);
      tags[r] = tag;
      values[r] = number;
      if (!this.firstOf.has(tag)) this.firstOf.set(tag, { record, row: firstRow + r, value: record[this.name] });
    }
    this.tags.push(tags);
    this.values.push(values);
  }

  /**
   * Rows `selected` of a StoredColumn (rows-arrow.js) as one page, the same as `addPage` with
   * records `rowAt(i)` (built only to name a record in an error): a number column is read from
   * its Float64Array, other columns value by value.
   */
  addStored(column, selected, firstRow, model, rowAt) {
    const count = selected.length;
    const tags = new Uint8Array(count);
    const values = new Float64Array(count);
    const { kind, firstOf } = this;
    const note = (tag, r, i) => firstOf.has(tag) || firstOf.set(tag, { record: rowAt(i), row: firstRow + r, value: column.valueAt(i) });
    if (column.kind === 'number') {
      // A number is a date's epoch milliseconds, else itself; finite either way, never a boolean.
      const tag = kind === 'date' ? DATE : NUMBER;
      const { present, numbers } = column;
      let missing = false;
      let any = false;
      for (let r = 0; r < count; r++) {
        const i = selected[r];
        if (present && !present[i]) {
          if (!missing) note(MISSING, r, i);
          missing = true;
          continue;
        }
        const value = numbers[i];
        if (!Number.isFinite(value) || kind === 'boolean') throw wrongKind(this.name, kind ?? 'numeric', value, rowAt(i), firstRow + r, model);
        if (!any) note(tag, r, i);
        any = true;
        tags[r] = tag;
        values[r] = value;
      }
    } else {
      for (let r = 0; r < count; r++) {
        const i = selected[r];
        const value = column.valueAt(i);
        const [tag, number] = this.read(value, null, firstRow + r, model, () => rowAt(i));
        tags[r] = tag;
        values[r] = number;
        if (!firstOf.has(tag)) note(tag, r, i);
      }
    }
    this.tags.push(tags);
    this.values.push(values);
  }

  /** The kind: the declared one, else what the values are (mixing kinds is an error). */
  resolveKind(model) {
    if (this.kind) return this.kind;
    const present = [NUMBER, BOOLEAN, STRING, DATE].filter((tag) => this.firstOf.has(tag));
    if (present.length === 0) return 'numeric';
    if (present.length === 1) return { [NUMBER]: 'numeric', [BOOLEAN]: 'boolean', [STRING]: 'category', [DATE]: 'date' }[present[0]];
    const names = { [NUMBER]: 'numbers', [BOOLEAN]: 'booleans', [STRING]: 'strings', [DATE]: 'dates' };
    const odd = this.firstOf.get(present[present.length - 1]);
    throw new DataValidationError(
      `Feature "${this.name}" mixes ${present.map((t) => names[t]).join(' and ')} (${display(odd.value)}${recordLabel(odd.record, odd.row)}); declare its kind in \`modelConfig.featureTypes\``,
      { model, feature: this.name, value: odd.value, row: odd.row, recordId: odd.record?.id },
    );
  }
}

/** Concatenates typed arrays of one type. */
function concat(chunks, Type) {
  if (chunks.length === 1) return chunks[0];
  const out = new Type(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Median of sorted values (the mean of the two middle ones for an even count). */
function median(sorted) {
  const n = sorted.length;
  if (n === 0) return 0;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The most frequent of sorted values (the smallest among ties). */
function mode(sorted) {
  let best = sorted[0] ?? 0;
  let bestCount = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && sorted[j] === sorted[i]) j++;
    if (j - i > bestCount) {
      best = sorted[i];
      bestCount = j - i;
    }
    i = j;
  }
  return best;
}

/**
 * Learns each feature's preparation from the raw training values of a TrainingSet and encodes
 * them: `{ preparation, rows }` where `rows` is the row-major Float64Array of encoded columns.
 */
export function learnPreparation(columns, samples, { model, impute = {} }) {
  const prepared = [];
  const encoders = [];
  for (const column of columns) {
    const kind = column.resolveKind(model);
    const tags = concat(column.tags, Uint8Array);
    const values = concat(column.values, Float64Array);
    column.tags = [];
    column.values = [];
    const how = impute[column.name] ?? DEFAULT_IMPUTE[kind];
    const strategy = typeof how === 'number' ? 'value' : how;
    if (!IMPUTE_FOR_KIND[kind].includes(strategy)) {
      throw new ModelConfigError(`Model "${model}": \`impute.${column.name}\` cannot be ${display(how)} for a ${kind} feature (use ${IMPUTE_FOR_KIND[kind].map((s) => (s === 'value' ? 'a number' : `'${s}'`)).join(', ')})`, {
        modelName: model,
        field: column.name,
        impute: how,
      });
    }
    if (kind === 'boolean' && strategy === 'value' && how !== 0 && how !== 1) {
      throw new ModelConfigError(`Model "${model}": \`impute.${column.name}\` must be 0 or 1 for a boolean feature, got ${how}`, { modelName: model, field: column.name, impute: how });
    }
    // Counted only when a missing value was seen at all (firstOf notes the first of each tag).
    let missing = 0;
    if (column.firstOf.has(MISSING)) for (let i = 0; i < tags.length; i++) if (tags[i] === MISSING) missing++;
    if (strategy === 'error' && missing > 0) {
      const at = tags.indexOf(MISSING);
      const { record, row } = column.firstOf.get(MISSING) ?? {};
      throw missingError([column.name], record, row ?? at, model, 'training');
    }
    const feature = { name: column.name, kind, missing, impute: strategy, fill: null };
    if (kind === 'category') {
      encoders.push({ width: 1, column: categoryCodes(column, tags, values, feature) });
    } else {
      let present = values.slice();
      if (missing > 0) {
        present = new Float64Array(tags.length - missing);
        for (let i = 0, k = 0; i < tags.length; i++) if (tags[i] !== MISSING) present[k++] = values[i];
      }
      present.sort();
      if (strategy !== 'error') feature.fill = fillValue(strategy, how, present);
      if (kind === 'date') feature.origin = present.length > 0 ? present[0] : feature.fill ?? 0;
      const encode = valueEncoder(feature);
      if (encode.width === 1) {
        // The value itself: filled in place (values is this column's own concatenated copy).
        if (missing > 0) for (let i = 0; i < tags.length; i++) if (tags[i] === MISSING) values[i] = feature.fill;
        encoders.push({ width: 1, column: values });
      } else {
        encoders.push({ width: encode.width, write: (r, out) => encode.write(tags[r] === MISSING ? feature.fill : values[r], out) });
      }
    }
    prepared.push(feature);
  }
  const width = encoders.reduce((n, e) => n + e.width, 0);
  const rows = new Float64Array(samples * width);
  const scratch = new Float64Array(5);
  let at = 0;
  for (const encoder of encoders) {
    // One encoded column at a time (`column`: its value per row), else row by row.
    if (encoder.column) {
      const column = encoder.column;
      for (let r = 0, i = at; r < samples; r++, i += width) rows[i] = column[r];
    } else {
      for (let r = 0; r < samples; r++) {
        encoder.write(r, scratch);
        for (let c = 0; c < encoder.width; c++) rows[r * width + at + c] = scratch[c];
      }
    }
    at += encoder.width;
  }
  return { preparation: { version: PREPARATION_VERSION, features: prepared }, rows };
}

function fillValue(strategy, how, sorted) {
  switch (strategy) {
    case 'median':
      return median(sorted);
    case 'mean':
      return sorted.length === 0 ? 0 : sorted.reduce((sum, v) => sum + v, 0) / sorted.length;
    case 'mode':
      return mode(sorted);
    case 'zero':
      return 0;
    default:
      return how;
  }
}

/** Learns a category's vocabulary into `feature` and returns each row's index (vocabulary length = other). */
function categoryCodes(column, tags, values, feature) {
  const counts = new Map();
  const keys = new Array(tags.length);
  for (let i = 0; i < tags.length; i++) {
    if (tags[i] === MISSING) continue;
    const value = tags[i] === STRING ? column.strings[values[i]] : tags[i] === BOOLEAN ? values[i] === 1 : values[i];
    const key = categoryKey(value);
    keys[i] = key;
    const entry = counts.get(key);
    if (entry) entry.count++;
    else counts.set(key, { value, count: 1 });
  }
  const vocabulary = [...counts.values()]
    .sort(compareCategories)
    .filter((entry) => entry.count >= MIN_CATEGORY_COUNT)
    .slice(0, MAX_CATEGORIES);
  const index = new Map(vocabulary.map((entry, i) => [categoryKey(entry.value), i]));
  const other = vocabulary.length;
  feature.categories = vocabulary.map((entry) => entry.value);
  // The mode is the first entry; with no vocabulary at all, missing values are "other" too.
  if (feature.impute !== 'error') feature.fill = vocabulary.length > 0 ? 0 : other;
  const codes = new Float64Array(tags.length);
  let others = 0;
  for (let i = 0; i < tags.length; i++) {
    if (tags[i] === MISSING) {
      codes[i] = feature.fill;
      continue;
    }
    const code = index.get(keys[i]);
    if (code === undefined) others++;
    codes[i] = code ?? other;
  }
  feature.other = others;
  return codes;
}

/** Writes the encoded columns of a numeric, boolean or date value. */
function valueEncoder(feature) {
  if (feature.kind !== 'date') return { width: 1, write: (v, out) => (out[0] = v) };
  const origin = feature.origin;
  return {
    width: 5,
    write(ms, out) {
      const date = new Date(ms);
      const weekday = (2 * Math.PI * date.getUTCDay()) / 7;
      const month = (2 * Math.PI * date.getUTCMonth()) / 12;
      out[0] = (ms - origin) / DAY_MS;
      out[1] = Math.sin(weekday);
      out[2] = Math.cos(weekday);
      out[3] = Math.sin(month);
      out[4] = Math.cos(month);
    },
  };
}

/** Names of the encoded columns of a preparation (as the normaliser names them). */
export function encodedColumnNames(preparation) {
  return preparation.features.flatMap((f) => (f.kind === 'date' ? DATE_SUFFIXES.map((s) => f.name + s) : [f.name]));
}

/**
 * `result.preprocessing`: `{ [feature]: { kind, missing, imputedWith?, categories?, other? } }`.
 * `imputedWith` is the value a missing one becomes (a number, a category, a boolean or an ISO date).
 */
export function preprocessingSummary(preparation) {
  const out = {};
  for (const f of preparation?.features ?? []) {
    const entry = { kind: f.kind, missing: f.missing };
    if (f.fill !== null && f.fill !== undefined) entry.imputedWith = displayFill(f);
    if (f.kind === 'category') {
      entry.categories = [...f.categories];
      entry.other = f.other;
    }
    out[f.name] = entry;
  }
  return out;
}

function displayFill(f) {
  if (f.kind === 'boolean') return f.fill === 1;
  if (f.kind === 'date') return new Date(f.fill).toISOString();
  if (f.kind === 'category') return f.fill < f.categories.length ? f.categories[f.fill] : 'other';
  return f.fill;
}

/** The raw columns a TrainingSet collects, one per feature. */
export function rawColumns(features, kinds) {
  return features.map((name) => new RawColumn(name, kinds[name] ?? null));
}

/**
 * A stored preparation, ready to encode records for prediction. Models of earlier builds have
 * none: every feature is then a number that must be present (`Preparation.strict`).
 */
export class Preparation {
  /** @param {object} stored the preparation as the core stores it; `features` the model's. */
  constructor(stored, features) {
    this.stored = stored;
    this.features = stored.features.map((f) => {
      const feature = { ...f, index: f.kind === 'category' ? new Map(f.categories.map((v, i) => [categoryKey(v), i])) : null };
      feature.encoder = f.kind === 'category' ? null : valueEncoder(f);
      return feature;
    });
    this.width = this.features.reduce((n, f) => n + (f.kind === 'date' ? 5 : 1), 0);
    this.names = features;
  }

  /** The preparation of a model trained before preparations existed: numbers, none missing. */
  static strict(features) {
    const stored = {
      version: PREPARATION_VERSION,
      features: features.map((name) => ({ name, kind: 'numeric', missing: 0, impute: 'error', fill: null })),
    };
    return new Preparation(stored, features);
  }

  /**
   * Encoded rows of `records` (row-major Float64Array) and, per record, what had to be assumed
   * (`warnings[i]`: `[{ feature, kind: 'imputed' | 'unseen_category' }]` or null).
   */
  encode(records, { model, purpose = 'prediction' } = {}) {
    const width = this.width;
    const rows = new Float64Array(records.length * width);
    const warnings = new Array(records.length).fill(null);
    const scratch = new Float64Array(5);
    for (let r = 0; r < records.length; r++) {
      const record = records[r];
      if (record === null || typeof record !== 'object' || Array.isArray(record)) throw notAnObject(record, this.names, r, model);
      let at = r * width;
      for (const f of this.features) {
        const value = record[f.name];
        let code;
        if (isMissing(value)) {
          if (f.fill === null || f.fill === undefined) {
            throw missingError(this.features.filter((g) => isMissing(record[g.name]) && g.fill == null).map((g) => g.name), record, r, model, purpose);
          }
          code = f.fill;
          (warnings[r] ??= []).push({ feature: f.name, kind: 'imputed' });
        } else if (f.kind === 'category') {
          if (!(typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)))) {
            throw wrongKind(f.name, 'category', value, record, r, model);
          }
          code = f.index.get(categoryKey(value));
          if (code === undefined) {
            code = f.categories.length;
            (warnings[r] ??= []).push({ feature: f.name, kind: 'unseen_category' });
          }
        } else {
          code = encodedValue(f, value, record, r, model);
        }
        if (f.kind === 'category') {
          rows[at++] = code;
        } else {
          f.encoder.write(code, scratch);
          for (let c = 0; c < f.encoder.width; c++) rows[at++] = scratch[c];
        }
      }
    }
    return { rows, warnings };
  }
}

/** The number of a present numeric, boolean or date value; the wrong kind throws. */
function encodedValue(f, value, record, row, model) {
  if (f.kind === 'numeric') {
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    const number = typeof value === 'string' ? numberInString(value) : NaN;
    if (!Number.isNaN(number)) return number;
  } else if (f.kind === 'boolean') {
    if (typeof value === 'boolean') return value ? 1 : 0;
  } else {
    const ms = dateMs(value);
    if (!Number.isNaN(ms)) return ms;
  }
  throw wrongKind(f.name, f.kind, value, record, row, model);
}

/**
 * Checks a preparation read back from the core before it serves: the same features, a kind
 * this build knows. The core already rejects other versions (see preparation.rs).
 */
export function checkStoredPreparation(stored, features, model) {
  const ok =
    stored &&
    stored.version === PREPARATION_VERSION &&
    Array.isArray(stored.features) &&
    stored.features.length === features.length &&
    stored.features.every((f, i) => f.name === features[i] && FEATURE_KINDS.includes(f.kind) && (f.kind !== 'category' || Array.isArray(f.categories)));
  if (!ok) {
    throw new DataValidationError(`Model "${model}" has an input preparation this version of s3db-ml cannot read`, { model });
  }
}

// Training rows as an Arrow IPC file (the format pandas.read_feather, polars.read_ipc,
// pyarrow.ipc.open_file and DuckDB read): one row per record, one column per field the model reads,
// holding the values as `filter`/`map` produced them (not encoded), so that a change in how rows are
// prepared never needs the records again.
//
// Columns:
//   __id        Utf8   the record's id
//   __version   Utf8   its version marker when read (null: read it again next time)
//   __included  Bool   false when `filter` dropped the record (its fields are then null)
//   <field>...  one per field: Float64, Utf8 or Bool when every present value has that type;
//               otherwise Utf8 holding tagged JSON (see encodeValue)
//
// A typed column's nulls stand for whichever of `undefined` and `null` its values had (field
// metadata `s3db-ml.missing`); a column with both is tagged JSON, where Arrow null is `undefined`.
import { LoopYielder } from './event-loop.js';

export const RESERVED_COLUMNS = ['__id', '__version', '__included'];
const FORMAT = 's3db-ml.rows';
const FORMAT_VERSION = 1;
/** Rows per record batch: each is built and read in one slice of event-loop time. */
const BATCH_ROWS = 2048;

let arrowModule = null;
/**
 * apache-arrow, loaded once. Its import evaluates for a few hundred ms without yielding, so the
 * plugin loads it on install rather than in the middle of a training's read.
 */
export async function arrow() {
  arrowModule ??= await import('apache-arrow');
  return arrowModule;
}

/**
 * Accumulates rows column by column in compact buffers outside the JavaScript heap (no object or
 * string per row): ids, versions, strings and JSON texts as UTF-8 bytes with offsets, each field
 * as a tag byte and a float per row. A full read's working set stays the window of records it is
 * converting; what grows with N is a few bytes per value. `encode()` writes the Arrow IPC file.
 */
export class RowsBuilder {
  /** @param {string[]} fields the model's fields, in column order */
  constructor(fields) {
    this.fields = fields;
    this.length = 0;
    this._ids = new Utf8Column();
    this._versions = new Utf8Column();
    this._included = new GrowableArray(Uint8Array);
    this._columns = fields.map(() => new ValueColumn());
  }

  /** One record: `row` is the prepared object (its fields are read), or null when filtered out. */
  add(id, version, row) {
    this._ids.push(id);
    this._versions.push(version);
    this._included.push(row === null ? 0 : 1);
    for (let c = 0; c < this.fields.length; c++) this._columns[c].push(row === null ? EXCLUDED : row[this.fields[c]], row === null);
    this.length++;
  }

  /** The id of row `i`. */
  idAt(i) {
    return this._ids.at(i);
  }

  /** Bytes held now: the buffers' capacity. */
  get heldBytes() {
    let bytes = this._ids.heldBytes + this._versions.heldBytes + this._included.heldBytes;
    for (const column of this._columns) bytes += column.heldBytes;
    return bytes;
  }

  /** The Arrow IPC file (Uint8Array); `metadata` (a JSON-able object) goes into the schema. */
  async encode(metadata = {}, yielder = new LoopYielder()) {
    const { Bool, Field, Float64, makeData, RecordBatch, RecordBatchFileWriter, Schema, Struct, Utf8 } = await arrow();
    const types = { number: new Float64(), string: new Utf8(), boolean: new Bool(), json: new Utf8() };
    const plans = this._columns.map((column) => column.plan());
    const fields = [
      new Field('__id', new Utf8(), false),
      new Field('__version', new Utf8(), true),
      new Field('__included', new Bool(), false),
      ...this.fields.map(
        (name, c) => new Field(name, types[plans[c].kind], true, new Map([['s3db-ml.kind', plans[c].kind], ['s3db-ml.missing', plans[c].missing]])),
      ),
    ];
    const schema = new Schema(
      fields,
      new Map([[FORMAT, JSON.stringify({ formatVersion: FORMAT_VERSION, fields: this.fields, ...metadata })]]),
    );
    const writer = new RecordBatchFileWriter();
    writer.reset(undefined, schema);
    for (let start = 0; start === 0 || start < this.length; start += BATCH_ROWS) {
      const end = Math.min(start + BATCH_ROWS, this.length);
      const children = [
        this._ids.data(makeData, types.string, start, end),
        this._versions.data(makeData, types.string, start, end),
        boolData(makeData, types.boolean, this._included.array, start, end),
        ...plans.map((plan, c) => this._columns[c].data(makeData, types[plan.kind], plan.kind, start, end)),
      ];
      const data = makeData({ type: new Struct(fields), length: end - start, nullCount: 0, children });
      writer.write(new RecordBatch(schema, data));
      await yielder.maybeYield();
    }
    writer.finish();
    return writer.toUint8Array(true);
  }
}

/** A typed array that doubles its capacity as values are pushed. */
class GrowableArray {
  constructor(Type, capacity = 1024) {
    this.Type = Type;
    this.buffer = new Type(capacity);
    this.length = 0;
  }

  push(value) {
    if (this.length === this.buffer.length) this.reserve(1);
    this.buffer[this.length++] = value;
  }

  /** Room for `extra` more values. */
  reserve(extra) {
    if (this.length + extra <= this.buffer.length) return;
    const grown = new this.Type(Math.max(this.buffer.length * 2, this.length + extra));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  /** The values pushed so far (a view, valid until the next push). */
  get array() {
    return this.buffer.subarray(0, this.length);
  }

  get heldBytes() {
    return this.buffer.byteLength;
  }
}

/** Strings (or null) as Arrow's Utf8 layout: the UTF-8 bytes end to end, an offset per row, a validity byte. */
class Utf8Column {
  constructor() {
    this.bytes = new GrowableArray(Uint8Array, 16 * 1024);
    this.offsets = new GrowableArray(Int32Array);
    this.offsets.push(0);
    this.valid = new GrowableArray(Uint8Array);
    /** A Buffer over `bytes`' current storage, for its UTF-8 writer. */
    this._view = null;
  }

  push(value) {
    if (value === null) {
      this.valid.push(0);
    } else {
      const text = String(value);
      // At most 3 bytes per UTF-16 code unit.
      this.bytes.reserve(text.length * 3);
      if (this._view?.buffer !== this.bytes.buffer.buffer) this._view = Buffer.from(this.bytes.buffer.buffer);
      this.bytes.length += this._view.write(text, this.bytes.length, 'utf8');
      this.valid.push(1);
    }
    this.offsets.push(this.bytes.length);
  }

  at(i) {
    if (!this.valid.buffer[i]) return null;
    const offsets = this.offsets.buffer;
    const { buffer } = this.bytes;
    return Buffer.from(buffer.buffer, buffer.byteOffset + offsets[i], offsets[i + 1] - offsets[i]).toString('utf8');
  }

  /** Arrow data of rows `[start, end)`. */
  data(makeData, type, start, end) {
    const length = end - start;
    const { nullBitmap, nullCount } = bitmapOf(this.valid.buffer, start, end);
    const offsets = this.offsets.buffer;
    const valueOffsets = new Int32Array(length + 1);
    for (let i = 0; i <= length; i++) valueOffsets[i] = offsets[start + i] - offsets[start];
    const data = this.bytes.buffer.slice(offsets[start], offsets[end]);
    return makeData({ type, length, nullCount, nullBitmap: nullCount > 0 ? nullBitmap : undefined, valueOffsets, data });
  }

  get heldBytes() {
    return this.bytes.heldBytes + this.offsets.heldBytes + this.valid.heldBytes;
  }
}

// What a field's value was, per row (ValueColumn's tags).
const ABSENT = 0; // undefined
const NULL = 1;
const NUMBER = 2; // the number in `numbers`
const BOOLEAN = 3; // 0 or 1 in `numbers`
const STRING = 4; // its text in `text`
const JSON_VALUE = 5; // its text in `text`: the value as tagged JSON (encodeValue)
const EXCLUDED = 6; // the row was dropped by the filter
const KIND_OF_TAG = { [NUMBER]: 'number', [BOOLEAN]: 'boolean', [STRING]: 'string', [JSON_VALUE]: 'json' };

/**
 * One field's values: a tag byte and a float per row, and, once the field has held a string or a
 * JSON value, the UTF-8 text of each (null for the other rows).
 */
class ValueColumn {
  constructor() {
    this.length = 0;
    this.tags = new GrowableArray(Uint8Array);
    this.numbers = new GrowableArray(Float64Array);
    /** Created with the first string or JSON value (filled with nulls for the rows before it). */
    this.text = null;
    /** How many included rows have each tag: the column's Arrow type follows from them. */
    this.counts = new Float64Array(EXCLUDED + 1);
  }

  push(value, excluded) {
    let tag;
    let number = 0;
    let text = null;
    if (excluded) tag = EXCLUDED;
    else if (value === undefined) tag = ABSENT;
    else if (value === null) tag = NULL;
    else if (typeof value === 'number') [tag, number] = [NUMBER, value];
    else if (typeof value === 'boolean') [tag, number] = [BOOLEAN, value ? 1 : 0];
    else if (typeof value === 'string') [tag, text] = [STRING, value];
    else [tag, text] = [JSON_VALUE, encodeValue(value)];
    if (text !== null && this.text === null) {
      this.text = new Utf8Column();
      for (let i = 0; i < this.length; i++) this.text.push(null);
    }
    this.tags.push(tag);
    this.numbers.push(number);
    this.text?.push(text);
    this.counts[tag]++;
    this.length++;
  }

  /**
   * How the column is stored: `{ kind: 'number'|'string'|'boolean'|'json', missing: 'undefined'|'null' }`:
   * the one kind of its present values (json when they mix kinds, or when both null and
   * undefined occur). Rows dropped by the filter are not values of the column.
   */
  plan() {
    const kinds = new Set();
    for (const tag of [NUMBER, BOOLEAN, STRING, JSON_VALUE]) if (this.counts[tag] > 0) kinds.add(KIND_OF_TAG[tag]);
    const sawUndefined = this.counts[ABSENT] > 0;
    const sawNull = this.counts[NULL] > 0;
    let kind = kinds.size === 0 ? null : kinds.size === 1 ? [...kinds][0] : 'json';
    if (sawUndefined && sawNull) kind = 'json';
    return { kind: kind ?? 'number', missing: sawUndefined || kind === 'json' ? 'undefined' : 'null' };
  }

  /** Arrow data of rows `[start, end)` as `kind` (from plan()). */
  data(makeData, type, kind, start, end) {
    const length = end - start;
    const tags = this.tags.buffer.subarray(start, end);
    const numbers = this.numbers.buffer.subarray(start, end);
    if (kind === 'number' || kind === 'boolean') {
      const valid = new Uint8Array(length);
      for (let i = 0; i < length; i++) valid[i] = tags[i] === NUMBER || tags[i] === BOOLEAN ? 1 : 0;
      const { nullBitmap, nullCount } = bitmapOf(valid, 0, length);
      const common = { type, length, nullCount, nullBitmap: nullCount > 0 ? nullBitmap : undefined };
      if (kind === 'number') {
        const data = new Float64Array(length);
        for (let i = 0; i < length; i++) if (valid[i]) data[i] = numbers[i];
        return makeData({ ...common, data });
      }
      const data = new Uint8Array(Math.ceil(length / 8));
      for (let i = 0; i < length; i++) if (valid[i] && numbers[i] === 1) data[i >> 3] |= 1 << (i & 7);
      return makeData({ ...common, data });
    }
    // A string column is its texts as they are: a row that holds no string has none (an Arrow
    // null, for undefined, null and dropped rows alike).
    if (kind === 'string') return this.text.data(makeData, type, start, end);
    // JSON: every present value as tagged JSON; an Arrow null for undefined and dropped rows.
    const json = new Utf8Column();
    for (let i = 0; i < length; i++) json.push(this._json(tags[i], numbers[i], start + i));
    return json.data(makeData, type, 0, length);
  }

  /** Row `row`'s value as tagged JSON text, or null for an Arrow null. */
  _json(tag, number, row) {
    switch (tag) {
      case NULL:
        return 'null';
      case NUMBER:
        return encodeValue(number);
      case BOOLEAN:
        return number === 1 ? 'true' : 'false';
      case STRING:
        return JSON.stringify(this.text.at(row));
      case JSON_VALUE:
        return this.text.at(row);
      default:
        return null;
    }
  }

  get heldBytes() {
    return this.tags.heldBytes + this.numbers.heldBytes + (this.text?.heldBytes ?? 0);
  }
}

/** Arrow's validity bitmap of `valid[start..end)` (1 = present) and its count of nulls. */
function bitmapOf(valid, start, end) {
  const length = end - start;
  const nullBitmap = new Uint8Array(Math.ceil(length / 8));
  let nullCount = 0;
  for (let i = 0; i < length; i++) {
    if (valid[start + i]) nullBitmap[i >> 3] |= 1 << (i & 7);
    else nullCount++;
  }
  return { nullBitmap, nullCount };
}

/** Arrow Bool data of `flags[start..end)` (no nulls). */
function boolData(makeData, type, flags, start, end) {
  const length = end - start;
  const data = new Uint8Array(Math.ceil(length / 8));
  for (let i = 0; i < length; i++) if (flags[start + i]) data[i >> 3] |= 1 << (i & 7);
  return makeData({ type, length, nullCount: 0, data });
}

/**
 * JSON with tags for what JSON cannot hold at the top level: `{"$number":"NaN"}` (and ±Infinity),
 * `{"$date":"<ISO>"}`, `{"$bigint":"<digits>"}`.
 */
function encodeValue(value) {
  if (typeof value === 'number' && !Number.isFinite(value)) return JSON.stringify({ $number: String(value) });
  if (value instanceof Date) return JSON.stringify({ $date: Number.isNaN(value.getTime()) ? null : value.toISOString() });
  if (typeof value === 'bigint') return JSON.stringify({ $bigint: value.toString() });
  return JSON.stringify(value) ?? 'null';
}

function decodeValue(text) {
  const value = JSON.parse(text);
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === '$number') return Number(value.$number);
    if (keys.length === 1 && keys[0] === '$date') return new Date(value.$date ?? NaN);
    if (keys.length === 1 && keys[0] === '$bigint') return BigInt(value.$bigint);
  }
  return value;
}

/**
 * The rows of an IPC file written by RowsBuilder:
 * `{ metadata, fields, ids, versions, included, columns }`, columns as JS arrays of the original
 * values (`undefined` where a field was missing). Throws when the bytes are not such a file.
 */
export async function decodeRows(bytes, yielder = new LoopYielder()) {
  const { RecordBatchReader } = await arrow();
  const reader = RecordBatchReader.from(bytes);
  reader.open();
  const raw = reader.schema?.metadata.get(FORMAT);
  if (!raw) throw new Error('not an s3db-ml rows file (no schema metadata)');
  const metadata = JSON.parse(raw);
  if (metadata.formatVersion !== FORMAT_VERSION) throw new Error(`rows format version ${metadata.formatVersion} (this release reads ${FORMAT_VERSION})`);
  const fields = metadata.fields;
  const plans = fields.map((name) => {
    const field = reader.schema.fields.find((f) => f.name === name);
    if (!field) throw new Error(`rows file lacks the column of field "${name}"`);
    return { kind: field.metadata.get('s3db-ml.kind'), missing: field.metadata.get('s3db-ml.missing') };
  });
  const out = { metadata, fields, ids: [], versions: [], included: [], columns: fields.map(() => []) };
  // One record batch per slice of event-loop time.
  for (const batch of reader) {
    const at = (name) => batch.getChild(name).data;
    appendValues(out.ids, at('__id'), 'string', null);
    appendValues(out.versions, at('__version'), 'string', null);
    appendValues(out.included, at('__included'), 'boolean', null);
    fields.forEach((name, c) => {
      const { kind, missing } = plans[c];
      appendValues(out.columns[c], at(name), kind, missing === 'null' ? null : undefined);
    });
    await yielder.maybeYield();
  }
  return out;
}

/**
 * Appends the values of Arrow data chunks (Float64, Bool or Utf8, as written by RowsBuilder) to
 * `target`, reading their buffers directly: `missingValue` stands for an Arrow null.
 */
function appendValues(target, chunks, kind, missingValue) {
  for (const data of chunks) {
    const { length, offset, values, nullBitmap } = data;
    const present = (i) => !nullBitmap || nullBitmap.length === 0 || (nullBitmap[(offset + i) >> 3] & (1 << ((offset + i) & 7))) !== 0;
    if (kind === 'number') {
      for (let i = 0; i < length; i++) target.push(present(i) ? values[offset + i] : missingValue);
    } else if (kind === 'boolean') {
      for (let i = 0; i < length; i++) target.push(present(i) ? (values[(offset + i) >> 3] & (1 << ((offset + i) & 7))) !== 0 : missingValue);
    } else {
      const offsets = data.valueOffsets;
      const start = offsets[offset];
      const bytes = values.subarray(start, offsets[offset + length]);
      const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
      const ascii = text.length === bytes.length;
      for (let i = 0; i < length; i++) {
        if (!present(i)) {
          target.push(missingValue);
          continue;
        }
        const [from, to] = [offsets[offset + i] - start, offsets[offset + i + 1] - start];
        const value = ascii ? text.slice(from, to) : DECODER.decode(bytes.subarray(from, to));
        target.push(kind === 'json' ? decodeValue(value) : value);
      }
    }
  }
}

const DECODER = new TextDecoder();

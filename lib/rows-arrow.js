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

/** Accumulates rows column by column; `encode()` writes the Arrow IPC file. */
export class RowsBuilder {
  /** @param {string[]} fields the model's fields, in column order */
  constructor(fields) {
    this.fields = fields;
    this.ids = [];
    this.versions = [];
    this.included = [];
    this.columns = fields.map(() => []);
  }

  get length() {
    return this.ids.length;
  }

  /** One record: `row` is the prepared object (its fields are read), or null when filtered out. */
  add(id, version, row) {
    this.ids.push(id);
    this.versions.push(version);
    this.included.push(row !== null);
    for (let c = 0; c < this.fields.length; c++) this.columns[c].push(row === null ? null : row[this.fields[c]]);
  }

  /** The Arrow IPC file (Uint8Array); `metadata` (a JSON-able object) goes into the schema. */
  async encode(metadata = {}, yielder = new LoopYielder()) {
    const { Bool, Field, Float64, makeData, RecordBatch, RecordBatchFileWriter, Schema, Struct, Utf8 } = await arrow();
    const types = { number: new Float64(), string: new Utf8(), boolean: new Bool(), json: new Utf8() };
    const plans = this.columns.map((values) => columnPlan(values, this.included));
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
      const included = this.included.slice(start, end);
      const children = [
        columnData(makeData, types.string, this.ids.slice(start, end)),
        columnData(makeData, types.string, this.versions.slice(start, end)),
        columnData(makeData, types.boolean, included),
        ...plans.map((plan, c) => columnData(makeData, types[plan.kind], columnValues(plan, this.columns[c].slice(start, end), included))),
      ];
      const data = makeData({ type: new Struct(fields), length: end - start, nullCount: 0, children });
      writer.write(new RecordBatch(schema, data));
      await yielder.maybeYield();
    }
    writer.finish();
    return writer.toUint8Array(true);
  }
}

/** Arrow data of one column from JS values (null: an Arrow null), built straight into its buffers. */
function columnData(makeData, type, values) {
  const length = values.length;
  const nullBitmap = new Uint8Array(Math.ceil(length / 8));
  let nullCount = 0;
  for (let i = 0; i < length; i++) {
    if (values[i] === null) nullCount++;
    else nullBitmap[i >> 3] |= 1 << (i & 7);
  }
  const common = { type, length, nullCount, nullBitmap: nullCount > 0 ? nullBitmap : undefined };
  if (type.typeId === 3 /* Float */) {
    const data = new Float64Array(length);
    for (let i = 0; i < length; i++) if (values[i] !== null) data[i] = values[i];
    return makeData({ ...common, data });
  }
  if (type.typeId === 6 /* Bool */) {
    const data = new Uint8Array(Math.ceil(length / 8));
    for (let i = 0; i < length; i++) if (values[i] === true) data[i >> 3] |= 1 << (i & 7);
    return makeData({ ...common, data });
  }
  const { valueOffsets, data } = utf8Buffers(values);
  return makeData({ ...common, valueOffsets, data });
}

/** Arrow's Utf8 buffers for `values` (null: empty): one UTF-8 encoding of them all when they are ASCII. */
function utf8Buffers(values) {
  const length = values.length;
  const valueOffsets = new Int32Array(length + 1);
  const joined = values.map((value) => value ?? '').join('');
  const bytes = Buffer.from(joined, 'utf8');
  if (bytes.length === joined.length) {
    // ASCII only (ids and versions always are): byte offsets are character offsets.
    for (let i = 0; i < length; i++) valueOffsets[i + 1] = valueOffsets[i] + (values[i]?.length ?? 0);
    return { valueOffsets, data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length) };
  }
  const encoded = values.map((value) => (value === null ? EMPTY : TEXT.encode(value)));
  for (let i = 0; i < length; i++) valueOffsets[i + 1] = valueOffsets[i] + encoded[i].length;
  const data = new Uint8Array(valueOffsets[length]);
  for (let i = 0; i < length; i++) data.set(encoded[i], valueOffsets[i]);
  return { valueOffsets, data };
}

const TEXT = new TextEncoder();
const EMPTY = new Uint8Array(0);

/**
 * How a column is stored: `{ kind: 'number'|'string'|'boolean'|'json', missing: 'undefined'|'null' }`.
 * Rows dropped by the filter are not values of the column.
 */
function columnPlan(values, included) {
  let kind = null;
  let sawUndefined = false;
  let sawNull = false;
  for (let r = 0; r < values.length; r++) {
    if (!included[r]) continue;
    const value = values[r];
    if (value === undefined) sawUndefined = true;
    else if (value === null) sawNull = true;
    else {
      const type = typeof value;
      const valueKind = type === 'number' || type === 'string' || type === 'boolean' ? type : 'json';
      kind = kind === null || kind === valueKind ? valueKind : 'json';
    }
  }
  if (sawUndefined && sawNull) kind = 'json';
  return { kind: kind ?? 'number', missing: sawUndefined || kind === 'json' ? 'undefined' : 'null' };
}

function columnValues(plan, values, included) {
  return values.map((value, r) => {
    if (!included[r] || value === undefined || value === null) return plan.kind === 'json' && included[r] && value === null ? 'null' : null;
    return plan.kind === 'json' ? encodeValue(value) : value;
  });
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

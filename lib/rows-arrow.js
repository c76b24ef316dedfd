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
//
// The file is written and read by arrow-ipc.js, not the apache-arrow library: reading a
// snapshot gives its columns as typed arrays (StoredRows), which an incremental read copies into
// the training set and into the next snapshot without an object per row.
import { ArrowFileWriter, readArrowFile, TYPE } from './arrow-ipc.js';
import { LoopYielder } from './event-loop.js';

export const RESERVED_COLUMNS = ['__id', '__version', '__included'];
const FORMAT = 's3db-ml.rows';
const FORMAT_VERSION = 1;
/** Rows per record batch: each is built and read in one slice of event-loop time. */
const BATCH_ROWS = 2048;

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

  /**
   * Room for `rows` more rows, their texts sized like those of `like` (StoredRows), so that
   * copying a snapshot's rows grows no buffer.
   */
  reserve(rows, like = null) {
    const textBytes = (text) => (like && like.length > 0 ? Math.ceil((text.bytes.length / like.length) * rows * 1.05) : 0);
    this._ids.reserve(rows, like ? textBytes(like.idText) : 0);
    this._versions.reserve(rows, like ? textBytes(like.versionText) : 0);
    this._included.reserve(rows);
    this.fields.forEach((name, c) => {
      const text = like?.column(name)?.text;
      this._columns[c].reserve(rows, text ? textBytes(text) : 0);
    });
  }

  /** One record: `row` is the prepared object (its fields are read), or null when filtered out. */
  add(id, version, row) {
    this._ids.push(id);
    this._versions.push(version);
    this._included.push(row === null ? 0 : 1);
    for (let c = 0; c < this.fields.length; c++) this._columns[c].push(row === null ? EXCLUDED : row[this.fields[c]], row === null);
    this.length++;
  }

  /**
   * Rows `[from, to)` of `stored` (StoredRows of a file with these fields), copied column by
   * column: the same as `add` with each row's id, version and `stored.rowAt(i)` (or null when
   * dropped by the filter), without an object per row.
   */
  addStored(stored, from, to) {
    this._ids.appendFrom(stored.idText, from, to);
    this._versions.appendFrom(stored.versionText, from, to);
    this._included.reserve(to - from);
    this._included.buffer.set(stored.included.subarray(from, to), this._included.length);
    this._included.length += to - from;
    for (let c = 0; c < this.fields.length; c++) this._columns[c].appendStored(stored.column(this.fields[c]), stored.included, from, to);
    this.length += to - from;
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
    const plans = this._columns.map((column) => column.plan());
    const typeOf = { number: TYPE.FloatingPoint, string: TYPE.Utf8, boolean: TYPE.Bool, json: TYPE.Utf8 };
    const fields = [
      { name: '__id', typeId: TYPE.Utf8, nullable: false, metadata: new Map() },
      { name: '__version', typeId: TYPE.Utf8, nullable: true, metadata: new Map() },
      { name: '__included', typeId: TYPE.Bool, nullable: false, metadata: new Map() },
      ...this.fields.map((name, c) => ({
        name,
        typeId: typeOf[plans[c].kind],
        nullable: true,
        metadata: new Map([['s3db-ml.kind', plans[c].kind], ['s3db-ml.missing', plans[c].missing]]),
      })),
    ];
    const schemaMetadata = new Map([[FORMAT, JSON.stringify({ formatVersion: FORMAT_VERSION, fields: this.fields, ...metadata })]]);
    const writer = new ArrowFileWriter({ fields, metadata: schemaMetadata });
    for (let start = 0; start === 0 || start < this.length; start += BATCH_ROWS) {
      const end = Math.min(start + BATCH_ROWS, this.length);
      const columns = [
        this._ids.data(start, end),
        this._versions.data(start, end),
        boolData(this._included.array, start, end),
        ...plans.map((plan, c) => this._columns[c].data(plan.kind, start, end)),
      ];
      writer.write({ length: end - start, columns });
      await yielder.maybeYield();
    }
    return writer.finish();
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

  /** Room for `rows` more strings of `bytes` bytes in all. */
  reserve(rows, bytes) {
    this.bytes.reserve(bytes);
    this.offsets.reserve(rows);
    this.valid.reserve(rows);
  }

  /** Rows `[from, to)` of another column in this layout (`{ bytes, offsets, valid }`, valid null: all valid). */
  appendFrom(source, from, to) {
    const [start, end] = [source.offsets[from], source.offsets[to]];
    const shift = this.bytes.length - start;
    this.bytes.reserve(end - start);
    this.bytes.buffer.set(source.bytes.subarray(start, end), this.bytes.length);
    this.bytes.length += end - start;
    const count = to - from;
    this.offsets.reserve(count);
    this.valid.reserve(count);
    const offsets = this.offsets.buffer;
    for (let i = 0, at = this.offsets.length; i < count; i++, at++) offsets[at] = source.offsets[from + i + 1] + shift;
    if (source.valid) this.valid.buffer.set(source.valid.subarray(from, to), this.valid.length);
    else this.valid.buffer.fill(1, this.valid.length, this.valid.length + count);
    this.offsets.length += count;
    this.valid.length += count;
  }

  /** `count` nulls. */
  pushNulls(count) {
    this.offsets.reserve(count);
    this.valid.reserve(count);
    this.offsets.buffer.fill(this.bytes.length, this.offsets.length, this.offsets.length + count);
    this.valid.buffer.fill(0, this.valid.length, this.valid.length + count);
    this.offsets.length += count;
    this.valid.length += count;
    return this;
  }

  at(i) {
    if (!this.valid.buffer[i]) return null;
    const offsets = this.offsets.buffer;
    const { buffer } = this.bytes;
    return Buffer.from(buffer.buffer, buffer.byteOffset + offsets[i], offsets[i + 1] - offsets[i]).toString('utf8');
  }

  /** Arrow data of rows `[start, end)` (see ArrowFileWriter). */
  data(start, end) {
    const length = end - start;
    const { nullBitmap, nullCount } = bitmapOf(this.valid.buffer, start, end);
    const offsets = this.offsets.buffer;
    const valueOffsets = new Int32Array(length + 1);
    for (let i = 0; i <= length; i++) valueOffsets[i] = offsets[start + i] - offsets[start];
    const data = this.bytes.buffer.slice(offsets[start], offsets[end]);
    return { nullCount, validity: nullCount > 0 ? nullBitmap : null, offsets: valueOffsets, values: data };
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

  /** Room for `rows` more values (`textBytes` of text, for a column of strings). */
  reserve(rows, textBytes) {
    this.tags.reserve(rows);
    this.numbers.reserve(rows);
    if (textBytes > 0) {
      this.text ??= new Utf8Column().pushNulls(this.length);
      this.text.reserve(rows, textBytes);
    }
  }

  /**
   * Rows `[from, to)` of a StoredColumn, as `push` would take their values (`included[i]` 0: a
   * row the filter dropped): numbers and booleans copied as they are, other values one by one.
   */
  appendStored(column, included, from, to) {
    if (column.kind === 'json') {
      for (let i = from; i < to; i++) this.push(included[i] ? column.valueAt(i) : EXCLUDED, !included[i]);
      return;
    }
    const count = to - from;
    this.tags.reserve(count);
    this.numbers.reserve(count);
    const valueTag = { number: NUMBER, boolean: BOOLEAN, string: STRING }[column.kind];
    // A string column's texts are copied as they are (a row without a string has none).
    if (valueTag === STRING && this.text === null) this.text = new Utf8Column().pushNulls(this.length);
    if (valueTag === STRING) this.text.appendFrom(column.text, from, to);
    else this.text?.pushNulls(count);
    const missingTag = column.missingValue === null ? NULL : ABSENT;
    const { present, numbers } = column;
    const tags = this.tags.buffer;
    const values = this.numbers.buffer;
    const at = this.length;
    if (!present && allSet(included, from, to)) {
      // Every row kept and holding a value: the tag repeated, the numbers copied.
      tags.fill(valueTag, at, at + count);
      if (numbers) values.set(numbers.subarray(from, to), at);
      else values.fill(0, at, at + count);
      this.counts[valueTag] += count;
    } else {
      for (let i = from, row = at; i < to; i++, row++) {
        let tag = valueTag;
        if (!included[i]) tag = EXCLUDED;
        else if (present && !present[i]) tag = missingTag;
        tags[row] = tag;
        values[row] = tag === valueTag && numbers ? numbers[i] : 0;
        this.counts[tag]++;
      }
    }
    this.tags.length += count;
    this.numbers.length += count;
    this.length += count;
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
  data(kind, start, end) {
    const length = end - start;
    const tags = this.tags.buffer.subarray(start, end);
    const numbers = this.numbers.buffer.subarray(start, end);
    // Every row of the column a number: the values as they are, no nulls.
    if (kind === 'number' && this.counts[NUMBER] === this.length) return { nullCount: 0, validity: null, offsets: null, values: numbers.slice() };
    if (kind === 'number' || kind === 'boolean') {
      const valid = new Uint8Array(length);
      for (let i = 0; i < length; i++) valid[i] = tags[i] === NUMBER || tags[i] === BOOLEAN ? 1 : 0;
      const { nullBitmap, nullCount } = bitmapOf(valid, 0, length);
      const common = { nullCount, validity: nullCount > 0 ? nullBitmap : null, offsets: null };
      if (kind === 'number') {
        const values = new Float64Array(length);
        for (let i = 0; i < length; i++) if (valid[i]) values[i] = numbers[i];
        return { ...common, values };
      }
      const values = new Uint8Array(Math.ceil(length / 8));
      for (let i = 0; i < length; i++) if (valid[i] && numbers[i] === 1) values[i >> 3] |= 1 << (i & 7);
      return { ...common, values };
    }
    // A string column is its texts as they are: a row that holds no string has none (an Arrow
    // null, for undefined, null and dropped rows alike).
    if (kind === 'string') return this.text.data(start, end);
    // JSON: every present value as tagged JSON; an Arrow null for undefined and dropped rows.
    const json = new Utf8Column();
    for (let i = 0; i < length; i++) json.push(this._json(tags[i], numbers[i], start + i));
    return json.data(0, length);
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
function boolData(flags, start, end) {
  const length = end - start;
  const values = new Uint8Array(Math.ceil(length / 8));
  if (allSet(flags, start, end)) {
    values.fill(0xff, 0, length >> 3);
    if (length & 7) values[length >> 3] = (1 << (length & 7)) - 1;
  } else {
    for (let i = 0; i < length; i++) if (flags[start + i]) values[i >> 3] |= 1 << (i & 7);
  }
  return { nullCount: 0, validity: null, offsets: null, values };
}

/** Whether `flags[start..end)` are all non-zero. */
function allSet(flags, start, end) {
  return flags.subarray(start, end).indexOf(0) === -1;
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
 * The rows of an IPC file written by RowsBuilder, as StoredRows (columns, no object per row).
 * Throws when the bytes are not such a file. Reads the file itself (arrow-ipc.js), without the
 * apache-arrow library.
 */
export async function readRows(bytes, yielder = new LoopYielder()) {
  const file = readArrowFile(bytes);
  const raw = file.metadata.get(FORMAT);
  if (!raw) throw new Error('not an s3db-ml rows file (no schema metadata)');
  const metadata = JSON.parse(raw);
  if (metadata.formatVersion !== FORMAT_VERSION) throw new Error(`rows format version ${metadata.formatVersion} (this release reads ${FORMAT_VERSION})`);
  const fields = metadata.fields;
  if (!Array.isArray(fields)) throw new Error('rows file metadata lacks its fields');
  const columnOf = (name, typeIds) => {
    const c = file.fields.findIndex((f) => f.name === name);
    if (c === -1) throw new Error(`rows file lacks the column "${name}"`);
    if (!typeIds.includes(file.fields[c].typeId)) throw new Error(`rows file column "${name}" has an unexpected type`);
    return c;
  };
  const chunks = (c) => file.batches.map((batch) => batch.columns[c]);
  const length = file.batches.reduce((n, batch) => n + batch.length, 0);
  const ids = textColumn(chunks(columnOf('__id', [TYPE.Utf8])), length);
  await yielder.maybeYield();
  const versions = textColumn(chunks(columnOf('__version', [TYPE.Utf8])), length);
  await yielder.maybeYield();
  const included = boolColumn(chunks(columnOf('__included', [TYPE.Bool])), length).numbers;
  const columns = [];
  for (const name of fields) {
    const c = columnOf(name, [TYPE.Utf8, TYPE.Bool, TYPE.FloatingPoint]);
    const kind = file.fields[c].metadata.get('s3db-ml.kind');
    const missingValue = file.fields[c].metadata.get('s3db-ml.missing') === 'null' ? null : undefined;
    const expected = { number: TYPE.FloatingPoint, boolean: TYPE.Bool, string: TYPE.Utf8, json: TYPE.Utf8 }[kind];
    if (file.fields[c].typeId !== expected) throw new Error(`rows file column "${name}" is not of its kind ${kind}`);
    let column;
    if (kind === 'number') column = floatColumn(chunks(c), length);
    else if (kind === 'boolean') column = boolColumn(chunks(c), length);
    else {
      column = { present: null, numbers: null, text: textColumn(chunks(c), length, false) };
      column.present = column.text.valid;
    }
    columns.push(new StoredColumn(kind, missingValue, column));
    await yielder.maybeYield();
  }
  return new StoredRows({ metadata, fields, length, ids, versions, included, columns });
}

/**
 * Rows read back from a rows file, column by column: `ids[i]`, `versions[i]` (string or null),
 * `included[i]` (1, or 0 for a record the filter dropped) and one StoredColumn per field. Its
 * typed columns are what a new RowsBuilder or a TrainingSet copies unchanged rows from.
 */
export class StoredRows {
  constructor({ metadata, fields, length, ids, versions, included, columns }) {
    Object.assign(this, { metadata, fields, length, included, columns });
    /** Ids and versions as strings, and as the UTF-8 bytes RowsBuilder copies. */
    this.ids = ids.strings;
    this.versions = versions.strings;
    this.idText = ids;
    this.versionText = versions;
    this._fieldIndex = new Map(fields.map((name, c) => [name, c]));
  }

  /** The column of field `name`, or undefined. */
  column(name) {
    return this.columns[this._fieldIndex.get(name)];
  }

  /** Row `i` as the plain object a fresh read gives (absent fields stay absent). */
  rowAt(i) {
    const row = {};
    for (let c = 0; c < this.fields.length; c++) {
      const value = this.columns[c].valueAt(i);
      if (value !== undefined) row[this.fields[c]] = value;
    }
    return row;
  }
}

/**
 * One field's stored values: `kind` ('number', 'boolean', 'string' or 'json'), `present[i]` (0 for
 * an Arrow null, which stands for `missingValue`; null when every row has a value), and the values:
 * `numbers` (Float64Array: the number, or 0/1) for number and boolean columns, `values` (a JS
 * array of the original values) for the others, and for a string column `text`, its UTF-8 bytes
 * and offsets (textColumn).
 */
export class StoredColumn {
  constructor(kind, missingValue, { present, numbers, text = null }) {
    Object.assign(this, { kind, missingValue, present, numbers, text });
    this._values = null;
  }

  /** A text column's values, decoded on first use (copying rows needs only their bytes). */
  get values() {
    if (this._values === null && this.text) {
      const { kind, missingValue } = this;
      this._values = textStrings(this.text).map((value) => (value === null ? missingValue : kind === 'json' ? decodeValue(value) : value));
    }
    return this._values;
  }

  valueAt(i) {
    if (this.text) return this.values[i];
    if (this.present && !this.present[i]) return this.missingValue;
    return this.kind === 'boolean' ? this.numbers[i] === 1 : this.numbers[i];
  }
}

/** Per-row flags (1 = present) of Arrow chunks' validity bitmaps; null when nothing is null. */
function presentFlags(chunks, length) {
  if (!chunks.some((chunk) => chunk.validity)) return null;
  const present = new Uint8Array(length).fill(1);
  let at = 0;
  for (const { validity, length: rows } of chunks) {
    if (validity) for (let i = 0; i < rows; i++) present[at + i] = (validity[i >> 3] >> (i & 7)) & 1;
    at += rows;
  }
  return present;
}

function floatColumn(chunks, length) {
  const numbers = new Float64Array(length);
  const bytes = new Uint8Array(numbers.buffer);
  let at = 0;
  for (const { values, length: rows } of chunks) {
    bytes.set(values.subarray(0, rows * 8), at * 8);
    at += rows;
  }
  return { present: presentFlags(chunks, length), numbers };
}

/** A Bool column as 0/1 numbers (Float64Array, what RowsBuilder keeps), or `numbers` of __included as bytes. */
function boolColumn(chunks, length) {
  const numbers = new Float64Array(length);
  let at = 0;
  for (const { values, length: rows } of chunks) {
    for (let i = 0; i < rows; i++) numbers[at + i] = (values[i >> 3] >> (i & 7)) & 1;
    at += rows;
  }
  return { present: presentFlags(chunks, length), numbers };
}

/**
 * A Utf8 column as one run of UTF-8 bytes with an offset per row (`{ bytes, offsets, valid }`,
 * RowsBuilder's layout) and, with `decode`, as strings (`strings`, null for an Arrow null).
 */
function textColumn(chunks, length, decode = true) {
  let total = 0;
  for (const { offsets, length: rows } of chunks) total += offsets[rows] - offsets[0];
  const bytes = new Uint8Array(total);
  const offsets = new Int32Array(length + 1);
  let [row, end] = [0, 0];
  for (const chunk of chunks) {
    const first = chunk.offsets[0];
    bytes.set(chunk.values.subarray(first, chunk.offsets[chunk.length]), end);
    for (let i = 1; i <= chunk.length; i++) offsets[row + i] = end + chunk.offsets[i] - first;
    row += chunk.length;
    end = offsets[row];
  }
  const column = { bytes, offsets, valid: presentFlags(chunks, length), strings: null };
  if (decode) column.strings = textStrings(column);
  return column;
}

/** The strings of a text column (null for an Arrow null). */
function textStrings({ bytes, offsets, valid }) {
  const length = offsets.length - 1;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  // All ASCII (ids, versions, most labels): one decode, then slices.
  const ascii = text.length === bytes.length;
  const strings = new Array(length);
  for (let i = 0; i < length; i++) {
    if (valid && !valid[i]) strings[i] = null;
    else strings[i] = ascii ? text.slice(offsets[i], offsets[i + 1]) : DECODER.decode(bytes.subarray(offsets[i], offsets[i + 1]));
  }
  return strings;
}

/**
 * The rows of an IPC file written by RowsBuilder as plain arrays:
 * `{ metadata, fields, ids, versions, included, columns }`, columns as JS arrays of the original
 * values (`undefined` where a field was missing). Throws when the bytes are not such a file.
 */
export async function decodeRows(bytes, yielder = new LoopYielder()) {
  const rows = await readRows(bytes, yielder);
  const all = (column) => Array.from({ length: rows.length }, (_, i) => column.valueAt(i));
  return {
    metadata: rows.metadata,
    fields: rows.fields,
    ids: rows.ids,
    versions: rows.versions,
    included: Array.from(rows.included, (flag) => flag === 1),
    columns: rows.columns.map(all),
  };
}

const DECODER = new TextDecoder();

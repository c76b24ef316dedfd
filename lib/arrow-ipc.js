// A reader and a writer of the Arrow IPC files the training snapshot is stored as (rows-arrow.js), without the
// apache-arrow library: its record batch reader builds an object graph per batch and column, and
// loading it costs more than reading a snapshot of ten thousand rows. This reads the file's
// footer, schema and record batches straight from their flatbuffers, and hands each column's
// buffers back as views of the file's bytes.
//
// It reads what the Arrow IPC file format holds for flat schemas of Float64, Bool and Utf8
// columns (the ones RowsBuilder writes), uncompressed and little-endian; anything else is an
// error naming what it met. Every offset and length read from the bytes is checked against them
// before it is used, so a damaged file is an error, never a read out of bounds or a huge
// allocation. https://arrow.apache.org/docs/format/Columnar.html#ipc-file-format

const MAGIC = 'ARROW1';
/** Arrow's Type union: the members the snapshot uses. */
export const TYPE = { Utf8: 5, Bool: 6, FloatingPoint: 3 };
const TYPE_NAMES = { 1: 'Null', 2: 'Int', 3: 'FloatingPoint', 4: 'Binary', 5: 'Utf8', 6: 'Bool', 7: 'Decimal', 8: 'Date', 9: 'Time', 10: 'Timestamp', 13: 'Struct' };
const DOUBLE = 2;
const RECORD_BATCH = 3;
/** Buffers per column of each type: validity and values, plus offsets for Utf8. */
const BUFFERS = { [TYPE.Utf8]: 3, [TYPE.Bool]: 2, [TYPE.FloatingPoint]: 2 };

class ArrowFormatError extends Error {}

const fail = (message) => {
  throw new ArrowFormatError(`not a readable Arrow IPC file: ${message}`);
};

/**
 * A flatbuffer table at `pos` of `view`: its fields by index, each checked to lie in the bytes.
 * https://flatbuffers.dev/internals/
 */
class Table {
  constructor(view, pos) {
    this.view = view;
    this.pos = pos;
    this.vtable = pos - view.getInt32(pos, true);
    this.vtableSize = view.getUint16(this.vtable, true);
  }

  /** The absolute position of field `i`, or 0 when the table does not hold it. */
  _at(i) {
    const entry = 4 + 2 * i;
    if (entry >= this.vtableSize) return 0;
    const offset = this.view.getUint16(this.vtable + entry, true);
    return offset === 0 ? 0 : this.pos + offset;
  }

  int8(i, fallback = 0) {
    const at = this._at(i);
    return at ? this.view.getUint8(at) : fallback;
  }

  int16(i, fallback = 0) {
    const at = this._at(i);
    return at ? this.view.getInt16(at, true) : fallback;
  }

  int64(i, fallback = 0) {
    const at = this._at(i);
    return at ? int64(this.view, at) : fallback;
  }

  /** Where the object that field `i` refers to (a table, vector or string) starts, or 0. */
  _target(i) {
    const at = this._at(i);
    return at ? at + this.view.getUint32(at, true) : 0;
  }

  table(i) {
    const at = this._target(i);
    return at ? new Table(this.view, at) : null;
  }

  string(i) {
    const at = this._target(i);
    return at ? utf8(this.view, at + 4, this.view.getUint32(at, true)) : null;
  }

  /** A vector of tables: `[Table]` (empty when absent). */
  tables(i) {
    const at = this._target(i);
    if (!at) return [];
    const length = vectorLength(this.view, at, 4);
    return Array.from({ length }, (_, k) => {
      const element = at + 4 + 4 * k;
      return new Table(this.view, element + this.view.getUint32(element, true));
    });
  }

  /** A vector of structs of `size` bytes: `{ at, length }` (the first struct's position). */
  structs(i, size) {
    const at = this._target(i);
    return at ? { at: at + 4, length: vectorLength(this.view, at, size) } : { at: 0, length: 0 };
  }
}

/** A vector's length, checked to fit in the bytes. */
function vectorLength(view, at, elementSize) {
  const length = view.getUint32(at, true);
  if (at + 4 + length * elementSize > view.byteLength) fail('a vector runs past the end of the bytes');
  return length;
}

/** A little-endian int64 as a number (lengths and offsets: beyond 2^53 is damage). */
function int64(view, at) {
  const value = view.getBigInt64(at, true);
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) fail(`an offset or length of ${value}`);
  return Number(value);
}

function utf8(view, at, length) {
  if (at + length > view.byteLength) fail('a string runs past the end of the bytes');
  return Buffer.from(view.buffer, view.byteOffset + at, length).toString('utf8');
}

/** `{ key → value }` of a custom_metadata vector, as a Map. */
function keyValues(table, i) {
  return new Map(table.tables(i).map((pair) => [pair.string(0), pair.string(1)]));
}

function readField(field) {
  const name = field.string(0);
  const typeId = field.int8(2);
  if (field.table(4)) fail(`column "${name}" is dictionary-encoded`);
  if (field.tables(5).length > 0 || !BUFFERS[typeId]) fail(`column "${name}" has type ${TYPE_NAMES[typeId] ?? typeId}`);
  if (typeId === TYPE.FloatingPoint && field.table(3)?.int16(0) !== DOUBLE) fail(`column "${name}" is not Float64`);
  return { name, typeId, nullable: field.int8(1) === 1, metadata: keyValues(field, 6) };
}

/**
 * The schema and record batches of an Arrow IPC file: `{ metadata, fields: [{ name, typeId,
 * nullable, metadata }], batches: [{ length, columns }] }`, each column
 * `{ length, nullCount, validity, offsets, values }`: `validity` the bitmap (null when the column
 * has no nulls), `offsets` an Int32Array for Utf8 (else null), `values` the data bytes
 * (Uint8Array: bit-packed for Bool, UTF-8 for Utf8, little-endian doubles for Float64). The
 * arrays are views of `bytes` where alignment allows, else copies.
 */
export function readArrowFile(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = bytes.byteLength;
  const magicAt = (at) => size >= at + 6 && Buffer.from(bytes.buffer, bytes.byteOffset + at, 6).toString('latin1') === MAGIC;
  if (size < 12 + 10 || !magicAt(0) || !magicAt(size - 6)) fail('no ARROW1 magic at its start and end');
  try {
    const footerLength = view.getInt32(size - 10, true);
    const footerAt = size - 10 - footerLength;
    if (footerLength <= 0 || footerAt < 8) fail('footer length out of range');
    const footerView = new DataView(bytes.buffer, bytes.byteOffset + footerAt, footerLength);
    const footer = new Table(footerView, footerView.getUint32(0, true));
    const schema = footer.table(1);
    if (!schema) fail('no schema in the footer');
    if (schema.int16(0) !== 0) fail('big-endian data');
    const fields = schema.tables(1).map(readField);
    const blocks = footer.structs(3, 24);
    const batches = [];
    for (let b = 0; b < blocks.length; b++) {
      const at = blocks.at + 24 * b;
      batches.push(readBatch(view, int64(footerView, at), footerView.getInt32(at + 8, true), int64(footerView, at + 16), fields));
    }
    return { metadata: keyValues(schema, 2), fields, batches };
  } catch (error) {
    if (error instanceof ArrowFormatError) throw error;
    // A DataView read past the end: the bytes are damaged or not Arrow.
    throw new ArrowFormatError(`not a readable Arrow IPC file: ${error.message}`);
  }
}

/** The record batch whose message starts at `offset` (metadata `metaLength` bytes, then the body). */
function readBatch(view, offset, metaLength, bodyLength, fields) {
  const bodyAt = offset + metaLength;
  if (metaLength < 8 || bodyAt + bodyLength > view.byteLength) fail('a record batch lies outside the bytes');
  // A message: the 0xFFFFFFFF continuation marker, the flatbuffer's length, the flatbuffer.
  const prefix = view.getInt32(offset, true) === -1 ? 8 : 4;
  const metaView = new DataView(view.buffer, view.byteOffset + offset + prefix, metaLength - prefix);
  const message = new Table(metaView, metaView.getUint32(0, true));
  if (message.int8(1) !== RECORD_BATCH) fail('a block that is not a record batch');
  const batch = message.table(2);
  if (batch.table(3)) fail('compressed record batches');
  const length = batch.int64(0);
  const nodes = batch.structs(1, 16);
  const buffers = batch.structs(2, 16);
  if (nodes.length !== fields.length) fail(`a record batch of ${nodes.length} columns for ${fields.length} fields`);
  let next = 0;
  const buffer = () => {
    if (next >= buffers.length) fail('a record batch lacks buffers');
    const at = buffers.at + 16 * next++;
    const [start, bytes] = [int64(metaView, at), int64(metaView, at + 8)];
    if (start + bytes > bodyLength) fail('a buffer runs past its record batch');
    return new Uint8Array(view.buffer, view.byteOffset + bodyAt + start, bytes);
  };
  const columns = fields.map((field, c) => {
    const nodeAt = nodes.at + 16 * c;
    const [rows, nullCount] = [int64(metaView, nodeAt), int64(metaView, nodeAt + 8)];
    if (rows !== length) fail(`column "${field.name}" has ${rows} rows in a batch of ${length}`);
    const validity = buffer();
    const offsets = field.typeId === TYPE.Utf8 ? buffer() : null;
    const values = buffer();
    const bitmapBytes = Math.ceil(rows / 8);
    if (nullCount > 0 && validity.byteLength < bitmapBytes) fail(`column "${field.name}" lacks its validity bitmap`);
    const need = field.typeId === TYPE.FloatingPoint ? rows * 8 : field.typeId === TYPE.Bool ? bitmapBytes : 0;
    if (values.byteLength < need) fail(`column "${field.name}" holds fewer values than rows`);
    const column = { length: rows, nullCount, validity: nullCount > 0 ? validity : null, offsets: null, values };
    if (offsets) {
      if (offsets.byteLength < 4 * (rows + 1)) fail(`column "${field.name}" lacks its offsets`);
      column.offsets = aligned(offsets, Int32Array).subarray(0, rows + 1);
      for (let i = 0; i < rows; i++) {
        if (column.offsets[i] < 0 || column.offsets[i] > column.offsets[i + 1]) fail(`column "${field.name}" has offsets out of order`);
      }
      if (column.offsets[rows] > values.byteLength) fail(`column "${field.name}" has offsets past its data`);
    }
    return column;
  });
  return { length, columns };
}

/** `bytes` as a `Type` array: a view when aligned, else a copy. */
export function aligned(bytes, Type) {
  const count = Math.floor(bytes.byteLength / Type.BYTES_PER_ELEMENT);
  if (bytes.byteOffset % Type.BYTES_PER_ELEMENT === 0) return new Type(bytes.buffer, bytes.byteOffset, count);
  return new Type(bytes.slice(0, count * Type.BYTES_PER_ELEMENT).buffer);
}

/**
 * Writes an Arrow IPC file of flat Float64, Bool and Utf8 columns: `write(batch)` for each record
 * batch, then `finish()` gives the file's bytes. The schema is `{ fields: [{ name, typeId,
 * nullable, metadata: Map }], metadata: Map }`; a batch is `{ length, columns }`, each column
 * `{ nullCount, validity (bitmap, or null), offsets (Int32Array, Utf8 only), values }`.
 * Buffers start 8-byte aligned and flatbuffers keep their fields aligned, as Arrow's readers
 * (C++'s verifier among them) require.
 */
export class ArrowFileWriter {
  constructor(schema) {
    this.schema = schema;
    this._chunks = [];
    this._size = 0;
    this._blocks = [];
    this._append(Buffer.from(`${MAGIC}\0\0`, 'latin1'));
    this._message(1, schemaTable(schema), []);
  }

  write({ length, columns }) {
    const nodes = [];
    const buffers = [];
    const body = [];
    let bodyLength = 0;
    const addBuffer = (view) => {
      const bytes = view ? new Uint8Array(view.buffer, view.byteOffset, view.byteLength) : new Uint8Array(0);
      buffers.push([bodyLength, bytes.byteLength]);
      body.push(bytes);
      bodyLength += bytes.byteLength;
      const pad = padding(bodyLength);
      if (pad > 0) body.push(new Uint8Array(pad));
      bodyLength += pad;
    };
    columns.forEach((column, c) => {
      nodes.push([length, column.nullCount]);
      addBuffer(column.nullCount > 0 ? column.validity : null);
      if (this.schema.fields[c].typeId === TYPE.Utf8) addBuffer(column.offsets);
      addBuffer(column.values);
    });
    const header = table([
      ['i64', length],
      ['structs', { size: 16, items: nodes.map(([rows, nulls]) => [['i64', rows], ['i64', nulls]]) }],
      ['structs', { size: 16, items: buffers.map(([offset, bytes]) => [['i64', offset], ['i64', bytes]]) }],
    ]);
    const offset = this._size;
    const metaDataLength = this._message(RECORD_BATCH, header, body, bodyLength);
    this._blocks.push({ offset, metaDataLength, bodyLength });
  }

  /** The file's bytes (the writer is spent). */
  finish() {
    // The stream's end marker, then the footer: the schema again and where each batch is.
    this._append(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
    const footer = flatbuffer(
      table([
        ['i16', METADATA_V5],
        ['table', schemaTable(this.schema)],
        ['structs', { size: 24, items: [] }],
        ['structs', { size: 24, items: this._blocks.map((b) => [['i64', b.offset], ['i32', b.metaDataLength], ['pad', 4], ['i64', b.bodyLength]]) }],
      ]),
    );
    this._append(footer);
    const tail = new Uint8Array(10);
    new DataView(tail.buffer).setInt32(0, footer.byteLength, true);
    tail.set(Buffer.from(MAGIC, 'latin1'), 4);
    this._append(tail);
    const out = new Uint8Array(this._size);
    let at = 0;
    for (const chunk of this._chunks) {
      out.set(chunk, at);
      at += chunk.byteLength;
    }
    this._chunks = [];
    return out;
  }

  _append(bytes) {
    this._chunks.push(bytes);
    this._size += bytes.byteLength;
  }

  /** An encapsulated message (marker, length, flatbuffer padded to 8) and its body; its metadata length. */
  _message(headerType, header, body, bodyLength = 0) {
    const meta = flatbuffer(table([['i16', METADATA_V5], ['u8', headerType], ['table', header], ['i64', bodyLength]]));
    const metaLength = meta.byteLength + padding(8 + meta.byteLength);
    const prefix = new Uint8Array(8);
    const view = new DataView(prefix.buffer);
    view.setInt32(0, -1, true);
    view.setInt32(4, metaLength, true);
    this._append(prefix);
    this._append(meta);
    this._append(new Uint8Array(metaLength - meta.byteLength));
    for (const bytes of body) this._append(bytes);
    return 8 + metaLength;
  }
}

const METADATA_V5 = 4;
const padding = (size) => (8 - (size % 8)) % 8;

function schemaTable({ fields, metadata }) {
  return table([
    ['i16', 0], // little-endian
    ['tables', fields.map(fieldTable)],
    ['tables', [...metadata].map(keyValueTable)],
  ]);
}

function fieldTable({ name, typeId, nullable, metadata }) {
  const type = typeId === TYPE.FloatingPoint ? table([['i16', DOUBLE]]) : table([]);
  return table([
    ['string', name],
    ['bool', nullable],
    ['u8', typeId],
    ['table', type],
    ['absent'],
    ['tables', []],
    ['tables', [...metadata].map(keyValueTable)],
  ]);
}

const keyValueTable = ([key, value]) => table([['string', key], ['string', value]]);

/** A flatbuffer table to write: its fields in order, each `[kind, value]`. */
const table = (fields) => ({ fields });

const SCALAR = { u8: 1, bool: 1, i16: 2, i32: 4, i64: 8, pad: 1 };

/**
 * The bytes of a flatbuffer whose root is `root` (see `table`). Written front to back: each
 * table's vtable, then the table, then what its fields refer to, which therefore always lies
 * after the reference (flatbuffers' offsets are unsigned), each aligned to its size.
 */
function flatbuffer(root) {
  const out = new ByteWriter();
  out.u32(0); // the root offset, patched below
  out.patch(0, writeTable(out, root));
  out.align(8);
  return out.bytes();
}

/** Writes `t` and what it refers to; returns the table's position. */
function writeTable(out, t) {
  // Inline layout: the vtable offset, then 8-byte, 4-byte (references included), 2-byte and 1-byte fields.
  const slots = t.fields.map(([kind], i) => ({ i, kind, size: kind === 'absent' ? 0 : SCALAR[kind] ?? 4 }));
  const placed = slots.filter((s) => s.size > 0).sort((a, b) => b.size - a.size || a.i - b.i);
  let size = 4;
  for (const slot of placed) {
    size += (slot.size - (size % slot.size)) % slot.size;
    slot.at = size;
    size += slot.size;
  }
  const vtableSize = 4 + 2 * t.fields.length;
  out.align(2);
  const vtable = out.pos;
  out.u16(vtableSize);
  out.u16(size);
  for (const slot of slots) out.u16(slot.size > 0 ? slot.at : 0);
  out.align(8);
  const start = out.pos;
  out.zeros(size);
  out.view().setInt32(start, start - vtable, true);
  const references = [];
  for (const slot of placed) {
    const value = t.fields[slot.i][1];
    const at = start + slot.at;
    const view = out.view();
    if (slot.kind === 'u8' || slot.kind === 'bool') view.setUint8(at, Number(value));
    else if (slot.kind === 'i16') view.setInt16(at, value, true);
    else if (slot.kind === 'i32') view.setInt32(at, value, true);
    else if (slot.kind === 'i64') view.setBigInt64(at, BigInt(value), true);
    else references.push({ at, kind: slot.kind, value });
  }
  for (const { at, kind, value } of references) out.patch(at, writeReferred(out, kind, value));
  return start;
}

/** Writes a table, string or vector a field refers to; returns its position. */
function writeReferred(out, kind, value) {
  if (kind === 'table') return writeTable(out, value);
  if (kind === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    out.align(4);
    const at = out.pos;
    out.u32(bytes.byteLength);
    out.raw(bytes);
    out.zeros(1);
    return at;
  }
  if (kind === 'tables') {
    out.align(4);
    const at = out.pos;
    out.u32(value.length);
    out.zeros(4 * value.length);
    value.forEach((child, k) => out.patch(at + 4 + 4 * k, writeTable(out, child)));
    return at;
  }
  // A vector of structs: its elements 8-byte aligned, after the 4-byte length.
  while ((out.pos + 4) % 8 !== 0) out.zeros(1);
  const at = out.pos;
  out.u32(value.items.length);
  for (const item of value.items) {
    const base = out.pos;
    out.zeros(value.size);
    let offset = 0;
    for (const [type, field] of item) {
      if (type === 'i64') out.view().setBigInt64(base + offset, BigInt(field), true);
      else if (type === 'i32') out.view().setInt32(base + offset, field, true);
      offset += SCALAR[type] * (type === 'pad' ? field : 1);
    }
  }
  return at;
}

/** Bytes written front to back, with in-place patches of unsigned offsets. */
class ByteWriter {
  constructor() {
    this.buffer = new Uint8Array(1024);
    this.pos = 0;
  }

  _room(extra) {
    if (this.pos + extra <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.pos + extra));
    grown.set(this.buffer.subarray(0, this.pos));
    this.buffer = grown;
  }

  view() {
    return new DataView(this.buffer.buffer, 0, this.buffer.length);
  }

  zeros(count) {
    this._room(count);
    this.buffer.fill(0, this.pos, this.pos + count);
    this.pos += count;
  }

  align(to) {
    this.zeros((to - (this.pos % to)) % to);
  }

  raw(bytes) {
    this._room(bytes.byteLength);
    this.buffer.set(bytes, this.pos);
    this.pos += bytes.byteLength;
  }

  u16(value) {
    this._room(2);
    this.view().setUint16(this.pos, value, true);
    this.pos += 2;
  }

  u32(value) {
    this._room(4);
    this.view().setUint32(this.pos, value, true);
    this.pos += 4;
  }

  /** The unsigned offset at `at` to `target` (which lies after it). */
  patch(at, target) {
    this.view().setUint32(at, target - at, true);
  }

  bytes() {
    return this.buffer.slice(0, this.pos);
  }
}

// The training snapshot's rows as Arrow IPC: every prepared value comes back as it went in
// (types, null against missing, NaN, -0, dates), and a standard reader opens the file.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { decodeRows, readRows, RowsBuilder } from '../lib/rows-arrow.js';
import { leastHeapGrowth } from './support/heap.js';
import { referencePython } from './support/python.js';

const fields = ['n', 's', 'b', 'withNull', 'withMissing', 'mixed', 'both', 'id'];
const rows = [
  { n: 1.5, s: 'a', b: true, withNull: 1, withMissing: 'x', mixed: 1, both: 1, id: 'r1' },
  { n: -0, s: '', b: false, withNull: null, mixed: 'one', both: null, id: 'r2' },
  { n: NaN, s: 'ü€', b: true, withNull: 2, withMissing: 'y', mixed: true, id: 'r3' },
  null, // dropped by the filter
  { n: Infinity, s: '1', b: false, withNull: 3, withMissing: 'z', mixed: new Date('2026-01-02T03:04:05.678Z'), both: 'two', id: 'r5' },
  { n: -1e308, s: 'long'.repeat(100), b: true, withNull: null, mixed: 12345678901234567890n, both: [1, { a: 2 }], id: 'r6' },
];

function build(values) {
  const builder = new RowsBuilder(fields);
  values.forEach((row, i) => builder.add(`id${i}`, i % 2 ? null : `"etag${i}"|${i}|0`, row));
  return builder;
}

describe('rows as Arrow IPC', () => {
  it('round-trips every value, with null and missing kept apart', async () => {
    const decoded = await decodeRows(await build(rows).encode({ modelName: 'm' }));
    expect(decoded.metadata).toMatchObject({ formatVersion: 1, fields, modelName: 'm' });
    expect(decoded.ids).toEqual(rows.map((_, i) => `id${i}`));
    expect(decoded.versions).toEqual(rows.map((_, i) => (i % 2 ? null : `"etag${i}"|${i}|0`)));
    expect(decoded.included).toEqual(rows.map((row) => row !== null));
    rows.forEach((row, r) => {
      if (row === null) return;
      fields.forEach((field, c) => {
        expect(Object.is(decoded.columns[c][r], row[field]) || decoded.columns[c][r]?.toString() === row[field]?.toString()).toBe(true);
        expect(typeof decoded.columns[c][r]).toBe(typeof row[field]);
      });
    });
    expect(decoded.columns[fields.indexOf('mixed')][4]).toBeInstanceOf(Date);
    expect(decoded.columns[fields.indexOf('both')][5]).toEqual([1, { a: 2 }]);
  });

  it('an empty set of rows, and one larger than a record batch', async () => {
    expect((await decodeRows(await build([]).encode())).ids).toEqual([]);
    const many = Array.from({ length: 5000 }, (_, i) => ({ n: i, s: `s${i}`, b: i % 3 === 0, id: `r${i}` }));
    const decoded = await decodeRows(await build(many).encode());
    expect(decoded.ids.length).toBe(5000);
    expect(decoded.columns[0]).toEqual(many.map((r) => r.n));
    expect(decoded.columns[2]).toEqual(many.map((r) => r.b));
  });

  it('bytes that are not such a file are an error', async () => {
    await expect(decodeRows(Buffer.from('not arrow at all'))).rejects.toThrow();
  });

  it('a damaged file is an error or other values, never a crash or a hang', async () => {
    const bytes = await build(rows).encode({ modelName: 'm' });
    const outcomes = { error: 0, read: 0 };
    const attempt = async (damaged) => {
      try {
        await readRows(damaged);
        outcomes.read++;
      } catch (error) {
        expect(error).toBeInstanceOf(Error);
        outcomes.error++;
      }
    };
    // Every truncation, then single bytes set to values that break offsets and lengths.
    for (let end = 0; end < bytes.length; end += 3) await attempt(bytes.slice(0, end));
    for (let at = 0; at < bytes.length; at += 5) {
      for (const value of [0x00, 0x7f, 0xff]) {
        const damaged = bytes.slice();
        damaged[at] = value;
        await attempt(damaged);
      }
    }
    expect(outcomes.error).toBeGreaterThan(bytes.length / 3);
  });

  it('apache-arrow reads the file, and a file apache-arrow wrote reads back the same', async () => {
    const bytes = await build(rows).encode({ modelName: 'm' });
    const table = tableFromIPC(bytes);
    expect(table.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['__id:Utf8', '__version:Utf8', '__included:Bool', 'n:Float64', 's:Utf8', 'b:Bool', 'withNull:Float64', 'withMissing:Utf8', 'mixed:Utf8', 'both:Utf8', 'id:Utf8']);
    expect(table.getChild('s').toArray()).toEqual(rows.map((r) => r?.s ?? null));
    expect([...table.getChild('n')].slice(0, 3)).toEqual([1.5, -0, NaN]);
    // Snapshots written by earlier releases (apache-arrow's writer) stay readable.
    const rewritten = tableToIPC(table, 'file');
    expect(Buffer.compare(Buffer.from(rewritten), Buffer.from(bytes))).not.toBe(0);
    expect(await decodeRows(rewritten)).toEqual(await decodeRows(bytes));
  });

  it('pyarrow reads it with typed columns', async () => {
    const python = referencePython();
    if (!python) return; // not provided outside CI (see support/python.js)
    const file = join(mkdtempSync(join(tmpdir(), 's3db-ml-rows-')), 'rows.arrow');
    writeFileSync(file, await build(rows).encode());
    const script = [
      'import sys, json, pyarrow.ipc as ipc',
      't = ipc.open_file(sys.argv[1]).read_all()',
      // Offsets, lengths, validity bitmaps and UTF-8 checked in full: the file is our own writer's.
      't.validate(full=True)',
      "print(json.dumps({'types': {f.name: str(f.type) for f in t.schema}, 's': t.column('s').to_pylist(), 'withNull': t.column('withNull').to_pylist()}))",
    ].join('\n');
    const read = JSON.parse(execFileSync(python, ['-c', script, file], { encoding: 'utf8' }));
    expect(read.types).toEqual({ __id: 'string', __version: 'string', __included: 'bool', n: 'double', s: 'string', b: 'bool', withNull: 'double', withMissing: 'string', mixed: 'string', both: 'string', id: 'string' });
    expect(read.s).toEqual(rows.map((r) => r?.s ?? null));
    expect(read.withNull).toEqual([1, null, 2, null, 3, null]);
  });
});

describe('rows copied from a snapshot', () => {
  it('addStored writes the bytes that adding each row again writes', async () => {
    const fields = ['n', 'label', 'late', 'flag', 'mixed', 'id'];
    const row = (i) =>
      i % 9 === 4
        ? null
        : {
            n: i % 11 === 0 ? null : i * 1.25,
            label: i % 13 === 0 ? undefined : `label ${i % 3}${i % 17 === 0 ? ' ü' : ''}`,
            // A string column whose first rows hold no string.
            ...(i > 3000 ? { late: `late ${i}` } : {}),
            flag: i % 2 === 0,
            mixed: i % 5 === 0 ? 'five' : i,
            id: `r${i}`,
          };
    const n = 5000;
    const version = (i) => (i % 7 === 0 ? null : `"etag${i}"|${i}|0`);
    const original = new RowsBuilder(fields);
    for (let i = 0; i < n; i++) original.add(`r${i}`, version(i), row(i));
    const bytes = await original.encode({ modelName: 'm' });
    const stored = await readRows(bytes);
    // Runs of every length, with rows added one by one between them.
    const copied = new RowsBuilder(fields);
    for (let i = 0; i < n; ) {
      if (i % 301 === 17) {
        copied.add(`r${i}`, version(i), row(i));
        i++;
        continue;
      }
      const to = Math.min(n, i + 1 + (i % 97));
      copied.addStored(stored, i, to);
      i = to;
    }
    expect(Buffer.compare(Buffer.from(await copied.encode({ modelName: 'm' })), Buffer.from(bytes))).toBe(0);
    expect(stored.rowAt(5)).toEqual(row(5));
  });
});

describe('what the builder holds', () => {
  it("keeps rows outside the JavaScript heap: no object or string per row", async () => {
    const n = 50_000;
    const fill = () => {
      const builder = new RowsBuilder(['a', 'b', 'label', 'id']);
      for (let i = 0; i < n; i++) builder.add(`record-${i}-abcdefghij`, `"d41d8cd98f00b204e9800998ecf8427e"|${1764547200000 + i}|0`, { a: i, b: i / 7, label: `label ${i % 3}`, id: `record-${i}-abcdefghij` });
      return builder;
    };
    // Strings for each row's id, version and label would take over 150 bytes a row here.
    const { least, growths } = await leastHeapGrowth(fill);
    expect(least, `bytes of heap in each try: ${growths.join(', ')}`).toBeLessThan(n * 8);
    const builder = fill();
    expect(builder.idAt(n - 1)).toBe(`record-${n - 1}-abcdefghij`);
    const decoded = await decodeRows(await builder.encode());
    expect(decoded.columns[2][4]).toBe('label 1');
    expect(decoded.versions[n - 1]).toBe(`"d41d8cd98f00b204e9800998ecf8427e"|${1764547200000 + n - 1}|0`);
  });
});

// A full read holds a window of records, never the whole resource: under a JavaScript heap too
// small for every record at once, train() reads them all, while s3db.js's own list(), which
// holds them all, runs out of heap. Each runs in a Node process of its own with the heap capped.
// The records are fat (a 96 KiB note each, in the body, which training does not read) and live
// in a memory database, whose objects are Buffers outside the JavaScript heap: 1000 of them
// decoded at once need more heap than the whole cap, while the read stays near the 45-50 MiB
// that s3db.js and the plugin take after loading. A read that held its records would fail here.
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { leastHeapGrowth } from './support/heap.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const HEAP_CAP_MB = 96;
const RECORDS = 1000;
const NOTE_KIB = 96;

/** Runs `read` ('train' or 'list') in a child with the old space capped: `{ code, result, stderr }`. */
function readUnderCap(read) {
  const script = `
    import { Database } from 's3db.js';
    import { MLPlugin } from './index.js';
    const db = new Database({ connectionString: 'memory://bounded-read-${read}/data', logLevel: 'silent' });
    await db.connect();
    const notes = await db.createResource({ name: 'notes', behavior: 'body-only', attributes: { x: 'number', y: 'number', note: 'string' } });
    const ml = new MLPlugin({ logLevel: 'silent', backend: 'cpu', saveModel: false,
      models: { line: { type: 'regression', resource: 'notes', features: ['x'], target: 'y', modelConfig: { epochs: 1 } } } });
    await db.usePlugin(ml);
    // One note string shared by the inserted objects; each record read back decodes its own copy.
    const note = 'n'.repeat(${NOTE_KIB} * 1024);
    for (let done = 0; done < ${RECORDS}; done += 250) {
      await notes.insertMany(Array.from({ length: 250 }, (_, i) => ({ x: done + i, y: 2 * (done + i) + 1, note })));
    }
    const result = '${read}' === 'train'
      ? { samples: (await ml.train('line')).read.fetched }
      : { samples: (await notes.list({ limit: ${RECORDS} })).length };
    console.log(JSON.stringify(result));
    await db.disconnect();
  `;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_CAP_MB}`, '--input-type=module', '-e', script], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stderr = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code, signal) => {
      const line = out.trim().split('\n').at(-1);
      resolve({ code: code ?? signal, result: line?.startsWith('{') ? JSON.parse(line) : null, stderr });
    });
  });
}

describe(`a full read under a ${HEAP_CAP_MB} MiB JavaScript heap`, () => {
  it(`trains on ${RECORDS} records of ${NOTE_KIB} KiB that list() cannot hold at once`, async () => {
    const [train, list] = await Promise.all([readUnderCap('train'), readUnderCap('list')]);
    // The control: holding every record does not fit under the cap.
    expect(list.code, `list() was expected to run out of heap: ${JSON.stringify(list.result)}`).not.toBe(0);
    expect(list.stderr).toMatch(/heap out of memory/i);
    // The training read every record within it.
    expect(train.code, train.stderr.slice(-2000)).toBe(0);
    expect(train.result).toEqual({ samples: RECORDS });
  });
});

describe('the key listing', () => {
  it('keeps each id as a string of its own, not the key it was cut from', async () => {
    const { RecordListing } = await import('../lib/record-reader.js');
    const n = 20_000;
    const prefix = `${'k'.repeat(200)}/resource=points/data/id=`;
    const { least, growths } = await leastHeapGrowth(() => {
      let keys = Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(22, '0')}`);
      const listing = new RecordListing();
      for (const key of keys) listing.add(key.slice(key.lastIndexOf('/id=') + 4), '"etag"', 0, 0);
      listing.sortById();
      keys = null;
      expect(listing.ids[n - 1]).toBe(String(n - 1).padStart(22, '0'));
      return listing;
    });
    // An id of 22 characters and its slots in the listing's arrays take about 60 bytes; an id
    // that kept its 250-character key alive takes over 300.
    expect(least / n, `bytes an id in each try: ${growths.map((g) => g / n).join(', ')}`).toBeLessThan(150);
  });
});

// The training snapshot: retraining GETs only records that changed since the last training, and
// trains exactly the model a full read trains. On the memory, file and real S3 clients: counted
// object reads, updates and deletes, another instance's inserts, a damaged snapshot, a restart.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from 's3db.js';
import { MLPlugin, ModelConfigError } from '../index.js';
import { LoopYielder } from '../lib/event-loop.js';
import { native } from '../lib/native.js';
import { listS3Ranges } from '../lib/record-reader.js';
import { fileDatabase, memoryDatabase, productRows, s3Database } from './support/db.js';
import { referencePython } from './support/python.js';

const attributes = { cost: 'number', demand: 'number', price: 'number' };
const priceModel = (extra = {}) => ({
  type: 'regression',
  resource: 'products',
  features: ['cost', 'demand'],
  target: 'price',
  modelConfig: { epochs: 3, batchSize: 64, polynomial: 2, units: 8 },
  ...extra,
});
const probes = [
  { cost: 50, demand: 100 },
  { cost: 300, demand: 700 },
  { cost: 480, demand: 990 },
];

async function pluginOn(db, models = { price: priceModel() }) {
  const ml = new MLPlugin({ logLevel: 'silent', backend: 'cpu', models });
  await db.usePlugin(ml);
  return ml;
}

/**
 * Counts GETs of record objects (not of the plugin's own keys): those through `db`'s s3db.js
 * client, and on S3 those of the plugin's native client (NativeStore.getObject, any instance: in
 * these tests one plugin reads at a time).
 */
function countRecordReads(db) {
  const counter = { count: 0 };
  const count = (key) => {
    if (key.includes('/data/id=')) counter.count++;
  };
  const getObject = db.client.getObject.bind(db.client);
  db.client.getObject = (key) => {
    count(key);
    return getObject(key);
  };
  const { NativeStore } = native();
  const nativeGet = NativeStore.prototype.getObject;
  NativeStore.prototype.getObject = function getObject(key) {
    count(key);
    return nativeGet.call(this, key);
  };
  return counter;
}

const predictions = (ml) => Promise.all(probes.map((p) => ml.predict('price', p)));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A record written less than the store's timestamp granularity before its GET is read again next
// time (see record-reader.js); the tests let their writes settle so that reads are exact.
const clients = [
  ['memory', memoryDatabase, (db) => memoryDatabase({ connectionString: db.client.connectionString }), 5],
  ['file', fileDatabase, (db) => fileDatabase({ connectionString: db.client.connectionString }), 100],
  ['s3', s3Database, (db) => new Database({ ...db.databaseOptions, logLevel: 'silent' }), 2100],
];

for (const [client, makeDatabase, sameStorage, settleMs] of clients) {
  describe(`training snapshot on the ${client} client`, () => {
    const open = [];
    let db;
    let ml;
    let reads;
    let resource;
    beforeAll(async () => {
      db = makeDatabase();
      open.push(db);
      await db.connect();
      resource = await db.createResource({ name: 'products', attributes });
      await resource.insertMany(productRows(200, 31));
      ml = await pluginOn(db);
      reads = countRecordReads(db);
      await sleep(settleMs);
    });
    afterAll(async () => {
      for (const each of open) await each.disconnect().catch(() => {});
    });

    it('the first training reads every record once and writes the snapshot', async () => {
      reads.count = 0;
      const result = await ml.train('price');
      expect(result.read).toMatchObject({ mode: 'full', reason: 'missing', listed: 200, fetched: 200, reused: 0 });
      expect(reads.count).toBe(200);
    });

    it('after 1% new records it reads only those, and trains the model a full read trains', async () => {
      await resource.insertMany(productRows(2, 32));
      await sleep(settleMs);
      reads.count = 0;
      const incremental = await ml.train('price');
      expect(incremental.read).toMatchObject({ mode: 'incremental', listed: 202, fetched: 2, reused: 200, deleted: 0 });
      expect(reads.count).toBe(2);
      expect(incremental.samples).toBe(202);
      const fromSnapshot = await predictions(ml);

      const full = await ml.train('price', { full: true });
      expect(full.read).toMatchObject({ mode: 'full', reason: 'full read requested', fetched: 202 });
      expect(reads.count).toBe(2 + 202);
      expect(full.loss).toBe(incremental.loss);
      expect(await predictions(ml)).toEqual(fromSnapshot);
    });

    it('an update is read again and a delete drops its row', async () => {
      await sleep(settleMs);
      const [first, second] = await resource.list({ limit: 2 });
      await resource.update(first.id, { price: first.price + 500 });
      await resource.delete(second.id);
      await sleep(settleMs);
      reads.count = 0;
      const incremental = await ml.train('price');
      expect(incremental.read).toMatchObject({ mode: 'incremental', listed: 201, fetched: 1, deleted: 1 });
      expect(reads.count).toBe(1);
      expect(incremental.samples).toBe(201);
      const fromSnapshot = await predictions(ml);
      await ml.train('price', { full: true });
      expect(await predictions(ml)).toEqual(fromSnapshot);
    });

    it("another instance's inserts are picked up", async () => {
      const other = sameStorage(db);
      open.push(other);
      await other.connect();
      const otherResource = other.resources.products ?? (await other.createResource({ name: 'products', attributes }));
      await otherResource.insertMany(productRows(3, 33));
      await sleep(settleMs);
      reads.count = 0;
      const result = await ml.train('price');
      expect(result.read).toMatchObject({ mode: 'incremental', listed: 204, fetched: 3 });
      expect(reads.count).toBe(3);
    });

    it('a damaged snapshot means a full read, which rewrites it', async () => {
      const storage = ml.getStorage();
      const manifest = await storage.get(storage.getPluginKey('products', 'snapshots', 'price', 'manifest'));
      const bytes = Buffer.from((await db.client.getObject(manifest.key).then((o) => o.Body.transformToByteArray())));
      bytes[bytes.length >> 1] ^= 0xff;
      await db.client.putObject({ key: manifest.key, body: bytes, contentType: 'application/octet-stream' });
      reads.count = 0;
      const repaired = await ml.train('price');
      expect(repaired.read).toMatchObject({ mode: 'full', reason: 'damaged', fetched: 204 });
      expect(reads.count).toBe(204);
      await sleep(settleMs);
      expect((await ml.train('price')).read).toMatchObject({ mode: 'incremental', fetched: 0 });
    });

    it('after a restart the snapshot is read from storage', async () => {
      const before = await predictions(ml);
      const restarted = sameStorage(db);
      open.push(restarted);
      await restarted.connect();
      restarted.resources.products ?? (await restarted.createResource({ name: 'products', attributes }));
      const mlAgain = await pluginOn(restarted);
      const restartedReads = countRecordReads(restarted);
      const result = await mlAgain.train('price');
      expect(result.read).toMatchObject({ mode: 'incremental', listed: 204, fetched: 0, reused: 204 });
      expect(restartedReads.count).toBe(0);
      expect(await predictions(mlAgain)).toEqual(before);
    });

    if (client === 'file') {
      it("binary objects (the snapshot's rows, the model's weights) are stored once, not again in their metadata file", async () => {
        const storage = ml.getStorage();
        const manifest = await storage.get(storage.getPluginKey('products', 'snapshots', 'price', 'manifest'));
        const files = [];
        const walk = (dir) => {
          for (const entry of readdirSync(dir, { withFileTypes: true })) {
            if (entry.isDirectory()) walk(join(dir, entry.name));
            else files.push(join(dir, entry.name));
          }
        };
        walk(db.client.basePath);
        const rowsFile = files.find((file) => file.endsWith(manifest.key.split('/').at(-1)));
        expect(statSync(rowsFile).size).toBe(manifest.bytes);
        // s3db.js's own putObject would copy the body into the metadata, as a JSON array of bytes.
        const binaries = files.filter((file) => file.endsWith('.arrow') || file.endsWith('.safetensors'));
        expect(binaries.filter((file) => file.endsWith('.arrow'))).toEqual([rowsFile]);
        expect(binaries.some((file) => file.endsWith('.safetensors'))).toBe(true);
        for (const file of binaries) {
          const meta = JSON.parse(readFileSync(`${file}.meta.json`, 'utf8'));
          expect(meta.body).toBeUndefined();
          expect(meta.size).toBe(statSync(file).size);
        }
        // Another Database on the same directory reads the object as the client's own.
        const other = sameStorage(db);
        open.push(other);
        await other.connect();
        const object = await other.client.getObject(manifest.key);
        expect(Buffer.from(await object.Body.transformToByteArray())).toEqual(readFileSync(rowsFile));
        expect((await other.client.headObject(manifest.key)).ContentLength).toBe(manifest.bytes);
      });
    }

    if (client === 's3') {
      it('a LIST cut into ranges at any bounds returns exactly what one listing returns', async () => {
        const prefix = 'resource=products/data/';
        const whole = [];
        let token = null;
        do {
          const page = await db.client.listObjects({ prefix, continuationToken: token });
          whole.push(...(page.Contents ?? []).map((o) => o.Key));
          token = page.IsTruncated ? page.NextContinuationToken : null;
        } while (token);
        const ids = whole.map((key) => key.slice(key.lastIndexOf('/id=') + 4));
        // Bounds before every id, at ids, between ids, after every id; 7 keys a LIST call so
        // that ranges also page.
        const bounds = ['', ids[3], `${ids[3]}~`, ids[50], ids[51], ids.at(-1), '~~~~'];
        // Through the AWS SDK s3db.js uses, and through the plugin's native client: the same
        // keys, ETags, times and sizes. Ranges are listed side by side: their keys arrive interleaved.
        const store = await ml._store.weights.store();
        const listRanges = async (at, options) => {
          const objects = [];
          const collect = (key, etag, modifiedMs, size) => objects.push(`${key} ${etag} ${modifiedMs} ${size}`);
          expect(await listS3Ranges(db.client, prefix, at, new LoopYielder(), collect, options)).toBe(true);
          return objects.sort();
        };
        const viaSdk = await listRanges(bounds, { maxKeys: 7 });
        expect(viaSdk.map((line) => line.split(' ')[0])).toEqual(whole);
        expect(await listRanges(bounds, { maxKeys: 7, store })).toEqual(viaSdk);
        expect(await listRanges([ids[100]], { store })).toEqual(viaSdk);
        expect(await listRanges([], { store })).toEqual(viaSdk);
        expect(await listRanges([ids[100]])).toEqual(viaSdk);
      });

      it('a manifest that is not JSON, or is missing, means a full read', async () => {
        const storage = ml.getStorage();
        const manifestKey = storage.getPluginKey('products', 'snapshots', 'price', 'manifest');
        await db.client.putObject({ key: manifestKey, body: '{"not json', contentType: 'application/json' });
        reads.count = 0;
        expect((await ml.train('price')).read).toMatchObject({ mode: 'full', reason: expect.stringMatching(/^unreadable manifest/), fetched: 204 });
        await db.client.deleteObject(manifestKey);
        expect((await ml.train('price')).read).toMatchObject({ mode: 'full', reason: 'missing', fetched: 204 });
        expect(reads.count).toBe(408);
        await sleep(settleMs);
        expect((await ml.train('price')).read).toMatchObject({ mode: 'incremental', fetched: 0 });
      });

      it('the snapshot is an Arrow IPC file that pyarrow reads', async () => {
        const storage = ml.getStorage();
        const manifest = await storage.get(storage.getPluginKey('products', 'snapshots', 'price', 'manifest'));
        expect(manifest).toMatchObject({ format: 'arrow-ipc', rows: 204 });
        const bytes = Buffer.from(await db.client.getObject(manifest.key).then((o) => o.Body.transformToByteArray()));
        expect(bytes.subarray(0, 6).toString()).toBe('ARROW1');
        const python = referencePython();
        if (!python) return; // not provided outside CI (see support/python.js)
        const file = join(mkdtempSync(join(tmpdir(), 's3db-ml-arrow-')), 'snapshot.arrow');
        writeFileSync(file, bytes);
        const script = [
          'import sys, json, pyarrow.ipc as ipc',
          't = ipc.open_file(sys.argv[1]).read_all()',
          't.validate(full=True)',
          'rows = t.to_pylist()',
          "print(json.dumps({'rows': t.num_rows, 'columns': t.column_names, 'types': [str(f.type) for f in t.schema], 'sample': [r for r in rows if r['__id'] == sys.argv[2]]}))",
        ].join('\n');
        const record = (await resource.list({ limit: 1 }))[0];
        const read = JSON.parse(execFileSync(python, ['-c', script, file, record.id], { encoding: 'utf8' }));
        expect(read.rows).toBe(204);
        expect(read.columns).toEqual(['__id', '__version', '__included', 'cost', 'demand', 'price', 'id']);
        expect(read.types).toEqual(['string', 'string', 'bool', 'double', 'double', 'double', 'string']);
        expect(read.sample).toEqual([expect.objectContaining({ __id: record.id, __included: true, cost: record.cost, demand: record.demand, price: record.price, id: record.id })]);
      });
    }
  });
}

describe('what the snapshot depends on (memory client)', () => {
  let db;
  beforeAll(async () => {
    db = memoryDatabase();
    await db.connect();
    await (await db.createResource({ name: 'products', attributes })).insertMany(productRows(120, 34));
    await sleep(5);
  });
  afterAll(async () => {
    await db.disconnect();
  });

  it('a changed filter or feature list reads everything again', async () => {
    const first = await pluginOn(db, { price: priceModel({ filter: (r) => r.cost < 400 }) });
    expect((await first.train('price')).read.mode).toBe('full');
    expect((await first.train('price')).read).toMatchObject({ mode: 'incremental', fetched: 0 });
    const otherFilter = await pluginOn(db, { price: priceModel({ filter: (r) => r.cost < 300 }) });
    const result = await otherFilter.train('price');
    expect(result.read).toMatchObject({ mode: 'full', reason: 'configuration changed', fetched: 120 });
    expect(result.samples).toBe((await db.resources.products.list({ limit: 1000 })).filter((r) => r.cost < 300).length);
    const otherFeatures = await pluginOn(db, { price: priceModel({ filter: (r) => r.cost < 300, features: ['cost'] }) });
    expect((await otherFeatures.train('price')).read).toMatchObject({ mode: 'full', reason: 'configuration changed' });
  });

  it('a manifest from an older preparation, rows that are gone, or a manifest that is not JSON mean a full read', async () => {
    const ml = await pluginOn(db, { price: priceModel() });
    await ml.train('price', { full: true });
    const storage = ml.getStorage();
    const manifestKey = storage.getPluginKey('products', 'snapshots', 'price', 'manifest');
    const manifest = await storage.get(manifestKey);
    await storage.set(manifestKey, { ...manifest, preparation: 0 }, { behavior: 'body-only' });
    expect((await ml.train('price')).read).toMatchObject({ mode: 'full', reason: 'older preparation', fetched: 120 });

    await db.client.deleteObject((await storage.get(manifestKey)).key);
    expect((await ml.train('price')).read).toMatchObject({ mode: 'full', reason: expect.stringMatching(/^unreadable rows/), fetched: 120 });

    await db.client.putObject({ key: manifestKey, body: '{"not json', contentType: 'application/json' });
    const result = await ml.train('price');
    expect(result.read).toMatchObject({ mode: 'full', fetched: 120 });
    expect(result.read.reason).toMatch(/^unreadable/);
    // Each full read rewrote the snapshot: the next training is incremental again.
    expect((await ml.train('price')).read).toMatchObject({ mode: 'incremental', fetched: 0, reused: 120 });
  });

  it('records the filter drops are remembered, not read again', async () => {
    const ml = await pluginOn(db, { cheap: priceModel({ filter: (r) => r.cost < 200 }) });
    const reads = countRecordReads(db);
    const first = await ml.train('cheap');
    expect(first.read.fetched).toBe(120);
    reads.count = 0;
    const again = await ml.train('cheap');
    expect(again.read).toMatchObject({ mode: 'incremental', fetched: 0, reused: 120 });
    expect(again.samples).toBe(first.samples);
    expect(reads.count).toBe(0);
  });

  it('readConcurrency is validated', () => {
    for (const bad of [0, -1, 1.5, 'x', null, 5000]) {
      expect(() => new MLPlugin({ readConcurrency: bad })).toThrow(ModelConfigError);
      expect(() => new MLPlugin({ models: { price: priceModel({ readConcurrency: bad }) } })).toThrow(ModelConfigError);
    }
    expect(new MLPlugin({ readConcurrency: 8 }).config.readConcurrency).toBe(8);
    expect(new MLPlugin().config.readConcurrency).toBe(50);
  });

  it('progress reports the read phase, records read out of records to read', async () => {
    const ml = await pluginOn(db, { price: priceModel() });
    const seen = [];
    ml.on('plg:ml:training-progress', (p) => seen.push(p));
    const callback = [];
    await ml.train('price', { full: true, onProgress: (p) => callback.push(p) });
    const readPhase = seen.filter((p) => p.phase === 'read');
    expect(readPhase[0]).toMatchObject({ modelName: 'price', read: 0, total: 120 });
    expect(readPhase.at(-1)).toMatchObject({ read: 120, total: 120 });
    expect(readPhase.map((p) => p.read)).toEqual([...readPhase.map((p) => p.read)].sort((a, b) => a - b));
    expect(seen.filter((p) => p.phase === 'train').length).toBe(3);
    expect(callback).toEqual(seen);
  });
});

// s3db.js's memory client resolves GETs without ever yielding to timers: 2000 records read in one
// go hold the loop for hundreds of milliseconds.
for (const records of [300, 2000]) {
  describe(`the event loop keeps turning while training reads ${records} records (memory client)`, () => {
    let db;
    let ml;
    beforeAll(async () => {
      db = memoryDatabase();
      await db.connect();
      await (await db.createResource({ name: 'products', attributes })).insertMany(productRows(records, 35));
      ml = await pluginOn(db);
      await ml.train('price'); // warm: the first call compiles the read path
    });
    afterAll(async () => {
      await db.disconnect();
    });

    for (const [what, options] of [
      ['a full read', { full: true }],
      ['an incremental read', {}],
    ]) {
      it(`timers keep firing during retrain() with ${what}`, async () => {
        // What blocks the loop is the main thread's own work between two timer callbacks: on a
        // loaded machine the wall-clock gap also counts time the OS gave to other processes.
        const busy = [];
        let last = mainThreadMs();
        const timer = setInterval(() => {
          const now = mainThreadMs();
          busy.push(now - last);
          last = now;
        }, 2);
        try {
          await ml.retrain('price', options);
        } finally {
          clearInterval(timer);
        }
        expect(busy.length).toBeGreaterThan(0);
        expect(Math.max(...busy)).toBeLessThan(50);
      });
    }
  });
}

/**
 * Milliseconds the main thread has spent on a CPU (Linux's per-thread schedstat), or wall-clock
 * milliseconds where that is not available.
 */
function mainThreadMs() {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return performance.now();
  }
}

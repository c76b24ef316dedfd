// Training data: every record, read page by page (1000 records a page) on each client, one
// partition only when the model names one, and filter/map applied to every page.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  MLPlugin,
  ClassificationModel,
  RegressionModel,
  DataValidationError,
  InsufficientDataError,
  ModelConfigError,
  TrainingError,
  TrainingAbortedError,
} from '../index.js';
import { native } from '../lib/native.js';
import { memoryDatabase, fileDatabase, s3Database, productRows, seeded } from './support/db.js';

const fast = { epochs: 2, batchSize: 256 };
const priceModel = (extra = {}) => ({
  type: 'regression',
  resource: 'products',
  features: ['cost', 'demand'],
  target: 'price',
  modelConfig: fast,
  ...extra,
});
const productAttributes = { cost: 'number', demand: 'number', price: 'number' };

/** A plugin installed on `db` with these models. */
async function pluginOn(db, models, options = {}) {
  const ml = new MLPlugin({ logLevel: 'silent', backend: 'cpu', models, ...options });
  await db.usePlugin(ml);
  return ml;
}

const rows = 1500;
const clients = [
  ['memory', memoryDatabase],
  ['file', fileDatabase],
  ['s3', s3Database],
];

for (const [client, makeDatabase] of clients) {
  describe(`${client} client`, () => {
    let db;
    beforeAll(async () => {
      db = makeDatabase();
      await db.connect();
      await (await db.createResource({ name: 'products', attributes: productAttributes })).insertMany(productRows(rows, 7));
    });
    afterAll(async () => {
      await db.disconnect();
    });

    it(`trains on all ${rows} records, not the first 1000: one key listing, then one GET per record`, async () => {
      const resource = db.resources.products;
      const paged = [vi.spyOn(resource, 'page'), vi.spyOn(resource, 'list'), vi.spyOn(resource, 'getAll')];
      const listings = vi.spyOn(db.client, 'listObjects');
      const nativeListings = vi.spyOn(native().NativeStore.prototype, 'listPage');
      const gets = vi.spyOn(db.client, 'getObject');
      // On S3 the plugin GETs records with its native client.
      const nativeGets = vi.spyOn(native().NativeStore.prototype, 'getObject');
      try {
        const ml = await pluginOn(db, { price: priceModel() });
        listings.mockClear();
        nativeListings.mockClear();
        const result = await ml.train('price');
        expect(result.samples).toBe(rows);
        expect(ml.getModelStats('price').samples).toBe(rows);
        for (const spy of paged) expect(spy).not.toHaveBeenCalled();
        const recordGets = [...gets.mock.calls, ...nativeGets.mock.calls].filter(([key]) => key.includes('/data/id='));
        expect(nativeGets.mock.calls.length > 0).toBe(client === 's3');
        expect(recordGets).toHaveLength(rows);
        expect(new Set(recordGets.map(([key]) => key)).size).toBe(rows);
        // S3 answers 1000 keys a call, the memory client 10,000; file:// is read as a directory
        // (its listObjects reads every metadata file one after another).
        // On S3 the native client lists them, the resource's key prefix under the database's.
        const recordListings = [
          ...listings.mock.calls.filter(([options]) => options.prefix === 'resource=products/data/'),
          ...nativeListings.mock.calls.filter(([prefix]) => prefix.endsWith('/resource=products/data/')),
        ];
        expect(recordListings).toHaveLength({ s3: 2, memory: 1, file: 0 }[client]);
        expect(nativeListings.mock.calls.length > 0).toBe(client === 's3');
      } finally {
        vi.restoreAllMocks();
      }
    });

    it('converts records as they arrive: a full read never holds more than a window of records', async () => {
      // GETs sent (through the s3db.js client, or the native one on S3) against records `map`
      // has seen: the records fetched and not yet converted. Reading a page of 1000 and
      // prefetching the next, as before, held up to 2000 (all 1500 here).
      let sent = 0;
      const count = (key) => key.includes('/data/id=') && sent++;
      const { NativeStore } = native();
      const [clientGet, nativeGet] = [db.client.getObject, NativeStore.prototype.getObject];
      db.client.getObject = function getObject(key) {
        count(key);
        return clientGet.call(this, key);
      };
      NativeStore.prototype.getObject = function getObject(key) {
        count(key);
        return nativeGet.call(this, key);
      };
      let mapped = 0;
      let mostAhead = 0;
      try {
        const ml = await pluginOn(db, {
          streamed: priceModel({
            map: (record) => {
              mapped++;
              mostAhead = Math.max(mostAhead, sent - mapped);
              return record;
            },
          }),
        }, { saveModel: false });
        const result = await ml.train('streamed', { full: true });
        expect(mapped).toBe(rows);
        expect(sent).toBe(rows);
        expect(mostAhead).toBeLessThanOrEqual(1000);
        expect(result.read.recordsAhead).toBeLessThanOrEqual(1000);
      } finally {
        db.client.getObject = clientGet;
        NativeStore.prototype.getObject = nativeGet;
      }
    });
  });
}

describe('filter, map and the minimum', () => {
  let db;
  const data = productRows(1500, 8);
  beforeAll(async () => {
    db = memoryDatabase();
    await db.connect();
    await (await db.createResource({ name: 'products', attributes: productAttributes })).insertMany(data);
  });
  afterAll(async () => {
    await db.disconnect();
  });

  it('applies filter then map to every page, with exact counts', async () => {
    const seen = { filter: 0, map: 0 };
    const ml = await pluginOn(db, {
      cheap: priceModel({
        features: ['cost', 'margin'],
        filter: (r) => {
          seen.filter++;
          return r.cost < 200;
        },
        // `margin` exists only if map ran on the filtered record.
        map: (r) => {
          seen.map++;
          return { ...r, margin: r.price - r.cost };
        },
      }),
    });
    const kept = data.filter((r) => r.cost < 200).length;
    expect(kept).toBeGreaterThan(100);
    expect(kept).toBeLessThan(1000);
    const result = await ml.train('cheap');
    expect(result.samples).toBe(kept);
    expect(seen).toEqual({ filter: 1500, map: kept });
    expect(ml.models.cheap.normalizer.features.cost.max).toBeLessThan(200);
  });

  it('checks the minimum after filtering', async () => {
    const ml = await pluginOn(db, { few: priceModel({ filter: (r) => r.cost < 25, minSamples: 50 }) });
    const expected = data.filter((r) => r.cost < 25).length;
    const error = await ml.train('few').catch((e) => e);
    expect(error).toBeInstanceOf(InsufficientDataError);
    expect(error.samples).toBe(expected);
    expect(error.minimum).toBe(50);
  });

  it('a map that throws on a record of a later page is a TrainingError naming it', async () => {
    const all = await db.resources.products.getAll();
    const victim = all.map((r) => r.id).sort().at(-1); // listings are in id order: the last page
    const ml = await pluginOn(db, {
      m: priceModel({
        map: (r) => {
          if (r.id === victim) throw new Error('bad row');
          return r;
        },
      }),
    });
    const error = await ml.train('m').catch((e) => e);
    expect(error).toBeInstanceOf(TrainingError);
    expect(error.message).toContain(`\`map\` function of model "m" threw on record ${victim}: bad row`);
    expect(error.recordId).toBe(victim);
    expect(ml.models.m.isTrained).toBe(false);
  });

  it('an aborted signal stops training before it reads', async () => {
    const ml = await pluginOn(db, { price: priceModel() });
    await expect(ml.train('price', { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(TrainingAbortedError);
    expect(ml.training.get('price')).toBe(false);
  });
});

describe('classification across pages', () => {
  let db;
  beforeAll(async () => {
    db = memoryDatabase();
    await db.connect();
    // Ids fix the page order: 'amber' appears only on the second page, after 'low' and 'high'.
    const random = seeded(3);
    const rows = Array.from({ length: 1300 }, (_, i) => {
      const x = random() * 10;
      const label = i >= 1000 && x > 7 ? 'amber' : x > 5 ? 'high' : 'low';
      return { id: `r${String(i).padStart(5, '0')}`, x, y: random(), label };
    });
    await (await db.createResource({ name: 'points', attributes: { x: 'number', y: 'number', label: 'string' } })).insertMany(rows);
  });
  afterAll(async () => {
    await db.disconnect();
  });

  it('builds the sorted vocabulary from every page before indexing', async () => {
    const ml = await pluginOn(db, {
      zone: { type: 'classification', resource: 'points', features: ['x', 'y'], target: 'label', modelConfig: { epochs: 40, batchSize: 64, dropout: 0 } },
    });
    const result = await ml.train('zone');
    expect(result.samples).toBe(1300);
    expect(ml.models.zone.classes).toEqual(['amber', 'high', 'low']);
    expect((await ml.predict('zone', { x: 1, y: 0.5 })).prediction).toBe('low');
    expect((await ml.predict('zone', { x: 6, y: 0.5 })).prediction).toBe('high');
  });
});

describe('trainArrays', () => {
  const spec = { resource: 'r', features: ['x'], target: 'y', backend: 'cpu', modelConfig: { epochs: 30, batchSize: 8, learningRate: 0.05 } };

  it('trains on converted rows like train() on the same records', async () => {
    const records = Array.from({ length: 40 }, (_, i) => ({ x: i, y: 2 * i + 1 }));
    const fromRecords = new RegressionModel({ name: 'a', type: 'regression', ...spec });
    const fromArrays = new RegressionModel({ name: 'b', type: 'regression', ...spec });
    await fromRecords.train(records);
    const result = await fromArrays.trainArrays({
      features: Float64Array.from(records, (r) => r.x),
      targets: Float64Array.from(records, (r) => r.y),
    });
    expect(result.samples).toBe(40);
    expect(await fromArrays.predict({ x: 10 })).toEqual(await fromRecords.predict({ x: 10 }));
  });

  it('checks shapes and class indices', async () => {
    const regression = new RegressionModel({ name: 'r', type: 'regression', ...spec });
    await expect(regression.trainArrays({ features: new Float64Array(3), targets: new Float64Array(2) })).rejects.toBeInstanceOf(DataValidationError);
    await expect(regression.trainArrays({ features: [1, 2], targets: [1, 2] })).rejects.toBeInstanceOf(DataValidationError);
    await expect(regression.trainArrays({ features: new Float64Array(0), targets: new Float64Array(0) })).rejects.toBeInstanceOf(InsufficientDataError);
    const classifier = new ClassificationModel({ name: 'c', type: 'classification', ...spec });
    const features = new Float64Array([1, 2, 3]);
    await expect(classifier.trainArrays({ features, targets: new Float64Array([0, 1, 2]), labels: ['a', 'b'] })).rejects.toThrow(/not a class index below 2/);
    await expect(classifier.trainArrays({ features, targets: new Float64Array([0, 1, 1]) })).rejects.toThrow(/needs `labels`/);
  });
});

for (const [client, makeDatabase] of clients.slice(0, 2)) {
  describe(`partitions (${client} client)`, () => {
    let db;
    const data = productRows(300, 9).map((r, i) => ({ ...r, category: i % 3 === 0 ? 'books' : 'toys' }));
    beforeAll(async () => {
      db = makeDatabase();
      await db.connect();
      const resource = await db.createResource({
        name: 'products',
        attributes: { ...productAttributes, category: 'string' },
        partitions: { byCategory: { fields: { category: 'string' } } },
        // Partition references are written after the insert returns unless this is false.
        asyncPartitions: false,
      });
      await resource.insertMany(data);
    });
    afterAll(async () => {
      await db.disconnect();
    });

    it('trains on its partition only', async () => {
      const seen = new Set();
      const ml = await pluginOn(db, {
        books: priceModel({
          partition: { name: 'byCategory', values: { category: 'books' } },
          filter: (r) => seen.add(r.category),
        }),
        all: priceModel(),
      });
      const books = await ml.train('books');
      expect(books.samples).toBe(data.filter((r) => r.category === 'books').length);
      expect([...seen]).toEqual(['books']);
      expect((await ml.train('all')).samples).toBe(300);
    });

    it('a partition the resource does not define is a ModelConfigError (400) naming the model, the partition and those defined', async () => {
      const ml = await pluginOn(db, { ghost: priceModel({ partition: { name: 'byColour', values: { colour: 'red' } } }) });
      const error = await ml.train('ghost').catch((e) => e);
      expect(error).toBeInstanceOf(ModelConfigError);
      expect(error.statusCode).toBe(400);
      expect(error.message).toBe('Model "ghost": partition "byColour" is not defined on resource "products" (its partitions: "byCategory")');
      expect(error).toMatchObject({ modelName: 'ghost', resource: 'products', partition: 'byColour', partitions: ['byCategory'] });
      // A resource without partitions says so.
      await db.createResource({ name: 'plain', attributes: productAttributes });
      const plain = await pluginOn(db, { flat: priceModel({ resource: 'plain', partition: { name: 'byCategory' } }) });
      await expect(plain.train('flat')).rejects.toThrow('Model "flat": partition "byCategory" is not defined on resource "plain" (it defines no partitions)');
    });
  });
}

// Auto-training: after N new records however they are written, every `trainInterval` ms, on
// resources created before the plugin, after it, or restored from s3db.json at connect().
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Database } from 's3db.js';
import { MLPlugin, ModelConfigError, InsufficientDataError } from '../index.js';
import { memoryDatabase, fileDatabase, productRows } from './support/db.js';

const attributes = { cost: 'number', demand: 'number', price: 'number' };
const autoModel = (extra) => ({
  type: 'regression',
  resource: 'products',
  features: ['cost', 'demand'],
  target: 'price',
  autoTrain: true,
  modelConfig: { epochs: 2, batchSize: 64 },
  ...extra,
});
const plugin = (models, options = {}) => new MLPlugin({ logLevel: 'silent', backend: 'cpu', models, ...options });

/** Resolves with the next `event` of `ml`, or rejects after `ms`. */
const next = (ml, event, ms = 20_000) => once(ml, event, { signal: AbortSignal.timeout(ms) }).then(([payload]) => payload);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const open = [];
afterEach(async () => {
  for (const db of open.splice(0)) await db.disconnect().catch(() => {});
});

async function connected(db) {
  open.push(db);
  await db.connect();
  return db;
}

describe('trainAfterInserts', () => {
  it('counts every record of insertMany, and trains at N', async () => {
    const db = await connected(memoryDatabase());
    const products = await db.createResource({ name: 'products', attributes });
    const ml = plugin({ price: autoModel({ trainAfterInserts: 30 }) });
    await db.usePlugin(ml);

    await products.insertMany(productRows(29, 1));
    expect(ml.insertCounters.get('price')).toBe(29);
    expect(ml.models.price.isTrained).toBe(false);

    const trained = next(ml, 'plg:ml:model-trained');
    await products.insert(productRows(1, 2)[0]);
    const { modelName, result } = await trained;
    expect(modelName).toBe('price');
    expect(result.samples).toBe(30);
    expect(ml.insertCounters.get('price')).toBe(0);
    expect(ml.getStats().autoTrainings).toBe(1);

    const again = next(ml, 'plg:ml:model-trained');
    await products.insertMany(productRows(30, 3));
    expect((await again).result.samples).toBe(60);
  });

  it('records inserted during a training that reach N start the next training when it ends, without a further insert', async () => {
    const db = await connected(memoryDatabase());
    const products = await db.createResource({ name: 'products', attributes });
    const ml = plugin({ price: autoModel({ trainAfterInserts: 20 }) }, { minTrainingSamples: 5 });
    await db.usePlugin(ml);
    const samples = [];
    ml.on('plg:ml:model-trained', ({ result }) => samples.push(result.samples));
    // One burst: the first 20 start a training, the other 40 arrive while it runs.
    await products.insertMany(productRows(60, 4));
    const deadline = Date.now() + 20_000;
    while (samples.at(-1) !== 60 && Date.now() < deadline) await sleep(20);
    expect(samples.at(-1)).toBe(60);
    expect(ml.insertCounters.get('price')).toBe(0);
  });

  it('counts upserts that create a record, and not updates', async () => {
    const db = await connected(memoryDatabase());
    const products = await db.createResource({ name: 'products', attributes });
    const ml = plugin({ price: autoModel({ trainAfterInserts: 100 }) });
    await db.usePlugin(ml);
    const [a, b] = productRows(2, 4);
    await products.upsert({ id: 'a', ...a });
    await products.upsert({ id: 'b', ...b });
    await products.upsert({ id: 'a', ...b });
    await products.update('b', { price: 1 });
    expect(ml.insertCounters.get('price')).toBe(2);
  });

  it('attaches to a resource created after the plugin', async () => {
    const db = await connected(memoryDatabase());
    const ml = plugin({ price: autoModel({ trainAfterInserts: 20 }) });
    await db.usePlugin(ml);
    const products = await db.createResource({ name: 'products', attributes });
    const trained = next(ml, 'plg:ml:model-trained');
    await products.insertMany(productRows(20, 5));
    expect((await trained).result.samples).toBe(20);
  });

  it('attaches to a resource restored from s3db.json at connect()', async () => {
    const first = await connected(fileDatabase());
    await first.createResource({ name: 'products', attributes });
    await first.disconnect();

    const ml = plugin({ price: autoModel({ trainAfterInserts: 25 }) });
    const db = await connected(new Database({ connectionString: first.connectionString, logLevel: 'silent', plugins: [ml] }));
    expect(db.resources.products).toBeDefined();
    const trained = next(ml, 'plg:ml:model-trained');
    await db.resources.products.insertMany(productRows(25, 6));
    expect((await trained).result.samples).toBe(25);
    // resource.ml works on a restored resource too (it has no `database` property of its own).
    expect(db.resources.products.ml.list()).toEqual([
      { name: 'price', type: 'regression', target: 'price', features: ['cost', 'demand'], isTrained: true },
    ]);
  });

  it('a failing auto-training is counted and emitted, never thrown', async () => {
    const db = await connected(memoryDatabase());
    const products = await db.createResource({ name: 'products', attributes });
    const ml = plugin({ price: autoModel({ trainAfterInserts: 3, minSamples: 50 }) });
    await db.usePlugin(ml);
    const failed = next(ml, 'plg:ml:training-error');
    await products.insertMany(productRows(3, 7));
    const { modelName, trigger, error } = await failed;
    expect(modelName).toBe('price');
    expect(trigger).toBe('inserts');
    expect(error).toBeInstanceOf(InsufficientDataError);
    expect(ml.getStats().autoTrainingErrors).toBe(1);
    expect(ml.getStats().autoTrainings).toBe(0);
  });
});

describe('database listeners', () => {
  it('a plugin follows the database only while one of its models counts inserts, and stops following on stop()', async () => {
    const db = await connected(memoryDatabase());
    await db.createResource({ name: 'products', attributes });
    const events = ['db:resource-created', 'db:resource-updated', 'db:connected'];
    const counts = () => events.map((event) => db.listenerCount(event));
    const before = counts();
    // Twelve plugins without insert counting (s3db.js warns from eleven listeners of one event).
    const quiet = Array.from({ length: 12 }, () => plugin({ price: autoModel({ autoTrain: false }) }));
    for (const ml of quiet) await db.usePlugin(ml);
    expect(counts()).toEqual(before);
    const counting = plugin({ price: autoModel({ trainAfterInserts: 50 }) });
    await db.usePlugin(counting);
    expect(counts()).toEqual(before.map((n) => n + 1));
    await counting.stop();
    expect(counts()).toEqual(before);
    for (const ml of quiet) await ml.stop();
  });
});

describe('trainInterval', () => {
  it('trains on a timer, and stops with the plugin', async () => {
    const db = await connected(memoryDatabase());
    await (await db.createResource({ name: 'products', attributes })).insertMany(productRows(40, 8));
    const ml = plugin({ price: autoModel({ trainInterval: 100 }) });
    await db.usePlugin(ml);

    await next(ml, 'plg:ml:model-trained', 5_000);
    await next(ml, 'plg:ml:model-trained', 5_000);
    expect(ml.getStats().autoTrainings).toBeGreaterThanOrEqual(2);

    await ml.stop();
    await sleep(50); // a training the last tick started may still finish
    const after = ml.getStats().totalTrainings;
    await sleep(400);
    expect(ml.getStats().totalTrainings).toBe(after);
  });
});

describe('auto-training configuration', () => {
  it('rejects counts and intervals that cannot work', () => {
    expect(() => plugin({ m: autoModel({ trainAfterInserts: 0 }) })).toThrow(ModelConfigError);
    expect(() => plugin({ m: autoModel({ trainAfterInserts: 2.5 }) })).toThrow(/trainAfterInserts/);
    expect(() => plugin({ m: autoModel({ trainInterval: -5 }) })).toThrow(ModelConfigError);
    // Longer than setInterval can wait: Node would fire it every millisecond instead.
    expect(() => plugin({ m: autoModel({ trainInterval: 2 ** 31 }) })).toThrow(/trainInterval/);
  });
});

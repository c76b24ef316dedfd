// resource.ml and zero-config learn(): type and features detected from the resource, the caller's
// modelConfig merged over the defaults, modelName returned every time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MLPlugin, MLError, DataValidationError, ModelConfigError, ModelNotFoundError } from '../index.js';
import { memoryDatabase, productRows, emailRows } from './support/db.js';

let db;
let ml;

beforeAll(async () => {
  db = memoryDatabase();
  await db.connect();
  await (
    await db.createResource({
      name: 'products',
      // `name` is a string and `createdAt` bookkeeping: neither may become a feature.
      attributes: { name: 'string', cost: 'number', demand: 'number|optional', price: 'number' },
      timestamps: true,
    })
  ).insertMany(productRows(120, 31).map((r, i) => ({ ...r, name: `p${i}` })));
  await (
    await db.createResource({
      name: 'emails',
      attributes: { wordCount: 'number', linkCount: 'number', capsRatio: 'number', label: 'string' },
    })
  ).insertMany(emailRows(120, 32));
  ml = new MLPlugin({ logLevel: 'silent', backend: 'cpu' });
  await db.usePlugin(ml);
});

afterAll(async () => {
  await db.disconnect();
});

describe('learn()', () => {
  it('a numeric target is regression (timestamps notwithstanding), with the schema’s numeric features', async () => {
    const first = await db.resources.products.ml.learn('price', { modelConfig: { epochs: 30, learningRate: 0.05 } });
    expect(first).toMatchObject({
      modelName: 'products_price_auto',
      type: 'regression',
      features: ['cost', 'demand'],
      target: 'price',
      samples: 120,
      epochs: 30,
    });
    // The caller's settings refine the defaults instead of replacing them.
    expect(ml.models.products_price_auto.config.modelConfig).toMatchObject({
      epochs: 30,
      learningRate: 0.05,
      batchSize: 32,
      validationSplit: 0.2,
      polynomial: 1,
    });

    const second = await db.resources.products.ml.learn('price');
    expect(second.modelName).toBe('products_price_auto');
    expect(second.type).toBe('regression');
    expect(second.samples).toBe(120);
    expect(Object.keys(ml.models)).toEqual(['products_price_auto']);
  });

  it('a string target is classification', async () => {
    const first = await db.resources.emails.ml.learn('label', { modelConfig: { epochs: 40 } });
    expect(first).toMatchObject({ modelName: 'emails_label_auto', type: 'classification', features: ['wordCount', 'linkCount', 'capsRatio'] });
    expect(first.accuracy).toBeGreaterThan(0.8);
    expect(ml.models.emails_label_auto.classes).toEqual(['ham', 'spam']);
    const second = await db.resources.emails.ml.learn('label');
    expect(second.modelName).toBe('emails_label_auto');
    expect(second.type).toBe('classification');
  });

  it('goes through the same validation as configured models', async () => {
    const error = await db.resources.products.ml.learn('cost', { modelConfig: { polynomial: 9 } }).catch((e) => e);
    expect(error).toBeInstanceOf(ModelConfigError);
    expect(error.message).toMatch(/polynomial/);
    expect(ml.models.products_cost_auto).toBeUndefined();
    await expect(db.resources.emails.ml.learn('capsRatio', { type: 'banana' })).rejects.toBeInstanceOf(ModelConfigError);
  });

  it('lowers the batch size for a small resource unless one was given', async () => {
    const tiny = await db.createResource({ name: 'tiny', attributes: { a: 'number', b: 'number' } });
    await tiny.insertMany(Array.from({ length: 12 }, (_, i) => ({ a: i, b: 3 * i + 1 })));
    await tiny.ml.learn('b', { modelConfig: { epochs: 2 } });
    expect(ml.models.tiny_b_auto.config.modelConfig.batchSize).toBe(6);
  });

  it('a target the resource does not have is a DataValidationError that suggests the attribute, and leaves no model', async () => {
    const error = await db.resources.products.ml.learn('prcie').catch((e) => e);
    expect(error).toBeInstanceOf(DataValidationError);
    expect(error.message).toBe(
      'Model "products_prcie_auto": target "prcie" is in none of the 100 records read and is not an attribute of resource "products". Did you mean "price"?',
    );
    expect(ml.models.products_prcie_auto).toBeUndefined();
    expect(db.resources.products.ml.list().map((m) => m.name)).not.toContain('products_prcie_auto');
  });

  it('`features: []` is kept as given: a time series of its target alone', async () => {
    const sales = await db.createResource({ name: 'sales', attributes: { day: 'string', units: 'number', temp: 'number' } });
    await sales.insertMany(Array.from({ length: 30 }, (_, i) => ({ day: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(), units: 10 + i, temp: (i * 7) % 11 })));
    const learned = await sales.ml.learn('units', { type: 'timeseries', features: [], timeField: 'day', modelConfig: { lookback: 3, epochs: 2 } });
    expect(learned).toMatchObject({ modelName: 'sales_units_auto', type: 'timeseries', features: [] });
    expect(ml.config.models.sales_units_auto.features).toEqual([]);
    // A window of the target and its time alone predicts, with nothing imputed.
    const window = [27, 28, 29].map((i) => ({ day: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(), units: 10 + i }));
    const prediction = await sales.ml.predict(window, 'units');
    expect(prediction.warnings ?? []).toEqual([]);
    // A regression of no features is refused as configured, and leaves no model.
    await expect(sales.ml.learn('temp', { features: [] })).rejects.toBeInstanceOf(ModelConfigError);
    expect(ml.models.sales_temp_auto).toBeUndefined();
  });

  it('a missing resource is a ModelConfigError', async () => {
    await expect(ml._resourceLearn('nowhere', 'x')).rejects.toBeInstanceOf(ModelConfigError);
  });
});

describe('the rest of resource.ml', () => {
  it('predict, train, list and stats go to the model of that target', async () => {
    const products = db.resources.products.ml;
    const prediction = await products.predict({ cost: 200, demand: 400 }, 'price');
    expect(Math.abs(prediction.prediction - (200 * 1.4 + 400 * 0.05 + 10))).toBeLessThan(40);
    expect((await products.train('price')).samples).toBe(120);
    expect(products.stats('price').samples).toBe(120);
    expect(products.list()).toEqual([
      { name: 'products_price_auto', type: 'regression', target: 'price', features: ['cost', 'demand'], isTrained: true },
    ]);
  });

  it('where two configured models share a target, the last configured one answers, as upstream', async () => {
    const other = memoryDatabase();
    await other.connect();
    try {
      const points = await other.createResource({ name: 'points', attributes: { a: 'number', b: 'number', y: 'number' } });
      await points.insertMany(Array.from({ length: 30 }, (_, i) => ({ a: i, b: (i * 7) % 11, y: 2 * i + 1 })));
      const base = { type: 'regression', resource: 'points', target: 'y', backend: 'cpu' };
      const plugin = new MLPlugin({ logLevel: 'silent', saveModel: false, models: { fromA: { ...base, features: ['a'] }, fromB: { ...base, features: ['b'] } } });
      await other.usePlugin(plugin);
      await plugin.train('fromA');
      await plugin.train('fromB');
      expect(points.ml.stats('y').config.name).toBe('fromB');
      expect(await points.ml.predict({ a: 3, b: 5 }, 'y')).toEqual(await plugin.predict('fromB', { a: 3, b: 5 }));
      expect(await points.ml.predict({ a: 3, b: 5 }, 'y')).not.toEqual(await plugin.predict('fromA', { a: 3, b: 5 }));
    } finally {
      await other.disconnect();
    }
  });

  it('a target without a model is a ModelNotFoundError naming resource and target', async () => {
    const products = db.resources.products.ml;
    const error = await products.predict({ cost: 1 }, 'colour').catch((e) => e);
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect(error.message).toBe('No model found for resource "products" with target "colour"');
    await expect(products.train('colour')).rejects.toBeInstanceOf(ModelNotFoundError);
    await expect(products.versions('colour')).rejects.toBeInstanceOf(ModelNotFoundError);
    expect(() => products.stats('colour')).toThrow(ModelNotFoundError);
  });

  it('versions, rollback, compare, export and import reach the stored versions', async () => {
    const api = db.resources.products.ml;
    const versions = await api.versions('price');
    expect(versions.length).toBeGreaterThanOrEqual(2);
    const latest = versions.at(-1).version;
    expect(versions.at(-1).isCurrent).toBe(true);
    const comparison = await api.compare('price', latest - 1, latest);
    expect(comparison.version2.version).toBe(latest);
    const rolled = await api.rollback('price');
    expect(rolled).toMatchObject({ previousVersion: latest, currentVersion: latest - 1 });
    const exported = await api.export('price');
    expect(exported.format).toBe('s3db-ml');
    await api.import('price', exported);
    expect((await api.versions('price')).at(-1).isCurrent).toBe(true);
    await expect(api.compare('price', 1, 999)).rejects.toBeInstanceOf(MLError);
  });

  it('routes to the first MLPlugin of a database, and fails clearly without one', async () => {
    const second = new MLPlugin({ logLevel: 'silent', backend: 'cpu' });
    await second.install(db);
    expect(db._mlPlugin).toBe(ml);

    const bare = memoryDatabase();
    await bare.connect();
    const lonely = await bare.createResource({ name: 'lonely', attributes: { a: 'number' } });
    expect(() => lonely.ml).toThrow(/MLPlugin is not installed on this database instance/);
    await bare.disconnect();
  });
});

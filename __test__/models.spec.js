// Regression and classification end to end on a real s3db.js database (memory client), with
// known answers: the data are generated from known formulas and rules.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MLPlugin, ClassificationModel, RegressionModel } from '../index.js';
import { memoryDatabase, productRows, emailRows, seeded } from './support/db.js';

let db;
let ml;

/** Three zones labelled with three JavaScript types: 'low', true and 3. */
function zonePoints(n) {
  const random = seeded(5);
  return Array.from({ length: n }, () => {
    const x = random() * 10;
    const y = random() * 10;
    return { x, y, zone: x + y < 7 ? 'low' : x > y ? true : 3 };
  });
}
const products = productRows(400, 11);
const heldOutProducts = productRows(100, 99);
const emails = emailRows(400, 12);

beforeAll(async () => {
  db = memoryDatabase();
  await db.connect();
  await (await db.createResource({ name: 'products', attributes: { cost: 'number', demand: 'number', price: 'number' } })).insertMany(products);
  await (
    await db.createResource({
      name: 'emails',
      attributes: { wordCount: 'number', linkCount: 'number', capsRatio: 'number', label: 'string' },
    })
  ).insertMany(emails);
  await (await db.createResource({ name: 'points', attributes: { x: 'number', y: 'number', zone: 'string' } })).insertMany(
    zonePoints(450).map((p) => ({ ...p, zone: String(p.zone) })),
  );

  ml = new MLPlugin({
    logLevel: 'silent',
    backend: 'cpu',
    models: {
      price: {
        type: 'regression',
        resource: 'products',
        features: ['cost', 'demand'],
        target: 'price',
        modelConfig: { epochs: 60, learningRate: 0.05 },
      },
      pricePoly: {
        type: 'regression',
        resource: 'products',
        features: ['cost', 'demand'],
        target: 'price',
        modelConfig: { epochs: 40, polynomial: 3, units: 16 },
      },
      spam: {
        type: 'classification',
        resource: 'emails',
        features: ['wordCount', 'linkCount', 'capsRatio'],
        target: 'label',
        modelConfig: { epochs: 30 },
      },
      zone: {
        type: 'classification',
        resource: 'points',
        features: ['x', 'y'],
        target: 'zone',
        modelConfig: { epochs: 60, units: 32 },
      },
    },
  });
  await db.usePlugin(ml);
});

afterAll(async () => {
  await db.disconnect();
});

describe('regression', () => {
  let result;
  const events = [];
  beforeAll(async () => {
    ml.on('plg:ml:model-trained', (e) => events.push(e));
    result = await ml.train('price');
  });

  it('trains on every row and reports the upstream result shape', () => {
    expect(result.samples).toBe(400);
    expect(result.epochs).toBe(60);
    expect(result.accuracy).toBeNull();
    expect(Number.isFinite(result.loss)).toBe(true);
    expect(result.validationSamples).toBe(80);
    expect(result.backend).toBe('cpu');
    expect(events.map((e) => e.modelName)).toContain('price');
  });

  it('learns the price formula (R² on unseen rows)', async () => {
    const r2 = await ml.models.price.calculateR2Score(heldOutProducts);
    expect(r2).toBeGreaterThan(0.98);
    expect(ml.getModelStats('price').r2).toBe(r2);
  });

  it('predicts with a calibrated interval and a deterministic confidence', async () => {
    const input = { cost: 200, demand: 400 };
    const expected = 200 * 1.4 + 400 * 0.05 + 10;
    const a = await ml.predict('price', input);
    const b = await ml.predict('price', input);
    expect(a).toEqual(b);
    expect(Math.abs(a.prediction - expected)).toBeLessThan(8);
    expect(a.interval[0]).toBeLessThan(a.prediction);
    expect(a.interval[1]).toBeGreaterThan(a.prediction);
    expect(a.confidence).toBeGreaterThan(0.5);
    expect(a.confidence).toBeLessThanOrEqual(1);
  });

  it('its 90% intervals cover about 90% of unseen rows', async () => {
    const predictions = await ml.predictBatch('price', heldOutProducts);
    const covered = predictions.filter((p, i) => p.interval[0] <= heldOutProducts[i].price && heldOutProducts[i].price <= p.interval[1]).length;
    expect(covered / heldOutProducts.length).toBeGreaterThan(0.8);
  });

  it('is less confident far outside the training range', async () => {
    const inside = await ml.predict('price', { cost: 200, demand: 400 });
    const outside = await ml.predict('price', { cost: 5000, demand: 400 });
    expect(outside.confidence).toBeLessThan(inside.confidence / 10);
  });

  it('predictBatch gives the same numbers as predict', async () => {
    const inputs = heldOutProducts.slice(0, 5);
    const batch = await ml.predictBatch('price', inputs);
    for (let i = 0; i < inputs.length; i++) {
      expect(batch[i]).toEqual(await ml.predict('price', inputs[i]));
    }
  });

  it('exposes the normaliser and stats like upstream', () => {
    const { normalizer } = ml.models.price;
    expect(Object.keys(normalizer.features)).toEqual(['cost', 'demand']);
    expect(normalizer.features.cost.min).toBeGreaterThanOrEqual(20);
    expect(normalizer.target.max).toBeGreaterThan(normalizer.target.min);
    const stats = ml.getModelStats('price');
    expect(stats.isTrained).toBe(true);
    expect(stats.samples).toBe(400);
    expect(stats.trainedAt).toMatch(/^\d{4}-/);
    expect(stats.config.modelConfig).toMatchObject({ epochs: 60, batchSize: 32, learningRate: 0.05, validationSplit: 0.2, polynomial: 1 });
  });

  it('polynomial regression trains too', async () => {
    const poly = await ml.train('pricePoly');
    expect(poly.samples).toBe(400);
    expect(await ml.models.pricePoly.calculateR2Score(heldOutProducts)).toBeGreaterThan(0.95);
  });
});

describe('classification', () => {
  it('binary: labels are strings, confidence is the predicted label’s probability', async () => {
    const result = await ml.train('spam');
    expect(result.accuracy).toBeGreaterThan(0.9);
    const p = await ml.predict('spam', { wordCount: 120, linkCount: 9, capsRatio: 0.5 });
    expect(p.prediction).toBe('spam');
    expect(Object.keys(p.probabilities).sort()).toEqual(['ham', 'spam']);
    expect(p.confidence).toBe(p.probabilities.spam);
    expect(p.probabilities.ham + p.probabilities.spam).toBeCloseTo(1, 5);
    const ham = await ml.predict('spam', { wordCount: 400, linkCount: 0, capsRatio: 0.02 });
    expect(ham.prediction).toBe('ham');
    expect(ham.confidence).toBe(ham.probabilities.ham);
    expect(ham.confidence).toBeGreaterThan(0.5);
  });

  it('train() returns its held-out metrics keyed by label, as evaluate() and listModelVersions() do', async () => {
    const result = await ml.train('zone');
    const heldOut = await ml.evaluate('zone');
    expect(result.metrics).toEqual(heldOut);
    expect((await ml.listModelVersions('zone')).at(-1).metrics.heldOut).toEqual(heldOut);
    expect(Object.keys(result.metrics.matrix).sort()).toEqual(['3', 'low', 'true']);
    // Every held-out row is counted once, in the cell of its label and its prediction.
    const cells = Object.values(result.metrics.matrix).flatMap(Object.values);
    expect(cells.reduce((a, b) => a + b, 0)).toBe(result.validationSamples);
    expect(result.metrics.correct).toBe(['3', 'low', 'true'].reduce((n, label) => n + result.metrics.matrix[label][label], 0));
    expect(result.metrics.perLabel.low.support).toBe(Object.values(result.metrics.matrix.low).reduce((a, b) => a + b, 0));
  });

  it('confusion matrix by label', async () => {
    const cm = await ml.models.spam.calculateConfusionMatrix(emailRows(200, 77));
    expect(cm.total).toBe(200);
    expect(cm.matrix.spam.spam + cm.matrix.spam.ham + cm.matrix.ham.spam + cm.matrix.ham.ham).toBe(200);
    expect(cm.correct).toBe(cm.matrix.spam.spam + cm.matrix.ham.ham);
    expect(cm.accuracy).toBeGreaterThan(0.9);
  });

  it('multi-class from a resource', async () => {
    const result = await ml.train('zone');
    expect(result.accuracy).toBeGreaterThan(0.85);
    expect(ml.models.zone.classes).toEqual(['3', 'low', 'true']);
    expect((await ml.predict('zone', { x: 1, y: 1 })).prediction).toBe('low');
    expect((await ml.predict('zone', { x: 9, y: 2 })).prediction).toBe('true');
  });

  it('labels keep their JavaScript type: strings, booleans and numbers', async () => {
    // s3db.js stores an 'any' attribute as a string, so this trains the model object directly.
    const model = new ClassificationModel({
      name: 'typedZones',
      type: 'classification',
      resource: 'points',
      features: ['x', 'y'],
      target: 'zone',
      backend: 'cpu',
      modelConfig: { epochs: 60, units: 32 },
    });
    const result = await model.train(zonePoints(450));
    expect(result.accuracy).toBeGreaterThan(0.85);
    expect(model.classes).toEqual([3, 'low', true]);
    expect((await model.predict({ x: 1, y: 1 })).prediction).toBe('low');
    expect((await model.predict({ x: 9, y: 2 })).prediction).toBe(true);
    expect((await model.predict({ x: 2, y: 9 })).prediction).toBe(3);
    const batch = await model.predictBatch([{ x: 9, y: 2 }, { x: 2, y: 9 }]);
    expect(batch.map((p) => p.prediction)).toEqual([true, 3]);
    expect(Object.keys(batch[0].probabilities).sort()).toEqual(['3', 'low', 'true']);
  });
});

describe('plugin', () => {
  it('counts trainings and predictions', () => {
    const stats = ml.getStats();
    expect(stats.models).toBe(4);
    expect(stats.trainedModels).toBe(4);
    expect(stats.totalTrainings).toBeGreaterThanOrEqual(4);
    expect(stats.totalPredictions).toBeGreaterThan(10);
    expect(stats.startedAt).toMatch(/^\d{4}-/);
    expect(stats.backend.backend).toBe('cpu');
  });

  it('emits plg:ml:prediction', async () => {
    const seen = [];
    ml.on('plg:ml:prediction', (e) => seen.push(e));
    await ml.predict('price', { cost: 1, demand: 1 });
    expect(seen).toHaveLength(1);
    expect(seen[0].modelName).toBe('price');
    expect(seen[0].result.prediction).toBeTypeOf('number');
  });

  it('skips a second train() of a model that is training', async () => {
    const first = ml.train('spam');
    expect(ml.training.get('spam')).toBe(true);
    const second = await ml.train('spam');
    expect(second).toEqual({ skipped: true, reason: 'already_training' });
    // A skipped retrain leaves the current model serving.
    expect(await ml.retrain('spam')).toEqual({ skipped: true, reason: 'already_training' });
    expect(ml.models.spam.isTrained).toBe(true);
    await first;
    expect(ml.training.get('spam')).toBe(false);
  });

  it('retrain() starts from scratch and gives the same model as a first training', async () => {
    const before = await ml.predict('spam', { wordCount: 200, linkCount: 3, capsRatio: 0.2 });
    await ml.retrain('spam');
    const after = await ml.predict('spam', { wordCount: 200, linkCount: 3, capsRatio: 0.2 });
    expect(after).toEqual(before);
  });

  it('keeps the JavaScript thread free while training', async () => {
    // Big enough to train for about a second.
    const slow = new RegressionModel({
      name: 'slow',
      type: 'regression',
      resource: 'products',
      features: ['cost', 'demand'],
      target: 'price',
      backend: 'cpu',
      modelConfig: { epochs: 8000, polynomial: 3, units: 64 },
    });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = Date.now();
    await slow.train(products);
    clearInterval(timer);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThan(200);
    // A blocked event loop would have fired the timer once at most.
    expect(ticks).toBeGreaterThan(elapsed / 5 / 4);
  });
});

// Explanations and feature importance end to end on s3db.js: completeness on every model type,
// exactness on a linear model against its own weights, a feature the data ignore, determinism,
// reload, versions, models stored before importances existed, and bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataValidationError, MLError, MLPlugin, ModelNotFoundError, ModelNotTrainedError } from '../index.js';
import { memoryDatabase, seeded } from './support/db.js';

const DAY = 86_400_000;

/** y = 3a − 2b + 5 (a little noise); `noise` is unrelated to y. */
function linearRows(n, seed) {
  const random = seeded(seed);
  return Array.from({ length: n }, () => {
    const a = random() * 10;
    const b = random() * 5;
    return { a, b, noise: random() * 100, y: 3 * a - 2 * b + 5 + (random() - 0.5) * 0.1 };
  });
}

/** A curved target, a label from it, and a binary flag; `noise` again unrelated. */
function curveRows(n, seed) {
  const random = seeded(seed);
  return Array.from({ length: n }, () => {
    const a = random() * 4 - 2;
    const b = random() * 4 - 2;
    const y = Math.sin(a) * b + a * a;
    return { a, b, noise: random() * 4 - 2, y, zone: y < 0.5 ? 'low' : y < 2 ? 'mid' : 'high', flag: a * b > 0 ? 1 : 0 };
  });
}

const series = Array.from({ length: 200 }, (_, t) => ({
  day: new Date(Date.UTC(2025, 0, 1) + t * DAY).toISOString(),
  temperature: 20 + 5 * Math.sin(t / 9),
  sales: 100 + 3 * (20 + 5 * Math.sin(t / 9)) + 10 * Math.sin((2 * Math.PI * t) / 7),
}));

/** price = 8x + a city's effect + 0.1 per day listed + noise; `color` is unrelated to it. */
const CITY_EFFECT = { Lisboa: 120, Porto: 60, Faro: 30, Braga: 0 };
const COLORS = ['red', 'green', 'blue'];
const START = Date.UTC(2025, 0, 1);
function shopRows(n, seed) {
  const random = seeded(seed);
  const cities = Object.keys(CITY_EFFECT);
  return Array.from({ length: n }, () => {
    const x = random() * 10;
    const city = cities[Math.floor(random() * cities.length)];
    const color = COLORS[Math.floor(random() * COLORS.length)];
    const days = Math.floor(random() * 365);
    const price = 8 * x + CITY_EFFECT[city] + 0.1 * days + (random() - 0.5) * 2;
    const tier = price < 90 ? 'cheap' : price < 150 ? 'mid' : 'dear';
    return { x, city, color, listedAt: new Date(START + days * DAY).toISOString(), price, tier };
  });
}

/** Daily sales with a weekday category and a date feature (the last promotion's day). */
const WEEKDAY_EFFECT = [30, -10, -5, 0, 5, 10, 40];
const promoted = Array.from({ length: 240 }, (_, t) => {
  const weekday = new Date(START + t * DAY).getUTCDay();
  const temperature = 20 + 5 * Math.sin(t / 9);
  return {
    day: new Date(START + t * DAY).toISOString(),
    weekday: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][weekday],
    lastPromo: new Date(START + (t - (t % 10)) * DAY).toISOString(),
    temperature,
    sales: 100 + 3 * temperature + WEEKDAY_EFFECT[weekday] - 2 * (t % 10),
  };
});

const linear = linearRows(300, 1);
const curve = curveRows(600, 2);
const shop = shopRows(400, 3);
const SHOP_FEATURES = ['x', 'city', 'color', 'listedAt'];
const shopConfig = (extra) => ({ featureTypes: { city: 'category', color: 'category', listedAt: 'date' }, ...extra });
const net = (layers, extra = {}) => ({ epochs: 40, batchSize: 32, learningRate: 0.01, layers, ...extra });

const MODELS = {
  linear: { type: 'regression', resource: 'lin', features: ['a', 'b', 'noise'], target: 'y', modelConfig: { epochs: 80, learningRate: 0.1 } },
  poly: { type: 'regression', resource: 'curve', features: ['a', 'b', 'noise'], target: 'y', modelConfig: { epochs: 30, polynomial: 3, units: 16 } },
  zone: { type: 'classification', resource: 'curve', features: ['a', 'b', 'noise'], target: 'zone', modelConfig: { epochs: 30, units: 32 } },
  relu: {
    type: 'neural-network',
    resource: 'curve',
    features: ['a', 'b', 'noise'],
    target: 'y',
    modelConfig: net([{ units: 32, activation: 'relu' }, { units: 16, activation: 'relu' }], { loss: 'meanSquaredError' }),
  },
  smooth: {
    type: 'neural-network',
    resource: 'curve',
    features: ['a', 'b', 'noise'],
    target: 'y',
    modelConfig: net([{ units: 16, activation: 'tanh' }, { units: 8, activation: 'elu', batchNormalization: true }], { loss: 'meanSquaredError' }),
  },
  binary: {
    type: 'neural-network',
    resource: 'curve',
    features: ['a', 'b', 'noise'],
    target: 'flag',
    modelConfig: net([{ units: 16, activation: 'relu' }], { loss: 'binaryCrossentropy', outputActivation: 'sigmoid' }),
  },
  labels: {
    type: 'neural-network',
    resource: 'curve',
    features: ['a', 'b', 'noise'],
    target: 'zone',
    modelConfig: net([{ units: 16, activation: 'selu' }], { loss: 'categoricalCrossentropy', outputActivation: 'softmax', outputUnits: 3 }),
  },
  forecast: {
    type: 'timeseries',
    resource: 'sales',
    features: ['temperature'],
    target: 'sales',
    timeField: 'day',
    modelConfig: { lookback: 5, lstmUnits: 8, denseUnits: 4, epochs: 15, dropout: 0, recurrentDropout: 0 },
  },
  shopLinear: { type: 'regression', resource: 'shop', features: SHOP_FEATURES, target: 'price', modelConfig: shopConfig({ epochs: 80, learningRate: 0.1 }) },
  shopPoly: { type: 'regression', resource: 'shop', features: SHOP_FEATURES, target: 'price', modelConfig: shopConfig({ epochs: 20, polynomial: 2, units: 16 }) },
  shopTier: { type: 'classification', resource: 'shop', features: SHOP_FEATURES, target: 'tier', modelConfig: shopConfig({ epochs: 30, units: 32 }) },
  shopRelu: {
    type: 'neural-network',
    resource: 'shop',
    features: SHOP_FEATURES,
    target: 'price',
    modelConfig: shopConfig(net([{ units: 32, activation: 'relu' }, { units: 16, activation: 'relu' }], { epochs: 60, loss: 'meanSquaredError' })),
  },
  shopSmooth: {
    type: 'neural-network',
    resource: 'shop',
    features: SHOP_FEATURES,
    target: 'price',
    modelConfig: shopConfig(net([{ units: 16, activation: 'tanh' }], { loss: 'meanSquaredError' })),
  },
  shopSeries: {
    type: 'timeseries',
    resource: 'promoted',
    features: ['weekday', 'temperature', 'lastPromo'],
    target: 'sales',
    timeField: 'day',
    modelConfig: {
      lookback: 5,
      lstmUnits: 8,
      denseUnits: 4,
      epochs: 15,
      dropout: 0,
      recurrentDropout: 0,
      featureTypes: { weekday: 'category', lastPromo: 'date' },
    },
  },
};

let db;
let ml;
const sum = (object) => Object.values(object).reduce((a, b) => a + b, 0);
/** The largest completeness error seen, as a share of the spread, per model. */
const completeness = {};

beforeAll(async () => {
  db = memoryDatabase();
  await db.connect();
  await (await db.createResource({ name: 'lin', attributes: { a: 'number', b: 'number', noise: 'number', y: 'number' } })).insertMany(linear);
  await (
    await db.createResource({
      name: 'curve',
      attributes: { a: 'number', b: 'number', noise: 'number', y: 'number', zone: 'string', flag: 'number' },
    })
  ).insertMany(curve);
  await (await db.createResource({ name: 'sales', attributes: { day: 'string', temperature: 'number', sales: 'number' } })).insertMany(series);
  await (
    await db.createResource({
      name: 'shop',
      attributes: { x: 'number', city: 'string', color: 'string', listedAt: 'string', price: 'number', tier: 'string' },
    })
  ).insertMany(shop);
  await (
    await db.createResource({
      name: 'promoted',
      attributes: { day: 'string', weekday: 'string', lastPromo: 'string', temperature: 'number', sales: 'number' },
    })
  ).insertMany(promoted);
  ml = new MLPlugin({ logLevel: 'silent', backend: 'cpu', saveModel: false, models: MODELS });
  await db.usePlugin(ml);
  for (const name of Object.keys(MODELS)) await ml.train(name);
});

afterAll(async () => {
  console.log(`explain completeness error (share of the spread), worst per model: ${JSON.stringify(completeness)}`);
  await db.disconnect();
});

/** Inputs to explain: the first rows of the model's data, as predict takes them. */
function inputsOf(name) {
  if (name === 'forecast') return [0, 40, 120].map((start) => series.slice(start, start + 5));
  if (name === 'shopSeries') return [0, 43, 121, 200].map((start) => promoted.slice(start, start + 5));
  if (name.startsWith('shop')) return shop.slice(0, 12).map(({ x, city, color, listedAt }) => ({ x, city, color, listedAt }));
  const rows = name === 'linear' ? linear : curve;
  return rows.slice(0, 12).map(({ a, b, noise }) => ({ a, b, noise }));
}

/** The fields a model's contributions are keyed by, sorted: its features (a time series' target too). */
function featuresOf(name) {
  const { features, target, type } = MODELS[name];
  return (type === 'timeseries' ? [...features, target] : [...features]).sort();
}

describe('completeness: baseline + Σ contributions = prediction', () => {
  for (const name of Object.keys(MODELS)) {
    it(`${name} (${MODELS[name].type})`, async () => {
      const model = ml.models[name];
      const target = model.normalizer.target;
      const probability = ['zone', 'binary', 'labels', 'shopTier'].includes(name);
      const spread = probability ? 1 : target.max - target.min;
      let worst = 0;
      for (const input of inputsOf(name)) {
        const e = await ml.explain(name, input);
        const p = await ml.predict(name, input);
        expect(Object.keys(e.contributions).sort()).toEqual(featuresOf(name));
        if (name === 'zone' || name === 'labels' || name === 'shopTier') {
          // The predicted label's calibrated probability is what is explained.
          expect(e.label).toBe(p.prediction);
          expect(e.prediction).toBe(p.confidence);
        } else {
          expect(e.prediction).toBe(p.prediction);
        }
        const error = Math.abs(e.baseline + sum(e.contributions) - e.prediction) / spread;
        expect(error).toBeLessThan(1e-3);
        worst = Math.max(worst, error);
      }
      completeness[name] = worst;
    });
  }

  it('time series: per-step detail sums to the per-feature total, the target keyed by its name', async () => {
    const window = series.slice(60, 65);
    const e = await ml.explain('forecast', [...window].reverse()); // any order, like predict
    expect(e.contributionsByStep).toHaveLength(5);
    for (const column of ['temperature', 'sales']) {
      const total = e.contributionsByStep.reduce((s, step) => s + step[column], 0);
      expect(total).toBeCloseTo(e.contributions[column], 9);
    }
    expect(Math.abs(e.contributions.sales)).toBeGreaterThan(0);
  });
});

describe('a linear model', () => {
  it('attributes exactly weight × (x − training mean), against the weights read from its export', async () => {
    const bytes = await ml.exportModel('linear', { format: 'safetensors' });
    const { tensors } = readSafetensors(bytes);
    const weight = tensors['layers.0.weight'];
    const { features, target } = ml.models.linear.normalizer;
    const names = ['a', 'b', 'noise'];
    const mean = Object.fromEntries(names.map((f) => [f, linear.reduce((s, r) => s + r[f], 0) / linear.length]));
    for (const input of inputsOf('linear')) {
      const e = await ml.explain('linear', input);
      names.forEach((f, i) => {
        const { min, max } = features[f];
        const expected = ((target.max - target.min) * weight[i] * (input[f] - mean[f])) / (max - min);
        expect(Math.abs(e.contributions[f] - expected)).toBeLessThan(1e-5 * (target.max - target.min));
      });
      // The baseline is the prediction at the training means.
      expect(e.baseline).toBeCloseTo((await ml.predict('linear', mean)).prediction, 9);
    }
  });

  it('gives a feature the data ignore a near-zero attribution and the last rank', async () => {
    for (const name of ['linear', 'relu']) {
      let ignored = 0;
      let used = 0;
      for (const input of inputsOf(name)) {
        const e = await ml.explain(name, input);
        ignored += Math.abs(e.contributions.noise);
        used += Math.abs(e.contributions.a);
      }
      expect(ignored / used).toBeLessThan(name === 'linear' ? 0.01 : 0.1);
      const ranked = await ml.featureImportance(name);
      expect(ranked.map((r) => r.feature).at(-1)).toBe('noise');
      expect(ranked[0].importance).toBeGreaterThan(20 * Math.abs(ranked.at(-1).importance));
    }
  });
});

describe('targets beyond f32 range', () => {
  it('attribute exactly Δx times the least-squares slope, where the f32 backward pass once gave null', async () => {
    const huge = memoryDatabase();
    await huge.connect();
    try {
      const rows = Array.from({ length: 50 }, (_, i) => ({ x: i, y: i + (i % 3) }));
      // The least-squares slope of y on x over every row, computed here.
      const mean = (f) => rows.reduce((s, r) => s + f(r), 0) / rows.length;
      const [mx, my] = [mean((r) => r.x), mean((r) => r.y)];
      const slope = mean((r) => (r.x - mx) * (r.y - my)) / mean((r) => (r.x - mx) ** 2);
      for (const scale of [1e39, 1e300]) {
        const name = `scaled${Math.log10(scale)}`;
        const resource = await huge.createResource({ name, attributes: { x: 'number', v: 'number' } });
        await resource.insertMany(rows.map((r) => ({ x: r.x, v: r.y * scale })));
        const plugin = new MLPlugin({ logLevel: 'silent', backend: 'cpu', saveModel: false, models: { m: { type: 'regression', resource: name, features: ['x'], target: 'v', modelConfig: { validationSplit: 0 } } } });
        await plugin.install(huge);
        await plugin.train('m');
        const e = await plugin.explain('m', { x: 10 });
        // Every row trains (no held-out rows), so the reference is the mean of all x.
        expect(e.contributions.x / scale).toBeCloseTo(slope * (10 - mx), 4);
        // Complete up to f32 rounding of the weights: a millionth of the target's spread.
        const spread = (Math.max(...rows.map((r) => r.y)) - Math.min(...rows.map((r) => r.y))) * scale;
        expect(Math.abs(e.baseline + e.contributions.x - e.prediction)).toBeLessThan(1e-6 * spread);
      }
    } finally {
      await huge.disconnect();
    }
  });
});

describe('categories and dates', () => {
  it('a linear model attributes a category exactly Σ weight × (one-hot − training frequency)', async () => {
    const bytes = await ml.exportModel('shopLinear', { format: 'safetensors' });
    const weight = readSafetensors(bytes).tensors['layers.0.weight'];
    const model = ml.models.shopLinear;
    const { target, features } = model.normalizer;
    const range = target.max - target.min;
    const cities = model.preprocessing.city.categories;
    // Units: x, then one per city in the vocabulary's order, then the colors, then the date's five.
    expect(weight).toHaveLength(1 + cities.length + COLORS.length + 5);
    const frequency = cities.map((c) => shop.filter((r) => r.city === c).length / shop.length);
    const meanX = shop.reduce((s, r) => s + r.x, 0) / shop.length;
    let checked = 0;
    for (const input of inputsOf('shopLinear')) {
      const e = await ml.explain('shopLinear', input);
      const expectedCity = range * cities.reduce((s, c, j) => s + weight[1 + j] * ((input.city === c ? 1 : 0) - frequency[j]), 0);
      expect(Math.abs(e.contributions.city - expectedCity)).toBeLessThan(1e-5 * range);
      const expectedX = (range * weight[0] * (input.x - meanX)) / (features.x.max - features.x.min);
      expect(Math.abs(e.contributions.x - expectedX)).toBeLessThan(1e-5 * range);
      checked += Math.abs(expectedCity) > 1 ? 1 : 0;
    }
    expect(checked).toBeGreaterThan(6);
  });

  it('a category the target depends on ranks high; an unrelated one gets near-zero attribution and ranks last', async () => {
    for (const name of ['shopLinear', 'shopRelu']) {
      let unrelated = 0;
      let used = 0;
      for (const input of inputsOf(name)) {
        const e = await ml.explain(name, input);
        unrelated += Math.abs(e.contributions.color);
        used += Math.abs(e.contributions.city);
      }
      expect(unrelated / used).toBeLessThan(name === 'shopLinear' ? 0.02 : 0.1);
      const ranked = await ml.featureImportance(name);
      // One importance per original field: a date's five columns and a city's units shuffled together.
      expect(ranked.map((r) => r.feature).sort()).toEqual([...SHOP_FEATURES].sort());
      expect(ranked[0].feature).toBe('city');
      expect(ranked.at(-1).feature).toBe('color');
      expect(ranked[0].importance).toBeGreaterThan(20 * Math.abs(ranked.at(-1).importance));
    }
    const series = await ml.featureImportance('shopSeries');
    expect(series.map((r) => r.feature).sort()).toEqual(featuresOf('shopSeries'));
  });

  it('a model stored before category references takes every category as equally likely', async () => {
    const model = ml.models.shopLinear;
    const current = model.export({ format: 'safetensors' });
    const weight = readSafetensors(current).tensors['layers.0.weight'];
    const { target } = model.normalizer;
    const cities = model.preprocessing.city.categories;
    try {
      model.import(withoutExplanations(current));
      for (const input of inputsOf('shopLinear').slice(0, 4)) {
        const e = await ml.explain('shopLinear', input);
        const expected = (target.max - target.min) * cities.reduce((s, c, j) => s + weight[1 + j] * ((input.city === c ? 1 : 0) - 1 / cities.length), 0);
        expect(Math.abs(e.contributions.city - expected)).toBeLessThan(1e-5 * (target.max - target.min));
        expect(Math.abs(e.baseline + sum(e.contributions) - e.prediction)).toBeLessThan(1e-6 * (target.max - target.min));
      }
    } finally {
      model.import(current);
    }
  });

  it('time series: each step’s detail is keyed by the original fields and sums to the total', async () => {
    const e = await ml.explain('shopSeries', promoted.slice(100, 105));
    expect(e.contributionsByStep).toHaveLength(5);
    for (const field of featuresOf('shopSeries')) {
      const total = e.contributionsByStep.reduce((s, step) => s + step[field], 0);
      expect(total).toBeCloseTo(e.contributions[field], 9);
    }
  });
});

describe('feature importance', () => {
  it('is sorted, in the model’s own metric, and in the stats', async () => {
    const ranked = await ml.featureImportance('zone');
    expect(ranked.map((r) => r.importance)).toEqual([...ranked.map((r) => r.importance)].sort((a, b) => b - a));
    const stats = ml.getModelStats('zone');
    expect(stats.importance.metric).toBe('accuracy');
    expect(stats.importance.features).toEqual(ranked);
    expect(ml.getModelStats('linear').importance.metric).toBe('rmse');
    expect((await ml.featureImportance('forecast')).map((r) => r.feature).sort()).toEqual(['sales', 'temperature']);
  });

  it('is deterministic: training again on the same rows gives the same importances and explanations', async () => {
    const before = await ml.featureImportance('relu');
    const explained = await ml.explain('relu', inputsOf('relu')[0]);
    await ml.train('relu');
    expect(await ml.featureImportance('relu')).toEqual(before);
    expect(await ml.explain('relu', inputsOf('relu')[0])).toEqual(explained);
  });
});

describe('bad input', () => {
  it('is the same DataValidationError predict gives', async () => {
    const bad = { a: 1, b: 'x', noise: 0 };
    const predictError = await ml.predict('linear', bad).catch((e) => e);
    const explainError = await ml.explain('linear', bad).catch((e) => e);
    expect(explainError).toBeInstanceOf(DataValidationError);
    expect(explainError.message).toBe(predictError.message);
    await expect(ml.explain('forecast', series.slice(0, 3))).rejects.toBeInstanceOf(DataValidationError);
    const badDate = { x: 1, city: 'Lisboa', color: 'red', listedAt: 'not a date' };
    const predicted = await ml.predict('shopRelu', badDate).catch((e) => e);
    const explained = await ml.explain('shopRelu', badDate).catch((e) => e);
    expect(explained).toBeInstanceOf(DataValidationError);
    expect(explained.message).toBe(predicted.message);
  });

  it('names an unknown model and an untrained one', async () => {
    await expect(ml.explain('nope', {})).rejects.toBeInstanceOf(ModelNotFoundError);
    await expect(ml.featureImportance('nope')).rejects.toBeInstanceOf(ModelNotFoundError);
    const fresh = new MLPlugin({ logLevel: 'silent', saveModel: false, models: { linear: MODELS.linear } });
    await expect(fresh.explain('linear', { a: 1, b: 1, noise: 1 })).rejects.toBeInstanceOf(ModelNotTrainedError);
    await expect(fresh.featureImportance('linear')).rejects.toBeInstanceOf(ModelNotTrainedError);
  });
});

describe('resource.ml', () => {
  it('explains and ranks like the plugin', async () => {
    const input = inputsOf('linear')[3];
    expect(await db.resources.lin.ml.explain(input, 'y')).toEqual(await ml.explain('linear', input));
    expect(await db.resources.lin.ml.importance('y')).toEqual(await ml.featureImportance('linear'));
  });
});

describe('stored versions', () => {
  let store;
  let first;
  const models = () => ({ linear: { ...MODELS.linear, resource: 'lin' }, forecast: { ...MODELS.forecast } });
  beforeAll(async () => {
    store = memoryDatabase();
    await store.connect();
    await (await store.createResource({ name: 'lin', attributes: { a: 'number', b: 'number', noise: 'number', y: 'number' } })).insertMany(linear);
    await (await store.createResource({ name: 'sales', attributes: { day: 'string', temperature: 'number', sales: 'number' } })).insertMany(series);
    first = new MLPlugin({ logLevel: 'silent', backend: 'cpu', namespace: 'shop', saveTrainingData: true, models: models() });
    await store.usePlugin(first, 'mlfirst');
    await first.train('linear');
    await first.train('forecast');
  });
  afterAll(async () => {
    await store.disconnect();
  });

  it('a reloaded model explains identically and keeps its importances; versions carry them', async () => {
    const input = inputsOf('linear')[5];
    const explained = await first.explain('linear', input);
    const ranked = await first.featureImportance('linear');
    const second = new MLPlugin({ logLevel: 'silent', backend: 'cpu', namespace: 'shop', models: models() });
    await store.usePlugin(second, 'mlsecond');
    expect(await second.explain('linear', input)).toEqual(explained);
    expect(await second.featureImportance('linear')).toEqual(ranked);

    await first.train('linear');
    const versions = await first.listModelVersions('linear');
    expect(versions.map((v) => v.importance.features)).toEqual([ranked, ranked]);
    const compared = await first.compareVersions('linear', 1, 2);
    expect(compared.version1.importance.features).toEqual(ranked);
    expect(compared.importanceShift).toEqual({ a: 0, b: 0, noise: 0 });
  });

  it('a model stored before explanations explains from its normaliser and measures importance on demand', async () => {
    const model = first.models.linear;
    const stored = model.importance;
    model.import(withoutExplanations(model.export({ format: 'safetensors' })));
    expect(model.importance).toBeNull();
    const input = inputsOf('linear')[2];
    const e = await first.explain('linear', input);
    // The reference is then the middle of each feature's training range.
    const { features } = model.normalizer;
    const middle = Object.fromEntries(Object.entries(features).map(([f, { min, max }]) => [f, min + (max - min) / 2]));
    expect(e.baseline).toBeCloseTo((await first.predict('linear', middle)).prediction, 9);
    expect(Math.abs(e.baseline + sum(e.contributions) - e.prediction)).toBeLessThan(1e-6 * (model.normalizer.target.max - model.normalizer.target.min));
    // Measured now from the stored training rows, on the same held-out rows training used.
    expect(await first.featureImportance('linear')).toEqual(stored.features);
  });

  it('a time series stored before explanations explains from its normaliser and measures importance on demand', async () => {
    const model = first.models.forecast;
    const stored = model.importance;
    expect(stored.features.map((f) => f.feature).sort()).toEqual(['sales', 'temperature']);
    model.import(withoutExplanations(model.export({ format: 'safetensors' })));
    expect(model.importance).toBeNull();
    const { features, target } = model.normalizer;
    const middle = (f) => f.min + (f.max - f.min) / 2;
    const window = series.slice(70, 75);
    const e = await first.explain('forecast', window);
    // The reference window: every step at the middle of each column's training range.
    const reference = window.map((r) => ({ ...r, temperature: middle(features.temperature), sales: middle(target) }));
    expect(e.baseline).toBeCloseTo((await first.predict('forecast', reference)).prediction, 6);
    expect(Math.abs(e.baseline + sum(e.contributions) - e.prediction)).toBeLessThan(1e-3 * (target.max - target.min));
    // Measured now from the stored training rows, on the windows training held out.
    expect(await first.featureImportance('forecast')).toEqual(stored.features);
  });

  it('a binary network with a boolean target stored before explanations measures the importance it had', async () => {
    const random = seeded(77);
    const flags = Array.from({ length: 120 }, () => {
      const a = random() * 10;
      const b = random() * 10;
      return { a, b, flag: a > 5 };
    });
    await (await store.createResource({ name: 'flags', attributes: { a: 'number', b: 'number', flag: 'boolean' } })).insertMany(flags);
    const config = { type: 'neural-network', resource: 'flags', features: ['a', 'b'], target: 'flag', modelConfig: { epochs: 40, layers: [{ units: 8, activation: 'relu' }], outputActivation: 'sigmoid', loss: 'binaryCrossentropy' } };
    const binary = new MLPlugin({ logLevel: 'silent', backend: 'cpu', namespace: 'binary', saveTrainingData: true, models: { flag: config } });
    await store.usePlugin(binary, 'mlbinary');
    await binary.train('flag');
    const model = binary.models.flag;
    const stored = model.importance;
    // Only `a` decides the flag: its accuracy falls when `a` is shuffled.
    expect(stored.features[0].feature).toBe('a');
    expect(stored.features[0].importance).toBeGreaterThan(0.1);
    model.import(withoutExplanations(model.export({ format: 'safetensors' })));
    expect(model.importance).toBeNull();
    // Measured from the stored rows, whose targets are true/false: before, every one became an
    // unknown class (-1) and the figures were meaningless.
    expect(await binary.featureImportance('flag')).toEqual(stored.features);
  });

  it('without stored training rows, says why importance cannot be measured', async () => {
    const third = new MLPlugin({ logLevel: 'silent', backend: 'cpu', models: { linear: { ...MODELS.linear } } });
    const bare = memoryDatabase();
    await bare.connect();
    await (await bare.createResource({ name: 'lin', attributes: { a: 'number', b: 'number', noise: 'number', y: 'number' } })).insertMany(linear);
    await bare.usePlugin(third);
    await third.train('linear');
    third.models.linear.import(withoutExplanations(third.models.linear.export({ format: 'safetensors' })));
    const error = await third.featureImportance('linear').catch((e) => e);
    expect(error).toBeInstanceOf(MLError);
    expect(error.statusCode).toBe(409);
    expect(error.message).toMatch(/saveTrainingData/);
    await bare.disconnect();
  });
});

/** The tensors of a safetensors file (F32 and F64) and its header. */
function readSafetensors(bytes) {
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8'));
  const data = bytes.subarray(8 + length);
  const tensors = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [from, to] = entry.data_offsets;
    const slice = Buffer.from(data.subarray(from, to));
    const Type = entry.dtype === 'F64' ? Float64Array : Float32Array;
    tensors[name] = Array.from(new Type(slice.buffer, slice.byteOffset, (to - from) / Type.BYTES_PER_ELEMENT));
  }
  return { header, tensors, data };
}

/** The same model file as a version before explanations would have written it. */
function withoutExplanations(bytes) {
  const { header, data } = readSafetensors(bytes);
  const manifest = JSON.parse(header.__metadata__['s3db-ml']);
  delete manifest.reference;
  delete manifest.referenceFrequencies;
  delete manifest.importance;
  header.__metadata__['s3db-ml'] = JSON.stringify(manifest);
  delete header.reference;
  delete header['reference.categories'];
  delete header.importance;
  let text = JSON.stringify(header);
  while ((8 + text.length) % 8 !== 0) text += ' ';
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
  return Buffer.concat([length, Buffer.from(text), data]);
}

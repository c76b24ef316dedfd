// Time series (LSTM) and custom networks end to end on s3db.js, with known answers, plus the
// evaluation API and the bad input of both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MLPlugin,
  ModelConfigError,
  DataValidationError,
  TimeSeriesModel,
  NeuralNetworkModel,
} from '../index.js';
import { memoryDatabase, seeded } from './support/db.js';

const DAY = 86_400_000;
const START = Date.UTC(2025, 0, 1);

/** Daily sales: trend plus weekly seasonality, with a temperature feature. */
function salesDay(t) {
  return {
    day: new Date(START + t * DAY).toISOString(),
    temperature: 20 + 5 * Math.sin(t / 30),
    sales: 200 + 0.8 * t + 30 * Math.sin((2 * Math.PI * t) / 7),
  };
}

/** y = sin(a)·b + a² on [-2, 2]². */
function curveRows(n, seed) {
  const random = seeded(seed);
  return Array.from({ length: n }, () => {
    const a = random() * 4 - 2;
    const b = random() * 4 - 2;
    return { a, b, y: Math.sin(a) * b + a * a };
  });
}

let db;
let ml;
const series = Array.from({ length: 365 }, (_, t) => salesDay(t));

beforeAll(async () => {
  db = memoryDatabase();
  await db.connect();
  const sales = await db.createResource({
    name: 'sales',
    attributes: { day: 'string', temperature: 'number', sales: 'number' },
  });
  // Shuffled: s3db.js lists records by (random) id anyway; the model must order them by `day`.
  const shuffled = [...series];
  const random = seeded(9);
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  await sales.insertMany(shuffled);
  await (await db.createResource({ name: 'curve', attributes: { a: 'number', b: 'number', y: 'number' } })).insertMany(curveRows(1000, 3));

  ml = new MLPlugin({
    logLevel: 'silent',
    backend: 'cpu',
    models: {
      forecast: {
        type: 'timeseries',
        resource: 'sales',
        features: ['temperature'],
        target: 'sales',
        timeField: 'day',
        modelConfig: { lookback: 14, lstmUnits: 32, denseUnits: 16, epochs: 60, batchSize: 16, dropout: 0, recurrentDropout: 0 },
      },
      curve: {
        type: 'neural-network',
        resource: 'curve',
        features: ['a', 'b'],
        target: 'y',
        modelConfig: {
          epochs: 150,
          layers: [
            { units: 64, activation: 'tanh' },
            { units: 32, activation: 'relu' },
          ],
        },
      },
    },
  });
  await db.usePlugin(ml);
});

afterAll(async () => {
  await db.disconnect();
});

describe('time series', () => {
  let result;
  beforeAll(async () => {
    result = await ml.train('forecast');
  });

  it('trains on records ordered by time, not by id', async () => {
    expect(result.samples).toBe(365);
    expect(result.metrics.mape).toBeLessThan(5);
  });

  it('forecasts unseen days with MAPE under 5%', async () => {
    const future = Array.from({ length: 60 }, (_, k) => salesDay(365 + k));
    const mape = await ml.models.forecast.calculateMAPE([...series.slice(-14), ...future]);
    expect(mape).toBeLessThan(5);
  });

  it('calculateMAPE skips actual 0s, and is null (undefined, not perfect) when every actual is 0', async () => {
    const model = ml.models.forecast;
    const future = Array.from({ length: 20 }, (_, k) => ({ ...salesDay(365 + k), sales: k % 3 === 0 ? 0 : salesDay(365 + k).sales }));
    const records = [...series.slice(-14), ...future];
    // Reference: each record after the first 14 forecast from the 14 before it.
    let sum = 0;
    let count = 0;
    for (let i = 14; i < records.length; i++) {
      const actual = records[i].sales;
      if (actual === 0) continue;
      const { prediction } = await model.predict(records.slice(i - 14, i));
      sum += Math.abs((actual - prediction) / actual);
      count++;
    }
    expect(count).toBeLessThan(future.length);
    expect(await model.calculateMAPE(records)).toBeCloseTo((100 * sum) / count, 9);

    const zeros = records.map((r, i) => (i < 14 ? r : { ...r, sales: 0 }));
    expect(await model.calculateMAPE(zeros)).toBeNull();
    // The same null that evaluate() and held-out metrics report for it.
    const metrics = await model.evaluate(zeros);
    expect(metrics.mape).toBeNull();
    expect(metrics.mae).toBeGreaterThan(0);
  });

  it('predict takes exactly lookback records, in any order', async () => {
    const window = series.slice(-14);
    const next = salesDay(365).sales;
    const a = await ml.predict('forecast', window);
    const b = await ml.predict('forecast', [...window].reverse());
    expect(a).toEqual(b);
    expect(Math.abs(a.prediction - next) / next).toBeLessThan(0.05);
    expect(a.interval[0]).toBeLessThan(a.prediction);
    await expect(ml.predict('forecast', series.slice(-13))).rejects.toBeInstanceOf(DataValidationError);
    await expect(ml.predict('forecast', { temperature: 1, sales: 2 })).rejects.toThrow(/exactly 14 records/);
  });

  it('predictMultiStep feeds predictions back', async () => {
    const steps = await ml.models.forecast.predictMultiStep(series.slice(-30), 7);
    expect(steps).toHaveLength(7);
    steps.forEach((value, k) => {
      const truth = salesDay(365 + k).sales;
      expect(Math.abs(value - truth) / truth).toBeLessThan(0.1);
    });
  });

  it('plugin evaluate() reports MAPE and MAE on held-out windows or given data', async () => {
    const heldOut = await ml.evaluate('forecast');
    expect(heldOut.mape).toBeLessThan(5);
    expect(heldOut.mae).toBeGreaterThan(0);
    const onData = await ml.evaluate('forecast', { data: series.slice(-100) });
    expect(onData.samples).toBe(86);
  });

  it('without a time field it is a ModelConfigError', async () => {
    const model = new TimeSeriesModel({
      name: 'unordered',
      type: 'timeseries',
      features: ['x'],
      target: 'y',
      modelConfig: { lookback: 3 },
    });
    const rows = Array.from({ length: 20 }, (_, i) => ({ x: i, y: 2 * i }));
    await expect(model.train(rows)).rejects.toBeInstanceOf(ModelConfigError);
    const withCreatedAt = rows.map((r, i) => ({ ...r, createdAt: new Date(START + i * DAY).toISOString() }));
    const trained = await model.train(withCreatedAt);
    expect(trained.samples).toBe(20);
  });
});

describe('neural network', () => {
  it('learns a non-linear function of two inputs (R² > 0.95 on unseen rows)', async () => {
    const result = await ml.train('curve');
    expect(result.metrics.r2).toBeGreaterThan(0.95);
    const r2 = await ml.models.curve.calculateR2Score(curveRows(300, 77));
    expect(r2).toBeGreaterThan(0.95);
    const held = await ml.evaluate('curve');
    expect(held).toMatchObject({ r2: expect.any(Number), mae: expect.any(Number), rmse: expect.any(Number) });
  });

  it('getArchitecture counts the real trainable parameters', () => {
    const arch = ml.models.curve.getArchitecture();
    expect(arch.inputFeatures).toEqual(['a', 'b']);
    expect(arch.hiddenLayers.map((l) => l.units)).toEqual([64, 32]);
    expect(arch.outputLayer).toEqual({ units: 1, activation: 'linear' });
    // (2·64 + 64) + (64·32 + 32) + (32 + 1)
    expect(arch.totalParameters).toBe(192 + 2080 + 33);
    expect(arch.loss).toBe('meanSquaredError');
  });

  it('addLayer and setOutput change the network before training, not after', () => {
    const model = new NeuralNetworkModel({ name: 'n', type: 'neural-network', features: ['a', 'b', 'c'], target: 'y', modelConfig: { layers: [{ units: 128, batchNormalization: true }] } });
    model.addLayer({ units: 64, activation: 'relu', dropout: 0.2 }).addLayer({ units: 32 });
    // (3·128+128) + 2·128 + (128·64+64) + (64·32+32) + (32+1)
    expect(model.getArchitecture().totalParameters).toBe(512 + 256 + 8256 + 2080 + 33);
    model.setOutput({ units: 3, activation: 'softmax', loss: 'categoricalCrossentropy' });
    expect(model.getArchitecture().outputLayer).toEqual({ units: 3, activation: 'softmax' });
    expect(() => model.setOutput({ units: 1 })).toThrow(ModelConfigError); // softmax with one unit
    expect(model.getArchitecture().outputLayer.units).toBe(3); // unchanged after the error
    expect(ml.models.curve.isTrained).toBe(true);
    expect(() => ml.models.curve.addLayer({ units: 4 })).toThrow(/after the network is trained/);
  });

  it('categorical and binary outputs predict labels and probabilities', async () => {
    const random = seeded(4);
    const rows = Array.from({ length: 400 }, () => {
      const x = random() * 10;
      const y = random() * 10;
      return { x, y, zone: x + y < 7 ? 'low' : x > y ? 'east' : 'north', east: x > y };
    });
    const categorical = new NeuralNetworkModel({
      name: 'zones', type: 'neural-network', features: ['x', 'y'], target: 'zone', backend: 'cpu',
      modelConfig: { epochs: 60, layers: [{ units: 32 }], outputUnits: 3, outputActivation: 'softmax', loss: 'categoricalCrossentropy' },
    });
    expect((await categorical.train(rows)).accuracy).toBeGreaterThan(0.85);
    const p = await categorical.predict({ x: 9, y: 1 });
    expect(p.prediction).toBe('east');
    expect(Object.keys(p.probabilities).sort()).toEqual(['east', 'low', 'north']);
    const { matrix, accuracy } = await categorical.evaluate(rows);
    expect(matrix.east.east).toBeGreaterThan(50);
    expect(accuracy).toBeGreaterThan(0.85);

    const binary = new NeuralNetworkModel({
      name: 'east', type: 'neural-network', features: ['x', 'y'], target: 'east', backend: 'cpu',
      modelConfig: { epochs: 60, layers: [{ units: 16 }], outputActivation: 'sigmoid', loss: 'binaryCrossentropy' },
    });
    expect((await binary.train(rows)).accuracy).toBeGreaterThan(0.9);
    const q = await binary.predict({ x: 9, y: 1 });
    expect(q.prediction).toBeGreaterThan(0.5);
    expect(q.confidence).toBe(q.prediction);
  });

  it('a binary network evaluates as a two-class classifier, keyed "0"/"1", held out, on given data and on the model alike', async () => {
    const random = seeded(12);
    // 10 % of the labels flipped, so the matrix has counts off its diagonal.
    const flags = Array.from({ length: 300 }, () => {
      const x = random() * 10;
      const y = random() * 10;
      return { x, y, east: random() < 0.1 ? x <= y : x > y };
    });
    await (await db.createResource({ name: 'flags', attributes: { x: 'number', y: 'number', east: 'boolean' } })).insertMany(flags);
    const local = new MLPlugin({
      logLevel: 'silent',
      backend: 'cpu',
      namespace: 'binary',
      models: {
        east: {
          type: 'neural-network', resource: 'flags', features: ['x', 'y'], target: 'east',
          modelConfig: { epochs: 40, layers: [{ units: 8 }], outputActivation: 'sigmoid', loss: 'binaryCrossentropy' },
        },
      },
    });
    await local.install(db);
    const result = await local.train('east');
    const model = local.models.east;
    expect(model.classes).toEqual([0, 1]);

    /** The metrics of predicting class 1 when p >= 0.5, computed here from the predicted probabilities. */
    const reference = async (rows) => {
      const predicted = (await model.predictBatch(rows)).map((p) => (p.prediction >= 0.5 ? '1' : '0'));
      const matrix = { 0: { 0: 0, 1: 0 }, 1: { 0: 0, 1: 0 } };
      rows.forEach((r, i) => matrix[Number(r.east)][predicted[i]]++);
      const perLabel = {};
      for (const c of ['0', '1']) {
        const other = c === '0' ? '1' : '0';
        const tp = matrix[c][c];
        const precision = tp / (tp + matrix[other][c]);
        const recall = tp / (tp + matrix[c][other]);
        perLabel[c] = { precision, recall, f1: (2 * precision * recall) / (precision + recall), support: tp + matrix[c][other] };
      }
      const correct = matrix[0][0] + matrix[1][1];
      return { accuracy: correct / rows.length, total: rows.length, correct, matrix, perLabel };
    };
    const data = flags.slice(0, 120);
    const expected = await reference(data);
    expect(expected.matrix[0][1] + expected.matrix[1][0]).toBeGreaterThan(0);
    for (const metrics of [await local.evaluate('east', { data }), await model.evaluate(data)]) {
      expect(metrics).toEqual({ ...expected, perLabel: expect.any(Object) });
      for (const c of ['0', '1']) {
        for (const key of ['precision', 'recall', 'f1']) expect(metrics.perLabel[c][key]).toBeCloseTo(expected.perLabel[c][key], 12);
        expect(metrics.perLabel[c].support).toBe(expected.perLabel[c].support);
      }
    }
    // 0/1 targets are the same target as booleans.
    expect(await model.evaluate(data.map((r) => ({ ...r, east: Number(r.east) })))).toEqual(await model.evaluate(data));

    // Held out: the training's metrics, in the same labelled form.
    const heldOut = await local.evaluate('east');
    expect(Object.keys(heldOut).sort()).toEqual(Object.keys(expected).sort());
    expect(heldOut.total).toBe(result.validationSamples);
    expect(heldOut.accuracy).toBe(result.accuracy);
    // train() returned exactly these.
    expect(result.metrics).toEqual(heldOut);

    // predict keeps its documented shape: the probability of class 1, confidence max(p, 1 − p).
    const q = await local.predict('east', { x: 1, y: 9 });
    expect(q.prediction).toBeLessThan(0.5);
    expect(q.confidence).toBeCloseTo(1 - q.prediction, 12);
    // R² has no meaning for it: a named error, not undefined.
    const r2 = model.calculateR2Score(data);
    await expect(r2).rejects.toBeInstanceOf(ModelConfigError);
    await expect(r2).rejects.toMatchObject({ statusCode: 400, message: expect.stringMatching(/"east" uses 'binaryCrossentropy'/) });
  });

  it('early stopping stops before the configured epochs and keeps the best weights', async () => {
    const model = new NeuralNetworkModel({
      name: 'early', type: 'neural-network', features: ['a', 'b'], target: 'y', backend: 'cpu',
      modelConfig: { epochs: 1000, learningRate: 0.01, layers: [{ units: 16, activation: 'tanh' }] },
    });
    const result = await model.trainWithEarlyStopping(curveRows(300, 5), { patience: 5, minDelta: 0.0005 });
    expect(result.stoppedEarly).toBe(true);
    expect(result.epochs).toBeLessThan(1000);
    expect(result.epochs - result.bestEpoch).toBe(5);
    // The same through modelConfig, for another model type.
    const plain = new NeuralNetworkModel({
      name: 'plain', type: 'neural-network', features: ['a', 'b'], target: 'y', backend: 'cpu',
      modelConfig: { epochs: 1000, layers: [{ units: 16, activation: 'tanh' }], earlyStopping: { patience: 5, minDelta: 0.0005 } },
    });
    expect((await plain.train(curveRows(300, 5))).stoppedEarly).toBe(true);
  });

  it('bad configurations are ModelConfigErrors', () => {
    const make = (modelConfig) => () =>
      new MLPlugin({ models: { m: { type: 'neural-network', resource: 'r', features: ['a'], target: 'y', modelConfig } } });
    expect(make({ layers: [{ units: 0 }] })).toThrow(ModelConfigError);
    expect(make({ layers: [{ units: 8, activation: 'swish' }] })).toThrow(ModelConfigError);
    expect(make({ outputActivation: 'softmax', outputUnits: 1 })).toThrow(/softmax output needs at least 2/);
    expect(make({ loss: 'hinge' })).toThrow(ModelConfigError);
    expect(make({ layers: [] })).toThrow(/at least one hidden layer/);
    expect(() => new MLPlugin({ models: { t: { type: 'timeseries', resource: 'r', features: ['a'], target: 'y', modelConfig: { lookback: 1 } } } })).toThrow(/lookback/);
  });
});

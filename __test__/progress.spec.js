// Progress reports and cancellation of a running training.
import { describe, expect, it } from 'vitest';
import { RegressionModel, TrainingAbortedError } from '../index.js';
import { productRows } from './support/db.js';

const rows = productRows(400, 21);
const model = (epochs) =>
  new RegressionModel({
    name: 'progress',
    type: 'regression',
    resource: 'products',
    features: ['cost', 'demand'],
    target: 'price',
    backend: 'cpu',
    modelConfig: { epochs, polynomial: 3, units: 32 },
  });

describe('training progress', () => {
  it('reports every epoch with finite losses and an ETA', async () => {
    const seen = [];
    await model(12).train(rows, { onProgress: (p) => seen.push(p) });
    await new Promise((r) => setImmediate(r)); // NonBlocking calls may land after the promise
    expect(seen.map((p) => p.epoch)).toEqual([...Array(12).keys()].map((i) => i + 1));
    for (const p of seen) {
      expect(p.modelName).toBe('progress');
      expect(p.epochs).toBe(12);
      expect(Number.isFinite(p.loss)).toBe(true);
      expect(Number.isFinite(p.valLoss)).toBe(true);
      expect(p.etaMs).toBeGreaterThanOrEqual(0);
    }
    expect(seen.at(-1).etaMs).toBe(0);
  });

  it('survives a progress callback that throws', async () => {
    const m = model(3);
    const result = await m.train(rows, {
      onProgress: () => {
        throw new Error('user bug');
      },
    });
    expect(result.samples).toBe(400);
    expect(m.isTrained).toBe(true);
  });

  it('an AbortSignal stops training within a second and keeps the previous model', async () => {
    // 30,000 epochs: under a second on 20 rows (one batch each), many seconds on 400 rows (thirteen each).
    const m = model(30_000);
    await m.train(rows.slice(0, 20));
    const before = await m.predict({ cost: 100, demand: 100 });

    const controller = new AbortController();
    const started = Date.now();
    let abortedAt;
    setTimeout(() => {
      abortedAt = Date.now();
      controller.abort();
    }, 300);
    const error = await m.train(rows, { signal: controller.signal }).catch((e) => e);
    expect(error).toBeInstanceOf(TrainingAbortedError);
    expect(error.statusCode).toBe(499);
    expect(abortedAt - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - abortedAt).toBeLessThan(1000);
    expect(await m.predict({ cost: 100, demand: 100 })).toEqual(before);
  });

  it('an already aborted signal does not start training', async () => {
    const m = model(3);
    await expect(m.train(rows, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(TrainingAbortedError);
    expect(m.isTrained).toBe(false);
  });
});

// Progress reports and cancellation of a running training.
import { describe, expect, it } from 'vitest';
import { MLPlugin, RegressionModel, TrainingAbortedError } from '../index.js';
import { memoryDatabase, productRows } from './support/db.js';

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

  it('an async progress callback that rejects and a model-trained listener that throws are warnings, not a failed train() or an unhandled rejection', async () => {
    // s3db.js ends the process on an unhandled rejection; either used to reach it or fail train().
    const db = memoryDatabase();
    await db.connect();
    const warnings = [];
    const onWarning = (warning) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      await (await db.createResource({ name: 'products', attributes: { cost: 'number', demand: 'number', price: 'number' } })).insertMany(productRows(60, 22));
      const ml = new MLPlugin({ logLevel: 'silent', backend: 'cpu', models: { price: { type: 'regression', resource: 'products', features: ['cost', 'demand'], target: 'price', modelConfig: { epochs: 2 } } } });
      await db.usePlugin(ml);
      ml.on('plg:ml:model-trained', () => {
        throw new Error('listener bug');
      });
      const result = await ml.train('price', {
        onProgress: async () => {
          throw new Error('async callback bug');
        },
      });
      expect(result.version).toBe(1);
      expect(ml.getStats().totalErrors).toBe(0);
      await new Promise((r) => setTimeout(r, 20)); // warnings are emitted on the next tick
      expect(warnings).toContain("s3db-ml: a 'plg:ml:model-trained' listener threw: listener bug");
      expect(warnings.filter((w) => w.endsWith('threw: async callback bug')).length).toBeGreaterThan(0);
    } finally {
      process.off('warning', onWarning);
      await db.disconnect();
    }
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

  it('aborting from a progress callback reports no later epoch, and the error names the model', async () => {
    // The engine runs ahead of the events it queues for this thread: without the check, epochs
    // it finished before it saw the abort were still reported after it.
    const controller = new AbortController();
    const seen = [];
    const error = await model(5_000)
      .train(rows, {
        signal: controller.signal,
        onProgress: (p) => {
          seen.push(p.epoch);
          if (p.epoch === 2) controller.abort();
        },
      })
      .catch((e) => e);
    await new Promise((r) => setTimeout(r, 50));
    expect(error).toBeInstanceOf(TrainingAbortedError);
    expect(error.message).toMatch(/^Training of "progress" was aborted during epoch \d+$/);
    expect(seen).toEqual([1, 2]);
  });

  it('an already aborted signal does not start training', async () => {
    const m = model(3);
    await expect(m.train(rows, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(TrainingAbortedError);
    expect(m.isTrained).toBe(false);
  });
});

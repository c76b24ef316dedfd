// Bad input gets a named error with the seed's status code and a message that says what to fix;
// nothing crashes the Node process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MLPlugin,
  MLError,
  ModelConfigError,
  ModelNotFoundError,
  ModelNotTrainedError,
  DataValidationError,
  InsufficientDataError,
  TrainingError,
  ComputeBackendUnavailableError,
  TensorFlowDependencyError,
} from '../index.js';
import * as upstreamErrors from 's3db.js/plugins/ml.errors';
import { memoryDatabase, productRows, emailRows } from './support/db.js';

const base = { resource: 'products', features: ['cost', 'demand'], target: 'price' };

function expectConfigError(models, pattern) {
  let error;
  try {
    new MLPlugin({ models });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ModelConfigError);
  expect(error.statusCode).toBe(400);
  expect(error.message).toMatch(pattern);
}

describe('invalid configuration is a ModelConfigError (400)', () => {
  it('unknown type', () => expectConfigError({ m: { ...base, type: 'banana' } }, /valid type/));
  it('polynomial out of range', () => {
    expectConfigError({ m: { ...base, type: 'regression', modelConfig: { polynomial: 6 } } }, /polynomial/);
    expectConfigError({ m: { ...base, type: 'regression', modelConfig: { polynomial: 0 } } }, /polynomial/);
    expectConfigError({ m: { ...base, type: 'regression', modelConfig: { polynomial: 2.5 } } }, /polynomial/);
  });
  it('empty features', () => expectConfigError({ m: { ...base, type: 'regression', features: [] } }, /features/));
  it('missing target', () => expectConfigError({ m: { ...base, type: 'regression', target: undefined } }, /target/));
  it('bad hyper-parameters', () => {
    expectConfigError({ m: { ...base, type: 'regression', modelConfig: { epochs: -1 } } }, /epochs/);
    expectConfigError({ m: { ...base, type: 'classification', modelConfig: { activation: 'swish' } } }, /activation|swish/);
    expectConfigError({ m: { ...base, type: 'classification', modelConfig: { dropout: 1 } } }, /dropout/);
  });
  it('a numeric option that is not a finite number names the model, the option and the value, not serde', () => {
    // Every numeric modelConfig option of README.md, docs/ and the seed's MLPlugin.md.
    const options = ['epochs', 'batchSize', 'learningRate', 'validationSplit', 'seed', 'polynomial', 'units', 'dropout', 'intervalCoverage'];
    options.push('lookback', 'lstmUnits', 'denseUnits', 'recurrentDropout', 'outputUnits', 'maxParameters');
    const shown = { NaN: 'NaN', Infinity: 'Infinity', '-Infinity': '-Infinity', 10: '"10"' };
    for (const type of ['regression', 'classification', 'timeseries', 'neural-network']) {
      for (const option of options) {
        for (const value of [NaN, Infinity, -Infinity, '10']) {
          const label = `${type} ${option}: ${String(value)}`;
          let error;
          try {
            new MLPlugin({ models: { m: { ...base, type, timeField: 'day', modelConfig: { [option]: value } } } });
          } catch (e) {
            error = e;
          }
          expect(error, label).toBeInstanceOf(ModelConfigError);
          expect(error.message, label).toContain(`Model "m": \`${option}\` must be a finite number, got ${shown[String(value)]}`);
          expect(error.message, label).not.toMatch(/serde|invalid type|expected f64/);
          expect(error.option, label).toBe(option);
        }
      }
    }
    const net = { ...base, type: 'neural-network' };
    expectConfigError({ m: { ...net, modelConfig: { layers: [{ units: 4 }, { units: '8' }] } } }, /`layers\[1\]\.units` must be a finite number, got "8"/);
    expectConfigError({ m: { ...net, modelConfig: { layers: [{ units: 4, dropout: NaN }] } } }, /`layers\[0\]\.dropout` must be a finite number, got NaN/);
    expectConfigError({ m: { ...base, type: 'regression', modelConfig: { earlyStopping: { patience: '5' } } } }, /`earlyStopping\.patience` must be a finite number/);
    expectConfigError({ m: { ...base, type: 'regression', modelConfig: { earlyStopping: { minDelta: Infinity } } } }, /`earlyStopping\.minDelta` must be a finite number/);
    // Finite numbers still reach the native range checks, and null keeps the default.
    expectConfigError({ m: { ...base, type: 'regression', modelConfig: { epochs: -1 } } }, /`epochs` must be a whole number from 1 to 100000, got -1/);
    expect(() => new MLPlugin({ models: { m: { ...base, type: 'regression', modelConfig: { epochs: null } } } })).not.toThrow();
  });
  it('a partition that is not { name, values? } (it was ignored: the model trained on every record)', () => {
    for (const partition of ['byCategory', { values: { category: 'books' } }, { name: '' }, { name: 'byCategory', values: 'books' }]) {
      expectConfigError({ m: { ...base, type: 'regression', partition } }, /Model "m": `partition` must be \{ name, values\? \}/);
    }
    for (const partition of [{ name: 'byCategory' }, null]) expect(() => new MLPlugin({ models: { m: { ...base, type: 'regression', partition } } })).not.toThrow();
  });
  it('bad backend', () => {
    expect(() => new MLPlugin({ backend: 'tpu' })).toThrow(ModelConfigError);
  });
});

describe('runtime errors', () => {
  let db;
  let ml;
  beforeAll(async () => {
    db = memoryDatabase();
    await db.connect();
    const products = await db.createResource({
      name: 'products',
      attributes: { cost: 'number', demand: 'number', price: 'number' },
    });
    await products.insertMany(productRows(60));
    const emails = await db.createResource({
      name: 'emails',
      attributes: { wordCount: 'number', linkCount: 'number', capsRatio: 'number', label: 'string' },
    });
    await emails.insertMany(emailRows(80));
    await db.createResource({ name: 'tiny', attributes: { a: 'number', b: 'number' } });
    await db.resources.tiny.insertMany([{ a: 1, b: 2 }, { a: 2, b: 4 }]);
    const loose = await db.createResource({ name: 'loose', attributes: { a: 'number|optional', b: 'number|optional' } });
    await loose.insertMany(Array.from({ length: 12 }, (_, i) => ({ a: i, b: 2 * i })));
    await loose.insert({ id: 'no-target', a: 3 });
    ml = new MLPlugin({
      logLevel: 'silent',
      backend: 'cpu',
      models: {
        price: { ...base, type: 'regression', modelConfig: { epochs: 5 } },
        spam: { type: 'classification', resource: 'emails', features: ['wordCount', 'linkCount', 'capsRatio'], target: 'label', modelConfig: { epochs: 5 } },
        tinyModel: { type: 'regression', resource: 'tiny', features: ['a'], target: 'b' },
        orphan: { type: 'regression', resource: 'nowhere', features: ['a'], target: 'b' },
        loose: { type: 'regression', resource: 'loose', features: ['a'], target: 'b' },
      },
    });
    await db.usePlugin(ml);
  });
  afterAll(async () => {
    await db.disconnect();
  });

  it('unknown model → ModelNotFoundError (404)', async () => {
    const error = await ml.predict('nope', { cost: 1, demand: 2 }).catch((e) => e);
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect(error.statusCode).toBe(404);
    expect(error.modelName).toBe('nope');
    await expect(ml.train('nope')).rejects.toBeInstanceOf(ModelNotFoundError);
    expect(() => ml.getModelStats('nope')).toThrow(ModelNotFoundError);
  });

  it('untrained model → ModelNotTrainedError (409)', async () => {
    const error = await ml.predict('price', { cost: 1, demand: 2 }).catch((e) => e);
    expect(error).toBeInstanceOf(ModelNotTrainedError);
    expect(error.statusCode).toBe(409);
    expect(error.message).toMatch(/not trained/);
    await expect(ml.predictBatch('price', [{ cost: 1, demand: 2 }])).rejects.toBeInstanceOf(ModelNotTrainedError);
  });

  it('fewer rows than the minimum → InsufficientDataError with the counts', async () => {
    const error = await ml.train('tinyModel').catch((e) => e);
    expect(error).toBeInstanceOf(InsufficientDataError);
    expect(error.statusCode).toBe(400);
    expect(error.samples).toBe(2);
    expect(error.minimum).toBe(10);
    expect(error.message).toMatch(/2 samples \(minimum: 10\)/);
  });

  it('a model whose resource does not exist → ModelNotFoundError', async () => {
    await expect(ml.train('orphan')).rejects.toBeInstanceOf(ModelNotFoundError);
  });

  describe('bad prediction input → DataValidationError (422)', () => {
    beforeAll(async () => {
      await ml.train('price');
      await ml.train('spam');
    });

    const cases = [
      ['a string that is not a number', { cost: 'ten', demand: 5 }, /"cost" must be a finite number, got string/],
      ['NaN', { cost: NaN, demand: 5 }, /"cost" must be a finite number, got NaN/],
      ['Infinity', { cost: 1, demand: Infinity }, /"demand" must be a finite number, got Infinity/],
      ['a boolean', { cost: true, demand: 5 }, /got boolean/],
      ['not an object', 42, /Expected an object/],
    ];
    for (const [what, input, pattern] of cases) {
      it(what, async () => {
        const error = await ml.predict('price', input).catch((e) => e);
        expect(error).toBeInstanceOf(DataValidationError);
        expect(error.statusCode).toBe(422);
        expect(error.message).toMatch(pattern);
      });
    }

    it('a number written as a string is read as that number (the schema declares the feature a number)', async () => {
      expect(await ml.predict('price', { cost: ' 10', demand: '5e0' })).toEqual(await ml.predict('price', { cost: 10, demand: 5 }));
    });

    it('a missing value is not bad data: it is imputed, and the prediction says so', async () => {
      for (const input of [{ cost: 10 }, { cost: 10, demand: null }]) {
        const result = await ml.predict('price', input);
        expect(Number.isFinite(result.prediction)).toBe(true);
        expect(result.warnings).toEqual([{ feature: 'demand', kind: 'imputed' }]);
      }
    });

    it('in a batch, too', async () => {
      await expect(ml.predictBatch('price', [{ cost: 1, demand: 2 }, { cost: 'x' }])).rejects.toBeInstanceOf(DataValidationError);
    });

    it('a label unseen in training', async () => {
      const error = await ml.models.spam
        .calculateConfusionMatrix([{ wordCount: 1, linkCount: 1, capsRatio: 0.1, label: 'phishing' }])
        .catch((e) => e);
      expect(error).toBeInstanceOf(DataValidationError);
      expect(error.message).toMatch(/"phishing".*not seen in training/);
      expect(error.knownClasses).toEqual(['ham', 'spam']);
    });

    it('counts errors in the stats', () => {
      expect(ml.getStats().totalErrors).toBeGreaterThan(5);
      expect(ml.getModelStats('price').errors).toBeGreaterThan(5);
    });
  });

  it('a record without its target is skipped and counted', async () => {
    const result = await ml.train('loose');
    expect(result.samples).toBe(12);
    expect(result.missingTargets).toBe(1);
  });

  it('bad training data names the record', async () => {
    const plugin = new MLPlugin({
      logLevel: 'silent',
      models: { m: { ...base, type: 'regression', map: (r) => (r.cost > 400 ? { ...r, cost: 'big' } : r) } },
    });
    await plugin.install(db);
    const error = await plugin.train('m').catch((e) => e);
    expect(error).toBeInstanceOf(DataValidationError);
    expect(error.message).toMatch(/Feature "cost" must be a finite number, got string \(record [^)]+\)/);
    expect(error.feature).toBe('cost');
    expect(plugin.models.m.isTrained).toBe(false);
  });

  it('a throwing filter is a TrainingError naming the record', async () => {
    const plugin = new MLPlugin({
      logLevel: 'silent',
      models: {
        m: {
          ...base,
          type: 'regression',
          filter: (r) => {
            if (r.cost > 0) throw new Error('boom');
            return true;
          },
        },
      },
    });
    await plugin.install(db);
    const error = await plugin.train('m').catch((e) => e);
    expect(error).toBeInstanceOf(TrainingError);
    expect(error.message).toMatch(/`filter` function of model "m" threw on record .*boom/);
  });
});

describe('error classes', () => {
  it('are the s3db.js classes, so instanceof works with either import', () => {
    expect(ModelConfigError).toBe(upstreamErrors.ModelConfigError);
    expect(DataValidationError).toBe(upstreamErrors.DataValidationError);
    expect(new ModelNotTrainedError('x')).toBeInstanceOf(MLError);
  });
  it('the missing-backend error keeps the documented TensorFlowDependencyError catchable', () => {
    const error = new ComputeBackendUnavailableError('no GPU');
    expect(error).toBeInstanceOf(TensorFlowDependencyError);
    expect(error.name).toBe('ComputeBackendUnavailableError');
  });
});

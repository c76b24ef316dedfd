// Property-based fuzzing (fast-check) of everything a hostile caller controls: prediction inputs
// for every model type, mutated safetensors and JSON exports fed to importModel, and random plugin
// and model configurations. The invariant throughout: every call either succeeds with finite
// numbers or throws one of the product's named errors, and a failed import leaves the serving
// model unchanged.
//
// Size: S3DB_ML_FUZZ_RUNS cases per property (default 150, a few seconds in all; CI runs the
// default), S3DB_ML_FUZZ_SEED to explore other cases (the default seed is fixed, so a failure
// reproduces). Each property prints its figures: cases run and how each ended.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MLPlugin,
  MLError,
  DataValidationError,
  InsufficientDataError,
  ModelConfigError,
  ModelNotFoundError,
  ModelNotTrainedError,
  PredictionError,
  TrainingError,
} from '../index.js';
import { buildSafetensors, parseSafetensors } from './support/safetensors.js';
import { emailRows, productRows, seeded } from './support/db.js';

const RUNS = Number(process.env.S3DB_ML_FUZZ_RUNS ?? 150);
const SEED = Number(process.env.S3DB_ML_FUZZ_SEED ?? 13);
const options = (runs = RUNS) => ({ numRuns: runs, seed: SEED, endOnFailure: true });

/** The errors a caller may receive; a plain MLError, a TypeError or a RangeError is a defect. */
const NAMED = [DataValidationError, PredictionError, ModelNotFoundError, ModelNotTrainedError, ModelConfigError, InsufficientDataError, TrainingError];

/** Outcome counts per property, printed at the end. */
const figures = {};

function tally(property, outcome) {
  figures[property] ??= {};
  figures[property][outcome] = (figures[property][outcome] ?? 0) + 1;
}

/** Passes when `error` is one of the named classes (and counts it); otherwise fails with it. */
function expectNamed(property, error) {
  if (!NAMED.some((ErrorClass) => error instanceof ErrorClass) || error.constructor === MLError) {
    throw new Error(`${property}: not a named error: ${error?.name}: ${error?.message}\n${error?.stack}`);
  }
  tally(property, error.name);
}

/** Every number anywhere in `value` is finite, and no prediction field is null. */
function expectFinite(property, value, path = 'result') {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${property}: ${path} is ${value}`);
  } else if (value === null || value === undefined) {
    throw new Error(`${property}: ${path} is ${value}`);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => expectFinite(property, v, `${path}[${i}]`));
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) expectFinite(property, v, `${path}.${k}`);
  }
}

/** Runs `call` and checks the invariant, counting the outcome. */
async function holds(property, call, onSuccess = (result) => expectFinite(property, result)) {
  let result;
  try {
    result = await call();
  } catch (error) {
    expectNamed(property, error);
    return false;
  }
  onSuccess(result);
  tally(property, 'success');
  return true;
}

// ---- the models under test: one of each type and head, trained once on small data ----

const DAY = 86_400_000;
const seriesRows = (n) => Array.from({ length: n }, (_, t) => ({ day: t * DAY, temp: 20 + Math.sin(t / 5), sales: 100 + t + 10 * Math.sin(t) }));
const curveRows = (n) => {
  const random = seeded(4);
  return Array.from({ length: n }, () => {
    const a = random() * 4 - 2;
    const b = random() * 4 - 2;
    return { a, b, y: Math.sin(a) * b + a * a, positive: a * b > 0, band: a < -0.7 ? 'low' : a < 0.7 ? 'mid' : 'high' };
  });
};
const fast = { epochs: 3 };
const definitions = {
  linear: { type: 'regression', features: ['cost', 'demand'], target: 'price', modelConfig: fast },
  cubic: { type: 'regression', features: ['cost', 'demand'], target: 'price', modelConfig: { ...fast, polynomial: 3, units: 6 } },
  spam: { type: 'classification', features: ['wordCount', 'linkCount', 'capsRatio'], target: 'label', modelConfig: { ...fast, units: 8 } },
  sales: { type: 'timeseries', features: ['temp'], target: 'sales', timeField: 'day', modelConfig: { ...fast, lookback: 3, lstmUnits: 4, denseUnits: 3 } },
  net: { type: 'neural-network', features: ['a', 'b'], target: 'y', modelConfig: { ...fast, layers: [{ units: 6, batchNormalization: true }, { units: 4, activation: 'tanh' }] } },
  binary: { type: 'neural-network', features: ['a', 'b'], target: 'positive', modelConfig: { ...fast, layers: [{ units: 4 }], outputActivation: 'sigmoid', loss: 'binaryCrossentropy' } },
  bands: { type: 'neural-network', features: ['a', 'b'], target: 'band', modelConfig: { ...fast, layers: [{ units: 4 }], outputActivation: 'softmax', outputUnits: 3, loss: 'categoricalCrossentropy' } },
};
const trainingRows = {
  linear: productRows(60, 1),
  cubic: productRows(60, 2),
  spam: emailRows(60, 3),
  sales: seriesRows(30),
  net: curveRows(60),
  binary: curveRows(60),
  bands: curveRows(60),
};
/** A valid input of each model, for checking what serves. */
const probes = {
  linear: { cost: 150, demand: 300 },
  cubic: { cost: 150, demand: 300 },
  spam: { wordCount: 150, linkCount: 4, capsRatio: 0.3 },
  sales: seriesRows(3),
  net: { a: 0.5, b: -1 },
  binary: { a: 0.5, b: -1 },
  bands: { a: 0.5, b: -1 },
};
const names = Object.keys(definitions);

let ml;
/** Each model's valid safetensors export. */
const exports = {};

beforeAll(async () => {
  const models = Object.fromEntries(Object.entries(definitions).map(([name, d]) => [name, { resource: 'r', ...d }]));
  ml = new MLPlugin({ logLevel: 'silent', backend: 'cpu', models });
  for (const name of names) {
    await ml.models[name].train(trainingRows[name]);
    exports[name] = await ml.exportModel(name, { format: 'safetensors' });
  }
});

afterAll(() => {
  for (const model of Object.values(ml?.models ?? {})) model.dispose();
  const lines = Object.entries(figures).map(([property, counts]) => {
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const parts = Object.entries(counts)
      .sort((a, b) => b[1] - a[1])
      .map(([outcome, n]) => `${outcome} ${n}`);
    return `  ${property}: ${total} calls (${parts.join(', ')})`;
  });
  console.log(`fuzz figures (seed ${SEED}, ${RUNS} cases per property):\n${lines.join('\n')}`);
});

// ---- arbitraries ----

/** Values a record field may hold, the hostile ones included. */
const fieldValue = fc.oneof(
  { weight: 4, arbitrary: fc.double() },
  { weight: 2, arbitrary: fc.constantFrom(-3.5e38, 3.5e38, 1.7e308, -1.7e308, 5e-324, -0, 1e-300, 2 ** 53) },
  fc.integer(),
  fc.bigInt(),
  fc.string(),
  fc.constantFrom(null, undefined, true, false, NaN, Infinity, -Infinity),
  fc.date({ noInvalidDate: false }),
  fc.array(fc.double(), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
  fc.constant(Symbol('v')),
  fc.constant(Object.create(null)),
  fc.constant({ toString: null, valueOf: null }),
);
const idValue = fc.oneof(fc.string(), fc.integer(), fc.constant(undefined), fc.constant(Symbol('id')), fc.constant(Object.create(null)), fc.constant({ toString: null }), fc.bigInt());

/** A record over `fields`: each field present with a hostile value, a sane value, or missing. */
function recordOver(fields, sane) {
  return fc
    .tuple(
      fc.tuple(...fields.map(() => fc.oneof({ weight: 3, arbitrary: fieldValue }, { weight: 2, arbitrary: sane }, fc.constant(undefined)))),
      idValue,
      fc.dictionary(fc.string({ maxLength: 4 }), fieldValue, { maxKeys: 2 }),
    )
    .map(([values, id, extra]) => {
      const record = { ...extra, id };
      fields.forEach((field, i) => {
        if (values[i] !== undefined) record[field] = values[i];
      });
      return record;
    });
}

const sane = fc.double({ min: -1000, max: 1000, noNaN: true });
const inputOf = (name) => {
  const d = definitions[name];
  if (d.type !== 'timeseries') return fc.oneof({ weight: 9, arbitrary: recordOver(d.features, sane) }, fc.anything());
  const step = recordOver([...d.features, d.target, d.timeField], sane);
  return fc.oneof({ weight: 9, arbitrary: fc.array(step, { minLength: 0, maxLength: 5 }) }, fc.anything());
};

// ---- properties ----

describe('fuzz', () => {
  it('predict and predictBatch: finite results or named errors, for every model type', async () => {
    const model = fc.constantFrom(...names);
    await fc.assert(
      fc.asyncProperty(
        model.chain((name) => fc.tuple(fc.constant(name), inputOf(name), fc.array(inputOf(name), { maxLength: 4 }))),
        async ([name, input, batch]) => {
          await holds('predict', () => ml.predict(name, input));
          await holds('predictBatch', () => ml.predictBatch(name, batch));
        },
      ),
      options(),
    );
  }, 120_000);

  it('model names: only configured models answer', async () => {
    const name = fc.oneof(
      fc.constantFrom('constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', Symbol('m'), null, undefined, 7, {}),
      fc.string(),
    );
    await fc.assert(
      fc.asyncProperty(name, async (modelName) => {
        const known = typeof modelName === 'string' && Object.hasOwn(definitions, modelName);
        await holds('model names', () => ml.predict(modelName, known ? probes[modelName] : {}));
        if (!known) await holds('model names', () => ml.train(modelName));
      }),
      options(),
    );
  }, 120_000);

  it('importModel of mutated safetensors: rejected with a named error and nothing changed, or a model that serves finite numbers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), mutation, fc.integer({ min: 0, max: 2 ** 31 }), async (name, mutate, entropy) => {
        await importHolds('import safetensors', name, mutate(exports[name], entropy));
      }),
      options(),
    );
  }, 300_000);

  it('importModel of mutated JSON exports: the visible fields must agree with the model inside', async () => {
    const edit = fc.tuple(
      fc.constantFrom('type', 'features', 'target', 'lookback', 'polynomial', 'classes', 'modelConfig', 'stats', 'model', 'format'),
      fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(2, 3, 1, ['cost'], ['demand', 'cost'], 'regression', 'timeseries', null)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), fc.array(edit, { minLength: 1, maxLength: 3 }), async (name, edits) => {
        const data = JSON.parse(JSON.stringify(await ml.exportModel(name)));
        for (const [field, value] of edits) {
          if (field === 'features' || field === 'target' || field === 'modelConfig') data.config[field] = value;
          else data[field] = value;
        }
        await importHolds('import JSON', name, data);
      }),
      options(),
    );
  }, 300_000);

  it('random plugin and model configurations: constructed, or a ModelConfigError', async () => {
    await fc.assert(
      fc.asyncProperty(pluginOptions, async (opts) => {
        await holds(
          'configurations',
          () => new MLPlugin(opts),
          (plugin) => {
            for (const model of Object.values(plugin.models)) {
              expect(Number.isSafeInteger(model.parameterCount) && model.parameterCount > 0).toBe(true);
            }
          },
        );
      }),
      options(RUNS * 2),
    );
  }, 120_000);

  it('small random configurations train to finite results or fail with a named error', async () => {
    await fc.assert(
      fc.asyncProperty(trainableModel, async (definition) => {
        let plugin;
        try {
          plugin = new MLPlugin({ logLevel: 'silent', backend: 'cpu', models: { m: { resource: 'r', ...definition } } });
        } catch (error) {
          expectNamed('train', error);
          return;
        }
        const model = plugin.models.m;
        const trained = await holds('train', () => model.train(rowsFor(definition)), (result) => {
          expectFinite('train', { loss: result.loss, epochs: result.epochs, samples: result.samples });
        });
        if (trained) await holds('train → predict', () => model.predict(definition.type === 'timeseries' ? seriesRows(definition.modelConfig.lookback) : probes.net));
        model.dispose();
      }),
      options(Math.max(10, Math.round(RUNS / 5))),
    );
  }, 300_000);
});

/** Imports `data` into `name` and checks the invariant against what served before. */
async function importHolds(property, name, data) {
  const before = await ml.predict(name, probes[name]);
  const imported = await holds(property, () => ml.importModel(name, data), () => {});
  if (!imported) {
    expect(await ml.predict(name, probes[name])).toEqual(before);
    return;
  }
  // Accepted: the model must serve finite numbers (or say the input is out of its range).
  await holds(`${property} → predict`, () => ml.predict(name, probes[name]));
  await holds(`${property} → predictBatch`, () => ml.predictBatch(name, [probes[name], probes[name]]));
  await ml.importModel(name, exports[name]);
}

// ---- safetensors mutations ----

const specialNumbers = [0, 1, -1, 2, 3, 255, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 62, 2 ** 63, 1e308, -1e308, 0.5];
const specialFloats = [NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-45, 0];

/** Deterministic choices from one integer, so a failing case shrinks to its entropy. */
function chooser(entropy) {
  const random = seeded(entropy + 1);
  return {
    int: (n) => Math.floor(random() * n),
    pick(list) {
      return list[Math.floor(random() * list.length)];
    },
  };
}

/** Every path to a leaf (number, string, boolean, null, empty array) of a JSON value. */
function leaves(value, path = []) {
  if (Array.isArray(value) && value.length > 0) return value.flatMap((v, i) => leaves(v, [...path, i]));
  if (value !== null && typeof value === 'object' && Object.keys(value).length > 0) {
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  }
  return [path];
}

function setPath(root, path, value) {
  let node = root;
  for (const key of path.slice(0, -1)) node = node[key];
  node[path[path.length - 1]] = value;
}

const mutations = {
  /** Random bytes overwritten anywhere. */
  bytes(bytes, c) {
    const out = Buffer.from(bytes);
    for (let i = 0, n = 1 + c.int(8); i < n; i++) out[c.int(out.length)] = c.int(256);
    return out;
  },
  /** Truncated or extended. */
  length(bytes, c) {
    return c.int(2) ? bytes.subarray(0, c.int(bytes.length)) : Buffer.concat([bytes, Buffer.alloc(1 + c.int(64), c.int(256))]);
  },
  /** A leaf of the manifest (sizes, kinds, names, scales, labels, report) replaced. */
  manifest(bytes, c) {
    const parts = parseSafetensors(bytes);
    const path = c.pick(leaves(parts.manifest));
    setPath(parts.manifest, path, c.pick([...specialNumbers, 'dense', 'lstm', 'labels', 'value', 'probability', 'softmax', null, true, '', [], {}]));
    return buildSafetensors(parts);
  },
  /** A tensor's shape, offsets or dtype changed in the header. */
  header(bytes, c) {
    const parts = parseSafetensors(bytes);
    const names = Object.keys(parts.header).filter((k) => k !== '__metadata__');
    const entry = parts.header[c.pick(names)];
    switch (c.int(4)) {
      case 0:
        entry.shape[c.int(entry.shape.length)] = c.pick(specialNumbers);
        break;
      case 1:
        entry.data_offsets[c.int(2)] = c.pick([...specialNumbers, parts.data.length, entry.data_offsets[0] + 4]);
        break;
      case 2:
        entry.dtype = c.pick(['F16', 'F64', 'F32', 'I64', 'BOOL', 'x']);
        break;
      default:
        delete parts.header[c.pick(names)];
    }
    return buildSafetensors(parts);
  },
  /** The manifest and the header changed together, so that the shapes still agree. */
  consistentSize(bytes, c) {
    const parts = parseSafetensors(bytes);
    const size = c.pick([0, 2 ** 62, 2 ** 32, 2 ** 31 + 1]);
    const network = parts.manifest.network;
    if (network.kind === 'lstm') {
      network.spec.hidden = size;
      parts.header['lstm.bias'].shape = [4 * size];
    } else {
      const i = c.int(network.layers.length);
      network.layers[i].units = size;
      if (network.layers[i + 1]) network.layers[i + 1].inputs = size;
      parts.header[`layers.${i}.bias`].shape = [size];
      parts.header[`layers.${i}.weight`].shape = [network.layers[i].inputs, size];
      parts.header[`layers.${i}.bias`].data_offsets[1] = parts.header[`layers.${i}.bias`].data_offsets[0];
    }
    return buildSafetensors(parts);
  },
  /** A value in the data (a weight, a normaliser bound, the calibration) made NaN, infinite or extreme. */
  value(bytes, c) {
    const parts = parseSafetensors(bytes);
    const names = Object.keys(parts.header).filter((k) => k !== '__metadata__');
    const entry = parts.header[c.pick(names)];
    const size = entry.dtype === 'F64' ? 8 : 4;
    const count = (entry.data_offsets[1] - entry.data_offsets[0]) / size;
    if (count > 0) {
      const at = entry.data_offsets[0] + c.int(count) * size;
      const value = c.pick(specialFloats);
      if (size === 8) parts.data.writeDoubleLE(value, at);
      else parts.data.writeFloatLE(value, at);
    }
    return buildSafetensors(parts);
  },
};
const mutation = fc.constantFrom(...Object.values(mutations)).map((mutate) => (bytes, entropy) => mutate(bytes, chooser(entropy)));

// ---- configurations ----

const anyValue = fc.oneof(fc.anything({ maxDepth: 1 }), fc.constantFrom(NaN, Infinity, -1, 0, 2 ** 53, null, '', Symbol('x')));
const maybe = (arbitrary) => fc.option(fc.oneof({ weight: 3, arbitrary }, anyValue), { nil: undefined, freq: 2 });
const layer = fc.record(
  {
    units: maybe(fc.integer({ min: 1, max: 70_000 })),
    activation: maybe(fc.constantFrom('relu', 'sigmoid', 'tanh', 'elu', 'selu', 'linear', 'softmax', 'gelu')),
    dropout: maybe(fc.double({ min: 0, max: 1 })),
    batchNormalization: maybe(fc.boolean()),
  },
  { requiredKeys: [] },
);
const modelConfig = fc.record(
  {
    epochs: maybe(fc.integer({ min: 1, max: 5 })),
    batchSize: maybe(fc.integer({ min: 1, max: 2 ** 21 })),
    learningRate: maybe(fc.double({ min: 0, max: 20 })),
    validationSplit: maybe(fc.double({ min: 0, max: 1 })),
    polynomial: maybe(fc.integer({ min: 0, max: 7 })),
    units: maybe(fc.integer({ min: 0, max: 70_000 })),
    lookback: maybe(fc.integer({ min: 0, max: 20_000 })),
    lstmUnits: maybe(fc.integer({ min: 0, max: 5000 })),
    denseUnits: maybe(fc.integer({ min: 0, max: 5000 })),
    layers: maybe(fc.array(layer, { maxLength: 4 })),
    outputUnits: maybe(fc.integer({ min: 0, max: 70_000 })),
    outputActivation: maybe(fc.constantFrom('linear', 'sigmoid', 'softmax')),
    loss: maybe(fc.constantFrom('meanSquaredError', 'mae', 'binaryCrossentropy', 'categoricalCrossentropy', 'hinge')),
    maxParameters: maybe(fc.integer({ min: 1, max: 2e9 })),
    earlyStopping: maybe(fc.record({ patience: maybe(fc.integer({ min: 0, max: 10 })), monitor: maybe(fc.constantFrom('loss', 'val_loss', 'acc')) }, { requiredKeys: [] })),
  },
  { requiredKeys: [] },
);
const modelDefinition = fc.record(
  {
    type: maybe(fc.constantFrom('regression', 'classification', 'timeseries', 'neural-network')),
    resource: maybe(fc.string({ minLength: 1, maxLength: 8 })),
    features: maybe(fc.array(fc.string({ maxLength: 4 }), { maxLength: 4 })),
    target: maybe(fc.string({ maxLength: 4 })),
    modelConfig: maybe(modelConfig),
    minSamples: maybe(fc.integer({ min: 0, max: 100 })),
    trainAfterInserts: maybe(fc.integer({ min: 0, max: 100 })),
    trainInterval: maybe(fc.integer({ min: 0, max: 2 ** 32 })),
    deploy: maybe(fc.constantFrom('always', 'if-better', 'sometimes')),
    backend: maybe(fc.constantFrom('cpu', 'auto', 'gpu')),
    saveModel: maybe(fc.boolean()),
    timeField: maybe(fc.string({ maxLength: 4 })),
  },
  { requiredKeys: [] },
);
const pluginOptions = fc.record(
  {
    models: maybe(fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof({ weight: 5, arbitrary: modelDefinition }, anyValue), { maxKeys: 3 })),
    minTrainingSamples: maybe(fc.integer({ min: 0, max: 100 })),
    saveModel: maybe(fc.boolean()),
    saveTrainingData: maybe(fc.boolean()),
    enableVersioning: maybe(fc.boolean()),
    backend: maybe(fc.constantFrom('cpu', 'auto', 'wgpu', 'gpu')),
    refreshInterval: maybe(fc.integer({ min: -10, max: 10_000 })),
    trainingLockTtl: maybe(fc.double({ min: -10, max: 10_000 })),
    maxParameters: maybe(fc.integer({ min: 1, max: 2e9 })),
    storage: maybe(fc.record({ native: maybe(fc.boolean()), partSize: maybe(fc.integer({ min: 0, max: 2 ** 30 })), multipartThreshold: maybe(fc.integer({ min: 0, max: 2 ** 30 })) }, { requiredKeys: [] })),
  },
  { requiredKeys: [] },
).map((opts) => ({ logLevel: 'silent', ...opts }));

/** Small definitions that train in milliseconds, with every hyper-parameter drawn from its range or just past it. */
const trainableModel = fc.oneof(
  fc.record({
    type: fc.constant('neural-network'),
    features: fc.constant(['a', 'b']),
    target: fc.constantFrom('y', 'positive', 'band'),
    modelConfig: fc.record({
      epochs: fc.integer({ min: 1, max: 2 }),
      batchSize: fc.integer({ min: 1, max: 64 }),
      learningRate: fc.oneof(fc.double({ min: 1e-6, max: 10, noNaN: true }), fc.constantFrom(10, 1e-6)),
      validationSplit: fc.double({ min: 0, max: 0.9, noNaN: true }),
      layers: fc.array(
        fc.record({ units: fc.integer({ min: 1, max: 12 }), activation: fc.constantFrom('relu', 'sigmoid', 'tanh', 'elu', 'selu', 'linear'), dropout: fc.double({ min: 0, max: 0.9, noNaN: true }), batchNormalization: fc.boolean() }),
        { minLength: 1, maxLength: 3 },
      ),
    }),
  }).map((d) => ({
    ...d,
    modelConfig: {
      ...d.modelConfig,
      ...(d.target === 'positive' && { outputActivation: 'sigmoid', loss: 'binaryCrossentropy' }),
      ...(d.target === 'band' && { outputActivation: 'softmax', outputUnits: 3, loss: 'categoricalCrossentropy' }),
    },
  })),
  fc.record({
    type: fc.constant('regression'),
    features: fc.constant(['a', 'b']),
    target: fc.constant('y'),
    modelConfig: fc.record({
      epochs: fc.integer({ min: 1, max: 2 }),
      polynomial: fc.integer({ min: 1, max: 5 }),
      units: fc.integer({ min: 1, max: 8 }),
      learningRate: fc.double({ min: 1e-6, max: 10, noNaN: true }),
    }),
  }),
  fc.record({
    type: fc.constant('timeseries'),
    features: fc.constant(['temp']),
    target: fc.constant('sales'),
    timeField: fc.constant('day'),
    modelConfig: fc.record({
      epochs: fc.integer({ min: 1, max: 2 }),
      lookback: fc.integer({ min: 2, max: 5 }),
      lstmUnits: fc.integer({ min: 1, max: 4 }),
      denseUnits: fc.integer({ min: 1, max: 4 }),
      learningRate: fc.double({ min: 1e-6, max: 10, noNaN: true }),
      dropout: fc.double({ min: 0, max: 0.9, noNaN: true }),
    }),
  }),
);

function rowsFor(definition) {
  return definition.type === 'timeseries' ? seriesRows(20) : curveRows(40);
}

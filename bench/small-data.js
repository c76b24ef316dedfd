// Held-out scores on the upstream MLPlugin test suite's own small configurations, for s3db-ml and
// the upstream plugin (TensorFlow.js), on several data seeds. Each model type trains on the data
// its upstream test generates (there with Math.random, here seeded) and is scored on fresh rows
// from the same generator.
//
//   node bench/small-data.js [--seeds=1,2,3,4,5] [--no-upstream]
//
// Without `--system` this runs both systems as children (the upstream one with TensorFlow.js from
// bench/node_modules, see systems/upstream.js) and prints one table.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Database } from 's3db.js';

const BENCH = fileURLToPath(new URL('./', import.meta.url));
const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const SEEDS = arg('seeds', '1,2,3,4,5').split(',').map(Number);

/** Deterministic pseudo-random numbers in [0, 1) (the tests' helper). */
function seeded(seed) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** The upstream test's models, data generators and held-out scores. */
const CASES = [
  {
    key: 'regression',
    metric: 'r2',
    config: { type: 'regression', resource: 'points', features: ['x', 'y'], target: 'z', modelConfig: { epochs: 20, batchSize: 16, polynomial: 1 } },
    rows: (random, n) =>
      Array.from({ length: n }, () => {
        const x = random() * 10;
        const y = random() * 10;
        return { x, y, z: 2 * x + 3 * y + 5 + (random() - 0.5) };
      }),
    train: 50,
    probe: { x: 5, y: 3 },
    far: { x: 500, y: 3 },
  },
  {
    key: 'classification',
    metric: 'accuracy',
    config: { type: 'classification', resource: 'points', features: ['a', 'b'], target: 'category', modelConfig: { epochs: 20, batchSize: 16 } },
    rows: (random, n) =>
      Array.from({ length: n }, () => {
        const a = random() * 15;
        const b = random() * 15;
        return { a, b, category: a + b > 10 ? 'A' : 'B' };
      }),
    train: 60,
    probe: { a: 8, b: 7 },
    far: { a: 800, b: 7 },
  },
  {
    key: 'neural-network',
    metric: 'r2',
    // Upstream's suite has no network model; this is its regression data through the default network.
    config: { type: 'neural-network', resource: 'points', features: ['x', 'y'], target: 'z', modelConfig: { epochs: 20, batchSize: 16 } },
    rows: (random, n) =>
      Array.from({ length: n }, () => {
        const x = random() * 10;
        const y = random() * 10;
        return { x, y, z: 2 * x + 3 * y + 5 + (random() - 0.5) };
      }),
    train: 50,
    probe: { x: 5, y: 3 },
    far: { x: 500, y: 3 },
  },
  {
    key: 'timeseries',
    metric: 'r2',
    config: { type: 'timeseries', resource: 'points', features: ['feature1'], target: 'value', modelConfig: { epochs: 15, batchSize: 8, lookback: 5 } },
    // value = t + 2·sin(t/5)·10 + noise; the first 30 steps train, the next 20 are forecast one step ahead.
    rows: (random, n) =>
      Array.from({ length: n }, (_, t) => {
        const feature1 = Math.sin(t / 5) * 10;
        return { timestamp: t, feature1, value: t + feature1 * 2 + (random() - 0.5) };
      }),
    train: 30,
    series: 50,
  },
];

function r2(actual, predicted) {
  const mean = actual.reduce((a, b) => a + b, 0) / actual.length;
  let res = 0;
  let tot = 0;
  actual.forEach((y, i) => {
    res += (y - predicted[i]) ** 2;
    tot += (y - mean) ** 2;
  });
  return 1 - res / tot;
}

/** Trains one case on one seed with `MLPlugin`; returns the held-out score and confidences. */
async function runCase(MLPlugin, pluginOptions, item, seed) {
  const random = seeded(seed * 7919 + item.key.length);
  const db = new Database({ connectionString: `memory://small-${process.pid}-${item.key}-${seed}/app`, logLevel: 'silent' });
  await db.connect();
  const all = item.series ? item.rows(random, item.series) : item.rows(random, item.train + 200);
  const training = all.slice(0, item.train);
  const attributes = Object.fromEntries(Object.keys(training[0]).map((k) => [k, typeof training[0][k] === 'string' ? 'string' : 'number']));
  const resource = await db.createResource({ name: 'points', attributes });
  for (const record of training) await resource.insert(record);
  const plugin = new MLPlugin({ ...pluginOptions, logLevel: 'silent', saveModel: false, models: { m: item.config } });
  await db.usePlugin(plugin);
  const started = performance.now();
  const result = await plugin.train('m');
  const trainMs = performance.now() - started;
  let score;
  let confidence = null;
  let farConfidence = null;
  if (item.series) {
    const actual = [];
    const predicted = [];
    for (let t = item.train; t < item.series; t++) {
      const window = all.slice(t - item.config.modelConfig.lookback, t);
      actual.push(all[t].value);
      predicted.push((await plugin.predict('m', window)).prediction);
    }
    score = r2(actual, predicted);
    confidence = (await plugin.predict('m', all.slice(item.train - 5, item.train))).confidence;
  } else {
    const test = all.slice(item.train);
    const predictions = [];
    for (const record of test) predictions.push(await plugin.predict('m', record));
    const target = item.config.target;
    score =
      item.metric === 'accuracy'
        ? predictions.filter((p, i) => p.prediction === test[i][target]).length / test.length
        : r2(
            test.map((r) => r[target]),
            predictions.map((p) => p.prediction),
          );
    confidence = (await plugin.predict('m', item.probe)).confidence;
    farConfidence = (await plugin.predict('m', item.far)).confidence;
  }
  await db.disconnect?.();
  return { key: item.key, seed, score, confidence, farConfidence, trainMs, warnings: result.warnings?.length ?? null };
}

async function child(system) {
  let MLPlugin;
  let pluginOptions = {};
  if (system === 'upstream') {
    const { register } = await import('node:module');
    register('./systems/tfjs-alias-hooks.js', import.meta.url);
    ({ MLPlugin } = await import('s3db.js'));
    // Upstream prints model summaries on stdout; results go on fd 3's stand-in, stderr.
    console.log = () => {};
  } else {
    // S3DB_ML_INDEX: another checkout's index.js, to measure a baseline build.
    ({ MLPlugin } = await import(process.env.S3DB_ML_INDEX ?? '../index.js'));
    pluginOptions = { backend: 'cpu' };
  }
  const out = [];
  for (const item of CASES) {
    for (const seed of SEEDS) out.push(await runCase(MLPlugin, pluginOptions, item, seed));
  }
  process.stderr.write(`RESULT ${JSON.stringify(out)}\n`);
}

function parent() {
  const systems = ['s3dbml'];
  if (!process.argv.includes('--no-upstream') && existsSync(`${BENCH}node_modules/@tensorflow/tfjs-node/package.json`)) systems.push('upstream');
  const results = {};
  for (const system of systems) {
    const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), `--system=${system}`, `--seeds=${SEEDS.join(',')}`], {
      env: { ...process.env, ...(system === 'upstream' && { NODE_PATH: `${BENCH}node_modules` }) },
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const line = run.stderr.split('\n').find((l) => l.startsWith('RESULT '));
    if (!line) throw new Error(`${system} failed:\n${run.stderr.slice(-2000)}`);
    results[system] = JSON.parse(line.slice(7));
  }
  const fmt = (v) => (v === null || v === undefined ? '—' : typeof v === 'number' ? v.toPrecision(4) : String(v));
  console.log('case            seed  metric    ' + systems.map((s) => `${s.padEnd(10)} conf      far conf  ms`.padEnd(44)).join(''));
  results.s3dbml.forEach((row, i) => {
    const cells = systems.map((s) => {
      const r = results[s][i];
      return `${fmt(r.score).padEnd(10)} ${fmt(r.confidence).padEnd(9)} ${fmt(r.farConfidence).padEnd(9)} ${r.trainMs.toFixed(0)}`.padEnd(44);
    });
    const item = CASES.find((c) => c.key === row.key);
    console.log(`${row.key.padEnd(15)} ${String(row.seed).padEnd(5)} ${item.metric.padEnd(9)} ${cells.join('')}`);
  });
  if (systems.includes('upstream')) {
    const behind = results.s3dbml.filter((r, i) => r.score < results.upstream[i].score);
    console.log(behind.length === 0 ? 'every case and seed: s3db-ml ≥ upstream' : `s3db-ml below upstream on: ${behind.map((r) => `${r.key}#${r.seed}`).join(', ')}`);
  }
}

const system = arg('system', null);
if (system) await child(system);
else parent();

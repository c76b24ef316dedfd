// Held-out scores on the upstream MLPlugin test suite's own small configurations, for s3db-ml and
// the upstream plugin (TensorFlow.js), on several data seeds. Each model type trains on the data
// its upstream test generates (there with Math.random, here seeded) and is scored on fresh rows
// from the same generator.
//
//   node bench/small-data.js [--seeds=1,2,3,4,5] [--upstream-runs=3] [--no-upstream]
//
// Without `--system` this runs both systems as children (the upstream one with TensorFlow.js from
// bench/node_modules, see systems/upstream.js) and prints one table. s3db-ml's model depends on the
// data and its `seed` alone, so one run gives its score. The upstream plugin's does not (TensorFlow.js
// starts from unseeded random weights and s3db.js lists the rows, which decides its validation
// split, in random-id order): the same data scores differently run to run. It runs
// `--upstream-runs` times, and s3db-ml is compared with the mean of its scores on each data seed
// (their range is shown too).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Database } from 's3db.js';
import { seeded } from './lcg.js';

const BENCH = fileURLToPath(new URL('./', import.meta.url));
const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const SEEDS = arg('seeds', '1,2,3,4,5').split(',').map(Number);
const UPSTREAM_RUNS = Number(arg('upstream-runs', '3'));


/** The upstream regression test's rows: z = 2x + 3y + 5 + noise. */
function planeRows(random, n) {
  return Array.from({ length: n }, () => {
    const x = random() * 10;
    const y = random() * 10;
    return { x, y, z: 2 * x + 3 * y + 5 + (random() - 0.5) };
  });
}

/** The plane's rows, training size and probe inputs, shared by the regression and the network. */
const PLANE = { rows: planeRows, train: 50, probe: { x: 5, y: 3 }, far: { x: 500, y: 3 } };

/** The upstream test's models, data generators and held-out scores. */
const CASES = [
  {
    key: 'regression',
    metric: 'r2',
    config: { type: 'regression', resource: 'points', features: ['x', 'y'], target: 'z', modelConfig: { epochs: 20, batchSize: 16, polynomial: 1 } },
    ...PLANE,
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
    ...PLANE,
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

function spawnChild(system) {
  const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), `--system=${system}`, `--seeds=${SEEDS.join(',')}`], {
    env: { ...process.env, ...(system === 'upstream' && { NODE_PATH: `${BENCH}node_modules` }) },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const line = run.stderr.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`${system} failed:\n${run.stderr.slice(-2000)}`);
  return JSON.parse(line.slice(7));
}

function parent() {
  const upstream = !process.argv.includes('--no-upstream') && existsSync(`${BENCH}node_modules/@tensorflow/tfjs-node/package.json`);
  const ours = spawnChild('s3dbml');
  const runs = upstream ? Array.from({ length: UPSTREAM_RUNS }, () => spawnChild('upstream')) : [];
  const fmt = (v) => (v === null || v === undefined ? '—' : typeof v === 'number' ? v.toPrecision(4) : String(v));
  const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
  let header = 'case            seed  metric    s3db-ml    conf      far conf  ms     ';
  if (upstream) header += `upstream mean of ${runs.length} [min, max]      conf      far conf  ms`;
  console.log(header);
  const behind = [];
  ours.forEach((row, i) => {
    const item = CASES.find((c) => c.key === row.key);
    let line = `${row.key.padEnd(15)} ${String(row.seed).padEnd(5)} ${item.metric.padEnd(9)} ${fmt(row.score).padEnd(10)} ${fmt(row.confidence).padEnd(9)} ${fmt(row.farConfidence).padEnd(9)} ${row.trainMs.toFixed(0).padEnd(6)} `;
    if (upstream) {
      const theirs = runs.map((r) => r[i]);
      const scores = theirs.map((r) => r.score);
      const average = mean(scores);
      if (row.score < average) behind.push(`${row.key}#${row.seed}`);
      const range = `[${fmt(Math.min(...scores))}, ${fmt(Math.max(...scores))}]`;
      line += `${fmt(average).padEnd(10)} ${range.padEnd(22)} ${fmt(mean(theirs.map((r) => r.confidence))).padEnd(9)} ${fmt(theirs[0].farConfidence === null ? null : mean(theirs.map((r) => r.farConfidence))).padEnd(9)} ${mean(theirs.map((r) => r.trainMs)).toFixed(0)}`;
    }
    console.log(line);
  });
  if (upstream) {
    console.log(behind.length === 0 ? 'every case and seed: s3db-ml ≥ the upstream mean' : `s3db-ml below the upstream mean on: ${behind.join(', ')}`);
  }
}

const system = arg('system', null);
if (system) await child(system);
else parent();

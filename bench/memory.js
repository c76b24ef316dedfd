// Memory benchmark (issue 5 wants training on 1M rows × 10 numeric features under 1 GiB): trains
// RegressionModel through the native engine in a child process per input path and reports that
// process's peak RSS. Paths: 'arrays' (trainArrays on Float64Arrays, what the plugin does page by
// page), 'records' (train() on 1M plain objects, the convenience call), 'categories' (issue 11:
// records of 5 numeric and 3 categorical features of 50 values each, read page by page through a
// TrainingSet as the plugin does; the categories reach the network as one-hot units written batch
// by batch) and 'baseline' (the addon loaded, no data), so the cost of the data and of training
// can be told apart.
//   node bench/memory.js [--quick]          run all paths and print a table
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { MEMORY_SIZES } from './workloads.js';
import { seeded } from './data.js';

const SELF = fileURLToPath(import.meta.url);
const FEATURES = Array.from({ length: 10 }, (_, i) => `x${i}`);
const PATHS = ['baseline', 'arrays', 'records', 'categories'];
const CATEGORY_FEATURES = ['n0', 'n1', 'n2', 'n3', 'n4', 'c0', 'c1', 'c2'];
const CATEGORY_VALUES = 50;
const PAGE = 1000;

/** One page of records with 5 numbers and 3 categories of 50 values (`v0`..`v49`) each. */
function categoryPage(random, size) {
  return Array.from({ length: size }, () => {
    const record = {};
    let y = 1;
    for (let c = 0; c < 5; c++) {
      record[`n${c}`] = random() * 100;
      y += (c + 1) * 0.1 * record[`n${c}`];
    }
    for (let c = 0; c < 3; c++) {
      const v = Math.floor(random() * CATEGORY_VALUES);
      record[`c${c}`] = `v${v}`;
      y += (v % 7) * (c + 1);
    }
    record.y = y + (random() - 0.5) * 5;
    return record;
  });
}

/** The plugin's path: pages of records into a TrainingSet, then training on what it finishes with. */
async function trainOnCategoryPages(model, rows) {
  const random = seeded(77);
  const set = model.createTrainingSet();
  for (let at = 0; at < rows; at += PAGE) set.add(categoryPage(random, Math.min(PAGE, rows - at)));
  return model.trainArrays(set.finish());
}

/** Row-major features and a linear target with noise, straight into typed arrays. */
function arrays(rows) {
  const random = seeded(55);
  const features = new Float64Array(rows * FEATURES.length);
  const targets = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let y = 3;
    for (let c = 0; c < FEATURES.length; c++) {
      const v = random() * 100;
      features[r * FEATURES.length + c] = v;
      y += (c + 1) * 0.1 * v;
    }
    targets[r] = y + (random() - 0.5) * 5;
  }
  return { features, targets };
}

function records({ features, targets }) {
  return Array.from(targets, (y, r) => {
    const record = { y };
    FEATURES.forEach((f, c) => (record[f] = features[r * FEATURES.length + c]));
    return record;
  });
}

async function child(path, rows, epochs) {
  const { RegressionModel } = await import('../index.js');
  const model = new RegressionModel({
    name: 'memory',
    type: 'regression',
    resource: 'memory',
    features: path === 'categories' ? CATEGORY_FEATURES : FEATURES,
    target: 'y',
    modelConfig: { epochs, batchSize: 32 },
    backend: 'cpu',
  });
  let trainS = null;
  if (path === 'categories') {
    const started = performance.now();
    await trainOnCategoryPages(model, rows);
    trainS = (performance.now() - started) / 1000;
  } else if (path !== 'baseline') {
    const data = arrays(rows);
    const input = path === 'records' ? records(data) : data;
    const started = performance.now();
    await (path === 'records' ? model.train(input) : model.trainArrays({ samples: rows, ...input }));
    trainS = (performance.now() - started) / 1000;
  }
  const result = { path, rows, epochs, train_s: trainS, max_rss_mb: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`@@RESULT ${JSON.stringify(result)}\n`);
}

function spawnChild(path, rows, epochs) {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [SELF, 'child', path, String(rows), String(epochs)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (c) => (out += c));
    proc.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('@@RESULT '));
      resolve(code === 0 && line ? JSON.parse(line.slice(9)) : { path, error: `exit ${code}` });
    });
  });
}

/** Runs every path for `mode` ('full' | 'quick'); `{ rows, features, epochs, paths: { path: result } }`. */
export async function memoryBenchmark(mode, { log = console.log } = {}) {
  const { rows, epochs } = MEMORY_SIZES[mode];
  const paths = {};
  for (const path of PATHS) {
    paths[path] = await spawnChild(path, rows, epochs);
    log(`  memory ${path.padEnd(8)} ${paths[path].error ?? `${paths[path].max_rss_mb.toFixed(0)} MiB peak RSS`}`);
  }
  return { rows, features: FEATURES.length, epochs, limit_mb: 1024, paths };
}

if (process.argv[1] === SELF) {
  if (process.argv[2] === 'child') {
    await child(process.argv[3], Number(process.argv[4]), Number(process.argv[5]));
  } else {
    const mode = process.argv.includes('--quick') ? 'quick' : 'full';
    const result = await memoryBenchmark(mode);
    console.log(JSON.stringify(result, null, 2));
  }
}

// Benchmark orchestrator: `npm run bench` (full) or `npm run bench:quick`. Installs the bench's own
// dependencies on first use, writes each workload's data set once, runs s3db-ml, the upstream
// plugin and PyTorch one after another (never in parallel: they would share the cores), and writes
// results.json and RESULTS.md.
//
// Options: --quick  --only=regression,lstm,predict,explain,memory  --no-torch  --no-upstream
//          --wait-quiet (wait up to 30 min for concurrent Rust builds to end)  --out=DIR
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { dataset, EXPLAIN_SIZES, EXPLAIN_WORKLOAD, MEMORY_SIZES, PREDICT_SIZES, PREDICT_WORKLOAD, WORKLOADS } from './workloads.js';
import { runSystem } from './spawn.js';
import { ensureTorch } from './torch-env.js';
import { describeMachine, loadSnapshot, waitUntilQuiet } from './machine.js';
import { memoryBenchmark } from './memory.js';
import { explanationEntry, predictionEntries, predictionRatioTable, ratioTable, resultsMarkdown, targetChecks, trainingEntry } from './report.js';

const BENCH = fileURLToPath(new URL('./', import.meta.url));
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];

const mode = flag('quick') ? 'quick' : 'full';
const only = option('only')?.split(',') ?? null;
const wanted = (key) => !only || only.includes(key);
const outDir = option('out') ?? (mode === 'full' ? BENCH : `${BENCH}.out/`);

/** The upstream side's npm packages (tfjs under the alias), in bench/node_modules, once. */
function ensureBenchPackages() {
  if (existsSync(`${BENCH}node_modules/@tensorflow/tfjs-node/package.json`)) return;
  console.log('installing the benchmark packages (npm --prefix bench install) ...');
  const npm = spawnSync('npm', ['--prefix', BENCH, 'install', '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (npm.status !== 0) throw new Error('npm --prefix bench install failed');
}

function versions() {
  const require = createRequire(`${BENCH}package.json`);
  const read = (pkg) => {
    try {
      return JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')).version;
    } catch {
      return null;
    }
  };
  // s3db.js is the root checkout's copy, the one both plugins run on.
  const root = createRequire(`${BENCH}../package.json`);
  return { s3db: JSON.parse(readFileSync(root.resolve('s3db.js/package.json'), 'utf8')).version, tfjs: read('@tensorflow/tfjs') };
}

/** Whether to also train on wgpu: only with a hardware adapter (a software Vulkan driver does not count). */
async function gpuPlan() {
  const { backendInfo } = await import('../index.js');
  const info = await backendInfo('auto');
  if (info.backend === 'wgpu' && info.hardware) return { run: true, note: `wgpu on ${info.adapter} (also measured)` };
  return { run: false, note: `no GPU adapter (backendInfo('auto') → ${info.backend}: ${info.reason}); wgpu not measured` };
}

function writeDataFile(key, data) {
  mkdirSync(`${BENCH}.data`, { recursive: true });
  const file = `${BENCH}.data/${key}-${mode}.json`;
  writeFileSync(file, JSON.stringify(data));
  return file;
}

function fmt(r) {
  if (r.error) return `FAILED ${r.error.split('\n')[0]}`;
  const capped = r.full ? ` (plugin.train on ${r.samples} rows); model.train on all ${r.full.samples} rows: ${r.full.model_s.toFixed(3)} s` : '';
  const others = r.foreign_cores > QUIET_FOREIGN_CORES ? ` [other processes: ${r.foreign_cores.toFixed(2)} cores]` : '';
  return `${r.train_s?.toFixed(3)} s${capped}${others}`;
}

/** How this run was started, for RESULTS.md. */
function commandLine() {
  const rest = args.filter((a) => a !== '--quick');
  return `npm run bench${mode === 'quick' ? ':quick' : ''}${rest.length ? ` -- ${rest.join(' ')}` : ''}`;
}

/** The most CPU other processes took during any one child run (in cores), and which run. */
const foreign = { cores: 0, run: null };
function noteForeign(label, result) {
  if ((result.foreign_cores ?? 0) > foreign.cores) Object.assign(foreign, { cores: result.foreign_cores, run: label });
}
/** Quiet: no build process at either end, and other processes never took more than 0.15 cores. */
const QUIET_FOREIGN_CORES = 0.15;

async function main() {
  const started = Date.now();
  // Only upstream's side needs them (tfjs); `--no-upstream` runs without.
  if (!flag('no-upstream')) ensureBenchPackages();
  const torch = flag('no-torch') ? { ok: false, reason: '--no-torch' } : ensureTorch();
  if (!torch.ok) console.log(`PyTorch will not be measured: ${torch.reason}`);
  const gpu = await gpuPlan();
  console.log(`GPU: ${gpu.note}`);
  if (flag('wait-quiet') && !(await waitUntilQuiet())) console.log('still busy after 30 min: measuring anyway (RESULTS.md says so)');
  const loadAtStart = loadSnapshot();
  const systems = ['s3dbml', ...(gpu.run ? ['wgpu'] : []), ...(flag('no-upstream') ? [] : ['upstream']), ...(torch.ok ? ['torch'] : [])];

  const results = {};
  let torchThreads = null;
  for (const workload of WORKLOADS.filter((w) => wanted(w.key))) {
    const file = writeDataFile(workload.key, dataset(workload, mode));
    const { rows, epochs } = workload.sizes[mode];
    console.log(`${workload.title}: ${rows.toLocaleString('en')} rows × ${epochs} epochs`);
    const runs = {};
    for (const system of systems) {
      runs[system] = await runSystem(system, ['train', file]);
      noteForeign(`${workload.key}/${system}`, runs[system]);
      console.log(`  ${system.padEnd(8)} ${fmt(runs[system])}`);
    }
    torchThreads ??= runs.torch?.threads ?? null;
    results[workload.key] = trainingEntry(workload, mode, runs);
  }

  if (wanted('predict')) {
    const workload = WORKLOADS.find((w) => w.key === PREDICT_WORKLOAD);
    const file = writeDataFile(`predict-${workload.key}`, dataset(workload, mode));
    const sizes = PREDICT_SIZES[mode];
    console.log(`Prediction: ${sizes.calls.toLocaleString('en')} single calls, batches of ${sizes.batches.join(', ')} rows`);
    const runs = {};
    const plans = {
      s3dbml: { ...sizes, maxBatch: Number.MAX_SAFE_INTEGER },
      // Upstream predicts batch rows one by one (~1 ms each): its largest batches would take minutes.
      upstream: { ...sizes, calls: sizes.upstreamCalls, maxBatch: sizes.upstreamMaxBatch },
      torch: sizes,
    };
    for (const system of systems.filter((s) => plans[s])) {
      runs[system] = await runSystem(system, ['predict', file, JSON.stringify(plans[system])]);
      noteForeign(`predict/${system}`, runs[system]);
      console.log(`  ${system.padEnd(8)} ${runs[system].error ? `FAILED ${runs[system].error}` : `p50 ${runs[system].single.p50_us.toFixed(1)} µs`}`);
    }
    Object.assign(results, predictionEntries(runs));
  }

  if (wanted('explain')) {
    // s3db-ml only: neither upstream nor the PyTorch script explains predictions.
    const workload = WORKLOADS.find((w) => w.key === EXPLAIN_WORKLOAD);
    const file = writeDataFile(`explain-${workload.key}`, dataset(workload, 'quick'));
    const sizes = EXPLAIN_SIZES[mode];
    console.log(`Explanation: ${sizes.calls.toLocaleString('en')} explain and predict calls, ${workload.title}`);
    const run = await runSystem('s3dbml', ['explain', file, JSON.stringify(sizes)]);
    noteForeign('explain/s3dbml', run);
    console.log(`  s3dbml   ${run.error ? `FAILED ${run.error}` : `explain p50 ${run.explain.p50_us.toFixed(1)} µs (predict ${run.predict.p50_us.toFixed(1)} µs)`}`);
    if (!run.error) results.explain_single = explanationEntry(run);
  }

  let memory = null;
  if (wanted('memory')) {
    console.log(`Memory: ${MEMORY_SIZES[mode].rows.toLocaleString('en')} rows × 10 features`);
    memory = await memoryBenchmark(mode);
  }

  const loadAtEnd = loadSnapshot();
  const meta = {
    command: commandLine(),
    date: new Date().toISOString(),
    mode,
    durationS: (Date.now() - started) / 1000,
    machine: describeMachine(),
    quiet: loadAtStart.busy === 0 && loadAtEnd.busy === 0 && foreign.cores < QUIET_FOREIGN_CORES,
    foreign: { maxCores: Math.round(foreign.cores * 100) / 100, run: foreign.run },
    loadAtStart,
    loadAtEnd,
    gpu: gpu.note,
    versions: { ...versions(), torch: torch.ok ? torch.version : null, torchThreads },
    torchReason: torch.reason ?? null,
  };
  const checks = targetChecks(results, WORKLOADS.map((w) => w.key));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(`${outDir}results.json`, `${JSON.stringify({ _meta: meta, ...results, ...(memory && { memory }) }, null, 2)}\n`);
  writeFileSync(`${outDir}RESULTS.md`, resultsMarkdown({ results, meta, checks, memory }));

  console.log(`\n${ratioTable(results)}\n\n${predictionRatioTable(results)}\n`);
  for (const c of checks) console.log(`${c.met == null ? '?' : c.met ? '✓' : '✗'} ${c.target}: ${c.value}`);
  console.log(`\nquiet machine: ${meta.quiet ? 'yes' : 'no'}; wrote ${outDir}results.json and ${outDir}RESULTS.md`);
}

await main();

// Turns the raw per-system results into results.json, RESULTS.md and the console table, and checks
// them against the targets of issue 6.

const SYSTEMS = ['s3dbml', 'upstream', 'torch'];
/** Issue 6's targets. */
export const TARGETS = { trainVsUpstream: 20, trainVsTorch: 1, predictP50Us: 50, batchRowsPerS: 500_000, explainP50Us: 1000 };
/** "Equal or better accuracy", with a tolerance for run-to-run noise in the last digit. */
const TOLERANCE = { r2: 0.01, accuracy: 0.01, mape: 0.5 };

const round2 = (v) => (v == null ? null : Math.round(v * 100) / 100);
const ratio = (theirs, ours) => (theirs != null && ours ? theirs / ours : null);

/** One training workload's entry of results.json. */
export function trainingEntry(workload, mode, runs) {
  // A plugin that trained on fewer rows than the resource holds (upstream beyond 1000 records) is
  // timed by its model-level training on all rows instead (no database read: in its favour).
  const s = (system) => runs[system]?.full?.model_s ?? runs[system]?.train_s ?? null;
  const model = (system) => runs[system]?.full?.model_s ?? runs[system]?.model_s ?? null;
  const score = (system) => runs[system]?.accuracy?.[workload.metric] ?? null;
  const entry = {
    title: workload.title,
    rows: workload.sizes[mode].rows,
    epochs: workload.sizes[mode].epochs,
    batch_size: workload.modelConfig.batchSize,
    learning_rate: workload.modelConfig.learningRate,
    s3dbml_s: s('s3dbml'),
    upstream_s: s('upstream'),
    torch_s: s('torch'),
    // Through the plugin (plugin.train, database read included): what a user of either plugin waits.
    ratio_upstream: ratio(s('upstream'), s('s3dbml')),
    // PyTorch reads no database, so it is compared with s3db-ml's model-level training.
    ratio_torch: ratio(s('torch'), model('s3dbml')),
    s3dbml_model_s: model('s3dbml'),
    upstream_model_s: model('upstream'),
    ratio_upstream_model: ratio(model('upstream'), model('s3dbml')),
    s3dbml_fit_s: runs.s3dbml?.fit_s ?? null,
    // Which of s3db-ml's engines trained it ('native' or 'burn').
    s3dbml_engine: runs.s3dbml?.engine ?? null,
    accuracy: { metric: workload.metric, ...Object.fromEntries(SYSTEMS.map((sys) => [sys, score(sys)])) },
    rss_mb: Object.fromEntries(SYSTEMS.map((sys) => [sys, runs[sys]?.max_rss_mb ?? null])),
  };
  // Cores other processes used while each system ran (see spawn.js): above ~0.15 the time is suspect.
  entry.foreign_cores = Object.fromEntries(SYSTEMS.map((sys) => [sys, round2(runs[sys]?.foreign_cores)]));
  entry.samples = Object.fromEntries(SYSTEMS.map((sys) => [sys, runs[sys]?.full?.samples ?? runs[sys]?.samples ?? null]));
  const capped = Object.entries(runs).filter(([, r]) => r?.full);
  if (capped.length) {
    entry.capped = Object.fromEntries(capped.map(([sys, r]) => [sys, { samples: r.samples, train_s: r.train_s, model_s: r.model_s }]));
  }
  if (runs.wgpu) entry.wgpu_s = runs.wgpu.train_s ?? null;
  const errors = Object.fromEntries(Object.entries(runs).filter(([, r]) => r?.error).map(([sys, r]) => [sys, r.error]));
  if (Object.keys(errors).length) entry.errors = errors;
  return entry;
}

/** results.json entries for the prediction benchmarks: single-call p50 and each batch size. */
export function predictionEntries(runs) {
  const single = (sys) => runs[sys]?.single ?? null;
  const p50 = (sys) => (single(sys) ? single(sys).p50_us / 1e6 : null);
  const entries = {
    predict_single: {
      title: 'predict(), one input, awaited (p50)',
      s3dbml_s: p50('s3dbml'),
      upstream_s: p50('upstream'),
      torch_s: p50('torch'),
      ratio_upstream: ratio(p50('upstream'), p50('s3dbml')),
      ratio_torch: ratio(p50('torch'), p50('s3dbml')),
      p50_us: { ...Object.fromEntries(SYSTEMS.map((s) => [s, single(s)?.p50_us ?? null])), s3dbml_sync: runs.s3dbml?.sync?.p50_us ?? null },
      p99_us: { ...Object.fromEntries(SYSTEMS.map((s) => [s, single(s)?.p99_us ?? null])), s3dbml_sync: runs.s3dbml?.sync?.p99_us ?? null },
      accuracy: null,
    },
  };
  const sizes = new Set(SYSTEMS.flatMap((s) => Object.keys(runs[s]?.batches ?? {})));
  for (const n of [...sizes].sort((a, b) => a - b)) {
    const b = (sys) => runs[sys]?.batches?.[n] ?? null;
    entries[`predictBatch_${n}`] = {
      title: `predictBatch(), ${Number(n).toLocaleString('en')} rows`,
      rows: Number(n),
      s3dbml_s: b('s3dbml')?.s ?? null,
      upstream_s: b('upstream')?.s ?? null,
      torch_s: b('torch')?.s ?? null,
      ratio_upstream: ratio(b('upstream')?.s, b('s3dbml')?.s),
      ratio_torch: ratio(b('torch')?.s, b('s3dbml')?.s),
      rows_per_s: Object.fromEntries(SYSTEMS.map((s) => [s, b(s)?.rows_per_s ?? null])),
      accuracy: null,
    };
  }
  return entries;
}

/** The results.json entry of the explanation benchmark: explain and predict latency side by side. */
export function explanationEntry(run) {
  const pick = ({ p50_us, p99_us, mean_us, calls }) => ({ p50_us, p99_us, mean_us, calls });
  return {
    title: 'explain() next to predict(), one input, awaited (128/64/32 network, 8 features)',
    predict: pick(run.predict),
    explain: pick(run.explain),
    ratio_explain_to_predict: ratio(run.explain.p50_us, run.predict.p50_us),
    completeness_error: run.completeness_error,
    inputs: run.inputs,
  };
}

function explanationDetails(e) {
  if (!e) return 'Not run (`npm run bench -- --only=explain`).';
  const us = (v) => `${v.toFixed(1)} µs`;
  return [
    '| 128/64/32 network, 8 features, awaited | p50 | p99 |',
    '|---|---:|---:|',
    `| \`plugin.predict\` | ${us(e.predict.p50_us)} | ${us(e.predict.p99_us)} |`,
    `| \`plugin.explain\` | ${us(e.explain.p50_us)} | ${us(e.explain.p99_us)} |`,
    '',
    `explain costs ${fmtRatio(e.ratio_explain_to_predict)} a predict at p50. Worst completeness error over ${e.inputs} inputs: ${e.completeness_error.toExponential(2)} of the target's range.`,
  ].join('\n');
}

/** Whether s3db-ml's accuracy is equal (within tolerance) or better than another system's. */
function asAccurate(metric, ours, theirs) {
  if (ours == null || theirs == null) return null;
  return metric === 'mape' ? ours <= theirs + TOLERANCE.mape : ours >= theirs - TOLERANCE[metric];
}

/** Each issue-6 target with its measured value and whether it is met. */
export function targetChecks(results, trainingKeys) {
  const checks = [];
  for (const key of trainingKeys) {
    const e = results[key];
    if (!e) continue;
    const { metric } = e.accuracy;
    const accurate = asAccurate(metric, e.accuracy.s3dbml, e.accuracy.upstream);
    checks.push({
      target: `${key}: ≥${TARGETS.trainVsUpstream}× upstream at equal or better ${metric}`,
      value: `${fmtRatio(e.ratio_upstream)} (model alone ${fmtRatio(e.ratio_upstream_model)}), ${metric} ${fmtScore(e.accuracy.s3dbml)} vs ${fmtScore(e.accuracy.upstream)}`,
      met: e.ratio_upstream == null ? null : e.ratio_upstream >= TARGETS.trainVsUpstream && accurate !== false,
    });
    checks.push({
      target: `${key}: ≥${TARGETS.trainVsTorch}× PyTorch`,
      value: `${fmtRatio(e.ratio_torch)}, ${metric} ${fmtScore(e.accuracy.s3dbml)} vs ${fmtScore(e.accuracy.torch)}`,
      met: e.ratio_torch == null ? null : e.ratio_torch >= TARGETS.trainVsTorch,
    });
  }
  const single = results.predict_single;
  if (single?.p50_us?.s3dbml != null) {
    checks.push({
      target: `predict p50 ≤ ${TARGETS.predictP50Us} µs`,
      value: `${single.p50_us.s3dbml.toFixed(1)} µs awaited (${single.p50_us.s3dbml_sync?.toFixed(1)} µs predictSync)`,
      met: single.p50_us.s3dbml <= TARGETS.predictP50Us,
    });
  }
  const explained = results.explain_single;
  if (explained) {
    checks.push({
      target: `explain p50 ≤ ${TARGETS.explainP50Us} µs (issue 15; 128/64/32 network, 8 features)`,
      value: `${explained.explain.p50_us.toFixed(1)} µs awaited (predict ${explained.predict.p50_us.toFixed(1)} µs)`,
      met: explained.explain.p50_us <= TARGETS.explainP50Us,
    });
  }
  for (const [key, e] of Object.entries(results)) {
    if (!key.startsWith('predictBatch_') || e.rows < 10_000 || e.rows_per_s.s3dbml == null) continue;
    checks.push({
      target: `predictBatch ${e.rows.toLocaleString('en')} rows ≥ ${TARGETS.batchRowsPerS.toLocaleString('en')} rows/s`,
      value: `${Math.round(e.rows_per_s.s3dbml).toLocaleString('en')} rows/s`,
      met: e.rows_per_s.s3dbml >= TARGETS.batchRowsPerS,
    });
  }
  return checks;
}

export const fmtRatio = (r) => (r == null ? '—' : `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}×`);
const fmtScore = (v) => (v == null ? '—' : Math.abs(v) >= 10 ? v.toFixed(2) : v.toFixed(4));
const fmtS = (v) => (v == null ? '—' : v < 0.001 ? `${(v * 1e6).toFixed(1)} µs` : v < 1 ? `${(v * 1000).toFixed(1)} ms` : `${v.toFixed(2)} s`);
const fmtMb = (v) => (v == null ? '—' : `${v.toFixed(0)}`);
const mark = (met) => (met == null ? 'not measured' : met ? 'met' : 'missed');

/** The training ratio table, printed at the end of a run and written into RESULTS.md. */
export function ratioTable(results) {
  const lines = [
    '| workload | s3db-ml train (model) | upstream train (model) | PyTorch | vs upstream: train (model) | vs PyTorch | held-out score (s3db-ml / upstream / torch) | peak RSS MiB (s3db-ml / upstream / torch) |',
    '|---|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const [key, e] of Object.entries(results)) {
    if (!e.epochs) continue;
    const size = ` (${e.rows.toLocaleString('en')} rows × ${e.epochs} epochs)`;
    const score = `${e.accuracy.metric} ${fmtScore(e.accuracy.s3dbml)} / ${fmtScore(e.accuracy.upstream)} / ${fmtScore(e.accuracy.torch)}`;
    const rss = `${fmtMb(e.rss_mb.s3dbml)} / ${fmtMb(e.rss_mb.upstream)} / ${fmtMb(e.rss_mb.torch)}`;
    const withModel = (total, model) => (model == null ? fmtS(total) : `${fmtS(total)} (${fmtS(model)})`);
    const upstreamRatio = e.ratio_upstream_model == null ? fmtRatio(e.ratio_upstream) : `${fmtRatio(e.ratio_upstream)} (${fmtRatio(e.ratio_upstream_model)})`;
    lines.push(
      `| ${key}${size} | ${withModel(e.s3dbml_s, e.s3dbml_model_s)} | ${withModel(e.upstream_s, e.upstream_model_s)} | ${fmtS(e.torch_s)} | ${upstreamRatio} | ${fmtRatio(e.ratio_torch)} | ${score} | ${rss} |`,
    );
  }
  return lines.join('\n');
}

/** The prediction ratio table: single-call p50 and batch wall times. */
export function predictionRatioTable(results) {
  const rows = Object.entries(results).filter(([k]) => k.startsWith('predict'));
  if (rows.length === 0) return '';
  const lines = ['| prediction | s3db-ml | upstream | PyTorch | vs upstream | vs PyTorch |', '|---|---:|---:|---:|---:|---:|'];
  for (const [key, e] of rows) {
    lines.push(`| ${key} | ${fmtS(e.s3dbml_s)} | ${fmtS(e.upstream_s)} | ${fmtS(e.torch_s)} | ${fmtRatio(e.ratio_upstream)} | ${fmtRatio(e.ratio_torch)} |`);
  }
  return lines.join('\n');
}

function predictionDetails(results) {
  const single = results.predict_single;
  const lines = [];
  if (single) {
    lines.push('| predict() latency | p50 | p99 |', '|---|---:|---:|');
    for (const [label, key] of [
      ['s3db-ml `plugin.predict` (awaited)', 's3dbml'],
      ['s3db-ml `model.predictSync`', 's3dbml_sync'],
      ['upstream `plugin.predict` (awaited)', 'upstream'],
      ['PyTorch, one row (Python call)', 'torch'],
    ]) {
      const us = (v) => (v == null ? '—' : `${v.toFixed(1)} µs`);
      lines.push(`| ${label} | ${us(single.p50_us[key])} | ${us(single.p99_us[key])} |`);
    }
    lines.push('');
  }
  const batches = Object.entries(results).filter(([k]) => k.startsWith('predictBatch_'));
  if (batches.length) {
    lines.push('| predictBatch throughput | s3db-ml | upstream | PyTorch (tensor in) |', '|---|---:|---:|---:|');
    const rate = (v) => (v == null ? 'not run' : `${Math.round(v).toLocaleString('en')} rows/s`);
    for (const [, e] of batches) {
      lines.push(`| ${e.rows.toLocaleString('en')} rows | ${rate(e.rows_per_s.s3dbml)} | ${rate(e.rows_per_s.upstream)} | ${rate(e.rows_per_s.torch)} |`);
    }
  }
  return lines.join('\n');
}

function memoryDetails(memory) {
  if (!memory) return 'Not run (`npm run bench:memory`).';
  const lines = [
    `RegressionModel, ${memory.rows.toLocaleString('en')} rows × ${memory.features} numeric features, ${memory.epochs} epochs, batch 32, CPU; each path in its own process.`,
    '',
    '| path | peak RSS | training time |',
    '|---|---:|---:|',
  ];
  const label = {
    baseline: 'addon loaded, no data',
    arrays: '`trainArrays` (Float64Array rows)',
    records: '`train(records)` (plain objects)',
    categories: 'pages of records, 5 numeric + 3 categorical features of 50 values (issue 11)',
  };
  for (const [path, r] of Object.entries(memory.paths)) {
    lines.push(`| ${label[path] ?? path} | ${r.error ?? `${r.max_rss_mb.toFixed(0)} MiB`} | ${r.train_s == null ? '—' : `${r.train_s.toFixed(2)} s`} |`);
  }
  lines.push('', `Issue 5's limit: ${memory.limit_mb} MiB.`);
  return lines.join('\n');
}

/** "its native engine (regression, lstm)" and the like, from each workload's training report. */
function engines(results) {
  const byEngine = {};
  for (const [key, entry] of Object.entries(results)) {
    if (!('s3dbml_model_s' in entry)) continue; // not a training workload
    const engine = entry.s3dbml_engine ?? 'an unreported engine';
    (byEngine[engine] ??= []).push(key);
  }
  const names = { native: 'its native CPU engine', burn: "Burn's flex CPU backend" };
  return Object.entries(byEngine).map(([engine, keys]) => `${names[engine] ?? engine} (${keys.join(', ')})`).join('; ') || 'nothing';
}

/** RESULTS.md: what ran, where, how, and what came out. */
export function resultsMarkdown({ results, meta, checks, memory }) {
  const others = `other processes took at most ${meta.foreign.maxCores} cores during any one measurement${meta.foreign.run ? ` (${meta.foreign.run})` : ''}`;
  const quiet = meta.quiet
    ? `yes: no concurrent build at the start or the end; ${others}`
    : `no: ${meta.loadAtStart.busy} build processes at the start, ${meta.loadAtEnd.busy} at the end; ${others} (timings may be inflated)`;
  return `# s3db-ml benchmark results

Generated by \`${meta.command}\` on ${meta.date} (${meta.mode} mode, ${meta.durationS.toFixed(0)} s).

## Machine

* CPU: ${meta.machine.cpu}, ${meta.machine.logicalCores} logical cores; ${meta.machine.memoryGiB} GiB RAM; ${meta.machine.os}; Node ${meta.machine.node}
* Quiet: ${quiet}. Load average at start ${meta.loadAtStart.loadavg.join(' / ')}, at end ${meta.loadAtEnd.loadavg.join(' / ')}.
* s3db-ml: \`backend: 'cpu'\`; trained by ${engines(results)}. GPU: ${meta.gpu}
* Upstream: s3db.js ${meta.versions.s3db} \`MLPlugin\` on @tensorflow/tfjs ${meta.versions.tfjs ?? '?'} (pure JavaScript, \`cpu\` backend), installed as \`@tensorflow/tfjs-node\` → \`npm:@tensorflow/tfjs@4.22.0\`.
* PyTorch: ${meta.versions.torch ?? `not run (${meta.torchReason})`}${meta.versions.torchThreads ? `, ${meta.versions.torchThreads} threads` : ''}.

## Training

Same rows (deterministic generators in \`bench/data.js\`), features, architecture, epochs, batch
size 32, learning rate (Adam; 0.01, but 0.1 for the linear regression, which otherwise does not
converge in 30 epochs of 3 batches: see \`bench/workloads.js\`), validationSplit 0.2 and MSE /
cross-entropy loss in every system.
Each system trains in a fresh child process (first training of the process, as an application
would see it). Times: "train" is the plugins' \`await plugin.train(name)\` (reading the records
from the s3db.js memory database included, \`saveModel: false\`); "(model)" is the model-level
call inside it (upstream: \`model.train(records)\`, tensor conversion and tfjs \`fit\`; s3db-ml:
\`model.trainArrays\`, the native training), so train − model is the database read; PyTorch's
time is scaling + its training loop. Ratios are their time / s3db-ml's time (>1 means s3db-ml is
faster): against upstream on train and, in brackets, on model; against PyTorch on model, since
PyTorch reads no database. Upstream's tfjs initialises its weights unseeded, so its scores vary a
little from run to run; s3db-ml (seed 42) and PyTorch (\`manual_seed(42)\`) repeat exactly. Scores are on held-out rows no system trained on:
R² (higher is better), accuracy, or MAPE in % (lower is better). Peak RSS is each child
process's \`maxRSS\` (data, database and runtime included).

${ratioTable(results)}

${Object.entries(results)
  .filter(([, e]) => e.s3dbml_fit_s != null)
  .map(([k, e]) => `* ${k}: the native fit itself took ${fmtS(e.s3dbml_fit_s)} of s3db-ml's ${fmtS(e.s3dbml_s)}${e.wgpu_s != null ? `; wgpu: ${fmtS(e.wgpu_s)}` : ''}.`)
  .join('\n')}
${Object.entries(results)
  .filter(([, e]) => e.capped)
  .map(([k, e]) =>
    Object.entries(e.capped)
      .map(([sys, c]) => `* ${k}: ${sys}'s \`plugin.train\` read only ${c.samples.toLocaleString('en')} of ${e.rows.toLocaleString('en')} records (s3db.js \`resource.list()\` returns its first 1000) and took ${fmtS(c.train_s)}; the ${sys} figures above are its \`model.train\` on all ${e.rows.toLocaleString('en')} rows (fresh network, no database read) and that model's score.`)
      .join('\n'),
  )
  .join('\n')}
${Object.entries(results)
  .flatMap(([k, e]) => Object.entries(e.foreign_cores ?? {}).filter(([, c]) => c > 0.15).map(([sys, c]) => `* ${k}/${sys}: other processes kept ${c} cores busy during this measurement.`))
  .join('\n')}
${Object.entries(results)
  .filter(([, e]) => e.errors)
  .map(([k, e]) => `* ${k} failed for ${Object.keys(e.errors).join(', ')}: \`${Object.values(e.errors)[0].split('\n')[0]}\``)
  .join('\n')}

## Prediction

On the trained linear-regression model, from JavaScript (PyTorch: from Python, for reference).
Single calls: p50/p99 over many awaited calls after a warm-up. Batches: input objects built
before timing; the median of 5 runs up to 10,000 rows, one run above. Upstream's
\`predictBatch\` predicts one input at a time, so its largest batches are not run. PyTorch's
batches are a float matrix, not JavaScript objects: the cost of reading objects is not in them.

${predictionRatioTable(results)}

${predictionDetails(results)}

## Explanation

\`explain\` (integrated gradients, exact piece by piece for this ReLU network) next to \`predict\`
on the same trained model and inputs, from JavaScript, p50/p99 over many awaited calls after a
warm-up.

${explanationDetails(results.explain_single)}

## Memory

${memoryDetails(memory)}

## Targets of issue 6

| target | measured | |
|---|---|---|
${checks.map((c) => `| ${c.target} | ${c.value} | ${mark(c.met)} |`).join('\n')}

## Reproduce

\`\`\`bash
npm run bench            # full run (this file); first run installs bench/node_modules and bench/.venv
npm run bench:quick      # smaller sizes, written to bench/.out/
npm run bench:memory     # the memory benchmark alone
\`\`\`
`;
}

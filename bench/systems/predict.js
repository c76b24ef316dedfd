// Prediction speed as a JavaScript caller sees it: single `predict` latency (p50/p99 over many
// awaited calls, after a warm-up) and `predictBatch` throughput on input objects.
import { performance } from 'node:perf_hooks';
import { regressionRows } from '../data.js';
import { MODEL, modelDefinition, pluginDatabase } from './database.js';

export async function predictSpeed(MLPlugin, pluginOptions, data, sizes) {
  const plugin = new MLPlugin({ models: { [MODEL]: modelDefinition(data) }, saveModel: false, ...pluginOptions });
  const db = await pluginDatabase(data, plugin);
  await plugin.train(MODEL);

  const inputs = data.test.map((row) => pick(row, data.features));
  const single = await latency((input) => plugin.predict(MODEL, input), inputs, sizes.warmup, sizes.calls);
  // s3db-ml also offers a synchronous call; upstream's models have none.
  const model = plugin.models[MODEL];
  const sync =
    typeof model.predictSync === 'function'
      ? await latency((input) => model.predictSync(input), inputs, sizes.warmup, sizes.calls)
      : null;

  const batches = {};
  for (const n of sizes.batches) {
    if (n > sizes.maxBatch) continue;
    batches[n] = await throughput(plugin, n, data.features);
  }
  await db.disconnect?.();
  return { single, sync, batches };
}

function pick(row, features) {
  return Object.fromEntries(features.map((f) => [f, row[f]]));
}

/** Per-call latency in µs; every call is awaited, as application code would. */
export async function latency(call, inputs, warmup, calls) {
  for (let i = 0; i < warmup; i++) await call(inputs[i % inputs.length]);
  const micros = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const input = inputs[i % inputs.length];
    const started = process.hrtime.bigint();
    await call(input);
    micros[i] = Number(process.hrtime.bigint() - started) / 1000;
  }
  micros.sort();
  const at = (q) => micros[Math.min(calls - 1, Math.floor(q * calls))];
  return { calls, p50_us: at(0.5), p99_us: at(0.99), mean_us: micros.reduce((s, v) => s + v, 0) / calls };
}

/** predictBatch over `n` fresh input objects (built before timing); the median of a few runs. */
async function throughput(plugin, n, features) {
  const inputs = regressionRows(n, 99).map((row) => pick(row, features));
  const runs = n <= 10_000 ? 5 : 1;
  if (n <= 10_000) await plugin.predictBatch(MODEL, inputs);
  const seconds = [];
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    const out = await plugin.predictBatch(MODEL, inputs);
    seconds.push((performance.now() - started) / 1000);
    if (out.length !== n) throw new Error(`predictBatch returned ${out.length} results for ${n} inputs`);
  }
  seconds.sort((a, b) => a - b);
  const s = seconds[Math.floor(runs / 2)];
  return { rows: n, s, rows_per_s: n / s };
}

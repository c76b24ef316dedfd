// Explanation speed as a JavaScript caller sees it: `explain` latency (p50/p99 over many awaited
// calls, after a warm-up) next to `predict` on the same trained model and the same inputs.
import { MODEL, modelDefinition, pluginDatabase } from './database.js';
import { latency } from './predict.js';

export async function explainSpeed(MLPlugin, pluginOptions, data, sizes) {
  const plugin = new MLPlugin({ models: { [MODEL]: modelDefinition(data) }, saveModel: false, ...pluginOptions });
  const db = await pluginDatabase(data, plugin);
  await plugin.train(MODEL);
  const inputs = data.test.map((row) => Object.fromEntries(data.features.map((f) => [f, row[f]])));
  // Interleaved so that both see the same machine state.
  const predict = await latency((input) => plugin.predict(MODEL, input), inputs, sizes.warmup, sizes.calls);
  const explain = await latency((input) => plugin.explain(MODEL, input), inputs, sizes.warmup, sizes.calls);
  // How far the attributions miss baseline + Σ = prediction, as a share of the target's range.
  const { target } = plugin.models[MODEL].normalizer;
  let worst = 0;
  for (const input of inputs) {
    const e = await plugin.explain(MODEL, input);
    const total = e.baseline + Object.values(e.contributions).reduce((a, b) => a + b, 0);
    worst = Math.max(worst, Math.abs(total - e.prediction) / (target.max - target.min));
  }
  await db.disconnect?.();
  return { predict, explain, completeness_error: worst, inputs: inputs.length };
}

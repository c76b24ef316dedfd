// One training workload through an MLPlugin (s3db-ml's or upstream's): train from the database,
// then score the held-out rows through the plugin's own prediction calls.
import { performance } from 'node:perf_hooks';
import { heldOutTasks, METRICS } from '../metrics.js';
import { MODEL, modelDefinition, pluginDatabase } from './database.js';

export async function trainAndScore(MLPlugin, pluginOptions, data) {
  // saveModel: false, because upstream would otherwise serialise the model to S3 inside train()
  // and s3db-ml has no persistence yet: the timing is training alone, for both.
  const plugin = new MLPlugin({ models: { [MODEL]: modelDefinition(data) }, saveModel: false, ...pluginOptions });
  const db = await pluginDatabase(data, plugin);

  const modelClock = timeModelTraining(plugin.models[MODEL]);
  const started = performance.now();
  const result = await plugin.train(MODEL);
  const trainSeconds = (performance.now() - started) / 1000;
  const modelSeconds = modelClock.seconds; // before trainOnAllRows, which goes through the same clock

  const full = result.samples < data.train.length ? await trainOnAllRows(plugin, data) : null;

  const { inputs, actual } = heldOutTasks(data);
  const predicted = await predictAll(plugin, data, inputs);
  const score = METRICS[data.metric](actual, predicted);
  await db.disconnect?.();
  return {
    train_s: trainSeconds,
    // The model's own training (upstream: record → tensor conversion and tfjs fit; s3db-ml: the
    // native call on typed arrays); the rest of train_s is reading the records from s3db.js.
    model_s: modelSeconds,
    // s3db-ml reports the native fit alone (no database read); upstream has no such figure.
    fit_s: typeof result.durationMs === 'number' ? result.durationMs / 1000 : null,
    samples: result.samples,
    // Set when plugin.train saw fewer rows than the resource holds (see trainOnAllRows).
    final_loss: result.loss,
    backend: result.backend ?? null,
    engine: result.engine ?? null,
    accuracy: { [data.metric]: score },
    ...(full && { full }),
  };
}

/**
 * Upstream's plugin.train reads `resource.list()`, which returns the first 1000 records only, so
 * on a larger resource it trains on a tenth of the rows. To compare the same work, the model is
 * then trained again, from scratch, on every row handed over directly (`model.train(records)`, no
 * database read); the score is that model's, while train_s, model_s and samples stay those of
 * the capped plugin.train.
 */
async function trainOnAllRows(plugin, data) {
  const model = plugin.models[MODEL];
  model.dispose(); // upstream builds a fresh network on the next train()
  const started = performance.now();
  await model.train(data.train);
  return { model_s: (performance.now() - started) / 1000, samples: data.train.length };
}

async function predictAll(plugin, data, inputs) {
  if (data.type === 'timeseries') {
    const out = [];
    for (const window of inputs) out.push((await plugin.predict(MODEL, window)).prediction);
    return out;
  }
  return (await plugin.predictBatch(MODEL, inputs)).map((r) => r.prediction);
}

/**
 * Times the model-level training call inside `plugin.train` without changing it: upstream's
 * plugin calls `model.train(records)`, s3db-ml's `model.trainArrays(arrays)` (and its `train`
 * calls `trainArrays`), so both are wrapped and only the outermost call is counted.
 */
function timeModelTraining(model) {
  const clock = { seconds: null, depth: 0 };
  for (const method of ['train', 'trainArrays']) {
    const original = model[method];
    if (typeof original !== 'function') continue;
    model[method] = async function timed(...args) {
      const started = performance.now();
      clock.depth++;
      try {
        return await original.apply(this, args);
      } finally {
        if (--clock.depth === 0) clock.seconds = (performance.now() - started) / 1000;
      }
    };
  }
  return clock;
}

// The training workloads of the seed documentation's "Performance" table, defined once for all
// three systems: rows, epochs, batch size, learning rate, architecture and the held-out metric.
import { classificationRows, NN_FEATURES, networkRows, regressionRows, seriesRows } from './data.js';

/** Shared by every workload and system: the plugins' defaults, written out so torch can copy them. */
const COMMON = { batchSize: 32, learningRate: 0.01, validationSplit: 0.2 };

export const WORKLOADS = [
  {
    key: 'regression',
    title: 'Linear regression',
    type: 'regression',
    features: ['cost', 'demand', 'rating'],
    target: 'price',
    metric: 'r2',
    // `polynomial: 1` is one dense unit in every system. Learning rate 0.1: with the default 0.01,
    // 30 epochs of 3 batches do not converge and R² depends on the random initial weights
    // (upstream, unseeded, scored anywhere from -0.08 to 0.998 on the same data).
    modelConfig: { ...COMMON, learningRate: 0.1, polynomial: 1, shuffle: true },
    sizes: { full: { rows: 100, epochs: 30 }, quick: { rows: 100, epochs: 30 } },
    testRows: 1000,
    generate: regressionRows,
  },
  {
    key: 'classification',
    title: 'Classification (64/32 relu, 3 classes)',
    type: 'classification',
    features: ['a', 'b', 'c', 'd'],
    target: 'label',
    metric: 'accuracy',
    // Both plugins build dense(64, relu) → dropout(0.2) → dense(32, relu) → softmax. Three classes,
    // because upstream switches to a sigmoid output for two and s3db-ml keeps a softmax.
    modelConfig: { ...COMMON, units: 64, activation: 'relu', dropout: 0.2, shuffle: true },
    sizes: { full: { rows: 1000, epochs: 40 }, quick: { rows: 1000, epochs: 10 } },
    testRows: 1000,
    generate: classificationRows,
  },
  {
    key: 'neural-network',
    title: 'Neural network (128/64/32 relu)',
    type: 'neural-network',
    features: NN_FEATURES,
    target: 'y',
    metric: 'r2',
    modelConfig: {
      ...COMMON,
      shuffle: true,
      layers: [
        { units: 128, activation: 'relu' },
        { units: 64, activation: 'relu' },
        { units: 32, activation: 'relu' },
      ],
      outputActivation: 'linear',
      outputUnits: 1,
      loss: 'meanSquaredError',
    },
    sizes: { full: { rows: 10_000, epochs: 50 }, quick: { rows: 2000, epochs: 5 } },
    testRows: 2000,
    generate: networkRows,
  },
  {
    key: 'lstm',
    title: 'LSTM (lookback 7, 50 units, dense 25)',
    type: 'timeseries',
    features: ['temperature'],
    target: 'sales',
    timeField: 't',
    metric: 'mape',
    // dropout and recurrentDropout are 0.2 because upstream cannot turn them off (`|| 0.2`);
    // shuffle is off as upstream's time-series default.
    modelConfig: { ...COMMON, lookback: 7, lstmUnits: 50, denseUnits: 25, dropout: 0.2, recurrentDropout: 0.2, shuffle: false },
    sizes: { full: { rows: 1000, epochs: 50 }, quick: { rows: 300, epochs: 5 } },
    testRows: 200,
    generate: seriesRows,
  },
];

/** The workload whose trained model the prediction benchmarks use. */
export const PREDICT_WORKLOAD = 'regression';

/** Prediction benchmark sizes: single-call samples and predictBatch row counts. */
export const PREDICT_SIZES = {
  full: { warmup: 2000, calls: 20_000, upstreamCalls: 2000, batches: [100, 10_000, 1_000_000], upstreamMaxBatch: 10_000 },
  quick: { warmup: 500, calls: 5000, upstreamCalls: 500, batches: [100, 10_000, 100_000], upstreamMaxBatch: 1000 },
};

/**
 * The explanation benchmark: `explain` next to `predict` on the neural-network workload's
 * 128/64/32 ReLU network over 8 features (trained on its quick size: latency does not depend on
 * how long it trained).
 */
export const EXPLAIN_WORKLOAD = 'neural-network';
export const EXPLAIN_SIZES = { full: { warmup: 500, calls: 5000 }, quick: { warmup: 200, calls: 1000 } };

/** The memory benchmark: regression on this many rows × 10 numeric features. */
export const MEMORY_SIZES = { full: { rows: 1_000_000, epochs: 2 }, quick: { rows: 100_000, epochs: 2 } };

/**
 * The data set a workload trains and scores on, as written to disk for the systems: the training
 * rows (with ids that sort in time order) and the held-out rows, plus everything a system needs to
 * build the same model.
 */
export function dataset(workload, mode) {
  const { rows, epochs } = workload.sizes[mode];
  const all = workload.generate(rows + workload.testRows);
  return {
    key: workload.key,
    type: workload.type,
    features: workload.features,
    target: workload.target,
    timeField: workload.timeField ?? null,
    metric: workload.metric,
    modelConfig: { ...workload.modelConfig, epochs },
    train: all.slice(0, rows),
    test: all.slice(rows),
  };
}

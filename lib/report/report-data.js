// What a report page shows about one trained model version, gathered from the model (its native
// training report, calibration and configuration) and, for a stored version, its version record.
// Plain data: the charts and the page are drawn from this alone.

/** The diagnostics layout this build draws (crates/core/src/diagnostics.rs DIAGNOSTICS_VERSION). */
const DIAGNOSTICS_VERSION = 1;

/** What each training loss measures, for the loss chart's axis: in full, and short. */
const LOSS_NAMES = {
  meanSquaredError: ['Mean squared error (target scaled to 0–1)', 'MSE (scaled target)'],
  meanAbsoluteError: ['Mean absolute error (target scaled to 0–1)', 'MAE (scaled target)'],
  categoricalCrossentropy: ['Cross-entropy', 'Cross-entropy'],
  binaryCrossentropy: ['Binary cross-entropy', 'Cross-entropy'],
};

/** The configuration keys worth a line in the header, per model type, in this order. */
const KEY_CONFIG = {
  regression: ['polynomial', 'units', 'activation', 'epochs', 'batchSize', 'learningRate', 'validationSplit', 'intervalCoverage'],
  classification: ['units', 'activation', 'dropout', 'epochs', 'batchSize', 'learningRate', 'validationSplit'],
  timeseries: ['lookback', 'lstmUnits', 'denseUnits', 'dropout', 'epochs', 'batchSize', 'learningRate', 'validationSplit', 'intervalCoverage'],
  'neural-network': ['layers', 'outputActivation', 'loss', 'epochs', 'batchSize', 'learningRate', 'validationSplit', 'intervalCoverage'],
};
const SHARED_CONFIG = ['earlyStopping', 'seed'];

/**
 * @param {import('../models/base-model.js').BaseModel} model a trained model holding the version
 * @param {{ modelName: string, version: number|null, record?: object|null }} where
 */
export function reportData(model, { modelName, version, record = null }) {
  const native = model._native;
  const training = native.trainingReport();
  const described = native.describe();
  const stats = model.getStats();
  const modelConfig = model.config.modelConfig;
  const head = described.head;
  const diagnostics = training.diagnostics?.version === DIAGNOSTICS_VERSION ? training.diagnostics : null;
  const labels = head === 'labels' ? model.classes.map(String) : head === 'probability' ? ['0', '1'] : [];
  // A stored version's record keeps the numbers its training returned, exactly as returned; the
  // model file's JSON manifest may bring a float back one unit in the last place off.
  const recorded = record?.metrics ?? {};
  const heldOut = recorded.heldOut ?? training.regression ?? training.classification ?? null;
  const isLabels = head === 'labels' || head === 'probability';
  const measured = measuredOn(training.validationSamples);
  // Permutation importance: `{ metric, features: [{ feature, importance }], ... }` on the model or its record.
  const importance = stats.importance ?? record?.importance ?? null;
  const data = {
    modelName,
    type: model.type,
    target: model.config.target,
    features: [...model.config.features],
    version,
    trainedAt: stats.trainedAt ?? record?.savedAt ?? null,
    savedAt: record?.savedAt ?? null,
    // How the records were read (`{ mode, listed, fetched, reused, deleted, durationMs }`), for versions stored since it is kept.
    read: record?.read ?? null,
    samples: training.samples,
    measured,
    trainSamples: training.trainSamples,
    validationSamples: training.validationSamples,
    engine: training.engine || null,
    backend: training.backend,
    adapter: training.adapter ?? null,
    durationMs: training.durationMs,
    parameters: described.parameters,
    config: keyConfig(model.type, modelConfig),
    head,
    lossName: LOSS_NAMES[lossOf(model.type, modelConfig)]?.[0] ?? 'Loss',
    lossShortName: LOSS_NAMES[lossOf(model.type, modelConfig)]?.[1] ?? 'Loss',
    history: training.history.map(({ epoch, loss, valLoss }) => ({ epoch, loss, valLoss: valLoss ?? null })),
    epochs: training.epochs,
    configuredEpochs: training.configuredEpochs,
    stoppedEarly: training.stoppedEarly,
    bestEpoch: training.bestEpoch,
    loss: recorded.loss ?? training.loss,
    valLoss: recorded.valLoss ?? training.valLoss ?? null,
    regression: !isLabels && heldOut ? heldOut : null,
    classification: isLabels && heldOut ? keyedClassification(heldOut, labels) : null,
    labels,
    calibration: described.calibration ?? null,
    temperature: described.temperature ?? 1,
    lookback: described.lookback,
    diagnostics,
    // Drawn when the version carries them (see docs/report.md).
    preprocessing: stats.preprocessing ?? null,
    importance: importanceOf(importance?.features ?? importance),
    importanceMetric: importance?.metric ?? null,
    missing: [],
  };
  if (!diagnostics) {
    data.missing.push(
      training.diagnostics
        ? `This version's report data has layout ${training.diagnostics.version}; this build draws layout ${DIAGNOSTICS_VERSION}, so the ${measured.kind} charts are left out.`
        : `This version was trained before s3db-ml kept report data with each version: ${measured.kind} predictions, interval coverage and calibration bins are missing, so only the loss curve and the metrics are shown. Train again to get every chart.`,
    );
  }
  return data;
}

/**
 * What the metrics and charts were measured on, as the page words it: the rows held out of
 * training, or, with `validationSplit: 0`, the training rows themselves (the native side then
 * measures on those). `kind` goes before "rows"/"row"/"windows"; `Kind` starts a sentence.
 */
function measuredOn(validationSamples) {
  const heldOut = validationSamples > 0;
  return heldOut ? { heldOut, kind: 'held-out', Kind: 'Held-out' } : { heldOut, kind: 'training', Kind: 'Training' };
}

function lossOf(type, modelConfig) {
  if (type === 'classification') return 'categoricalCrossentropy';
  if (type === 'neural-network') return modelConfig.loss;
  return 'meanSquaredError';
}

function keyConfig(type, modelConfig) {
  let keys = [...(KEY_CONFIG[type] ?? []), ...SHARED_CONFIG];
  // A linear regression has no hidden layer for `units` and `activation` to describe.
  if (type === 'regression' && modelConfig.polynomial === 1) keys = keys.filter((k) => k !== 'units' && k !== 'activation');
  const out = {};
  for (const key of keys) {
    const value = modelConfig[key];
    if (value !== undefined && value !== null) out[key] = value;
  }
  return out;
}

/**
 * Classification metrics in the page's form: labels in class order, the matrix and per-label rows
 * in that order. From a version's record they come keyed by label (as `train()` returns them); from
 * the engine, and from versions stored before `train()` labelled them, indexed by class.
 */
function keyedClassification(raw, labels) {
  if (!Array.isArray(raw.matrix)) {
    const order = labels.length > 0 ? labels : Object.keys(raw.matrix);
    return {
      accuracy: raw.accuracy,
      total: raw.total,
      correct: raw.correct,
      labels: order,
      matrix: order.map((actual) => order.map((predicted) => raw.matrix[actual]?.[predicted] ?? 0)),
      perLabel: order.map((label) => ({ label, ...raw.perLabel[label] })),
    };
  }
  const name = (i) => labels[i] ?? String(i);
  return {
    accuracy: raw.accuracy,
    total: raw.total,
    correct: raw.correct,
    labels: raw.matrix.map((_, i) => name(i)),
    matrix: raw.matrix,
    perLabel: raw.perClass.map((m, i) => ({ label: name(i), ...m })),
  };
}

/**
 * Feature importances in the shape the page draws: `[{ feature, importance }]`, largest first.
 * Accepts `{ feature: number }` or `[{ feature, importance }]`; anything else is left out.
 */
function importanceOf(value) {
  if (!value || typeof value !== 'object') return null;
  const entries = Array.isArray(value)
    ? value.map((v) => [v?.feature, v?.importance])
    : Object.entries(value).map(([feature, v]) => [feature, typeof v === 'object' ? v?.importance : v]);
  const rows = entries
    .filter(([feature, importance]) => typeof feature === 'string' && Number.isFinite(importance))
    .map(([feature, importance]) => ({ feature, importance }))
    .sort((a, b) => b.importance - a.importance);
  return rows.length > 0 ? rows : null;
}

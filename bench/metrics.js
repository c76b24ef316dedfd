// Held-out scores, computed the same way for every system (torch_bench.py mirrors these formulas).

/** Coefficient of determination: 1 − SS_res / SS_tot. */
export function r2(actual, predicted) {
  const mean = actual.reduce((s, v) => s + v, 0) / actual.length;
  let res = 0;
  let tot = 0;
  actual.forEach((v, i) => {
    res += (v - predicted[i]) ** 2;
    tot += (v - mean) ** 2;
  });
  return 1 - res / tot;
}

/** Share of labels predicted exactly. */
export function accuracy(actual, predicted) {
  return actual.filter((v, i) => v === predicted[i]).length / actual.length;
}

/** Mean absolute percentage error in %, skipping zero actuals. */
export function mape(actual, predicted) {
  let sum = 0;
  let n = 0;
  actual.forEach((v, i) => {
    if (v !== 0) {
      sum += Math.abs((v - predicted[i]) / v);
      n++;
    }
  });
  return (sum / n) * 100;
}

export const METRICS = { r2, accuracy, mape };

/**
 * What a system is asked to predict for the held-out rows, and the true answers. A time series
 * predicts each test row from the `lookback` rows before it (the first ones reach back into the
 * training rows), the way a forecast is made in production.
 */
export function heldOutTasks(data) {
  if (data.type !== 'timeseries') {
    return { inputs: data.test, actual: data.test.map((row) => row[data.target]) };
  }
  const lookback = data.modelConfig.lookback;
  const series = [...data.train, ...data.test];
  const start = data.train.length;
  const inputs = data.test.map((_, i) => series.slice(start + i - lookback, start + i));
  return { inputs, actual: data.test.map((row) => row[data.target]) };
}

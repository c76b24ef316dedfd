// Deterministic data for every workload. The orchestrator generates each data set once and writes
// it to a JSON file that all three systems read, so they train and score on the very same rows.

/** A small, fast PRNG (mulberry32): the same seed gives the same rows on every machine. */
export function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal numbers from a uniform source (Box–Muller). */
function gaussian(random) {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Price-like target, linear in three features plus noise: what `polynomial: 1` can fit. */
export function regressionRows(n, seed = 11) {
  const random = seeded(seed);
  const noise = gaussian(random);
  return Array.from({ length: n }, () => {
    const cost = 20 + random() * 480;
    const demand = 50 + random() * 950;
    const rating = 1 + random() * 4;
    return { cost, demand, rating, price: 1.4 * cost + 0.05 * demand + 12 * rating + 10 + noise() * 8 };
  });
}

/** Three classes separated by non-linear boundaries (a linear model cannot reach 100 %). */
export function classificationRows(n, seed = 22) {
  const random = seeded(seed);
  const noise = gaussian(random);
  return Array.from({ length: n }, () => {
    const a = random() * 10;
    const b = random() * 10;
    const c = random() * 5;
    const d = random();
    const score = Math.sin(a / 2) * 3 + (b - 5) ** 2 / 5 + c * d + noise() * 0.4;
    const label = score < 1 ? 'low' : score < 3 ? 'mid' : 'high';
    return { a, b, c, d, label };
  });
}

export const NN_FEATURES = ['f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8'];

/** Eight features, a smooth non-linear target: something a 128/64/32 network has to learn. */
export function networkRows(n, seed = 33) {
  const random = seeded(seed);
  const noise = gaussian(random);
  return Array.from({ length: n }, () => {
    const row = {};
    for (const f of NN_FEATURES) row[f] = random() * 2 - 1;
    row.y =
      Math.sin(Math.PI * row.f1) * 2 +
      row.f2 * row.f3 * 3 +
      Math.exp(row.f4) -
      row.f5 ** 2 +
      Math.abs(row.f6) * row.f7 +
      0.5 * row.f8 +
      noise() * 0.1;
    return row;
  });
}

/**
 * A daily series (`t` = day): weekly seasonality, a slow trend and a temperature that moves sales.
 * Values stay well above zero so MAPE is meaningful. Rows come in time order.
 */
export function seriesRows(n, seed = 44) {
  const random = seeded(seed);
  const noise = gaussian(random);
  return Array.from({ length: n }, (_, t) => {
    const temperature = 20 + 8 * Math.sin((2 * Math.PI * t) / 365) + noise() * 1.5;
    const sales = 200 + 0.05 * t + 30 * Math.sin((2 * Math.PI * t) / 7) + 2 * (temperature - 20) + noise() * 4;
    return { t, temperature, sales };
  });
}

/**
 * Ids that sort in insertion order. s3db.js lists records by id, and the upstream plugin builds its
 * time-series windows in list order, so zero-padded ids keep every system on the same sequence.
 */
export function withIds(rows) {
  return rows.map((row, i) => ({ id: `r${String(i).padStart(8, '0')}`, ...row }));
}

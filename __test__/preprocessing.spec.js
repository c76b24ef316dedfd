// Real records: strings, booleans, dates and missing values become features without a `map()`.
// Accuracy is measured against a least-squares fit on an encoding made by hand in this test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MLPlugin, DataValidationError, InsufficientDataError, ModelConfigError } from '../index.js';
import { TrainingSet } from '../lib/dataset.js';
import { readRows, RowsBuilder } from '../lib/rows-arrow.js';
import { memoryDatabase, seeded } from './support/db.js';

const CITIES = { Lisboa: 120, Porto: 60, Faro: 30, Braga: 0 };
const START = Date.UTC(2025, 0, 1);
const DAY = 86_400_000;

/**
 * Houses: price = 40·rooms + city effect + 25·hasGarage + 0.1·days listed after START + noise.
 * About 10% of rooms, 5% of cities and 10% of hasGarage are missing; `missingPrice` records have no price.
 */
function houses(n, seed, { missingPrice = 0 } = {}) {
  const random = seeded(seed);
  const names = Object.keys(CITIES);
  return Array.from({ length: n }, (_, i) => {
    const rooms = 1 + Math.floor(random() * 5);
    const city = names[Math.floor(random() * random() * names.length)];
    const hasGarage = random() < 0.4;
    const days = Math.floor(random() * 365);
    const price = 40 * rooms + CITIES[city] + 25 * (hasGarage ? 1 : 0) + 0.1 * days + (random() - 0.5) * 10;
    const record = { id: `h${seed}-${i}`, city, listedAt: new Date(START + days * DAY).toISOString(), price };
    if (random() >= 0.1) record.rooms = rooms;
    if (random() < 0.05) record.city = null;
    if (random() >= 0.1) record.hasGarage = hasGarage;
    if (i < missingPrice) delete record.price;
    return record;
  });
}

const houseModel = (modelConfig = {}) => ({
  type: 'regression',
  resource: 'houses',
  features: ['rooms', 'city', 'hasGarage', 'listedAt'],
  target: 'price',
  modelConfig: { epochs: 300, learningRate: 0.01, batchSize: 128, featureTypes: { listedAt: 'date' }, ...modelConfig },
});

/** Solves the least-squares problem min |Xw − y| by the normal equations (Gaussian elimination). */
function leastSquares(rows, targets) {
  const k = rows[0].length;
  const a = Array.from({ length: k }, () => new Array(k + 1).fill(0));
  rows.forEach((x, r) => {
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) a[i][j] += x[i] * x[j];
      a[i][k] += x[i] * targets[r];
    }
  });
  for (let i = 0; i < k; i++) a[i][i] += 1e-9;
  for (let c = 0; c < k; c++) {
    let pivot = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(a[r][c]) > Math.abs(a[pivot][c])) pivot = r;
    [a[c], a[pivot]] = [a[pivot], a[c]];
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = a[r][c] / a[c][c];
      for (let j = c; j <= k; j++) a[r][j] -= f * a[c][j];
    }
  }
  return a.map((row, i) => row[k] / row[i]);
}

const median = (values) => {
  const s = [...values].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** The encoding a user would write by hand: median/mode imputation, one-hot cities, days listed. */
function handEncoding(training) {
  const present = (f) => training.filter((r) => r[f] !== undefined && r[f] !== null).map((r) => r[f]);
  const rooms = median(present('rooms'));
  const garages = present('hasGarage');
  const garage = garages.filter(Boolean).length > garages.length / 2 ? 1 : 0;
  const counts = {};
  present('city').forEach((c) => (counts[c] = (counts[c] ?? 0) + 1));
  const topCity = Object.keys(counts).sort((x, y) => counts[y] - counts[x])[0];
  const cities = Object.keys(CITIES);
  return (r) => {
    const city = r.city ?? topCity;
    return [
      1,
      r.rooms ?? rooms,
      ...cities.slice(1).map((c) => (city === c ? 1 : 0)),
      r.hasGarage === undefined || r.hasGarage === null ? garage : r.hasGarage ? 1 : 0,
      (Date.parse(r.listedAt) - START) / DAY,
    ];
  };
}

const r2 = (actual, predicted) => {
  const mean = actual.reduce((s, v) => s + v, 0) / actual.length;
  const ssRes = actual.reduce((s, v, i) => s + (v - predicted[i]) ** 2, 0);
  const ssTot = actual.reduce((s, v) => s + (v - mean) ** 2, 0);
  return 1 - ssRes / ssTot;
};

let db;
let ml;
let result;
const training = houses(600, 11, { missingPrice: 7 });
const heldOut = houses(200, 12);

beforeAll(async () => {
  db = memoryDatabase();
  await db.connect();
  const resource = await db.createResource({
    name: 'houses',
    attributes: {
      rooms: 'number|optional',
      city: 'string|optional',
      hasGarage: 'boolean|optional',
      listedAt: 'string',
      price: 'number|optional',
    },
  });
  await resource.insertMany(training);
  ml = new MLPlugin({ logLevel: 'silent', backend: 'cpu', models: { houses: houseModel(), strict: houseModel({ impute: { rooms: 'error' } }) } });
  await db.usePlugin(ml);
  result = await ml.train('houses');
}, 120_000);

afterAll(async () => {
  await db.disconnect();
});

describe('records with numbers, categories, booleans, dates and missing values', () => {
  it('trains without a map() and says what it did', () => {
    const trainingWithPrice = training.filter((r) => r.price !== undefined);
    const missing = (f) => trainingWithPrice.filter((r) => r[f] === undefined || r[f] === null).length;
    expect(result.samples).toBe(593);
    expect(result.missingTargets).toBe(7);
    const { rooms, city, hasGarage, listedAt } = result.preprocessing;
    expect(rooms).toEqual({ kind: 'numeric', missing: missing('rooms'), imputedWith: median(trainingWithPrice.filter((r) => r.rooms !== undefined).map((r) => r.rooms)) });
    expect(city.kind).toBe('category');
    expect(city.missing).toBe(missing('city'));
    // Most frequent first.
    const counts = {};
    trainingWithPrice.forEach((r) => r.city && (counts[r.city] = (counts[r.city] ?? 0) + 1));
    expect(city.categories).toEqual(Object.keys(counts).sort((a, b) => counts[b] - counts[a]));
    expect(city.other).toBe(0);
    expect(city.imputedWith).toBe(city.categories[0]);
    expect(hasGarage).toMatchObject({ kind: 'boolean', missing: missing('hasGarage'), imputedWith: false });
    expect(listedAt).toMatchObject({ kind: 'date', missing: 0 });
    expect(ml.getModelStats('houses').preprocessing).toEqual(result.preprocessing);
  });

  it('predicts held-out records as well as least squares on a hand-made encoding', async () => {
    const trainingWithPrice = training.filter((r) => r.price !== undefined);
    const encode = handEncoding(trainingWithPrice);
    const weights = leastSquares(trainingWithPrice.map(encode), trainingWithPrice.map((r) => r.price));
    const reference = heldOut.map((r) => encode(r).reduce((s, x, i) => s + x * weights[i], 0));
    const predicted = (await ml.predictBatch('houses', heldOut)).map((p) => p.prediction);
    const actual = heldOut.map((r) => r.price);
    const modelR2 = r2(actual, predicted);
    const referenceR2 = r2(actual, reference);
    console.log(`held-out R²: model ${modelR2.toFixed(4)}, least squares on the hand-made encoding ${referenceR2.toFixed(4)}`);
    expect(modelR2).toBeGreaterThan(referenceR2 - 0.005);
    expect((await ml.evaluate('houses', { data: heldOut })).r2).toBeCloseTo(modelR2, 10);
    expect(await ml.models.houses.calculateR2Score(heldOut)).toBeCloseTo(modelR2, 10);
  });

  it('says what a prediction had to assume', async () => {
    const full = { rooms: 3, city: 'Porto', hasGarage: true, listedAt: '2025-03-01T00:00:00Z' };
    expect((await ml.predict('houses', full)).warnings).toBeUndefined();
    const imputed = await ml.predict('houses', { city: 'Porto', hasGarage: null, listedAt: '2025-03-01T00:00:00Z' });
    expect(imputed.warnings).toEqual([
      { feature: 'rooms', kind: 'imputed' },
      { feature: 'hasGarage', kind: 'imputed' },
    ]);
    const unseen = await ml.predict('houses', { ...full, city: 'Tokyo' });
    expect(unseen.warnings).toEqual([{ feature: 'city', kind: 'unseen_category' }]);
    const batch = await ml.predictBatch('houses', [full, { ...full, rooms: undefined }, { ...full, city: 'Tokyo' }]);
    expect(batch[0].warnings).toBeUndefined();
    expect(batch[1].warnings).toEqual([{ feature: 'rooms', kind: 'imputed' }]);
    expect(batch[2].warnings).toEqual([{ feature: 'city', kind: 'unseen_category' }]);
    // A missing value is filled with the training median: the same prediction as giving it.
    expect(batch[1].prediction).toBe((await ml.predict('houses', { ...full, rooms: result.preprocessing.rooms.imputedWith })).prediction);
  });

  it('a value of the wrong kind is still a DataValidationError naming the field', async () => {
    const error = await ml.predict('houses', { rooms: 'big', city: 'Porto', listedAt: '2025-03-01' }).catch((e) => e);
    expect(error).toBeInstanceOf(DataValidationError);
    expect(error.message).toMatch(/Feature "rooms" must be a finite number, got string/);
    const date = await ml.predict('houses', { rooms: 2, listedAt: 'someday' }).catch((e) => e);
    expect(date).toBeInstanceOf(DataValidationError);
    expect(date.message).toMatch(/"listedAt".*"someday"/);
  });

  it('export/import and another instance give bit-identical predictions', async () => {
    const exported = JSON.parse(JSON.stringify(await ml.exportModel('houses')));
    const other = new MLPlugin({ logLevel: 'silent', backend: 'cpu', namespace: 'other', models: { houses: houseModel() } });
    await other.install(db);
    await other.importModel('houses', exported);
    const probes = [...heldOut.slice(0, 30), { city: 'Tokyo', listedAt: '2026-07-04T12:00:00Z' }];
    expect(await other.predictBatch('houses', probes)).toEqual(await ml.predictBatch('houses', probes));
    expect(other.getModelStats('houses').preprocessing).toEqual(result.preprocessing);
    // A third instance loads the stored version from the bucket.
    const reloaded = new MLPlugin({ logLevel: 'silent', backend: 'cpu', models: { houses: houseModel() } });
    await reloaded.install(db);
    expect(await reloaded.predictBatch('houses', probes)).toEqual(await ml.predictBatch('houses', probes));
  });

  it('a preparation this version cannot read is a named error, and the serving model stays', async () => {
    const bytes = await ml.exportModel('houses', { format: 'safetensors' });
    const marker = Buffer.from('\\"preparation\\":{\\"version\\":1,');
    const at = bytes.indexOf(marker);
    expect(at).toBeGreaterThan(0);
    const newer = Buffer.from(bytes);
    newer[at + marker.length - 2] = '9'.charCodeAt(0);
    const other = new MLPlugin({ logLevel: 'silent', backend: 'cpu', namespace: 'newer', models: { houses: houseModel() } });
    await other.install(db);
    await other.importModel('houses', bytes);
    const probe = heldOut[0];
    const before = await other.predict('houses', probe);
    const error = await other.importModel('houses', newer).catch((e) => e);
    expect(error).toBeInstanceOf(ModelConfigError);
    expect(error.message).toMatch(/preparation is version 9; this build reads version 1/);
    expect(await other.predict('houses', probe)).toEqual(before);
  });

  it("impute: 'error' keeps the strict behaviour", async () => {
    const error = await ml.train('strict').catch((e) => e);
    expect(error).toBeInstanceOf(DataValidationError);
    expect(error.message).toMatch(/Missing features in training data: rooms \(record h11-\d+\)/);
    expect(ml.models.strict.isTrained).toBe(false);
  });

  it('an unparsable date names the field, the value and the record', async () => {
    const set = new TrainingSet({ features: ['listedAt'], target: 'price', labels: false, model: 'm', kinds: { listedAt: 'date' } });
    const error = (() => {
      try {
        set.add([{ id: 'ok', listedAt: '2025-01-01', price: 1 }, { id: 'bad', listedAt: 'next tuesday', price: 2 }]);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(DataValidationError);
    expect(error.message).toMatch(/Feature "listedAt" must be a date .*"next tuesday" \(record bad\)/);
    expect(error.recordId).toBe('bad');
  });

  it('what is learned does not depend on the order of the rows', () => {
    const learn = (rows) => {
      const set = new TrainingSet({ features: ['rooms', 'city', 'hasGarage', 'listedAt'], target: 'price', labels: false, model: 'm', kinds: { listedAt: 'date' } });
      for (let i = 0; i < rows.length; i += 100) set.add(rows.slice(i, i + 100));
      return set.finish();
    };
    const tied = [...training, { id: 'x', city: 'Coimbra', price: 1 }, { id: 'y', city: 'Coimbra', price: 1 }, { id: 'z', city: 'Aveiro', price: 1 }, { id: 'w', city: 'Aveiro', price: 1 }];
    const forward = learn(tied);
    const backward = learn([...tied].reverse());
    expect(backward.preparation).toEqual(forward.preparation);
    // Equal counts are ordered by value.
    expect(forward.preparation.features[1].categories.slice(-2)).toEqual(['Aveiro', 'Coimbra']);
  });

  it('categories beyond the cap or seen once go to "other"', () => {
    const rows = Array.from({ length: 200 }, (_, i) => ({ code: `c${i % 60}`, once: `u${i}`, y: i }));
    const set = new TrainingSet({ features: ['code', 'once'], target: 'y', labels: false, model: 'm' });
    set.add(rows);
    const { preparation } = set.finish();
    const [code, once] = preparation.features;
    expect(code.categories).toHaveLength(50);
    // c0..c19 appear 4 times, c20..c59 3 times: the cap keeps c0..c49, so c50..c59 (30 rows) are "other".
    expect(code.other).toBe(30);
    expect(once.categories).toEqual([]);
    expect(once.other).toBe(200);
  });
});

describe('rows copied from a training snapshot', () => {
  const fields = ['size', 'weight', 'when', 'color', 'fresh', 'day', 'label', 'id'];
  const row = (i) => ({
    // Float64 columns: with nulls, and a date as epoch milliseconds.
    weight: i % 6 === 0 ? null : i * 0.5 - 40,
    when: Date.UTC(2025, 0, 1) + i * 3_600_000,
    size: i % 7 === 0 ? null : i % 5 === 0 ? undefined : (i * 37) % 101,
    color: ['red', 'green', 'blue', 'teal'][i % 4],
    fresh: i % 3 === 0,
    day: i % 11 === 0 ? null : new Date(Date.UTC(2026, i % 12, 1 + (i % 27))).toISOString(),
    label: i % 23 === 0 ? null : ['a', 'b', 'c'][i % 3],
    id: `r${String(i).padStart(5, '0')}`,
  });
  const stored = async (rows) => {
    const builder = new RowsBuilder(fields);
    rows.forEach((r, i) => builder.add(`r${String(i).padStart(5, '0')}`, 'v', i % 10 === 9 ? null : r));
    return readRows(await builder.encode());
  };
  const spec = { features: ['size', 'weight', 'when', 'color', 'fresh', 'day'], target: 'label', labels: true, kinds: { day: 'date', when: 'date' } };

  it('addStored trains on exactly what add() of each row gives', async () => {
    const snapshot = await stored(Array.from({ length: 3000 }, (_, i) => row(i)));
    const byRows = new TrainingSet(spec);
    const byColumns = new TrainingSet(spec);
    for (let i = 0; i < snapshot.length; i += 250) {
      const to = Math.min(snapshot.length, i + 250);
      const records = [];
      for (let k = i; k < to; k++) if (snapshot.included[k]) records.push(snapshot.rowAt(k));
      byRows.add(records);
      byColumns.addStored(snapshot, i, to);
    }
    const [a, b] = [byRows.finish(), byColumns.finish()];
    expect(b.samples).toBe(a.samples);
    expect(b.missingTargets).toBe(a.missingTargets);
    expect(b.missingTargets).toBeGreaterThan(0);
    expect(b.preparation).toEqual(a.preparation);
    expect(b.labels).toEqual(a.labels);
    expect(Buffer.from(b.features.buffer).equals(Buffer.from(a.features.buffer))).toBe(true);
    expect(Buffer.from(b.targets.buffer).equals(Buffer.from(a.targets.buffer))).toBe(true);
  });

  it('a stored value the declared kind cannot take is the same error, naming the record', async () => {
    const snapshot = await stored(Array.from({ length: 40 }, (_, i) => ({ ...row(i), size: i === 31 ? 'large' : i })));
    const failure = (fill) => {
      try {
        fill(new TrainingSet({ ...spec, kinds: { size: 'numeric' } }));
      } catch (error) {
        return error;
      }
      return null;
    };
    const byRows = failure((set) => set.add(Array.from({ length: 40 }, (_, i) => i).filter((i) => snapshot.included[i]).map((i) => snapshot.rowAt(i))));
    const byColumns = failure((set) => set.addStored(snapshot, 0, 40));
    expect(byColumns).toBeInstanceOf(DataValidationError);
    expect(byColumns.message).toBe(byRows.message);
    expect(byColumns.message).toMatch(/record r00031/);
  });
});

describe('bad preparation settings are a ModelConfigError', () => {
  const config = (modelConfig) => () => new MLPlugin({ models: { m: houseModel(modelConfig) } });
  it('an unknown kind or field in featureTypes', () => {
    expect(config({ featureTypes: { listedAt: 'timestamp' } })).toThrow(ModelConfigError);
    expect(config({ featureTypes: { listedAt: 'timestamp' } })).toThrow(/'numeric', 'category', 'boolean', 'date'/);
    expect(config({ featureTypes: { nowhere: 'date' } })).toThrow(/"nowhere", which is not one of the features/);
  });
  it('an impute value that is not one of the documented ones', () => {
    expect(config({ impute: { rooms: 'average' } })).toThrow(ModelConfigError);
    expect(config({ impute: { rooms: Number.NaN } })).toThrow(ModelConfigError);
    expect(config({ impute: { nowhere: 'mean' } })).toThrow(ModelConfigError);
  });
  it("an imputation that does not fit the feature's kind (found when training)", async () => {
    const plugin = new MLPlugin({ logLevel: 'silent', backend: 'cpu', models: { m: houseModel({ impute: { city: 'mean' } }) } });
    await plugin.install(db);
    const error = await plugin.train('m').catch((e) => e);
    expect(error).toBeInstanceOf(ModelConfigError);
    expect(error.message).toMatch(/impute.city.*category/);
  });
});

describe('resource.ml.learn() picks strings, enums and booleans too', () => {
  it('chooses the attributes and says why it left the others out', async () => {
    const resource = await db.createResource({
      name: 'listings',
      attributes: {
        title: 'string',
        rooms: 'number|optional',
        city: 'string|optional',
        hasGarage: 'boolean|optional',
        kind: { type: 'string', enum: ['flat', 'house'] },
        price: 'number|optional',
      },
      timestamps: true,
    });
    await resource.insertMany(houses(120, 21).map(({ listedAt: _unused, ...r }, i) => ({ ...r, title: `Listing number ${i}`, kind: i % 3 ? 'flat' : 'house' })));
    const learned = await resource.ml.learn('price', { modelConfig: { epochs: 5 } });
    expect(learned.features).toEqual(['rooms', 'city', 'hasGarage', 'kind']);
    expect(learned.featureSelection.chosen).toEqual({ rooms: 'numeric', city: 'category', hasGarage: 'boolean', kind: 'category' });
    expect(learned.featureSelection.leftOut.title).toMatch(/high-cardinality/);
    expect(learned.featureSelection.leftOut.createdAt).toMatch(/timestamp/);
    expect(learned.preprocessing.kind.categories).toEqual(['flat', 'house']);
    expect(Number.isFinite(learned.loss)).toBe(true);
  });
});

describe('time series with a categorical feature', () => {
  it('weekday names inside the lookback window', async () => {
    const names = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
    const effect = { Sun: 30, Mon: 0, Tue: 5, Wed: 10, Thu: 5, Fri: 20, Sat: 40 };
    const random = seeded(5);
    const days = Array.from({ length: 140 }, (_, i) => {
      const weekday = names[i % 7];
      return { id: `d${i}`, day: i, weekday, sales: 100 + effect[weekday] + i * 0.2 + (random() - 0.5) * 4 };
    });
    const resource = await db.createResource({ name: 'sales', attributes: { day: 'number', weekday: 'string', sales: 'number' } });
    await resource.insertMany(days);
    const plugin = new MLPlugin({
      logLevel: 'silent',
      backend: 'cpu',
      models: { sales: { type: 'timeseries', resource: 'sales', features: ['weekday'], target: 'sales', timeField: 'day', modelConfig: { lookback: 7, epochs: 40, lstmUnits: 16, denseUnits: 8 } } },
    });
    await plugin.install(db);
    const trained = await plugin.train('sales');
    expect(trained.preprocessing.weekday.kind).toBe('category');
    expect([...trained.preprocessing.weekday.categories].sort()).toEqual([...names].sort());
    const window = days.slice(-7);
    const prediction = await plugin.predict('sales', window);
    expect(Number.isFinite(prediction.prediction)).toBe(true);
    expect(prediction.warnings).toBeUndefined();
    const odd = await plugin.predict('sales', window.map((d, i) => (i === 0 ? { ...d, weekday: 'Holiday' } : d)));
    expect(odd.warnings).toEqual([{ feature: 'weekday', kind: 'unseen_category' }]);
    const metrics = await plugin.evaluate('sales', { data: days.slice(-40) });
    // Better than predicting each day's sales to be the previous day's.
    const naive = days.slice(-33).reduce((s, d, i) => s + Math.abs(d.sales - days[days.length - 34 + i].sales), 0) / 33;
    expect(metrics.mae).toBeLessThan(naive);
  }, 60_000);
});

describe('features that give training nothing to learn from', () => {
  let tickets;
  let people;
  const records = 40;
  beforeAll(async () => {
    tickets = await db.createResource({ name: 'tickets', attributes: { ref: 'string', team: 'string', size: 'number', note: 'string|optional', cost: 'number', priority: 'string' } });
    await tickets.insertMany(
      Array.from({ length: records }, (_, i) => ({ ref: `T-${1000 + i}`, team: i % 2 ? 'red' : 'blue', size: 1 + (i % 7), cost: 10 * (1 + (i % 7)) + (i % 2 ? 5 : 0), priority: i % 3 ? 'low' : 'high' })),
    );
    people = await db.createResource({ name: 'people', attributes: { profile: { age: 'number' }, score: 'number' } });
    await people.insertMany(Array.from({ length: 30 }, (_, i) => ({ profile: { age: 20 + i }, score: 2 * (20 + i) })));
  });
  const train = async (model) => {
    const plugin = new MLPlugin({ logLevel: 'silent', backend: 'cpu', saveModel: false, models: { m: model } });
    await plugin.install(db);
    return plugin.train('m').catch((error) => error);
  };

  it('a feature no record has and the schema does not declare is a DataValidationError that suggests the attribute', async () => {
    const typo = await train({ type: 'regression', resource: 'tickets', features: ['size', 'tem'], target: 'cost' });
    expect(typo).toBeInstanceOf(DataValidationError);
    expect(typo.message).toBe(`Model "m": feature "tem" is in none of the ${records} training records and is not an attribute of resource "tickets". Did you mean "team"?`);
    const nested = await train({ type: 'regression', resource: 'people', features: ['profile.age'], target: 'score' });
    expect(nested).toBeInstanceOf(DataValidationError);
    expect(nested.message).toMatch(/Nested attributes are not read by path: flatten it in the model's `map`/);
    // The map it suggests trains the nested attribute.
    const mapped = await train({ type: 'regression', resource: 'people', features: ['profile.age'], target: 'score', map: (record) => ({ ...record, 'profile.age': record.profile?.age }) });
    expect(mapped.samples).toBe(30);
    expect(mapped.warnings).toEqual([]);
  });

  it('a target no record has and the schema does not declare is a DataValidationError that suggests the attribute, for every model type', async () => {
    for (const [type, target, meant] of [
      ['regression', 'cots', 'cost'],
      ['classification', 'priorty', 'priority'],
      ['neural-network', 'Cost', 'cost'],
    ]) {
      const typo = await train({ type, resource: 'tickets', features: ['size'], target });
      expect(typo).toBeInstanceOf(DataValidationError);
      expect(typo.message).toBe(`Model "m": target "${target}" is in none of the ${records} records read and is not an attribute of resource "tickets". Did you mean "${meant}"?`);
    }
    // A declared attribute that no record has filled yet is too few records, as before.
    const unfilled = await train({ type: 'regression', resource: 'tickets', features: ['size'], target: 'note' });
    expect(unfilled).toBeInstanceOf(InsufficientDataError);
  });

  it('a declared attribute that no record has filled, or a category whose values never repeat, is a warning beside features that inform', async () => {
    const result = await train({ type: 'regression', resource: 'tickets', features: ['size', 'note', 'ref', 'team'], target: 'cost' });
    expect(result.preprocessing.note.missing).toBe(records);
    expect(result.preprocessing.ref.categories).toEqual([]);
    expect(result.warnings).toEqual([
      `feature "note" is missing in all ${records} training records, so it does not inform the model`,
      `feature "ref" has no value common enough to be a category in the ${records} training records (a category must be seen at least twice; ids and free text never are), so it does not inform the model`,
    ]);
    // The informative features still fit exactly: cost = 10·size + 5·[team red] + 10.
    expect(result.metrics.r2).toBeGreaterThan(0.999999);
  });

  it('a model none of whose features informs is a DataValidationError, not a constant model or a native panic', async () => {
    for (const type of ['regression', 'classification']) {
      const target = type === 'regression' ? 'cost' : 'priority';
      const onlyIds = await train({ type, resource: 'tickets', features: ['ref'], target });
      expect(onlyIds).toBeInstanceOf(DataValidationError);
      expect(onlyIds.message).toMatch(/^Model "m" has nothing to learn from: feature "ref" has no value common enough to be a category/);
      const nothing = await train({ type, resource: 'tickets', features: ['note', 'ref'], target });
      expect(nothing).toBeInstanceOf(DataValidationError);
      expect(nothing.message).toMatch(/feature "note" is missing in all 40 training records; feature "ref" has no value/);
    }
  });
});

describe('numbers kept as strings', () => {
  it('a feature declared numeric reads decimal strings in training and prediction; other strings are a DataValidationError', async () => {
    const orders = await db.createResource({ name: 'orders', attributes: { qty: 'string', total: 'number' } });
    // total = 2.5·qty + 1 exactly, the quantities written every way an application might.
    const written = ['1', ' 2', '3 ', '+4', '5.0', '6e0', '0.7e1', '8', '.9e1', '10'];
    await orders.insertMany(written.flatMap((qty, i) => [0, 1].map(() => ({ qty, total: 2.5 * (i + 1) + 1 }))));
    const plugin = new MLPlugin({
      logLevel: 'silent',
      backend: 'cpu',
      saveModel: false,
      models: { m: { type: 'regression', resource: 'orders', features: ['qty'], target: 'total', modelConfig: { featureTypes: { qty: 'numeric' } } } },
    });
    await plugin.install(db);
    const result = await plugin.train('m');
    expect(result.preprocessing.qty.kind).toBe('numeric');
    // The least-squares line through (qty, total) is the generating one.
    for (const qty of ['4', 4, '12.5', '-3']) {
      expect((await plugin.predict('m', { qty })).prediction).toBeCloseTo(2.5 * Number(qty) + 1, 6);
    }
    for (const qty of ['', '0x10', 'Infinity', '1,5', 'four']) {
      await expect(plugin.predict('m', { qty })).rejects.toThrow(DataValidationError);
    }
    await orders.insert({ qty: 'n/a', total: 3 });
    const error = await plugin.train('m').catch((e) => e);
    expect(error).toBeInstanceOf(DataValidationError);
    expect(error.message).toMatch(/^Feature "qty" must be a finite number, got string/);
  });
});

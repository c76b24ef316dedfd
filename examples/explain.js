// The README's "Explanations" example: house prices from rooms, a city and the listing date, then
// why one house is priced as it is. Run with `node examples/explain.js` (after `npm run build`);
// its output is pasted in the README.
import { Database } from 's3db.js';
import { MLPlugin } from '../index.js';

const CITY = { Lisboa: 120, Porto: 60, Faro: 30, Braga: 0 };
const START = Date.UTC(2025, 0, 1);
const DAY = 86_400_000;

// Deterministic pseudo-random numbers, so every run prints the same.
let state = 11;
const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

/** price (thousands) = 40·rooms + the city's premium + 0.1 per day listed after START + noise. */
const houses = Array.from({ length: 500 }, () => {
  const rooms = 1 + Math.floor(random() * 5);
  const city = Object.keys(CITY)[Math.floor(random() * 4)];
  const days = Math.floor(random() * 365);
  const price = 40 * rooms + CITY[city] + 0.1 * days + (random() - 0.5) * 10;
  return { rooms, city, listedAt: new Date(START + days * DAY).toISOString(), price };
});

/** Numbers to one decimal, for printing. */
const rounded = (value) => JSON.parse(JSON.stringify(value, (_, v) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v)));
const show = (value) => console.log(JSON.stringify(rounded(value)).replaceAll(',', ', ').replaceAll('":', '": '));

const db = new Database({ connectionString: 'memory://explain-example/app', logLevel: 'silent' });
await db.connect();
const resource = await db.createResource({
  name: 'houses',
  attributes: { rooms: 'number', city: 'string', listedAt: 'string', price: 'number' },
});
await resource.insertMany(houses);
const ml = new MLPlugin({
  logLevel: 'silent',
  backend: 'cpu',
  saveModel: false,
  models: {
    housePrice: {
      type: 'regression',
      resource: 'houses',
      features: ['rooms', 'city', 'listedAt'],
      target: 'price',
      modelConfig: { featureTypes: { listedAt: 'date' } },
    },
  },
});
await db.usePlugin(ml);
await ml.train('housePrice');

const house = { rooms: 2, city: 'Lisboa', listedAt: '2025-11-03T00:00:00.000Z' };
const { prediction, interval } = await ml.predict('housePrice', house);
show({ prediction, interval });
const explained = await ml.explain('housePrice', house);
show(explained);
const completeness = explained.baseline + Object.values(explained.contributions).reduce((a, b) => a + b, 0) - explained.prediction;
console.log(`baseline + Σ contributions − prediction = ${completeness.toExponential(1)}`);
show(await ml.featureImportance('housePrice'));
await db.disconnect();

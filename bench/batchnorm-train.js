// Training time of a batch-normalised network: the only CPU path that runs on Burn's flex backend
// (through burn-dispatch). Run it in two checkouts to compare two builds (docs/build-time.md):
//   node bench/batchnorm-train.js
import { Database } from 's3db.js';
import { MLPlugin } from '../index.js';

const repo = process.cwd();
const rows = 2000;
let s = 7;
const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
const ml = new MLPlugin({
  backend: 'cpu',
  models: {
    bn: {
      type: 'neural-network', resource: 'pts', features: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], target: 'y',
      modelConfig: { epochs: 20, batchSize: 32, learningRate: 0.01, saveModel: false,
        layers: [{ units: 128, activation: 'relu', batchNormalization: true }, { units: 64, activation: 'relu' }, { units: 32, activation: 'relu' }] },
    },
  },
});
const db = new Database({ connectionString: 'memory://ab/bn', plugins: [ml], logLevel: 'silent' });
await db.connect();
const pts = await db.createResource({ name: 'pts', attributes: Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'y'].map((k) => [k, 'number'])) });
const recs = [];
for (let i = 0; i < rows; i++) {
  const r = Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((k) => [k, rnd() * 4 - 2]));
  r.y = r.a * 2 - r.b + Math.sin(r.c) + 0.1 * rnd();
  recs.push(r);
}
await pts.insertMany(recs);
const times = [];
for (let k = 0; k < 3; k++) {
  const t = performance.now();
  await ml.train('bn');
  times.push(performance.now() - t);
}
times.sort((x, y) => x - y);
console.log(JSON.stringify({ repo, medianMs: Math.round(times[1]), times: times.map(Math.round) }));
await db.disconnect();
process.exit(0);

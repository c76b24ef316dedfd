// Training time of a batch-normalised network: the only CPU path that runs on Burn's flex backend
// (through burn-dispatch). Run it in two checkouts to compare two builds (docs/build-time.md):
//   node bench/batchnorm-train.js
import { Database } from 's3db.js';
import { MLPlugin } from '../index.js';
import { NN_FEATURES, networkRows } from './data.js';

const ml = new MLPlugin({
  backend: 'cpu',
  models: {
    bn: {
      type: 'neural-network',
      resource: 'rows',
      features: NN_FEATURES,
      target: 'y',
      modelConfig: {
        epochs: 20,
        batchSize: 32,
        learningRate: 0.01,
        saveModel: false,
        layers: [{ units: 128, activation: 'relu', batchNormalization: true }, { units: 64, activation: 'relu' }, { units: 32, activation: 'relu' }],
      },
    },
  },
});
const db = new Database({ connectionString: 'memory://bench/batchnorm', plugins: [ml], logLevel: 'silent' });
await db.connect();
const attributes = Object.fromEntries([...NN_FEATURES, 'y'].map((name) => [name, 'number']));
await (await db.createResource({ name: 'rows', attributes })).insertMany(networkRows(2000));

const times = [];
for (let run = 0; run < 3; run++) {
  const started = performance.now();
  await ml.train('bn');
  times.push(performance.now() - started);
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({ checkout: process.cwd(), medianMs: Math.round(times[1]), times: times.map(Math.round) }));
await db.disconnect();
process.exit(0);

// The plugin installs through all three paths s3db.js offers, on the memory, file and S3 clients,
// and trains and predicts on each. The S3 client talks to the real server from globalSetup.
import { afterAll, describe, expect, it } from 'vitest';
import { MLPlugin } from '../index.js';
import { memoryDatabase, fileDatabase, s3Database, productRows } from './support/db.js';

const rows = productRows(40, 3);
const models = () => ({
  price: {
    type: 'regression',
    resource: 'products',
    features: ['cost', 'demand'],
    target: 'price',
    modelConfig: { epochs: 150, batchSize: 8, learningRate: 0.05 },
  },
});

async function seed(db) {
  const resource = await db.createResource({
    name: 'products',
    attributes: { cost: 'number', demand: 'number', price: 'number' },
  });
  await resource.insertMany(rows);
}

async function trainsAndPredicts(ml) {
  const result = await ml.train('price');
  expect(result.samples).toBe(rows.length);
  const { prediction } = await ml.predict('price', { cost: 200, demand: 400 });
  expect(Math.abs(prediction - (200 * 1.4 + 400 * 0.05 + 10))).toBeLessThan(30);
}

const clients = [
  ['memory', memoryDatabase],
  ['file', fileDatabase],
  ['s3', s3Database],
];

for (const [client, makeDatabase] of clients) {
  describe(`${client} client`, () => {
    const open = [];
    afterAll(async () => {
      for (const db of open) await db.disconnect().catch(() => {});
    });

    it('new Database({ plugins: [ml] }) + connect()', async () => {
      const ml = new MLPlugin({ logLevel: 'silent', backend: 'cpu', models: models() });
      const db = makeDatabase({ plugins: [ml] });
      open.push(db);
      await db.connect();
      expect(db.pluginRegistry.ml).toBe(ml);
      expect(ml.slug).toBe('ml');
      await seed(db);
      await trainsAndPredicts(ml);
    });

    it('db.usePlugin(ml) after connect, and a bare ml.install(db)', async () => {
      const db = makeDatabase();
      open.push(db);
      await db.connect();
      await seed(db);

      const viaUse = new MLPlugin({ logLevel: 'silent', backend: 'cpu', models: models() });
      await db.usePlugin(viaUse);
      expect(db.plugins.ml).toBe(viaUse);
      await trainsAndPredicts(viaUse);

      const bare = new MLPlugin({ logLevel: 'silent', backend: 'cpu', models: models() });
      await bare.install(db);
      await trainsAndPredicts(bare);
      expect(bare.getStats().startedAt).toBeTruthy();
    });
  });
}

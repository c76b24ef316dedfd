// Instances sharing one bucket: exactly one trains a model at a time (a storage lock that expires),
// and the others serve the new version without a restart. Two databases in one process on the
// memory client and on the real S3 server, and two Node processes on S3.
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Database } from 's3db.js';
import { MLPlugin } from '../index.js';
import { productRows, s3Database } from './support/db.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
// Slow enough (a second or so) that two trainings started together overlap.
const models = () => ({
  price: { type: 'regression', resource: 'products', features: ['cost', 'demand'], target: 'price', backend: 'cpu', modelConfig: { epochs: 600, polynomial: 3, units: 32 } },
});
const plugin = () => new MLPlugin({ logLevel: 'silent', refreshInterval: 0, models: models() });
const probe = { cost: 120, demand: 640 };

async function sharedPair(makeDatabase) {
  const a = makeDatabase();
  await a.connect();
  await (await a.createResource({ name: 'products', attributes: { cost: 'number', demand: 'number', price: 'number' } })).insertMany(productRows(300, 12));
  const b = makeDatabase(a);
  await b.connect();
  return [a, b];
}

const clients = [
  ['memory', (first) => new Database({ connectionString: first ? first.connectionString : `memory://shared-${Date.now()}/app`, logLevel: 'silent' })],
  ['s3', (first) => (first ? new Database({ ...first.databaseOptions, logLevel: 'silent' }) : s3Database())],
];

for (const [client, makeDatabase] of clients) {
  describe(`two instances on the ${client} client`, () => {
    const open = [];
    afterAll(async () => {
      for (const db of open) await db.disconnect().catch(() => {});
    });

    it('one trains, the other is told so and then serves the new version', async () => {
      const [dbA, dbB] = await sharedPair(makeDatabase);
      open.push(dbA, dbB);
      const [mlA, mlB] = [plugin(), plugin()];
      await dbA.usePlugin(mlA);
      await dbB.usePlugin(mlB);
      const results = await Promise.all([mlA.train('price'), mlB.train('price')]);
      const trained = results.filter((r) => !r.skipped);
      const skipped = results.filter((r) => r.skipped);
      expect(trained).toHaveLength(1);
      expect(skipped).toEqual([{ skipped: true, reason: 'locked_by_another_instance' }]);
      const [winner, other] = results[0].skipped ? [mlB, mlA] : [mlA, mlB];
      // The other instance never trained, yet serves exactly the winner's model.
      expect(await other.predict('price', probe)).toEqual(await winner.predict('price', probe));

      // A second training by the winner: the other picks version 2 up without a restart.
      expect((await winner.train('price')).version).toBe(2);
      expect(await other.predict('price', probe)).toEqual(await winner.predict('price', probe));
      expect((await other.listModelVersions('price')).at(-1)).toMatchObject({ version: 2, isCurrent: true });
    });
  });
}

/** Runs a training in another Node process against the same S3 prefix. */
function trainInChild(options) {
  const script = `
    import { Database } from 's3db.js';
    import { MLPlugin } from './index.js';
    const db = new Database(${JSON.stringify(options)});
    await db.connect();
    const models = ${JSON.stringify(models())};
    // Long enough that the parent, which starts when this holds the lock, overlaps it for sure.
    models.price.modelConfig.epochs = 4000;
    const ml = new MLPlugin({ logLevel: 'silent', models });
    await db.usePlugin(ml);
    const result = await ml.train('price');
    process.stdout.write(JSON.stringify(result));
    await db.disconnect();
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child exited ${code}: ${err.slice(-2000)}`))));
  });
}

describe('two Node processes on the S3 server', () => {
  let db;
  afterAll(async () => {
    await db?.disconnect();
  });

  it('train one at a time; the parent then serves what the child stored', async () => {
    db = s3Database();
    await db.connect();
    await (await db.createResource({ name: 'products', attributes: { cost: 'number', demand: 'number', price: 'number' } })).insertMany(productRows(300, 13));
    const ml = plugin();
    await db.usePlugin(ml);
    // The child needs ~15 s to connect; start the parent's training when the child holds the lock.
    const child = trainInChild(db.databaseOptions);
    // Polled by LIST: a GET of a missing key retries for seconds on S3.
    const locked = async () => (await ml.getStorage().list('locks/train-products-price/')).length > 0;
    const deadline = Date.now() + 90_000;
    while (!(await locked()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const mine = await ml.train('price');
    expect(mine).toEqual({ skipped: true, reason: 'locked_by_another_instance' });
    const theirs = await child;
    expect(theirs.version).toBe(1);
    const served = await ml.predict('price', probe);
    expect(ml.models.price.isTrained).toBe(true);
    expect(Number.isFinite(served.prediction)).toBe(true);
    expect((await ml.listModelVersions('price')).map((v) => v.version)).toEqual([1]);
  }, 180_000);
});

describe('one process on memory://', () => {
  it('never takes its own lock ticket for another instance, whatever the database key prefix', async () => {
    // s3db.js's PluginStorage listing strips the key prefix wherever it occurs in a key: a ticket
    // whose random name held the prefix was listed renamed, and every training under
    // memory://t/1 (a digit is in every ticket) was skipped as locked by another instance.
    for (const connectionString of ['memory://t/1', 'memory://app/db']) {
      const db = new Database({ connectionString, logLevel: 'silent' });
      await db.connect();
      try {
        await (await db.createResource({ name: 'products', attributes: { cost: 'number', demand: 'number', price: 'number' } })).insertMany(productRows(20, 77));
        const ml = new MLPlugin({ logLevel: 'silent', backend: 'cpu', models: { price: { type: 'regression', resource: 'products', features: ['cost', 'demand'], target: 'price', modelConfig: { epochs: 1 } } } });
        await db.usePlugin(ml);
        const versions = [];
        for (let i = 0; i < 12; i++) {
          const result = await ml.train('price');
          versions.push(result.skipped ? result.reason : result.version);
        }
        expect(versions).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      } finally {
        await db.disconnect();
      }
    }
  });
});

describe('db.disconnect() during a training on S3', () => {
  it('aborts the training and frees its lock, so another instance trains at once', async () => {
    // The s3db.js S3 client never settles a request sent after disconnect(): the training hung in
    // its lock release and the lock blocked every instance for trainingLockTtl (900 s).
    const models = { price: { type: 'regression', resource: 'products', features: ['cost', 'demand'], target: 'price', modelConfig: { epochs: 5000, batchSize: 8, polynomial: 2, units: 16 } } };
    const ml = new MLPlugin({ logLevel: 'silent', backend: 'cpu', models });
    // Given to the Database: s3db.js stops the plugins of its `plugins` option on disconnect()
    // (not those added by usePlugin()).
    const first = s3Database({ plugins: [ml] });
    const { connectionString } = first;
    expect(connectionString).toMatch(/^http:/);
    await first.connect();
    await (await first.createResource({ name: 'products', attributes: { cost: 'number', demand: 'number', price: 'number' } })).insertMany(productRows(200, 78));
    let disconnected = null;
    const training = ml.train('price', {
      onProgress: (progress) => {
        if (progress.phase === 'train' && !disconnected) disconnected = first.disconnect();
      },
    });
    const outcome = await training.then(
      () => 'finished',
      (error) => error.name,
    );
    expect(outcome).toBe('TrainingAbortedError');
    await disconnected;

    const second = s3Database({ connectionString });
    await second.connect();
    try {
      const other = new MLPlugin({ logLevel: 'silent', backend: 'cpu', models: { price: { ...models.price, modelConfig: { epochs: 2 } } } });
      await second.usePlugin(other);
      const result = await other.train('price');
      expect(result.skipped).toBeUndefined();
      expect(result.version).toBe(1);
    } finally {
      await second.disconnect();
    }
  }, 60_000);
});

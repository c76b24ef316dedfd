// s3db.js connects to S3 through its own HTTP handler (ReckerHttpHandler) unless told otherwise,
// and that is what users get. It takes S3's 204 answer to DeleteObject for a network failure:
// each such delete retried for ~3.5 s and counted towards a circuit breaker that, once open,
// fails every request of the application's client for 30 s. The plugin deletes objects of its own
// (the previous training snapshot, its training-lock ticket), so before they went another way two
// trainings made the third fail with "Circuit breaker OPEN". It also answers GETs in flight to one
// path with one response whatever their query strings, so LIST calls of key ranges side by side
// all got the first range's keys, and models trained at once read each other's stored versions,
// history and lock tickets. The other S3 tests use the AWS SDK's handler, which s3db.js's
// own record deletes need.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MLPlugin } from '../index.js';
import { LoopYielder } from '../lib/event-loop.js';
import { listS3Ranges } from '../lib/record-reader.js';
import { productRows, s3Database } from './support/db.js';

describe("on S3 through s3db.js's default HTTP handler", () => {
  let db;
  let products;
  beforeAll(async () => {
    db = s3Database({ clientOptions: {} });
    await db.connect();
    products = await db.createResource({ name: 'products', attributes: { cost: 'number', demand: 'number', price: 'number' } });
    await products.insertMany(productRows(40, 11));
  });
  afterAll(async () => {
    await db?.disconnect();
  });

  it('trains again and again, deleting what it replaces without a failed request', async () => {
    const handler = db.client.httpHandler;
    expect(handler?.constructor.name).toBe('ReckerHttpHandler');
    const ml = new MLPlugin({
      logLevel: 'silent',
      backend: 'cpu',
      models: { price: { type: 'regression', resource: 'products', features: ['cost', 'demand'], target: 'price' } },
    });
    await db.usePlugin(ml);
    const versions = [];
    for (let round = 0; round < 4; round++) {
      // New records each round, so that each training writes a new snapshot and deletes the last.
      await products.insertMany(productRows(5, 100 + round));
      const result = await ml.train('price');
      versions.push(result.version);
      expect(result.read.mode).toBe(round === 0 ? 'full' : 'incremental');
    }
    expect(versions).toEqual([1, 2, 3, 4]);

    // No request failed: the circuit breaker never counted one, and the client still works.
    const { circuitStates, circuitBreakerTrips } = handler.getMetrics();
    expect(circuitBreakerTrips).toBe(0);
    for (const [host, circuit] of Object.entries(circuitStates)) expect({ host, ...circuit }).toMatchObject({ host, state: 'CLOSED', failures: 0 });
    // Only the last snapshot's rows are left, and no training-lock ticket.
    const keys = await db.client.getAllKeys({ prefix: '' });
    expect(keys.filter((key) => key.endsWith('.arrow'))).toHaveLength(1);
    expect(keys.filter((key) => key.includes('/locks/'))).toEqual([]);
    expect(await products.count()).toBe(60);
  });

  it('trains several models at once, each to its own next version and history', async () => {
    const target = (features, label) => ({ type: 'regression', resource: 'products', features, target: label, modelConfig: { epochs: 2 } });
    const ml = new MLPlugin({
      logLevel: 'silent',
      backend: 'cpu',
      models: {
        byCost: target(['cost'], 'price'),
        byDemand: target(['demand'], 'price'),
        both: target(['cost', 'demand'], 'price'),
      },
    });
    await db.usePlugin(ml);
    const names = ['byCost', 'byDemand', 'both'];
    for (const round of [1, 2]) {
      // Their listings (lock tickets, stored versions, history) are in flight at the same time.
      const results = await Promise.all(names.map((name) => ml.train(name)));
      expect(results.map((result) => result.skipped ?? false)).toEqual([false, false, false]);
      expect(results.map((result) => result.version)).toEqual([round, round, round]);
    }
    for (const name of names) {
      expect((await ml.getTrainingHistory(name)).history.map((entry) => entry.version)).toEqual([1, 2]);
      expect((await ml.listModelVersions(name)).map((v) => v.version).sort()).toEqual([1, 2]);
    }
  });

  it("reads each model's own resource when models on two resources train at once, with the plugin's own S3 client turned off", async () => {
    const schema = { attributes: { cost: 'number', demand: 'number', price: 'number' } };
    // One after another: s3db.js's own concurrent createResource calls count failures on this handler.
    const north = await db.createResource({ name: 'north', ...schema });
    const south = await db.createResource({ name: 'south', ...schema });
    await north.insertMany(productRows(30, 21));
    await south.insertMany(productRows(45, 22));
    const model = (resource) => ({ type: 'regression', resource, features: ['cost', 'demand'], target: 'price' });
    const ml = new MLPlugin({ logLevel: 'silent', backend: 'cpu', storage: { native: false }, models: { north: model('north'), south: model('south') } });
    await db.usePlugin(ml);
    for (let round = 0; round < 3; round++) {
      const [fromNorth, fromSouth] = await Promise.all([ml.train('north', { full: true }), ml.train('south', { full: true })]);
      expect([fromNorth.read.listed, fromSouth.read.listed]).toEqual([30, 45]);
      expect([fromNorth.samples, fromSouth.samples]).toEqual([30, 45]);
    }
  });

  it('lists key ranges through the s3db.js client without one range getting another one\'s keys', async () => {
    const prefix = 'resource=products/data/';
    const idOf = (key) => key.slice(key.lastIndexOf('/id=') + 4);
    const ids = (await db.client.getAllKeys({ prefix })).map(idOf).sort();
    const listed = [];
    const collect = (key) => listed.push(idOf(key));
    // Bounds between records, 7 keys a LIST call: ranges that page, several of them at once.
    const bounds = [ids[9], ids[20], ids[33], ids[47]];
    expect(await listS3Ranges(db.client, prefix, bounds, new LoopYielder(), collect, { maxKeys: 7 })).toBe(true);
    expect(listed).toEqual(ids);
  });

  it('trains on exactly the records, with the plugin\'s own S3 client turned off', async () => {
    // Over 900 records: the snapshot then splits the next listing into ranges (RANGE_KEYS).
    const many = await db.createResource({ name: 'many', attributes: { cost: 'number', demand: 'number', price: 'number' } });
    await many.insertMany(productRows(960, 12));
    const ml = new MLPlugin({
      logLevel: 'silent',
      backend: 'cpu',
      storage: { native: false },
      models: { many: { type: 'regression', resource: 'many', features: ['cost', 'demand'], target: 'price' } },
    });
    await db.usePlugin(ml);
    expect((await ml.train('many')).samples).toBe(960);
    await many.insertMany(productRows(10, 13));
    const again = await ml.train('many');
    expect(again.read).toMatchObject({ mode: 'incremental', listed: 970 });
    expect(again.samples).toBe(970);
  });
});

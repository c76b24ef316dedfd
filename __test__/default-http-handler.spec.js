// s3db.js connects to S3 through its own HTTP handler (ReckerHttpHandler) unless told otherwise,
// and that is what users get. It takes S3's 204 answer to DeleteObject for a network failure:
// each such delete retried for ~3.5 s and counted towards a circuit breaker that, once open,
// fails every request of the application's client for 30 s. The plugin deletes objects of its own
// (the previous training snapshot, its training-lock ticket), so before they went another way two
// trainings made the third fail with "Circuit breaker OPEN". The other S3 tests use the AWS SDK's
// handler, which s3db.js's own record deletes need.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MLPlugin } from '../index.js';
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
});

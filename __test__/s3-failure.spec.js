// The S3 server goes down in the middle of saving a new version: the previous version keeps
// serving, nothing broken is listed, and a rejected promise and an error event say what happened.
import { rmSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { MLPlugin, ModelStorageError, TrainingError } from '../index.js';
import { s3Database, productRows } from './support/db.js';
import { startS3Server } from './support/s3-server.js';

const models = () => ({
  price: { type: 'regression', resource: 'products', features: ['cost', 'demand'], target: 'price', backend: 'cpu', modelConfig: { epochs: 20 } },
});
const probe = { cost: 150, demand: 300 };
let server;
const open = [];

afterAll(async () => {
  for (const db of open) await db.disconnect().catch(() => {});
  await server?.stop();
  if (server) rmSync(server.data, { recursive: true, force: true });
});

it('a save cut off by the server stopping leaves version 1 serving everywhere', async () => {
  server = await startS3Server();
  const db = s3Database({}, server);
  open.push(db);
  await db.connect();
  const products = await db.createResource({ name: 'products', attributes: { cost: 'number', demand: 'number', price: 'number' } });
  await products.insertMany(productRows(60, 1));
  const ml = new MLPlugin({ logLevel: 'silent', models: models() });
  await db.usePlugin(ml);
  expect((await ml.train('price')).version).toBe(1);
  const v1 = await ml.predict('price', probe);

  await products.insertMany(productRows(30, 2));
  // Stop the server the moment the new version's weights start to upload (from Rust, with
  // aws-sdk-s3: the version record would follow through the s3db.js client).
  const model = ml.models.price;
  const saveTo = model.saveTo.bind(model);
  model.saveTo = async (store, key) => {
    if (key.endsWith('/v2.safetensors')) await server.stop();
    return saveTo(store, key);
  };
  const errors = [];
  ml.on('plg:ml:save-error', (e) => errors.push(e));
  const failure = await ml.train('price').catch((e) => e);
  expect(failure).toBeInstanceOf(TrainingError);
  expect(failure.message).toMatch(/trained but could not be saved/);
  // The caller learns what storage said without listening for events, in one line.
  expect(failure.cause).toBeInstanceOf(ModelStorageError);
  expect(failure.message).not.toMatch(/\n/);
  expect(failure.cause.message).not.toMatch(/\n/);
  expect(failure.message.length).toBeLessThan(400);
  expect(errors).toHaveLength(1);
  expect(errors[0].error).toBe(failure.cause);
  expect(errors[0].error.message).toMatch(/S3 PutObject of .*\/v2\.safetensors failed: \S/);
  expect(await ml.predict('price', probe)).toEqual(v1);

  // The server comes back with what it had stored: only version 1, and it is active.
  model.saveTo = saveTo;
  server = await startS3Server({ data: server.data, port: server.port });
  const fresh = new MLPlugin({ logLevel: 'silent', models: models() });
  await fresh.install(db);
  expect((await fresh.listModelVersions('price')).map((v) => [v.version, v.isCurrent])).toEqual([[1, true]]);
  expect(await fresh.predict('price', probe)).toEqual(v1);
}, 240_000);

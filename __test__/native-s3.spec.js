// On a database on real S3, model weights go from Rust straight to the bucket (aws-sdk-s3),
// connected as the s3db.js client is: under the same keys, so each side reads what the other
// wrote; large models as multipart uploads; S3 failures as named errors, the active version
// serving on.
import { createHash } from 'node:crypto';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CostsPlugin } from 's3db.js';
import { MLPlugin, ModelStorageError, TrainingError } from '../index.js';
import { recordGetter } from '../lib/record-objects.js';
import { s3Database, productRows } from './support/db.js';

const MIB = 1 << 20;
const price = (modelConfig = { epochs: 10 }) => ({
  type: 'regression',
  resource: 'products',
  features: ['cost', 'demand'],
  target: 'price',
  backend: 'cpu',
  modelConfig,
});
const probes = productRows(5, 77);
const predictions = (ml, model = 'price') => Promise.all(probes.map((p) => ml.predict(model, p)));
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

let db;
let namespaces = 0;
/** A plugin in its own namespace (or `namespace`), only installed: it loads on first use. */
async function plugin({ namespace = `ns${namespaces++}`, models = { price: price() }, storage } = {}) {
  const ml = new MLPlugin({ logLevel: 'silent', namespace, models, storage });
  await ml.install(db);
  return ml;
}

beforeAll(async () => {
  // One database for the file: connecting to a fresh S3 prefix takes ~14 s.
  db = s3Database();
  await db.connect();
  const products = await db.createResource({ name: 'products', attributes: { cost: 'number', demand: 'number', price: 'number' } });
  await products.insertMany(productRows(80, 5));
});

afterAll(async () => {
  await db?.disconnect();
});

/** Keys the s3db.js client wrote while `fn` ran. */
async function keysPutByClient(fn) {
  const keys = [];
  const putObject = db.client.putObject;
  db.client.putObject = (params) => {
    keys.push(params.key);
    return putObject.call(db.client, params);
  };
  try {
    await fn();
  } finally {
    db.client.putObject = putObject;
  }
  return keys;
}

it('Rust writes the weights to the bucket; the s3db.js client reads them but never wrote them', async () => {
  const ml = await plugin();
  let version;
  const clientKeys = await keysPutByClient(async () => {
    ({ version } = await ml.train('price'));
  });
  expect(await ml._store.weights.path()).toBe('native-s3');

  const { weightsKey, weightsBytes, weightsSha256 } = (await ml._store.record('price', version)).modelData;
  expect(clientKeys.some((key) => key.includes('/models/price/v1'))).toBe(true); // the JSON record
  expect(clientKeys).not.toContain(weightsKey);

  const object = await db.client.getObject(weightsKey);
  const bytes = Buffer.from(await object.Body.transformToByteArray());
  expect(bytes.length).toBe(weightsBytes);
  expect(sha256(bytes)).toBe(weightsSha256);
  expect(bytes.equals(ml.models.price.export({ format: 'safetensors' }))).toBe(true);
});

it('weights written by the s3db.js client load natively, and the other way round', async () => {
  const namespace = 'mixed';
  const viaClient = await plugin({ namespace, storage: { native: false } });
  expect(await viaClient._store.weights.path()).toBe('s3db-client');
  await viaClient.train('price');
  const v1 = await predictions(viaClient);

  const viaRust = await plugin({ namespace });
  expect(await predictions(viaRust)).toEqual(v1);

  await db.resources.products.insertMany(productRows(20, 6));
  expect((await viaRust.train('price')).version).toBe(2);
  const v2 = await predictions(viaRust);
  const readerViaClient = await plugin({ namespace, storage: { native: false } });
  expect(await predictions(readerViaClient)).toEqual(v2);
});

it('a model past the multipart threshold goes up in parts and loads bit-identically', async () => {
  // ~1.6 M f32 parameters: a 6.3 MB file, two parts of 5 MiB at most.
  const wide = {
    type: 'neural-network',
    resource: 'products',
    features: ['cost', 'demand'],
    target: 'price',
    backend: 'cpu',
    modelConfig: { epochs: 1, batchSize: 32, layers: [{ units: 1536 }, { units: 1024 }] },
  };
  const storage = { multipartThreshold: 5 * MIB, partSize: 5 * MIB };
  const ml = await plugin({ namespace: 'wide', models: { wide }, storage });
  // Each request of the upload is announced on the s3db.js client (lib/request-events.js).
  const announced = [];
  const listener = (command, response, input) => input?.Key?.endsWith('.safetensors') && announced.push([command, input.ContentLength ?? 0]);
  db.client.on('cl:response', listener);
  const { version } = await ml.train('wide').finally(() => db.client.off('cl:response', listener));
  const { weightsKey, weightsBytes } = (await ml._store.record('wide', version)).modelData;
  expect(weightsBytes).toBeGreaterThan(5 * MIB);

  // A multipart object's ETag is "<md5 of the part md5s>-<parts>".
  const head = await db.client.client.send(
    new HeadObjectCommand({ Bucket: db.client.config.bucket, Key: `${db.client.config.keyPrefix}/${weightsKey}` }),
  );
  const parts = Number(/-(\d+)"?$/.exec(head.ETag)?.[1]);
  expect(parts).toBeGreaterThanOrEqual(2);
  expect(head.ContentLength).toBe(weightsBytes);
  expect(head.ContentType).toBe('application/octet-stream');
  expect(announced.map(([command]) => command)).toEqual([
    'CreateMultipartUploadCommand',
    ...Array(parts).fill('UploadPartCommand'),
    'CompleteMultipartUploadCommand',
  ]);
  expect(announced.reduce((sum, [, bytes]) => sum + bytes, 0)).toBe(weightsBytes);

  const fresh = await plugin({ namespace: 'wide', models: { wide } });
  expect(await predictions(fresh, 'wide')).toEqual(await predictions(ml, 'wide'));
});

it('wrong credentials reject with ModelStorageError and the active version keeps serving', async () => {
  const namespace = 'creds';
  await (await plugin({ namespace })).train('price');
  const ml = await plugin({ namespace });
  const v1 = await predictions(ml);

  // A native store built while the SDK hands out a wrong key: the s3db.js client keeps working,
  // only Rust's requests are refused.
  const sdk = db.client.client.config;
  const credentials = sdk.credentials;
  sdk.credentials = async () => ({ accessKeyId: 'wrongaccess', secretAccessKey: 'wrongsecret123' });
  let refused;
  try {
    ml._store._weightsStore = null;
    expect(await ml._store.weights.path()).toBe('native-s3');
    refused = await ml._store.weights.store();
  } finally {
    sdk.credentials = credentials;
  }

  // Refused from the start: Rust lists and GETs the records too, so the read fails, saying why.
  const readFailure = await ml.train('price').catch((e) => e);
  expect(readFailure).toBeInstanceOf(TrainingError);
  expect(readFailure.message).toMatch(/Failed to fetch training data for "price": S3 ListObjectsV2 .* failed: .*HTTP 403/);

  // Refused once the records are read (the read gets a working store, everything after it the
  // refused one): the new version cannot be saved.
  ml._store._weightsStore = null;
  const weights = ml._store.weights;
  const working = await weights.store();
  let stores = 0;
  weights.store = async () => (stores++ === 0 ? working : refused);
  const errors = [];
  ml.on('plg:ml:save-error', (e) => errors.push(e.error));
  const failure = await ml.train('price').catch((e) => e);
  expect(failure).toBeInstanceOf(TrainingError);
  expect(failure.message).toMatch(/could not be saved/);
  expect(errors[0]).toBeInstanceOf(ModelStorageError);
  expect(errors[0]).toMatchObject({ notFound: false, httpStatus: 403, operation: 'PutObject' });
  expect(errors[0].s3Code).toBeTruthy();

  expect(await predictions(ml)).toEqual(v1);
  expect((await ml.listModelVersions('price')).map((v) => [v.version, v.isCurrent])).toEqual([[1, true]]);
  await expect(ml.loadModelVersion('price', 1)).rejects.toThrow(/could not be loaded.*S3 GetObject/s);
});

it('a missing weights object is a distinct not-found error', async () => {
  const ml = await plugin({ namespace: 'missing' });
  await ml.train('price');
  const model = ml.models.price;
  const store = await ml._store.weights.store();
  const failure = await model.loadFrom(store, 'plugin=ml/nothing/here.safetensors', { bytes: 1, sha256: '00' }).catch((e) => e);
  expect(failure).toBeInstanceOf(ModelStorageError);
  expect(failure).toMatchObject({ notFound: true, statusCode: 404 });
  expect(model.isTrained).toBe(true);
});

// A bulk read GETs records with the native client and hands the answer to s3db.js to decode
// (lib/record-objects.js): every record must come out exactly as s3db.js's own get() returns it,
// whatever its fields hold and wherever its behavior keeps them (metadata, body, both).
it('records fetched natively and decoded by s3db.js equal resource.get()', async () => {
  const ml = await plugin();
  const store = await ml._store.weights.store();
  expect(store.readsBucket).toBe(true);
  const attributes = {
    name: 'string',
    note: 'string|optional',
    count: 'number',
    ratio: 'number|optional',
    active: 'boolean',
    tags: 'array|items:string',
    profile: { city: 'string', zip: 'string|optional' },
    seen: 'number|optional',
  };
  const values = [
    { name: 'plain', count: 1, active: true, tags: ['a'], profile: { city: 'Lisbon' } },
    { name: 'ünïcødé ✓ 日本 🚀', note: 'line\nbreak, "quotes", commas', count: -0.5, ratio: 1e-12, active: false, tags: [], profile: { city: 'São Paulo', zip: '01310-100' } },
    { name: ' padded ', note: '', count: 1e21, ratio: 0, active: true, tags: ['x y', 'ç'], profile: { city: 'z' }, seen: 1772600767089 },
    // Larger than S3's 2 KB of metadata: body-overflow moves fields into the body.
    { name: 'big', note: 'é'.repeat(3000), count: 42, active: false, tags: ['t'.repeat(500)], profile: { city: 'x'.repeat(800) } },
  ];
  for (const behavior of ['body-overflow', 'body-only', 'enforce-limits', 'truncate-data', 'user-managed']) {
    const resource = await db.createResource({ name: `shapes_${behavior.replace('-', '_')}`, attributes, behavior });
    const ids = [];
    for (const value of values) {
      const inserted = await resource.insert(value).catch(() => null); // enforce-limits refuses the big one
      if (inserted) ids.push(inserted.id);
    }
    expect(ids.length).toBeGreaterThanOrEqual(3);
    const { get } = recordGetter(resource, store);
    const records = [];
    for (const id of ids) {
      const record = await get(id);
      expect(record).toStrictEqual(await resource.get(id));
      records.push(record);
    }
    // The body path was taken where the behavior puts fields there.
    if (behavior === 'body-only' || behavior === 'body-overflow') expect(records.some((r) => r._hasContent)).toBe(true);
    expect(await get('no-such-id')).toBeNull();
  }
});

// What the native client sends is announced on the s3db.js client as its own requests are
// (lib/request-events.js): s3db.js's CostsPlugin, which counts them, must see the same requests
// whether the records, listings and weights went through Rust or through s3db.js, with the same
// bytes for the records and the weights.
it("s3db.js's CostsPlugin counts the same requests for a native training as for one through the s3db.js client", async () => {
  const costs = new CostsPlugin();
  await db.usePlugin(costs);
  const counts = () => ({ ...costs.costs.requests.events });
  /** Requests by command while `fn` runs, and the bytes of each record and weights object. */
  const during = async (fn) => {
    const before = counts();
    const bytes = {};
    const listener = (command, response, input) => {
      const key = input?.Key ?? '';
      const sent = input?.Body?.length ?? 0;
      if (key.includes('/data/id=') || key.endsWith('.safetensors')) bytes[`${command} ${key.replace(/costs-\w+/, 'NS')}`] = sent || response?.ContentLength;
    };
    db.client.on('cl:response', listener);
    try {
      await fn();
    } finally {
      db.client.off('cl:response', listener);
    }
    const after = counts();
    const requests = Object.fromEntries(Object.keys(after).map((name) => [name, after[name] - (before[name] ?? 0)]).filter(([, n]) => n > 0));
    return { requests, bytes };
  };
  try {
    const trainAndLoad = async (storage) => {
      const namespace = `costs-${storage ? 'client' : 'native'}`;
      const trainer = await plugin({ namespace, storage });
      await trainer.train('price');
      // A second instance loads the stored weights.
      const reader = await plugin({ namespace, storage });
      await reader.predict('price', probes[0]);
    };
    const native = await during(() => trainAndLoad(undefined));
    const viaClient = await during(() => trainAndLoad({ native: false }));
    // Every record's GET, with its size.
    const records = (run) => Object.fromEntries(Object.entries(run.bytes).filter(([key]) => key.includes('/data/id=')));
    expect(Object.keys(records(native))).toHaveLength(await db.resources.products.count());
    expect(records(native)).toEqual(records(viaClient));
    // The weights' PUT and GET, with the stored object's size (its bytes differ between the two
    // trainings: the safetensors header records how each was trained).
    const weights = Object.entries(native.bytes).filter(([key]) => key.endsWith('.safetensors'));
    expect(weights.map(([key]) => key.split(' ')[0]).sort()).toEqual(['GetObjectCommand', 'PutObjectCommand']);
    const { ContentLength: stored } = await db.client.client.send(
      new HeadObjectCommand({ Bucket: db.client.config.bucket, Key: weights[0][0].split(' ')[1].replace('NS', 'costs-native') }),
    );
    expect(weights.map(([, bytes]) => bytes)).toEqual([stored, stored]);
    expect(native.requests.GetObjectCommand).toBeGreaterThan(Object.keys(records(native)).length);
    expect(native.requests).toEqual(viaClient.requests);
  } finally {
    await costs.stop?.();
  }
});

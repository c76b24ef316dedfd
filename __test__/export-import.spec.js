// exportModel/importModel: self-contained JSON and safetensors, identical predictions after a
// round trip, and damaged or foreign input rejected with named errors, never a crash.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MLPlugin, DataValidationError, ModelConfigError, ModelNotTrainedError } from '../index.js';
import { memoryDatabase, productRows, emailRows } from './support/db.js';
import { referencePython } from './support/python.js';

const models = () => ({
  price: { type: 'regression', resource: 'products', features: ['cost', 'demand'], target: 'price', modelConfig: { epochs: 20, polynomial: 2, units: 8 } },
  spam: { type: 'classification', resource: 'emails', features: ['wordCount', 'linkCount', 'capsRatio'], target: 'label', modelConfig: { epochs: 10 } },
});

let db;
let source;
let target;
const probes = productRows(20, 55);

beforeAll(async () => {
  db = memoryDatabase();
  await db.connect();
  await (await db.createResource({ name: 'products', attributes: { cost: 'number', demand: 'number', price: 'number' } })).insertMany(productRows(200, 5));
  await (
    await db.createResource({ name: 'emails', attributes: { wordCount: 'number', linkCount: 'number', capsRatio: 'number', label: 'string' } })
  ).insertMany(emailRows(200, 6));
  source = new MLPlugin({ logLevel: 'silent', backend: 'cpu', models: models() });
  // Its own namespace: it must not load the models `source` stores.
  target = new MLPlugin({ logLevel: 'silent', backend: 'cpu', namespace: 'target', models: models() });
  await source.install(db);
  await target.install(db);
  await source.train('price');
  await source.train('spam');
});

afterAll(async () => {
  await db.disconnect();
});

describe('exportModel / importModel', () => {
  it('an untrained model exports null', async () => {
    expect(await target.exportModel('price')).toBeNull();
  });

  it('JSON round trip gives bit-identical predictions', async () => {
    const data = JSON.parse(JSON.stringify(await source.exportModel('price')));
    expect(data).toMatchObject({ format: 's3db-ml', type: 'regression', isTrained: true });
    expect(typeof data.model).toBe('string');
    await target.importModel('price', data);
    for (const input of probes) {
      expect(await target.predict('price', input)).toEqual(await source.predict('price', input));
    }
    expect(target.getModelStats('price').samples).toBe(200);
    const spam = await source.exportModel('spam');
    await target.importModel('spam', spam);
    const email = { wordCount: 150, linkCount: 4, capsRatio: 0.3 };
    expect(await target.predict('spam', email)).toEqual(await source.predict('spam', email));
  });

  it('safetensors export is a standard safetensors file', async () => {
    const bytes = await source.exportModel('price', { format: 'safetensors' });
    expect(Buffer.isBuffer(bytes)).toBe(true);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect((8 + headerLength) % 8).toBe(0);
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
    expect(header.__metadata__.format).toBe('s3db-ml');
    const dataLength = bytes.length - 8 - headerLength;
    const tensors = Object.entries(header).filter(([name]) => name !== '__metadata__');
    expect(tensors.map(([name]) => name)).toContain('layers.0.weight');
    for (const [, t] of tensors) {
      const size = t.shape.reduce((a, b) => a * b, 1) * (t.dtype === 'F64' ? 8 : 4);
      expect(t.data_offsets[1] - t.data_offsets[0]).toBe(size);
      expect(t.data_offsets[1]).toBeLessThanOrEqual(dataLength);
    }
    // polynomial 2 over 2 features = 5 inputs, 8 hidden units.
    expect(header['layers.0.weight'].shape).toEqual([5, 8]);

    // The reference reader, when a Python with `safetensors` is provided (CI provides one).
    const python = referencePython();
    if (python) {
      const file = join(mkdtempSync(join(tmpdir(), 's3db-ml-st-')), 'model.safetensors');
      writeFileSync(file, bytes);
      const script = 'import sys, json\nfrom safetensors.numpy import load_file\nt = load_file(sys.argv[1])\nprint(json.dumps({k: list(v.shape) for k, v in t.items()}))';
      const shapes = JSON.parse(execFileSync(python, ['-c', script, file], { encoding: 'utf8' }));
      expect(shapes['layers.0.weight']).toEqual([5, 8]);
      expect(Object.keys(shapes).length).toBe(tensors.length);
    }
    await target.importModel('price', bytes);
    expect(await target.predict('price', probes[0])).toEqual(await source.predict('price', probes[0]));
  });

  describe('damaged or foreign input is rejected and changes nothing', () => {
    let valid;
    let before;
    beforeAll(async () => {
      valid = await source.exportModel('price', { format: 'safetensors' });
      await target.importModel('price', valid);
      before = await target.predict('price', probes[0]);
    });

    const cases = [
      ['a string', () => 'not a model', DataValidationError],
      ['an empty buffer', () => Buffer.alloc(0), DataValidationError],
      ['truncated weights', () => valid.subarray(0, valid.length - 7), DataValidationError],
      ['an absurd header length', () => Buffer.concat([Buffer.from([255, 255, 255, 255, 255, 255, 255, 127]), valid.subarray(8)]), DataValidationError],
      ['random bytes', () => Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)), DataValidationError],
      ['garbage base64', () => ({ format: 's3db-ml', model: '!!!not base64!!!' }), DataValidationError],
    ];
    for (const [what, make, ErrorClass] of cases) {
      it(what, async () => {
        await expect(target.importModel('price', make())).rejects.toBeInstanceOf(ErrorClass);
        expect(await target.predict('price', probes[0])).toEqual(before);
      });
    }

    it('a model of another type or other features', async () => {
      const spam = await source.exportModel('spam');
      const error = await target.importModel('price', spam).catch((e) => e);
      expect(error).toBeInstanceOf(ModelConfigError);
      expect(error.message).toMatch(/imported one is a Classification model/);
      expect(await target.predict('price', probes[0])).toEqual(before);
    });
  });

  it('resource.ml.export/import go through the same path', async () => {
    const exported = await db.resources.products.ml.export('price');
    expect(exported.format).toBe('s3db-ml');
  });

  it('predicting from a disposed model is ModelNotTrainedError until imported again', async () => {
    const data = await source.exportModel('price');
    target.models.price.dispose();
    await expect(target.predict('price', probes[0])).rejects.toBeInstanceOf(ModelNotTrainedError);
    await target.importModel('price', data);
    expect((await target.predict('price', probes[0])).prediction).toBeTypeOf('number');
  });
});

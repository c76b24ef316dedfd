// Backend choice: 'cpu' is always there; 'auto' never fails; 'wgpu' trains on a Vulkan adapter
// (CI installs Mesa's software driver and sets S3DB_ML_REQUIRE_WGPU=1) or fails with a named error.
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MLPlugin,
  NeuralNetworkModel,
  TimeSeriesModel,
  backendInfo,
  ComputeBackendUnavailableError,
  TensorFlowDependencyError,
} from '../index.js';
import { memoryDatabase, productRows, emailRows } from './support/db.js';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

describe('backend selection', () => {
  it("'cpu' resolves to the CPU backend", async () => {
    expect(await backendInfo('cpu')).toMatchObject({ backend: 'cpu' });
  });

  it("'auto' resolves, and uses wgpu only on a hardware adapter", async () => {
    const info = await backendInfo('auto');
    expect(['cpu', 'wgpu']).toContain(info.backend);
    if (info.backend === 'wgpu') expect(info.hardware).toBe(true);
    expect(info.reason.length).toBeGreaterThan(5);
  });

  it('looks for a GPU without printing anything, on a machine without a display', () => {
    // Mesa's device-select layer printed XDG_RUNTIME_DIR errors there (where it is installed).
    const env = { ...process.env };
    for (const name of ['XDG_RUNTIME_DIR', 'WAYLAND_DISPLAY', 'DISPLAY', 'NODEVICE_SELECT']) delete env[name];
    const script = "const { backendInfo } = await import('./index.js'); const info = await backendInfo('auto'); console.log(JSON.stringify(info));";
    const probe = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env, encoding: 'utf8' });
    expect(probe.status, probe.stderr).toBe(0);
    expect(JSON.parse(probe.stdout)).toMatchObject({ backend: expect.stringMatching(/^(cpu|wgpu)$/) });
    expect(probe.stderr.replace(/\(node:\d+\) Warning: NodeVersionSupportWarning[\s\S]*?--trace-warnings[^\n]*\n/, '')).toBe('');
  });
});

// On Mesa's software Vulkan driver most of a wgpu training is compiling its kernels, whose
// generators the build compiles at opt-level 0 (docs/build-time.md): 46 to 92 s on a nearly
// idle 2-core machine, too close to the suite's 120 s default.
const WGPU_TRAINING_TIMEOUT = 300_000;

describe("backend 'wgpu'", () => {
  let db;
  let wgpu;
  beforeAll(async () => {
    db = memoryDatabase();
    await db.connect();
    await (await db.createResource({ name: 'products', attributes: { cost: 'number', demand: 'number', price: 'number' } })).insertMany(productRows(64, 4));
    await (
      await db.createResource({ name: 'emails', attributes: { wordCount: 'number', linkCount: 'number', capsRatio: 'number', label: 'string' } })
    ).insertMany(emailRows(64, 4));
    wgpu = await backendInfo('wgpu').catch((e) => e);
  });
  afterAll(async () => {
    await db.disconnect();
  });

  it('is available where required, else fails with ComputeBackendUnavailableError', async () => {
    if (wgpu instanceof Error) {
      expect(process.env.S3DB_ML_REQUIRE_WGPU).toBeUndefined();
      expect(wgpu).toBeInstanceOf(ComputeBackendUnavailableError);
      expect(wgpu).toBeInstanceOf(TensorFlowDependencyError);
      const ml = new MLPlugin({ logLevel: 'silent', backend: 'wgpu' });
      await expect(ml.install(db)).rejects.toBeInstanceOf(ComputeBackendUnavailableError);
    } else {
      expect(wgpu.backend).toBe('wgpu');
    }
  });

  // Without a Vulkan driver (and without S3DB_ML_REQUIRE_WGPU) the previous test covers the
  // failure; this one then checks that a wgpu model fails to train with the same named error.
  it('trains regression and classification like the CPU backend', async () => {
    const models = (backend) => ({
      price: { type: 'regression', resource: 'products', features: ['cost', 'demand'], target: 'price', backend, modelConfig: { epochs: 3, batchSize: 16 } },
      spam: { type: 'classification', resource: 'emails', features: ['wordCount', 'linkCount', 'capsRatio'], target: 'label', backend, modelConfig: { epochs: 3, batchSize: 16, dropout: 0 } },
    });
    const onGpu = new MLPlugin({ logLevel: 'silent', models: models('wgpu') });
    const onCpu = new MLPlugin({ logLevel: 'silent', models: models('cpu') });
    await onCpu.install(db);
    await onGpu.install(db);
    if (wgpu instanceof Error) {
      await expect(onGpu.train('price')).rejects.toBeInstanceOf(ComputeBackendUnavailableError);
      return;
    }
    for (const name of ['price', 'spam']) {
      const gpu = await onGpu.train(name);
      const cpu = await onCpu.train(name);
      expect(gpu.backend).toBe('wgpu');
      // Linear regression is the exact least-squares fit on either backend (issue 10); a network
      // trains on two engines (Burn on the GPU, the native dense engine on the CPU), the same way,
      // and a classification keeps it only where it beats the logistic regression on held-out rows.
      if (name === 'price') expect([gpu.engine, cpu.engine]).toEqual(['least-squares', 'least-squares']);
      else {
        expect(['burn', 'logistic-regression']).toContain(gpu.engine);
        expect(['native', 'logistic-regression']).toContain(cpu.engine);
      }
      expect(gpu.loss).toBeCloseTo(cpu.loss, 3);
    }
    const input = { cost: 100, demand: 300 };
    const [g, c] = [await onGpu.predict('price', input), await onCpu.predict('price', input)];
    expect(Math.abs(g.prediction - c.prediction)).toBeLessThan(0.05 * Math.abs(c.prediction));
    // A model trained on wgpu, loaded into a CPU instance, predicts exactly the same: inference
    // runs in the same engine whichever backend trained the weights.
    await onCpu.importModel('price', await onGpu.exportModel('price'));
    expect(await onCpu.predict('price', input)).toEqual(await onGpu.predict('price', input));
  }, WGPU_TRAINING_TIMEOUT);

  it('trains a network and an LSTM like the CPU backend', async () => {
    const net = (backend) =>
      new NeuralNetworkModel({
        name: 'net', type: 'neural-network', features: ['cost', 'demand'], target: 'price', backend,
        modelConfig: { epochs: 2, batchSize: 16, layers: [{ units: 8, batchNormalization: true, dropout: 0 }] },
      });
    const lstm = (backend) =>
      new TimeSeriesModel({
        name: 'lstm', type: 'timeseries', features: ['cost'], target: 'price', backend, timeField: 't',
        modelConfig: { epochs: 2, batchSize: 8, lookback: 3, lstmUnits: 4, denseUnits: 4, dropout: 0, recurrentDropout: 0 },
      });
    const rows = productRows(40, 8);
    const series = rows.map((r, t) => ({ ...r, t }));
    if (wgpu instanceof Error) {
      await expect(net('wgpu').train(rows)).rejects.toBeInstanceOf(ComputeBackendUnavailableError);
      await expect(lstm('wgpu').train(series)).rejects.toBeInstanceOf(ComputeBackendUnavailableError);
      return;
    }
    // Batch normalisation trains through Burn on the CPU as well; the LSTM on the native engine.
    for (const [make, data, cpuEngine] of [
      [net, rows, 'burn'],
      [lstm, series, 'native'],
    ]) {
      const gpu = await make('wgpu').train(data);
      const cpu = await make('cpu').train(data);
      expect(gpu.backend).toBe('wgpu');
      expect([gpu.engine, cpu.engine]).toEqual(['burn', cpuEngine]);
      expect(gpu.loss).toBeCloseTo(cpu.loss, 3);
    }
  }, WGPU_TRAINING_TIMEOUT);
});

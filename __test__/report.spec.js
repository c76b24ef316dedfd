// ml.report(): one self-contained HTML page per model version. Checks each model type's page
// (its charts, nothing external, header numbers equal to the training result), reports of stored
// versions from another instance, a version stored before reports kept their data, the errors,
// and finally every page in a real headless Chromium.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { MLPlugin, MLError, ModelNotFoundError, ModelNotTrainedError, DataValidationError } from '../index.js';
import { memoryDatabase, productRows, seeded } from './support/db.js';

const DAY = 86_400_000;
/** Every page drawn here, by name, for the browser test at the end. */
const pages = new Map();

function zones(n, seed) {
  const random = seeded(seed);
  return Array.from({ length: n }, () => {
    const x = random() * 10;
    const y = random() * 10;
    // Noisy borders, so the matrix has off-diagonal cells and calibration has something to fix.
    const noisy = random() < 0.12;
    const zone = x + y < 8 ? 'low' : x > y ? 'east' : 'north';
    return { x, y, zone: noisy ? ['low', 'east', 'north'][Math.floor(random() * 3)] : zone };
  });
}

function salesDay(t) {
  return {
    day: new Date(Date.UTC(2025, 0, 1) + t * DAY).toISOString(),
    temperature: 20 + 5 * Math.sin(t / 30),
    sales: 200 + 0.8 * t + 30 * Math.sin((2 * Math.PI * t) / 7),
  };
}

const models = () => ({
  price: {
    type: 'regression',
    resource: 'products',
    features: ['cost', 'demand'],
    target: 'price',
    modelConfig: { epochs: 40, learningRate: 0.05, earlyStopping: { patience: 5 } },
  },
  zone: { type: 'classification', resource: 'points', features: ['x', 'y'], target: 'zone', modelConfig: { epochs: 40, units: 32 } },
  sales: {
    type: 'timeseries',
    resource: 'sales',
    features: ['temperature'],
    target: 'sales',
    timeField: 'day',
    modelConfig: { lookback: 7, lstmUnits: 16, denseUnits: 8, epochs: 25, batchSize: 16, dropout: 0, recurrentDropout: 0 },
  },
  curve: {
    type: 'neural-network',
    resource: 'products',
    features: ['cost', 'demand'],
    target: 'price',
    modelConfig: { epochs: 20, layers: [{ units: 16, activation: 'relu' }] },
  },
  idle: { type: 'regression', resource: 'products', features: ['cost'], target: 'price' },
});
const options = () => ({ logLevel: 'silent', backend: 'cpu', namespace: 'shop', models: models() });

/** The expected chart ids of each type's page, in order (every trained version carries its feature importance). */
const CHARTS = {
  price: ['loss', 'predicted-actual', 'residuals', 'importance'],
  zone: ['loss', 'confusion', 'per-label', 'reliability', 'importance'],
  sales: ['loss', 'forecast', 'residuals', 'importance'],
  curve: ['loss', 'predicted-actual', 'residuals', 'importance'],
};

let db;
let ml;
const results = {};

beforeAll(async () => {
  db = memoryDatabase();
  await db.connect();
  await (await db.createResource({ name: 'products', attributes: { cost: 'number', demand: 'number', price: 'number' } })).insertMany(productRows(300, 21));
  await (await db.createResource({ name: 'points', attributes: { x: 'number', y: 'number', zone: 'string' } })).insertMany(zones(400, 4));
  await (await db.createResource({ name: 'sales', attributes: { day: 'string', temperature: 'number', sales: 'number' } })).insertMany(
    Array.from({ length: 200 }, (_, t) => salesDay(t)),
  );
  ml = new MLPlugin(options());
  await db.usePlugin(ml, 'mlreport');
  for (const name of Object.keys(CHARTS)) results[name] = await ml.train(name);
});

afterAll(async () => {
  await db.disconnect();
});

/** The `data-value` of a header metric card or fact. */
function headerValue(html, attribute, name) {
  const match = html.match(new RegExp(`data-${attribute}="${name}" data-value="([^"]*)"`));
  return match ? match[1] : undefined;
}

function chartIds(html) {
  return [...html.matchAll(/<figure class="chart" id="chart-[^"]+" data-chart="([^"]+)"/g)].map((m) => m[1]);
}

/** Everything a page might load: it must load nothing. */
function externalReferences(html) {
  const refs = [];
  for (const m of html.matchAll(/\b(?:src|href|xlink:href|action|poster)\s*=\s*"([^"]*)"/gi)) if (!m[1].startsWith('#')) refs.push(m[0]);
  for (const m of html.matchAll(/url\(\s*['"]?([^)'"]*)/gi)) if (!m[1].startsWith('#')) refs.push(m[0]);
  for (const m of html.matchAll(/https?:\/\/[^\s"'<>)]*/g)) if (!/^http:\/\/www\.w3\.org\/(2000\/svg|1999\/xlink)$/.test(m[0])) refs.push(m[0]);
  for (const tag of ['<script', '<link', '<iframe', '<img', '@import', '@font-face']) if (html.includes(tag)) refs.push(tag);
  return refs;
}

describe('the page of each model type', () => {
  for (const name of Object.keys(CHARTS)) {
    it(`${name}: charts present, nothing external, header equal to the training result`, async () => {
      const html = await ml.report(name);
      pages.set(name, html);
      const result = results[name];
      expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
      expect(chartIds(html)).toEqual(CHARTS[name]);
      // Each chart is inline SVG, drawn wide and for a phone.
      expect(html.match(/<svg [^>]*viewBox="0 0 \d+ \d+"/g)).toHaveLength(2 * CHARTS[name].length);
      const ids = [...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
      expect(new Set(ids).size).toBe(ids.length);
      expect(externalReferences(html)).toEqual([]);
      expect(html).not.toMatch(/class="missing"/);
      // The preprocessing table, when the training reported its preprocessing.
      expect(html.includes('id="preprocessing"')).toBe(Boolean(result.preprocessing && Object.keys(result.preprocessing).length));
      for (const feature of Object.keys(result.preprocessing ?? {})) expect(html).toContain(`<th scope="row"><code>${feature}</code></th>`);

      expect(Number(headerValue(html, 'field', 'version'))).toBeNaN(); // the version is text: "version N"
      expect(html).toContain(`data-field="version">version ${result.version}<`);
      expect(Number(headerValue(html, 'field', 'samples'))).toBe(result.samples);
      expect(Number(headerValue(html, 'field', 'epochs'))).toBe(result.epochs);
      expect(headerValue(html, 'field', 'backend')).toBe(result.backend);
      expect(Number(headerValue(html, 'metric', 'loss'))).toBe(result.loss);
      expect(Number(headerValue(html, 'metric', 'valLoss'))).toBe(result.valLoss);
      if (name === 'zone') {
        expect(Number(headerValue(html, 'metric', 'accuracy'))).toBe(result.accuracy);
        expect(Number(headerValue(html, 'metric', 'accuracy'))).toBe(result.metrics.accuracy);
        expect(html).toContain(`${result.metrics.correct} of ${result.metrics.total} held-out rows right`);
        // Every cell of the confusion matrix is written on the heat map.
        for (const count of Object.values(result.metrics.matrix).flatMap(Object.values)) expect(html).toContain(`>${count}</text>`);
        expect(html).toMatch(/After temperature scaling, T = \d\.\d\d/);
      } else {
        for (const metric of ['r2', 'mae', 'rmse', 'mape']) {
          expect(Number(headerValue(html, 'metric', metric)), metric).toBe(result.metrics[metric]);
        }
        expect(html).toMatch(/of held-out rows inside the 90% interval/);
      }
    });
  }

  it('marks the epoch whose weights early stopping kept', async () => {
    const { bestEpoch, epochs, stoppedEarly } = results.price;
    const html = pages.get('price');
    if (bestEpoch < epochs) expect(html).toContain(`Weights kept from epoch ${bestEpoch}`);
    else expect(html).not.toContain('Weights kept from epoch');
    expect(html.includes('Early stopping ended training')).toBe(stoppedEarly);
  });

  it('draws an exact fit’s flat losses from 0 and says why they are flat', async () => {
    expect(results.price.engine).toBe('least-squares');
    const [loss] = (await ml.report('price', { format: 'svg' })).filter((c) => c.id === 'loss');
    expect(loss.caption).toContain('the exact least-squares fit, solved in the first epoch');
    expect(loss.svg).toMatch(/>0<\/text>/);
    // A network's falling losses keep an axis fitted to them.
    const [curve] = (await ml.report('zone', { format: 'svg' })).filter((c) => c.id === 'loss');
    expect(curve.caption).not.toContain('least-squares');
  });

  it("format 'svg' returns the charts alone", async () => {
    const charts = await ml.report('zone', { format: 'svg' });
    expect(charts.map((c) => c.id)).toEqual(CHARTS.zone);
    for (const chart of charts) {
      expect(chart.svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      expect(chart.svg.trim().endsWith('</svg>')).toBe(true);
      expect(typeof chart.title).toBe('string');
    }
  });

  it('resource.ml.report(target) draws the same model', async () => {
    const html = await db.resources.points.ml.report('zone');
    expect(chartIds(html)).toEqual(CHARTS.zone);
    expect(Number(headerValue(html, 'metric', 'accuracy'))).toBe(results.zone.accuracy);
  });
});

describe("the forecast chart's time axis", () => {
  it('places each held-out forecast at its record’s date, on this instance and on another', async () => {
    const { points } = ml.models.sales._native.trainingReport().diagnostics;
    const { trainSamples } = results.sales;
    const lookback = models().sales.modelConfig.lookback;
    // The records were inserted in day order, so record t of the series is day t; held-out
    // window i (after the training windows) forecasts record trainSamples + lookback + i.
    const expected = points.index.map((i) => Date.parse(salesDay(trainSamples + lookback + i).day));
    expect(points.time).toEqual({ field: 'day', dates: true, values: expected });

    const other = new MLPlugin(options());
    await other.install(db);
    const [forecast] = (await other.report('sales', { format: 'svg' })).filter((c) => c.id === 'forecast');
    expect(forecast.svg).toContain('>day</text>');
    expect(forecast.svg).not.toContain('Record');
    // A date axis labels days of 2025 (the held-out days are in June and July).
    expect(forecast.svg).toMatch(/>(Jun|Jul) \d{1,2}<\/text>/);
  });
});

describe('stored versions', () => {
  it('draws any stored version on another instance, and an older one while a newer serves', async () => {
    const first = results.price;
    const second = await ml.train('price', {});
    results.priceSecond = second;
    expect(second.version).toBe(first.version + 1);

    const other = new MLPlugin(options());
    await other.install(db);
    const current = await other.report('price');
    expect(current).toContain(`data-field="version">version ${second.version}<`);
    expect(Number(headerValue(current, 'metric', 'r2'))).toBe(second.metrics.r2);
    // How each version's records were read: the second training found nothing changed.
    expect(second.read).toMatchObject({ mode: 'incremental', fetched: 0, reused: 300 });
    expect(headerValue(current, 'field', 'read')).toBe('incremental');
    expect(current).toMatch(/>0 new or changed fetched, 300 reused from the training snapshot in (\d+ ms|under 1 ms|[\d.]+ s)</);

    const older = await other.report('price', { version: first.version });
    expect(older).toContain(`data-field="version">version ${first.version}<`);
    expect(Number(headerValue(older, 'metric', 'r2'))).toBe(first.metrics.r2);
    expect(Number(headerValue(older, 'metric', 'rmse'))).toBe(first.metrics.rmse);
    expect(headerValue(older, 'field', 'read')).toBe('full');
    expect(older).toMatch(/>all 300 fetched in (\d+ ms|under 1 ms|[\d.]+ s)</);
    expect(chartIds(older)).toEqual(CHARTS.price);
    // Reading the older version left the serving one alone.
    expect(await other.predict('price', { cost: 100, demand: 500 })).toEqual(await ml.predict('price', { cost: 100, demand: 500 }));
  });

  it('a version stored before reports kept their data gets the charts it can, and says what is missing', async () => {
    const bytes = await ml.exportModel('price', { format: 'safetensors' });
    await ml.importModel('price', withoutReportData(bytes));
    const [latest] = (await ml.listModelVersions('price')).slice(-1);
    const html = await ml.report('price', { version: latest.version });
    // Its feature importance travels with the weights, so its bars are drawn.
    expect(chartIds(html)).toEqual(['loss', 'importance']);
    expect(html).toMatch(/<p class="missing" role="note">This version was trained before s3db-ml kept report data/);
    // Its numbers are those of the training it was exported from (the one serving), in the
    // version's record too.
    expect(latest.metrics.heldOut.r2).toBeCloseTo(results.priceSecond.metrics.r2, 12);
    expect(Number(headerValue(html, 'metric', 'r2'))).toBeCloseTo(results.priceSecond.metrics.r2, 12);
    expect(externalReferences(html)).toEqual([]);
    pages.set('old-version', html);
  });
});

describe('bad input', () => {
  it('names what is wrong', async () => {
    await expect(ml.report('nope')).rejects.toBeInstanceOf(ModelNotFoundError);
    await expect(ml.report('idle')).rejects.toBeInstanceOf(ModelNotTrainedError);
    const missing = ml.report('price', { version: 99 });
    await expect(missing).rejects.toBeInstanceOf(ModelNotFoundError);
    await expect(missing).rejects.toThrow(/Version 99 of model "price" not found/);
    await expect(ml.report('price', { version: 0 })).rejects.toBeInstanceOf(DataValidationError);
    await expect(ml.report('price', { format: 'pdf' })).rejects.toBeInstanceOf(DataValidationError);
    await expect(db.resources.points.ml.report('nothing')).rejects.toBeInstanceOf(ModelNotFoundError);
  });

  it('a model whose training was not stored still reports, as not stored', async () => {
    const unsaved = new MLPlugin({ logLevel: 'silent', backend: 'cpu', saveModel: false, models: { price: models().price } });
    await unsaved.install(db);
    await unsaved.train('price');
    const html = await unsaved.report('price');
    expect(html).toContain('data-field="version">not stored<');
    await expect(unsaved.report('price', { version: 1 })).rejects.toBeInstanceOf(ModelNotFoundError);
  });
});

describe('sections drawn when a version carries their data', () => {
  it('feature importance bars and the preprocessing table', async () => {
    const { reportData } = await import('../lib/report/report-data.js');
    const { reportCharts } = await import('../lib/report/charts.js');
    const { drawCharts } = await import('../lib/report/draw.js');
    const { renderPage } = await import('../lib/report/page.js');
    const plain = reportData(ml.models.zone, { modelName: 'zone', version: 1 });
    // The importance measured after training (issue 15), most important first.
    expect(plain.importance.map((r) => r.feature).sort()).toEqual([...ml.models.zone.config.features].sort());
    // What preparing the records did, as the training result reported it (when records are prepared).
    expect(plain.preprocessing ?? null).toEqual(results.zone.preprocessing ?? null);
    expect(reportCharts(plain).map((c) => c.id)).toEqual(CHARTS.zone);

    const data = {
      ...plain,
      importance: [
        { feature: 'y', importance: 0.12 },
        { feature: 'x', importance: 0.31 },
      ].sort((a, b) => b.importance - a.importance),
      importanceMetric: 'accuracy',
      preprocessing: { x: { kind: 'number', missing: 3, imputedWith: 4.5 }, y: { kind: 'category', missing: 0, categories: ['a', 'b'] } },
    };
    const charts = reportCharts(data);
    expect(charts.map((c) => c.id)).toEqual(CHARTS.zone);
    const [svg] = await drawCharts([charts.at(-1)]);
    // Both features on the axis, largest first.
    expect(svg.indexOf('>x</text>')).toBeGreaterThan(-1);
    expect(svg.indexOf('>x</text>')).toBeLessThan(svg.indexOf('>y</text>'));
    const html = renderPage(data, [{ ...charts.at(-1), svg, compactSvg: svg }], { generatedAt: new Date().toISOString(), productVersion: '0' });
    expect(html).toMatch(/<section class="table" id="preprocessing"[\s\S]*<code>x<\/code><\/th><td>number<\/td><td>3<\/td><td>4.5<\/td>/);
    expect(html).toContain('<td>a, b</td>');
  });
});

describe('with nothing held out (validationSplit: 0)', () => {
  it('calls the rows the metrics and charts were measured on training rows, on the page and in every caption', async () => {
    const whole = (name) => ({ ...models()[name], modelConfig: { ...models()[name].modelConfig, validationSplit: 0 } });
    const local = new MLPlugin({ ...options(), namespace: 'whole', models: { price: whole('price'), zone: whole('zone'), sales: whole('sales') } });
    await local.install(db);
    // The page's own words for "nothing was held out"; every other mention of held-out rows is wrong here.
    const noneHeldOut = /none held out|\(none were held out\)|No rows were held out/g;
    for (const name of ['price', 'zone', 'sales']) {
      const result = await local.train(name);
      expect(result.validationSamples, name).toBe(0);
      const html = await local.report(name);
      const charts = await local.report(name, { format: 'svg' });
      const text = [html, ...charts.map((c) => `${c.caption} ${c.svg}`)].join(' ').replace(noneHeldOut, '');
      expect(text, name).not.toMatch(/held.out/i);
      expect(html, name).toContain('Metrics are measured on the training rows (none were held out).');
      expect(html, name).toContain('aria-label="Training metrics"');
      const caption = (id) => charts.find((c) => c.id === id).caption;
      if (name === 'zone') {
        expect(html).toContain(`${result.metrics.correct} of ${result.samples} training rows right`);
        expect(caption('confusion')).toMatch(/^Training rows by actual label/);
        expect(html).toContain('Per-label metrics (training rows)');
      } else {
        // Every training row (a time series: every training window) was measured.
        const measured = name === 'sales' ? result.trainSamples : result.samples;
        expect(caption('residuals')).toMatch(new RegExp(`covered [\\d.]+% of the ${measured} training rows`));
        expect(caption('loss')).toMatch(/on the training rows, after each epoch/);
      }
      if (name === 'price') expect(caption('predicted-actual')).toMatch(/^Each point is a training row/);
      if (name === 'sales') expect(caption('forecast')).toMatch(/^The training windows/);
    }
  });
});

describe('degenerate ranges', () => {
  /** A plugin of one regression trained on 50 rows where `total` is `scale` × (qty + qty mod 3). */
  async function trainedOn(total, modelConfig = {}) {
    const local = memoryDatabase();
    await local.connect();
    const lines = await local.createResource({ name: 'lines', attributes: { qty: 'number', total: 'number' } });
    await lines.insertMany(Array.from({ length: 50 }, (_, qty) => ({ qty, total: total(qty) })));
    const plugin = new MLPlugin({ logLevel: 'silent', backend: 'cpu', models: { m: { type: 'regression', resource: 'lines', features: ['qty'], target: 'total', modelConfig } } });
    await local.usePlugin(plugin, 'degenerate');
    await plugin.train('m');
    return { plugin, local };
  }

  it('an exact fit (total = 10 × qty) reports, as a page and as charts', async () => {
    const { plugin, local } = await trainedOn((qty) => 10 * qty);
    try {
      // Held-out residuals all 0, a 0-wide interval, losses of 0 and ~1e-22.
      expect((await plugin.evaluate('m')).rmse).toBe(0);
      const html = await plugin.report('m');
      expect(chartIds(html)).toEqual(CHARTS.price);
      expect(headerValue(html, 'metric', 'r2')).toBe('1');
      const charts = await plugin.report('m', { format: 'svg' });
      expect(charts.map((c) => c.id)).toEqual(CHARTS.price);
    } finally {
      await local.disconnect();
    }
  });

  it('targets near the float limit report, with the metrics that overflowed shown as a dash', async () => {
    const { plugin, local } = await trainedOn((qty) => (qty + (qty % 3)) * 1e300, { epochs: 5 });
    try {
      const html = await plugin.report('m');
      // Its permutation importance overflowed as well, so it has no bars.
      expect(chartIds(html)).toEqual(['loss', 'predicted-actual', 'residuals']);
      // R² of such targets overflows to null in the model; the page says it has no figure.
      expect(html).toMatch(/data-metric="r2" data-value=""><span class="metric-label">R²<\/span><span class="metric-value">–</);
    } finally {
      await local.disconnect();
    }
  });

  it('every chart draws data of one value, of no spread, too small for ticks, or not finite', async () => {
    const { reportData } = await import('../lib/report/report-data.js');
    const { reportCharts } = await import('../lib/report/charts.js');
    const { drawCharts } = await import('../lib/report/draw.js');
    const { renderPage } = await import('../lib/report/page.js');
    const clone = (name) => structuredClone(reportData(ml.models[name], { modelName: name, version: 1 }));
    const withPoints = (name, change) => {
      const data = clone(name);
      change(data.diagnostics.points, data.diagnostics.interval, data);
      return data;
    };
    const cases = {};
    for (const name of ['curve', 'sales']) {
      cases[`${name}: all residuals 0`] = withPoints(name, (p, interval) => {
        p.predicted = [...p.actual];
        interval.halfWidth = 0;
      });
      cases[`${name}: one predicted value`] = withPoints(name, (p) => (p.predicted = p.predicted.map(() => 5)));
      cases[`${name}: one value throughout`] = withPoints(name, (p, interval) => {
        p.actual = p.actual.map(() => 5);
        p.predicted = p.predicted.map(() => 5);
        interval.halfWidth = 0;
      });
      cases[`${name}: values of 1e-25`] = withPoints(name, (p, interval) => {
        p.actual = p.actual.map((v) => v * 1e-25);
        p.predicted = p.predicted.map((v) => v * 1e-25);
        interval.halfWidth *= 1e-25;
      });
      cases[`${name}: predictions that overflowed`] = withPoints(name, (p, interval) => {
        p.predicted = p.predicted.map(() => null);
        interval.halfWidth = null;
      });
      cases[`${name}: one held-out point`] = withPoints(name, (p) => {
        for (const key of ['actual', 'predicted', 'index']) p[key] = p[key].slice(0, 1);
        if (p.time) p.time.values = p.time.values.slice(0, 1);
      });
      cases[`${name}: losses of 0 and 1e-22`] = withPoints(name, (p, interval, data) => {
        data.history = data.history.map((h) => ({ ...h, loss: 0, valLoss: 1e-22 }));
      });
      cases[`${name}: importances of 1e-25`] = withPoints(name, (p, interval, data) => {
        data.importance = data.importance.map((r) => ({ ...r, importance: 1e-25 }));
      });
    }
    const zone = clone('zone');
    const { classification } = zone;
    cases['zone: a single label'] = {
      ...zone,
      classification: { ...classification, labels: classification.labels.slice(0, 1), matrix: [[classification.total]], perLabel: classification.perLabel.slice(0, 1) },
    };
    cases['zone: no scores'] = {
      ...zone,
      temperature: null,
      classification: { ...classification, perLabel: classification.perLabel.map((m) => ({ ...m, precision: null, recall: null, f1: null })) },
    };
    for (const [what, data] of Object.entries(cases)) {
      for (const size of ['wide', 'compact']) {
        const charts = reportCharts(data, size);
        const svgs = await drawCharts(charts, size).catch((error) => expect.fail(`${what} (${size}): ${error.message}`));
        expect(svgs.every((svg) => svg.startsWith('<svg ')), what).toBe(true);
        expect(() => renderPage(data, [], { generatedAt: new Date().toISOString(), productVersion: '0' }), what).not.toThrow();
      }
    }
  });

  it('a chart ECharts cannot draw is a named error saying which', async () => {
    const { drawCharts } = await import('../lib/report/draw.js');
    // An axis of 1e-22 fails an ECharts assertion, a bare Error with no message.
    const chart = {
      id: 'broken',
      width: 300,
      height: 200,
      option: { xAxis: { type: 'value' }, yAxis: { type: 'value', min: 0, max: 1e-22 }, series: [{ type: 'line', data: [[0, 0], [1, 1e-22]] }] },
    };
    const drawing = drawCharts([chart]);
    await expect(drawing).rejects.toBeInstanceOf(MLError);
    await expect(drawing).rejects.toThrow(/The report's "broken" chart \(wide\) could not be drawn: ECharts rejected/);
  });
});

/** A model file as s3db-ml wrote it before it kept report data: the manifest without `diagnostics`. */
function withoutReportData(bytes) {
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8'));
  const manifest = JSON.parse(header.__metadata__['s3db-ml']);
  expect(manifest.report.diagnostics).toBeDefined();
  delete manifest.report.diagnostics;
  header.__metadata__['s3db-ml'] = JSON.stringify(manifest);
  let text = JSON.stringify(header);
  while ((8 + Buffer.byteLength(text)) % 8 !== 0) text += ' ';
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
  return Buffer.concat([size, Buffer.from(text), bytes.subarray(8 + length)]);
}

describe('in a real browser', () => {
  const CHROMIUM = process.env.S3DB_ML_CHROMIUM ?? '/usr/bin/chromium';

  it('every page renders without console errors or requests, with sized charts, at 1280 px and on a phone', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (.ci/run does)`).toBe(true);
    expect(pages.size).toBe(Object.keys(CHARTS).length + 1);
    const { chromium } = await import('playwright-core');
    // Playwright gives each launch a fresh profile directory of its own.
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      for (const [name, html] of pages) {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const problems = [];
        page.on('console', (message) => message.type() === 'error' && problems.push(`console: ${message.text()}`));
        page.on('pageerror', (error) => problems.push(`error: ${error.message}`));
        page.on('request', (request) => problems.push(`request: ${request.url()}`));
        await page.setContent(html, { waitUntil: 'load' });
        for (const width of [1280, 390]) {
          await page.setViewportSize({ width, height: 900 });
          // The one drawing of each chart shown at this width.
          const sizes = await page.$$eval('figure.chart', (figures) =>
            figures.map((figure) => {
              const shown = [...figure.querySelectorAll('svg')].filter((svg) => svg.checkVisibility());
              const box = shown[0]?.getBoundingClientRect();
              return [shown.length, box?.width ?? 0, box?.height ?? 0];
            }),
          );
          // Runs in the page, where `globalThis` is the window.
          const overflow = await page.evaluate(() => globalThis.document.documentElement.scrollWidth - globalThis.innerWidth);
          expect(sizes.length, `${name} at ${width} px`).toBe(chartIds(html).length);
          for (const [shown, w, h] of sizes) {
            expect(shown, `${name} at ${width} px`).toBe(1);
            expect(w, `${name} at ${width} px`).toBeGreaterThan(width === 1280 ? 400 : 300);
            expect(h, `${name} at ${width} px`).toBeGreaterThan(150);
          }
          // Nothing wider than the screen: no sideways scrolling on a phone.
          expect(overflow, `${name} at ${width} px`).toBeLessThanOrEqual(0);
        }
        await page.close();
        expect(problems, name).toEqual([]);
      }
    } finally {
      await browser.close();
    }
  });
});

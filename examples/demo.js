// s3db-ml demo: an embedded (file://) s3db.js database, products, emails and daily sales data, a
// regression, a classification and a time-series model, predictions with confidence, and each
// model's training report written beside this file. Run with `npm run demo`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Database } from 's3db.js';
import { MLPlugin } from '../index.js';

/** A training duration: an exact least-squares fit takes well under a millisecond. */
function milliseconds(ms) {
  return ms < 1 ? 'under 1 ms' : `${ms.toFixed(0)} ms`;
}

/** A one-line progress bar for `train(name, { onProgress })`: records read, then epochs. */
function progressBar(name) {
  const width = 30;
  const bar = (done, total) => {
    const filled = total > 0 ? Math.round((done / total) * width) : width;
    return '█'.repeat(filled) + '░'.repeat(width - filled);
  };
  return (progress) => {
    if (progress.phase === 'read') {
      const { read, total } = progress;
      process.stdout.write(`\r  ${name} ${bar(read, total)} read ${read}/${total} records`);
      if (read === total) process.stdout.write('\n');
      return;
    }
    const { epoch, epochs, loss, valLoss } = progress;
    const val = valLoss === undefined || valLoss === null ? '' : `, val ${valLoss.toFixed(5)}`;
    process.stdout.write(`\r  ${name} ${bar(epoch, epochs)} epoch ${epoch}/${epochs} loss ${loss.toFixed(5)}${val}`);
    if (epoch === epochs) process.stdout.write('\n');
  };
}

const dir = mkdtempSync(join(tmpdir(), 's3db-ml-demo-'));
const db = new Database({ connectionString: `file://${dir}`, logLevel: 'silent' });

// Deterministic pseudo-random numbers, so every run shows the same data.
let state = 7;
const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

try {
  await db.connect();
  const products = await db.createResource({
    name: 'products',
    attributes: { cost: 'number|required', demand: 'number|required', price: 'number|required' },
  });
  const emails = await db.createResource({
    name: 'emails',
    attributes: { wordCount: 'number', linkCount: 'number', capsRatio: 'number', label: 'string' },
  });

  console.log('Inserting 300 products, 400 emails and 365 days of sales into an embedded file:// database...');
  const productRows = Array.from({ length: 300 }, () => {
    const cost = 20 + random() * 480;
    const demand = 50 + random() * 950;
    return { cost, demand, price: cost * 1.4 + demand * 0.05 + 10 + (random() - 0.5) * 8 };
  });
  await products.insertMany(productRows);
  // Overlapping distributions, so that some emails are genuinely ambiguous.
  const emailRows = Array.from({ length: 400 }, () => {
    const spam = random() < 0.4;
    return {
      wordCount: Math.round(spam ? 60 + random() * 300 : 100 + random() * 400),
      linkCount: Math.round(spam ? 1 + random() * 6 : random() * 4),
      capsRatio: spam ? 0.05 + random() * 0.3 : random() * 0.25,
      label: spam ? 'spam' : 'ham',
    };
  });
  await emails.insertMany(emailRows);
  const sales = await db.createResource({
    name: 'sales',
    attributes: { day: 'string', temperature: 'number', sales: 'number' },
  });
  // A year of daily sales: a trend, a weekly rhythm, the weather, and noise.
  const salesRows = Array.from({ length: 365 }, (_, t) => {
    const temperature = 18 + 8 * Math.sin((2 * Math.PI * (t - 100)) / 365) + (random() - 0.5) * 4;
    const weekly = 25 * Math.sin((2 * Math.PI * t) / 7);
    return {
      day: new Date(Date.UTC(2025, 0, 1) + t * 86_400_000).toISOString().slice(0, 10),
      temperature,
      sales: 220 + 0.4 * t + weekly + 2.5 * temperature + (random() - 0.5) * 12,
    };
  });
  await sales.insertMany(salesRows);

  const ml = new MLPlugin({
    logLevel: 'silent',
    models: {
      pricePredictor: {
        type: 'regression',
        resource: 'products',
        features: ['cost', 'demand'],
        target: 'price',
        modelConfig: { epochs: 60, learningRate: 0.05 },
      },
      spamDetector: {
        type: 'classification',
        resource: 'emails',
        features: ['wordCount', 'linkCount', 'capsRatio'],
        target: 'label',
        modelConfig: { epochs: 40 },
      },
      salesForecast: {
        type: 'timeseries',
        resource: 'sales',
        features: ['temperature'],
        target: 'sales',
        timeField: 'day',
        modelConfig: { lookback: 14, lstmUnits: 32, denseUnits: 16, epochs: 60, batchSize: 16, dropout: 0, recurrentDropout: 0 },
      },
    },
  });
  await db.usePlugin(ml);
  const { backend } = ml.getStats();
  console.log(`Compute backend: ${backend.backend}${backend.adapter ? ` (${backend.adapter})` : ''} — ${backend.reason}\n`);

  const price = await ml.train('pricePredictor', { onProgress: progressBar('pricePredictor') });
  const { r2 } = price.metrics;
  console.log(`pricePredictor trained on ${price.samples} rows in ${milliseconds(price.durationMs)} (held-out R² ${r2.toFixed(3)})`);
  for (const input of [{ cost: 100, demand: 500 }, { cost: 400, demand: 200 }]) {
    const { prediction, confidence, interval } = await ml.predict('pricePredictor', input);
    const expected = input.cost * 1.4 + input.demand * 0.05 + 10;
    console.log(
      `  cost ${input.cost}, demand ${input.demand}: $${prediction.toFixed(2)} (expected ≈ $${expected.toFixed(2)}), ` +
        `90% interval [$${interval[0].toFixed(2)}, $${interval[1].toFixed(2)}], confidence ${(confidence * 100).toFixed(1)}%`,
    );
  }

  // Retraining reads only what changed since the last training (the model's training snapshot).
  await products.insertMany(productRows.slice(0, 5).map((r) => ({ ...r, demand: r.demand + 1 })));
  const again = await ml.train('pricePredictor');
  const { mode, fetched, listed } = again.read;
  console.log(`  retrained after 5 new products: ${mode} read, ${fetched} of ${listed} records fetched`);

  const spam = await ml.train('spamDetector', { onProgress: progressBar('spamDetector') });
  console.log(`\nspamDetector trained on ${spam.samples} rows in ${milliseconds(spam.durationMs)} (held-out accuracy ${(spam.accuracy * 100).toFixed(1)}%)`);
  for (const input of [
    { wordCount: 120, linkCount: 8, capsRatio: 0.45 },
    { wordCount: 320, linkCount: 1, capsRatio: 0.05 },
    { wordCount: 200, linkCount: 3, capsRatio: 0.18 },
  ]) {
    const { prediction, confidence, probabilities } = await ml.predict('spamDetector', input);
    const probs = Object.entries(probabilities).map(([label, p]) => `${label} ${(p * 100).toFixed(1)}%`).join(', ');
    console.log(`  ${JSON.stringify(input)} → ${prediction} (confidence ${(confidence * 100).toFixed(1)}%; ${probs})`);
  }
  const cm = await ml.models.spamDetector.calculateConfusionMatrix(emailRows);
  console.log(`  confusion matrix over all emails: ${JSON.stringify(cm.matrix)}, accuracy ${(cm.accuracy * 100).toFixed(1)}%`);

  const forecast = await ml.train('salesForecast', { onProgress: progressBar('salesForecast') });
  console.log(`\nsalesForecast trained on ${forecast.samples} days in ${milliseconds(forecast.durationMs)} (held-out MAPE ${forecast.metrics.mape.toFixed(2)}%)`);
  const lastTwoWeeks = salesRows.slice(-14);
  const [tomorrow] = await ml.models.salesForecast.predictMultiStep(lastTwoWeeks, 1);
  console.log(`  sales forecast for the day after the last record: ${tomorrow.toFixed(1)}`);

  // One self-contained HTML page per model: open it in a browser, or send it to a colleague.
  console.log('\nTraining reports:');
  const here = dirname(fileURLToPath(import.meta.url));
  for (const name of Object.keys(ml.models)) {
    const file = join(here, `report-${name}.html`);
    writeFileSync(file, await ml.report(name));
    console.log(`  ${file}`);
  }
  console.log('\nStats:', JSON.stringify({ ...ml.getStats(), backend: undefined }));
} finally {
  await db.disconnect().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}

// s3db-ml demo: an embedded (file://) s3db.js database, products and emails data, a regression
// and a classification model, predictions with confidence. Run with `npm run demo`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from 's3db.js';
import { MLPlugin } from '../index.js';

/** A one-line progress bar for `train(name, { onProgress })`. */
function progressBar(name) {
  return ({ epoch, epochs, loss, valLoss }) => {
    const width = 30;
    const done = Math.round((epoch / epochs) * width);
    const bar = '█'.repeat(done) + '░'.repeat(width - done);
    const val = valLoss === undefined || valLoss === null ? '' : `, val ${valLoss.toFixed(5)}`;
    process.stdout.write(`\r  ${name} ${bar} epoch ${epoch}/${epochs} loss ${loss.toFixed(5)}${val}`);
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

  console.log('Inserting 300 products and 400 emails into an embedded file:// database...');
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
      wordCount: Math.round(spam ? 60 + random() * 200 : 120 + random() * 400),
      linkCount: Math.round(spam ? 2 + random() * 8 : random() * 4),
      capsRatio: spam ? 0.1 + random() * 0.4 : random() * 0.25,
      label: spam ? 'spam' : 'ham',
    };
  });
  await emails.insertMany(emailRows);

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
    },
  });
  await db.usePlugin(ml);
  const { backend } = ml.getStats();
  console.log(`Compute backend: ${backend.backend}${backend.adapter ? ` (${backend.adapter})` : ''} — ${backend.reason}\n`);

  const price = await ml.train('pricePredictor', { onProgress: progressBar('pricePredictor') });
  const { r2 } = price.metrics;
  console.log(`pricePredictor trained on ${price.samples} rows in ${price.durationMs.toFixed(0)} ms (held-out R² ${r2.toFixed(3)})`);
  for (const input of [{ cost: 100, demand: 500 }, { cost: 400, demand: 200 }]) {
    const { prediction, confidence, interval } = await ml.predict('pricePredictor', input);
    const expected = input.cost * 1.4 + input.demand * 0.05 + 10;
    console.log(
      `  cost ${input.cost}, demand ${input.demand}: $${prediction.toFixed(2)} (expected ≈ $${expected.toFixed(2)}), ` +
        `90% interval [$${interval[0].toFixed(2)}, $${interval[1].toFixed(2)}], confidence ${(confidence * 100).toFixed(1)}%`,
    );
  }

  const spam = await ml.train('spamDetector', { onProgress: progressBar('spamDetector') });
  console.log(`\nspamDetector trained on ${spam.samples} rows in ${spam.durationMs.toFixed(0)} ms (held-out accuracy ${(spam.accuracy * 100).toFixed(1)}%)`);
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
  console.log('\nStats:', JSON.stringify({ ...ml.getStats(), backend: undefined }));
} finally {
  await db.disconnect().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}

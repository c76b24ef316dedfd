// Whether classification's confidence matches its accuracy on small data: the upstream MLPlugin
// suite's classification test (`a`, `b` uniform in [0, 15], label A when a + b > 10; 60 rows
// train, 200 fresh rows from the same generator score), over many data seeds, through the plugin
// on an s3db.js memory database. Prints the mean accuracy and the mean confidence of the
// predicted label, then both per confidence bin.
//
//   node bench/calibration.js [--seeds=6-305] [--noise=0.1] [--classes=3]
//
// `--noise` flips that share of labels (training and scored rows); `--classes=3` adds a label C
// when a + b > 18. docs/small-data.md quotes its figures.
import { Database } from 's3db.js';
import { MLPlugin } from '../index.js';
import { seeded } from './lcg.js';

const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const [from, to] = arg('seeds', '6-305').split('-').map(Number);
const noise = Number(arg('noise', '0'));
const classes = Number(arg('classes', '2'));


function rows(random, n) {
  return Array.from({ length: n }, () => {
    const a = random() * 15;
    const b = random() * 15;
    // Drawn only with --noise, so that without it the data are the suite's (and small-data.js's).
    const flipped = noise > 0 && random() < noise;
    let category = a + b > 10 ? 'A' : 'B';
    if (flipped) category = category === 'A' ? 'B' : 'A';
    else if (classes === 3 && a + b > 18) category = 'C';
    return { a, b, category };
  });
}

let right = 0;
let confidence = 0;
let scored = 0;
const bins = Array.from({ length: 5 }, () => ({ n: 0, right: 0, confidence: 0 }));
for (let seed = from; seed <= to; seed++) {
  const random = seeded(seed * 7919 + 14);
  const db = new Database({ connectionString: `memory://calibration${seed}/app`, logLevel: 'silent' });
  await db.connect();
  const points = await db.createResource({ name: 'points', attributes: { a: 'number', b: 'number', category: 'string' } });
  await points.insertMany(rows(random, 60));
  const ml = new MLPlugin({
    logLevel: 'silent',
    backend: 'cpu',
    saveModel: false,
    models: { c: { type: 'classification', resource: 'points', features: ['a', 'b'], target: 'category', modelConfig: { epochs: 20, batchSize: 16 } } },
  });
  await db.usePlugin(ml);
  await ml.train('c');
  const test = rows(random, 200);
  const predictions = await ml.predictBatch('c', test.map(({ a, b }) => ({ a, b })));
  predictions.forEach((p, i) => {
    const hit = p.prediction === test[i].category ? 1 : 0;
    right += hit;
    confidence += p.confidence;
    scored++;
    const bin = bins[Math.min(4, Math.floor((p.confidence - 0.5) / 0.1))];
    if (bin) {
      bin.n++;
      bin.right += hit;
      bin.confidence += p.confidence;
    }
  });
  await ml.stop();
  await db.disconnect();
}
console.log(`seeds ${from}-${to}, noise ${noise}, ${classes} classes: mean accuracy ${(right / scored).toFixed(4)}, mean confidence ${(confidence / scored).toFixed(4)}`);
for (const [i, b] of bins.entries()) {
  if (b.n > 0) console.log(`  confidence ${(0.5 + i / 10).toFixed(1)}+: ${b.n} predictions, right ${(b.right / b.n).toFixed(3)}, mean confidence ${(b.confidence / b.n).toFixed(3)}`);
}

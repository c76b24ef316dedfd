import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { Database } from 's3db.js';
import { MLPlugin } from '../../index.js';
import { seeded } from '../data.js';
const step = process.argv[2] ?? 'full';
const FEATURES = Array.from({ length: 8 }, (_, i) => `x${i}`);
const db = new Database({ connectionString: `memory://p${process.pid}/data`, logLevel: 'silent' });
await db.connect();
const resource = await db.createResource({ name: 'points', attributes: Object.fromEntries([...FEATURES, 'y'].map((f) => [f, 'number'])) });
const random = seeded(7);
const row = () => { const r = { y: 3 }; FEATURES.forEach((f, i) => { r[f] = random() * 100; r.y += (i + 1) * 0.1 * r[f]; }); return r; };
for (let d = 0; d < 10000; d += 1000) await resource.insertMany(Array.from({ length: 1000 }, row));
const ml = new MLPlugin({ logLevel: 'silent', backend: 'cpu', saveModel: false, models: { m: { type: 'regression', resource: 'points', features: FEATURES, target: 'y', modelConfig: { epochs: 3, batchSize: 256 } } } });
await db.usePlugin(ml);
const session = new Session(); session.connect();
await session.post('Profiler.enable'); await session.post('Profiler.setSamplingInterval', { interval: 200 });
for (let i = 0; i < 2; i++) {
  await session.post('Profiler.start');
  const t = performance.now();
  if (step === 'full') await ml.train('m', { full: true }); else await resource.list({ limit: 10000 });
  const ms = performance.now() - t;
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(`/work/prof/mem-${step}-${i}.cpuprofile`, JSON.stringify(profile));
  console.log(step, i, ms.toFixed(0), 'ms');
}
process.exit(0);

// `node scripts/check-package.js`: what a user of the published packages gets. Installs the
// tarballs `npm run package` wrote to dist/ into a fresh project in a temporary directory, with
// cargo and rustc taken off PATH, then there: trains a regression model on a memory database and
// checks its predictions against the least-squares fit of the same rows; and, with the platform
// package moved away, checks that the addon's absence is a ComputeBackendUnavailableError naming it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentPlatform } from '../lib/platform.js';

// Runs in the fresh project: y = 3a - 2b + 5 exactly, so the least-squares fit is known.
const TRAIN_AND_PREDICT = `
import { createRequire } from 'node:module';
import { Database } from 's3db.js';
import { MLPlugin, backendInfo } from 's3db-ml';

const platform = process.argv[2];
const where = createRequire(import.meta.url).resolve('s3db-ml-' + platform);
if (!where.includes('node_modules')) throw new Error('the addon did not come from the installed package: ' + where);
console.log('addon:', where, '| backend:', JSON.stringify(await backendInfo('cpu')));

const rows = [];
let state = 11;
const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
for (let i = 0; i < 200; i++) {
  const a = random() * 10;
  const b = random() * 10;
  rows.push({ a, b, y: 3 * a - 2 * b + 5 });
}

// The reference: ordinary least squares on the same rows (normal equations, 3x3, Cramer's rule).
const X = rows.map((r) => [1, r.a, r.b]);
const XtX = [0, 1, 2].map((i) => [0, 1, 2].map((j) => X.reduce((s, x) => s + x[i] * x[j], 0)));
const Xty = [0, 1, 2].map((i) => X.reduce((s, x, k) => s + x[i] * rows[k].y, 0));
const det = (m) =>
  m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
  m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
  m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
const beta = [0, 1, 2].map((c) => det(XtX.map((row, r) => row.map((v, k) => (k === c ? Xty[r] : v)))) / det(XtX));
const reference = (a, b) => beta[0] + beta[1] * a + beta[2] * b;

const db = new Database({ connectionString: 'memory://fresh-project/app', logLevel: 'silent' });
await db.connect();
const resource = await db.createResource({ name: 'points', attributes: { a: 'number', b: 'number', y: 'number' } });
await resource.insertMany(rows);
const ml = new MLPlugin({
  logLevel: 'silent',
  backend: 'cpu',
  models: {
    line: {
      type: 'regression',
      resource: 'points',
      features: ['a', 'b'],
      target: 'y',
      modelConfig: { epochs: 300, batchSize: 16, learningRate: 0.05 },
    },
  },
});
await ml.install(db);
const trained = await ml.train('line');
const spread = Math.max(...rows.map((r) => r.y)) - Math.min(...rows.map((r) => r.y));
let worst = 0;
for (const [a, b] of [[1, 1], [5, 2], [9, 8], [2, 9]]) {
  const { prediction } = await ml.predict('line', { a, b });
  worst = Math.max(worst, Math.abs(prediction - reference(a, b)));
}
console.log('trained on', trained.samples, 'rows; worst |prediction - least squares| =', worst.toFixed(4), 'of a range of', spread.toFixed(1));
if (trained.samples !== rows.length || !(worst < 0.01 * spread)) throw new Error('predictions are off the least-squares fit');
await db.disconnect();
`;

// Runs in the fresh project with the platform package moved away.
const MISSING_BINARY = `
import { MLPlugin, ComputeBackendUnavailableError, backendInfo } from 's3db-ml';

const platform = process.argv[2];
if (typeof MLPlugin !== 'function') throw new Error('import failed');
try {
  await backendInfo('cpu');
  throw new Error('the addon loaded without its package');
} catch (error) {
  if (!(error instanceof ComputeBackendUnavailableError)) throw error;
  if (!error.message.includes('s3db-ml-' + platform) || error.platform !== platform) throw error;
  console.log('ComputeBackendUnavailableError:', error.message.slice(0, 160) + '...');
}
`;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const platform = process.argv[2] ?? currentPlatform();
const tarballs = [`${manifest.name}-${manifest.version}.tgz`, `${manifest.name}-${platform}-${manifest.version}.tgz`].map(
  (name) => join(root, 'dist', name),
);
for (const tarball of tarballs) if (!existsSync(tarball)) throw new Error(`${tarball} is missing: run npm run package`);

// PATH without any directory that holds cargo or rustc: the install must not need Rust.
const exe = process.platform === 'win32' ? '.exe' : '';
const path = process.env.PATH.split(delimiter)
  .filter((dir) => !['cargo', 'rustc', 'rustup'].some((tool) => existsSync(join(dir, tool + exe))))
  .join(delimiter);
const env = { ...process.env, PATH: path };
delete env.CARGO;
delete env.RUSTC;
const shell = process.platform === 'win32';

const project = mkdtempSync(join(tmpdir(), 's3db-ml-install-'));
try {
  // s3db.js is the peer dependency users already have; the same version and overrides as this
  // checkout (the overrides and recker-real only stand in for packages some registries lack).
  const overrides = Object.fromEntries(
    Object.entries(manifest.overrides ?? {}).map(([name, spec]) => [
      name,
      spec.startsWith('file:') ? `file:${resolve(root, spec.slice(5))}` : spec,
    ]),
  );
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'fresh-project', private: true, type: 'module', overrides }, null, 2),
  );
  const peers = ['s3db.js', 'recker-real']
    .filter((name) => manifest.devDependencies[name])
    .map((name) => `${name}@${manifest.devDependencies[name]}`);
  let cargoFound = true;
  try {
    execFileSync(process.platform === 'win32' ? 'where' : 'which', ['cargo'], { env, stdio: 'ignore' });
  } catch {
    cargoFound = false;
  }
  if (cargoFound) throw new Error('cargo is still on the stripped PATH');

  console.log(`== npm install ${tarballs.map((t) => t.slice(root.length + 1)).join(' ')} in ${project}`);
  execFileSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs, ...peers],
    { cwd: project, env, stdio: 'inherit', shell },
  );

  writeFileSync(join(project, 'train.js'), TRAIN_AND_PREDICT);
  console.log('== train and predict in the fresh project');
  execFileSync(process.execPath, ['train.js', platform], { cwd: project, env, stdio: 'inherit' });

  const platformPackage = join(project, 'node_modules', `${manifest.name}-${platform}`);
  renameSync(platformPackage, `${platformPackage}.away`);
  writeFileSync(join(project, 'missing.js'), MISSING_BINARY);
  console.log(`== without ${manifest.name}-${platform}`);
  execFileSync(process.execPath, ['missing.js', platform], { cwd: project, env, stdio: 'inherit' });
  console.log('fresh-project install: OK');
} finally {
  rmSync(project, { recursive: true, force: true });
}

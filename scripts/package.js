// `npm run package [-- --target <triple>] [-- --no-build]`: the installable packages, napi-rs
// style, as tarballs in dist/:
//   dist/s3db-ml-<version>.tgz             the JavaScript package; each platform package is an
//                                          optionalDependency at the same version
//   dist/s3db-ml-<platform>-<version>.tgz  the binary for one platform (this machine's by default)
// The binary is the portable build of the `ci` profile (scripts/toolchain.js); on Linux gnu its glibc ceiling
// is checked here. `--no-build` packs the binary already in the checkout (CI builds it once).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PREBUILT_PLATFORMS, platformOfTriple } from '../lib/platform.js';
import { HOST_TRIPLE, PORTABLE_GLIBC } from './toolchain.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const args = process.argv.slice(2);
const targetAt = args.indexOf('--target');
const triple = targetAt === -1 ? HOST_TRIPLE : args[targetAt + 1];
const platform = platformOfTriple(triple);
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const { version } = manifest;

function fail(message) {
  console.error(`npm run package: ${message}`);
  process.exit(1);
}

function run(command, commandArgs, options = {}) {
  const result = spawnSync(command, commandArgs, { stdio: 'inherit', cwd: root, ...options });
  if (result.status !== 0) fail(`${commandArgs.join(' ')} failed (exit ${result.status})`);
}

/** `npm pack` of `dir` into dist/; returns the tarball's path. */
function pack(dir) {
  const out = execFileSync('npm', ['pack', dir, '--json', '--pack-destination', dist], {
    cwd: root,
    encoding: 'utf8',
    shell: process.platform === 'win32',
  });
  return join(dist, JSON.parse(out)[0].filename);
}

/** The highest GLIBC_x.y symbol version the binary needs (objdump -T), or null if none. */
function glibcCeiling(binary) {
  const symbols = execFileSync('objdump', ['-T', binary], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const versions = [...new Set(symbols.match(/GLIBC_\d+(\.\d+)+/g) ?? [])].map((v) => v.slice(6));
  const key = (v) => v.split('.').map(Number);
  versions.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
    return 0;
  });
  return versions.at(-1) ?? null;
}

function atMost(found, limit) {
  const [a, b] = [found.split('.').map(Number), limit.split('.').map(Number)];
  return a[0] < b[0] || (a[0] === b[0] && (a[1] ?? 0) <= (b[1] ?? 0));
}

if (!PREBUILT_PLATFORMS.includes(platform)) {
  fail(`${triple} (${platform}) is not in package.json napi.targets: ${PREBUILT_PLATFORMS.join(', ')}`);
}
if (!args.includes('--no-build')) {
  run(process.execPath, [join(root, 'scripts/build.js'), '--portable', '--target', triple]);
}
const binaryName = `${manifest.napi.binaryName}.${platform}.node`;
const binary = join(root, binaryName);
if (!existsSync(binary)) fail(`${binaryName} is missing: build it first (npm run build -- --portable)`);

if (platform.endsWith('-gnu')) {
  const ceiling = glibcCeiling(binary);
  if (!ceiling || !atMost(ceiling, PORTABLE_GLIBC)) {
    fail(`${binaryName} needs GLIBC_${ceiling}, above the ${PORTABLE_GLIBC} floor: build it with --portable`);
  }
  console.log(`glibc ceiling of ${binaryName}: GLIBC_${ceiling} (floor ${PORTABLE_GLIBC})`);
}

mkdirSync(dist, { recursive: true });

// The platform package: npm/<platform>/ with the binary in it, as `napi artifacts` lays it out.
const platformDir = join(root, 'npm', platform);
copyFileSync(binary, join(platformDir, binaryName));
const platformTarball = pack(platformDir);

// The main package: what `npm pack` would ship, with the platform packages as optionalDependencies
// (what `napi prepublish` adds before a publish) and without the fields that only serve this checkout.
const stage = join(dist, '.stage', manifest.name);
rmSync(stage, { recursive: true, force: true });
const listing = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: root, encoding: 'utf8', shell: process.platform === 'win32' }));
for (const { path } of listing[0].files) {
  mkdirSync(dirname(join(stage, path)), { recursive: true });
  cpSync(join(root, path), join(stage, path));
}
const published = { ...manifest };
for (const field of ['scripts', 'devDependencies', 'overrides', '//overrides']) delete published[field];
published.optionalDependencies = Object.fromEntries(PREBUILT_PLATFORMS.map((p) => [`${manifest.name}-${p}`, version]));
writeFileSync(join(stage, 'package.json'), `${JSON.stringify(published, null, 2)}\n`);
const mainTarball = pack(stage);
rmSync(join(dist, '.stage'), { recursive: true, force: true });

for (const tarball of [mainTarball, platformTarball]) {
  const { size } = statSync(tarball);
  console.log(`${tarball}: ${size < 2 ** 20 ? `${(size / 2 ** 10).toFixed(1)} KiB` : `${(size / 2 ** 20).toFixed(1)} MiB`}`);
}

// A machine without a usable prebuilt addon gets a ComputeBackendUnavailableError that names its
// platform, the platforms that have one and how to build from source. Each case runs the real
// loader (binding.cjs) in a child Node process that sees a different platform or addon path.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PREBUILT_PLATFORMS, currentPlatform, platformOfTriple } from '../lib/platform.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** Imports s3db-ml in a child process after `setup` ran, calls backendInfo(), returns what it threw. */
function loadFailure(setup, env = {}) {
  const script = `${setup}
    const m = await import(${JSON.stringify(new URL('../index.js', import.meta.url).href)});
    try { await m.backendInfo('cpu'); console.log(JSON.stringify({ loaded: true })); }
    catch (e) {
      console.log(JSON.stringify({ name: e.name, named: e instanceof m.ComputeBackendUnavailableError,
        message: e.message, platform: e.platform, supportedPlatforms: e.supportedPlatforms }));
    }`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop());
}

describe('prebuilt platforms', () => {
  it('napi.targets, the npm/ packages and the names the loader asks for agree', () => {
    expect(PREBUILT_PLATFORMS).toEqual([
      'linux-x64-gnu',
      'linux-arm64-gnu',
      'linux-x64-musl',
      'darwin-arm64',
      'darwin-x64',
      'win32-x64-msvc',
    ]);
    const loader = readFileSync(new URL('../binding.cjs', import.meta.url), 'utf8');
    for (const [i, platform] of PREBUILT_PLATFORMS.entries()) {
      const pkg = JSON.parse(readFileSync(new URL(`../npm/${platform}/package.json`, import.meta.url), 'utf8'));
      expect(pkg.name).toBe(`s3db-ml-${platform}`);
      expect(pkg.version).toBe(manifest.version);
      expect(pkg.main).toBe(`s3db-ml.${platform}.node`);
      expect(pkg.os).toEqual([platform.split('-')[0]]);
      expect(pkg.cpu).toEqual([platform.split('-')[1]]);
      expect(platformOfTriple(manifest.napi.targets[i])).toBe(platform);
      expect(loader).toContain(`require('s3db-ml-${platform}')`);
    }
  });

  it('names this machine as napi-rs does', () => {
    expect(currentPlatform()).toMatch(/^linux-x64-(gnu|musl)$/);
  });
});

describe('an addon that does not load', () => {
  it('on a platform without a prebuilt package: names it, the supported ones and the source build', () => {
    const error = loadFailure(`Object.defineProperty(process, 'arch', { value: 'riscv64' });`);
    expect(error.named).toBe(true);
    expect(error.name).toBe('ComputeBackendUnavailableError');
    expect(error.platform).toBe('linux-riscv64-gnu');
    expect(error.supportedPlatforms).toEqual(PREBUILT_PLATFORMS);
    expect(error.message).toContain('no prebuilt native addon for this platform (linux-riscv64-gnu)');
    for (const platform of PREBUILT_PLATFORMS) expect(error.message).toContain(platform);
    expect(error.message).toContain('glibc 2.28+');
    expect(error.message).toContain('npm install && npm run build');
  });

  it('on a supported platform whose addon file is broken: says so and passes on the loader error', () => {
    const error = loadFailure('', { NAPI_RS_NATIVE_LIBRARY_PATH: '/nonexistent/s3db-ml.linux-x64-gnu.node' });
    expect(error.named).toBe(true);
    expect(error.platform).toBe(currentPlatform());
    expect(error.message).toContain(`The native addon for ${currentPlatform()} did not load`);
    expect(error.message).toContain('/nonexistent/s3db-ml.linux-x64-gnu.node');
  });
});

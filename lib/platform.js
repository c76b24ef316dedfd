// Which prebuilt binary this machine needs, which platforms have one, and what a user whose addon
// did not load should do about it. The names are napi-rs's: `<platform>-<arch>[-<abi>]`, the
// suffix of the `s3db-ml-<name>` package that carries that platform's `.node`.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { version, napi } = require('../package.json');

/** The glibc the linux-x64-gnu binary is linked against (`npm run package` checks it). */
export const GLIBC_FLOOR = '2.28';

const ARCH_BY_RUST_ARCH = { x86_64: 'x64', aarch64: 'arm64', i686: 'ia32', armv7: 'arm' };

/** napi-rs's name for a Rust target triple, e.g. `x86_64-unknown-linux-gnu` → `linux-x64-gnu`. */
export function platformOfTriple(triple) {
  const arch = ARCH_BY_RUST_ARCH[triple.split('-')[0]] ?? triple.split('-')[0];
  if (triple.includes('-apple-darwin')) return `darwin-${arch}`;
  if (triple.includes('-pc-windows-msvc')) return `win32-${arch}-msvc`;
  const linux = triple.match(/-linux-(gnu|musl)/);
  if (linux) return `linux-${arch}-${linux[1]}`;
  return triple;
}

/** The platforms a prebuilt package is published for (package.json `napi.targets`). */
export const PREBUILT_PLATFORMS = napi.targets.map(platformOfTriple);

/** This machine's platform in the same naming, e.g. `linux-x64-gnu`, `darwin-arm64`. */
export function currentPlatform() {
  const base = `${process.platform}-${process.arch}`;
  if (process.platform === 'win32') return `${base}-msvc`;
  if (process.platform !== 'linux') return base;
  // Node's report header names the glibc it runs on; its absence means musl.
  const glibc = process.report?.getReport?.().header?.glibcVersionRuntime;
  return `${base}-${glibc ? 'gnu' : 'musl'}`;
}

const BUILD_FROM_SOURCE =
  'To build it from source (Rust 1.95+ and a C compiler): clone the s3db-ml repository, run ' +
  '`npm install && npm run build` in it, then `npm install <path to the clone>` in your project, ' +
  'or set NAPI_RS_NATIVE_LIBRARY_PATH to the `.node` file that build wrote.';

/** The messages of an error and of its `cause` chain (napi's loader chains one per path it tried). */
function causeMessages(error) {
  const messages = [];
  for (let e = error; e && messages.length < 8; e = e.cause) {
    if (typeof e.message === 'string') messages.push(e.message.split('\n')[0]);
  }
  return messages;
}

/**
 * Why the addon did not load, in words a user can act on: the platform, the platforms with a
 * prebuilt package, and how to build from source. `loadError` is what binding.cjs threw.
 */
export function describeLoadFailure(loadError, platform = currentPlatform()) {
  const packageName = `s3db-ml-${platform}`;
  const supported = PREBUILT_PLATFORMS.map((p) => (p === 'linux-x64-gnu' ? `${p} (glibc ${GLIBC_FLOOR}+)` : p));
  const causes = causeMessages(loadError);
  const packageMissing = causes.some((m) => m.includes(`Cannot find module '${packageName}'`));
  let what;
  if (!PREBUILT_PLATFORMS.includes(platform)) {
    what = `s3db-ml has no prebuilt native addon for this platform (${platform}).`;
  } else if (packageMissing) {
    what =
      `The native addon for ${platform} comes in the optional package ${packageName}, which is not ` +
      `installed (npm leaves optional packages out with --omit=optional, and a lock file written on ` +
      `another platform can lack it). Install it with \`npm install ${packageName}@${version}\`.`;
  } else {
    what = `The native addon for ${platform} did not load.`;
  }
  // The loader also tries WebAssembly builds, which this package does not publish: not worth saying.
  const detail = causes.filter((m) => !m.startsWith('Cannot find native binding') && !/wasi/i.test(m)).slice(0, 3);
  return {
    platform,
    supportedPlatforms: PREBUILT_PLATFORMS,
    message:
      `${what} Prebuilt packages exist for: ${supported.join(', ')}. ${BUILD_FROM_SOURCE}` +
      (detail.length ? ` (Loader said: ${detail.join('; ')})` : ''),
    suggestion: BUILD_FROM_SOURCE,
  };
}

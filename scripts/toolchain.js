// How this checkout compiles the addon. One profile (`ci`) for tests, benchmarks and the published
// binary. A *portable* build links the Linux binary against an old glibc so that it loads on every
// mainstream distribution: `npm run package` always builds that way, and CI sets
// S3DB_ML_PORTABLE=1 so that the binary it tests is the one it ships.
//
// For the host's own linux-gnu target only the final link differs: a RUSTC_WRAPPER hands the
// addon's cdylib to zig (scripts/rustc-zig-link.sh). Cargo counts the linker in the fingerprint of
// every crate, so changing it for the whole build (cargo-zigbuild, napi's --cross-compile) would
// keep a second set of artefacts and compile Burn and wgpu twice. Other Linux targets (musl, or
// another architecture) are cross builds and go through cargo-zigbuild entirely.
import { execFileSync } from 'node:child_process';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const scripts = dirname(fileURLToPath(import.meta.url));

/** The glibc the portable linux-gnu binaries link against (lib/platform.js says the same to users). */
export const PORTABLE_GLIBC = '2.28';

/** The profile of every build (Cargo.toml says what it optimises). */
export const PROFILE = 'ci';

export const HOST_TRIPLE = execFileSync('rustc', ['-vV'], { encoding: 'utf8' }).match(/^host: (.+)$/m)[1];

export function portableRequested() {
  return process.env.S3DB_ML_PORTABLE === '1';
}

function withZig(env) {
  const zigBin = execFileSync(join(scripts, 'install-zig.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return { ...env, PATH: `${zigBin}${delimiter}${env.PATH}` };
}

/**
 * How to build `triple`: the `--target` value, whether napi must cross-compile through
 * cargo-zigbuild, and the environment.
 */
export function buildTarget(triple = HOST_TRIPLE, portable = portableRequested()) {
  const env = { ...process.env, S3DB_ML_PORTABLE: portable ? '1' : '0' };
  if (!portable || !triple.includes('-linux-')) return { target: triple, crossCompile: false, env };
  if (triple === HOST_TRIPLE && triple.endsWith('-linux-gnu')) {
    const inner = process.env.RUSTC_WRAPPER;
    return {
      target: triple,
      crossCompile: false,
      env: {
        ...withZig(env),
        RUSTC_WRAPPER: join(scripts, 'rustc-zig-link.sh'),
        ...(inner ? { S3DB_ML_INNER_RUSTC_WRAPPER: inner } : {}),
        S3DB_ML_ZIG_TARGET: `${triple.split('-')[0]}-linux-gnu.${PORTABLE_GLIBC}`,
      },
    };
  }
  const target = triple.endsWith('-gnu') ? `${triple}.${PORTABLE_GLIBC}` : triple;
  return { target, crossCompile: true, env: withZig(env) };
}

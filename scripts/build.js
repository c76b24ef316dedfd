// `npm run build`: the addon for this machine (or `--target <triple>`) with the `ci` profile, plus
// the generated loader (binding.cjs) and its types. `--portable` or S3DB_ML_PORTABLE=1: the binary
// `npm run package` ships (see toolchain.js). Other arguments go to `napi build`.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PROFILE, buildTarget, portableRequested } from './toolchain.js';

const args = process.argv.slice(2);
const portable = portableRequested() || args.includes('--portable');
const targetAt = args.indexOf('--target');
const triple = targetAt === -1 ? undefined : args[targetAt + 1];
const passThrough = args.filter((arg, i) => arg !== '--portable' && (targetAt === -1 || (i !== targetAt && i !== targetAt + 1)));

const { target, crossCompile, env } = buildTarget(triple, portable);
// napi's CLI run directly, not through npx, which would swallow the `--` before cargo's arguments.
const napiCli = join(dirname(createRequire(import.meta.url).resolve('@napi-rs/cli/package.json')), 'dist/cli.js');
const napiArgs = [napiCli, 'build', '--platform', '--profile', PROFILE, '--target', target, '--js', 'binding.cjs', '--dts', 'binding.d.ts'];
if (crossCompile) napiArgs.push('--cross-compile');
const result = spawnSync(process.execPath, [...napiArgs, ...passThrough], { stdio: 'inherit', env });
process.exit(result.status ?? 1);

// `cargo test` with the same profile, `--target` and environment as `npm run build` (see
// toolchain.js). Without the explicit `--target` cargo keeps a second, separate set of build
// artefacts and a cold CI would compile Burn and wgpu twice.
import { spawnSync } from 'node:child_process';
import { HOST_TRIPLE, PROFILE, portableRequested } from './toolchain.js';

const args = ['test', '--profile', PROFILE, '--workspace', '--target', HOST_TRIPLE, ...process.argv.slice(2)];
const env = { ...process.env, S3DB_ML_PORTABLE: portableRequested() ? '1' : '0' };
const result = spawnSync('cargo', args, { stdio: 'inherit', env });
process.exit(result.status ?? 1);

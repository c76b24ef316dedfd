// `cargo test` with the same explicit `--target` that `napi build` passes. Without it cargo keeps
// a second, separate set of build artefacts and a cold CI would compile Burn and wgpu twice.
import { execFileSync, spawnSync } from 'node:child_process';

const host = execFileSync('rustc', ['-vV'], { encoding: 'utf8' }).match(/^host: (.+)$/m)[1];
const args = ['test', '--profile', 'ci', '--workspace', '--target', host, ...process.argv.slice(2)];
const result = spawnSync('cargo', args, { stdio: 'inherit' });
process.exit(result.status ?? 1);

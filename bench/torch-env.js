// The PyTorch side's Python environment: bench/.venv, created on first use. PyPI's only Linux
// x86-64 torch wheel is the CUDA build (≈540 MB plus ≈3 GB of nvidia-* wheels, which `import torch`
// needs even on CPU); a CPU-only wheel lives on PyTorch's own index, which this project cannot
// reach. So the first run downloads a few GB; afterwards this is a single import check.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const VENV = fileURLToPath(new URL('./.venv/', import.meta.url));
export const PYTHON = `${VENV}bin/python`;

function run(command, args, options = {}) {
  return spawnSync(command, args, { encoding: 'utf8', ...options });
}

function torchVersion() {
  if (!existsSync(PYTHON)) return null;
  const probe = run(PYTHON, ['-c', 'import torch, numpy; print(torch.__version__)']);
  return probe.status === 0 ? probe.stdout.trim() : null;
}

/** `{ ok: true, version }` once torch imports in bench/.venv, or `{ ok: false, reason }`. */
export function ensureTorch({ log = console.log } = {}) {
  let version = torchVersion();
  if (version) return { ok: true, version };
  if (process.env.S3DB_ML_BENCH_NO_TORCH_INSTALL) return { ok: false, reason: 'torch not installed and S3DB_ML_BENCH_NO_TORCH_INSTALL is set' };
  const python = process.env.PYTHON ?? 'python3';
  if (!existsSync(PYTHON)) {
    log(`creating ${VENV} (${python} -m venv)`);
    const venv = run(python, ['-m', 'venv', VENV], { stdio: 'inherit' });
    if (venv.status !== 0) return { ok: false, reason: `${python} -m venv failed` };
  }
  log('installing torch and numpy into bench/.venv from PyPI (first run only; several GB: the CUDA wheel and its libraries)');
  const pip = run(PYTHON, ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', 'torch', 'numpy'], { stdio: 'inherit' });
  version = torchVersion();
  if (pip.status !== 0 || !version) return { ok: false, reason: 'pip install torch failed (see the output above)' };
  return { ok: true, version };
}

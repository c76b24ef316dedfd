// Runs one system for one task in a child process (so each has its own heap and its own peak RSS)
// and returns the `@@RESULT` object it printed, or `{ error }` with the tail of its output.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PYTHON } from './torch-env.js';
import { machineBusySeconds } from './machine.js';

const BENCH = fileURLToPath(new URL('./', import.meta.url));
const MARK = '@@RESULT ';
const TIMEOUT_MS = Number(process.env.S3DB_ML_BENCH_TIMEOUT_MS ?? 45 * 60 * 1000);
/**
 * GNU time, when installed, measures each child from the outside: CPU time and peak RSS up to its
 * very end (a Python process unmapping torch's libraries at exit spends CPU after any number it
 * could report itself). Without it, the child's own `maxRSS` and CPU time are used.
 */
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
let runs = 0;

/** How each system is started: command, arguments before the task's, extra environment. */
const SYSTEMS = {
  s3dbml: () => ({ command: process.execPath, args: [`${BENCH}systems/s3dbml.js`], env: { S3DB_ML_BENCH_BACKEND: 'cpu' } }),
  wgpu: () => ({ command: process.execPath, args: [`${BENCH}systems/s3dbml.js`], env: { S3DB_ML_BENCH_BACKEND: 'wgpu' } }),
  // NODE_PATH serves s3db.js's require('@tensorflow/tfjs-node') from bench/node_modules.
  upstream: () => ({ command: process.execPath, args: [`${BENCH}systems/upstream.js`], env: { NODE_PATH: `${BENCH}node_modules` } }),
  torch: () => ({ command: PYTHON, args: [`${BENCH}torch_bench.py`], env: {} }),
};

/**
 * @param {'s3dbml'|'wgpu'|'upstream'|'torch'} system
 * @param {string[]} taskArgs e.g. ['train', dataFile] or ['predict', dataFile, sizesJson]
 */
export function runSystem(system, taskArgs) {
  const { command, args, env } = SYSTEMS[system]();
  const timeFile = join(tmpdir(), `s3db-ml-bench-${process.pid}-${runs++}.time`);
  const argv = [...args, ...taskArgs];
  const [program, programArgs] = GNU_TIME ? [GNU_TIME, ['-f', '%U %S %M', '-o', timeFile, command, ...argv]] : [command, argv];
  const busyBefore = machineBusySeconds();
  const startedAt = Date.now();
  return new Promise((resolve) => {
    const child = spawn(program, programArgs, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk) => {
      output += chunk;
      // tfjs prints a model summary per training; keep memory bounded on long runs.
      if (output.length > 4_000_000) output = output.slice(-1_000_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = output.split('\n').findLast((l) => l.startsWith(MARK));
      if (code === 0 && line) {
        const result = { ...JSON.parse(line.slice(MARK.length)), ...measuredFromOutside(timeFile) };
        // Cores kept busy by other processes while this child ran: the machine's busy CPU time
        // minus the child's own. Near 0 on a quiet machine; the report flags runs where it is not.
        const busy = machineBusySeconds();
        if (busy != null && busyBefore != null && result.cpu_s != null) {
          result.foreign_cores = Math.max(0, (busy - busyBefore - result.cpu_s) / ((Date.now() - startedAt) / 1000));
        }
        return resolve(result);
      }
      const why = signal === 'SIGKILL' ? `killed after ${TIMEOUT_MS / 1000} s` : `exit ${code ?? signal}`;
      resolve({ error: `${why}: ${output.trim().split('\n').slice(-8).join('\n')}` });
    });
  });
}

/** `{ cpu_s, max_rss_mb }` as GNU time saw the child (KiB for RSS), or nothing. */
function measuredFromOutside(timeFile) {
  if (!existsSync(timeFile)) return {};
  const [user, system, maxRssKib] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(/\s+/).map(Number);
  rmSync(timeFile, { force: true });
  if (![user, system, maxRssKib].every(Number.isFinite)) return {};
  return { cpu_s: user + system, max_rss_mb: maxRssKib / 1024, measured_by: 'GNU time' };
}

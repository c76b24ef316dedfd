// What the numbers were measured on, and whether anything else was competing for the CPU.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';

/** Processes of a concurrent Rust build (the CI job this repository runs) that would skew timings. */
const BUSY_PATTERN = 'ci-cold|cargo|rustc';

/**
 * Running build processes. `pgrep -f` alone also matches any process whose command line merely
 * mentions ~/.cargo (an environment dump, a PATH), so a match counts only when the program itself
 * is cargo or rustc, or when it runs from a ci-cold checkout.
 */
export function busyProcesses() {
  let lines;
  try {
    lines = execFileSync('pgrep', ['-af', BUSY_PATTERN], { encoding: 'utf8' }).trim().split('\n');
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
  return lines
    .map((line) => line.replace(/^\d+\s+/, ''))
    .filter((cmd) => {
      const [program, first = ''] = cmd.split(/\s+/);
      return /(^|\/)(cargo|rustc)$/.test(program) || program.includes('ci-cold') || first.includes('ci-cold');
    })
    .map((cmd) => cmd.slice(0, 120));
}

export function describeMachine() {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    logicalCores: cpu.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
  };
}

/** A snapshot for RESULTS.md: load averages and competing processes. */
export function loadSnapshot() {
  const busy = busyProcesses();
  return { at: new Date().toISOString(), loadavg: loadavg().map((v) => Math.round(v * 100) / 100), busy: busy.length, busyProcesses: busy.slice(0, 5) };
}

/** Cores busy on the whole machine over the next `ms` milliseconds. */
async function busyCores(ms = 5000) {
  const before = machineBusySeconds();
  await new Promise((r) => setTimeout(r, ms));
  const after = machineBusySeconds();
  return before == null || after == null ? 0 : (after - before) / (ms / 1000);
}

/**
 * Polls every 30 s until no build runs and the machine is idle (under 0.2 busy cores over 5 s:
 * other sessions' test runs count too), for at most `maxMinutes`. Returns whether it got quiet.
 */
export async function waitUntilQuiet({ maxMinutes = 30, log = console.log } = {}) {
  const deadline = Date.now() + maxMinutes * 60_000;
  for (;;) {
    const builds = busyProcesses().length;
    const cores = await busyCores();
    if (builds === 0 && cores < 0.2) return true;
    if (Date.now() > deadline) return false;
    log(`waiting for a quiet machine (${builds} build processes, ${cores.toFixed(2)} cores busy) ...`);
    await new Promise((r) => setTimeout(r, 25_000));
  }
}

/** CPU seconds the whole machine has spent busy so far (Linux /proc/stat; null elsewhere). */
export function machineBusySeconds() {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
    return (user + nice + system + irq + softirq + steal) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

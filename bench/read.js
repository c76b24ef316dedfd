// Data-path benchmark (`npm run bench:data`): how long training takes to read its records, per
// s3db.js client (memory, file, the real S3 server the tests use), side by side in one run:
//   full         the first `train()`: every record read, the training snapshot written
//   list         s3db.js's own `resource.list({ limit: N })`, the baseline
//   incremental  `train()` after 1% new records: one LIST, the snapshot, GETs of the new records only
//   gets         the full read's listing and GETs (same getter, concurrency and window), each record
//                decoded by s3db.js and dropped: no rows, snapshot or fit (the floor of a read's memory)
// Each step runs in a fresh child process (the file and S3 data are written once, by a child of
// their own; a memory database is filled again in each), so no step's heap is left in the next
// one's RSS. Peak RSS is sampled every 5 ms during the step and reported above the step's start
// (after a GC). A fourth child repeats the full read with a forced GC every 100 ms: the live JS
// heap it peaks at is what the read holds, apart from garbage V8 has not collected yet. Each peak
// is split into the V8 heap's committed pages (of them the old space, where garbage that survived
// two young-generation collections waits for a full GC; the full GCs during the step are counted)
// and the rest of the RSS, outside the V8 heap. Beside them, the compact rows the model trains on
// (N × features × 8 bytes) are the part of a full read that must grow with N. Each step also
// reports the CPU time it took: this process's (Node's thread and the addon's threads) and, on S3,
// the S3 server's, which runs on the same cores here (on a remote S3 it would not).
//   node bench/read.js [--quick] [--clients=s3,file,memory] [--sizes=1000,10000]
// The clients the targets are judged on run first; bench/.out/data.md is rewritten after each size.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { seeded } from './data.js';

const SELF = fileURLToPath(import.meta.url);
const ROOT = dirname(dirname(SELF));
const FEATURES = Array.from({ length: 8 }, (_, i) => `x${i}`);
const SIZES = { memory: [1000, 10_000, 50_000], file: [1000, 10_000, 20_000], s3: [1000, 10_000, 50_000] };
const QUICK_SIZES = { memory: [1000], file: [1000], s3: [1000] };
/** Records older than this are settled (record-reader.js): the data is written, then left this long. */
const SETTLE_MS = 2200;

function option(name) {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : undefined;
}

async function parent() {
  const quick = process.argv.includes('--quick');
  const clients = (option('clients') ?? 's3,file,memory').split(',');
  const sizesFor = (client) => (option('sizes') ? option('sizes').split(',').map(Number) : (quick ? QUICK_SIZES : SIZES)[client]);
  let server = null;
  if (clients.includes('s3')) {
    const { startS3Server } = await import('../__test__/support/s3-server.js');
    server = await startS3Server();
    // Stopped with Ctrl-C, the run still takes its server down (`finally` does not run then).
    process.once('SIGINT', () => {
      server.stop().finally(() => {
        rmSync(server.data, { recursive: true, force: true });
        process.exit(130);
      });
    });
  }
  const results = [];
  // Timings on a shared machine are only comparable within one run: say how busy it was.
  const load = () => loadavg().map((l) => l.toFixed(1)).join(' / ');
  const loadAtStart = load();
  const out = join(ROOT, 'bench', '.out');
  mkdirSync(out, { recursive: true });
  const tableNow = () => `${report(results)}\n\nLoad average (1/5/15 min) on ${availableParallelism()} cores: ${loadAtStart} at the start, ${load()} at the end.`;
  try {
    for (const client of clients) {
      for (const size of sizesFor(client)) {
        process.stdout.write(`${client} ${size} records ... `);
        const result = await runSize(client, size, server);
        results.push(result);
        console.log(`list ${fmtMs(result.list.ms)}, full ${fmtMs(result.full.ms)}, incremental ${fmtMs(result.incremental.ms)}`);
        // Kept up to date, so that a run stopped early still leaves what it measured.
        writeFileSync(join(out, 'data.json'), JSON.stringify(results, null, 2));
        writeFileSync(join(out, 'data.md'), `${tableNow()}\n`);
      }
    }
  } finally {
    if (server) {
      await server.stop();
      rmSync(server.data, { recursive: true, force: true });
    }
  }
  console.log(`\n${tableNow()}`);
  console.log(`\nwritten to bench/.out/data.json and data.md`);
}

/** One (client, size): its data written once where it persists, then each step in its own child. */
async function runSize(client, size, server) {
  const location = client === 's3' ? `bench-${process.pid}-${size}` : client === 'file' ? mkdtempSync(join(tmpdir(), 's3db-ml-bench-')) : null;
  try {
    if (client !== 'memory') await runChild(client, size, server, location, 'populate');
    const result = { client, size, added: Math.max(1, Math.round(size / 100)), rowsBytes: size * FEATURES.length * 8 };
    // The full read first: it writes the snapshot the incremental step reads.
    for (const step of ['full', 'live', 'gets', 'list', 'incremental']) result[step] = await runChild(client, size, server, location, step);
    return result;
  } finally {
    if (client === 'file') rmSync(location, { recursive: true, force: true });
  }
}

function runChild(client, size, server, location, step) {
  return new Promise((resolve, reject) => {
    const args = ['--expose-gc', SELF, '--child', `--client=${client}`, `--size=${size}`, `--step=${step}`];
    if (location) args.push(`--location=${location}`);
    if (server) args.push(`--s3=${JSON.stringify({ endpoint: server.endpoint, accessKey: server.accessKey, secretKey: server.secretKey, bucket: server.bucket, pid: server.pid })}`);
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1);
      if (code !== 0 || !line?.startsWith('{')) reject(new Error(`${client} ${size} ${step}: child exited ${code}: ${out.slice(-2000)}`));
      else resolve(JSON.parse(line));
    });
  });
}

const fmtMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const fmtRate = (n) => (n >= 10_000 ? `${(n / 1000).toFixed(0)}k` : n.toFixed(0));
const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(Math.abs(bytes) < 10 * 2 ** 20 ? 1 : 0)} MiB`;

/** A step's CPU time: this process's, plus the S3 server's where it was measured. */
function cpu(step) {
  if (step.cpuMs === undefined) return '';
  return step.serverCpuMs === undefined ? fmtMs(step.cpuMs) : `${fmtMs(step.cpuMs)} + ${fmtMs(step.serverCpuMs)}`;
}

/** A peak's V8 heap (its old space) and the rest of the RSS, above the step's start. */
function split(step) {
  const b = step.breakdown;
  return b ? `${mib(b.heap)} (${mib(b.oldSpace)}) + ${mib(b.outsideHeap)}` : '';
}

function report(results) {
  const lines = [
    '| client | records | step | time | records/s | vs list | GETs | CPU: this process + S3 server | peak RSS above start | of it: V8 heap (old space) + outside it | full GCs | live JS heap peak | read phase |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    for (const step of ['list', 'gets', 'full', 'incremental']) {
      const s = r[step];
      if (!s) continue;
      const records = step === 'incremental' ? r.size + r.added : r.size;
      const vsList = step === 'list' ? '1.00×' : `${(r.list.ms / s.ms).toFixed(2)}×`;
      const readPhase = s.read ? `${fmtMs(s.read.durationMs)} (${s.read.mode})` : '';
      const live = step === 'full' ? mib(r.live.liveHeapPeak) : '';
      lines.push(
        `| ${r.client} | ${records} | ${step} | ${fmtMs(s.ms)} | ${fmtRate((records / s.ms) * 1000)} | ${vsList} | ${s.gets} | ${cpu(s)} | ${mib(s.peakRss)} | ${split(s)} | ${s.fullGcs} | ${live} | ${readPhase} |`,
      );
    }
    const speedup = r.full.ms / r.incremental.ms;
    lines.push(`| ${r.client} | ${r.size} | incremental vs full | ${speedup.toFixed(1)}× faster | | | ${((r.incremental.gets / (r.size + r.added)) * 100).toFixed(2)}% of the objects | | | | | | |`);
  }
  return [...lines, '', ...targets(results)].join('\n');
}

/**
 * What CPU time allows on this machine, where the S3 server shares the cores with the training:
 * the incremental step cannot take less than its CPU time (this process's and the server's) spread
 * over every core, nor less than the server's share alone.
 */
function cpuBound(r) {
  const { cpuMs, serverCpuMs } = r.incremental;
  if (serverCpuMs === undefined) return '';
  const cores = availableParallelism();
  const [floor, serverFloor] = [(cpuMs + serverCpuMs) / cores, serverCpuMs / cores];
  const at = (ms) => `${fmtMs(ms)}, ${(r.full.ms / ms).toFixed(1)}×`;
  return `; the incremental step used ${fmtMs(cpuMs)} of CPU in this process and ${fmtMs(serverCpuMs)} in the S3 server, which shares the ${cores} cores: no less than ${at(floor)} at most, however well they overlap (the server's share alone: ${at(serverFloor)})`;
}

/** The targets, each with the figures of this run it is judged on. */
function targets(results) {
  const find = (client, size) => results.find((r) => r.client === client && r.size === size);
  const verdict = (met) => (met ? 'met' : 'NOT met');
  const lines = ['| target | figures | |', '|---|---|---|'];
  const s3 = find('s3', 10_000);
  if (s3) {
    const speedup = s3.full.ms / s3.incremental.ms;
    const share = s3.incremental.gets / (s3.size + s3.added);
    const ratio = s3.list.ms / s3.full.ms;
    lines.push(
      `| S3 10k: full train() at resource.list({limit: N})'s floor or faster | list ${fmtMs(s3.list.ms)} / full ${fmtMs(s3.full.ms)} = ${ratio.toFixed(2)}× | ${verdict(ratio >= 1)} |`,
      `| S3 10k: incremental after 1% new records ≥ 20× faster than a full read | full ${fmtMs(s3.full.ms)} / incremental ${fmtMs(s3.incremental.ms)} = ${speedup.toFixed(1)}×${cpuBound(s3)} | ${verdict(speedup >= 20)} |`,
      `| S3 10k: incremental reads ≤ 1% + a constant of the objects | ${s3.incremental.gets} GETs of ${s3.size + s3.added} = ${(share * 100).toFixed(2)}% | ${verdict(s3.incremental.gets <= s3.added)} |`,
    );
  }
  const file = find('file', 20_000);
  if (file) {
    const ratio = file.list.ms / file.full.ms;
    lines.push(`| file 20k: full train() no slower than resource.list({limit: N}) | list ${fmtMs(file.list.ms)} / full ${fmtMs(file.full.ms)} = ${ratio.toFixed(2)}× | ${verdict(ratio >= 1)} |`);
  }
  // Bounded by the page size: from the smallest size run to the largest, the full read's live JS
  // heap stays flat, and its peak RSS grows by the old-space garbage V8 has not collected yet (no
  // full GC ran during the read: V8 starts one when the old generation reaches a limit set from the
  // heap's size at the last one, whatever the read) and, outside the V8 heap, by little more than
  // the compact rows that must grow with N. The baseline, which holds every record, grows with N.
  for (const client of new Set(results.map((r) => r.client))) {
    const runs = results.filter((r) => r.client === client).sort((a, b) => a.size - b.size);
    if (runs.length < 2) continue;
    const [small, large] = [runs[0], runs.at(-1)];
    const growth = large.full.peakRss - small.full.peakRss;
    const rowsGrowth = large.rowsBytes - small.rowsBytes;
    const signed = (bytes) => `${bytes < 0 ? '−' : '+'}${mib(Math.abs(bytes))}`;
    const part = (key) => signed((large.full.breakdown?.[key] ?? 0) - (small.full.breakdown?.[key] ?? 0));
    lines.push(
      `| ${client}: full read's memory bounded by the page size, not N | ${small.size} → ${large.size} records (${(large.size / small.size).toFixed(0)}× N): live JS heap peak ${mib(small.live.liveHeapPeak)} → ${mib(large.live.liveHeapPeak)}; peak RSS ${mib(small.full.peakRss)} → ${mib(large.full.peakRss)} (${signed(growth)}: V8 heap ${part('heap')}, of it old space ${part('oldSpace')}, with ${small.full.fullGcs} → ${large.full.fullGcs} full GCs; outside the V8 heap ${part('outsideHeap')}, compact rows +${mib(rowsGrowth)}, snapshot +${mib((large.full.snapshotBytes ?? 0) - (small.full.snapshotBytes ?? 0))}); the same GETs with nothing kept ${mib(small.gets.peakRss)} → ${mib(large.gets.peakRss)} (old space ${signed(large.gets.breakdown.oldSpace - small.gets.breakdown.oldSpace)}); list ${mib(small.list.peakRss)} → ${mib(large.list.peakRss)} | |`,
    );
  }
  return lines;
}

// ---- child: one step of one client and size ----

async function child() {
  const client = option('client');
  const size = Number(option('size'));
  const step = option('step');
  const added = Math.max(1, Math.round(size / 100));
  const { Database } = await import('s3db.js');
  const { MLPlugin } = await import('../index.js');
  const { native } = await import('../lib/native.js');
  const db = new Database({ ...connection(client), logLevel: 'silent' });
  await db.connect();
  const attributes = Object.fromEntries([...FEATURES, 'y'].map((f) => [f, 'number']));
  const resource = db.resources.points ?? (await db.createResource({ name: 'points', attributes }));
  const random = seeded(step === 'incremental' ? 8 : 7);
  const row = () => {
    const r = { y: 3 };
    FEATURES.forEach((f, i) => {
      r[f] = random() * 100;
      r.y += (i + 1) * 0.1 * r[f];
    });
    return r;
  };
  const insert = async (count) => {
    for (let done = 0; done < count; done += 1000) await resource.insertMany(Array.from({ length: Math.min(1000, count - done) }, row));
    await sleep(SETTLE_MS);
  };
  // A memory database lives in its process: each step fills its own.
  if (client === 'memory' || step === 'populate') await insert(size);
  if (step === 'populate') return finish(db, {});

  // Record GETs, through the s3db.js client and (on S3) the plugin's native one.
  const gets = { count: 0 };
  const count = (key) => key.includes('/data/id=') && gets.count++;
  const clientGet = db.client.getObject;
  db.client.getObject = function getObject(key) {
    count(key);
    return clientGet.call(this, key);
  };
  const { NativeStore } = native();
  const nativeGet = NativeStore.prototype.getObject;
  NativeStore.prototype.getObject = function getObject(key) {
    count(key);
    return nativeGet.call(this, key);
  };
  const ml = new MLPlugin({
    logLevel: 'silent',
    backend: 'cpu',
    // The data path only: no model versions or training lock.
    saveModel: false,
    models: { m: { type: 'regression', resource: 'points', features: FEATURES, target: 'y', modelConfig: { epochs: 3, batchSize: 256 } } },
  });
  await db.usePlugin(ml);

  let result;
  if (step === 'full') {
    result = await measure(gets, (options) => ml.train('m', options));
    if (result.read.mode !== 'full') throw new Error(`the first training read incrementally`);
    // The snapshot it wrote: ids, versions and values, which the read builds up beside the rows.
    const { Contents = [] } = await db.client.listObjects({ prefix: 'resource=points/plugin=ml/snapshots/m/' });
    result.snapshotBytes = Contents.filter((o) => o.Key.endsWith('.arrow')).reduce((sum, o) => sum + o.Size, 0);
  } else if (step === 'live') {
    result = await measure(gets, () => ml.train('m', { full: true }), { gcEveryMs: 100 });
  } else if (step === 'gets') {
    // The floor of any read through s3db.js: each record listed, fetched and decoded as the full
    // read does (the same getter, concurrency and window), then dropped: no rows, no snapshot, no fit.
    const { listRecordVersions, OrderedFetch, DEFAULT_READ_CONCURRENCY } = await import('../lib/record-reader.js');
    const { recordGetter } = await import('../lib/record-objects.js');
    const { LoopYielder } = await import('../lib/event-loop.js');
    const store = await ml._store.weights.store().catch(() => null);
    result = await measure(gets, async () => {
      const yielder = new LoopYielder();
      const listing = await listRecordVersions(resource, { yielder, store });
      const stream = new OrderedFetch(resource, {
        count: listing.length,
        idAt: (w) => listing.ids[w],
        modifiedMsAt: (w) => listing.modifiedMs[w],
        concurrency: DEFAULT_READ_CONCURRENCY,
        window: 1000,
        yielder,
        getRecord: recordGetter(resource, store).get,
      });
      let records = 0;
      for (let k = 0; k < listing.length; k++) if (await stream.next()) records++;
      await stream.done;
      if (records !== size) throw new Error(`the get loop read ${records} of ${size}`);
    });
  } else if (step === 'list') {
    result = await measure(gets, async () => {
      const items = await resource.list({ limit: size });
      if (items.length !== size) throw new Error(`list returned ${items.length} of ${size}`);
    });
  } else if (step === 'incremental') {
    // The snapshot of the full step (a memory database's is written here first).
    if (client === 'memory') await ml.train('m');
    await insert(added);
    result = await measure(gets, () => ml.train('m'));
    if (result.read.mode !== 'incremental') throw new Error(`second training read in full: ${result.read.reason}`);
    if (result.read.listed !== size + added) throw new Error(`incremental read listed ${result.read.listed} of ${size + added} records`);
  } else {
    throw new Error(`unknown step ${step}`);
  }
  return finish(db, result);
}

async function finish(db, result) {
  await db.disconnect();
  console.log(JSON.stringify(result));
  process.exit(0);
}

/**
 * Runs `step` after a GC: its time, record GETs, read report and sampled peak RSS above the start.
 * `gcEveryMs`: also force a GC that often and report the live JS heap's peak above the start
 * (slows the step; its time is not reported).
 */
async function measure(gets, step, { gcEveryMs = 0 } = {}) {
  globalThis.gc?.();
  await sleep(50);
  const start = process.memoryUsage();
  const startSpaces = heapSpaces();
  let peak = start.rss;
  let atPeak = null;
  let liveHeapPeak = 0;
  let phase = 'read';
  const sample = () => {
    const rss = process.memoryUsage.rss();
    if (rss <= peak) return;
    peak = rss;
    atPeak = { usage: process.memoryUsage(), spaces: heapSpaces(), phase };
  };
  const sampler = setInterval(sample, 5);
  // Full (mark-compact) collections during the step: V8 returns old-space garbage only in those.
  let fullGcs = 0;
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) fullGcs++;
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const collector = gcEveryMs
    ? setInterval(() => {
        globalThis.gc();
        liveHeapPeak = Math.max(liveHeapPeak, process.memoryUsage().heapUsed - start.heapUsed);
      }, gcEveryMs)
    : null;
  gets.count = 0;
  const serverPid = option('s3') ? JSON.parse(option('s3')).pid : undefined;
  const [cpuAtStart, serverCpuAtStart] = [process.cpuUsage(), processCpuMs(serverPid)];
  const started = performance.now();
  const value = await step({
    onProgress: (p) => {
      if (p.phase !== 'read') phase = p.phase;
    },
  });
  const ms = performance.now() - started;
  const cpuUsed = process.cpuUsage(cpuAtStart);
  const serverCpuMs = serverCpuAtStart === undefined ? undefined : processCpuMs(serverPid) - serverCpuAtStart;
  sample();
  clearInterval(sampler);
  if (collector) clearInterval(collector);
  await sleep(0); // the observer's last entries
  gcObserver.disconnect();
  // Where the peak is, above the start: the V8 heap's committed pages (old and new space), the
  // ArrayBuffers (typed arrays, Buffers; counted when allocated, resident only once written) and
  // what is left of the RSS outside the V8 heap (those buffers' written pages, the native
  // addon's and Node's own allocations).
  const atStart = (name) => atPeak.spaces[name] - (startSpaces[name] ?? 0);
  const breakdown = atPeak && {
    phase: atPeak.phase,
    heap: atPeak.usage.heapTotal - start.heapTotal,
    oldSpace: atStart('old_space') + atStart('large_object_space'),
    newSpace: atStart('new_space'),
    heapUsed: atPeak.usage.heapUsed - start.heapUsed,
    arrayBuffers: atPeak.usage.arrayBuffers - start.arrayBuffers,
    outsideHeap: peak - start.rss - (atPeak.usage.heapTotal - start.heapTotal),
  };
  const cpuMs = (cpuUsed.user + cpuUsed.system) / 1000;
  return { ms, cpuMs, serverCpuMs, gets: gets.count, peakRss: peak - start.rss, fullGcs, breakdown, liveHeapPeak, read: value?.read ?? null };
}

/**
 * CPU milliseconds process `pid` has used, its threads together (Linux's /proc/PID/stat, in clock
 * ticks of 10 ms); undefined without a pid or where /proc cannot say.
 */
function processCpuMs(pid) {
  if (!pid) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** Each V8 heap space's committed size. */
function heapSpaces() {
  return Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.physical_space_size]));
}

function connection(client) {
  if (client === 'memory') return { connectionString: `memory://bench-${process.pid}/data` };
  if (client === 'file') return { connectionString: `file://${option('location')}` };
  const s3 = JSON.parse(option('s3'));
  const endpoint = new URL(s3.endpoint);
  return {
    connectionString: `http://${s3.accessKey}:${s3.secretKey}@${endpoint.host}/${s3.bucket}/${option('location')}`,
    // s3db.js's default HTTP handler fails every DeleteObject (HTTP 204); use the AWS SDK's own.
    clientOptions: { httpClientOptions: { useReckerHandler: false } },
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

if (process.argv.includes('--child')) {
  // A failing step says why on stderr (the plugin and s3db.js log nothing here).
  await child().catch((error) => {
    console.error(error?.stack ?? error);
    process.exit(1);
  });
} else {
  await parent();
}

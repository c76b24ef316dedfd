// Starts a real S3-compatible server (SeaweedFS `weed mini`) on 127.0.0.1 for the test run and
// stops it afterwards. Used as vitest's globalSetup; tests read S3DB_ML_TEST_S3 for the endpoint.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { S3Client, ListBucketsCommand } from '@aws-sdk/client-s3';

const ACCESS_KEY = 'testaccess';
const SECRET_KEY = 'testsecret123';
const BUCKET = 's3db';
const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilReady(endpoint, child, log) {
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
  });
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`weed exited with ${child.exitCode}; see ${log}`);
    try {
      const { Buckets = [] } = await client.send(new ListBucketsCommand({}));
      if (Buckets.some((b) => b.Name === BUCKET)) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`SeaweedFS did not become ready in 90 s; see ${log}`);
}

/**
 * Starts `weed mini` on 127.0.0.1 (a fresh data directory unless `data` is given) and waits until
 * it answers. Returns `{ endpoint, port, data, stop() }`; start again with the same `data` and
 * `port` to bring the same objects back.
 */
export async function startS3Server({ data, port } = {}) {
  const weed = execFileSync(join(root, 'scripts/install-seaweedfs.sh'), { encoding: 'utf8' }).trim();
  data ??= mkdtempSync(join(tmpdir(), 's3db-ml-s3-'));
  const portGiven = port !== undefined;
  // `weed mini` finds free ports for its inner services (master, volume, filer, their gRPC) by
  // checking, then binding: a server starting beside it (another test file, another run) can take
  // a port in between, and weed exits. Such a start is tried again (on a new S3 port unless given).
  for (let attempt = 1; ; attempt++) {
    if (!portGiven) port = await freePort();
    try {
      return await startWeed(weed, data, port);
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt === 3) throw error;
    }
  }
}

class PortTakenError extends Error {}

async function startWeed(weed, data, port) {
  writeFileSync(
    join(data, 's3.json'),
    JSON.stringify({
      identities: [
        { name: 'test', credentials: [{ accessKey: ACCESS_KEY, secretKey: SECRET_KEY }], actions: ['Admin', 'Read', 'List', 'Tagging', 'Write'] },
      ],
    }),
  );
  const log = join(data, 'weed.log');
  const out = openSync(log, 'a');
  // Every listener on loopback: weed's defaults bind 0.0.0.0 and advertise the external address.
  const child = spawn(
    weed,
    [
      'mini',
      `-dir=${data}`,
      '-ip=127.0.0.1',
      '-ip.bind=127.0.0.1',
      `-s3.port=${port}`,
      `-s3.config=${join(data, 's3.json')}`,
      '-admin.ui=false',
      '-webdav=false',
      `-bucket=${BUCKET}`,
      `-s3.localSocket=${join(data, 's3.sock')}`,
      `-filer.localSocket=${join(data, 'filer.sock')}`,
    ],
    { stdio: ['ignore', out, out] },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(endpoint, child, log);
  } catch (error) {
    child.kill('SIGKILL');
    if (child.exitCode !== null && /address already in use/.test(readFileSync(log, 'utf8'))) throw new PortTakenError(error.message);
    throw error;
  }
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 8000);
      child.on('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  };
  return { endpoint, port, data, stop, pid: child.pid, accessKey: ACCESS_KEY, secretKey: SECRET_KEY, bucket: BUCKET };
}

/** vitest globalSetup: one server for the whole run, its address in S3DB_ML_TEST_S3. */
export default async function setup() {
  const server = await startS3Server();
  process.env.S3DB_ML_TEST_S3 = JSON.stringify({
    endpoint: server.endpoint,
    accessKey: ACCESS_KEY,
    secretKey: SECRET_KEY,
    bucket: BUCKET,
  });
  return async () => {
    await server.stop();
    rmSync(server.data, { recursive: true, force: true });
  };
}

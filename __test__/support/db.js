// Databases for the tests: the in-memory and file clients, and the real S3 server from globalSetup.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from 's3db.js';

let counter = 0;
const unique = (prefix) => `${prefix}-${process.pid}-${Date.now()}-${counter++}`;

export function memoryDatabase(options = {}) {
  return new Database({ connectionString: `memory://${unique('bucket')}/app`, logLevel: 'silent', ...options });
}

export function fileDatabase(options = {}) {
  const dir = mkdtempSync(join(tmpdir(), 's3db-ml-test-'));
  return new Database({ connectionString: `file://${dir}`, logLevel: 'silent', ...options });
}

/**
 * A database on the real S3 server started for this test run (a fresh key prefix each call), or
 * on `server` (from startS3Server) when given.
 */
export function s3Database(options = {}, server = null) {
  const s3 = server ?? JSON.parse(process.env.S3DB_ML_TEST_S3 ?? 'null');
  if (!s3) throw new Error('S3DB_ML_TEST_S3 is not set: vitest globalSetup did not start the S3 server');
  const endpoint = new URL(s3.endpoint);
  return new Database({
    connectionString: `http://${s3.accessKey}:${s3.secretKey}@${endpoint.host}/${s3.bucket}/${unique('test')}`,
    logLevel: 'silent',
    // s3db.js's default HTTP handler fails every DeleteObject (HTTP 204); use the AWS SDK's own.
    clientOptions: { httpClientOptions: { useReckerHandler: false } },
    ...options,
  });
}

/** Deterministic pseudo-random numbers in [0, 1). */
export function seeded(seed = 1) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Products whose price is 1.4·cost + 0.05·demand + 10 plus a little noise. */
export function productRows(n, seed = 1) {
  const random = seeded(seed);
  return Array.from({ length: n }, () => {
    const cost = 20 + random() * 480;
    const demand = 50 + random() * 950;
    return { cost, demand, price: cost * 1.4 + demand * 0.05 + 10 + (random() - 0.5) * 4 };
  });
}

/** Emails labelled 'spam' / 'ham' by a clear rule on links and caps. */
export function emailRows(n, seed = 2) {
  const random = seeded(seed);
  return Array.from({ length: n }, () => {
    const spam = random() < 0.45;
    return {
      wordCount: Math.round(spam ? 80 + random() * 120 : 150 + random() * 400),
      linkCount: Math.round(spam ? 4 + random() * 8 : random() * 3),
      capsRatio: spam ? 0.25 + random() * 0.4 : random() * 0.15,
      label: spam ? 'spam' : 'ham',
    };
  });
}

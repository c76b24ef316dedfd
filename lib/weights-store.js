// Where a model's weights are written and read: a NativeStore, so that the bytes go between the
// native model and storage without being copied through JavaScript objects.
//
//   S3 database        → aws-sdk-s3 in Rust, straight to the bucket, connected exactly as the
//                         s3db.js client's AWS SDK is (region, endpoint, path style, credentials)
//   memory:// file://  → the s3db.js client's putObject/getObject, called back from Rust: that
//   (and any other)       storage lives in this process (a Map, or files with the client's own
//                         .meta.json layout and lock), out of reach of a native client
//
// Both write each object under the key the s3db.js client would use, so either reads what the
// other wrote and models stored before this existed keep loading.
import { S3Client } from 's3db.js';
import { native } from './native.js';
import { callNative, ModelConfigError } from './errors.js';
import { isFileClient, putFileObject } from './file-objects.js';
import { announceStoreRequests } from './request-events.js';

/** Rebuild the S3 store this long before its credentials expire. */
const CREDENTIALS_REFRESH_MS = 5 * 60_000;

export class WeightsStore {
  /**
   * @param {object} database an s3db.js Database
   * @param {{ native?: boolean, multipartThreshold?: number, partSize?: number }} options
   *   `native: false` sends S3 weights through the s3db.js client too.
   */
  constructor(database, options = {}) {
    this.database = database;
    this.options = options ?? {};
    /** `{ store, path: 'native-s3' | 's3db-client', expiresAt }` once built. */
    this._current = null;
    this._building = null;
  }

  /** The NativeStore to use now (built on first use, rebuilt before S3 credentials expire). */
  async store() {
    return (await this._resolve()).store;
  }

  /**
   * `operation(store)` with the store to use now; then the S3 requests it sent from Rust are
   * announced on the s3db.js client, as that client announces its own (request-events.js).
   */
  async use(operation) {
    const store = await this.store();
    try {
      return await operation(store);
    } finally {
      announceStoreRequests(this.database.client, store);
    }
  }

  /** `'native-s3'` (Rust writes to the bucket) or `'s3db-client'` (the s3db.js client does). */
  async path() {
    return (await this._resolve()).path;
  }

  async _resolve() {
    const current = this._current;
    if (current && !(current.expiresAt && current.expiresAt - CREDENTIALS_REFRESH_MS <= Date.now())) return current;
    this._building ??= this._build()
      .then((built) => (this._current = built))
      .finally(() => {
        this._building = null;
      });
    return this._building;
  }

  async _build() {
    const { NativeStore } = native();
    const client = this.database.client;
    if (isS3Client(client) && this.options.native !== false) {
      const connection = await s3Connection(client);
      const store = callNative(
        () =>
          NativeStore.s3({
            ...connection.options,
            multipartThreshold: this.options.multipartThreshold,
            partSize: this.options.partSize,
          }),
        ModelConfigError,
      );
      return { store, path: 'native-s3', expiresAt: connection.expiresAt };
    }
    const store = NativeStore.jsClient(
      (key, body) => writeBinary(client, key, body),
      async (key) => {
        try {
          return await readBinary(client, key);
        } catch (error) {
          if (error?.name === 'NoSuchKey' || error?.code === 'NoSuchKey') return null;
          throw error;
        }
      },
    );
    return { store, path: 's3db-client', expiresAt: null };
  }
}

/**
 * Writes `body` (a Buffer) under `key` through the s3db.js client; on file:// in the client's
 * layout directly, so that the bytes are stored once (see file-objects.js).
 */
export async function writeBinary(client, key, body) {
  if (isFileClient(client) && (await putFileObject(client, key, body))) return;
  await client.putObject({ key, body, contentType: 'application/octet-stream' });
}

/** The bytes under `key`, read through the s3db.js client (its error when there are none). */
export async function readBinary(client, key) {
  const object = await client.getObject(key);
  return Buffer.from(await object.Body.transformToByteArray());
}

/** An s3db.js S3Client with the AWS SDK client behind it (s3db-contract §4.4). */
function isS3Client(client) {
  // By name too: instanceof fails when the application resolved another copy of s3db.js.
  const s3 = client instanceof S3Client || client?.constructor?.name === 'S3Client';
  return s3 && typeof client.client?.config?.credentials === 'function';
}

/**
 * What the s3db.js client's AWS SDK actually uses (s3db-contract §4.1): the connection string's
 * `?region=` never reaches the SDK, and credentials may come from the SDK's default chain rather
 * than the URL, so `db.client.config` alone can be wrong.
 */
async function s3Connection(client) {
  const sdk = client.client.config;
  const [region, endpoint, credentials] = await Promise.all([
    sdk.region(),
    typeof sdk.endpoint === 'function' ? sdk.endpoint() : null,
    sdk.credentials(),
  ]);
  return {
    options: {
      bucket: client.config.bucket,
      keyPrefix: typeof client.config.keyPrefix === 'string' ? client.config.keyPrefix : '',
      region,
      endpoint: endpoint ? endpointUrl(endpoint) : undefined,
      forcePathStyle: Boolean(sdk.forcePathStyle),
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
    },
    expiresAt: credentials.expiration ? new Date(credentials.expiration).getTime() : null,
  };
}

/** The SDK's endpoint object (`{ protocol, hostname, port, path }`) as a URL string. */
function endpointUrl({ protocol, hostname, port, path }) {
  const host = hostname.includes(':') ? `[${hostname}]` : hostname;
  const base = path && path !== '/' ? path.replace(/\/$/, '') : '';
  return `${protocol}//${host}${port ? `:${port}` : ''}${base}`;
}

// The S3 requests the plugin sends from Rust, announced on the s3db.js client as that client
// announces the requests it sends itself: `cl:request` (command name, input) and, when S3
// answered, `cl:response` (command name, response, input), with the AWS SDK's command names and
// field names. Plugins that watch the client, such as s3db.js's CostsPlugin, which counts
// requests and bytes to estimate the bill, then see every request the database costs, whichever
// client sent it.
//
// Rust-side requests are announced once they have been answered (the native client gives no hook
// before it sends), so each `cl:request` comes right before its `cl:response`.
import { join } from 'node:path';

const ANNOUNCED = ['cl:request', 'cl:response', 'cl:GetObject'];

/** True when something listens to the client's request events: otherwise nothing is built. */
function watched(client) {
  return typeof client?.listenerCount === 'function' && ANNOUNCED.some((event) => client.listenerCount(event) > 0);
}

/** `key` (relative to the database) as the whole key the request carried, as s3db.js joins it. */
export function wholeKey(client, key) {
  const prefix = client?.config?.keyPrefix;
  return typeof prefix === 'string' && prefix ? join(prefix, key) : key;
}

/** Announces one request: `response` null when it failed (then only `cl:request`, as s3db.js). */
function announce(client, command, input, response) {
  client.emit('cl:request', command, input);
  if (response) client.emit('cl:response', command, response, input);
}

/**
 * A GET the native client sent for `key` (relative to the database): a record, or the training
 * snapshot's rows. `response` is the SDK-shaped answer (record-objects.js asSdkResponse), or null
 * when the object was gone. Also `cl:GetObject`, which s3db.js's own getObject emits for each
 * object it reads.
 */
export function announceRecordGet(client, key, response) {
  if (!watched(client)) return;
  announce(client, 'GetObjectCommand', { Bucket: client.config?.bucket, Key: wholeKey(client, key) }, response);
  if (response) client.emit('cl:GetObject', response, { key });
}

/** One ListObjectsV2 page the native client fetched (`page`: NativeStore.listPage's answer, or null when it failed). */
export function announceListPage(client, { prefix, startAfter, continuationToken, maxKeys }, page) {
  if (!watched(client)) return;
  const input = { Bucket: client.config?.bucket, Prefix: prefix, MaxKeys: maxKeys, StartAfter: startAfter ?? undefined, ContinuationToken: continuationToken ?? undefined };
  const response = page && {
    Contents: page.keys.map((key, i) => ({ Key: key, ETag: page.eTags[i], LastModified: new Date(page.lastModified[i]), Size: page.sizes[i] })),
    KeyCount: page.keys.length,
    IsTruncated: Boolean(page.nextToken),
    NextContinuationToken: page.nextToken ?? undefined,
  };
  announce(client, 'ListObjectsV2Command', input, response);
}

/**
 * Everything `store` (a NativeStore) sent for `saveTo`/`loadFrom` since the last call: weights
 * PUTs (or multipart uploads, a request per part) and GETs. The bytes themselves never reach
 * JavaScript, so a PUT's `Body` is a stand-in with the `length` that was sent.
 */
export function announceStoreRequests(client, store) {
  if (typeof store?.takeRequests !== 'function') return;
  const requests = store.takeRequests(); // taken even when unwatched, so the log stays empty
  if (!watched(client)) return;
  for (const { operation, key, bytesSent, bytesReceived, succeeded } of requests) {
    const input = { Bucket: client.config?.bucket, Key: key };
    if (bytesSent > 0) Object.assign(input, { ContentLength: bytesSent, Body: { length: bytesSent } });
    announce(client, `${operation}Command`, input, succeeded ? (operation === 'GetObject' ? { ContentLength: bytesReceived } : {}) : null);
  }
}

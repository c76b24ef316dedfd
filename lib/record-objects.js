// How a bulk read GETs one record: through s3db.js (`resource.getOrNull`), or, on an S3 database,
// with the object fetched by aws-sdk-s3 in Rust and decoded by s3db.js itself.
//
// Why: on S3 the JavaScript AWS SDK spends about 1 ms of Node's CPU per GetObject (middleware,
// signing, header parsing), more than s3db.js spends decoding the record, and a full read of N
// records is N GETs. The native client does that work on its own threads. What the GET returns
// is handed to s3db.js exactly as its S3Client would hand it over (the same field names, the
// metadata through s3db.js's own metadataDecode), so the record is s3db.js's decoding, byte for
// byte: its schema unmapper, behavior, version mapping and afterGet hooks all run as in `get()`.
import { metadataDecode } from 's3db.js/concerns/metadata-encoding';
import { callNative, ModelStorageError } from './errors.js';
import { announceRecordGet } from './request-events.js';

/**
 * `(id) => Promise<record | null>` for `resource`: the native path when `store` (a NativeStore,
 * or null) reads the bucket and this s3db.js exposes the decoding step, else `resource.getOrNull`.
 * `path`: which of the two (`'native-s3'` or `'s3db-client'`).
 */
export function recordGetter(resource, store) {
  const persistence = resource._persistence;
  const native = store?.readsBucket === true && typeof persistence?.hydrateObject === 'function' && typeof resource.getResourceKey === 'function';
  if (!native) return { path: 's3db-client', get: (id) => resource.getOrNull(id) };
  return {
    path: 'native-s3',
    get: async (id) => {
      // What ResourcePersistence.get does around its client.getObject.
      if (typeof resource.executeHooks === 'function') await resource.executeHooks('beforeGet', { id });
      const key = resource.getResourceKey(id);
      const fetched = await nativeGet(resource.client, store, key);
      if (fetched === null) return null; // deleted since the listing
      return persistence.hydrateObject(id, fetched.response, key);
    },
  };
}

/**
 * GETs `key` (relative to the database) with the native `store`, announced on the s3db.js
 * `client` as its own GET would be (request-events.js): `{ object, response }`, the native answer
 * and its SDK-shaped form (asSdkResponse), or null when there is no object.
 */
export async function nativeGet(client, store, key) {
  let object;
  try {
    object = await callNative(() => store.getObject(key), ModelStorageError);
  } catch (error) {
    announceRecordGet(client, key, null);
    throw error;
  }
  const response = object && asSdkResponse(object);
  announceRecordGet(client, key, response);
  return object && { object, response };
}

/**
 * A native GetObject answer in the shape s3db.js's S3Client.getObject resolves with: the AWS
 * SDK's field names, metadata values decoded by s3db.js, LastModified a Date, a Body whose
 * transformToByteArray gives the bytes.
 */
export function asSdkResponse(object) {
  const metadata = {};
  for (const [name, value] of Object.entries(object.metadata)) metadata[name] = metadataDecode(value);
  const response = {
    Metadata: metadata,
    ContentLength: object.contentLength,
    Body: { transformToByteArray: async () => new Uint8Array(object.body.buffer, object.body.byteOffset, object.body.byteLength) },
  };
  if (object.contentType != null) response.ContentType = object.contentType;
  if (object.eTag != null) response.ETag = object.eTag;
  if (object.lastModified != null) response.LastModified = new Date(object.lastModified);
  if (object.versionId != null) response.VersionId = object.versionId;
  if (object.expiration != null) response.Expiration = object.expiration;
  return response;
}

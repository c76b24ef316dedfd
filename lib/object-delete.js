// Deletes the plugin's own objects (an old training snapshot, a training-lock ticket) through the
// application's s3db.js client, in the one way that works with every HTTP handler it may use.
import { S3Client } from 's3db.js';

/**
 * Deletes `key` through `client`. On S3 this goes as a DeleteObjects request, not DeleteObject:
 * S3 answers DeleteObject with 204, which s3db.js's default HTTP handler (ReckerHttpHandler) takes
 * for a network failure. It then retries for about 3.5 s, and counts each try towards its circuit
 * breaker, which after 5 fails every request of the application's client to that host for 30 s:
 * two trainings were enough. DeleteObjects answers 200 with an XML body, which every handler reads.
 * Memory and file clients delete directly. Rejects when the object could not be deleted.
 */
export async function deleteObject(client, key) {
  if (!(client instanceof S3Client)) {
    await client.deleteObject(key);
    return;
  }
  const { deleted, notFound } = await client.deleteObjects([key]);
  const failed = [...notFound, ...deleted.flatMap((response) => response?.Errors ?? [])];
  if (failed.length > 0) {
    const error = failed[0]?.raw ?? failed[0];
    throw error instanceof Error ? error : new Error(`could not delete ${key}: ${error?.Message ?? error?.message ?? JSON.stringify(error)}`);
  }
}

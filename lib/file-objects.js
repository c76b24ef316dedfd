// Binary objects on s3db.js's FileSystemClient, written in its own on-disk layout: the body at
// `{basePath}/{keyPrefix}/{key}`, its metadata beside it in `{key}.meta.json`, each renamed into
// place. The client's own putObject also copies the whole body into the metadata file, as a JSON
// array of bytes (about ten times the body's size): fine for records, whose bodies are mostly
// empty, but a training snapshot or a model's weights would be stored twice, the second time
// swollen, and every GET would parse that JSON. Written here, the body is stored once, and the
// client reads the object back as its own (GET, HEAD, LIST and delete need no `body` field).
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FileSystemClient } from 's3db.js';

/** A FileSystemClient (by name too: the application may have resolved another copy of s3db.js). */
export function isFileClient(client) {
  return client instanceof FileSystemClient || client?.constructor?.name === 'FileSystemClient';
}

/** Where `client` keeps the object `key` (a key prefix or a directory prefix ending in `/`), or null. */
export function fileObjectPath(client, key) {
  if (typeof client?.basePath !== 'string') return null;
  return join(client.basePath, typeof client.keyPrefix === 'string' ? client.keyPrefix : '', ...key.split('/'));
}

/**
 * Writes `body` (a Buffer) under `key` on a FileSystemClient. False, writing nothing, when the
 * client's storage does more on a put than store the object (TTL, backups, a journal) or its
 * layout is not the one known here: the caller then uses the client's putObject.
 */
export async function putFileObject(client, key, body, contentType = 'application/octet-stream') {
  const storage = client.storage;
  if (!storage || storage.enableTTL || storage.enableBackup || storage.enableJournal || storage.basePath !== client.basePath) return false;
  const path = fileObjectPath(client, key);
  if (!path) return false;
  await mkdir(dirname(path), { recursive: true });
  // Body first, metadata second: the client lists and reads an object through its metadata file,
  // so a crash in between leaves no object rather than half of one.
  await writeAtomic(path, body);
  const metadata = {
    metadata: {},
    contentType,
    etag: createHash('md5').update(body).digest('hex'),
    lastModified: new Date().toISOString(),
    size: body.length,
    contentLength: body.length,
    compressed: false,
  };
  await writeAtomic(`${path}.meta.json`, JSON.stringify(metadata));
  return true;
}

async function writeAtomic(path, data) {
  const temporary = `${path}.tmp.${process.pid}.${randomBytes(6).toString('hex')}`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw error;
  }
}

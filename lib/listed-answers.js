// LIST calls through the application's s3db.js client, taken only when S3 answered what they
// asked. s3db.js's default HTTP handler (ReckerHttpHandler) answers GETs in flight at once to one
// path with one response whatever their query strings, and every LIST of a bucket is a GET of
// the same path: LISTs sent at the same moment (two models training at once) read each other's
// answers. S3 echoes the prefix, start and continuation token it listed, so an answer to another
// LIST is recognised and the LIST sent again.
import { join } from 'node:path';
import { S3Client } from 's3db.js';

/** Times a LIST answered for another one is sent again before the listing fails. */
const MAX_LIST_ATTEMPTS = 10;

/**
 * `send()`'s answer (a ListObjectsV2 response) once it is the answer to `asked` (`{ Prefix,
 * StartAfter, ContinuationToken }`, as sent); `send()` is called again otherwise. A field S3 does
 * not echo cannot be checked and is taken as answered.
 */
export async function answeredList(send, asked) {
  for (let attempt = 1; ; attempt++) {
    const response = await send();
    if (answers(response, asked)) return response;
    if (attempt === MAX_LIST_ATTEMPTS) throw new Error(`a LIST of ${asked.Prefix} kept being answered for another one (prefix ${response?.Prefix})`);
  }
}

function answers(response, { Prefix, StartAfter, ContinuationToken }) {
  const echoed = (got, sent) => got === undefined || (got || null) === (sent || null);
  return echoed(response?.Prefix, Prefix) && echoed(response?.StartAfter, StartAfter) && echoed(response?.ContinuationToken, ContinuationToken);
}

/** The prefix S3 lists when s3db.js's S3Client lists `prefix`: its key prefix joined on (path.join included). */
export function listedPrefix(client, prefix) {
  return client.config?.keyPrefix ? join(client.config.keyPrefix, prefix) : prefix;
}

/**
 * The keys under `path` in the plugin's storage (under `resource=R/` when `resource` is given), at
 * the keys PluginStorage's `list` / `listForResource` look under: one LIST, enough for the few objects the
 * plugin lists (a model's metadata and history, training-lock tickets). Before the answer was
 * checked, models trained at the same time each saw another's lock ticket and all but one were
 * skipped as 'locked_by_another_instance', or found no stored versions or history of their own
 * and wrote version 1 and a one-entry history over them. Keys come back as S3 lists them (with
 * the client's key prefix); callers look at their ends only.
 */
export async function listPluginKeys(plugin, path, { resource = null } = {}) {
  const storage = plugin.getStorage();
  const client = plugin.database.client;
  // As PluginStorage builds it. Its own listing is not used on any client: it strips the client's
  // key prefix from each key with String.replace, wherever it occurs, so on memory:// (whose keys
  // come back without the prefix) a lock ticket whose random name contains the prefix ('db' of
  // memory://app/db, or a digit) came back renamed, and a single process saw another's lock.
  const prefix = `${resource ? `resource=${resource}/` : ''}plugin=${storage.pluginSlug}/${path}`;
  const list = () => client.listObjects({ prefix });
  const response = client instanceof S3Client ? await answeredList(list, { Prefix: listedPrefix(client, prefix) }) : await list();
  return (response?.Contents ?? []).map((item) => item.Key).filter((key) => typeof key === 'string');
}

// Lists the plugin's own objects (a model's metadata, its training history, training-lock
// tickets) through the application's s3db.js client, answered for the prefix asked.
import { join } from 'node:path';
import { S3Client } from 's3db.js';

/** Times a LIST answered for another prefix is sent again before the listing fails. */
const MAX_LIST_ATTEMPTS = 10;

/**
 * The keys under `path` in the plugin's storage (under `resource=R/` when `resource` is given), as
 * PluginStorage's `list` / `listForResource` find them: one LIST, which is enough for the few
 * objects the plugin lists. On S3 the answer must be for the prefix asked: s3db.js's default HTTP
 * handler (ReckerHttpHandler) answers LIST calls in flight at once with one response whatever
 * their prefix, so two models trained at the same time each read the other's listing. One saw
 * the other's training-lock ticket and was skipped as 'locked_by_another_instance'; one found no
 * stored versions or history of its own and wrote version 1 and a one-entry history over them.
 * S3 says which prefix it listed; an answer for another one is asked again. Keys come back as S3
 * lists them (with the client's key prefix); callers look at their ends only.
 */
export async function listPluginKeys(plugin, path, { resource = null } = {}) {
  const storage = plugin.getStorage();
  const client = plugin.database.client;
  if (!(client instanceof S3Client)) return resource ? storage.listForResource(resource, path) : storage.list(path);
  // As PluginStorage and then S3Client.listObjects build it.
  const prefix = `${resource ? `resource=${resource}/` : ''}plugin=${storage.pluginSlug}/${path}`;
  const listed = client.config.keyPrefix ? join(client.config.keyPrefix, prefix) : prefix;
  for (let attempt = 1; ; attempt++) {
    const response = await client.listObjects({ prefix });
    if (response?.Prefix === undefined || response.Prefix === listed) {
      return (response?.Contents ?? []).map((item) => item.Key).filter((key) => typeof key === 'string');
    }
    if (attempt === MAX_LIST_ATTEMPTS) throw new Error(`a LIST of ${listed} kept being answered for ${response.Prefix}`);
  }
}

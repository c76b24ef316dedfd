// The storage lock that lets one instance at a time train a model, when several instances
// (processes, machines) share one bucket.
//
// A ticket scheme, because conditional writes (If-None-Match, which s3db.js's own lock relies on)
// are ignored by some S3-compatible servers (SeaweedFS 4.48 overwrites silently): each contender
// adds its own object `plugin=<slug>/locks/train-R-M/<start>-<expiry>-<token>`, waits for racing
// writes to land, lists the tickets, and the earliest live one wins; the others withdraw. Expiry
// is in the key, so a crashed trainer blocks nobody after `trainingLockTtl` seconds and no
// ticket ever needs reading (a GET of a missing key retries for seconds on S3; a LIST does not).
import { randomUUID } from 'node:crypto';
import { MemoryClient } from 's3db.js';
import { deleteObject } from './object-delete.js';
import { listPluginKeys } from './listed-answers.js';

/**
 * How long a new ticket settles before the tickets are compared: far above one PUT's latency, so
 * a racing contender's ticket has landed by then.
 */
const SETTLE_MS = 300;

/**
 * Takes the training lock of `modelName` for `plugin`, or returns null when another instance
 * holds it or wins the race for it.
 * @returns {Promise<{ key: string } | null>}
 */
export async function acquireTrainingLock(plugin, modelName) {
  const storage = plugin.getStorage();
  const dir = `locks/train-${plugin.config.models[modelName].resource}-${modelName}`;
  const now = Date.now();
  if ((await liveTickets(plugin, dir, now)).length > 0) return null;
  const expiry = now + plugin.config.trainingLockTtl * 1000;
  const ticket = `${pad(now)}-${pad(expiry)}-${randomUUID()}`;
  const key = storage.getPluginKey(null, dir, ticket);
  await storage.set(key, { modelName, ticket }, { behavior: 'body-only' });
  // The memory client is one process: every write has landed already.
  if (!(plugin.database.client instanceof MemoryClient)) await new Promise((r) => setTimeout(r, SETTLE_MS));
  const [winner] = await liveTickets(plugin, dir, Date.now());
  if (winner === ticket) return { key };
  await deleteObject(plugin.database.client, key).catch(() => {});
  return null;
}

/** Gives a training lock back. */
export async function releaseTrainingLock(plugin, lock) {
  await deleteObject(plugin.database.client, lock.key).catch(() => {});
}

/** The unexpired tickets under `dir`, earliest first (zero-padded times sort as text). */
async function liveTickets(plugin, dir, now) {
  const keys = await listPluginKeys(plugin, `${dir}/`);
  return keys
    .map((key) => key.slice(key.lastIndexOf('/') + 1))
    .filter((ticket) => Number(ticket.split('-')[1]) > now)
    .sort();
}

function pad(ms) {
  return String(ms).padStart(15, '0');
}

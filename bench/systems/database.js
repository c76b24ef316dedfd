// The s3db.js database both plugins train from: the in-memory client, one resource holding the
// workload's training rows. Same client, same records, so only the plugin differs.
import { Database } from 's3db.js';

export const RESOURCE = 'samples';
export const MODEL = 'bench';

/** A connected memory database whose `samples` resource holds `data.train`. */
export async function loadDatabase(data) {
  const db = new Database({ connectionString: `memory://bench-${process.pid}/app`, logLevel: 'silent' });
  await db.connect();
  const attributes = {};
  for (const field of data.features) attributes[field] = 'number';
  attributes[data.target] = typeof data.train[0][data.target] === 'number' ? 'number' : 'string';
  if (data.timeField) attributes[data.timeField] = 'number';
  const resource = await db.createResource({ name: RESOURCE, attributes });
  // Zero-padded ids: s3db.js lists by id, and upstream builds time-series windows in list order.
  const rows = data.train.map((row, i) => ({ id: `r${String(i).padStart(8, '0')}`, ...row }));
  for (let i = 0; i < rows.length; i += 1000) await resource.insertMany(rows.slice(i, i + 1000));
  return db;
}

/** The plugin's model definition for this workload (upstream ignores `timeField`: it uses list order). */
export function modelDefinition(data) {
  return {
    type: data.type,
    resource: RESOURCE,
    features: data.features,
    target: data.target,
    ...(data.timeField && { timeField: data.timeField }),
    modelConfig: data.modelConfig,
  };
}

/** Installs `plugin` on a database loaded with `data`. */
export async function pluginDatabase(data, plugin) {
  const db = await loadDatabase(data);
  await db.usePlugin(plugin);
  return db;
}

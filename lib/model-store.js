// Versioned model persistence in the database's own storage, with the upstream MLPlugin's key
// layout (s3db-contract §5.12), namespaced by the plugin's slug:
//
//   resource=R/plugin=ml/models/M/vN              the version's record (JSON): metrics, config, weights key
//   resource=R/plugin=ml/models/M/vN.safetensors  its weights (binary, the model's safetensors export)
//   resource=R/plugin=ml/metadata/M/versions      { currentVersion, latestVersion }
//   resource=R/plugin=ml/metadata/M/active        { version }: the version that serves
//   model_M                                       root pointer to the active version (upstream compatibility)
//
// A version is written weights first, record second, and becomes active only after both: a save
// that fails half way leaves the previous version serving and lists nothing broken. Records go
// through PluginStorage (body-only JSON); weights between the native model and a WeightsStore
// (lib/weights-store.js: aws-sdk-s3 from Rust on S3, the s3db.js client elsewhere), under the
// same key either way.
import { listPluginKeys } from './listed-answers.js';
import { readBinary, WeightsStore, writeBinary } from './weights-store.js';
import { decodeRows } from './rows-arrow.js';

export class ModelStore {
  /** @param {import('./plugin.js').MLPlugin} plugin */
  constructor(plugin) {
    this.plugin = plugin;
    this._weightsStore = null;
  }

  /** Where weights go, for the database the plugin is installed on (`plugin.config.storage`). */
  get weights() {
    const database = this.plugin.database;
    if (this._weightsStore?.database !== database) this._weightsStore = new WeightsStore(database, this.plugin.config.storage);
    return this._weightsStore;
  }

  get _storage() {
    return this.plugin.getStorage();
  }

  _key(modelName, ...parts) {
    const resource = this.plugin.config.models[modelName].resource;
    return this._storage.getPluginKey(resource, ...parts);
  }

  _versionKey(modelName, version) {
    return this._key(modelName, 'models', modelName, `v${version}`);
  }

  /** `{ currentVersion, latestVersion }` as stored (0 when nothing was saved). */
  async versionInfo(modelName) {
    // One LIST first: on S3, s3db.js retries a GET of a missing key with back-off for seconds,
    // and "never saved" is the common case for a model's first training.
    const resource = this.plugin.config.models[modelName].resource;
    const present = await listPluginKeys(this.plugin, `metadata/${modelName}/`, { resource });
    const has = (name) => present.some((key) => key.endsWith(`/metadata/${modelName}/${name}`));
    const info = has('versions') ? await this._storage.get(this._key(modelName, 'metadata', modelName, 'versions')) : null;
    const active = has('active') ? await this._storage.get(this._key(modelName, 'metadata', modelName, 'active')) : null;
    return {
      latestVersion: Number(info?.latestVersion ?? 0),
      currentVersion: Number(active?.version ?? info?.currentVersion ?? 0),
    };
  }

  /**
   * Saves `model` as a new version and activates it.
   * @returns {Promise<number>} the version number
   */
  async save(modelName, model, result, { activate = true } = {}) {
    const { latestVersion, currentVersion } = await this.versionInfo(modelName);
    const version = latestVersion + 1;
    const weightsKey = `${this._versionKey(modelName, version)}.safetensors`;
    const weights = await this.weights.use((store) => model.saveTo(store, weightsKey));
    const savedAt = new Date().toISOString();
    const metrics = {
      loss: result.loss,
      valLoss: result.valLoss ?? null,
      accuracy: result.accuracy ?? null,
      samples: result.samples,
      heldOut: result.metrics ?? null,
    };
    const record = {
      modelName,
      version,
      type: 'model',
      modelData: {
        format: 's3db-ml',
        type: model.type,
        config: model.config,
        stats: { ...model.stats },
        weightsKey,
        weightsBytes: weights.bytes,
        weightsSha256: weights.sha256,
      },
      metrics,
      // Permutation importance measured after training (null for models that predate it).
      importance: model.importance,
      // How the training read its records (training-data.js; null when it was given arrays).
      read: result.read ?? null,
      // Whether it was stored to serve: the history says so too, but may miss a version (below).
      deployed: activate,
      savedAt,
    };
    await this._set(this._versionKey(modelName, version), record);
    if (activate) {
      await this.activate(modelName, version, { latestVersion: version, metrics, savedAt });
    } else {
      // Stored and listed, but the active version keeps serving.
      await this._set(this._key(modelName, 'metadata', modelName, 'versions'), {
        modelName,
        currentVersion,
        latestVersion: version,
        updatedAt: savedAt,
      });
    }
    return version;
  }

  /** Makes `version` the one that serves (the active reference is written last). */
  async activate(modelName, version, { latestVersion, metrics, savedAt } = {}) {
    const info = await this.versionInfo(modelName);
    const updatedAt = new Date().toISOString();
    const latest = Math.max(latestVersion ?? 0, info.latestVersion, version);
    await this._set(this._key(modelName, 'metadata', modelName, 'versions'), {
      modelName,
      currentVersion: version,
      latestVersion: latest,
      updatedAt,
    });
    await this._set(this._key(modelName, 'metadata', modelName, 'active'), { modelName, version, type: 'reference', updatedAt });
    await this._set(`model_${modelName}`, {
      modelName,
      type: 'model',
      data: { storageKey: this._versionKey(modelName, version), version },
      metrics: metrics ?? null,
      savedAt: savedAt ?? updatedAt,
    });
  }

  /** The record of one version, or null. */
  async record(modelName, version) {
    return this._storage.get(this._versionKey(modelName, version));
  }

  /** `[{ version, savedAt, isCurrent, metrics }]` for every stored version. */
  async list(modelName) {
    const { latestVersion, currentVersion } = await this.versionInfo(modelName);
    const versions = [];
    for (let v = 1; v <= latestVersion; v++) {
      const record = await this.record(modelName, v);
      if (record) {
        versions.push({ version: v, savedAt: record.savedAt, isCurrent: v === currentVersion, metrics: record.metrics, importance: record.importance ?? null });
      }
    }
    return versions;
  }

  /**
   * Loads `version` into `model` (its weights checked against the record's hash). Throws when the
   * version is missing or damaged; the model keeps what it had then. `record`: the version's
   * record when the caller has already read it.
   */
  async loadInto(modelName, model, version, record = null) {
    record ??= await this.record(modelName, version);
    if (!record?.modelData?.weightsKey) throw new Error(`version ${version} of "${modelName}" is not stored`);
    const { weightsKey, weightsBytes, weightsSha256, stats } = record.modelData;
    await this.weights.use((store) => model.loadFrom(store, weightsKey, { bytes: weightsBytes, sha256: weightsSha256 }, stats));
    return record;
  }

  /**
   * Loads the active version; if it is damaged, the newest older version that loads (reported
   * through `onFallback`). Returns the version loaded, or 0 when none is stored.
   */
  async loadActive(modelName, model, { onFallback } = {}) {
    const { currentVersion } = await this.versionInfo(modelName);
    let firstError;
    for (let v = currentVersion; v >= 1; v--) {
      try {
        await this.loadInto(modelName, model, v);
        if (firstError) onFallback?.({ modelName, requested: currentVersion, loaded: v, error: firstError.message });
        return v;
      } catch (error) {
        firstError ??= error;
      }
    }
    if (firstError) onFallback?.({ modelName, requested: currentVersion, loaded: 0, error: firstError.message });
    return 0;
  }

  /**
   * Stores the rows version `version` was trained on: a JSON record, and the rows themselves in the
   * training snapshot's format (an Arrow IPC file of each record's prepared fields, rows-arrow.js).
   */
  async saveTrainingData(modelName, version, model, data) {
    const rowsKey = `${this._key(modelName, 'training', 'data', modelName, `v${version}`)}.arrow`;
    const rows = await data.rows;
    await writeBinary(this.plugin.database.client, rowsKey, Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength));
    await this._set(this._key(modelName, 'training', 'data', modelName, `v${version}`), {
      modelName,
      version,
      samples: data.samples ?? data.targets.length,
      features: model.config.features,
      target: model.config.target,
      format: 'arrow-ipc',
      rowsKey,
      savedAt: new Date().toISOString(),
    });
  }

  /** `{ modelName, version, samples, features, target, data: [{ id, features, target, context? }], savedAt }` or null. */
  async trainingData(modelName, version) {
    const record = await this._getIfListed(modelName, 'training', 'data', modelName, `v${version}`);
    if (!record) return null;
    const bytes = await readBinary(this.plugin.database.client, record.rowsKey);
    const { features, target } = record;
    const rows = record.format === 'arrow-ipc' ? await decodeRows(bytes) : null;
    const data = rows ? trainingRows(rows, features, target) : legacyTrainingRows(bytes, record);
    return { modelName, version, samples: data.length, features, target, data, savedAt: record.savedAt };
  }

  /**
   * Appends `version` to the model's training history: `figures` in a version record's `metrics`
   * shape (`{ samples, loss, accuracy, heldOut }`). A process that ended between storing a version
   * and this write left that version out: versions between the last one recorded and this one are
   * filled in from their records first (`recovered: true`).
   */
  async recordHistory(modelName, version, figures, { storageKey = null, deployed }) {
    const key = this._key(modelName, 'training', 'history', modelName);
    const entry = historyEntry(version, figures, { storageKey, deployed, trainedAt: new Date().toISOString() });
    const current = await this.history(modelName);
    const recorded = current?.history ?? [];
    const missing = [];
    const last = Math.max(0, ...recorded.map((e) => e.version));
    for (let gap = last + 1; gap < version; gap++) {
      const record = await this.record(modelName, gap);
      // Versions stored before records said whether they served are taken to have, as a missing entry is.
      if (record) missing.push({ ...historyEntry(gap, record.metrics, { deployed: record.deployed ?? null, trainedAt: record.savedAt }), recovered: true });
    }
    const history = [...recorded, ...missing, entry];
    await this._set(key, {
      modelName,
      type: 'training_history',
      totalTrainings: history.length,
      latestVersion: entry.version,
      history,
      updatedAt: new Date().toISOString(),
    });
  }

  async history(modelName) {
    return this._getIfListed(modelName, 'training', 'history', modelName);
  }

  /**
   * The JSON record at plugin path `parts` under `modelName`'s resource, or null when none is
   * stored. Listed first: on S3, s3db.js retries a GET of a missing key for about 7 s, and a
   * record that may never have been written (training rows kept only with saveTrainingData, a
   * history before the first training) is often missing.
   */
  async _getIfListed(modelName, ...parts) {
    const resource = this.plugin.config.models[modelName].resource;
    const path = parts.join('/');
    const listed = await listPluginKeys(this.plugin, path, { resource });
    return listed.some((key) => key.endsWith(`/${path}`)) ? this._storage.get(this._key(modelName, ...parts)) : null;
  }

  _set(key, data) {
    return this._storage.set(key, data, { behavior: 'body-only' });
  }
}

/**
 * The rows that trained (the filter kept them) as `{ id, features: { name: value }, target }`,
 * with `context: { name: value }` holding the other fields training read (a time series' time
 * field, which orders its rows) when there are any.
 */
function trainingRows(rows, features, target) {
  const column = (name) => rows.columns[rows.fields.indexOf(name)];
  const featureColumns = features.map(column);
  const targets = column(target);
  const others = rows.fields.filter((name) => name !== target && name !== 'id' && !features.includes(name));
  const otherColumns = others.map(column);
  const data = [];
  for (let i = 0; i < rows.ids.length; i++) {
    if (!rows.included[i]) continue;
    const row = {
      id: rows.ids[i],
      features: Object.fromEntries(features.map((name, c) => [name, featureColumns[c][i]])),
      target: targets[i],
    };
    if (others.length > 0) row.context = Object.fromEntries(others.map((name, c) => [name, otherColumns[c][i]]));
    data.push(row);
  }
  return data;
}

/** Versions stored before the Arrow format: float64 features (row-major), then targets. */
function legacyTrainingRows(bytes, record) {
  const values = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const { samples, columns, features, labels } = record;
  const targets = values.subarray(samples * columns);
  return Array.from({ length: samples }, (_, r) => ({
    features: Object.fromEntries(features.map((name, c) => [name, values[r * columns + c]])),
    target: labels ? labels[targets[r]] : (targets[r] ?? values[r * columns + columns - 1]),
  }));
}

/** One training-history entry (the rows it names are not known for a recovered one: `storageKey` null). */
function historyEntry(version, figures, { storageKey = null, deployed, trainedAt }) {
  return {
    version,
    totalSamples: figures?.samples ?? null,
    metrics: { loss: figures?.loss ?? null, accuracy: figures?.accuracy ?? null, heldOut: figures?.heldOut ?? null },
    storageKey,
    deployed,
    trainedAt,
  };
}

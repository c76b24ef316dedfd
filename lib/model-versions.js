// Which stored version of each model serves in this process: loading the active one on start or
// first use, picking up a version another instance activated, storing a new training as a version
// (with the deploy policy), and the versions API (list, load, activate, roll back, compare) over
// the ModelStore.
import { DataValidationError, MLError, ModelNotFoundError, ModelStorageError, TrainingError } from './errors.js';
import { checkVersionNumber, versionNotFound } from './version-arguments.js';

function fmt(value) {
  return typeof value === 'number' ? value.toPrecision(4) : String(value);
}

/**
 * The error `train()` rejects with when its new version could not be stored: a TrainingError with a
 * one-line message, the storage error as `cause`, and S3's code and status (when S3 answered) on
 * the error itself, so callers need not listen for `plg:ml:save-error` to learn them.
 */
function unsaved(modelName, error) {
  const reason = String(error?.message ?? error).split('\n')[0].slice(0, 300);
  const failure = new TrainingError(`Model "${modelName}" trained but could not be saved, so it does not serve: ${reason}`, {
    modelName,
    originalError: reason,
    ...(error instanceof ModelStorageError && {
      storageKey: error.key,
      s3Code: error.s3Code,
      httpStatus: error.httpStatus,
      notFound: error.notFound,
      retriable: error.retriable,
    }),
  });
  failure.cause = error;
  return failure;
}

/**
 * `{ feature: importance in version 2 − importance in version 1 }` for the features both measured
 * in the same metric, or null when either version has no importance.
 */
function importanceShift(before, after) {
  if (!before?.features || !after?.features || before.metric !== after.metric) return null;
  const was = new Map(before.features.map((f) => [f.feature, f.importance]));
  const shift = {};
  for (const { feature, importance } of after.features) {
    if (was.has(feature)) shift[feature] = importance - was.get(feature);
  }
  return shift;
}

export class ServingVersions {
  /**
   * @param {import('./plugin.js').MLPlugin} plugin
   * @param {import('./model-store.js').ModelStore} store
   */
  constructor(plugin, store) {
    this.plugin = plugin;
    this.store = store;
    /** modelName → promise of the stored version loaded (0: none), so each model loads once. */
    this.loadAttempts = new Map();
    /** modelName → when this instance last asked storage which version is active. */
    this.lastRefresh = new Map();
    /** Models on a version chosen with loadModelVersion(): not replaced by the active one. */
    this.pinned = new Set();
  }

  /** The stored active version of `modelName`, loaded once (on start, or on first use after a bare install). */
  async loadStored(modelName) {
    if (this.loadAttempts.has(modelName)) return this.loadAttempts.get(modelName);
    const attempt = this.store
      .loadActive(modelName, this.plugin.models[modelName], {
        onFallback: (info) => this.plugin.emit('plg:ml:load-fallback', info),
      })
      .catch((error) => {
        this.plugin.emit('plg:ml:load-error', { modelName, error });
        return 0;
      });
    this.loadAttempts.set(modelName, attempt);
    return attempt;
  }

  /** The stored version serving in this process (0: none, or not loaded from storage). */
  async servingVersion(modelName) {
    return (await this.loadAttempts.get(modelName)) ?? 0;
  }

  /** Before serving: a stored model if this one is untrained, a newer active version if any. */
  async ensureLoaded(modelName) {
    if (!this.plugin.models[modelName].isTrained && this.plugin.database?.client) await this.loadStored(modelName);
    await this.refreshIfStale(modelName);
  }

  /**
   * Another instance may have trained and activated a newer version: look (at most every
   * `refreshInterval` ms; 0 = on every call) and load it before serving.
   */
  async refreshIfStale(modelName) {
    const interval = this.plugin.config.refreshInterval;
    if (interval === false || interval === Infinity || !this.plugin.database?.client || this.plugin.training.get(modelName)) return;
    if (this.pinned.has(modelName)) return;
    const now = Date.now();
    if (now - (this.lastRefresh.get(modelName) ?? 0) < interval) return;
    this.lastRefresh.set(modelName, now);
    const loaded = await (this.loadAttempts.get(modelName) ?? Promise.resolve(0));
    const { currentVersion } = await this.store.versionInfo(modelName).catch(() => ({ currentVersion: loaded }));
    if (currentVersion > 0 && currentVersion !== loaded) {
      const attempt = this.store
        .loadInto(modelName, this.plugin.models[modelName], currentVersion)
        .then(() => currentVersion)
        .catch((error) => {
          this.plugin.emit('plg:ml:load-error', { modelName, version: currentVersion, error });
          return loaded;
        });
      this.loadAttempts.set(modelName, attempt);
      await attempt;
    }
  }

  /**
   * Stores a freshly trained model as a new version; on failure restores `previous` and throws.
   * `deploy`: the policy, by default the model's.
   */
  async saveTrained(modelName, model, result, previous, data = null, { deploy } = {}) {
    try {
      const verdict = await this.deployVerdict(modelName, result, deploy);
      const version = await this.store.save(modelName, model, result, { activate: verdict.deploy });
      result.deployed = verdict.deploy;
      const keepRows = data && (this.plugin.config.models[modelName].saveTrainingData ?? this.plugin.config.saveTrainingData);
      if (keepRows) await this.store.saveTrainingData(modelName, version, model, data);
      await this.store.recordHistory(modelName, version, { samples: result.samples, loss: result.loss, accuracy: result.accuracy, heldOut: result.metrics }, {
        storageKey: keepRows ? `training/data/${modelName}/v${version}` : null,
        deployed: verdict.deploy,
      });
      if (!verdict.deploy) {
        // 'if-better' and it is not: the active version goes on serving here too.
        if (previous) {
          model.import(previous);
        } else {
          model.dispose();
          this.loadAttempts.delete(modelName);
          await this.loadStored(modelName);
        }
        this.plugin.emit('plg:ml:deploy-skipped', { modelName, version, reason: verdict.reason });
        return version;
      }
      this.loadAttempts.set(modelName, Promise.resolve(version));
      this.pinned.delete(modelName);
      return version;
    } catch (error) {
      if (previous) model.import(previous);
      else model.dispose();
      this.plugin.emit('plg:ml:save-error', { modelName, error });
      throw unsaved(modelName, error);
    }
  }

  /**
   * `deploy: 'if-better'`: a new version serves only if its held-out metric beats the active
   * version's (RMSE for numbers, lower is better; accuracy for labels, higher is better).
   */
  async deployVerdict(modelName, result, policy = this.plugin.config.models[modelName].deploy ?? 'always') {
    if (policy !== 'if-better') return { deploy: true };
    const { currentVersion } = await this.store.versionInfo(modelName);
    const active = currentVersion > 0 ? await this.store.record(modelName, currentVersion) : null;
    const [now, before] = [result.metrics, active?.metrics?.heldOut];
    if (!before || !now) return { deploy: true };
    const [metric, better] =
      typeof now.rmse === 'number' ? ['rmse', now.rmse < before.rmse] : ['accuracy', now.accuracy > before.accuracy];
    if (better) return { deploy: true };
    return {
      deploy: false,
      reason: `held-out ${metric} ${fmt(now[metric])} does not beat the active version ${currentVersion}'s ${fmt(before[metric])}`,
    };
  }

  /** `[{ version, savedAt, isCurrent, metrics }]` of every stored version. */
  async list(modelName) {
    this.plugin._model(modelName);
    this._requireVersioning();
    return this.store.list(modelName);
  }

  /**
   * The record of stored `version`: a DataValidationError when it is not a positive whole number,
   * a ModelNotFoundError when no such version is stored. Asks which versions exist before reading
   * one: on S3 a GET of a missing key is retried for seconds.
   */
  async requireStored(modelName, version, argument = 'version') {
    checkVersionNumber(modelName, version, argument);
    const { latestVersion } = await this.store.versionInfo(modelName);
    if (version > latestVersion) throw versionNotFound(modelName, version);
    const record = await this.store.record(modelName, version);
    if (!record?.modelData?.weightsKey) throw versionNotFound(modelName, version);
    return record;
  }

  /** Loads a stored version into memory (it serves in this process until the next load or training). */
  async load(modelName, version) {
    const model = this.plugin._model(modelName);
    this._requireVersioning();
    let record;
    try {
      record = await this.store.loadInto(modelName, model, version, await this.requireStored(modelName, version));
    } catch (error) {
      if (error instanceof DataValidationError || error instanceof ModelNotFoundError) throw error;
      // Storage could not be read, or the weights failed their check.
      const failure = new MLError(`Version ${version} of model "${modelName}" could not be loaded: ${error.message}`, {
        modelName,
        version,
        statusCode: error instanceof ModelStorageError && !error.notFound ? 503 : 500,
      });
      failure.cause = error;
      throw failure;
    }
    this.loadAttempts.set(modelName, Promise.resolve(version));
    this.pinned.add(modelName);
    return { version, metrics: record.metrics, savedAt: record.savedAt };
  }

  /** Loads `version` and makes it the one that serves, here and for every instance that loads later. */
  async setActive(modelName, version) {
    const loaded = await this.load(modelName, version);
    await this.store.activate(modelName, version, { metrics: loaded.metrics, savedAt: loaded.savedAt });
    this.pinned.delete(modelName);
    return { modelName, version };
  }

  /**
   * Activates `version`; by default the newest version below the current one that was deployed
   * when it was stored (one that `deploy: 'if-better'` turned down never served, so going back to
   * it would be no undo).
   */
  async rollback(modelName, version = null) {
    this.plugin._model(modelName);
    this._requireVersioning();
    if (version !== null && version !== undefined) checkVersionNumber(modelName, version);
    const { currentVersion } = await this.store.versionInfo(modelName);
    if (currentVersion === 0) throw new MLError(`No stored versions of model "${modelName}"`, { modelName, statusCode: 404 });
    const target = version ?? (await this.previousDeployed(modelName, currentVersion));
    if (target === null) {
      throw new MLError(`Model "${modelName}" has no deployed version before version ${currentVersion} to roll back to`, { modelName, version: currentVersion, statusCode: 400 });
    }
    if (target === currentVersion) {
      throw new MLError(`Cannot rollback to the same version (${target})`, { modelName, version: target, statusCode: 400 });
    }
    await this.setActive(modelName, target);
    return { modelName, previousVersion: currentVersion, currentVersion: target, version: target };
  }

  /**
   * The newest version below `currentVersion` that the training history does not record as turned
   * down by the deploy policy, or null. A version the history has no entry for (its process ended
   * before writing it, until the next training fills it in) counts as deployed.
   */
  async previousDeployed(modelName, currentVersion) {
    const history = await this.store.history(modelName);
    const turnedDown = new Set((history?.history ?? []).filter((entry) => entry.deployed === false).map((entry) => entry.version));
    for (let version = currentVersion - 1; version >= 1; version--) {
      if (!turnedDown.has(version)) return version;
    }
    return null;
  }

  /** Metrics of two versions side by side, with the relative change of loss and accuracy. */
  async compare(modelName, version1, version2) {
    this.plugin._model(modelName);
    this._requireVersioning();
    // Both checked before either version is read (requireStored checks each again).
    checkVersionNumber(modelName, version1, 'version1');
    checkVersionNumber(modelName, version2, 'version2');
    const [a, b] = await Promise.all([this.requireStored(modelName, version1, 'version1'), this.requireStored(modelName, version2, 'version2')]);
    const change = (from, to, lowerIsBetter) =>
      typeof from === 'number' && typeof to === 'number' && from !== 0
        ? `${(((lowerIsBetter ? from - to : to - from) / from) * 100).toFixed(2)}%`
        : 'N/A';
    return {
      modelName,
      version1: { version: version1, savedAt: a.savedAt, metrics: a.metrics, importance: a.importance ?? null },
      version2: { version: version2, savedAt: b.savedAt, metrics: b.metrics, importance: b.importance ?? null },
      improvement: { loss: change(a.metrics?.loss, b.metrics?.loss, true), accuracy: change(a.metrics?.accuracy, b.metrics?.accuracy, false) },
      importanceShift: importanceShift(a.importance, b.importance),
    };
  }


  _requireVersioning() {
    if (!this.plugin.config.enableVersioning) {
      throw new MLError('Versioning is not enabled', { statusCode: 400, suggestion: 'Create the plugin with enableVersioning: true.' });
    }
  }
}

// Auto-training of `autoTrain: true` models: after `trainAfterInserts` new records, and every
// `trainInterval` ms.
//
// New records are counted by an `afterInsert` hook on the resource, which s3db.js runs for every
// record however it is written (`insert`, each item of `insertMany`, an `upsert` that creates);
// the insert middleware upstream used never sees `insertMany`. Intervals are plain `setInterval`
// timers, unref'd so that they never keep a process alive (upstream needed node-cron).
//
// A resource can appear three ways: it exists at install (`usePlugin` after `connect`), it is
// created later (`db:resource-created`), or it is restored from s3db.json by `connect()`, which
// emits nothing per resource (so the plugin attaches at `db:connected`).
//
// A model with a `partition` reads partition references, which s3db.js writes after the insert
// returns unless the resource has `asyncPartitions: false`: a training that the last inserts
// trigger may miss those records (they are in the next one).

export class AutoTrainer {
  /** @param {import('./plugin.js').MLPlugin} plugin */
  constructor(plugin) {
    this.plugin = plugin;
    /** modelName → records inserted since its last insert-triggered training. */
    this.insertCounters = new Map();
    /** modelName → interval timer. */
    this._timers = new Map();
    /** Resources that carry this trainer's afterInsert hook (s3db.js cannot remove a hook). */
    this._hooked = new WeakSet();
    this._listeners = [];
    this._active = false;
  }

  /** Starts timers and hooks for every auto-training model. */
  start() {
    if (this._active) return;
    this._active = true;
    for (const modelName of Object.keys(this.plugin.config.models)) this.setup(modelName);
  }

  /**
   * Follows new and restored resources, once a model counts inserts: only then does the database
   * need this trainer's listeners (a plugin without one adds none, however many are installed).
   */
  _follow() {
    if (this._listeners.length > 0) return;
    const db = this.plugin.database;
    this._listen(db, 'db:resource-created', (name) => this._attach(name));
    this._listen(db, 'db:resource-updated', (name) => this._attach(name));
    this._listen(db, 'db:connected', () => this._attachAll());
  }

  /** Stops the timers and the counting; the hooks stay on their resources but do nothing. */
  stop() {
    this._active = false;
    for (const timer of this._timers.values()) clearInterval(timer);
    this._timers.clear();
    for (const [db, event, listener] of this._listeners) db.off?.(event, listener);
    this._listeners = [];
    this.insertCounters.clear();
  }

  /** Sets up one model (also called for models that `learn()` adds while running). */
  setup(modelName) {
    const config = this.plugin.config.models[modelName];
    if (!this._active || !config?.autoTrain) return;
    if (config.trainInterval > 0 && !this._timers.has(modelName)) {
      const timer = setInterval(() => this._run(modelName, 'interval'), config.trainInterval);
      timer.unref();
      this._timers.set(modelName, timer);
    }
    if (config.trainAfterInserts > 0) {
      this.insertCounters.set(modelName, this.insertCounters.get(modelName) ?? 0);
      this._follow();
      this._attach(config.resource);
    }
  }

  _listen(db, event, listener) {
    if (typeof db?.on !== 'function') return;
    db.on(event, listener);
    this._listeners.push([db, event, listener]);
  }

  _attachAll() {
    for (const config of Object.values(this.plugin.config.models)) {
      if (config.autoTrain && config.trainAfterInserts > 0) this._attach(config.resource);
    }
  }

  /** Adds the counting hook to `resourceName` once, if it exists and an auto-training model reads it. */
  _attach(resourceName) {
    const resource = this.plugin.database?.resources?.[resourceName];
    if (!this._active || !resource || this._hooked.has(resource)) return;
    if (this._insertModels(resourceName).length === 0) return;
    this._hooked.add(resource);
    // The hook runs inside the caller's insert: it must be quick, never throw, and return the record.
    resource.addHook('afterInsert', (record) => {
      if (this._active) this._counted(resourceName);
      return record;
    });
  }

  _insertModels(resourceName) {
    return Object.entries(this.plugin.config.models)
      .filter(([, c]) => c.autoTrain && c.trainAfterInserts > 0 && c.resource === resourceName)
      .map(([name]) => name);
  }

  /**
   * One more record in `resourceName`. A model that is training keeps its count (at or above the
   * threshold), so the records inserted meanwhile trigger the next training instead of being lost.
   */
  _counted(resourceName) {
    for (const modelName of this._insertModels(resourceName)) {
      this.insertCounters.set(modelName, (this.insertCounters.get(modelName) ?? 0) + 1);
      this._trainIfDue(modelName);
    }
  }

  /** Starts an insert-triggered training when `modelName`'s count reached its threshold and it is not training. */
  _trainIfDue(modelName) {
    const threshold = this.plugin.config.models[modelName]?.trainAfterInserts ?? 0;
    if (!this._active || threshold <= 0 || this.plugin.training.get(modelName)) return;
    if ((this.insertCounters.get(modelName) ?? 0) < threshold) return;
    this.insertCounters.set(modelName, 0);
    this._run(modelName, 'inserts');
  }

  /** Trains in the background; never rejects (failures are counted and emitted by the plugin). */
  async _run(modelName, trigger) {
    let trained = false;
    try {
      const result = await this.plugin.train(modelName);
      trained = !result?.skipped;
      if (trained) this.plugin.stats.autoTrainings++;
    } catch (error) {
      this.plugin._autoTrainingFailed(modelName, trigger, error);
    }
    // The records inserted while it trained may have reached the threshold: train on them now,
    // not at some later insert (after a burst there may be none). Not after a skip or a failure,
    // which would only repeat at once: the next insert tries again.
    if (trained) this._trainIfDue(modelName);
  }
}

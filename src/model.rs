//! `NativeModel`: one configured model, its trained state, and its train/predict/evaluate calls.
//!
//! Training replaces the trained state atomically when it finishes, so predictions keep being
//! served by the previous model while a new one trains.

use crate::error::to_napi;
use crate::runtime::{blocking, guarded, guarded_async};
use crate::store::NativeStore;
use napi::bindgen_prelude::{Buffer, Float64Array, Function, PromiseRaw, Uint32Array};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use s3db_ml_core::data::Rows;
use s3db_ml_core::explain::{self, Explanation, FeatureGroup};
use s3db_ml_core::model::{Head, TrainReport, TrainedModel};
use s3db_ml_core::preparation::Preparation;
use s3db_ml_core::spec::EarlyStoppingParams;
use s3db_ml_core::store::StoredWeights;
use s3db_ml_core::tabular::{Labels, Targets};
use s3db_ml_core::train::{EpochStats, TrainingObserver};
use s3db_ml_core::{
    BackendChoice, ComputeDevice, Error, ErrorKind, ModelKind, ModelSpec, artifact, classification, device, importance,
    neural, regression, timeseries,
};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, RwLock};

/// The trained model that serves, with an id that changes whenever another one is swapped in, so
/// that JavaScript knows when the input preparation it keeps is no longer this model's.
#[derive(Clone)]
struct Served {
    id: u32,
    model: Arc<TrainedModel>,
}

static NEXT_SERVED_ID: AtomicU32 = AtomicU32::new(1);

impl Served {
    fn new(model: TrainedModel) -> Self {
        Self { id: NEXT_SERVED_ID.fetch_add(1, Ordering::Relaxed), model: Arc::new(model) }
    }
}

#[napi]
pub struct NativeModel {
    spec: Arc<ModelSpec>,
    trained: Arc<RwLock<Option<Served>>>,
    /// Set by `abortTraining()`; the running training polls it between batches.
    abort: Arc<AtomicBool>,
}

/// One finished epoch, as passed to the progress callback.
#[napi(object)]
pub struct EpochInfo {
    pub epoch: u32,
    pub epochs: u32,
    pub loss: f64,
    pub val_loss: Option<f64>,
    pub elapsed_ms: f64,
    pub eta_ms: f64,
}

impl From<&EpochStats> for EpochInfo {
    fn from(s: &EpochStats) -> Self {
        let per_epoch = s.elapsed_ms / s.epoch.max(1) as f64;
        Self {
            epoch: s.epoch as u32,
            epochs: s.epochs as u32,
            loss: s.loss,
            val_loss: s.val_loss,
            elapsed_ms: s.elapsed_ms,
            eta_ms: per_epoch * (s.epochs - s.epoch) as f64,
        }
    }
}

type ProgressFn = ThreadsafeFunction<EpochInfo, (), EpochInfo, napi::Status, false>;

/// Connects a training run to JavaScript: progress out through a threadsafe function (called
/// NonBlocking: a slow callback must never stall training), cancellation in through a flag.
struct JsObserver {
    progress: Option<ProgressFn>,
    abort: Arc<AtomicBool>,
}

impl TrainingObserver for JsObserver {
    fn on_epoch(&mut self, stats: &EpochStats) {
        if let Some(progress) = &self.progress {
            progress.call(EpochInfo::from(stats), ThreadsafeFunctionCallMode::NonBlocking);
        }
    }

    fn should_stop(&self) -> bool {
        self.abort.load(Ordering::Relaxed)
    }
}

/// Training data: row-major features, and targets (numbers for regression, class indices for
/// classification).
#[napi(object)]
pub struct TrainOptions {
    /// `'auto' | 'wgpu' | 'cpu'` (default `'auto'`).
    pub backend: Option<String>,
    /// Classification: the labels by class index, with their original JSON type.
    pub labels: Option<Vec<Value>>,
    /// Classification: `String(label)` for each label, the keys of `probabilities`.
    pub label_keys: Option<Vec<String>>,
    /// `{ patience, minDelta, monitor, restoreBestWeights }` for this training only.
    pub early_stopping: Option<Value>,
    /// How records became the rows' encoded columns (`lib/preprocessing.js`), stored with the model.
    pub preparation: Option<Value>,
    /// A time series: each step's time, so the report's forecast chart has the user's time axis.
    pub time: Option<SeriesTime>,
}

/// The field that put a series in time order, and its value at every step (in that order).
#[napi(object)]
pub struct SeriesTime {
    pub field: String,
    /// Whether the values are dates, as milliseconds since 1970.
    pub dates: bool,
    pub values: Float64Array,
}

/// A stored weights object as its version record describes it.
#[napi(object)]
pub struct SavedWeights {
    pub bytes: f64,
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
}

/// Predictions for many rows, column by column.
#[napi(object)]
pub struct NativeBatch {
    pub values: Float64Array,
    pub confidence: Float64Array,
    pub lower: Float64Array,
    pub upper: Float64Array,
    pub classes: Uint32Array,
    /// rows × classes, row-major.
    pub probabilities: Float64Array,
    /// Classification: the labels by class index of the model that made these predictions.
    pub labels: Vec<Value>,
    pub label_keys: Vec<String>,
}

#[napi]
impl NativeModel {
    /// Validates the model definition (`{ name, type, features, target, modelConfig }`);
    /// throws `E_MODEL_CONFIG` when it is invalid.
    #[napi(constructor)]
    pub fn new(spec: Value) -> napi::Result<Self> {
        let spec = ModelSpec::from_json(spec).map_err(to_napi)?;
        Ok(Self { spec: Arc::new(spec), trained: Arc::new(RwLock::new(None)), abort: Arc::new(AtomicBool::new(false)) })
    }

    #[napi(getter)]
    pub fn is_trained(&self) -> bool {
        self.current().is_some()
    }

    /// Trains from scratch and, when done, swaps the new model in (the previous one serves until
    /// then). Resolves with the training report; `onEpoch` receives progress after every epoch.
    ///
    /// `features` holds row-major rows of the model's features; for a time series, time-ordered
    /// records of the features followed by the target, and `targets` is empty. `targets` holds
    /// numbers, or class indices when `options.labels` is given.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn train<'env>(
        &self,
        env: &'env napi::Env,
        features: Float64Array,
        targets: Float64Array,
        options: TrainOptions,
        on_epoch: Option<Function<'_, EpochInfo, ()>>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let spec = self.spec_for(&options).map_err(to_napi)?;
        let slot = self.trained.clone();
        let progress = match on_epoch {
            Some(f) => Some(f.build_threadsafe_function::<EpochInfo>().callee_handled::<false>().build()?),
            None => None,
        };
        self.abort.store(false, Ordering::Relaxed);
        let mut observer = JsObserver { progress, abort: self.abort.clone() };
        env.spawn_future(blocking(ErrorKind::Training, "training", move || {
            let compute = device::resolve(BackendChoice::parse(options.backend.as_deref().unwrap_or("auto"))?)?;
            let labels = options.labels.map(|values| Labels { values, keys: options.label_keys.unwrap_or_default() });
            let mut model = train_kind(&spec, &features, &targets, labels, &compute, &mut observer)?;
            if let Some(time) = &options.time {
                timeseries::attach_step_times(&mut model, &time.field, time.dates, &time.values)?;
            }
            // The result stays small; `trainingReport()` has the diagnostics.
            let report = report_json(&model.report, false)?;
            *slot.write().unwrap_or_else(|p| p.into_inner()) = Some(Served::new(model));
            Ok(report)
        }))
    }

    /// Predicts one input on the calling thread (microseconds: no thread hop is worth it).
    /// Numbers: `{ prediction, confidence, interval: [low, high] }`; probabilities (binary
    /// networks): `{ prediction, confidence }`; labels: `{ prediction, confidence, probabilities }`.
    #[napi(ts_return_type = "any")]
    pub fn predict(&self, row: Float64Array) -> napi::Result<Value> {
        let model = self.require_trained().map_err(to_napi)?;
        guarded(ErrorKind::Prediction, "prediction", || {
            let p = model.predict_one(&row)?;
            Ok(match p.class {
                // Probabilities have no interval: the key is left out (as in batches), not null.
                None => match p.interval {
                    Some((lo, hi)) => {
                        json!({ "prediction": p.value, "confidence": p.confidence, "interval": [lo, hi] })
                    }
                    None => json!({ "prediction": p.value, "confidence": p.confidence }),
                },
                Some(class) => json!({
                    "prediction": model.labels[class as usize],
                    "confidence": p.confidence,
                    "probabilities": model.label_keys.iter().cloned().zip(p.probabilities.iter().map(|&v| json!(v)))
                        .collect::<serde_json::Map<_, _>>(),
                }),
            })
        })
        .map_err(to_napi)
    }

    /// Explains one input on the calling thread (like `predict`, well under a millisecond):
    /// `{ prediction, baseline, contributions: { feature: number }, label?, contributionsByStep? }`
    /// with `baseline + Σ contributions = prediction` (see the core's `explain` module).
    #[napi(ts_return_type = "any")]
    pub fn explain(&self, row: Float64Array) -> napi::Result<Value> {
        let model = self.require_trained().map_err(to_napi)?;
        guarded(ErrorKind::Prediction, "explanation", || {
            let explanation = explain::explain(&model, &row)?;
            Ok(explanation_json(&model, &explanation))
        })
        .map_err(to_napi)
    }

    /// Measures permutation importance for a model stored without it, from the rows it was
    /// trained on (as `train` takes them), off the JavaScript thread; the serving model keeps it.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn compute_importance<'env>(
        &self,
        env: &'env napi::Env,
        features: Float64Array,
        targets: Float64Array,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let model = self.require_trained().map_err(to_napi)?;
        let (spec, slot) = (self.spec.clone(), self.trained.clone());
        env.spawn_future(blocking(ErrorKind::Prediction, "feature importance", move || {
            let measured = importance::from_training_rows(&spec, &model, &features, &targets)?;
            let mut current = slot.write().unwrap_or_else(|p| p.into_inner());
            // Kept only if the model it was measured on still serves.
            if let Some(served) = current.as_mut()
                && Arc::ptr_eq(&served.model, &model)
            {
                let mut updated = (*model).clone();
                updated.importance = Some(measured.clone());
                served.model = Arc::new(updated);
            }
            serde_json::to_value(measured).map_err(|e| Error::new(ErrorKind::Prediction, e.to_string()))
        }))
    }

    /// Time series: forecasts `horizon` steps after the given records (time-ordered features
    /// and target), feeding each prediction back in.
    #[napi]
    pub fn forecast(&self, history: Float64Array, horizon: u32) -> napi::Result<Vec<f64>> {
        let model = self.require_trained().map_err(to_napi)?;
        guarded(ErrorKind::Prediction, "forecast", || {
            timeseries::forecast(&model, model.rows_any(&history)?, horizon as usize)
        })
        .map_err(to_napi)
    }

    /// Predicts many rows off the JavaScript thread.
    #[napi(ts_return_type = "Promise<NativeBatch>")]
    pub fn predict_batch<'env>(
        &self,
        env: &'env napi::Env,
        rows: Float64Array,
    ) -> napi::Result<PromiseRaw<'env, NativeBatch>> {
        let model = self.require_trained().map_err(to_napi)?;
        env.spawn_future(blocking(ErrorKind::Prediction, "batch prediction", move || {
            let b = model.predict_batch(model.rows(&rows)?)?;
            Ok(NativeBatch {
                values: b.values.into(),
                confidence: b.confidence.into(),
                lower: b.lower.into(),
                upper: b.upper.into(),
                classes: b.classes.into(),
                probabilities: b.probabilities.into(),
                labels: model.labels.clone(),
                label_keys: model.label_keys.clone(),
            })
        }))
    }

    /// Metrics on labelled inputs: numbers `{ r2, mae, rmse, mape, samples }`, labels and
    /// probabilities `{ accuracy, total, correct, matrix, perClass }` (targets are class indices,
    /// 0 or 1 for a probability). A time series takes time-ordered records (features then
    /// target) and scores one-step forecasts.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn evaluate<'env>(
        &self,
        env: &'env napi::Env,
        rows: Float64Array,
        targets: Float64Array,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let model = self.require_trained().map_err(to_napi)?;
        env.spawn_future(blocking(ErrorKind::Prediction, "evaluation", move || {
            let metrics = match (model.kind, model.head) {
                (ModelKind::TimeSeries, _) => {
                    serde_json::to_value(timeseries::evaluate(&model, model.rows_any(&rows)?)?)
                }
                // A sigmoid output is scored as the two-class classifier it is (targets 0/1),
                // like its held-out metrics, not by R² on its probabilities.
                (_, Head::Labels | Head::Probability) => {
                    let labels = class_indices(&targets, model.class_count())?;
                    serde_json::to_value(model.evaluate_labels(model.rows(&rows)?, &labels)?)
                }
                _ => serde_json::to_value(model.evaluate_values(model.rows(&rows)?, &targets)?),
            };
            metrics.map_err(|e| Error::new(ErrorKind::Prediction, e.to_string()))
        }))
    }

    /// Trainable parameters of the configured network (known before training). A JavaScript
    /// number: counts pass 2^32 long before they pass 2^53.
    #[napi]
    pub fn parameter_count(&self) -> napi::Result<f64> {
        self.spec.parameter_count().map(|n| n as f64).map_err(to_napi)
    }

    /// The trained state for inspection: normaliser, calibration, report, parameter count.
    #[napi(ts_return_type = "any")]
    pub fn describe(&self) -> napi::Result<Value> {
        let Some(model) = self.current() else {
            return Ok(Value::Null);
        };
        let target = model.normalizer.target;
        Ok(serde_json::json!({
            "normalizer": {
                "features": model.encoded_features().into_iter().zip(&model.normalizer.features)
                    .map(|(name, mm)| (name, serde_json::json!({ "min": mm.min, "max": mm.max })))
                    .collect::<serde_json::Map<_, _>>(),
                "target": target.map(|t| serde_json::json!({ "min": t.min, "max": t.max }))
                    .unwrap_or(serde_json::json!({ "min": 0, "max": 1 })),
            },
            "calibration": model.calibration,
            // Without the diagnostics: they are thousands of numbers, and only `trainingReport()` needs them.
            "report": report_json(&model.report, false).map_err(to_napi)?,
            "classes": model.labels,
            "head": model.head,
            "temperature": model.temperature,
            "importance": model.importance,
            "lookback": model.lookback,
            "polynomial": model.polynomial,
            "parameters": model.parameters,
            "preparation": model.preparation,
        }))
    }

    /// `{ id, preparation }` of the model that serves now (`null` when untrained): the id changes
    /// with every model swapped in, so the caller can keep the preparation until it does.
    #[napi(ts_return_type = "any")]
    pub fn preparation(&self) -> Value {
        match self.served() {
            Some(s) => json!({ "id": s.id, "preparation": s.model.preparation }),
            None => Value::Null,
        }
    }

    /// The id of the model that serves now (0 when untrained); see `preparation()`.
    #[napi(getter)]
    pub fn serving_id(&self) -> u32 {
        self.served().map_or(0, |s| s.id)
    }

    /// The full training report of the trained model, with the diagnostics a report page draws
    /// (held-out points, interval coverage, reliability bins); `null` when untrained.
    #[napi(ts_return_type = "any")]
    pub fn training_report(&self) -> napi::Result<Value> {
        let Some(model) = self.current() else {
            return Ok(Value::Null);
        };
        report_json(&model.report, true).map_err(to_napi)
    }

    /// The effective `modelConfig`, defaults applied.
    #[napi(ts_return_type = "any")]
    pub fn resolved_config(&self) -> napi::Result<Value> {
        self.spec.resolved_model_config().map_err(to_napi)
    }

    /// Stops the running training at its next batch; it then rejects with `E_ABORTED`.
    #[napi]
    pub fn abort_training(&self) {
        self.abort.store(true, Ordering::Relaxed);
    }

    /// The trained model as safetensors bytes: weights as named f32 tensors, everything else as a
    /// JSON manifest in the header metadata.
    #[napi]
    pub fn export_safetensors(&self) -> napi::Result<Buffer> {
        let model = self.require_trained().map_err(to_napi)?;
        guarded(ErrorKind::Training, "export", || artifact::to_safetensors(&model)).map(Buffer::from).map_err(to_napi)
    }

    /// Restores a trained model from `exportSafetensors()` bytes. Rejects (`E_DATA_VALIDATION`,
    /// `E_MODEL_CONFIG`) damaged bytes, another format version, or a model of another kind or
    /// with other features than this one; the current model is untouched then.
    /// `shown`: what a JSON export shows of the model beside the bytes (`type`, `features`,
    /// `target`, `lookback`, `polynomial`, `classes`); it must agree with them.
    #[napi]
    pub fn import_safetensors(&self, bytes: Buffer, shown: Option<Value>) -> napi::Result<()> {
        let model = guarded(ErrorKind::DataValidation, "import", || {
            let model = artifact::from_safetensors(&bytes)?;
            check_compatible(&self.spec, &model)?;
            if let Some(shown) = &shown {
                model.check_described(shown)?;
            }
            Ok(model)
        })
        .map_err(to_napi)?;
        *self.trained.write().unwrap_or_else(|p| p.into_inner()) = Some(Served::new(model));
        Ok(())
    }

    /// Writes the trained model's safetensors file at `key` through `store` and resolves with its
    /// size and SHA-256 for the version record. The bytes never pass through JavaScript objects.
    #[napi(ts_return_type = "Promise<SavedWeights>")]
    pub fn save_to<'env>(
        &self,
        env: &'env napi::Env,
        store: &NativeStore,
        key: String,
    ) -> napi::Result<PromiseRaw<'env, SavedWeights>> {
        let model = self.require_trained().map_err(to_napi)?;
        let store = store.shared();
        env.spawn_future(async move {
            let (bytes, saved) = blocking(ErrorKind::Training, "export", move || {
                let bytes = artifact::to_safetensors(&model)?;
                let saved = StoredWeights::of(&bytes);
                Ok((bytes, saved))
            })
            .await?;
            guarded_async(ErrorKind::Storage, "storing the weights", store.put(&key, bytes)).await.map_err(to_napi)?;
            Ok(SavedWeights { bytes: saved.bytes as f64, sha256: saved.sha256 })
        })
    }

    /// Reads the weights at `key` through `store`, checks them against `expected` (size and
    /// SHA-256 from the version record) and swaps them in. Rejects with `E_STORAGE` /
    /// `E_STORAGE_NOT_FOUND` when they cannot be read, and as `importSafetensors` does when they
    /// are damaged or belong to another model; the current model is untouched then.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn load_from<'env>(
        &self,
        env: &'env napi::Env,
        store: &NativeStore,
        key: String,
        expected: SavedWeights,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        if !(expected.bytes.is_finite() && expected.bytes >= 0.0 && expected.bytes.fract() == 0.0) {
            return Err(to_napi(Error::data(format!(
                "the recorded weights size {} is not a byte count",
                expected.bytes
            ))));
        }
        let expected = StoredWeights { bytes: expected.bytes as usize, sha256: expected.sha256 };
        let (store, spec, slot) = (store.shared(), self.spec.clone(), self.trained.clone());
        env.spawn_future(async move {
            let bytes =
                guarded_async(ErrorKind::Storage, "reading the weights", store.get(&key)).await.map_err(to_napi)?;
            let model = blocking(ErrorKind::DataValidation, "import", move || {
                expected.verify(&key, &bytes)?;
                let model = artifact::from_safetensors(&bytes)?;
                check_compatible(&spec, &model)?;
                Ok(model)
            })
            .await?;
            *slot.write().unwrap_or_else(|p| p.into_inner()) = Some(Served::new(model));
            Ok(())
        })
    }

    /// Forgets the trained state (`dispose()`; `retrain()` starts from here).
    #[napi]
    pub fn reset(&self) {
        *self.trained.write().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// The spec, with `trainWithEarlyStopping`'s options when given.
    fn spec_for(&self, options: &TrainOptions) -> s3db_ml_core::Result<ModelSpec> {
        let mut spec = (*self.spec).clone();
        if let Some(early) = &options.early_stopping {
            let params: EarlyStoppingParams = serde_json::from_value(early.clone())
                .map_err(|e| Error::config(format!("invalid early stopping options: {e}")))?;
            spec.model_config.early_stopping = Some(params);
            spec.validate()?;
        }
        if let Some(preparation) = &options.preparation {
            spec.preparation = Some(Preparation::from_json(preparation.clone(), &spec.features)?);
        }
        Ok(spec)
    }

    fn current(&self) -> Option<Arc<TrainedModel>> {
        self.served().map(|s| s.model)
    }

    fn served(&self) -> Option<Served> {
        self.trained.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn require_trained(&self) -> s3db_ml_core::Result<Arc<TrainedModel>> {
        self.current().ok_or_else(|| {
            Error::new(ErrorKind::ModelNotTrained, format!("Model \"{}\" is not trained yet", self.spec.name))
                .with("model", self.spec.name.clone())
        })
    }
}

/// A training report as JavaScript sees it, with or without its diagnostics (thousands of numbers
/// that only a report page needs).
fn report_json(report: &TrainReport, with_diagnostics: bool) -> s3db_ml_core::Result<Value> {
    let mut value = serde_json::to_value(report).map_err(|e| Error::training(e.to_string()))?;
    if !with_diagnostics && let Some(fields) = value.as_object_mut() {
        fields.remove("diagnostics");
    }
    Ok(value)
}

/// An explanation as JavaScript sees it: contributions keyed by feature.
fn explanation_json(model: &TrainedModel, e: &Explanation) -> Value {
    let groups = explain::feature_groups(model);
    let keyed = |per_column: &[f64]| -> Value {
        let summed = explain::by_feature(&groups, per_column);
        Value::Object(
            groups.iter().zip(summed).map(|(g, v): (&FeatureGroup, f64)| (g.name.clone(), json!(v))).collect(),
        )
    };
    let mut out = json!({
        "prediction": e.prediction,
        "baseline": e.baseline,
        "contributions": keyed(&e.contributions),
    });
    if let Some(class) = e.class {
        out["label"] = model.labels[class as usize].clone();
    }
    if !e.by_step.is_empty() {
        let columns = e.contributions.len();
        out["contributionsByStep"] = Value::Array(e.by_step.chunks_exact(columns).map(keyed).collect());
    }
    out
}

/// An imported model must be of this model's kind, over the same features and target.
fn check_compatible(spec: &ModelSpec, model: &TrainedModel) -> s3db_ml_core::Result<()> {
    if model.kind != spec.kind || model.features != spec.features || model.target != spec.target {
        return Err(Error::config(format!(
            "Model \"{}\" is a {:?} model of {:?} from [{}]; the imported one is a {:?} model of {:?} from [{}]",
            spec.name,
            spec.kind,
            spec.target,
            spec.features.join(", "),
            model.kind,
            model.target,
            model.features.join(", ")
        ))
        .with("modelName", spec.name.clone()));
    }
    Ok(())
}

/// Dispatches training to the model's kind.
fn train_kind(
    spec: &ModelSpec,
    features: &[f64],
    targets: &[f64],
    labels: Option<Labels>,
    compute: &ComputeDevice,
    observer: &mut JsObserver,
) -> s3db_ml_core::Result<TrainedModel> {
    let mut columns = spec.encoded_features();
    if spec.kind == ModelKind::TimeSeries {
        columns.push(spec.target.clone());
        return timeseries::train(spec, Rows::new(features, &columns)?, compute, observer);
    }
    let rows = Rows::new(features, &columns)?;
    let indices = |labels: &Labels| class_indices(targets, labels.values.len());
    match (spec.kind, labels) {
        (ModelKind::Regression, _) => regression::train(spec, rows, targets, compute, observer),
        (ModelKind::Classification, Some(labels)) => {
            classification::train(spec, rows, &indices(&labels)?, labels, compute, observer)
        }
        (ModelKind::NeuralNetwork, Some(labels)) => {
            neural::train(spec, rows, Targets::Labels(&indices(&labels)?, labels), compute, observer)
        }
        (ModelKind::NeuralNetwork, None) => neural::train(spec, rows, Targets::Values(targets), compute, observer),
        _ => Err(Error::data("a classification model needs its label vocabulary")),
    }
}

/// Class indices sent as numbers; each must be a whole number below `classes`.
fn class_indices(targets: &[f64], classes: usize) -> s3db_ml_core::Result<Vec<u32>> {
    targets
        .iter()
        .map(|&t| {
            if t.fract() == 0.0 && t >= 0.0 && (t as usize) < classes {
                Ok(t as u32)
            } else {
                Err(Error::data(format!("class index {t} is not one of the {classes} classes")))
            }
        })
        .collect()
}

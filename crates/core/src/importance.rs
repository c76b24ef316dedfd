//! Global feature importance: permutation importance (Breiman, 2001) on the rows a model did not
//! train on. Shuffle one feature's values among those rows, keeping everything else, and measure
//! how much worse the model does in its own metric: the rise in RMSE (target units) for numbers,
//! the fall in accuracy for labels and probabilities. A feature the model ignores costs nothing.
//!
//! Seeded and deterministic: the same model and rows give the same importances. Measured once
//! after training on at most [`MAX_ROWS`] held-out inputs, [`REPEATS`] shuffles each, and stored
//! with the model. A feature encoded as several columns is shuffled as a whole
//! ([`crate::explain::feature_groups`]); a time series' feature is shuffled window by window, its
//! whole history in the window moving together.

use crate::data::{Rows, Split};
use crate::error::{Error, Result};
use crate::explain::feature_groups;
use crate::metrics::regression_metrics;
use crate::model::{Head, TrainedModel};
use crate::rng::SplitMix64;
use crate::spec::{ModelKind, ModelSpec};
use serde::{Deserialize, Serialize};

/// Shuffles per feature; their mean is the importance.
pub const REPEATS: usize = 3;
/// Held-out inputs measured on at most (a seeded sample of them beyond that): importances rank
/// features, and this keeps them a small fraction of the training time.
pub const MAX_ROWS: usize = 500;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeatureImportance {
    pub feature: String,
    pub importance: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Importance {
    /// `"rmse"` (importance = its rise, in target units) or `"accuracy"` (its fall).
    pub metric: String,
    /// The metric on the rows as they are.
    pub baseline: f64,
    /// Inputs measured on, and whether they were held out (`"validation"`) or, with nothing held
    /// out, the training rows (`"training"`).
    pub samples: usize,
    pub source: String,
    pub repeats: usize,
    pub seed: u64,
    /// Most important first.
    pub features: Vec<FeatureImportance>,
}

/// What the measured inputs should have predicted.
#[derive(Debug, Clone, Copy)]
pub enum Truth<'a> {
    /// Numbers in target units (value heads), or 0/1 (probability heads).
    Values(&'a [f64]),
    /// Class indices (label heads).
    Classes(&'a [u32]),
}

/// Permutation importance of every feature of `model` on `inputs` (raw values, `lookback` rows
/// each, as `predict_batch` takes them) labelled with `truth`.
pub fn permutation_importance(
    model: &TrainedModel,
    inputs: &[f64],
    truth: Truth<'_>,
    source: &str,
    seed: u64,
) -> Importance {
    let columns = model.input_columns().len();
    let per_input = columns * model.lookback;
    let n = inputs.len() / per_input;
    // A seeded sample when there are more inputs than needed, in their original order.
    let mut chosen: Vec<usize> = (0..n).collect();
    if n > MAX_ROWS {
        chosen = SplitMix64::new(seed ^ 0x1A90_87A4).permutation(n);
        chosen.truncate(MAX_ROWS);
        chosen.sort_unstable();
    }
    let sample = crate::data::gather(inputs, per_input, &chosen);
    let truth_values: Vec<f64>;
    let truth_classes: Vec<u32>;
    let truth = match truth {
        Truth::Values(v) => {
            truth_values = chosen.iter().map(|&i| v[i]).collect();
            Truth::Values(&truth_values)
        }
        Truth::Classes(c) => {
            truth_classes = chosen.iter().map(|&i| c[i]).collect();
            Truth::Classes(&truth_classes)
        }
    };
    let score = |values: &[f64]| score(model, values, columns, truth);
    let baseline = score(&sample);
    let groups = feature_groups(model);
    let worse = |shuffled: f64| if model.head == Head::Value { shuffled - baseline } else { baseline - shuffled };
    // Features are independent of each other: measure them in parallel, each with its own seed.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(groups.len()).max(1);
    let mut importances = vec![0.0; groups.len()];
    let (inputs_measured, per_thread) = (chosen.len(), groups.len().div_ceil(threads).max(1));
    std::thread::scope(|scope| {
        for (chunk_index, chunk) in importances.chunks_mut(per_thread).enumerate() {
            let (groups, sample, score) = (&groups, &sample, &score);
            let first = chunk_index * per_thread;
            scope.spawn(move || {
                for (offset, slot) in chunk.iter_mut().enumerate() {
                    let g = first + offset;
                    let mut total = 0.0;
                    for r in 0..REPEATS {
                        let mut rng = SplitMix64::new(seed ^ ((g as u64) << 32 | r as u64).wrapping_mul(0x9E37_79B9));
                        let order = rng.permutation(inputs_measured);
                        let mut shuffled = sample.clone();
                        for (i, &from) in order.iter().enumerate() {
                            for step in 0..model.lookback {
                                for &c in &groups[g].columns {
                                    let at = step * columns + c;
                                    shuffled[i * per_input + at] = sample[from * per_input + at];
                                }
                            }
                        }
                        total += worse(score(&shuffled));
                    }
                    *slot = total / REPEATS as f64;
                }
            });
        }
    });
    let mut features: Vec<FeatureImportance> = groups
        .into_iter()
        .zip(importances)
        .map(|(g, importance)| FeatureImportance { feature: g.name, importance })
        .collect();
    // Stable: equal importances keep the features' order.
    features.sort_by(|a, b| b.importance.total_cmp(&a.importance));
    Importance {
        metric: if model.head == Head::Value { "rmse" } else { "accuracy" }.to_string(),
        baseline,
        samples: chosen.len(),
        source: source.to_string(),
        repeats: REPEATS,
        seed,
        features,
    }
}

/// RMSE (value heads) or accuracy of `model` on `values`; NaN if they cannot be predicted (they
/// are rows the model was trained on, already validated, so that does not happen).
fn score(model: &TrainedModel, values: &[f64], columns: usize, truth: Truth<'_>) -> f64 {
    let Ok(batch) = model.predict_batch(Rows { values, columns }) else { return f64::NAN };
    match (model.head, truth) {
        (Head::Value, Truth::Values(actual)) => regression_metrics(actual, &batch.values).rmse,
        (Head::Probability, Truth::Values(actual)) => {
            let right = batch.values.iter().zip(actual).filter(|&(&p, &a)| f64::from(u8::from(p >= 0.5)) == a).count();
            right as f64 / actual.len().max(1) as f64
        }
        (Head::Labels, Truth::Classes(actual)) => {
            let right = batch.classes.iter().zip(actual).filter(|(p, a)| p == a).count();
            right as f64 / actual.len().max(1) as f64
        }
        _ => f64::NAN,
    }
}

/// Importances of a model stored without them, from the rows it was trained on (as `train` takes
/// them: features row-major, targets; for a time series its records with the target last and no
/// targets): measured on the same held-out rows training held out, as training would have.
pub fn from_training_rows(
    spec: &ModelSpec,
    model: &TrainedModel,
    features: &[f64],
    targets: &[f64],
) -> Result<Importance> {
    let train = spec.train_config()?;
    let columns = model.input_columns();
    let rows = Rows::new(features, &columns)?;
    if model.kind == ModelKind::TimeSeries {
        let (lookback, width) = (model.lookback, columns.len());
        if rows.len() <= lookback {
            return Err(Error::data(format!("{} records are too few for windows of {lookback}", rows.len())));
        }
        let windows = rows.len() - lookback;
        let held_out = crate::timeseries::held_out_windows(windows, train.validation_split);
        let (measured, source) =
            if held_out == 0 { (0..windows, "training") } else { (windows - held_out..windows, "validation") };
        let inputs: Vec<f64> =
            measured.clone().flat_map(|i| features[i * width..(i + lookback) * width].iter().copied()).collect();
        let actual: Vec<f64> = measured.map(|i| features[(i + lookback) * width + width - 1]).collect();
        return Ok(permutation_importance(model, &inputs, Truth::Values(&actual), source, train.seed));
    }
    if targets.len() != rows.len() {
        return Err(Error::data(format!("got {} rows but {} targets", rows.len(), targets.len())));
    }
    // Training put the rows in content order (targets breaking ties) before splitting them.
    let order = crate::data::content_order(rows, |i| targets[i]);
    let split = Split::new(rows.len(), train.validation_split, train.seed);
    let (measured, source) =
        if split.validation.is_empty() { (&split.train, "training") } else { (&split.validation, "validation") };
    let arrived: Vec<usize> = measured.iter().map(|&i| order[i]).collect();
    let inputs = crate::data::gather(features, columns.len(), &arrived);
    let actual: Vec<f64> = arrived.iter().map(|&i| targets[i]).collect();
    if model.head == Head::Labels {
        let classes = actual
            .iter()
            .map(|&t| {
                if t.fract() == 0.0 && t >= 0.0 && (t as usize) < model.labels.len() {
                    Ok(t as u32)
                } else {
                    Err(Error::data(format!("class index {t} is not one of the {} labels", model.labels.len())))
                }
            })
            .collect::<Result<Vec<u32>>>()?;
        return Ok(permutation_importance(model, &inputs, Truth::Classes(&classes), source, train.seed));
    }
    Ok(permutation_importance(model, &inputs, Truth::Values(&actual), source, train.seed))
}

//! Why a model predicted what it did: per-prediction attributions over its input columns.
//!
//! **Method.** Integrated gradients (Sundararajan et al., 2017) along the straight line from a
//! reference input to the input, in the network's own (normalised) input space:
//! `contribution(i) = (xᵢ − refᵢ) · ∫₀¹ ∂F/∂xᵢ(ref + t·(x − ref)) dt`. They add up to
//! `F(x) − F(ref)` (completeness), so `baseline + Σ contributions = prediction` with
//! `baseline = F(ref)`.
//! - The reference is the training mean of every numeric input column
//!   ([`TrainedModel::reference`]) and, for a category, its expected one-hot vector: each unit at
//!   its training frequency ([`reference`]). A model stored before explanations existed uses the
//!   middle of each column's training range, which its normaliser records.
//! - `F` is what is explained: the prediction in target units (value heads), the probability
//!   (binary networks), or the calibrated probability of the predicted label (label heads).
//! - Networks whose hidden layers are ReLU or linear (linear and polynomial regression,
//!   classification, most custom networks) are integrated exactly, linear piece by linear piece
//!   ([`dense`]); for a linear model that is `weight × (x − reference)`. Smooth networks and the
//!   LSTM go through Gauss-Legendre quadrature with panels doubled until the attributions add up
//!   to within 1e-4 of the target's spread ([`quadrature`]).
//! - Polynomial models: the network is integrated exactly along the straight line in its expanded
//!   inputs (the monomials); each monomial's share then goes to the features it multiplies, split
//!   by the monomial's own integrated gradients along the straight line in the features (for
//!   `x·z`: `Δx·(z₀ + z)/2` to x, `Δz·(x₀ + x)/2` to z). The split adds up exactly, and a feature at
//!   its reference value gets nothing.
//! - Time series: the window's every value gets its own attribution (`by_step`); a column's
//!   contribution is their sum over the window.
//!
//! Attributions are computed per network input unit, summed into the encoded input columns (a
//! category's one-hot units into its column) and then into features by [`feature_groups`] (a
//! date's five columns into the date field), so every feature reports one contribution.

mod dense;
mod lstm;
pub mod output;
pub mod quadrature;
pub mod reference;

use crate::data::Rows;
use crate::error::Result;
use crate::model::{Head, NetWeights, TrainedModel};
use crate::preparation::{DATE_COLUMNS, FeatureKind};
use output::{Explained, OutputFn};

/// Completeness asked of quadrature, as a share of the target's spread (the target's training
/// range, or 1 for probabilities); the bound is 1e-3, this leaves a margin.
const QUADRATURE_TOLERANCE: f64 = 1e-4;

/// One input's explanation.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// What is explained: the predicted value (target units), the probability, or the calibrated
    /// probability of the predicted label.
    pub prediction: f64,
    /// The same at the reference input.
    pub baseline: f64,
    /// Label heads: the predicted class.
    pub class: Option<u32>,
    /// Per input column (the features; for time series then the target), summed over the window.
    pub contributions: Vec<f64>,
    /// Time series: `lookback × columns` contributions, oldest step first (empty for row models).
    pub by_step: Vec<f64>,
    /// `|baseline + Σ contributions − prediction|`, in the prediction's units.
    pub completeness_error: f64,
    /// Linear pieces walked or gradients evaluated.
    pub evaluations: usize,
}

/// A feature and the input columns that encode it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureGroup {
    pub name: String,
    pub columns: Vec<usize>,
}

/// The features a model reports attributions and importances for, with their input columns: a
/// date's five columns are one feature under the date field's name (a category is already one
/// column, its index), and a time series' target is the last. Preprocessing fills missing values
/// in place and adds no indicator columns, so there is nothing else to group.
pub fn feature_groups(model: &TrainedModel) -> Vec<FeatureGroup> {
    let mut groups = Vec::new();
    let mut next = 0;
    match &model.preparation {
        Some(p) => {
            for f in &p.features {
                let width = if f.kind == FeatureKind::Date { DATE_COLUMNS.len() } else { 1 };
                groups.push(FeatureGroup { name: f.name.clone(), columns: (next..next + width).collect() });
                next += width;
            }
        }
        None => {
            for name in &model.features {
                groups.push(FeatureGroup { name: name.clone(), columns: vec![next] });
                next += 1;
            }
        }
    }
    if model.kind == crate::spec::ModelKind::TimeSeries {
        groups.push(FeatureGroup { name: model.target.clone(), columns: vec![next] });
    }
    groups
}

/// Per-column values summed into their features.
pub fn by_feature(groups: &[FeatureGroup], per_column: &[f64]) -> Vec<f64> {
    groups.iter().map(|g| g.columns.iter().map(|&c| per_column[c]).sum()).collect()
}

/// Explains one input (`lookback` raw rows of the model's input columns, as `predict_one` takes).
pub fn explain(model: &TrainedModel, values: &[f64]) -> Result<Explanation> {
    let predicted = model.predict_one(values)?;
    let columns = model.input_columns().len();
    let (explained, prediction, class) = match model.head {
        Head::Value => {
            let range = model.normalizer.target.map_or(0.0, |t| t.range().max(0.0));
            (Explained::Scaled { scale: range }, predicted.value, None)
        }
        Head::Probability => (Explained::Scaled { scale: 1.0 }, predicted.value, None),
        Head::Labels => {
            let class = predicted.class.expect("label heads predict a class") as usize;
            let explained = Explained::Label { class, temperature: model.temperature };
            (explained, predicted.probabilities[class], Some(class as u32))
        }
    };
    let spread = match explained {
        Explained::Scaled { scale } => scale,
        Explained::Label { .. } => 1.0,
    };
    let tolerance = QUADRATURE_TOLERANCE * spread;
    // The path runs in the units the network reads (normalised, categories one-hot) from the
    // reference ([`reference`]) to the input; polynomial models then expand both.
    let units_from: Vec<f32> = reference::reference_units(model).repeat(model.lookback);
    let units_to = reference::input_units(model, Rows { values, columns });
    let width = units_to.len() / model.lookback;
    let expand = |units: &[f32]| -> Vec<f32> {
        if model.polynomial > 1 {
            crate::polynomial::expand(units, width, &crate::polynomial::monomials(width, model.polynomial))
        } else {
            units.to_vec()
        }
    };
    let (from, to) = (expand(&units_from), expand(&units_to));
    let baseline = explained_at(model, &from, explained);
    let (by_unit, evaluations) = match &model.network {
        NetWeights::Dense(net) => {
            let output = OutputFn { activation: last_activation(net), explained };
            let mut path = dense::integrate(net, &output, &from, &to, tolerance);
            // Polynomial regression predicts an exact least-squares base plus the network: the
            // base is linear in the network's inputs, so its integrated gradient is its weights.
            if let (Some(linear), Explained::Scaled { scale }) = (&model.linear, explained) {
                path.gradient.iter_mut().zip(&linear.weights).for_each(|(g, w)| *g += scale * w);
            }
            let contributions = if model.polynomial > 1 {
                polynomial_shares(&path.gradient, &units_from, &units_to, model.polynomial)
            } else {
                times_change(&path.gradient, &from, &to)
            };
            (contributions, path.evaluations)
        }
        NetWeights::Lstm(net) => {
            let output = OutputFn { activation: last_activation(&net.head), explained };
            let mut tape = lstm::Tape::default();
            let mut gradient_at = |x: &[f32], grad: &mut [f64]| lstm::gradient(net, &output, x, grad, &mut tape);
            let mut path = quadrature::integrate(&mut gradient_at, &from, &to, tolerance);
            // The linear autoregression beside the LSTM: its integrated gradient is its weights.
            if let (Some(linear), Explained::Scaled { scale }) = (&model.linear, explained) {
                path.gradient.iter_mut().zip(&linear.weights).for_each(|(g, w)| *g += scale * w);
            }
            (times_change(&path.gradient, &from, &to), path.evaluations)
        }
    };
    // A category's one-hot units add up to its column, every step's columns to the input's.
    let unit_columns = reference::unit_columns(model);
    let mut by_value = vec![0.0; model.lookback * columns];
    for (step, units) in by_unit.chunks_exact(width).enumerate() {
        for (&c, v) in unit_columns.iter().zip(units) {
            by_value[step * columns + c] += v;
        }
    }
    let mut contributions = vec![0.0; columns];
    for step in by_value.chunks_exact(columns) {
        contributions.iter_mut().zip(step).for_each(|(acc, v)| *acc += v);
    }
    let completeness_error = (baseline + contributions.iter().sum::<f64>() - prediction).abs();
    Ok(Explanation {
        prediction,
        baseline,
        class,
        contributions,
        by_step: if model.kind == crate::spec::ModelKind::TimeSeries { by_value } else { Vec::new() },
        completeness_error,
        evaluations,
    })
}

/// What is explained, at network inputs `inputs`, computed as prediction computes it (the
/// reference of a category is no record, so it cannot go through `predict_one`).
fn explained_at(model: &TrainedModel, inputs: &[f32], explained: Explained) -> f64 {
    let outputs = model.network.forward(inputs);
    match (model.head, explained) {
        (Head::Value, _) => {
            let value = crate::tabular::with_linear(&outputs, model.linear.as_ref(), inputs)[0];
            model.normalizer.target.map_or(value, |t| t.unscale(value))
        }
        (_, Explained::Label { class, temperature }) => {
            let mut row: Vec<f64> = outputs.iter().map(|&v| f64::from(v)).collect();
            crate::metrics::temper(&mut row, temperature);
            row[class]
        }
        (_, Explained::Scaled { .. }) => f64::from(outputs[0]),
    }
}

fn last_activation(net: &crate::net::DenseWeights) -> crate::spec::Activation {
    net.layers.last().expect("a network has an output layer").activation
}

/// `∫∂F/∂xᵢ · (toᵢ − fromᵢ)` per input.
fn times_change(gradient: &[f64], from: &[f32], to: &[f32]) -> Vec<f64> {
    gradient.iter().zip(from.iter().zip(to)).map(|(g, (&a, &b))| g * (f64::from(b) - f64::from(a))).collect()
}

/// 3-point Gauss-Legendre on [0, 1]: exact for the polynomials of degree ≤ 5 a monomial's
/// derivative along a line is (degrees go up to 5, so derivatives up to 4).
const GL3: [(f64, f64); 3] =
    [(0.112_701_665_379_258_3, 5.0 / 18.0), (0.5, 8.0 / 18.0), (0.887_298_334_620_741_7, 5.0 / 18.0)];

/// Features' contributions from the monomials' integrated gradients `gradient` (see the module
/// comment): `Σₘ Gₘ · φᵢ(m)`, `φᵢ(m) = Δsᵢ ∫₀¹ ∂m/∂sᵢ(s(t)) dt` along the straight line in the
/// normalised features `s`, so that `Σᵢ φᵢ(m) = m(to) − m(from)`.
fn polynomial_shares(gradient: &[f64], from: &[f32], to: &[f32], degree: usize) -> Vec<f64> {
    let features = from.len();
    let monomials = crate::polynomial::monomials(features, degree);
    let delta: Vec<f64> = from.iter().zip(to).map(|(&a, &b)| f64::from(b) - f64::from(a)).collect();
    let mut out = vec![0.0; features];
    for (m, &g) in monomials.iter().zip(gradient) {
        for &(t, w) in &GL3 {
            let s = |i: usize| f64::from(from[i]) + t * delta[i];
            // ∂m/∂s at s(t): for each factor, the product of the others.
            for skip in 0..m.len() {
                let others: f64 = m.iter().enumerate().filter(|&(p, _)| p != skip).map(|(_, &i)| s(i)).product();
                out[m[skip]] += g * w * others * delta[m[skip]];
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{self, BackendChoice};
    use crate::train::NoObserver;

    #[test]
    fn a_linear_model_is_explained_by_its_weights() {
        // y = 2a − 3b + 1; c is unrelated.
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for i in 0..200 {
            let (a, b, c) = ((i * 37 % 100) as f64 / 10.0, (i * 61 % 100) as f64 / 20.0, (i * 13 % 17) as f64);
            x.extend([a, b, c]);
            y.push(2.0 * a - 3.0 * b + 1.0);
        }
        let spec = crate::ModelSpec::from_json(serde_json::json!({"name":"lin","type":"regression",
            "features":["a","b","c"],"target":"y","modelConfig":{"epochs":40,"learningRate":0.1}}))
        .unwrap();
        let names: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let cpu = device::resolve(BackendChoice::Cpu).unwrap();
        let model = crate::regression::train(&spec, Rows::new(&x, &names).unwrap(), &y, &cpu, &mut NoObserver).unwrap();
        let NetWeights::Dense(net) = &model.network else { panic!("a dense network") };
        let means = crate::data::column_means(Rows::new(&x, &names).unwrap());
        let target = model.normalizer.target.unwrap();
        let input = [7.5, 0.5, 3.0];
        let e = explain(&model, &input).unwrap();
        for i in 0..3 {
            let scale = model.normalizer.features[i];
            let expected = target.range() * f64::from(net.layers[0].weight[i]) * (input[i] - means[i]) / scale.range();
            assert!((e.contributions[i] - expected).abs() < 1e-6 * target.range(), "{i}: {e:?} vs {expected}");
        }
        assert!(e.completeness_error < 1e-6 * target.range(), "{e:?}");
        assert_eq!(e.evaluations, 1, "a linear network is one linear piece");
    }

    #[test]
    fn monomial_shares_add_up_and_spare_unchanged_features() {
        // m = x·z and x²: with G = 1 each, the shares add up to the change of x·z + x².
        let (from, to) = ([0.2f32, 0.5], [0.6f32, 0.5]);
        let g = vec![0.0, 0.0, 1.0, 1.0, 0.0]; // monomials of 2 features, degree 2: x, z, x², xz, z²
        let shares = polynomial_shares(&g, &from, &to, 2);
        let change = (0.6 * 0.5 + 0.36) - (0.2 * 0.5 + 0.04);
        assert!((shares.iter().sum::<f64>() - change).abs() < 1e-6, "{shares:?}");
        assert_eq!(shares[1], 0.0, "z did not change");
    }
}

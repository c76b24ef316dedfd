//! Exact least squares for linear and polynomial regression: the ridge-regularised normal
//! equations of the (normalised, expanded) training rows, solved in f64 by Cholesky.
//!
//! Why: a linear model has a closed-form optimum. Mini-batch Adam reaches it only with enough
//! steps and a suitable learning rate, and on the small data sets users start with (50 rows,
//! 20 epochs) it stops far from it. BigQuery ML solves small linear models the same way
//! (`OPTIMIZE_STRATEGY = NORMAL_EQUATION`).
//!
//! The columns are centred before the cross-products are summed, which keeps the intercept out of
//! the system and its conditioning; the ridge term is a tiny multiple of the mean column variance,
//! there only to make constant or duplicated columns solvable, not to shrink the fit.

use crate::error::{Error, Result};
use crate::net::{DenseLayerWeights, DenseWeights};
use crate::preparation::Expansion;
use crate::spec::{Activation, TrainConfig};
use crate::train::{FitOutcome, Learner, TrainingObserver, run_epochs};

/// Terms (input columns) above which the normal equations are not formed: their matrix grows as
/// the square of this (8 MiB at 1024) and their solution as its cube.
pub const MAX_EXACT_TERMS: usize = 1024;

/// Ridge strength relative to the mean variance of the columns.
const RIDGE: f64 = 1e-9;

/// Centred sufficient statistics of rows `x` (n × p) and targets `y`: everything the fit and the
/// mean squared error of any linear model on these rows need, without the rows.
#[derive(Debug, Clone)]
pub struct NormalEquations {
    terms: usize,
    rows: usize,
    x_mean: Vec<f64>,
    y_mean: f64,
    /// Σ (x − x̄)(x − x̄)ᵀ, row-major p × p.
    xx: Vec<f64>,
    /// Σ (x − x̄)(y − ȳ).
    xy: Vec<f64>,
    /// Σ (y − ȳ)².
    yy: f64,
}

/// A linear model in normalised units: `y = x · weights + intercept`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LinearFit {
    pub weights: Vec<f64>,
    pub intercept: f64,
}

impl LinearFit {
    /// Predictions for row-major `x` (n × weights.len()).
    pub fn predict(&self, x: &[f32]) -> Vec<f64> {
        let p = self.weights.len();
        if p == 0 {
            return Vec::new();
        }
        x.chunks_exact(p)
            .map(|row| self.intercept + row.iter().zip(&self.weights).map(|(&v, w)| v as f64 * w).sum::<f64>())
            .collect()
    }

    /// What this fit leaves over of targets `y` on rows `x`: what a network beside it learns.
    pub fn residuals(&self, x: &[f32], y: &[f32]) -> Vec<f32> {
        self.predict(x).iter().zip(y).map(|(b, &t)| (t as f64 - b) as f32).collect()
    }

    /// The same model as a one-layer network for the inference engine (weights rounded to f32).
    pub fn to_dense(&self) -> DenseWeights {
        DenseWeights {
            layers: vec![DenseLayerWeights {
                inputs: self.weights.len(),
                units: 1,
                activation: Activation::Linear,
                weight: self.weights.iter().map(|&w| w as f32).collect(),
                bias: vec![self.intercept as f32],
                batch_norm: None,
            }],
        }
    }
}

impl NormalEquations {
    /// Sums the statistics of `x` (rows × `terms`, row-major) and one target per row.
    pub fn new(x: &[f32], y: &[f32], terms: usize) -> Self {
        debug_assert_eq!(x.len(), y.len() * terms);
        Self::from_rows(y, terms, |i, out| out.copy_from_slice(&x[i * terms..(i + 1) * terms]))
    }

    /// The same statistics for encoded rows (a category as one index), each expanded to its
    /// one-hot units only while it is summed, so the expanded matrix never exists.
    pub fn from_encoded(x: &[f32], y: &[f32], expansion: &Expansion) -> Self {
        let width = expansion.encoded_width();
        debug_assert_eq!(x.len(), y.len() * width);
        Self::from_rows(y, expansion.width(), |i, out| expansion.expand_row(&x[i * width..(i + 1) * width], out))
    }

    /// Two passes over the rows `row(i, out)` writes (means, then centred sums).
    fn from_rows(y: &[f32], terms: usize, row: impl Fn(usize, &mut [f32])) -> Self {
        let rows = y.len();
        let n = rows.max(1) as f64;
        let mut values = vec![0.0f32; terms];
        let mut x_mean = vec![0.0; terms];
        for i in 0..rows {
            row(i, &mut values);
            x_mean.iter_mut().zip(&values).for_each(|(m, &v)| *m += v as f64);
        }
        x_mean.iter_mut().for_each(|m| *m /= n);
        let y_mean = y.iter().map(|&v| v as f64).sum::<f64>() / n;
        let (mut xx, mut xy, mut yy) = (vec![0.0; terms * terms], vec![0.0; terms], 0.0);
        let mut centred = vec![0.0; terms];
        for (i, &target) in y.iter().enumerate() {
            row(i, &mut values);
            centred.iter_mut().zip(&values).zip(&x_mean).for_each(|((c, &v), m)| *c = v as f64 - m);
            let dy = target as f64 - y_mean;
            yy += dy * dy;
            for a in 0..terms {
                let ca = centred[a];
                xy[a] += ca * dy;
                // Upper triangle only; mirrored below.
                let line = &mut xx[a * terms..(a + 1) * terms];
                for b in a..terms {
                    line[b] += ca * centred[b];
                }
            }
        }
        for a in 0..terms {
            for b in 0..a {
                xx[a * terms + b] = xx[b * terms + a];
            }
        }
        Self { terms, rows, x_mean, y_mean, xx, xy, yy }
    }

    /// The ridge-regularised least-squares fit (the intercept is not penalised).
    pub fn solve(&self) -> Result<LinearFit> {
        let p = self.terms;
        let trace: f64 = (0..p).map(|i| self.xx[i * p + i]).sum();
        // With no variance at all (constant columns) any positive ridge gives the zero slope.
        let mut lambda = if trace > 0.0 { RIDGE * trace / p as f64 } else { 1.0 };
        for _ in 0..8 {
            if let Some(weights) = cholesky_solve(&self.xx, &self.xy, p, lambda) {
                let intercept = self.y_mean - weights.iter().zip(&self.x_mean).map(|(w, m)| w * m).sum::<f64>();
                return Ok(LinearFit { weights, intercept });
            }
            // Rounding made the system indefinite: a stronger ridge restores definiteness.
            lambda *= 1000.0;
        }
        Err(Error::training("the least-squares system could not be solved (its columns are degenerate)"))
    }

    /// Mean squared error of `fit` on the rows these statistics were summed from, exactly:
    /// Σ (y − x·w − c)² = Syy − 2 w·Sxy + wᵀ Sxx w + n (ȳ − x̄·w − c)².
    pub fn mean_squared_error(&self, fit: &LinearFit) -> f64 {
        let p = self.terms;
        let w = &fit.weights;
        let mut quadratic = 0.0;
        for a in 0..p {
            quadratic += w[a] * self.xx[a * p..(a + 1) * p].iter().zip(w).map(|(s, wb)| s * wb).sum::<f64>();
        }
        let cross: f64 = w.iter().zip(&self.xy).map(|(a, b)| a * b).sum();
        let offset = self.y_mean - w.iter().zip(&self.x_mean).map(|(a, b)| a * b).sum::<f64>() - fit.intercept;
        let sse = self.yy - 2.0 * cross + quadratic + self.rows as f64 * offset * offset;
        sse.max(0.0) / self.rows.max(1) as f64
    }
}

/// Solves (A + λI) x = b for symmetric `a` (p × p) by Cholesky; `None` if not positive definite.
pub(crate) fn cholesky_solve(a: &[f64], b: &[f64], p: usize, lambda: f64) -> Option<Vec<f64>> {
    // Lower-triangular L with L Lᵀ = A + λI, row-major.
    let mut l = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..=i {
            let mut sum = a[i * p + j] + if i == j { lambda } else { 0.0 };
            sum -= l[i * p..i * p + j].iter().zip(&l[j * p..j * p + j]).map(|(x, y)| x * y).sum::<f64>();
            if i == j {
                if sum <= 0.0 || !sum.is_finite() {
                    return None;
                }
                l[i * p + i] = sum.sqrt();
            } else {
                l[i * p + j] = sum / l[j * p + j];
            }
        }
    }
    // L z = b, then Lᵀ x = z.
    let mut z = vec![0.0; p];
    for i in 0..p {
        let s: f64 = l[i * p..i * p + i].iter().zip(&z[..i]).map(|(x, y)| x * y).sum();
        z[i] = (b[i] - s) / l[i * p + i];
    }
    let mut x = vec![0.0; p];
    for i in (0..p).rev() {
        let s: f64 = (i + 1..p).map(|k| l[k * p + i] * x[k]).sum();
        x[i] = (z[i] - s) / l[i * p + i];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// The training loop of a regression without hidden layers. The first epoch computes the exact
/// least-squares fit; later epochs have nothing left to learn and report the same losses, so the
/// history, the progress events and early stopping keep their meaning (`epochs` epochs, or fewer
/// when early stopping ends training). No rows are visited after the statistics are summed.
struct ExactLearner<'a> {
    train: &'a NormalEquations,
    validation: Option<&'a NormalEquations>,
    fit: Option<LinearFit>,
}

impl Learner for ExactLearner<'_> {
    type Trained = LinearFit;

    fn begin_epoch(&mut self, _order: Option<&[usize]>) {}

    fn step(&mut self, _start: usize, _len: usize) -> Result<()> {
        if self.fit.is_none() {
            self.fit = Some(self.train.solve()?);
        }
        Ok(())
    }

    fn end_epoch(&mut self) -> f64 {
        self.fit.as_ref().map_or(f64::NAN, |fit| self.train.mean_squared_error(fit))
    }

    fn validation_loss(&mut self) -> Option<f64> {
        let (held_out, fit) = (self.validation?, self.fit.as_ref()?);
        Some(held_out.mean_squared_error(fit))
    }

    fn snapshot(&self) -> Result<LinearFit> {
        self.fit.clone().ok_or_else(|| Error::training("no least-squares fit was computed"))
    }
}

/// Fits a linear model exactly, reporting `config.epochs` epochs (see [`ExactLearner`]).
pub fn fit_exact(
    train: &NormalEquations,
    validation: Option<&NormalEquations>,
    config: &TrainConfig,
    observer: &mut dyn TrainingObserver,
) -> Result<FitOutcome<LinearFit>> {
    let mut learner = ExactLearner { train, validation: validation.filter(|v| v.rows > 0), fit: None };
    // One step per epoch: the solve happens in the first, the rest only measure.
    run_epochs(&mut learner, 1, config, observer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    /// Rows of `p` uniform columns with y = Σ (i+1)·x_i + 0.5 + noise.
    fn data(n: usize, p: usize, noise: f64, seed: u64) -> (Vec<f32>, Vec<f32>) {
        let mut rng = SplitMix64::new(seed);
        let mut x = Vec::with_capacity(n * p);
        let mut y = Vec::with_capacity(n);
        for _ in 0..n {
            let row: Vec<f64> = (0..p).map(|_| rng.next_f64()).collect();
            let t = 0.5 + row.iter().enumerate().map(|(i, v)| (i + 1) as f64 * v).sum::<f64>();
            x.extend(row.iter().map(|&v| v as f32));
            y.push((t + noise * (rng.next_f64() - 0.5)) as f32);
        }
        (x, y)
    }

    #[test]
    fn recovers_an_exact_linear_relationship() {
        let (x, y) = data(40, 3, 0.0, 7);
        let fit = NormalEquations::new(&x, &y, 3).solve().unwrap();
        for (i, w) in fit.weights.iter().enumerate() {
            assert!((w - (i + 1) as f64).abs() < 1e-5, "weight {i} = {w}");
        }
        assert!((fit.intercept - 0.5).abs() < 1e-5, "intercept {}", fit.intercept);
    }

    #[test]
    fn residuals_are_orthogonal_to_every_column() {
        // The optimality condition of least squares, checked directly on noisy rows.
        let (x, y) = data(200, 4, 0.3, 11);
        let fit = NormalEquations::new(&x, &y, 4).solve().unwrap();
        let residuals: Vec<f64> = fit.predict(&x).iter().zip(&y).map(|(p, &t)| t as f64 - p).collect();
        assert!(residuals.iter().sum::<f64>().abs() < 1e-6);
        for c in 0..4 {
            let dot: f64 = residuals.iter().enumerate().map(|(i, r)| r * x[i * 4 + c] as f64).sum();
            assert!(dot.abs() < 1e-6, "column {c}: {dot}");
        }
    }

    #[test]
    fn mean_squared_error_from_statistics_matches_the_rows() {
        let (x, y) = data(50, 2, 0.5, 3);
        let stats = NormalEquations::new(&x, &y, 2);
        let other = LinearFit { weights: vec![0.3, -1.0], intercept: 0.2 };
        for fit in [stats.solve().unwrap(), other] {
            let direct = fit.predict(&x).iter().zip(&y).map(|(p, &t)| (t as f64 - p).powi(2)).sum::<f64>() / 50.0;
            assert!((stats.mean_squared_error(&fit) - direct).abs() < 1e-9 * direct.max(1.0));
        }
    }

    #[test]
    fn constant_and_duplicated_columns_still_solve() {
        // Column 1 is constant and column 2 repeats column 0: the ridge keeps the system definite.
        let (base, y) = data(30, 1, 0.1, 5);
        let x: Vec<f32> = base.iter().flat_map(|&v| [v, 0.25, v]).collect();
        let fit = NormalEquations::new(&x, &y, 3).solve().unwrap();
        assert_eq!(fit.weights[1], 0.0);
        assert!((fit.weights[0] + fit.weights[2] - 1.0).abs() < 0.05, "{:?}", fit.weights);
    }

    #[test]
    fn exact_learner_reports_every_epoch_at_the_optimum() {
        let (x, y) = data(60, 2, 0.2, 9);
        let (train, held_out) =
            (NormalEquations::new(&x[..80], &y[..40], 2), NormalEquations::new(&x[80..], &y[40..], 2));
        let config = TrainConfig {
            epochs: 20,
            batch_size: 16,
            learning_rate: 0.01,
            validation_split: 0.0,
            shuffle: true,
            seed: 1,
            early_stopping: None,
        };
        let outcome = fit_exact(&train, Some(&held_out), &config, &mut crate::train::NoObserver).unwrap();
        assert_eq!(outcome.history.len(), 20);
        let optimum = train.mean_squared_error(&train.solve().unwrap());
        assert!(outcome.history.iter().all(|e| e.loss == optimum && e.val_loss.is_some()));
    }
}

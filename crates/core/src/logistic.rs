//! Multinomial logistic regression fitted to convergence by Newton's method: the linear model
//! every classification network is measured against.
//!
//! Why: on the small data sets users start with (60 rows, 20 epochs of 16-row batches) a
//! classification network gets about 60 optimiser steps, stops far from any optimum, and where
//! its decision boundary lands is left to its random start. Where the labels are (close to)
//! linearly separable, the converged logistic regression of the same normalised features is the
//! better model, and it depends on the data alone. So classification fits both: the network is
//! kept only when it labels more held-out rows right than this regression (see
//! [`crate::tabular`]); it is the same rule as regression's exact least-squares base.
//!
//! The loss is the mean cross-entropy plus a tiny ridge term (`RIDGE / 2 · |θ|²` over every weight
//! and bias). The ridge makes the optimum unique: softmax parameters are otherwise defined only up
//! to a shared shift, a class absent from the training rows would push its bias to −∞, and on
//! separable rows the unpenalised optimum lies at infinity. It is small enough that on separable
//! rows the boundary approaches the maximum-margin one.

use crate::error::{Error, Result};
use crate::least_squares::cholesky_solve;
use crate::net::{DenseLayerWeights, DenseWeights};
use crate::spec::Activation;

/// Parameters (`classes × (terms + 1)`) above which the regression is not fitted: Newton's method
/// forms their Hessian (the square of this) and factors it (the cube).
pub const MAX_PARAMETERS: usize = 256;

/// Rows × parameters² above which the Newton steps (each sums a Hessian over the rows, about a
/// tenth of a second at this bound) cost more than a baseline is worth: larger data sets give the
/// network enough optimiser steps to converge by itself.
pub const MAX_WORK: usize = 1 << 27;

/// Ridge strength, in units of the mean cross-entropy over min-max normalised features.
const RIDGE: f64 = 1e-6;

/// Newton steps at most; separable rows need the most (their optimum has large weights), about 30.
const MAX_STEPS: usize = 100;

/// A linear softmax classifier over normalised features: `logits = x · weight + bias`.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticFit {
    pub terms: usize,
    pub classes: usize,
    /// Row-major `[terms, classes]` (the dense layer layout).
    pub weight: Vec<f64>,
    pub bias: Vec<f64>,
    /// Newton steps taken.
    pub steps: usize,
}

impl LogisticFit {
    /// Whether a regression over `terms` inputs, `classes` outputs and `rows` rows is fitted at all.
    pub fn affordable(terms: usize, classes: usize, rows: usize) -> bool {
        let parameters = classes.saturating_mul(terms + 1);
        parameters <= MAX_PARAMETERS && rows.saturating_mul(parameters * parameters) <= MAX_WORK
    }

    /// The regression as a one-layer softmax network for the inference engine.
    pub fn to_dense(&self) -> DenseWeights {
        DenseWeights {
            layers: vec![DenseLayerWeights {
                inputs: self.terms,
                units: self.classes,
                activation: Activation::Softmax,
                weight: self.weight.iter().map(|&w| w as f32).collect(),
                bias: self.bias.iter().map(|&b| b as f32).collect(),
                batch_norm: None,
            }],
        }
    }
}

/// Fits the regression of one-hot `targets` (rows × `classes`) on `x` (rows × `terms`).
pub fn fit(x: &[f32], targets: &[f32], terms: usize, classes: usize) -> Result<LogisticFit> {
    let rows = targets.len() / classes.max(1);
    debug_assert_eq!(x.len(), rows * terms);
    let problem = Problem { x, targets, terms, classes, rows };
    // θ[c·(terms+1) + a]: class c's weight of input a, its bias at a = terms.
    let mut theta = vec![0.0; problem.dimension()];
    let mut objective = problem.objective(&theta);
    let mut steps = 0;
    while steps < MAX_STEPS {
        let (gradient, hessian) = problem.derivatives(&theta);
        let Some(step) = cholesky_solve(&hessian, &gradient, theta.len(), RIDGE) else {
            return Err(Error::training("the logistic regression's Newton system could not be solved"));
        };
        steps += 1;
        // Newton decrement: half of it is the decrease a full step predicts.
        let decrement: f64 = gradient.iter().zip(&step).map(|(g, s)| g * s).sum();
        if decrement <= 1e-14 {
            break;
        }
        // Backtracking keeps every step a decrease (Newton can overshoot far from the optimum).
        let mut t = 1.0;
        let mut candidate = Vec::with_capacity(theta.len());
        let accepted = loop {
            candidate.clear();
            candidate.extend(theta.iter().zip(&step).map(|(v, s)| v - t * s));
            let value = problem.objective(&candidate);
            if value <= objective - 1e-4 * t * decrement {
                break Some(value);
            }
            t /= 2.0;
            if t < 1e-10 {
                break None;
            }
        };
        match accepted {
            Some(value) => {
                std::mem::swap(&mut theta, &mut candidate);
                objective = value;
            }
            // No decrease left to find in f64: converged.
            None => break,
        }
    }
    let width = terms + 1;
    let mut weight = vec![0.0; terms * classes];
    for c in 0..classes {
        for a in 0..terms {
            weight[a * classes + c] = theta[c * width + a];
        }
    }
    let bias = (0..classes).map(|c| theta[c * width + terms]).collect();
    Ok(LogisticFit { terms, classes, weight, bias, steps })
}

struct Problem<'a> {
    x: &'a [f32],
    targets: &'a [f32],
    terms: usize,
    classes: usize,
    rows: usize,
}

impl Problem<'_> {
    fn dimension(&self) -> usize {
        self.classes * (self.terms + 1)
    }

    /// Row `i`'s class probabilities under `theta`, written to `p`.
    fn probabilities(&self, theta: &[f64], i: usize, p: &mut [f64]) {
        let width = self.terms + 1;
        let row = &self.x[i * self.terms..(i + 1) * self.terms];
        for (c, out) in p.iter_mut().enumerate() {
            let w = &theta[c * width..(c + 1) * width];
            *out = w[self.terms] + row.iter().zip(w).map(|(&v, wv)| v as f64 * wv).sum::<f64>();
        }
        let max = p.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = p
            .iter_mut()
            .map(|v| {
                *v = (*v - max).exp();
                *v
            })
            .sum();
        p.iter_mut().for_each(|v| *v /= sum);
    }

    /// Mean cross-entropy plus the ridge term.
    fn objective(&self, theta: &[f64]) -> f64 {
        let (width, k) = (self.terms + 1, self.classes);
        let mut logits = vec![0.0; k];
        let mut total = 0.0;
        for i in 0..self.rows {
            let row = &self.x[i * self.terms..(i + 1) * self.terms];
            for (c, z) in logits.iter_mut().enumerate() {
                let w = &theta[c * width..(c + 1) * width];
                *z = w[self.terms] + row.iter().zip(w).map(|(&v, wv)| v as f64 * wv).sum::<f64>();
            }
            let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let log_sum = max + logits.iter().map(|z| (z - max).exp()).sum::<f64>().ln();
            let target = &self.targets[i * k..(i + 1) * k];
            total += target.iter().zip(&logits).map(|(&t, z)| t as f64 * (log_sum - z)).sum::<f64>();
        }
        total / self.rows.max(1) as f64 + 0.5 * RIDGE * theta.iter().map(|v| v * v).sum::<f64>()
    }

    /// Gradient of the objective and the Hessian of its cross-entropy part (the ridge is added
    /// by the solve), row-major.
    fn derivatives(&self, theta: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let (width, k, d) = (self.terms + 1, self.classes, self.dimension());
        let n = self.rows.max(1) as f64;
        let mut gradient = vec![0.0; d];
        let mut hessian = vec![0.0; d * d];
        let mut p = vec![0.0; k];
        let mut features = vec![1.0; width];
        for i in 0..self.rows {
            self.probabilities(theta, i, &mut p);
            let row = &self.x[i * self.terms..(i + 1) * self.terms];
            features.iter_mut().zip(row).for_each(|(f, &v)| *f = v as f64);
            let target = &self.targets[i * k..(i + 1) * k];
            for (c, (&pc, &tc)) in p.iter().zip(target).enumerate() {
                let residual = pc - tc as f64;
                for (a, &f) in features.iter().enumerate() {
                    gradient[c * width + a] += residual * f / n;
                }
                // Block (c, c') = (δ p_c − p_c p_c') f fᵀ; upper triangle of blocks only.
                for (c2, &pc2) in p.iter().enumerate().skip(c) {
                    let curvature = (if c == c2 { pc } else { 0.0 } - pc * pc2) / n;
                    if curvature == 0.0 {
                        continue;
                    }
                    for (a, &fa) in features.iter().enumerate() {
                        let line =
                            &mut hessian[(c * width + a) * d + c2 * width..(c * width + a) * d + (c2 + 1) * width];
                        let scaled = curvature * fa;
                        line.iter_mut().zip(&features).for_each(|(h, &fb)| *h += scaled * fb);
                    }
                }
            }
        }
        // Mirror the upper blocks below the diagonal.
        for r in 0..d {
            for col in 0..r {
                if col / width < r / width {
                    hessian[r * d + col] = hessian[col * d + r];
                }
            }
        }
        gradient.iter_mut().zip(theta).for_each(|(g, v)| *g += RIDGE * v);
        (gradient, hessian)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    fn one_hot(labels: &[u32], k: usize) -> Vec<f32> {
        labels.iter().flat_map(|&l| (0..k).map(move |c| f32::from(c as u32 == l))).collect()
    }

    #[test]
    fn gradient_vanishes_at_the_fit() {
        // Overlapping classes: the unpenalised optimum is finite, and Newton reaches it.
        let mut rng = SplitMix64::new(3);
        let (mut x, mut labels) = (Vec::new(), Vec::new());
        for _ in 0..300 {
            let (a, b) = (rng.next_f64(), rng.next_f64());
            x.extend([a as f32, b as f32]);
            let score = 3.0 * a - 2.0 * b + rng.uniform(-0.8, 0.8);
            labels.push(if score < 0.0 {
                0
            } else if score < 0.8 {
                1
            } else {
                2
            });
        }
        let targets = one_hot(&labels, 3);
        let fit = fit(&x, &targets, 2, 3).unwrap();
        let problem = Problem { x: &x, targets: &targets, terms: 2, classes: 3, rows: 300 };
        let width = 3;
        let mut theta = vec![0.0; 9];
        for (c, &bias) in fit.bias.iter().enumerate() {
            for a in 0..2 {
                theta[c * width + a] = fit.weight[a * 3 + c];
            }
            theta[c * width + 2] = bias;
        }
        let (gradient, _) = problem.derivatives(&theta);
        assert!(gradient.iter().all(|g| g.abs() < 1e-9), "{gradient:?}");
        assert!(fit.steps < 20, "{} steps", fit.steps);
    }

    #[test]
    fn separable_rows_get_the_separating_boundary() {
        // y = [a + b > 1]: every training row is labelled right.
        let mut rng = SplitMix64::new(9);
        let (mut x, mut labels) = (Vec::new(), Vec::new());
        for _ in 0..60 {
            let (a, b) = (rng.next_f64(), rng.next_f64());
            x.extend([a as f32, b as f32]);
            labels.push(u32::from(a + b > 1.0));
        }
        let fit = fit(&x, &one_hot(&labels, 2), 2, 2).unwrap();
        let outputs = fit.to_dense().forward(&x);
        for (p, &l) in outputs.chunks_exact(2).zip(&labels) {
            assert!(p[l as usize] > 0.5, "{p:?} for label {l}");
        }
    }

    #[test]
    fn an_absent_class_gets_a_finite_low_probability() {
        let x = [0.0f32, 0.2, 0.4, 0.6, 0.8, 1.0];
        let labels = [0, 0, 1, 0, 1, 1];
        let fit = fit(&x, &one_hot(&labels, 3), 1, 3).unwrap();
        assert!(fit.weight.iter().chain(&fit.bias).all(|v| v.is_finite()));
        let outputs = fit.to_dense().forward(&x);
        assert!(outputs.chunks_exact(3).all(|p| p[2] < 0.01), "{outputs:?}");
    }

    #[test]
    fn affordability_bounds_the_hessian() {
        assert!(LogisticFit::affordable(2, 2, 60));
        assert!(!LogisticFit::affordable(200, 3, 60));
        assert!(!LogisticFit::affordable(10, 10, 1 << 30));
    }
}

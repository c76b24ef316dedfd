//! Evaluation metrics: R², MAE, RMSE, MAPE for numbers; accuracy, confusion matrix and
//! precision/recall/F1 for labels; split-conformal quantiles for prediction intervals.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RegressionMetrics {
    pub r2: f64,
    pub mae: f64,
    pub rmse: f64,
    /// Mean absolute percentage error over rows whose actual value is not 0 (`None` if none are).
    pub mape: Option<f64>,
    pub samples: usize,
}

pub fn regression_metrics(actual: &[f64], predicted: &[f64]) -> RegressionMetrics {
    let n = actual.len().max(1) as f64;
    let mean = actual.iter().sum::<f64>() / n;
    let (mut ss_res, mut ss_tot, mut abs_sum, mut pct_sum, mut pct_n) = (0.0, 0.0, 0.0, 0.0, 0usize);
    for (&y, &p) in actual.iter().zip(predicted) {
        let err = y - p;
        ss_res += err * err;
        ss_tot += (y - mean) * (y - mean);
        abs_sum += err.abs();
        if y != 0.0 {
            pct_sum += (err / y).abs();
            pct_n += 1;
        }
    }
    let r2 = if ss_tot > 0.0 {
        1.0 - ss_res / ss_tot
    } else if ss_res == 0.0 {
        1.0
    } else {
        0.0
    };
    RegressionMetrics {
        r2,
        mae: abs_sum / n,
        rmse: (ss_res / n).sqrt(),
        mape: (pct_n > 0).then(|| 100.0 * pct_sum / pct_n as f64),
        samples: actual.len(),
    }
}

/// The split-conformal quantile of absolute residuals: with `m` calibration residuals, the
/// ⌈(m+1)·coverage⌉-th smallest. Under exchangeability, `[ŷ - q, ŷ + q]` then covers a new
/// value with probability at least `coverage` (Lei et al., 2018).
pub fn conformal_quantile(residuals: &[f64], coverage: f64) -> f64 {
    if residuals.is_empty() {
        return f64::INFINITY;
    }
    let mut sorted = residuals.to_vec();
    sorted.sort_by(f64::total_cmp);
    let m = sorted.len();
    let rank = ((m as f64 + 1.0) * coverage).ceil() as usize;
    if rank > m { sorted[m - 1] * (1.0 + 1.0 / m as f64) } else { sorted[rank.max(1) - 1] }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ClassMetrics {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ClassificationMetrics {
    pub accuracy: f64,
    pub total: u64,
    pub correct: u64,
    /// `matrix[actual][predicted]` counts, indexed by class.
    pub matrix: Vec<Vec<u64>>,
    pub per_class: Vec<ClassMetrics>,
}

pub fn classification_metrics(actual: &[u32], predicted: &[u32], classes: usize) -> ClassificationMetrics {
    let mut matrix = vec![vec![0u64; classes]; classes];
    for (&a, &p) in actual.iter().zip(predicted) {
        matrix[a as usize][p as usize] += 1;
    }
    let correct: u64 = (0..classes).map(|c| matrix[c][c]).sum();
    let total = actual.len() as u64;
    let ratio = |num: u64, den: u64| {
        if den > 0 { num as f64 / den as f64 } else { 0.0 }
    };
    let per_class = (0..classes)
        .map(|c| {
            let tp = matrix[c][c];
            let predicted_c: u64 = (0..classes).map(|a| matrix[a][c]).sum();
            let support: u64 = matrix[c].iter().sum();
            let precision = ratio(tp, predicted_c);
            let recall = ratio(tp, support);
            let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
            ClassMetrics { precision, recall, f1, support }
        })
        .collect();
    ClassificationMetrics { accuracy: ratio(correct, total), total, correct, matrix, per_class }
}

/// Rescales probabilities by a temperature: `p_i^(1/T)`, renormalised, which is
/// `softmax(logits / T)` for softmax outputs. T > 1 softens overconfident predictions.
pub fn temper(probabilities: &mut [f64], temperature: f64) {
    if temperature == 1.0 {
        return;
    }
    let inv = 1.0 / temperature;
    let max = probabilities.iter().copied().fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    let mut sum = 0.0;
    for p in probabilities.iter_mut() {
        *p = (*p / max).max(1e-300).powf(inv);
        sum += *p;
    }
    probabilities.iter_mut().for_each(|p| *p /= sum);
}

/// The temperature that minimises the negative log-likelihood of the true classes on held-out
/// rows (Guo et al., 2017, "On Calibration of Modern Neural Networks"), found by golden-section
/// search over log T in [1/20, 20]. Deterministic; 1.0 when there is nothing to calibrate on.
pub fn fit_temperature(probabilities: &[f32], actual: &[u32], classes: usize) -> f64 {
    if actual.is_empty() || classes < 2 {
        return 1.0;
    }
    let nll = |log_t: f64| -> f64 {
        let t = log_t.exp();
        let mut total = 0.0;
        let mut row = vec![0.0; classes];
        for (p, &y) in probabilities.chunks_exact(classes).zip(actual) {
            row.iter_mut().zip(p).for_each(|(r, &v)| *r = v as f64);
            temper(&mut row, t);
            total -= row[y as usize].max(1e-12).ln();
        }
        total / actual.len() as f64
    };
    let (mut lo, mut hi) = ((1.0f64 / 20.0).ln(), 20f64.ln());
    let golden = (5f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (hi - golden * (hi - lo), lo + golden * (hi - lo));
    let (mut fa, mut fb) = (nll(a), nll(b));
    for _ in 0..60 {
        if fa < fb {
            hi = b;
            (b, fb) = (a, fa);
            a = hi - golden * (hi - lo);
            fa = nll(a);
        } else {
            lo = a;
            (a, fa) = (b, fb);
            b = lo + golden * (hi - lo);
            fb = nll(b);
        }
    }
    ((lo + hi) / 2.0).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_regression() {
        let m = regression_metrics(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]);
        assert_eq!(m.r2, 1.0);
        assert_eq!(m.mae, 0.0);
        assert_eq!(m.mape, Some(0.0));
    }

    #[test]
    fn r2_of_mean_predictor_is_zero() {
        let m = regression_metrics(&[1.0, 2.0, 3.0], &[2.0, 2.0, 2.0]);
        assert!(m.r2.abs() < 1e-12);
        assert!((m.mae - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn conformal_rank() {
        let r: Vec<f64> = (1..=9).map(f64::from).collect();
        // m = 9, coverage 0.9: rank ceil(10 * 0.9) = 9 → 9.0
        assert_eq!(conformal_quantile(&r, 0.9), 9.0);
        assert_eq!(conformal_quantile(&r, 0.5), 5.0);
    }

    #[test]
    fn temperature_softens_overconfident_predictions() {
        // Always 99% sure, right only 3 times in 4: the fitted temperature softens it.
        let p: Vec<f32> = [0.99, 0.01].repeat(4);
        let t = fit_temperature(&p, &[0, 0, 0, 1], 2);
        assert!(t > 1.5, "temperature {t}");
        let mut row = [0.99, 0.01];
        temper(&mut row, t);
        assert!((row[0] - 0.75).abs() < 0.02, "calibrated {row:?}");
    }

    #[test]
    fn confusion_and_f1() {
        let m = classification_metrics(&[0, 0, 1, 1], &[0, 1, 1, 1], 2);
        assert_eq!(m.matrix, vec![vec![1, 1], vec![0, 2]]);
        assert_eq!(m.correct, 3);
        assert!((m.per_class[1].precision - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(m.per_class[1].recall, 1.0);
    }
}

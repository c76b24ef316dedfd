//! What a training report draws besides the headline metrics, measured once on the held-out rows
//! when a model is trained and kept in its [`crate::model::TrainReport`], so that a report can be
//! drawn for any stored version later, on any instance, without the training data:
//!
//! - numbers (regression, numeric networks, time series): a sample of held-out actual and predicted
//!   values, and how often the conformal interval really covered a held-out value;
//! - labels and probabilities: reliability bins (confidence against accuracy) before and after
//!   temperature scaling.
//!
//! Everything here is bounded whatever the data size: at most [`MAX_POINTS`] points and
//! [`RELIABILITY_BINS`] bins.

use crate::metrics::temper;
use serde::{Deserialize, Serialize};

/// Bumped when the shape below changes; readers say what a version lacks rather than guess.
pub const DIAGNOSTICS_VERSION: u32 = 1;
/// Held-out points kept per version: enough for a scatter or a forecast line to read well, small
/// enough (tens of kilobytes) to travel in every stored model.
pub const MAX_POINTS: usize = 2000;
/// Equal-width confidence bins of the reliability diagram.
pub const RELIABILITY_BINS: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostics {
    pub version: u32,
    /// `"validation"` (held-out rows) or `"training"` (nothing was held out).
    pub source: String,
    /// Rows measured; `points` holds at most [`MAX_POINTS`] of them.
    pub measured: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<HeldOutPoints>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<IntervalCoverage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reliability: Option<Reliability>,
}

/// Held-out actual and predicted values, in target units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldOutPoints {
    /// Position of each point among the measured rows (for a time series, the window's place in
    /// time order).
    pub index: Vec<u32>,
    pub actual: Vec<f32>,
    pub predicted: Vec<f32>,
    /// A time series: when each point's record happened, so a forecast chart is drawn against the
    /// user's own time axis rather than a record number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<PointTimes>,
}

/// The time field's value at each held-out point of a time series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PointTimes {
    /// The record field that orders the series.
    pub field: String,
    /// Whether its values were dates (then `values` are milliseconds since the Unix epoch).
    pub dates: bool,
    /// One per point, in f64: milliseconds since 1970 need more than f32's 24 bits.
    pub values: Vec<f64>,
}

/// How the conformal interval did on the measured rows (all of them, not only the sample).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntervalCoverage {
    /// The coverage the interval was built for (e.g. 0.9).
    pub target: f64,
    pub half_width: f64,
    /// Share of measured rows whose actual value fell inside `prediction ± half_width`.
    pub empirical: f64,
}

/// Reliability of the predicted label's probability: per confidence bin, how often it was right.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reliability {
    /// The network's own probabilities.
    pub before: Vec<ReliabilityBin>,
    /// After temperature scaling (label heads with held-out rows only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Vec<ReliabilityBin>>,
    pub temperature: f64,
    /// Expected calibration error: the count-weighted mean gap between confidence and accuracy.
    pub ece_before: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ece_after: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReliabilityBin {
    pub lower: f64,
    pub upper: f64,
    pub count: u64,
    /// Mean confidence of the bin's predictions (NaN-free: 0 when the bin is empty).
    pub confidence: f64,
    /// Share of the bin's predictions that were right (0 when empty).
    pub accuracy: f64,
}

/// Which measured rows to keep when there are more than [`MAX_POINTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// Evenly spread over the rows (tabular held-out rows are already in random order).
    Spread,
    /// The most recent ones, contiguous (a forecast reads as a line).
    Latest,
}

/// Indices of the rows to keep, in increasing order.
fn sample(n: usize, sampling: Sampling) -> Vec<usize> {
    if n <= MAX_POINTS {
        return (0..n).collect();
    }
    match sampling {
        Sampling::Spread => (0..MAX_POINTS).map(|i| i * n / MAX_POINTS).collect(),
        Sampling::Latest => (n - MAX_POINTS..n).collect(),
    }
}

impl Diagnostics {
    /// Numeric predictions: sampled points and the interval's empirical coverage.
    pub fn values(
        actual: &[f64],
        predicted: &[f64],
        coverage: f64,
        half_width: f64,
        source: &str,
        sampling: Sampling,
    ) -> Self {
        let kept = sample(actual.len(), sampling);
        let inside = actual.iter().zip(predicted).filter(|(a, p)| (*a - *p).abs() <= half_width).count();
        Self {
            version: DIAGNOSTICS_VERSION,
            source: source.to_string(),
            measured: actual.len(),
            points: Some(HeldOutPoints {
                index: kept.iter().map(|&i| i as u32).collect(),
                actual: kept.iter().map(|&i| actual[i] as f32).collect(),
                predicted: kept.iter().map(|&i| predicted[i] as f32).collect(),
                time: None,
            }),
            interval: Some(IntervalCoverage {
                target: coverage,
                half_width,
                empirical: inside as f64 / actual.len().max(1) as f64,
            }),
            reliability: None,
        }
    }

    /// Label predictions: `probabilities` is rows × `classes` (the network's softmax output),
    /// reliability before and, when `temperature` was fitted (≠ 1), after scaling.
    pub fn labels(probabilities: &[f32], actual: &[u32], classes: usize, temperature: f64, source: &str) -> Self {
        let top = |t: f64| -> Vec<(f64, bool)> {
            let mut row = vec![0.0; classes];
            probabilities
                .chunks_exact(classes)
                .zip(actual)
                .map(|(p, &y)| {
                    row.iter_mut().zip(p).for_each(|(r, &v)| *r = v as f64);
                    temper(&mut row, t);
                    let (best, &confidence) =
                        row.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).expect("two classes or more");
                    (confidence, best as u32 == y)
                })
                .collect()
        };
        let before = bins(&top(1.0));
        let after = (temperature != 1.0).then(|| bins(&top(temperature)));
        Self::with_reliability(actual.len(), source, before, after, temperature)
    }

    /// Probability predictions (a sigmoid output): reliability of `max(p, 1 − p)` at threshold 0.5.
    pub fn probabilities(probability: &[f32], actual: &[u32], source: &str) -> Self {
        let top: Vec<(f64, bool)> = probability
            .iter()
            .zip(actual)
            .map(|(&p, &y)| {
                let p = p as f64;
                (p.max(1.0 - p), u32::from(p >= 0.5) == y)
            })
            .collect();
        Self::with_reliability(actual.len(), source, bins(&top), None, 1.0)
    }

    fn with_reliability(
        measured: usize,
        source: &str,
        before: Vec<ReliabilityBin>,
        after: Option<Vec<ReliabilityBin>>,
        temperature: f64,
    ) -> Self {
        Self {
            version: DIAGNOSTICS_VERSION,
            source: source.to_string(),
            measured,
            points: None,
            interval: None,
            reliability: Some(Reliability {
                ece_before: expected_calibration_error(&before),
                ece_after: after.as_deref().map(expected_calibration_error),
                before,
                after,
                temperature,
            }),
        }
    }
}

/// Equal-width bins over [0, 1] of `(confidence, correct)` pairs.
fn bins(predictions: &[(f64, bool)]) -> Vec<ReliabilityBin> {
    let mut sums = vec![(0u64, 0.0f64, 0u64); RELIABILITY_BINS];
    for &(confidence, correct) in predictions {
        let bin = ((confidence * RELIABILITY_BINS as f64) as usize).min(RELIABILITY_BINS - 1);
        let s = &mut sums[bin];
        s.0 += 1;
        s.1 += confidence;
        s.2 += u64::from(correct);
    }
    sums.iter()
        .enumerate()
        .map(|(b, &(count, confidence, correct))| {
            let of = |x: f64| if count > 0 { x / count as f64 } else { 0.0 };
            ReliabilityBin {
                lower: b as f64 / RELIABILITY_BINS as f64,
                upper: (b + 1) as f64 / RELIABILITY_BINS as f64,
                count,
                confidence: of(confidence),
                accuracy: of(correct as f64),
            }
        })
        .collect()
}

fn expected_calibration_error(bins: &[ReliabilityBin]) -> f64 {
    let total: u64 = bins.iter().map(|b| b.count).sum();
    if total == 0 {
        return 0.0;
    }
    bins.iter().map(|b| b.count as f64 / total as f64 * (b.confidence - b.accuracy).abs()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_bounded_and_ordered() {
        let n = 10 * MAX_POINTS + 3;
        let actual: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let spread = Diagnostics::values(&actual, &actual, 0.9, 1.0, "validation", Sampling::Spread);
        let points = spread.points.unwrap();
        assert_eq!(points.index.len(), MAX_POINTS);
        assert!(points.index.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(points.index[0], 0);
        let latest = Diagnostics::values(&actual, &actual, 0.9, 1.0, "validation", Sampling::Latest).points.unwrap();
        assert_eq!(latest.index.len(), MAX_POINTS);
        assert_eq!(*latest.index.last().unwrap() as usize, n - 1);
        assert_eq!(latest.actual[0] as usize, n - MAX_POINTS);
    }

    #[test]
    fn empirical_coverage_counts_rows_inside_the_interval() {
        // Errors 0, 1, 2, 3: a half-width of 2 covers three of four.
        let d =
            Diagnostics::values(&[0.0, 1.0, 2.0, 3.0], &[0.0, 0.0, 0.0, 0.0], 0.9, 2.0, "validation", Sampling::Spread);
        assert_eq!(d.interval.unwrap().empirical, 0.75);
    }

    #[test]
    fn reliability_bins_count_confidence_and_accuracy() {
        // Four rows at 0.95 confidence, three right; two at 0.55, one right.
        let p: Vec<f32> = [[0.95, 0.05]; 4].iter().chain(&[[0.55, 0.45]; 2]).flatten().copied().collect();
        let d = Diagnostics::labels(&p, &[0, 0, 0, 1, 0, 1], 2, 1.0, "validation");
        let r = d.reliability.unwrap();
        assert!(r.after.is_none());
        assert_eq!(r.before.len(), RELIABILITY_BINS);
        let top = &r.before[9];
        assert_eq!(top.count, 4);
        assert!((top.confidence - 0.95).abs() < 1e-6 && (top.accuracy - 0.75).abs() < 1e-12);
        let mid = &r.before[5];
        assert_eq!(mid.count, 2);
        assert!((mid.accuracy - 0.5).abs() < 1e-12);
        let expected = (4.0 * (0.95f32 as f64 - 0.75).abs() + 2.0 * (0.55f32 as f64 - 0.5).abs()) / 6.0;
        assert!((r.ece_before - expected).abs() < 1e-9, "ECE {} vs {expected}", r.ece_before);
    }

    #[test]
    fn temperature_scaling_is_measured_after_too() {
        let p: Vec<f32> = [[0.99, 0.01]; 4].iter().flatten().copied().collect();
        let d = Diagnostics::labels(&p, &[0, 0, 0, 1], 2, 3.0, "validation");
        let r = d.reliability.unwrap();
        let after = r.after.unwrap();
        assert_eq!(after.iter().map(|b| b.count).sum::<u64>(), 4);
        assert!(r.ece_after.unwrap() < r.ece_before, "{:?} vs {}", r.ece_after, r.ece_before);
    }
}

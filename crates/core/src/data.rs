//! Tabular data as it arrives from JavaScript (row-major `f64`), its validation, min-max
//! normalisation and the deterministic train/validation split.

use crate::error::{Error, Result};
use crate::rng::SplitMix64;
use serde::{Deserialize, Serialize};

/// Row-major rows × columns of `f64`, borrowed from a JavaScript typed array.
#[derive(Debug, Clone, Copy)]
pub struct Rows<'a> {
    pub values: &'a [f64],
    pub columns: usize,
}

impl<'a> Rows<'a> {
    /// Checks the shape and that every value is finite, naming the feature and row that is not.
    pub fn new(values: &'a [f64], names: &[String]) -> Result<Self> {
        let columns = names.len();
        if columns == 0 || !values.len().is_multiple_of(columns) {
            return Err(Error::data(format!(
                "Expected rows of {columns} features ({}), got {} values",
                names.join(", "),
                values.len()
            ))
            .with("expected", columns)
            .with("got", values.len()));
        }
        if let Some(bad) = values.iter().position(|v| !v.is_finite()) {
            let feature = &names[bad % columns];
            return Err(Error::data(format!(
                "Feature \"{feature}\" must be a finite number, got {} (row {})",
                values[bad],
                bad / columns
            ))
            .with("feature", feature.clone())
            .with("row", bad / columns)
            .with("value", values[bad].to_string()));
        }
        Ok(Self { values, columns })
    }

    pub fn len(&self) -> usize {
        self.values.len() / self.columns
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn row(&self, i: usize) -> &'a [f64] {
        &self.values[i * self.columns..(i + 1) * self.columns]
    }
}

/// Min-max scaling of one column: `(x - min) / (max - min)`, 0.5 for a constant column.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MinMax {
    pub min: f64,
    pub max: f64,
}

impl MinMax {
    /// The scale that leaves values as they are (category indices).
    pub const IDENTITY: Self = Self { min: 0.0, max: 1.0 };

    pub fn fit(values: impl Iterator<Item = f64>) -> Self {
        let (min, max) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        Self { min, max }
    }

    pub fn range(&self) -> f64 {
        self.max - self.min
    }

    pub fn scale(&self, v: f64) -> f64 {
        let range = self.range();
        if range > 0.0 { (v - self.min) / range } else { 0.5 }
    }

    pub fn unscale(&self, v: f64) -> f64 {
        let range = self.range();
        if range > 0.0 { v * range + self.min } else { self.min }
    }
}

/// The normaliser of a model, in the shape the upstream plugin exposes:
/// `{ features: { name: {min, max} }, target: {min, max} }` (built by the binding from this).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Normalizer {
    pub features: Vec<MinMax>,
    pub target: Option<MinMax>,
}

impl Normalizer {
    pub fn fit(rows: Rows<'_>) -> Self {
        let features = (0..rows.columns)
            .map(|c| MinMax::fit((0..rows.len()).map(|r| rows.values[r * rows.columns + c])))
            .collect();
        Self { features, target: None }
    }

    /// Normalised copy of the rows `order` lists, in that order, as `f32` (the training and
    /// inference precision).
    pub fn scale_rows(&self, rows: Rows<'_>, order: &[usize]) -> Vec<f32> {
        order.iter().flat_map(|&i| rows.row(i).iter().zip(&self.features).map(|(&v, mm)| mm.scale(v) as f32)).collect()
    }
}

/// The mean of every column of `rows` (the reference input of explanations).
pub fn column_means(rows: Rows<'_>) -> Vec<f64> {
    let mut sums = vec![0.0; rows.columns];
    for row in rows.values.chunks_exact(rows.columns) {
        sums.iter_mut().zip(row).for_each(|(s, v)| *s += v);
    }
    let n = rows.len().max(1) as f64;
    sums.iter().map(|s| s / n).collect()
}

/// Scales each column of `rows` with its own min-max, to `f32`.
pub fn scale_columns(rows: Rows<'_>, scales: &[MinMax]) -> Vec<f32> {
    rows.values
        .chunks_exact(rows.columns)
        .flat_map(|row| row.iter().zip(scales).map(|(&v, mm)| mm.scale(v) as f32))
        .collect()
}

/// Indices of the training and the held-out validation rows.
#[derive(Debug, Clone)]
pub struct Split {
    pub train: Vec<usize>,
    pub validation: Vec<usize>,
}

impl Split {
    /// A seeded random split: `floor(n * fraction)` rows held out, at least one row kept for training.
    pub fn new(n: usize, fraction: f64, seed: u64) -> Self {
        let mut order = SplitMix64::new(seed ^ 0x5EED_5B17).permutation(n);
        let held_out = ((n as f64 * fraction).floor() as usize).min(n.saturating_sub(1));
        let validation = order.split_off(n - held_out);
        Self { train: order, validation }
    }
}

/// Row indices in content order: rows compared value by value (IEEE total order), then by
/// `tie(i)` (the row's target). Rows that are equal in every value are interchangeable, so the
/// resulting row sequence depends only on the multiset of rows, never on their arrival order.
pub fn content_order(rows: Rows<'_>, tie: impl Fn(usize) -> f64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| {
        rows.row(a)
            .iter()
            .zip(rows.row(b))
            .map(|(x, y)| x.total_cmp(y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| tie(a).total_cmp(&tie(b)))
    });
    order
}

/// Copies the listed rows of a row-major matrix.
pub fn gather<T: Copy>(values: &[T], columns: usize, rows: &[usize]) -> Vec<T> {
    let mut out = Vec::with_capacity(rows.len() * columns);
    for &r in rows {
        out.extend_from_slice(&values[r * columns..(r + 1) * columns]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_non_finite_values_by_feature_name() {
        let names = vec!["a".to_string(), "b".to_string()];
        let err = Rows::new(&[1.0, 2.0, 3.0, f64::NAN], &names).unwrap_err();
        assert!(err.message.contains("\"b\""), "{err}");
        assert_eq!(err.context["row"], 1);
    }

    #[test]
    fn split_is_deterministic_and_disjoint() {
        let a = Split::new(100, 0.2, 3);
        let b = Split::new(100, 0.2, 3);
        assert_eq!(a.validation, b.validation);
        assert_eq!(a.validation.len(), 20);
        let mut all: Vec<_> = a.train.iter().chain(&a.validation).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn content_order_ignores_arrival_order() {
        let names = vec!["a".to_string(), "b".to_string()];
        let values = [2.0, 1.0, 1.0, 5.0, 1.0, 3.0, 2.0, 0.0];
        let targets = [10.0, 20.0, 30.0, 40.0];
        let order = content_order(Rows::new(&values, &names).unwrap(), |i| targets[i]);
        assert_eq!(order, vec![2, 1, 3, 0]);
        // The same rows listed backwards come out as the same sequence of rows.
        let reversed: Vec<f64> = values.chunks(2).rev().flatten().copied().collect();
        let reversed_targets: Vec<f64> = targets.iter().rev().copied().collect();
        let again = content_order(Rows::new(&reversed, &names).unwrap(), |i| reversed_targets[i]);
        let rows_of = |order: &[usize], v: &[f64]| -> Vec<f64> {
            order.iter().flat_map(|&i| v[2 * i..2 * i + 2].to_vec()).collect()
        };
        assert_eq!(rows_of(&order, &values), rows_of(&again, &reversed));
    }

    #[test]
    fn constant_column_scales_to_half() {
        let mm = MinMax { min: 3.0, max: 3.0 };
        assert_eq!(mm.scale(3.0), 0.5);
    }
}

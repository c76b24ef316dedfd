//! The preparation of a model's inputs: how each feature of a record becomes numbers (its kind,
//! the category vocabulary, the value that fills a missing one, a date's origin). JavaScript
//! learns it from the training rows and encodes records with it (`lib/preprocessing.js`); the
//! core stores it with the model, checks it when a model is restored, and expands the encoded
//! columns into the network's inputs.
//!
//! Encoded columns (what crosses the boundary, one row per record): a numeric or boolean feature
//! is one value, a date five (days since the origin, then the sine and cosine of the weekday and
//! of the month), and a category one column holding its index in the vocabulary (the vocabulary's
//! length means "other"). The network sees each category as one-hot units, one per vocabulary
//! entry, "other" being all zeros; [`Expansion`] writes those units row by row, so a training set
//! never holds them for all rows at once.

use crate::error::{Error, ErrorKind, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The preparation format this build reads and writes.
pub const PREPARATION_VERSION: u32 = 1;

/// Encoded columns a date feature becomes.
pub const DATE_COLUMNS: [&str; 5] = ["", ".weekdaySin", ".weekdayCos", ".monthSin", ".monthCos"];

/// Vocabulary entries beyond this are not a category but a mistake (the JavaScript side caps at 50).
const MAX_CATEGORIES: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FeatureKind {
    Numeric,
    Category,
    Boolean,
    Date,
}

/// How one feature is prepared, as learned from the training rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreparedFeature {
    pub name: String,
    pub kind: FeatureKind,
    /// Missing values among the training rows.
    pub missing: u64,
    /// How a missing value is filled: `median`, `mean`, `mode`, `zero`, `value` or `error`.
    pub impute: String,
    /// The encoded value that fills a missing one (a number, epoch milliseconds, 0/1 or a
    /// category index); `None` in `error` mode. Stored exactly (see the artifact).
    pub fill: Option<f64>,
    /// Categories: the vocabulary, most frequent first.
    #[serde(default)]
    pub categories: Vec<Value>,
    /// Categories: training values that went to "other" (rare, or beyond the cap).
    #[serde(default)]
    pub other: u64,
    /// Dates: epoch milliseconds of the earliest training date. Stored exactly.
    #[serde(default)]
    pub origin: Option<f64>,
}

/// Every feature's preparation, in the model's feature order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preparation {
    pub version: u32,
    pub features: Vec<PreparedFeature>,
}

/// One encoded column as the network sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// A number, scaled by the normaliser.
    Value,
    /// A category index, expanded to this many one-hot units.
    Category(usize),
}

impl Preparation {
    /// Parses a preparation from JavaScript and checks it against the model's `features`.
    pub fn from_json(value: Value, features: &[String]) -> Result<Self> {
        let preparation: Preparation = serde_json::from_value(value).map_err(|e| unreadable(e.to_string()))?;
        preparation.validate(features)?;
        Ok(preparation)
    }

    /// A preparation this build can use for a model over `features`; a newer or damaged one is
    /// an error that names what is wrong.
    pub fn validate(&self, features: &[String]) -> Result<()> {
        if self.version != PREPARATION_VERSION {
            return Err(Error::new(
                ErrorKind::ModelConfig,
                format!(
                    "The model's input preparation is version {}; this build reads version {PREPARATION_VERSION}",
                    self.version
                ),
            )
            .with("preparationVersion", self.version));
        }
        let names: Vec<&str> = self.features.iter().map(|f| f.name.as_str()).collect();
        if names != features.iter().map(String::as_str).collect::<Vec<_>>() {
            return Err(unreadable(format!(
                "it prepares [{}], the model has [{}]",
                names.join(", "),
                features.join(", ")
            )));
        }
        for f in &self.features {
            let fail = |m: &str| Err(unreadable(format!("feature \"{}\": {m}", f.name)));
            if !matches!(f.impute.as_str(), "median" | "mean" | "mode" | "zero" | "value" | "error") {
                return fail(&format!("unknown imputation {:?}", f.impute));
            }
            match f.fill {
                None if f.impute != "error" => return fail("no fill value"),
                Some(v) if !v.is_finite() => return fail("the fill value is not finite"),
                _ => {}
            }
            match f.kind {
                FeatureKind::Category => {
                    if f.categories.len() > MAX_CATEGORIES {
                        return fail("too many categories");
                    }
                    if let Some(v) = f.fill
                        && (v.fract() != 0.0 || v < 0.0 || v > f.categories.len() as f64)
                    {
                        return fail("the fill value is not a category index");
                    }
                }
                FeatureKind::Boolean => {
                    if f.fill.is_some_and(|v| v != 0.0 && v != 1.0) {
                        return fail("the fill value is not 0 or 1");
                    }
                }
                FeatureKind::Date => {
                    if !f.origin.is_some_and(f64::is_finite) {
                        return fail("no origin");
                    }
                }
                FeatureKind::Numeric => {}
            }
        }
        Ok(())
    }

    /// The features that give `rows` training rows nothing to learn from, each with why: missing
    /// in every row (so filled with one value, a constant), or a category none of whose values
    /// was common enough to enter the vocabulary (an id or a free text, where every value is its
    /// own), which gives the network no input at all.
    pub fn uninformative(&self, rows: usize) -> Vec<(&str, String)> {
        self.features
            .iter()
            .filter_map(|f| {
                let why = if rows > 0 && f.missing >= rows as u64 {
                    format!("is missing in all {rows} training records")
                } else if f.kind == FeatureKind::Category && f.categories.is_empty() {
                    format!(
                        "has no value common enough to be a category in the {rows} training records (a category must be seen at least twice; ids and free text never are)"
                    )
                } else {
                    return None;
                };
                Some((f.name.as_str(), why))
            })
            .collect()
    }

    /// The encoded columns, with their names (`city`, `listedAt.weekdaySin`, ...).
    pub fn columns(&self) -> Vec<(String, Column)> {
        let mut out = Vec::new();
        for f in &self.features {
            match f.kind {
                FeatureKind::Numeric | FeatureKind::Boolean => out.push((f.name.clone(), Column::Value)),
                FeatureKind::Category => out.push((f.name.clone(), Column::Category(f.categories.len()))),
                FeatureKind::Date => {
                    out.extend(DATE_COLUMNS.iter().map(|suffix| (format!("{}{suffix}", f.name), Column::Value)))
                }
            }
        }
        out
    }

    /// The f64 values stored exactly beside the normaliser: per feature, its fill and origin
    /// (NaN where there is none).
    pub fn exact_values(&self) -> Vec<f64> {
        self.features.iter().flat_map(|f| [f.fill.unwrap_or(f64::NAN), f.origin.unwrap_or(f64::NAN)]).collect()
    }

    /// Restores [`Self::exact_values`].
    pub fn restore_exact_values(&mut self, values: &[f64]) -> bool {
        if values.len() != 2 * self.features.len() {
            return false;
        }
        for (f, pair) in self.features.iter_mut().zip(values.chunks_exact(2)) {
            f.fill = f.fill.map(|_| pair[0]);
            f.origin = f.origin.map(|_| pair[1]);
        }
        true
    }
}

fn unreadable(message: String) -> Error {
    Error::new(ErrorKind::DataValidation, format!("The model's input preparation cannot be read: {message}"))
}

/// Turns encoded rows into network inputs: values copied, category indices one-hot.
#[derive(Debug, Clone, PartialEq)]
pub struct Expansion {
    columns: Vec<Column>,
    width: usize,
}

impl Expansion {
    /// The expansion of `columns`; `None` when every column is a value (nothing to expand).
    pub fn new(columns: Vec<Column>) -> Option<Self> {
        if columns.iter().all(|c| *c == Column::Value) {
            return None;
        }
        let width = columns.iter().map(|c| if let Column::Category(k) = c { *k } else { 1 }).sum();
        Some(Self { columns, width })
    }

    /// Encoded values per row.
    pub fn encoded_width(&self) -> usize {
        self.columns.len()
    }

    /// Network inputs per row.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The encoded columns, in order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Writes the network inputs of one encoded row into `out` (`width()` values). An index
    /// outside the vocabulary ("other") sets no unit.
    pub fn expand_row(&self, row: &[f32], out: &mut [f32]) {
        let mut at = 0;
        for (&value, column) in row.iter().zip(&self.columns) {
            match *column {
                Column::Value => {
                    out[at] = value;
                    at += 1;
                }
                Column::Category(k) => {
                    out[at..at + k].fill(0.0);
                    if value >= 0.0 && (value as usize) < k {
                        out[at + value as usize] = 1.0;
                    }
                    at += k;
                }
            }
        }
    }

    /// The network inputs of every encoded row of `rows`.
    pub fn expand(&self, rows: &[f32]) -> Vec<f32> {
        let n = rows.len() / self.columns.len();
        let mut out = vec![0.0; n * self.width];
        for (row, dst) in rows.chunks_exact(self.columns.len()).zip(out.chunks_exact_mut(self.width)) {
            self.expand_row(row, dst);
        }
        out
    }

    /// Whether encoded column `c` holds a category index (which is not scaled).
    pub fn is_category(&self, c: usize) -> bool {
        matches!(self.columns.get(c), Some(Column::Category(_)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn preparation() -> Value {
        json!({ "version": 1, "features": [
            { "name": "rooms", "kind": "numeric", "missing": 1, "impute": "median", "fill": 3.0 },
            { "name": "city", "kind": "category", "missing": 0, "impute": "mode", "fill": 0.0,
              "categories": ["Porto", "Lisboa"], "other": 2 },
            { "name": "listedAt", "kind": "date", "missing": 0, "impute": "median", "fill": 5.0, "origin": 1.0 },
        ]})
    }

    fn names() -> Vec<String> {
        ["rooms", "city", "listedAt"].map(String::from).to_vec()
    }

    #[test]
    fn columns_and_one_hot_expansion() {
        let p = Preparation::from_json(preparation(), &names()).unwrap();
        let columns = p.columns();
        assert_eq!(columns.len(), 7);
        assert_eq!(columns[1], ("city".to_string(), Column::Category(2)));
        assert_eq!(columns[3].0, "listedAt.weekdaySin");
        let e = Expansion::new(columns.into_iter().map(|(_, c)| c).collect()).unwrap();
        assert_eq!(e.width(), 8);
        let rows = [0.5, 1.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.5, 2.0, 0.1, 0.2, 0.3, 0.4, 0.5];
        let out = e.expand(&rows);
        assert_eq!(&out[..8], &[0.5, 0.0, 1.0, 0.1, 0.2, 0.3, 0.4, 0.5]);
        // Index 2 is "other": no unit set.
        assert_eq!(&out[8..11], &[0.5, 0.0, 0.0]);
    }

    #[test]
    fn rejects_a_newer_version_and_foreign_features() {
        let mut newer = preparation();
        newer["version"] = json!(2);
        let err = Preparation::from_json(newer, &names()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::ModelConfig);
        assert!(err.message.contains("version 2"), "{err}");
        let err = Preparation::from_json(preparation(), &["rooms".to_string()]).unwrap_err();
        assert_eq!(err.kind, ErrorKind::DataValidation);
        let mut bad = preparation();
        bad["features"][1]["fill"] = json!(7.0);
        assert!(Preparation::from_json(bad, &names()).is_err());
        let mut bad = preparation();
        bad["features"][0]["kind"] = json!("text");
        assert!(Preparation::from_json(bad, &names()).is_err());
    }

    #[test]
    fn exact_values_round_trip() {
        let mut p = Preparation::from_json(preparation(), &names()).unwrap();
        let values = p.exact_values();
        assert!(values[1].is_nan());
        p.features[0].fill = Some(0.0);
        assert!(p.restore_exact_values(&values));
        assert_eq!(p.features[0].fill, Some(3.0));
    }
}

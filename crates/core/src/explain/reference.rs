//! The reference input of explanations, in the units the network reads (normalised, categories
//! one-hot), and the map from those units back to the encoded columns.
//!
//! - A numeric, boolean or date column's reference is its training mean (a date's five columns
//!   each their own mean: days since the origin, the weekday's and the month's sine and cosine).
//! - A category's reference is its expected one-hot vector: each unit at the share of training
//!   rows in that category ("other" sets no unit, so its share is what the units leave below 1).
//!   That is the average training row as the network sees it, not any one category, so a city is
//!   explained against the mix of cities the model learnt from. The network is a function of its
//!   units, so the straight path from this reference to an input's one-hot units is an ordinary
//!   integrated-gradients path and completeness holds exactly as for numbers.
//! - A model stored before the frequencies were kept (categories existed before explanations of
//!   them) takes every category as equally likely, `1/k` per unit: the frequencies are not
//!   recoverable from what it stored, and any reference keeps completeness.

use crate::data::Rows;
use crate::model::TrainedModel;
use crate::preparation::{Column, Expansion};

/// Every category unit's training frequency, category columns in order (`None` without
/// categories): the expected one-hot vector that is the categories' reference.
pub fn category_frequencies(rows: Rows<'_>, expansion: Option<&Expansion>) -> Option<Vec<f64>> {
    let expansion = expansion?;
    let n = rows.len().max(1) as f64;
    let mut out = Vec::new();
    for (c, column) in expansion.columns().iter().enumerate() {
        if let Column::Category(k) = *column {
            let mut counts = vec![0u64; k];
            for row in rows.values.chunks_exact(rows.columns) {
                let index = row[c];
                if index >= 0.0 && (index as usize) < k {
                    counts[index as usize] += 1;
                }
            }
            out.extend(counts.iter().map(|&count| count as f64 / n));
        }
    }
    Some(out)
}

/// How many category units the model's input columns expand to (the length of its frequencies).
pub fn category_units(model: &TrainedModel) -> usize {
    model.expansion().map_or(0, |e| e.columns().iter().map(|c| if let Column::Category(k) = *c { k } else { 0 }).sum())
}

/// One step's reference, as the network reads it before any polynomial expansion.
pub fn reference_units(model: &TrainedModel) -> Vec<f32> {
    let row = model.reference_row();
    let scaled = model.scaled_inputs(Rows { values: &row, columns: row.len() });
    let Some(expansion) = model.expansion() else { return scaled };
    let uniform;
    let frequencies: &[f64] = match &model.reference_frequencies {
        Some(f) => f,
        None => {
            uniform = expansion
                .columns()
                .iter()
                .flat_map(|c| match *c {
                    Column::Category(k) => vec![1.0 / k.max(1) as f64; k],
                    Column::Value => Vec::new(),
                })
                .collect::<Vec<f64>>();
            &uniform
        }
    };
    let mut units = Vec::with_capacity(expansion.width());
    let mut next = frequencies.iter();
    for (&value, column) in scaled.iter().zip(expansion.columns()) {
        match *column {
            Column::Value => units.push(value),
            Column::Category(k) => units.extend(next.by_ref().take(k).map(|&f| f as f32)),
        }
    }
    units
}

/// Raw rows as the network reads them before any polynomial expansion: normalised, one-hot.
pub fn input_units(model: &TrainedModel, rows: Rows<'_>) -> Vec<f32> {
    let scaled = model.scaled_inputs(rows);
    match model.expansion() {
        Some(e) => e.expand(&scaled),
        None => scaled,
    }
}

/// The encoded column each of one step's units belongs to (a category's units all to its column).
pub fn unit_columns(model: &TrainedModel) -> Vec<usize> {
    match model.expansion() {
        Some(e) => e
            .columns()
            .iter()
            .enumerate()
            .flat_map(|(c, column)| match *column {
                Column::Value => vec![c],
                Column::Category(k) => vec![c; k],
            })
            .collect(),
        None => (0..model.input_columns().len()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequencies_are_each_units_share_of_the_rows() {
        // A number, then a category of 3 (index 3 is "other").
        let e = Expansion::new(vec![Column::Value, Column::Category(3)]).unwrap();
        let names = ["x".to_string(), "city".to_string()];
        let values = [1.0, 0.0, 2.0, 0.0, 3.0, 2.0, 4.0, 3.0];
        let f = category_frequencies(Rows::new(&values, &names).unwrap(), Some(&e)).unwrap();
        assert_eq!(f, vec![0.5, 0.0, 0.25]);
        assert!(category_frequencies(Rows::new(&values, &names).unwrap(), None).is_none());
    }
}

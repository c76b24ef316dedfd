//! Property-based fuzzing (proptest) of the safetensors reader: mutated exports of every network
//! kind are either rejected with a named error or restore a model that predicts finite numbers
//! (or says the input is outside its range). Never a panic, an abort or an unbounded allocation.
//!
//! `S3DB_ML_FUZZ_RUNS` sets the cases per property (default 300: about a second).

use crate::artifact::{from_safetensors, to_safetensors};
use crate::data::Rows;
use crate::device::{self, BackendChoice};
use crate::error::ErrorKind;
use crate::model::TrainedModel;
use crate::spec::ModelSpec;
use crate::tabular::{Labels, Targets};
use crate::train::NoObserver;
use proptest::prelude::*;
use serde_json::json;
use std::sync::OnceLock;

fn cases() -> u32 {
    std::env::var("S3DB_ML_FUZZ_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
}

fn spec(v: serde_json::Value) -> ModelSpec {
    ModelSpec::from_json(v).unwrap()
}

/// One trained model of each network kind and head, as safetensors bytes, with a valid input.
fn artifacts() -> &'static [(Vec<u8>, Vec<f64>)] {
    static ARTIFACTS: OnceLock<Vec<(Vec<u8>, Vec<f64>)>> = OnceLock::new();
    ARTIFACTS.get_or_init(|| {
        let cpu = device::resolve(BackendChoice::Cpu).unwrap();
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let x: Vec<f64> = (0..80).flat_map(|i| [(i % 10) as f64, (i * 7 % 13) as f64]).collect();
        let y: Vec<f64> = x.chunks(2).map(|r| 2.0 * r[0] - r[1]).collect();
        let rows = Rows::new(&x, &names(&["a", "b"])).unwrap();
        let poly = crate::regression::train(
            &spec(json!({"name":"p","type":"regression","features":["a","b"],"target":"y","modelConfig":{"epochs":2,"polynomial":2,"units":4}})),
            rows,
            &y,
            &cpu,
            &mut NoObserver,
        )
        .unwrap();
        let labels: Vec<u32> = y.iter().map(|&v| u32::from(v > 5.0)).collect();
        let vocabulary = Labels { values: vec![json!("no"), json!("yes")], keys: names(&["no", "yes"]) };
        let classes = crate::classification::train(
            &spec(json!({"name":"c","type":"classification","features":["a","b"],"target":"y","modelConfig":{"epochs":2,"units":4}})),
            rows,
            &labels,
            vocabulary,
            &cpu,
            &mut NoObserver,
        )
        .unwrap();
        let binary: Vec<f64> = labels.iter().map(|&l| l as f64).collect();
        let probability = crate::neural::train(
            &spec(json!({"name":"b","type":"neural-network","features":["a","b"],"target":"y","modelConfig":{"epochs":2,"layers":[{"units":3,"batchNormalization":true}],"outputActivation":"sigmoid","loss":"binaryCrossentropy"}})),
            rows,
            Targets::Values(&binary),
            &cpu,
            &mut NoObserver,
        )
        .unwrap();
        let steps: Vec<f64> = (0..30).flat_map(|t| [(t as f64 / 4.0).sin(), t as f64 + (t as f64).sin()]).collect();
        let series = crate::timeseries::train(
            &spec(json!({"name":"t","type":"timeseries","features":["temp"],"target":"y","modelConfig":{"epochs":2,"lookback":3,"lstmUnits":3,"denseUnits":2}})),
            Rows::new(&steps, &names(&["temp", "y"])).unwrap(),
            &cpu,
            &mut NoObserver,
        )
        .unwrap();
        let tabular = vec![3.0, 4.0];
        [(poly, tabular.clone()), (classes, tabular.clone()), (probability, tabular), (series, steps[..6].to_vec())]
            .into_iter()
            .map(|(model, input)| (to_safetensors(&model).unwrap(), input))
            .collect()
    })
}

/// Replaces the `n`-th number in the header text (sizes, offsets, manifest fields) with `with`.
fn replace_header_number(bytes: &[u8], n: usize, with: &str) -> Vec<u8> {
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = String::from_utf8_lossy(&bytes[8..8 + header_len]).into_owned();
    let mut spans = Vec::new();
    let mut start = None;
    for (i, c) in header.char_indices() {
        match (c.is_ascii_digit(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    let Some(&(s, e)) = spans.get(n % spans.len().max(1)) else { return bytes.to_vec() };
    let edited = format!("{}{with}{}", &header[..s], &header[e..]);
    [(edited.len() as u64).to_le_bytes().to_vec(), edited.into_bytes(), bytes[8 + header_len..].to_vec()].concat()
}

/// The invariant: rejected with a named error, or a model whose predictions are finite.
fn check(bytes: &[u8], input: &[f64]) -> Result<(), TestCaseError> {
    match from_safetensors(bytes) {
        Err(e) => {
            prop_assert!(matches!(e.kind, ErrorKind::DataValidation | ErrorKind::ModelConfig), "{e}");
        }
        Ok(model) => check_serves(&model, input)?,
    }
    Ok(())
}

fn check_serves(model: &TrainedModel, input: &[f64]) -> Result<(), TestCaseError> {
    match model.predict_one(input) {
        Ok(p) => {
            let interval = p.interval.map_or(vec![], |(lo, hi)| vec![lo, hi]);
            let finite = [p.value, p.confidence].iter().chain(&interval).chain(&p.probabilities).all(|v| v.is_finite());
            prop_assert!(finite, "a non-finite prediction: {p:?}");
        }
        Err(e) => prop_assert!(matches!(e.kind, ErrorKind::Prediction | ErrorKind::DataValidation), "{e}"),
    }
    Ok(())
}

const SPECIAL: &[&str] = &[
    "0",
    "1",
    "2",
    "4294967296",
    "4611686018427387904",
    "9223372036854775807",
    "18446744073709551615",
    "99999999999999999999",
    "1e308",
    "-1",
    "0.5",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn overwritten_bytes(which in 0..4usize, edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let (bytes, input) = &artifacts()[which];
        let mut bad = bytes.clone();
        let len = bad.len();
        for (at, value) in edits {
            bad[at.index(len)] = value;
        }
        check(&bad, input)?;
    }

    #[test]
    fn edited_header_numbers(which in 0..4usize, edits in prop::collection::vec((any::<usize>(), prop::sample::select(SPECIAL)), 1..4)) {
        let (bytes, input) = &artifacts()[which];
        let mut bad = bytes.clone();
        for (n, with) in edits {
            bad = replace_header_number(&bad, n, with);
        }
        check(&bad, input)?;
    }

    #[test]
    fn truncated_or_extended(which in 0..4usize, cut in any::<prop::sample::Index>(), extra in prop::collection::vec(any::<u8>(), 0..32)) {
        let (bytes, input) = &artifacts()[which];
        check(&bytes[..cut.index(bytes.len() + 1)], input)?;
        check(&[bytes.as_slice(), &extra].concat(), input)?;
    }

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check(&bytes, &[1.0, 2.0])?;
    }
}

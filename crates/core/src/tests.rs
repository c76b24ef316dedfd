//! End-to-end checks of the core on generated data with known answers.

use crate::data::Rows;
use crate::device::{self, BackendChoice, ComputeDevice};
use crate::error::ErrorKind;
use crate::net::burn_net::DenseNet;
use crate::spec::ModelSpec;
use crate::train::NoObserver;
use crate::{classification, regression};
use burn::prelude::*;
use serde_json::json;

fn cpu() -> ComputeDevice {
    device::resolve(BackendChoice::Cpu).unwrap()
}

fn spec(v: serde_json::Value) -> ModelSpec {
    ModelSpec::from_json(v).unwrap()
}

/// y = 2a + 3b + 5 plus a deterministic wiggle, a and b in [0, 10).
fn linear_data(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut x = Vec::with_capacity(2 * n);
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let a = (i * 37 % 100) as f64 / 10.0;
        let b = (i * 61 % 100) as f64 / 10.0;
        x.extend([a, b]);
        y.push(2.0 * a + 3.0 * b + 5.0 + ((i as f64) * 0.7).sin() * 0.1);
    }
    (x, y)
}

fn names(n: &[&str]) -> Vec<String> {
    n.iter().map(|s| s.to_string()).collect()
}

#[test]
fn linear_regression_recovers_the_line() {
    let (x, y) = linear_data(300);
    let s = spec(
        json!({"name":"lin","type":"regression","features":["a","b"],"target":"y",
        "modelConfig":{"epochs":60,"learningRate":0.05}}),
    );
    let rows = Rows::new(&x, &names(&["a", "b"])).unwrap();
    let model = regression::train(&s, rows, &y, &cpu(), &mut NoObserver).unwrap();
    let m = model.report.regression.as_ref().unwrap();
    assert!(m.r2 > 0.98, "held-out R² {}", m.r2);
    let p = model.predict_one(&[5.0, 3.0]).unwrap();
    assert!((p.value - 24.0).abs() < 1.0, "prediction {}", p.value);
    let (lo, hi) = p.interval.unwrap();
    assert!(lo < p.value && p.value < hi);
    assert!(
        p.confidence > 0.5 && p.confidence <= 1.0,
        "confidence {}",
        p.confidence
    );
    // Far outside the training range the model is extrapolating: confidence drops.
    let far = model.predict_one(&[50.0, 3.0]).unwrap();
    assert!(
        far.confidence < p.confidence * 0.01,
        "extrapolation confidence {}",
        far.confidence
    );
}

#[test]
fn training_is_deterministic() {
    let (x, y) = linear_data(120);
    let s = spec(
        json!({"name":"d","type":"regression","features":["a","b"],"target":"y",
        "modelConfig":{"epochs":5,"polynomial":2,"units":8}}),
    );
    let rows = Rows::new(&x, &names(&["a", "b"])).unwrap();
    let a = regression::train(&s, rows, &y, &cpu(), &mut NoObserver).unwrap();
    let b = regression::train(&s, rows, &y, &cpu(), &mut NoObserver).unwrap();
    assert_eq!(a.weights, b.weights);
    assert_eq!(a.calibration, b.calibration);
}

#[test]
fn polynomial_regression_fits_a_parabola() {
    let n = 400;
    let x: Vec<f64> = (0..n)
        .map(|i| (i * 53 % n) as f64 / n as f64 * 4.0 - 2.0)
        .collect();
    let y: Vec<f64> = x.iter().map(|v| v * v * 3.0 - v + 1.0).collect();
    let s = spec(
        json!({"name":"p","type":"regression","features":["x"],"target":"y",
        "modelConfig":{"epochs":80,"polynomial":2,"units":16,"learningRate":0.02}}),
    );
    let rows = Rows::new(&x, &names(&["x"])).unwrap();
    let model = regression::train(&s, rows, &y, &cpu(), &mut NoObserver).unwrap();
    let r2 = model.report.regression.as_ref().unwrap().r2;
    assert!(r2 > 0.97, "held-out R² {r2}");
}

#[test]
fn classification_separates_three_classes() {
    let n = 600;
    let mut x = Vec::new();
    let mut labels = Vec::new();
    for i in 0..n {
        let a = (i * 37 % 100) as f64 / 10.0;
        let b = (i * 61 % 100) as f64 / 10.0;
        x.extend([a, b]);
        labels.push(if a + b < 7.0 {
            0
        } else if a > b {
            1
        } else {
            2
        });
    }
    let s = spec(
        json!({"name":"c","type":"classification","features":["a","b"],"target":"label",
        "modelConfig":{"epochs":60,"learningRate":0.01,"units":32}}),
    );
    let rows = Rows::new(&x, &names(&["a", "b"])).unwrap();
    let model = classification::train(
        &s,
        rows,
        &labels,
        classification::Labels::numbered(3),
        &cpu(),
        &mut NoObserver,
    )
    .unwrap();
    let acc = model.report.accuracy.unwrap();
    assert!(acc > 0.9, "held-out accuracy {acc}");
    let p = model.predict_one(&[9.0, 1.0]).unwrap();
    assert_eq!(p.class, Some(1));
    assert!((p.probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-5);
    assert_eq!(p.confidence, p.probabilities[1]);
}

#[test]
fn one_label_is_insufficient_data() {
    let x = vec![1.0, 2.0, 3.0, 4.0];
    let s = spec(json!({"name":"c","type":"classification","features":["a"],"target":"l"}));
    let rows = Rows::new(&x, &names(&["a"])).unwrap();
    let err = classification::train(
        &s,
        rows,
        &[0, 0, 0, 0],
        classification::Labels::numbered(1),
        &cpu(),
        &mut NoObserver,
    )
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InsufficientData);
}

#[test]
fn engine_matches_burn_forward() {
    let net = crate::net::NetSpec::mlp(
        3,
        &[
            (16, crate::Activation::Tanh, 0.0),
            (8, crate::Activation::Relu, 0.0),
        ],
        2,
    );
    let dev = Device::flex();
    let model = DenseNet::init(&net, 9, &dev);
    let inputs: Vec<f32> = (0..30).map(|i| (i as f32 * 0.37).sin()).collect();
    let burn_out = model
        .forward(Tensor::<2>::from_data(
            TensorData::new(inputs.clone(), [10, 3]),
            &dev,
        ))
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let engine_out = model.to_weights().unwrap().forward(&inputs);
    for (a, b) in burn_out.iter().zip(&engine_out) {
        assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    }
}

/// The wgpu path. CI installs Mesa's software Vulkan driver and sets S3DB_ML_REQUIRE_WGPU=1, so
/// there it must train; elsewhere, without any Vulkan driver, it must fail cleanly.
#[test]
fn wgpu_backend_trains_or_fails_cleanly() {
    let (x, y) = linear_data(64);
    let s = spec(
        json!({"name":"g","type":"regression","features":["a","b"],"target":"y",
        "modelConfig":{"epochs":3,"batchSize":16}}),
    );
    let rows = Rows::new(&x, &names(&["a", "b"])).unwrap();
    match device::resolve(BackendChoice::Wgpu) {
        Ok(gpu) => {
            let on_gpu = regression::train(&s, rows, &y, &gpu, &mut NoObserver).unwrap();
            let on_cpu = regression::train(&s, rows, &y, &cpu(), &mut NoObserver).unwrap();
            assert_eq!(on_gpu.report.backend, "wgpu");
            // Same seed, same data: the two backends agree to float tolerance.
            for (g, c) in on_gpu.weights.layers[0]
                .weight
                .iter()
                .zip(&on_cpu.weights.layers[0].weight)
            {
                assert!((g - c).abs() < 1e-3, "wgpu {g} vs cpu {c}");
            }
        }
        Err(e) => {
            assert_eq!(e.kind, ErrorKind::BackendUnavailable);
            assert!(
                std::env::var("S3DB_ML_REQUIRE_WGPU").is_err(),
                "S3DB_ML_REQUIRE_WGPU is set but wgpu is unavailable: {e}"
            );
        }
    }
}

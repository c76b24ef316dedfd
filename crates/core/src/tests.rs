//! End-to-end checks of the core on generated data with known answers.

use crate::data::Rows;
use crate::device::{self, BackendChoice, ComputeDevice};
use crate::error::ErrorKind;
use crate::model::NetWeights;
use crate::net::burn_net::DenseNet;
use crate::spec::ModelSpec;
use crate::tabular::Targets;
use crate::train::NoObserver;
use crate::train::Trainable;
use crate::{classification, neural, regression};
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
    let s = spec(json!({"name":"lin","type":"regression","features":["a","b"],"target":"y",
        "modelConfig":{"epochs":60,"learningRate":0.05}}));
    let rows = Rows::new(&x, &names(&["a", "b"])).unwrap();
    let model = regression::train(&s, rows, &y, &cpu(), &mut NoObserver).unwrap();
    let m = model.report.regression.as_ref().unwrap();
    assert!(m.r2 > 0.98, "held-out R² {}", m.r2);
    let p = model.predict_one(&[5.0, 3.0]).unwrap();
    assert!((p.value - 24.0).abs() < 1.0, "prediction {}", p.value);
    let (lo, hi) = p.interval.unwrap();
    assert!(lo < p.value && p.value < hi);
    assert!(p.confidence > 0.5 && p.confidence <= 1.0, "confidence {}", p.confidence);
    // Far outside the training range the model is extrapolating: confidence drops.
    let far = model.predict_one(&[50.0, 3.0]).unwrap();
    assert!(far.confidence < p.confidence * 0.01, "extrapolation confidence {}", far.confidence);

    // The report's held-out points are the rows the metrics and the interval were measured on.
    let d = model.report.diagnostics.as_ref().unwrap();
    let points = d.points.as_ref().unwrap();
    assert_eq!((d.measured, points.actual.len()), (model.report.validation_samples, d.measured));
    let actual: Vec<f64> = points.actual.iter().map(|&v| v as f64).collect();
    let predicted: Vec<f64> = points.predicted.iter().map(|&v| v as f64).collect();
    let again = crate::metrics::regression_metrics(&actual, &predicted);
    assert!((again.rmse - m.rmse).abs() < 1e-4 * m.rmse, "RMSE {} from points vs {}", again.rmse, m.rmse);
    let half = model.calibration.as_ref().unwrap().half_width;
    let inside = actual.iter().zip(&predicted).filter(|(a, p)| (*a - *p).abs() <= half).count() as f64;
    // f32 points may put one row on the other side of the interval's edge.
    let empirical = d.interval.as_ref().unwrap().empirical;
    assert!((inside / actual.len() as f64 - empirical).abs() <= 1.0 / actual.len() as f64, "coverage {empirical}");
}

#[test]
fn training_is_deterministic() {
    let (x, y) = linear_data(120);
    let s = spec(json!({"name":"d","type":"regression","features":["a","b"],"target":"y",
        "modelConfig":{"epochs":5,"polynomial":2,"units":8}}));
    let rows = Rows::new(&x, &names(&["a", "b"])).unwrap();
    let a = regression::train(&s, rows, &y, &cpu(), &mut NoObserver).unwrap();
    let b = regression::train(&s, rows, &y, &cpu(), &mut NoObserver).unwrap();
    assert_eq!(a.network, b.network);
    assert_eq!(a.calibration, b.calibration);
}

#[test]
fn polynomial_regression_fits_a_parabola() {
    let n = 400;
    let x: Vec<f64> = (0..n).map(|i| (i * 53 % n) as f64 / n as f64 * 4.0 - 2.0).collect();
    let y: Vec<f64> = x.iter().map(|v| v * v * 3.0 - v + 1.0).collect();
    let s = spec(json!({"name":"p","type":"regression","features":["x"],"target":"y",
        "modelConfig":{"epochs":80,"polynomial":2,"units":16,"learningRate":0.02}}));
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
    let s = spec(json!({"name":"c","type":"classification","features":["a","b"],"target":"label",
        "modelConfig":{"epochs":60,"learningRate":0.01,"units":32}}));
    let rows = Rows::new(&x, &names(&["a", "b"])).unwrap();
    let model =
        classification::train(&s, rows, &labels, classification::Labels::numbered(3), &cpu(), &mut NoObserver).unwrap();
    let acc = model.report.accuracy.unwrap();
    assert!(acc > 0.9, "held-out accuracy {acc}");
    let p = model.predict_one(&[9.0, 1.0]).unwrap();
    assert_eq!(p.class, Some(1));
    assert!((p.probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-5);
    assert_eq!(p.confidence, p.probabilities[1]);

    // Reliability bins hold every held-out row, right as often as the held-out accuracy says,
    // before and after temperature scaling (which changes confidence, never the winning label).
    let r = model.report.diagnostics.as_ref().unwrap().reliability.as_ref().unwrap();
    let correct = model.report.classification.as_ref().unwrap().correct as f64;
    for bins in [Some(&r.before), r.after.as_ref()].into_iter().flatten() {
        assert_eq!(bins.iter().map(|b| b.count).sum::<u64>() as usize, model.report.validation_samples);
        let right: f64 = bins.iter().map(|b| b.accuracy * b.count as f64).sum();
        assert!((right - correct).abs() < 1e-6, "{right} right in the bins, {correct} held out");
    }
    assert_eq!(r.temperature, model.temperature);
}

#[test]
fn one_label_is_insufficient_data() {
    let x = vec![1.0, 2.0, 3.0, 4.0];
    let s = spec(json!({"name":"c","type":"classification","features":["a"],"target":"l"}));
    let rows = Rows::new(&x, &names(&["a"])).unwrap();
    let err =
        classification::train(&s, rows, &[0, 0, 0, 0], classification::Labels::numbered(1), &cpu(), &mut NoObserver)
            .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InsufficientData);
}

#[test]
fn engine_matches_burn_forward() {
    let net = crate::net::NetSpec::mlp(3, &[(16, crate::Activation::Tanh, 0.0), (8, crate::Activation::Relu, 0.0)], 2);
    let dev = Device::flex();
    let model = DenseNet::init(&net, 9, false, &dev);
    let inputs: Vec<f32> = (0..30).map(|i| (i as f32 * 0.37).sin()).collect();
    let burn_out = model
        .forward(Tensor::<2>::from_data(TensorData::new(inputs.clone(), [10, 3]), &dev))
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
    let s = spec(json!({"name":"g","type":"regression","features":["a","b"],"target":"y",
        "modelConfig":{"epochs":3,"batchSize":16}}));
    let rows = Rows::new(&x, &names(&["a", "b"])).unwrap();
    match device::resolve(BackendChoice::Wgpu) {
        Ok(gpu) => {
            let on_gpu = regression::train(&s, rows, &y, &gpu, &mut NoObserver).unwrap();
            let on_cpu = regression::train(&s, rows, &y, &cpu(), &mut NoObserver).unwrap();
            assert_eq!(on_gpu.report.backend, "wgpu");
            // Same seed, same data: the two backends agree to float tolerance.
            let (NetWeights::Dense(g), NetWeights::Dense(c)) = (&on_gpu.network, &on_cpu.network) else {
                panic!("regression models are dense")
            };
            for (g, c) in g.layers[0].weight.iter().zip(&c.layers[0].weight) {
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

fn nn_spec(model_config: serde_json::Value) -> ModelSpec {
    spec(json!({"name":"nn","type":"neural-network","features":["a","b"],"target":"y","modelConfig": model_config}))
}

#[test]
fn network_learns_a_nonlinear_function() {
    // y = sin(a) · b + a², on a grid of a, b in [-2, 2].
    let n = 800;
    let mut x = Vec::with_capacity(2 * n);
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let a = ((i * 37) % 101) as f64 / 25.0 - 2.0;
        let b = ((i * 53) % 97) as f64 / 24.0 - 2.0;
        x.extend([a, b]);
        y.push(a.sin() * b + a * a);
    }
    let s = nn_spec(
        json!({"epochs":150,"learningRate":0.01,"layers":[{"units":64,"activation":"tanh"},{"units":32,"activation":"relu"}]}),
    );
    let rows = Rows::new(&x, &names(&["a", "b"])).unwrap();
    let model = crate::neural::train(&s, rows, crate::tabular::Targets::Values(&y), &cpu(), &mut NoObserver).unwrap();
    let r2 = model.report.regression.as_ref().unwrap().r2;
    assert!(r2 > 0.95, "held-out R² {r2}");
}

#[test]
fn parameter_counts_match_hand_counts() {
    let count = |layers: serde_json::Value, inputs: usize| {
        let s = spec(
            json!({"name":"p","type":"neural-network","features":(0..inputs).map(|i| format!("f{i}")).collect::<Vec<_>>(),"target":"y","modelConfig":{"layers":layers}}),
        );
        crate::neural::network(&s.neural_network_config().unwrap(), inputs).parameter_count()
    };
    // 3 → 128 (+BN) → 64 → 32 → 1: (3·128+128) + 2·128 + (128·64+64) + (64·32+32) + (32+1)
    assert_eq!(
        count(json!([{"units":128,"batchNormalization":true},{"units":64},{"units":32}]), 3),
        512 + 256 + 8256 + 2080 + 33
    );
    // 2 → 4 → 1: 12 + 5
    assert_eq!(count(json!([{"units":4}]), 2), 17);
    // 5 → 10 (+BN) → 1: 60 + 20 + 11
    assert_eq!(count(json!([{"units":10,"batchNormalization":true}]), 5), 91);
    // The Burn module has exactly as many trainable values.
    let s = spec(
        json!({"name":"p","type":"neural-network","features":["a","b","c"],"target":"y","modelConfig":{"layers":[{"units":16,"batchNormalization":true},{"units":8}]}}),
    );
    let net = crate::neural::network(&s.neural_network_config().unwrap(), 3);
    let module = DenseNet::init(&net, 1, false, &Device::flex());
    // Burn counts BatchNorm's running statistics too (2 per unit): subtract them.
    assert_eq!(module.num_params() - 2 * 16, net.parameter_count());
}

#[test]
fn batch_norm_network_matches_the_engine() {
    let (x, y) = linear_data(200);
    let s = nn_spec(
        json!({"epochs":5,"layers":[{"units":8,"batchNormalization":true,"activation":"elu"},{"units":4,"activation":"selu"}]}),
    );
    let rows = Rows::new(&x, &names(&["a", "b"])).unwrap();
    let model = crate::neural::train(&s, rows, crate::tabular::Targets::Values(&y), &cpu(), &mut NoObserver).unwrap();
    let NetWeights::Dense(weights) = &model.network else { panic!("dense") };
    assert!(weights.layers[0].batch_norm.is_some());
    // Predictions through the engine agree with an independent Burn forward of the same weights.
    let net = crate::neural::network(&s.neural_network_config().unwrap(), 2);
    assert!(weights.matches(&net));
    let r2 = model.report.regression.as_ref().unwrap().r2;
    assert!(r2.is_finite());
}

#[test]
fn early_stopping_stops_when_the_loss_stalls() {
    let (x, y) = linear_data(200);
    let s = spec(json!({"name":"e","type":"regression","features":["a","b"],"target":"y",
        "modelConfig":{"epochs":500,"learningRate":0.05,"earlyStopping":{"patience":5,"minDelta":0.001}}}));
    let rows = Rows::new(&x, &names(&["a", "b"])).unwrap();
    let model = regression::train(&s, rows, &y, &cpu(), &mut NoObserver).unwrap();
    let r = &model.report;
    assert!(r.stopped_early, "ran {} epochs", r.epochs);
    assert!(r.epochs < 500);
    assert_eq!(r.configured_epochs, 500);
    // It stopped `patience` epochs after the best one, whose weights it kept.
    assert_eq!(r.epochs - r.best_epoch, 5);
    let best = r.history[r.best_epoch - 1].val_loss.unwrap();
    for later in &r.history[r.best_epoch..] {
        assert!(later.val_loss.unwrap() > best - 0.001);
    }
}

/// A daily series: trend plus weekly seasonality, with a temperature feature.
fn seasonal_series(n: usize) -> Vec<f64> {
    let mut steps = Vec::with_capacity(n * 2);
    for t in 0..n {
        let t = t as f64;
        let temperature = 20.0 + 5.0 * (t / 30.0).sin();
        let sales = 200.0 + 0.8 * t + 30.0 * (2.0 * std::f64::consts::PI * t / 7.0).sin();
        steps.extend([temperature, sales]);
    }
    steps
}

#[test]
fn lstm_forecasts_a_seasonal_trend() {
    let steps = seasonal_series(365);
    let s = spec(json!({"name":"ts","type":"timeseries","features":["temperature"],"target":"sales",
        "modelConfig":{"lookback":14,"lstmUnits":32,"denseUnits":16,"epochs":60,"batchSize":16,"learningRate":0.01,"dropout":0,"recurrentDropout":0}}));
    let rows = Rows::new(&steps, &names(&["temperature", "sales"])).unwrap();
    let model = crate::timeseries::train(&s, rows, &cpu(), &mut NoObserver).unwrap();
    let mape = model.report.regression.as_ref().unwrap().mape.unwrap();
    assert!(mape < 5.0, "held-out MAPE {mape}%");
    // The report keeps the held-out windows in time order: the most recent records.
    let points = model.report.diagnostics.as_ref().unwrap().points.as_ref().unwrap();
    let held_out = model.report.validation_samples;
    assert_eq!(points.index, (0..held_out as u32).collect::<Vec<_>>());
    let (last, truth) = (*points.actual.last().unwrap() as f64, steps[steps.len() - 1]);
    assert!((last - truth).abs() < 1e-3 * truth, "last held-out actual {last} vs the series' last {truth}");
    // Forecasting feeds predictions back: the next week continues the pattern.
    let forecast = crate::timeseries::forecast(&model, rows, 7).unwrap();
    assert_eq!(forecast.len(), 7);
    let future = seasonal_series(372);
    for (k, f) in forecast.iter().enumerate() {
        let truth = future[(365 + k) * 2 + 1];
        assert!((f - truth).abs() / truth < 0.1, "day {k}: {f} vs {truth}");
    }
}

#[test]
fn lstm_engine_matches_burn() {
    let lstm = crate::net::lstm::LstmSpec {
        step_inputs: 3,
        lookback: 5,
        hidden: 8,
        dense: 4,
        dropout: 0.0,
        recurrent_dropout: 0.0,
    };
    let dev = Device::flex();
    let net = crate::net::lstm::LstmNet::init(lstm, 3, &dev);
    let inputs: Vec<f32> = (0..2 * 15).map(|i| (i as f32 * 0.31).cos()).collect();
    let burn_out = net
        .forward_train(Tensor::<2>::from_data(TensorData::new(inputs.clone(), [2, 15]), &dev))
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let engine_out = net.to_weights().unwrap().forward(&inputs);
    for (a, b) in burn_out.iter().zip(&engine_out) {
        assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    }
}

#[test]
fn binary_and_categorical_networks() {
    let n = 300;
    let mut x = Vec::new();
    let mut y = Vec::new();
    let mut labels = Vec::new();
    for i in 0..n {
        let a = (i * 37 % 100) as f64 / 10.0;
        let b = (i * 61 % 100) as f64 / 10.0;
        x.extend([a, b]);
        y.push(if a > b { 1.0 } else { 0.0 });
        labels.push(if a + b < 7.0 {
            0
        } else if a > b {
            1
        } else {
            2
        });
    }
    let rows = Rows::new(&x, &names(&["a", "b"])).unwrap();
    let binary =
        nn_spec(json!({"epochs":60,"outputActivation":"sigmoid","loss":"binaryCrossentropy","layers":[{"units":16}]}));
    let model =
        crate::neural::train(&binary, rows, crate::tabular::Targets::Values(&y), &cpu(), &mut NoObserver).unwrap();
    assert!(model.report.accuracy.unwrap() > 0.9, "{:?}", model.report.accuracy);
    let p = model.predict_one(&[9.0, 1.0]).unwrap();
    assert!(p.value > 0.5 && p.confidence == p.value);
    // Evaluated as the two-class classifier its held-out report measures: class 1 when p >= 0.5.
    let classes: Vec<u32> = y.iter().map(|&v| v as u32).collect();
    let guessed: Vec<u32> = model.predict_batch(rows).unwrap().values.iter().map(|&p| u32::from(p >= 0.5)).collect();
    let expected = crate::metrics::classification_metrics(&classes, &guessed, 2);
    assert_eq!(model.evaluate_labels(rows, &classes).unwrap(), expected);
    assert!(model.evaluate_labels(rows, &[2; 300]).is_err(), "a class other than 0 and 1");

    let categorical = nn_spec(
        json!({"epochs":60,"outputActivation":"softmax","outputUnits":3,"loss":"categoricalCrossentropy","layers":[{"units":32}]}),
    );
    let model = crate::neural::train(
        &categorical,
        rows,
        crate::tabular::Targets::Labels(&labels, classification::Labels::numbered(3)),
        &cpu(),
        &mut NoObserver,
    )
    .unwrap();
    assert!(model.report.accuracy.unwrap() > 0.85, "{:?}", model.report.accuracy);
}

#[test]
fn safetensors_round_trip_is_exact_for_every_network() {
    let (x, y) = linear_data(120);
    let rows = Rows::new(&x, &names(&["a", "b"])).unwrap();
    let dense = crate::neural::train(
        &nn_spec(json!({"epochs":3,"layers":[{"units":8,"batchNormalization":true},{"units":4}]})),
        rows,
        crate::tabular::Targets::Values(&y),
        &cpu(),
        &mut NoObserver,
    )
    .unwrap();
    let steps = seasonal_series(60);
    let ts = crate::timeseries::train(
        &spec(json!({"name":"ts","type":"timeseries","features":["temperature"],"target":"sales","modelConfig":{"lookback":5,"lstmUnits":4,"denseUnits":3,"epochs":2}})),
        Rows::new(&steps, &names(&["temperature", "sales"])).unwrap(),
        &cpu(),
        &mut NoObserver,
    )
    .unwrap();
    for (model, input) in [(dense, vec![3.0, 4.0]), (ts, steps[..10].to_vec())] {
        let bytes = crate::artifact::to_safetensors(&model).unwrap();
        let back = crate::artifact::from_safetensors(&bytes).unwrap();
        // Everything prediction depends on comes back bit for bit.
        assert_eq!(back.network, model.network);
        assert_eq!(back.normalizer, model.normalizer);
        assert_eq!(back.calibration, model.calibration);
        assert_eq!(back.predict_one(&input).unwrap(), model.predict_one(&input).unwrap());
    }
}

#[test]
fn damaged_safetensors_are_rejected_without_panicking() {
    let (x, y) = linear_data(60);
    let rows = Rows::new(&x, &names(&["a", "b"])).unwrap();
    let s = spec(json!({"name":"r","type":"regression","features":["a","b"],"target":"y","modelConfig":{"epochs":2}}));
    let bytes =
        crate::artifact::to_safetensors(&regression::train(&s, rows, &y, &cpu(), &mut NoObserver).unwrap()).unwrap();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("truncated weights", bytes[..bytes.len() - 4].to_vec()),
        ("only the length", bytes[..8].to_vec()),
        ("truncated header", bytes[..8 + header_len / 2].to_vec()),
        ("absurd header length", [u64::MAX.to_le_bytes().to_vec(), bytes[8..].to_vec()].concat()),
    ];
    let header = String::from_utf8(bytes[8..8 + header_len].to_vec()).unwrap();
    let rewrite = |from: &str, to: &str| {
        let h = header.replacen(from, to, 1);
        [(h.len() as u64).to_le_bytes().to_vec(), h.into_bytes(), bytes[8 + header_len..].to_vec()].concat()
    };
    cases.push(("wrong shape", rewrite("\"shape\":[2,1]", "\"shape\":[3,1]")));
    cases.push(("wrong dtype", rewrite("\"F32\"", "\"F16\"")));
    cases.push(("other format version", rewrite("\"formatVersion\":\"1\"", "\"formatVersion\":\"99\"")));
    cases.push((
        "wrong feature count",
        rewrite("\\\"features\\\":[\\\"a\\\",\\\"b\\\"]", "\\\"features\\\":[\\\"a\\\"]"),
    ));
    for (what, bad) in cases {
        let err = crate::artifact::from_safetensors(&bad).expect_err(what);
        assert!(matches!(err.kind, ErrorKind::DataValidation | ErrorKind::ModelConfig), "{what}: {err}");
    }
}

#[test]
fn classification_confidence_is_calibrated_on_noisy_labels() {
    // Two overlapping classes: about one label in five contradicts the features.
    let n = 200;
    let mut rng = crate::rng::SplitMix64::new(17);
    let mut x = Vec::with_capacity(2 * n);
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let a = rng.uniform(0.0, 10.0);
        let b = rng.uniform(0.0, 10.0);
        x.extend([a, b]);
        let clean = u32::from(a > b);
        labels.push(if rng.next_f64() < 0.2 { 1 - clean } else { clean });
    }
    // Big and trained long on few rows: it memorises the noise and becomes overconfident.
    let s = spec(json!({"name":"noisy","type":"classification","features":["a","b"],"target":"l",
        "modelConfig":{"epochs":600,"learningRate":0.01,"validationSplit":0.5,"units":256,"dropout":0}}));
    let rows = Rows::new(&x, &names(&["a", "b"])).unwrap();
    let model =
        classification::train(&s, rows, &labels, classification::Labels::numbered(2), &cpu(), &mut NoObserver).unwrap();
    // Mean confidence over fresh rows from the same distribution should match the accuracy on
    // them (measured on 2000 rows: the 100 held-out rows alone would be a noisy yardstick).
    let (mut probe, mut truth) = (Vec::new(), Vec::new());
    for _ in 0..2000 {
        let (a, b) = (rng.uniform(0.0, 10.0), rng.uniform(0.0, 10.0));
        probe.extend([a, b]);
        let clean = u32::from(a > b);
        truth.push(if rng.next_f64() < 0.2 { 1 - clean } else { clean });
    }
    let probe = Rows::new(&probe, &names(&["a", "b"])).unwrap();
    let predicted = model.predict_batch(probe).unwrap().classes;
    let accuracy = predicted.iter().zip(&truth).filter(|(p, t)| p == t).count() as f64 / truth.len() as f64;
    let mean_confidence = |m: &crate::TrainedModel| {
        let batch = m.predict_batch(probe).unwrap();
        batch.confidence.iter().sum::<f64>() / batch.confidence.len() as f64
    };
    let mut raw = model.clone();
    raw.temperature = 1.0;
    let (calibrated, uncalibrated) = (mean_confidence(&model), mean_confidence(&raw));
    assert!(uncalibrated - accuracy > 0.08, "the raw softmax should be overconfident: {uncalibrated} vs {accuracy}");
    assert!((calibrated - accuracy).abs() < 0.06, "calibrated confidence {calibrated} vs accuracy {accuracy}");
}

#[test]
fn classification_serves_the_regression_of_every_row_and_reports_the_one_of_the_training_rows() {
    // Noisy labels, so the logistic regressions of the training rows and of every row differ.
    let n = 80;
    let mut rng = crate::rng::SplitMix64::new(23);
    let (mut x, mut labels) = (Vec::with_capacity(2 * n), Vec::with_capacity(n));
    for _ in 0..n {
        let (a, b) = (rng.uniform(0.0, 10.0), rng.uniform(0.0, 10.0));
        x.extend([a, b]);
        labels.push(u32::from(a + rng.uniform(-2.0, 2.0) > b));
    }
    let s = spec(json!({"name":"c","type":"classification","features":["a","b"],"target":"l",
        "modelConfig":{"epochs":2,"units":4}}));
    let rows = Rows::new(&x, &names(&["a", "b"])).unwrap();
    let model =
        classification::train(&s, rows, &labels, classification::Labels::numbered(2), &cpu(), &mut NoObserver).unwrap();
    assert_eq!(model.report.engine, "logistic-regression");
    assert_eq!(model.report.warnings, Vec::<String>::new(), "no step warning for a network that is not served");

    // The rows as training sees them: content order, normalised, then the seeded split.
    let order = crate::data::content_order(rows, |i| labels[i] as f64);
    let scaled = model.normalizer.scale_rows(rows, &order);
    let one_hot: Vec<f32> =
        order.iter().flat_map(|&i| [f32::from(labels[i] == 0), f32::from(labels[i] == 1)]).collect();
    let split = crate::data::Split::new(n, 0.2, 42);
    let (train_x, train_y) =
        (crate::data::gather(&scaled, 2, &split.train), crate::data::gather(&one_hot, 2, &split.train));
    let (val_x, val_y) =
        (crate::data::gather(&scaled, 2, &split.validation), crate::data::gather(&one_hot, 2, &split.validation));
    let measured = crate::logistic::fit(&train_x, &train_y, 2, 2).unwrap().to_dense();
    let (all_x, all_y) = ([&train_x[..], &val_x[..]].concat(), [&train_y[..], &val_y[..]].concat());
    let every_row = crate::logistic::fit(&all_x, &all_y, 2, 2).unwrap().to_dense();
    assert_ne!(measured, every_row);

    // Served: the regression of every row.
    let NetWeights::Dense(served) = &model.network else { panic!("a dense model") };
    assert_eq!(served, &every_row);
    // Reported: the regression of the training rows alone, on the held-out rows it never saw.
    let val_classes: Vec<u32> = val_y.chunks_exact(2).map(|y| u32::from(y[1] == 1.0)).collect();
    let probabilities = measured.forward(&val_x);
    let right = probabilities.chunks_exact(2).zip(&val_classes).filter(|(p, c)| u32::from(p[1] > p[0]) == **c).count();
    assert_eq!(model.report.accuracy, Some(right as f64 / val_classes.len() as f64));
    // Calibrated on every row, each predicted by the regression of the other four fifths, whose
    // logits are rescaled to the served regression's weight norm.
    let norm =
        |w: &crate::net::DenseWeights| w.layers[0].weight.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>().sqrt();
    let (mut out_of_fold, mut unscaled, mut classes) = (vec![0f32; 2 * n], vec![0f32; 2 * n], vec![0u32; n]);
    for fold in 0..5 {
        let others: Vec<usize> = (0..n).filter(|row| row % 5 != fold).collect();
        let fitted = crate::logistic::fit(
            &crate::data::gather(&all_x, 2, &others),
            &crate::data::gather(&all_y, 2, &others),
            2,
            2,
        )
        .unwrap()
        .to_dense();
        let (layer, scale) = (&fitted.layers[0], norm(&every_row) / norm(&fitted));
        for row in (fold..n).step_by(5) {
            let input = &all_x[2 * row..2 * row + 2];
            let logit = |class: usize| {
                f64::from(layer.bias[class])
                    + (0..2).map(|i| f64::from(input[i]) * f64::from(layer.weight[i * 2 + class])).sum::<f64>()
            };
            let (l0, l1) = (scale * logit(0), scale * logit(1));
            let p1 = 1.0 / (1.0 + (l0 - l1).exp());
            out_of_fold[2 * row..2 * row + 2].copy_from_slice(&[(1.0 - p1) as f32, p1 as f32]);
            unscaled[2 * row..2 * row + 2].copy_from_slice(&fitted.forward(input));
            classes[row] = u32::from(all_y[2 * row + 1] == 1.0);
        }
    }
    let cross_fitted = crate::metrics::fit_temperature(&out_of_fold, &classes, 2);
    let relative = |a: f64, b: f64| (a - b).abs() / b;
    assert!(relative(model.temperature, cross_fitted) < 1e-4, "{} vs {cross_fitted}", model.temperature);
    // Neither the folds' own logits nor the held-out rows alone give it.
    let without_rescaling = crate::metrics::fit_temperature(&unscaled, &classes, 2);
    assert!(relative(without_rescaling, cross_fitted) > 1e-2, "{without_rescaling} vs {cross_fitted}");
    assert_ne!(cross_fitted, crate::metrics::fit_temperature(&probabilities, &val_classes, 2));
}

/// y = 2a + a city effect; the city as an index (encoded) and as one-hot columns (dense). Every
/// `a` is distinct, so both encodings put the rows in the same content order (see
/// `data::content_order`), hence the same split.
fn city_data(n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let effect = [0.0, 5.0, -3.0];
    let (mut encoded, mut dense, mut y) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        let a = (i * 37 % n) as f64 / 10.0;
        let city = i * 7 % 3;
        encoded.extend([a, city as f64]);
        dense.extend([a, f64::from(city == 0), f64::from(city == 1), f64::from(city == 2)]);
        y.push(2.0 * a + effect[city]);
    }
    (encoded, dense, y)
}

/// The city as one index per row, expanded to its one-hot units only where they are used.
fn city_preparation() -> crate::preparation::Preparation {
    crate::preparation::Preparation::from_json(
        json!({"version":1,"features":[
            {"name":"a","kind":"numeric","missing":0,"impute":"median","fill":0.1 + 0.2},
            {"name":"city","kind":"category","missing":0,"impute":"mode","fill":0.0,"categories":["x","y","z"],"other":0}]}),
        &names(&["a", "city"]),
    )
    .unwrap()
}

#[test]
fn categories_expanded_batch_by_batch_train_exactly_like_dense_one_hot() {
    // A network on the native engine: the one-hot units are written batch by batch.
    let (encoded, dense, y) = city_data(240);
    let config = json!({"epochs":20,"learningRate":0.05,"layers":[{"units":8,"activation":"relu"}]});
    let mut with_categories =
        spec(json!({"name":"c","type":"neural-network","features":["a","city"],"target":"y","modelConfig":config}));
    with_categories.preparation = Some(city_preparation());
    let one_hot = spec(
        json!({"name":"d","type":"neural-network","features":["a","c0","c1","c2"],"target":"y","modelConfig":config}),
    );
    let cat_rows = Rows::new(&encoded, &with_categories.encoded_features()).unwrap();
    let model = neural::train(&with_categories, cat_rows, Targets::Values(&y), &cpu(), &mut NoObserver).unwrap();
    let dense_rows = Rows::new(&dense, &names(&["a", "c0", "c1", "c2"])).unwrap();
    let reference = neural::train(&one_hot, dense_rows, Targets::Values(&y), &cpu(), &mut NoObserver).unwrap();
    assert_eq!(model.network, reference.network, "the same weights after the same steps");
    assert_eq!(model.report.regression, reference.report.regression);
    assert_eq!(
        model.predict_one(&[4.0, 1.0]).unwrap().value,
        reference.predict_one(&[4.0, 0.0, 1.0, 0.0]).unwrap().value
    );
}

#[test]
fn categories_fit_exactly_like_dense_one_hot() {
    // Regression's exact least-squares fit sums the one-hot units row by row.
    let (encoded, dense, y) = city_data(240);
    let config = json!({"epochs":20,"learningRate":0.05});
    let mut with_categories =
        spec(json!({"name":"c","type":"regression","features":["a","city"],"target":"y","modelConfig":config}));
    with_categories.preparation = Some(city_preparation());
    let one_hot =
        spec(json!({"name":"d","type":"regression","features":["a","c0","c1","c2"],"target":"y","modelConfig":config}));
    let cat_rows = Rows::new(&encoded, &with_categories.encoded_features()).unwrap();
    let model = regression::train(&with_categories, cat_rows, &y, &cpu(), &mut NoObserver).unwrap();
    let dense_rows = Rows::new(&dense, &names(&["a", "c0", "c1", "c2"])).unwrap();
    let reference = regression::train(&one_hot, dense_rows, &y, &cpu(), &mut NoObserver).unwrap();
    assert_eq!(model.network, reference.network, "the same exact fit");
    assert_eq!(model.report.regression, reference.report.regression);
    assert!(model.report.regression.as_ref().unwrap().r2 > 0.999);
    assert_eq!(
        model.predict_one(&[4.0, 1.0]).unwrap().value,
        reference.predict_one(&[4.0, 0.0, 1.0, 0.0]).unwrap().value
    );
    // "Other" (index 3) sets no unit.
    assert_eq!(
        model.predict_one(&[4.0, 3.0]).unwrap().value,
        reference.predict_one(&[4.0, 0.0, 0.0, 0.0]).unwrap().value
    );

    // The preparation travels with the model, its numbers exactly.
    let back = crate::artifact::from_safetensors(&crate::artifact::to_safetensors(&model).unwrap()).unwrap();
    assert_eq!(back.preparation, model.preparation);
    assert_eq!(back.preparation.as_ref().unwrap().features[0].fill, Some(0.1 + 0.2));
    assert_eq!(back.predict_one(&[4.0, 2.0]).unwrap(), model.predict_one(&[4.0, 2.0]).unwrap());
}

/// Rows `order` lists, as new feature and target vectors.
fn permuted(x: &[f64], y: &[f64], columns: usize, order: &[usize]) -> (Vec<f64>, Vec<f64>) {
    (crate::data::gather(x, columns, order), order.iter().map(|&i| y[i]).collect())
}

#[test]
fn the_order_of_the_rows_does_not_change_the_model() {
    let (x, y) = linear_data(90);
    let mut order: Vec<usize> = (0..90).collect();
    crate::rng::SplitMix64::new(3).shuffle(&mut order);
    let (px, py) = permuted(&x, &y, 2, &order);
    let features = names(&["a", "b"]);
    for config in [json!({"epochs":3}), json!({"epochs":3,"polynomial":2,"units":8})] {
        let s = spec(json!({"name":"o","type":"regression","features":["a","b"],"target":"y","modelConfig":config}));
        let a = regression::train(&s, Rows::new(&x, &features).unwrap(), &y, &cpu(), &mut NoObserver).unwrap();
        let b = regression::train(&s, Rows::new(&px, &features).unwrap(), &py, &cpu(), &mut NoObserver).unwrap();
        assert_eq!(a.network, b.network);
        assert_eq!(a.linear, b.linear);
        assert_eq!(a.calibration, b.calibration);
    }
    let labels: Vec<u32> = (0..90).map(|i| u32::from(x[2 * i] > x[2 * i + 1])).collect();
    let plabels: Vec<u32> = order.iter().map(|&i| labels[i]).collect();
    let s =
        spec(json!({"name":"c","type":"classification","features":["a","b"],"target":"k","modelConfig":{"epochs":3}}));
    let train = |x: &[f64], l: &[u32]| {
        let rows = Rows::new(x, &features).unwrap();
        classification::train(&s, rows, l, classification::Labels::numbered(2), &cpu(), &mut NoObserver).unwrap()
    };
    let (a, b) = (train(&x, &labels), train(&px, &plabels));
    assert_eq!(a.network, b.network);
    assert_eq!(a.temperature, b.temperature);
}

#[test]
fn hidden_layers_never_end_worse_than_the_exact_polynomial_fit() {
    // An exact parabola: least squares on (x, x²) fits it to rounding, and one epoch of a network
    // on what is left cannot match that, so its output is switched off and the model is the fit.
    let x: Vec<f64> = (0..60).map(|i| i as f64 / 6.0).collect();
    let y: Vec<f64> = x.iter().map(|v| 0.5 * v * v - 3.0 * v + 2.0).collect();
    let s = spec(json!({"name":"p","type":"regression","features":["x"],"target":"y",
        "modelConfig":{"epochs":1,"polynomial":2,"units":8}}));
    let model = regression::train(&s, Rows::new(&x, &names(&["x"])).unwrap(), &y, &cpu(), &mut NoObserver).unwrap();
    assert_eq!(model.report.warnings.len(), 1, "{:?}", model.report.warnings);
    assert!(model.report.regression.as_ref().unwrap().r2 > 0.999_999);
    let p = model.predict_one(&[4.5]).unwrap();
    assert!((p.value - (0.5 * 4.5 * 4.5 - 3.0 * 4.5 + 2.0)).abs() < 1e-4, "{}", p.value);
    // The fit travels with the model, bit for bit.
    let back = crate::artifact::from_safetensors(&crate::artifact::to_safetensors(&model).unwrap()).unwrap();
    assert_eq!(back.linear, model.linear);
    assert_eq!(back.predict_one(&[4.5]).unwrap(), p);
}

#[test]
fn a_univariate_series_trains_on_its_own_history() {
    let steps: Vec<f64> = seasonal_series(120).chunks(2).map(|s| s[1]).collect();
    let s = spec(json!({"name":"u","type":"timeseries","features":[],"target":"sales",
        "modelConfig":{"lookback":7,"lstmUnits":8,"denseUnits":4,"epochs":5}}));
    let model =
        crate::timeseries::train(&s, Rows::new(&steps, &names(&["sales"])).unwrap(), &cpu(), &mut NoObserver).unwrap();
    assert_eq!(model.parameters, s.parameter_count().unwrap());
    let p = model.predict_one(&steps[..7]).unwrap();
    assert!(p.value.is_finite() && p.confidence > 0.0 && p.confidence <= 1.0);
    let back = crate::artifact::from_safetensors(&crate::artifact::to_safetensors(&model).unwrap()).unwrap();
    assert_eq!(back.predict_one(&steps[..7]).unwrap(), p);
}

#[test]
fn numeric_confidence_is_in_zero_one_and_falls_with_expected_error() {
    let calibration = |half_width: f64| crate::model::RegressionCalibration {
        coverage: 0.9,
        half_width,
        tolerance: 2.0,
        within_tolerance: 0.0,
        source: "validation".into(),
        samples: 10,
    };
    assert_eq!(calibration(0.0).confidence(1e300), 1.0);
    assert_eq!(calibration(2.0).confidence(0.0), 0.5);
    let mut previous = 1.0;
    for half_width in [0.1, 1.0, 10.0, 1e6, 1e300, f64::INFINITY] {
        for d in [0.0, 0.5, 10.0, 1e6, f64::INFINITY] {
            let c = calibration(half_width).confidence(d);
            assert!(c.is_finite() && c > 0.0 && c <= 1.0, "h {half_width} d {d}: {c}");
        }
        let c = calibration(half_width).confidence(0.0);
        assert!(c < previous || c == f64::MIN_POSITIVE, "h {half_width}: {c} after {previous}");
        previous = c;
    }
    assert!(calibration(1.0).confidence(1.0) < calibration(1.0).confidence(0.5));
}

//! The native engine held to Burn's autodiff: same starting weights, same batches, same Adam, so
//! the trained weights must agree to float rounding for every activation and loss.

use super::{fit_dense, fit_lstm};
use crate::device::{self, BackendChoice};
use crate::net::burn_net::DenseNet;
use crate::net::lstm::{LstmNet, LstmSpec};
use crate::net::{DenseWeights, LayerSpec, NetSpec};
use crate::spec::{Activation, TrainConfig};
use crate::train::{BurnFit, DenseFit, Engine, Examples, FitOutcome, LossKind, NoObserver, fit};

fn config(epochs: usize, batch_size: usize, learning_rate: f64) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size,
        learning_rate,
        validation_split: 0.0,
        shuffle: true,
        seed: 7,
        early_stopping: None,
    }
}

fn layer(units: usize, activation: Activation, dropout: f64) -> LayerSpec {
    LayerSpec { units, activation, dropout, batch_norm: false }
}

/// `rows` rows of 3 inputs in [−1, 1] and targets for `loss` with `outputs` columns.
fn data(rows: usize, outputs: usize, loss: LossKind) -> (Vec<f32>, Vec<f32>) {
    let x: Vec<f32> = (0..rows * 3).map(|i| ((i * 7919 % 200) as f32 / 100.0) - 1.0).collect();
    let mut y = vec![0.0; rows * outputs];
    for r in 0..rows {
        let s = x[r * 3] * 0.8 - x[r * 3 + 1] * 0.5 + x[r * 3 + 2] * x[r * 3];
        match loss {
            LossKind::SoftmaxCrossEntropy => y[r * outputs + ((s + 2.0) as usize * 7 + r) % outputs] = 1.0,
            LossKind::SigmoidBinaryCrossEntropy => y[r] = f32::from(s > 0.0),
            _ => (0..outputs).for_each(|o| y[r * outputs + o] = s * (o + 1) as f32),
        }
    }
    (x, y)
}

fn train_both(
    net: &NetSpec,
    loss: LossKind,
    config: &TrainConfig,
) -> (FitOutcome<DenseWeights>, FitOutcome<DenseWeights>) {
    let outputs = net.outputs();
    let (x, y) = data(96, outputs, loss);
    let (vx, vy) = data(20, outputs, loss);
    let train = Examples { inputs: &x, targets: &y, rows: 96 };
    let held_out = Some(Examples { inputs: &vx, targets: &vy, rows: 20 });
    let native =
        fit_dense(DenseFit { net, loss, train, held_out, expansion: None, config, observer: &mut NoObserver }).unwrap();
    let cpu = device::resolve(BackendChoice::Cpu).unwrap();
    let seed = config.seed;
    let job = BurnFit { loss, train, held_out, outputs, config, observer: &mut NoObserver };
    let burn = fit(|dev| DenseNet::init(net, seed, loss.is_fused(), dev), job, &cpu)
        .unwrap()
        .try_map(|net| net.to_weights())
        .unwrap();
    (native, burn)
}

fn max_weight_difference(a: &DenseWeights, b: &DenseWeights) -> f32 {
    a.layers
        .iter()
        .zip(&b.layers)
        .flat_map(|(a, b)| a.weight.iter().zip(&b.weight).chain(a.bias.iter().zip(&b.bias)))
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max)
}

#[test]
fn native_engine_takes_the_same_steps_as_burn() {
    let cases = [
        (vec![layer(8, Activation::Relu, 0.0), layer(2, Activation::Linear, 0.0)], LossKind::MeanSquaredError),
        (
            vec![
                layer(6, Activation::Tanh, 0.0),
                layer(5, Activation::Sigmoid, 0.0),
                layer(1, Activation::Linear, 0.0),
            ],
            LossKind::MeanAbsoluteError,
        ),
        (vec![layer(8, Activation::Elu, 0.0), layer(4, Activation::Softmax, 0.0)], LossKind::SoftmaxCrossEntropy),
        (
            vec![layer(8, Activation::Selu, 0.0), layer(1, Activation::Sigmoid, 0.0)],
            LossKind::SigmoidBinaryCrossEntropy,
        ),
        // A softmax that the loss does not fuse: its Jacobian is in the backward pass.
        (vec![layer(5, Activation::Softmax, 0.0), layer(1, Activation::Linear, 0.0)], LossKind::MeanSquaredError),
    ];
    for (layers, loss) in cases {
        let net = NetSpec { inputs: 3, layers };
        let (native, burn) = train_both(&net, loss, &config(4, 16, 0.01));
        let difference = max_weight_difference(&native.model, &burn.model);
        assert!(difference < 2e-4, "{loss:?} {:?}: weights differ by {difference}", net.layers);
        for (n, b) in native.history.iter().zip(&burn.history) {
            assert!((n.loss - b.loss).abs() < 1e-4 * b.loss.abs().max(1.0), "{loss:?}: loss {} vs {}", n.loss, b.loss);
            let (nv, bv) = (n.val_loss.unwrap(), b.val_loss.unwrap());
            assert!((nv - bv).abs() < 1e-4 * bv.abs().max(1.0), "{loss:?}: val loss {nv} vs {bv}");
        }
        // Training moved the weights: the comparison is not between two untrained networks.
        assert!(native.history.last().unwrap().loss < native.history[0].loss, "{loss:?} did not learn");
    }
}

#[test]
fn dropout_trains_repeatably_and_is_off_at_inference() {
    let net = NetSpec { inputs: 3, layers: vec![layer(32, Activation::Relu, 0.3), layer(1, Activation::Linear, 0.0)] };
    let (x, y) = data(200, 1, LossKind::MeanSquaredError);
    let train = Examples { inputs: &x, targets: &y, rows: 200 };
    let run = || {
        let config = config(30, 16, 0.01);
        let loss = LossKind::MeanSquaredError;
        fit_dense(DenseFit {
            net: &net,
            loss,
            train,
            held_out: None,
            expansion: None,
            config: &config,
            observer: &mut NoObserver,
        })
        .unwrap()
    };
    let (first, second) = (run(), run());
    assert_eq!(first.model, second.model, "the same seed gives the same network");
    let losses: Vec<f64> = first.history.iter().map(|h| h.loss).collect();
    assert!(losses[29] < losses[0] * 0.5, "losses {losses:?}");
    // Inference (no dropout) fits the training rows better than the dropped-out training loss says.
    let predicted = first.model.forward(&x);
    let mse = predicted.iter().zip(&y).map(|(p, t)| ((p - t) * (p - t)) as f64).sum::<f64>() / 200.0;
    assert!(mse < losses[29], "inference MSE {mse} vs last training loss {}", losses[29]);
}

#[test]
fn the_native_engine_trains_dense_networks_on_the_cpu_only() {
    let cpu = device::resolve(BackendChoice::Cpu).unwrap();
    let plain = NetSpec::mlp(3, &[(8, Activation::Relu, 0.1)], 1);
    assert_eq!(Engine::for_network(&plain, &cpu), Engine::Native);
    let mut normalised = plain.clone();
    normalised.layers[0].batch_norm = true;
    assert_eq!(Engine::for_network(&normalised, &cpu), Engine::Burn);
}

#[test]
fn native_lstm_takes_the_same_steps_as_burn() {
    let spec = LstmSpec { step_inputs: 2, lookback: 4, hidden: 6, dense: 5, dropout: 0.0, recurrent_dropout: 0.0 };
    // Sequences of (feature, target) pairs from a wave; the target is the next wave value.
    let wave = |i: usize| ((i as f32) * 0.37).sin();
    let sequences = |rows: usize, offset: usize| -> (Vec<f32>, Vec<f32>) {
        let x = (0..rows)
            .flat_map(|r| (0..4).flat_map(move |t| [wave(r + t + offset) * 0.5, wave(r + t + offset)]))
            .collect();
        (x, (0..rows).map(|r| wave(r + 4 + offset)).collect())
    };
    let (x, y) = sequences(80, 0);
    let (vx, vy) = sequences(16, 200);
    let train = Examples { inputs: &x, targets: &y, rows: 80 };
    let held_out = Some(Examples { inputs: &vx, targets: &vy, rows: 16 });
    let config = config(5, 16, 0.01);
    let native = fit_lstm(spec, train, held_out, &config, &mut NoObserver).unwrap();
    let cpu = device::resolve(BackendChoice::Cpu).unwrap();
    let job = BurnFit {
        loss: LossKind::MeanSquaredError,
        train,
        held_out,
        outputs: 1,
        config: &config,
        observer: &mut NoObserver,
    };
    let burn = fit(|dev| LstmNet::init(spec, config.seed, dev), job, &cpu).unwrap();
    let burn_weights = burn.model.to_weights().unwrap();
    let pairs = [
        (&native.model.input_kernel, &burn_weights.input_kernel),
        (&native.model.recurrent_kernel, &burn_weights.recurrent_kernel),
        (&native.model.bias, &burn_weights.bias),
    ];
    for (n, b) in pairs {
        let difference = n.iter().zip(b).map(|(n, b)| (n - b).abs()).fold(0.0, f32::max);
        assert!(difference < 2e-4, "cell weights differ by {difference}");
    }
    let head = max_weight_difference(&native.model.head, &burn_weights.head);
    assert!(head < 2e-4, "head weights differ by {head}");
    for (n, b) in native.history.iter().zip(&burn.history) {
        assert!((n.loss - b.loss).abs() < 1e-4 * b.loss.max(1.0), "loss {} vs {}", n.loss, b.loss);
        let (nv, bv) = (n.val_loss.unwrap(), b.val_loss.unwrap());
        assert!((nv - bv).abs() < 1e-4 * bv.max(1.0), "val loss {nv} vs {bv}");
    }
    assert!(native.history[4].loss < native.history[0].loss, "the LSTM did not learn");
}

#[test]
fn lstm_dropout_trains_repeatably() {
    let spec = LstmSpec { step_inputs: 1, lookback: 5, hidden: 8, dense: 4, dropout: 0.2, recurrent_dropout: 0.2 };
    let x: Vec<f32> = (0..100 * 5).map(|i| ((i / 5 + i % 5) as f32 * 0.3).sin()).collect();
    let y: Vec<f32> = (0..100).map(|r| ((r + 5) as f32 * 0.3).sin()).collect();
    let train = Examples { inputs: &x, targets: &y, rows: 100 };
    let run = || fit_lstm(spec, train, None, &config(20, 16, 0.01), &mut NoObserver).unwrap();
    let (first, second) = (run(), run());
    assert_eq!(first.model, second.model);
    assert!(
        first.history[19].loss < first.history[0].loss * 0.5,
        "{:?}",
        first.history.iter().map(|h| h.loss).collect::<Vec<_>>()
    );
}

//! Loss values and their gradients with respect to the network's (pre-fused-activation) outputs,
//! with the same definitions as the Burn engine's `loss_of`.

use crate::net::engine::sigmoid;
use crate::train::LossKind;

/// Mean loss of a batch; writes d(loss)/d(output) into `grad`.
pub fn loss_and_gradient(kind: LossKind, output: &[f32], target: &[f32], outputs: usize, grad: &mut [f32]) -> f64 {
    debug_assert_eq!(output.len(), target.len());
    let rows = output.len() / outputs.max(1);
    let elements = output.len() as f32;
    let mut total = 0.0f64;
    match kind {
        LossKind::MeanSquaredError => {
            for ((g, &o), &t) in grad.iter_mut().zip(output).zip(target) {
                let e = o - t;
                total += (e * e) as f64;
                *g = 2.0 * e / elements;
            }
            total / output.len() as f64
        }
        LossKind::MeanAbsoluteError => {
            for ((g, &o), &t) in grad.iter_mut().zip(output).zip(target) {
                let e = o - t;
                total += e.abs() as f64;
                *g = if e > 0.0 {
                    1.0 / elements
                } else if e < 0.0 {
                    -1.0 / elements
                } else {
                    0.0
                };
            }
            total / output.len() as f64
        }
        LossKind::SoftmaxCrossEntropy => {
            for ((g, z), t) in
                grad.chunks_exact_mut(outputs).zip(output.chunks_exact(outputs)).zip(target.chunks_exact(outputs))
            {
                let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let log_sum = z.iter().map(|&v| (v - max).exp()).sum::<f32>().ln() + max;
                let mass: f32 = t.iter().sum();
                for ((g, &z), &t) in g.iter_mut().zip(z).zip(t) {
                    total -= (t * (z - log_sum)) as f64;
                    *g = ((z - log_sum).exp() * mass - t) / rows as f32;
                }
            }
            total / rows as f64
        }
        LossKind::SigmoidBinaryCrossEntropy => {
            for ((g, &z), &t) in grad.iter_mut().zip(output).zip(target) {
                // max(z, 0) − z·t + log(1 + e^−|z|): never overflows.
                total += (z.max(0.0) - z * t + (-z.abs()).exp().ln_1p()) as f64;
                *g = (sigmoid(z) - t) / elements;
            }
            total / output.len() as f64
        }
    }
}

//! Integrated gradients through a dense network.
//!
//! A network whose hidden layers are ReLU or linear is piecewise linear: along the straight line
//! from the reference to the input it crosses finitely many linear regions, inside each of which
//! its gradient is constant. [`integrate`] walks those regions one by one (the next region starts
//! where the first hidden unit along the line changes sign) and integrates each exactly, so the
//! attributions add up to the change in the output up to rounding, with no step count to tune.
//! Only the output function (sigmoid, softmax with its calibration temperature) is curved within a
//! region, and it is integrated there by adaptive Gauss-Legendre against its own change.
//! Networks with smooth hidden activations go through [`super::quadrature`].

use super::output::{OutputFn, elementwise};
use super::quadrature::{self, PathIntegral, gauss_legendre};
use crate::net::{DenseWeights, accumulate, activate};
use crate::spec::Activation;

/// How far ahead (in path units) a unit's sign is read, so that a unit sitting on its boundary
/// (up to f32 rounding, about 1e-7 of the path) is counted on the side the path goes to, and every
/// linear piece is at least this long. Misplacing a crossing by this much moves an attribution by
/// at most this share of one unit's effect.
const LOOK_AHEAD: f64 = 1e-5;
/// More pieces than this along one line: give up the exact walk for quadrature.
const MAX_PIECES: usize = 5_000;

/// `∫₀¹ ∇F` along the line from `from` to `to` (network inputs), to within `tolerance` of the
/// change in `F` where quadrature is needed.
pub fn integrate(net: &DenseWeights, output: &OutputFn, from: &[f32], to: &[f32], tolerance: f64) -> PathIntegral {
    if is_piecewise_linear(net)
        && let Some(exact) = walk_linear_pieces(net, output, from, to)
    {
        return exact;
    }
    let mut tape = Tape::default();
    quadrature::integrate(&mut |x, grad| gradient(net, output, x, grad, &mut tape), from, to, tolerance)
}

/// `F(x)`, with `∇F(x)` written into `grad` (one pass forward, one back).
pub fn gradient_at(net: &DenseWeights, output: &OutputFn, x: &[f32], grad: &mut [f64]) -> f64 {
    gradient(net, output, x, grad, &mut Tape::default())
}

/// Hidden layers ReLU or linear (batch normalisation is affine at inference, so it does not matter).
fn is_piecewise_linear(net: &DenseWeights) -> bool {
    let hidden = &net.layers[..net.layers.len().saturating_sub(1)];
    hidden.iter().all(|l| matches!(l.activation, Activation::Relu | Activation::Linear))
}

/// Activations of one forward pass, kept for the backward pass.
#[derive(Default)]
struct Tape {
    /// Per layer: pre-activations, and activations before batch normalisation.
    pre: Vec<Vec<f32>>,
    post: Vec<Vec<f32>>,
    input: Vec<f32>,
}

/// `F(x)`, with `∇F(x)` written into `grad`.
fn gradient(net: &DenseWeights, output: &OutputFn, x: &[f32], grad: &mut [f64], tape: &mut Tape) -> f64 {
    let n = net.layers.len();
    tape.pre.resize(n, Vec::new());
    tape.post.resize(n, Vec::new());
    tape.input.clear();
    tape.input.extend_from_slice(x);
    let mut input = std::mem::take(&mut tape.input);
    for (l, layer) in net.layers.iter().enumerate() {
        let z = &mut tape.pre[l];
        z.clear();
        z.extend_from_slice(&layer.bias);
        accumulate(z, &input, &layer.weight);
        if l + 1 == n {
            break;
        }
        let a = &mut tape.post[l];
        a.clone_from(z);
        activate(layer.activation, a);
        input.clone_from(a);
        if let Some(bn) = &layer.batch_norm {
            input.iter_mut().zip(bn.scale.iter().zip(&bn.shift)).for_each(|(v, (&s, &b))| *v = *v * s + b);
        }
    }
    tape.input = input;
    let z: Vec<f64> = tape.pre[n - 1].iter().map(|&v| f64::from(v)).collect();
    let mut seed = vec![0.0; z.len()];
    let value = output.eval(&z, &mut seed);
    let (mut g, magnitude) = unit_seed(&seed);
    for l in (0..n).rev() {
        let layer = &net.layers[l];
        if l + 1 < n {
            if let Some(bn) = &layer.batch_norm {
                g.iter_mut().zip(&bn.scale).for_each(|(v, &s)| *v *= s);
            }
            activation_backward(layer.activation, &tape.pre[l], &tape.post[l], &mut g);
        }
        g = weights_backward(&layer.weight, layer.inputs, &g);
    }
    grad.iter_mut().zip(&g).for_each(|(out, &v)| *out = f64::from(v) * magnitude);
    value
}

/// `seed` (∂F/∂logits, in f64) as the f32 vector the backward pass multiplies, divided by its
/// largest magnitude, and that magnitude, by which the f32 gradient is multiplied back in f64.
/// A value head's seed is the target's spread, which for targets beyond f32's range (3.4e38)
/// would be infinite in f32 and make every attribution NaN.
pub(super) fn unit_seed(seed: &[f64]) -> (Vec<f32>, f64) {
    let magnitude = seed.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if magnitude == 0.0 || !magnitude.is_finite() {
        return (seed.iter().map(|&v| v as f32).collect(), 1.0);
    }
    (seed.iter().map(|&v| (v / magnitude) as f32).collect(), magnitude)
}

/// `g ← g ⊙ act'(z)` (for softmax, its Jacobian-vector product).
fn activation_backward(activation: Activation, z: &[f32], a: &[f32], g: &mut [f32]) {
    if activation == Activation::Softmax {
        let dot: f32 = g.iter().zip(a).map(|(g, s)| g * s).sum();
        g.iter_mut().zip(a).for_each(|(g, &s)| *g = s * (*g - dot));
        return;
    }
    for (g, &z) in g.iter_mut().zip(z) {
        *g *= elementwise(activation, f64::from(z)).1 as f32;
    }
}

/// The gradient at a layer's input from the gradient at its pre-activations: `W · g`.
fn weights_backward(weight: &[f32], inputs: usize, g: &[f32]) -> Vec<f32> {
    let units = g.len();
    (0..inputs).map(|k| dot(&weight[k * units..(k + 1) * units], g)).collect()
}

/// `a · b` over eight independent partial sums, which the compiler keeps in one vector register
/// (a plain sequential sum of floats cannot be reordered, so it would not vectorise).
pub(super) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a8.remainder().iter().zip(b8.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in a8.zip(b8) {
        for ((lane, &x), &y) in lanes.iter_mut().zip(x).zip(y) {
            *lane += x * y;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// The exact walk through the linear pieces of a ReLU network (see the module comment). `None`
/// when the line crosses more than [`MAX_PIECES`] pieces.
fn walk_linear_pieces(net: &DenseWeights, output: &OutputFn, from: &[f32], to: &[f32]) -> Option<PathIntegral> {
    let n = net.layers.len();
    let direction: Vec<f32> = from.iter().zip(to).map(|(a, b)| b - a).collect();
    let mut result = PathIntegral { gradient: vec![0.0; from.len()], ..Default::default() };
    let mut masks: Vec<Vec<f32>> = net.layers[..n - 1].iter().map(|l| vec![1.0; l.units]).collect();
    let (mut a, mut da, mut z, mut dz) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut t = 0.0f64;
    while t < 1.0 {
        result.evaluations += 1;
        if result.evaluations > MAX_PIECES {
            return None;
        }
        a.clear();
        a.extend(from.iter().zip(&direction).map(|(&x, &d)| x + (t as f32) * d));
        da.clone_from(&direction);
        let mut next = 1.0f64;
        for (l, layer) in net.layers.iter().enumerate() {
            z.clear();
            z.extend_from_slice(&layer.bias);
            accumulate(&mut z, &a, &layer.weight);
            dz.clear();
            dz.resize(layer.units, 0.0);
            accumulate(&mut dz, &da, &layer.weight);
            if l + 1 == n {
                break;
            }
            let mask = &mut masks[l];
            if layer.activation == Activation::Relu {
                for j in 0..layer.units {
                    let (v, dv) = (f64::from(z[j]), f64::from(dz[j]));
                    let active = v + LOOK_AHEAD * dv > 0.0;
                    mask[j] = if active { 1.0 } else { 0.0 };
                    // The unit changes sign where v + s·dv = 0, s = −v/dv ahead.
                    if (active && dv < 0.0) || (!active && dv > 0.0) {
                        next = next.min(t + (-v / dv).max(LOOK_AHEAD));
                    }
                    z[j] *= mask[j];
                    dz[j] *= mask[j];
                }
            }
            if let Some(bn) = &layer.batch_norm {
                for j in 0..layer.units {
                    z[j] = z[j] * bn.scale[j] + bn.shift[j];
                    dz[j] *= bn.scale[j];
                }
            }
            std::mem::swap(&mut a, &mut z);
            std::mem::swap(&mut da, &mut dz);
        }
        let end = next.min(1.0);
        let z0: Vec<f64> = z.iter().map(|&v| f64::from(v)).collect();
        let dz0: Vec<f64> = dz.iter().map(|&v| f64::from(v)).collect();
        if t == 0.0 {
            result.start = output.value(&z0);
        }
        // Within the piece the logits are z0 + s·dz0 exactly; integrate F's gradient over it.
        let mut seed = vec![0.0; z0.len()];
        integrate_output(output, &z0, &dz0, 0.0, end - t, &mut seed, 0);
        let last = &net.layers[n - 1];
        let (unit, magnitude) = unit_seed(&seed);
        let mut g = weights_backward(&last.weight, last.inputs, &unit);
        for l in (0..n - 1).rev() {
            let layer = &net.layers[l];
            if let Some(bn) = &layer.batch_norm {
                g.iter_mut().zip(&bn.scale).for_each(|(v, &s)| *v *= s);
            }
            g.iter_mut().zip(&masks[l]).for_each(|(v, &m)| *v *= m);
            g = weights_backward(&layer.weight, layer.inputs, &g);
        }
        result.gradient.iter_mut().zip(&g).for_each(|(acc, &v)| *acc += f64::from(v) * magnitude);
        if end >= 1.0 {
            let at_end: Vec<f64> = z0.iter().zip(&dz0).map(|(v, d)| v + (end - t) * d).collect();
            result.end = output.value(&at_end);
        }
        t = end;
    }
    Some(result)
}

/// Adds `∫ₐᵇ ∇F(z0 + s·dz) ds` to `seed`, halving the interval until the directional derivative
/// integrates to `F`'s own change over it.
fn integrate_output(output: &OutputFn, z0: &[f64], dz: &[f64], a: f64, b: f64, seed: &mut [f64], depth: u32) {
    let at = |s: f64| -> Vec<f64> { z0.iter().zip(dz).map(|(v, d)| v + s * d).collect() };
    let k = z0.len();
    let (mut local, mut grad) = (vec![0.0; k], vec![0.0; k]);
    for (s, w) in gauss_legendre(a, b) {
        output.eval(&at(s), &mut grad);
        local.iter_mut().zip(&grad).for_each(|(acc, g)| *acc += w * g);
    }
    let (fa, fb) = (output.value(&at(a)), output.value(&at(b)));
    let along: f64 = local.iter().zip(dz).map(|(g, d)| g * d).sum();
    if depth < 20 && (along - (fb - fa)).abs() > 1e-12 * (1.0 + fa.abs() + fb.abs()) {
        let mid = (a + b) / 2.0;
        integrate_output(output, z0, dz, a, mid, seed, depth + 1);
        integrate_output(output, z0, dz, mid, b, seed, depth + 1);
        return;
    }
    seed.iter_mut().zip(&local).for_each(|(acc, v)| *acc += v);
}

#[cfg(test)]
mod tests {
    use super::super::output::Explained;
    use super::*;
    use crate::net::DenseLayerWeights;
    use crate::rng::SplitMix64;

    fn random_net(sizes: &[usize], hidden: Activation, out: Activation, seed: u64) -> DenseWeights {
        let mut rng = SplitMix64::new(seed);
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(i, w)| DenseLayerWeights {
                inputs: w[0],
                units: w[1],
                activation: if i + 2 == sizes.len() { out } else { hidden },
                weight: (0..w[0] * w[1]).map(|_| rng.uniform(-1.0, 1.0) as f32).collect(),
                bias: (0..w[1]).map(|_| rng.uniform(-0.5, 0.5) as f32).collect(),
                batch_norm: None,
            })
            .collect();
        DenseWeights { layers }
    }

    fn gap(net: &DenseWeights, output: &OutputFn) -> (f64, PathIntegral) {
        let from = [0.1, 0.9, 0.4, 0.5];
        let to = [0.8, 0.2, 0.6, 0.05];
        let r = integrate(net, output, &from, &to, 1e-6);
        // The ends against the inference engine itself.
        let z_end: Vec<f64> = {
            let mut head = net.clone();
            head.layers.last_mut().unwrap().activation = Activation::Linear;
            head.forward(&to).iter().map(|&v| f64::from(v)).collect()
        };
        assert!((r.end - output.value(&z_end)).abs() < 1e-5, "end {} vs {}", r.end, output.value(&z_end));
        (r.gap(&from, &to), r)
    }

    #[test]
    fn relu_networks_are_integrated_exactly_piece_by_piece() {
        let net = random_net(&[4, 32, 16, 1], Activation::Relu, Activation::Linear, 1);
        let (gap, r) =
            gap(&net, &OutputFn { activation: Activation::Linear, explained: Explained::Scaled { scale: 1.0 } });
        assert!(r.evaluations > 3, "the line should cross several pieces: {}", r.evaluations);
        assert!(gap < 1e-5 * (r.end - r.start).abs().max(1.0), "gap {gap}");
    }

    #[test]
    fn softmax_outputs_are_integrated_within_each_piece() {
        let net = random_net(&[4, 16, 3], Activation::Relu, Activation::Softmax, 2);
        let output =
            OutputFn { activation: Activation::Softmax, explained: Explained::Label { class: 1, temperature: 1.4 } };
        assert!(gap(&net, &output).0 < 1e-6);
    }

    #[test]
    fn smooth_networks_go_through_quadrature() {
        let net = random_net(&[4, 16, 8, 1], Activation::Tanh, Activation::Sigmoid, 3);
        let output = OutputFn { activation: Activation::Sigmoid, explained: Explained::Scaled { scale: 1.0 } };
        assert!(gap(&net, &output).0 < 1e-6);
    }

    #[test]
    fn the_gradient_matches_finite_differences() {
        let net = random_net(&[4, 8, 6, 2], Activation::Elu, Activation::Softmax, 4);
        let output =
            OutputFn { activation: Activation::Softmax, explained: Explained::Label { class: 0, temperature: 1.0 } };
        let x = [0.3f32, 0.1, 0.7, 0.2];
        let mut grad = [0.0; 4];
        gradient(&net, &output, &x, &mut grad, &mut Tape::default());
        for i in 0..4 {
            let (mut up, mut down) = (x, x);
            up[i] += 1e-2;
            down[i] -= 1e-2;
            let f = |p: &[f32]| f64::from(net.forward(p)[0]);
            let numeric = (f(&up) - f(&down)) / 2e-2;
            assert!((numeric - grad[i]).abs() < 1e-3, "input {i}: {numeric} vs {}", grad[i]);
        }
    }
}

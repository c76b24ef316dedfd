//! The number an explanation explains, as a function of the network's last pre-activations `z`:
//! a value in target units, a probability, or the calibrated probability of one label.

use crate::net::{SELU_ALPHA, SELU_SCALE};
use crate::spec::Activation;

#[derive(Debug, Clone, Copy)]
pub enum Explained {
    /// `scale × act(z)[0]`: a number in target units (value heads, `scale` = the target's range)
    /// or a probability (`scale` = 1).
    Scaled { scale: f64 },
    /// The calibrated probability of `class`: `temper(act(z), temperature)[class]`, as predicted.
    Label { class: usize, temperature: f64 },
}

/// The output layer's activation and what is read from it.
#[derive(Debug, Clone, Copy)]
pub struct OutputFn {
    pub activation: Activation,
    pub explained: Explained,
}

impl OutputFn {
    /// `F(z)`, with `∂F/∂z` written into `grad` (one entry per output unit).
    pub fn eval(&self, z: &[f64], grad: &mut [f64]) -> f64 {
        grad.iter_mut().for_each(|g| *g = 0.0);
        match (self.explained, self.activation) {
            (Explained::Scaled { scale }, Activation::Softmax) => {
                let s = softmax(z, 1.0);
                for (i, g) in grad.iter_mut().enumerate() {
                    *g = scale * s[0] * (f64::from(i == 0) - s[i]);
                }
                scale * s[0]
            }
            (Explained::Scaled { scale }, act) => {
                let (value, slope) = elementwise(act, z[0]);
                grad[0] = scale * slope;
                scale * value
            }
            // softmax(log softmax(z) / T) = softmax(z / T): the calibrated probabilities.
            (Explained::Label { class, temperature }, Activation::Softmax) => {
                let q = softmax(z, temperature);
                for (i, g) in grad.iter_mut().enumerate() {
                    *g = q[class] * (f64::from(i == class) - q[i]) / temperature;
                }
                q[class]
            }
            (Explained::Label { class, temperature }, act) => {
                let (p, slopes): (Vec<f64>, Vec<f64>) = z.iter().map(|&v| elementwise(act, v)).unzip();
                if temperature == 1.0 {
                    // `temper` leaves the outputs as they are at T = 1.
                    grad[class] = slopes[class];
                    return p[class];
                }
                let p: Vec<f64> = p.iter().map(|v| v.max(1e-300)).collect();
                let max = p.iter().copied().fold(f64::MIN_POSITIVE, f64::max);
                let powered: Vec<f64> = p.iter().map(|v| (v / max).powf(1.0 / temperature)).collect();
                let sum: f64 = powered.iter().sum();
                let q: Vec<f64> = powered.iter().map(|v| v / sum).collect();
                for (j, g) in grad.iter_mut().enumerate() {
                    *g = q[class] * (f64::from(j == class) - q[j]) / (temperature * p[j]) * slopes[j];
                }
                q[class]
            }
        }
    }

    /// `F(z)` alone.
    pub fn value(&self, z: &[f64]) -> f64 {
        let mut grad = vec![0.0; z.len()];
        self.eval(z, &mut grad)
    }
}

/// An element-wise activation and its derivative, in f64.
pub fn elementwise(activation: Activation, v: f64) -> (f64, f64) {
    let (alpha, scale) = (f64::from(SELU_ALPHA), f64::from(SELU_SCALE));
    match activation {
        Activation::Linear | Activation::Softmax => (v, 1.0),
        Activation::Relu => {
            if v > 0.0 {
                (v, 1.0)
            } else {
                (0.0, 0.0)
            }
        }
        Activation::Sigmoid => {
            let s = 1.0 / (1.0 + (-v).exp());
            (s, s * (1.0 - s))
        }
        Activation::Tanh => {
            let t = v.tanh();
            (t, 1.0 - t * t)
        }
        Activation::Elu => {
            if v > 0.0 {
                (v, 1.0)
            } else {
                (v.exp_m1(), v.exp())
            }
        }
        Activation::Selu => {
            if v > 0.0 {
                (scale * v, scale)
            } else {
                (scale * alpha * v.exp_m1(), scale * alpha * v.exp())
            }
        }
    }
}

fn softmax(z: &[f64], temperature: f64) -> Vec<f64> {
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = z.iter().map(|&v| ((v - max) / temperature).exp()).collect();
    let sum: f64 = e.iter().sum();
    e.iter().map(|v| v / sum).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every output function's gradient against central differences.
    #[test]
    fn gradients_match_finite_differences() {
        let cases = [
            OutputFn { activation: Activation::Linear, explained: Explained::Scaled { scale: 3.0 } },
            OutputFn { activation: Activation::Sigmoid, explained: Explained::Scaled { scale: 1.0 } },
            OutputFn { activation: Activation::Softmax, explained: Explained::Label { class: 1, temperature: 1.7 } },
            OutputFn { activation: Activation::Sigmoid, explained: Explained::Label { class: 2, temperature: 0.6 } },
            OutputFn { activation: Activation::Tanh, explained: Explained::Label { class: 0, temperature: 1.0 } },
        ];
        let z = [0.3, -0.8, 1.1];
        for f in cases {
            let mut grad = [0.0; 3];
            f.eval(&z, &mut grad);
            for i in 0..3 {
                let (mut up, mut down) = (z, z);
                up[i] += 1e-6;
                down[i] -= 1e-6;
                let numeric = (f.value(&up) - f.value(&down)) / 2e-6;
                assert!((numeric - grad[i]).abs() < 1e-6, "{f:?} input {i}: {numeric} vs {}", grad[i]);
            }
        }
    }
}

//! Adam over a flat parameter vector, with Burn's defaults and update rule (`burn::optim::Adam`),
//! so the native and Burn engines take the same steps.

const BETA_1: f32 = 0.9;
const BETA_2: f32 = 0.999;
const EPSILON: f32 = 1e-5;

pub struct Adam {
    moment_1: Vec<f32>,
    moment_2: Vec<f32>,
    time: i32,
}

impl Adam {
    pub fn new(parameters: usize) -> Self {
        Self { moment_1: vec![0.0; parameters], moment_2: vec![0.0; parameters], time: 0 }
    }

    /// `params −= lr · m̂ / (√v̂ + ε)`, written as Burn writes it: the bias corrections folded into
    /// one factor and ε scaled by √(1 − β₂ᵗ).
    pub fn step(&mut self, learning_rate: f32, params: &mut [f32], grads: &[f32]) {
        self.time += 1;
        let correction_2 = (1.0 - BETA_2.powi(self.time)).sqrt();
        let factor = correction_2 / (1.0 - BETA_1.powi(self.time));
        let epsilon = EPSILON * correction_2;
        for (((p, &g), m), v) in params.iter_mut().zip(grads).zip(&mut self.moment_1).zip(&mut self.moment_2) {
            *m = *m * BETA_1 + g * (1.0 - BETA_1);
            *v = *v * BETA_2 + g * g * (1.0 - BETA_2);
            *p -= learning_rate * (*m * factor / (v.sqrt() + epsilon));
        }
    }
}

//! The time-series LSTM on the native engine: the cell of `net::lstm::LstmNet` written out with
//! back-propagation through time, and its dense head as a [`DenseNetwork`].

use super::adam::Adam;
use super::dense::DenseNetwork;
use super::fast_math::{self, map_in_place};
use super::gemm::{View, matmul};
use super::{NativeNet, apply_dropout};
use crate::net::lstm::{LstmSpec, LstmWeights};
use crate::net::{LayerSpec, NetSpec, glorot_uniform};
use crate::rng::SplitMix64;
use crate::spec::Activation;

/// The cell's parameters sit in one flat vector: input kernel `[inputs, 4h]`, bias `[4h]`,
/// recurrent kernel `[h, 4h]`; gates in the order input, forget, cell, output.
pub struct LstmNetwork {
    spec: LstmSpec,
    params: Vec<f32>,
    grads: Vec<f32>,
    adam: Adam,
    head: DenseNetwork,
    capacity: usize,
    dropout_rng: SplitMix64,
    /// Per step, `[rows, 4h]`: the gates after their activations.
    gates: Vec<Vec<f32>>,
    /// Per step, `[rows, h]`: the cell state, its tanh, and the hidden state.
    cells: Vec<Vec<f32>>,
    cells_tanh: Vec<Vec<f32>>,
    hidden: Vec<Vec<f32>>,
    /// Per step, `[rows, h]`: the previous hidden state as fed back (after recurrent dropout), and
    /// the dropout's kept-unit scale.
    fed: Vec<Vec<f32>>,
    masks: Vec<Vec<f32>>,
    /// Backward scratch: gate gradients `[rows, 4h]`, hidden and cell gradients `[rows, h]`.
    gate_grad: Vec<f32>,
    hidden_grad: Vec<f32>,
    cell_grad: Vec<f32>,
}

impl LstmNetwork {
    /// Weights drawn in `LstmNet::init`'s order from the same generator, so both engines start
    /// from the same network.
    pub fn new(spec: LstmSpec, capacity: usize, seed: u64) -> Self {
        let (inputs, h) = (spec.step_inputs, spec.hidden);
        let mut rng = SplitMix64::new(seed);
        let mut params = glorot_uniform(&mut rng, inputs, 4 * h);
        // Forget-gate bias 1, as in LstmNet::init.
        params.extend((0..4 * h).map(|j| if (h..2 * h).contains(&j) { 1.0 } else { 0.0 }));
        params.extend(glorot_uniform(&mut rng, h, 4 * h));
        let head_spec = NetSpec {
            inputs: h,
            layers: vec![
                LayerSpec { units: spec.dense, activation: Activation::Relu, dropout: spec.dropout, batch_norm: false },
                LayerSpec { units: 1, activation: Activation::Linear, dropout: 0.0, batch_norm: false },
            ],
        };
        let head = DenseNetwork::new(&head_spec, &mut rng, capacity, false, seed);
        let per_step = |width: usize| vec![vec![0.0; capacity * width]; spec.lookback];
        Self {
            grads: vec![0.0; params.len()],
            adam: Adam::new(params.len()),
            params,
            head,
            capacity,
            dropout_rng: SplitMix64::new(seed ^ 0x5EED_4EC0),
            gates: per_step(4 * h),
            cells: per_step(h),
            cells_tanh: per_step(h),
            hidden: per_step(h),
            fed: per_step(h),
            masks: if spec.recurrent_dropout > 0.0 { per_step(h) } else { Vec::new() },
            gate_grad: vec![0.0; capacity * 4 * h],
            hidden_grad: vec![0.0; capacity * h],
            cell_grad: vec![0.0; capacity * h],
            spec,
        }
    }

    /// Where the bias and the recurrent kernel start in `params` (and `grads`).
    fn offsets(&self) -> (usize, usize) {
        let gates = 4 * self.spec.hidden;
        let bias_at = self.spec.step_inputs * gates;
        (bias_at, bias_at + gates)
    }

    /// `(input kernel, bias, recurrent kernel)`.
    fn split(&self) -> (&[f32], &[f32], &[f32]) {
        let (bias_at, recurrent_at) = self.offsets();
        (&self.params[..bias_at], &self.params[bias_at..recurrent_at], &self.params[recurrent_at..])
    }

    /// Step `t`'s inputs within the batch's rows of `lookback × step_inputs` values.
    fn step_inputs<'x>(&self, x: &'x [f32], rows: usize, t: usize) -> View<'x> {
        let inputs = self.spec.step_inputs;
        View::strided(&x[t * inputs..], rows, inputs, self.spec.lookback * inputs)
    }

    /// The recurrent input of step `t`: the previous hidden state, with recurrent dropout.
    fn feed_back(&mut self, t: usize, rows: usize, training: bool) {
        let n = rows * self.spec.hidden;
        let fed = &mut self.fed[t][..n];
        let previous = &self.hidden[t - 1][..n];
        if training && !self.masks.is_empty() {
            let rate = self.spec.recurrent_dropout as f32;
            apply_dropout(previous, fed, &mut self.masks[t][..n], rate, &mut self.dropout_rng);
        } else {
            fed.copy_from_slice(previous);
        }
    }
}

impl NativeNet for LstmNetwork {
    type Trained = LstmWeights;

    fn inputs(&self) -> usize {
        self.spec.lookback * self.spec.step_inputs
    }

    fn outputs(&self) -> usize {
        1
    }

    fn forward(&mut self, x: &[f32], rows: usize, training: bool) -> &[f32] {
        assert!(rows <= self.capacity, "a batch of {rows} rows does not fit a workspace of {}", self.capacity);
        let h = self.spec.hidden;
        for t in 0..self.spec.lookback {
            if t > 0 {
                self.feed_back(t, rows, training);
            }
            let mut gates = std::mem::take(&mut self.gates[t]);
            let z = &mut gates[..rows * 4 * h];
            let (input_kernel, bias, recurrent_kernel) = self.split();
            z.chunks_exact_mut(4 * h).for_each(|row| row.copy_from_slice(bias));
            let step = self.step_inputs(x, rows, t);
            matmul(z, step, View::row_major(input_kernel, self.spec.step_inputs, 4 * h), true);
            if t > 0 {
                let fed = View::row_major(&self.fed[t][..rows * h], rows, h);
                matmul(z, fed, View::row_major(recurrent_kernel, h, 4 * h), true);
            }
            for (r, gate) in z.chunks_exact_mut(4 * h).enumerate() {
                let (ifg, o) = gate.split_at_mut(3 * h);
                let (i_f, g) = ifg.split_at_mut(2 * h);
                map_in_place(i_f, fast_math::sigmoid);
                map_in_place(g, fast_math::tanh);
                map_in_place(o, fast_math::sigmoid);
                let (i, f) = i_f.split_at(h);
                let row = r * h..(r + 1) * h;
                let (earlier, current) = self.cells.split_at_mut(t);
                let cell = &mut current[0][row.clone()];
                match earlier.last() {
                    None => cell.iter_mut().zip(i.iter().zip(g.iter())).for_each(|(c, (i, g))| *c = i * g),
                    Some(previous) => {
                        let previous = &previous[row.clone()];
                        for (((c, &p), (&i, &f)), &g) in
                            cell.iter_mut().zip(previous).zip(i.iter().zip(f)).zip(g.iter())
                        {
                            *c = f * p + i * g;
                        }
                    }
                }
                let cell_tanh = &mut self.cells_tanh[t][row.clone()];
                cell_tanh.copy_from_slice(&self.cells[t][row.clone()]);
                map_in_place(cell_tanh, fast_math::tanh);
                let hidden = &mut self.hidden[t][row];
                hidden.iter_mut().zip(o.iter().zip(cell_tanh.iter())).for_each(|(h, (o, tc))| *h = o * tc);
            }
            self.gates[t] = gates;
        }
        let last = &self.hidden[self.spec.lookback - 1][..rows * h];
        self.head.forward(last, rows, training)
    }

    fn learn(&mut self, x: &[f32], rows: usize, output_grad: &[f32], learning_rate: f32) {
        let (h, lookback) = (self.spec.hidden, self.spec.lookback);
        let n = rows * h;
        self.head.backward(&self.hidden[lookback - 1][..n], rows, output_grad, Some(&mut self.hidden_grad[..n]));
        self.grads.fill(0.0);
        self.cell_grad[..n].fill(0.0);
        let (bias_at, recurrent_at) = self.offsets();
        for t in (0..lookback).rev() {
            let gates = &self.gates[t];
            let dz = &mut self.gate_grad[..rows * 4 * h];
            for r in 0..rows {
                let gate = &gates[r * 4 * h..(r + 1) * 4 * h];
                let d = &mut dz[r * 4 * h..(r + 1) * 4 * h];
                for j in 0..h {
                    let k = r * h + j;
                    let (i, f, g, o) = (gate[j], gate[h + j], gate[2 * h + j], gate[3 * h + j]);
                    let (dh, tc) = (self.hidden_grad[k], self.cells_tanh[t][k]);
                    let dc = self.cell_grad[k] + dh * o * (1.0 - tc * tc);
                    let previous = if t > 0 { self.cells[t - 1][k] } else { 0.0 };
                    d[j] = dc * g * i * (1.0 - i);
                    d[h + j] = dc * previous * f * (1.0 - f);
                    d[2 * h + j] = dc * i * (1.0 - g * g);
                    d[3 * h + j] = dh * tc * o * (1.0 - o);
                    self.cell_grad[k] = dc * f;
                }
            }
            let dz = View::row_major(&self.gate_grad[..rows * 4 * h], rows, 4 * h);
            let step = self.step_inputs(x, rows, t);
            matmul(&mut self.grads[..bias_at], step.t(), dz, true);
            for row in self.gate_grad[..rows * 4 * h].chunks_exact(4 * h) {
                self.grads[bias_at..recurrent_at].iter_mut().zip(row).for_each(|(g, d)| *g += d);
            }
            if t > 0 {
                let fed = View::row_major(&self.fed[t][..n], rows, h);
                matmul(&mut self.grads[recurrent_at..], fed.t(), dz, true);
                let recurrent_kernel = View::row_major(&self.params[recurrent_at..], h, 4 * h);
                matmul(&mut self.hidden_grad[..n], dz, recurrent_kernel.t(), false);
                if !self.masks.is_empty() {
                    self.hidden_grad[..n].iter_mut().zip(&self.masks[t][..n]).for_each(|(d, m)| *d *= m);
                }
            }
        }
        self.adam.step(learning_rate, &mut self.params, &self.grads);
        self.head.adam_step(learning_rate);
    }

    fn snapshot(&self) -> LstmWeights {
        let (input_kernel, bias, recurrent_kernel) = self.split();
        LstmWeights {
            spec: self.spec,
            input_kernel: input_kernel.to_vec(),
            recurrent_kernel: recurrent_kernel.to_vec(),
            bias: bias.to_vec(),
            head: self.head.snapshot(),
        }
    }
}

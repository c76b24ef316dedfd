//! What a trained model read from outside (an import, a stored version) must satisfy before it may
//! serve. A file that parses is not yet a model: every size, shape and number it carries is checked
//! against the model's type and against the other parts it must fit, so that a damaged or forged
//! file is rejected instead of installed as a model whose every prediction fails or is NaN.

use crate::error::{Error, ErrorKind, Result};
use crate::model::{FORMAT_VERSION, Head, NetWeights, TrainedModel};
use crate::net::DenseWeights;
use crate::net::lstm::LstmWeights;
use crate::spec::{Activation, ModelKind};

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::DataValidation, format!("Not a valid s3db-ml model: {}", message.into()))
}

/// The most steps a time series may look back (the configuration's own limit).
const MAX_LOOKBACK: usize = 10_000;

impl TrainedModel {
    /// Checks that the parts of a restored model fit together and that every number in it is one
    /// a prediction can use.
    pub fn validate(&self) -> Result<()> {
        if self.format_version != FORMAT_VERSION {
            return Err(invalid(format!("its manifest says format version {}", self.format_version)));
        }
        if let Some(p) = &self.preparation {
            p.validate(&self.features)?;
        }
        self.check_columns()?;
        self.check_kind()?;
        self.check_scales()?;
        match &self.network {
            NetWeights::Dense(dense) => check_dense(dense, self.dense_inputs(), self.head)?,
            NetWeights::Lstm(lstm) => self.check_lstm(lstm)?,
        }
        self.check_head()?;
        self.check_linear()?;
        let counted = match &self.network {
            NetWeights::Dense(d) => dense_parameters(d),
            NetWeights::Lstm(l) => {
                l.input_kernel.len() + l.recurrent_kernel.len() + l.bias.len() + dense_parameters(&l.head)
            }
        };
        if self.parameters != counted {
            return Err(invalid(format!("it says {} parameters, its network has {counted}", self.parameters)));
        }
        Ok(())
    }

    /// A JSON export shows some of the model next to its bytes (`type`, `features`, `target`,
    /// `lookback`, `polynomial`, `classes`): what it shows must be what the bytes hold, or the
    /// export was edited and which half to believe is unknown. Absent keys are not compared. An
    /// export that shows a key in several places (a regression's `polynomial` at its top level and
    /// in its `config`) passes an array of such objects: every one must hold.
    pub fn check_described(&self, shown: &serde_json::Value) -> Result<()> {
        if let Some(claims) = shown.as_array() {
            return claims.iter().try_for_each(|claim| self.check_described(claim));
        }
        let ours = serde_json::json!({
            "type": self.kind,
            "features": self.features,
            "target": self.target,
            "lookback": self.lookback,
            "polynomial": self.polynomial,
            "classes": self.labels,
        });
        for (key, value) in ours.as_object().into_iter().flatten() {
            let Some(shown) = shown.get(key).filter(|v| !v.is_null()) else { continue };
            let same = match (shown.as_f64(), value.as_f64()) {
                (Some(a), Some(b)) => a == b,
                _ => shown == value,
            };
            if !same {
                return Err(Error::new(
                    ErrorKind::DataValidation,
                    format!(
                        "The export says {key} {shown} but the model in it has {value}; it was altered after export"
                    ),
                )
                .with("field", key.as_str()));
            }
        }
        Ok(())
    }

    /// The network's inputs per step of the features: one per encoded column, a category one
    /// unit per vocabulary entry (see crate::preparation).
    fn feature_units(&self) -> usize {
        crate::model::step_expansion(self.preparation.as_ref(), false)
            .map_or(self.encoded_features().len(), |e| e.width())
    }

    /// The exact least-squares part of regression, of networks over a numeric target and of time
    /// series: one finite weight per network input (per value of a time series' window), on a
    /// value head.
    fn check_linear(&self) -> Result<()> {
        let Some(linear) = &self.linear else { return Ok(()) };
        let inputs = match self.kind {
            ModelKind::TimeSeries => self.lookback.saturating_mul(self.feature_units() + 1),
            _ => self.dense_inputs(),
        };
        if self.kind == ModelKind::Classification || self.head != Head::Value || linear.weights.len() != inputs {
            return Err(invalid(format!(
                "a linear part of {} weights for a {:?} model of {inputs} inputs",
                linear.weights.len(),
                self.kind,
            )));
        }
        if !linear.intercept.is_finite() || linear.weights.iter().any(|w| !w.is_finite()) {
            return Err(invalid("its linear part holds non-finite weights"));
        }
        Ok(())
    }

    /// The inputs of a dense network over this model's features (expanded when polynomial).
    fn dense_inputs(&self) -> usize {
        match self.polynomial {
            1 => self.feature_units(),
            p => crate::polynomial::term_count(self.feature_units(), p),
        }
    }

    fn check_columns(&self) -> Result<()> {
        // A univariate time series forecasts from its own past alone; every other model needs inputs.
        if self.features.is_empty() && self.kind != ModelKind::TimeSeries {
            return Err(invalid("it has no features"));
        }
        let features = self.encoded_features().len();
        if self.normalizer.features.len() != features {
            return Err(invalid(format!(
                "{features} encoded features but {} normaliser entries",
                self.normalizer.features.len()
            )));
        }
        if self.features.iter().chain([&self.target]).any(|name| name.trim().is_empty()) {
            return Err(invalid("a feature or target name is empty"));
        }
        Ok(())
    }

    /// The model's type decides its network, head, expansion and window.
    fn check_kind(&self) -> Result<()> {
        let series = self.kind == ModelKind::TimeSeries;
        if series != matches!(self.network, NetWeights::Lstm(_)) {
            return Err(invalid(format!("a {:?} model cannot have this network", self.kind)));
        }
        let head_ok = match self.kind {
            ModelKind::Regression | ModelKind::TimeSeries => self.head == Head::Value,
            ModelKind::Classification => self.head == Head::Labels,
            ModelKind::NeuralNetwork => true,
        };
        if !head_ok {
            return Err(invalid(format!("a {:?} model cannot have a {:?} head", self.kind, self.head)));
        }
        if !(1..=5).contains(&self.polynomial) || (self.polynomial > 1 && self.kind != ModelKind::Regression) {
            return Err(invalid(format!("polynomial degree {} for a {:?} model", self.polynomial, self.kind)));
        }
        let lookback_ok = match &self.network {
            NetWeights::Lstm(l) => (1..=MAX_LOOKBACK).contains(&self.lookback) && self.lookback == l.spec.lookback,
            NetWeights::Dense(_) => self.lookback == 1,
        };
        if !lookback_ok {
            return Err(invalid(format!("lookback {} for a {:?} model", self.lookback, self.kind)));
        }
        Ok(())
    }

    /// Normaliser, calibration and temperature: finite, and ranges that are ranges.
    fn check_scales(&self) -> Result<()> {
        let scales = self.normalizer.features.iter().chain(self.normalizer.target.as_ref());
        if let Some(bad) = scales.into_iter().find(|m| !(m.min.is_finite() && m.max.is_finite() && m.min <= m.max)) {
            return Err(invalid(format!("normaliser range [{}, {}]", bad.min, bad.max)));
        }
        if let Some(c) = &self.calibration {
            let fraction = |v: f64| (0.0..=1.0).contains(&v);
            let ok = c.coverage > 0.0
                && c.coverage < 1.0
                && c.half_width.is_finite()
                && c.half_width >= 0.0
                && c.tolerance.is_finite()
                && c.tolerance >= 0.0
                && fraction(c.within_tolerance);
            if !ok {
                return Err(invalid("its interval calibration holds impossible values"));
            }
        }
        if !(self.temperature.is_finite() && self.temperature > 0.0) {
            return Err(invalid(format!("temperature {}", self.temperature)));
        }
        // The explanation reference: one finite value per input column.
        if let Some(reference) = &self.reference
            && (reference.len() != self.input_columns().len() || reference.iter().any(|v| !v.is_finite()))
        {
            return Err(invalid("the explanation reference does not fit the input columns"));
        }
        if let Some(frequencies) = &self.reference_frequencies
            && (frequencies.len() != crate::explain::reference::category_units(self)
                || frequencies.iter().any(|f| !(0.0..=1.0).contains(f)))
        {
            return Err(invalid("the category reference does not fit the categories"));
        }
        Ok(())
    }

    fn check_lstm(&self, lstm: &LstmWeights) -> Result<()> {
        let s = &lstm.spec;
        if s.step_inputs != self.feature_units() + 1 || s.hidden == 0 || s.dense == 0 {
            return Err(invalid(format!(
                "its LSTM takes {} values per step with {} units; the features make {}",
                s.step_inputs,
                s.hidden,
                self.feature_units() + 1
            )));
        }
        if !(0.0..1.0).contains(&s.dropout) || !(0.0..1.0).contains(&s.recurrent_dropout) {
            return Err(invalid("its LSTM's dropout is not a fraction"));
        }
        let gates = s.hidden.checked_mul(4);
        let sizes_ok = gates.and_then(|g| g.checked_mul(s.step_inputs)) == Some(lstm.input_kernel.len())
            && gates.and_then(|g| g.checked_mul(s.hidden)) == Some(lstm.recurrent_kernel.len())
            && gates == Some(lstm.bias.len());
        if !sizes_ok {
            return Err(invalid("its LSTM kernels have inconsistent sizes"));
        }
        if !lstm.input_kernel.iter().chain(&lstm.recurrent_kernel).chain(&lstm.bias).all(|v| v.is_finite()) {
            return Err(invalid("its LSTM has a weight that is not a finite number"));
        }
        if lstm.head.layers.first().map(|l| l.units) != Some(s.dense) {
            return Err(invalid("its LSTM's dense layer does not match its spec"));
        }
        // The head reads the last hidden state and outputs the value.
        check_dense(&lstm.head, s.hidden, Head::Value)
    }

    /// Labels belong to label heads, one per output, each a string, number or boolean.
    fn check_head(&self) -> Result<()> {
        if self.labels.len() != self.label_keys.len() {
            return Err(invalid("labels and label keys differ in number"));
        }
        match self.head {
            Head::Labels => {
                let outputs = match &self.network {
                    NetWeights::Dense(d) => d.outputs(),
                    NetWeights::Lstm(_) => 0,
                };
                if outputs < 2 || outputs != self.labels.len() {
                    return Err(invalid(format!("{outputs} outputs for {} labels", self.labels.len())));
                }
                if !self.labels.iter().all(|l| l.is_string() || l.is_number() || l.is_boolean()) {
                    return Err(invalid("a label is not a string, number or boolean"));
                }
            }
            _ if !self.labels.is_empty() => return Err(invalid(format!("a {:?} head has labels", self.head))),
            Head::Value if self.calibration.is_none() || self.normalizer.target.is_none() => {
                return Err(invalid("a numeric model needs its calibration and target scale"));
            }
            _ => {}
        }
        Ok(())
    }
}

/// A dense network taking `inputs` values whose output `head` reads: layers that connect, sizes
/// that match their weights, finite weights, and the output activation the head expects.
fn check_dense(dense: &DenseWeights, inputs: usize, head: Head) -> Result<()> {
    let Some(last) = dense.layers.last() else {
        return Err(invalid("its network has no layers"));
    };
    if dense.inputs() != inputs {
        return Err(invalid(format!("the network takes {} inputs, the features make {inputs}", dense.inputs())));
    }
    for pair in dense.layers.windows(2) {
        if pair[0].units != pair[1].inputs {
            return Err(invalid("consecutive layers do not connect"));
        }
    }
    for (i, layer) in dense.layers.iter().enumerate() {
        let sizes_ok = layer.inputs > 0
            && layer.units > 0
            && layer.inputs.checked_mul(layer.units) == Some(layer.weight.len())
            && layer.bias.len() == layer.units
            && layer
                .batch_norm
                .as_ref()
                .is_none_or(|bn| bn.scale.len() == layer.units && bn.shift.len() == layer.units);
        if !sizes_ok {
            return Err(invalid(format!("layer {i} has inconsistent sizes")));
        }
        let norm = layer.batch_norm.iter().flat_map(|bn| bn.scale.iter().chain(&bn.shift));
        if !layer.weight.iter().chain(&layer.bias).chain(norm).all(|v| v.is_finite()) {
            return Err(invalid(format!("layer {i} has a weight that is not a finite number")));
        }
    }
    // What the output layer computes must be what the head reads.
    let output_ok = match head {
        Head::Labels => last.activation == Activation::Softmax,
        Head::Probability => last.activation == Activation::Sigmoid && last.units == 1,
        Head::Value => last.activation != Activation::Softmax && last.units == 1,
    };
    if !output_ok {
        return Err(invalid(format!(
            "a {head:?} head cannot read a {:?} output of {} units",
            last.activation, last.units
        )));
    }
    Ok(())
}

/// Trainable parameters of dense weights whose sizes were checked.
fn dense_parameters(dense: &DenseWeights) -> usize {
    dense
        .layers
        .iter()
        .map(|l| l.weight.len() + l.bias.len() + l.batch_norm.as_ref().map_or(0, |bn| bn.scale.len() + bn.shift.len()))
        .sum()
}

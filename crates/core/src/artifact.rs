//! A trained model as one self-contained file in the safetensors format: every weight a named
//! little-endian f32 tensor, everything else (kind, features, normaliser, labels, calibration,
//! report) as a JSON manifest in the header's `__metadata__`. Standard safetensors readers load
//! the weights; [`from_safetensors`] restores the model and checks every byte it trusts.
//!
//! Layout (https://github.com/huggingface/safetensors): 8-byte little-endian header length `N`,
//! `N` bytes of JSON `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": {…} }`,
//! then the tensor data, offsets relative to the end of the header.

use crate::error::{Error, ErrorKind, Result};
use crate::model::{FORMAT_VERSION, NetWeights, TrainedModel};
use crate::net::DenseWeights;
use serde_json::{Map, Value, json};

/// Headers beyond this are not models but mistakes or attacks.
const MAX_HEADER_BYTES: usize = 16 << 20;
/// The metadata key holding the manifest.
const MANIFEST_KEY: &str = "s3db-ml";

/// One weight tensor: its name, shape and values.
struct NamedTensor<'a> {
    name: String,
    shape: Vec<usize>,
    values: &'a [f32],
}

/// The tensors of a network, in a fixed order.
fn tensors(network: &NetWeights) -> Vec<NamedTensor<'_>> {
    let mut out = Vec::new();
    match network {
        NetWeights::Dense(dense) => dense_tensors("layers", dense, &mut out),
        NetWeights::Lstm(lstm) => {
            let (inputs, gates) = (lstm.spec.step_inputs, lstm.spec.hidden.saturating_mul(4));
            let hidden = lstm.spec.hidden;
            out.push(NamedTensor {
                name: "lstm.input_kernel".into(),
                shape: vec![inputs, gates],
                values: &lstm.input_kernel,
            });
            out.push(NamedTensor {
                name: "lstm.recurrent_kernel".into(),
                shape: vec![hidden, gates],
                values: &lstm.recurrent_kernel,
            });
            out.push(NamedTensor { name: "lstm.bias".into(), shape: vec![gates], values: &lstm.bias });
            dense_tensors("head", &lstm.head, &mut out);
        }
    }
    out
}

fn dense_tensors<'a>(prefix: &str, dense: &'a DenseWeights, out: &mut Vec<NamedTensor<'a>>) {
    for (i, layer) in dense.layers.iter().enumerate() {
        out.push(NamedTensor {
            name: format!("{prefix}.{i}.weight"),
            shape: vec![layer.inputs, layer.units],
            values: &layer.weight,
        });
        out.push(NamedTensor { name: format!("{prefix}.{i}.bias"), shape: vec![layer.units], values: &layer.bias });
        if let Some(bn) = &layer.batch_norm {
            out.push(NamedTensor {
                name: format!("{prefix}.{i}.bn_scale"),
                shape: vec![layer.units],
                values: &bn.scale,
            });
            out.push(NamedTensor {
                name: format!("{prefix}.{i}.bn_shift"),
                shape: vec![layer.units],
                values: &bn.shift,
            });
        }
    }
}

/// Mutable views of the same tensors, for loading.
fn tensor_slots(network: &mut NetWeights) -> Vec<(String, &mut Vec<f32>)> {
    let mut out = Vec::new();
    match network {
        NetWeights::Dense(dense) => dense_slots("layers", dense, &mut out),
        NetWeights::Lstm(lstm) => {
            out.push(("lstm.input_kernel".to_string(), &mut lstm.input_kernel));
            out.push(("lstm.recurrent_kernel".to_string(), &mut lstm.recurrent_kernel));
            out.push(("lstm.bias".to_string(), &mut lstm.bias));
            dense_slots("head", &mut lstm.head, &mut out);
        }
    }
    out
}

fn dense_slots<'a>(prefix: &str, dense: &'a mut DenseWeights, out: &mut Vec<(String, &'a mut Vec<f32>)>) {
    for (i, layer) in dense.layers.iter_mut().enumerate() {
        out.push((format!("{prefix}.{i}.weight"), &mut layer.weight));
        out.push((format!("{prefix}.{i}.bias"), &mut layer.bias));
        if let Some(bn) = layer.batch_norm.as_mut() {
            out.push((format!("{prefix}.{i}.bn_scale"), &mut bn.scale));
            out.push((format!("{prefix}.{i}.bn_shift"), &mut bn.shift));
        }
    }
}

/// The model's manifest: the model with every weight vector emptied.
fn manifest(model: &TrainedModel) -> Result<String> {
    let mut skeleton = model.clone();
    for (_, values) in tensor_slots(&mut skeleton.network) {
        *values = Vec::new();
    }
    serde_json::to_string(&skeleton).map_err(|e| Error::training(format!("could not describe the model: {e}")))
}

/// The f64 numbers prediction depends on besides the weights (normaliser, calibration), stored as
/// F64 tensors: JSON would not bring every f64 back bit for bit, and predictions after a reload
/// must be identical.
fn exact_values(model: &TrainedModel) -> Vec<(String, Vec<usize>, Vec<f64>)> {
    let mut out = Vec::new();
    let features: Vec<f64> = model.normalizer.features.iter().flat_map(|m| [m.min, m.max]).collect();
    out.push(("normalizer.features".to_string(), vec![model.normalizer.features.len(), 2], features));
    if let Some(t) = model.normalizer.target {
        out.push(("normalizer.target".to_string(), vec![2], vec![t.min, t.max]));
    }
    if let Some(c) = &model.calibration {
        out.push(("calibration".to_string(), vec![4], vec![c.coverage, c.half_width, c.tolerance, c.within_tolerance]));
    }
    if model.head == crate::model::Head::Labels {
        out.push(("temperature".to_string(), vec![1], vec![model.temperature]));
    }
    if let Some(p) = &model.preparation {
        out.push(("preparation".to_string(), vec![p.features.len(), 2], p.exact_values()));
    }
    if let Some(reference) = &model.reference {
        out.push(("reference".to_string(), vec![reference.len()], reference.clone()));
    }
    if let Some(frequencies) = &model.reference_frequencies {
        out.push(("reference.categories".to_string(), vec![frequencies.len()], frequencies.clone()));
    }
    if let Some(importance) = &model.importance {
        let values = std::iter::once(importance.baseline).chain(importance.features.iter().map(|f| f.importance));
        out.push(("importance".to_string(), vec![importance.features.len() + 1], values.collect()));
    }
    if let Some(linear) = &model.linear {
        let mut values = linear.weights.clone();
        values.push(linear.intercept);
        out.push(("linear".to_string(), vec![values.len()], values));
    }
    out
}

fn restore_exact_values(model: &mut TrainedModel, name: &str, values: &[f64]) -> Result<()> {
    match name {
        "normalizer.features" if values.len() == 2 * model.normalizer.features.len() => {
            for (mm, pair) in model.normalizer.features.iter_mut().zip(values.chunks_exact(2)) {
                (mm.min, mm.max) = (pair[0], pair[1]);
            }
        }
        "normalizer.target" if values.len() == 2 && model.normalizer.target.is_some() => {
            model.normalizer.target = Some(crate::data::MinMax { min: values[0], max: values[1] });
        }
        "calibration" if values.len() == 4 && model.calibration.is_some() => {
            let c = model.calibration.as_mut().expect("checked");
            (c.coverage, c.half_width, c.tolerance, c.within_tolerance) = (values[0], values[1], values[2], values[3]);
        }
        "reference" if model.reference.as_ref().is_some_and(|r| r.len() == values.len()) => {
            model.reference = Some(values.to_vec());
        }
        "reference.categories" if model.reference_frequencies.as_ref().is_some_and(|r| r.len() == values.len()) => {
            model.reference_frequencies = Some(values.to_vec());
        }
        "importance" if model.importance.as_ref().is_some_and(|i| i.features.len() + 1 == values.len()) => {
            let importance = model.importance.as_mut().expect("checked");
            importance.baseline = values[0];
            importance.features.iter_mut().zip(&values[1..]).for_each(|(f, &v)| f.importance = v);
        }
        "linear" if model.linear.as_ref().is_some_and(|l| l.weights.len() + 1 == values.len()) => {
            let linear = model.linear.as_mut().expect("checked");
            let (weights, intercept) = values.split_at(values.len() - 1);
            (linear.weights, linear.intercept) = (weights.to_vec(), intercept[0]);
        }
        "temperature" if values.len() == 1 && values[0].is_finite() && values[0] > 0.0 => model.temperature = values[0],
        "preparation" if model.preparation.as_mut().is_some_and(|p| p.restore_exact_values(values)) => {}
        _ => return Err(invalid(format!("tensor {name} does not fit the model"))),
    }
    Ok(())
}

/// Serialises a trained model to safetensors bytes.
pub fn to_safetensors(model: &TrainedModel) -> Result<Vec<u8>> {
    let tensors = tensors(&model.network);
    let exact = exact_values(model);
    let mut header = Map::new();
    let mut offset = 0usize;
    // F64 tensors first, so every tensor starts aligned to its element size.
    for (name, shape, values) in &exact {
        let bytes = values.len() * 8;
        header
            .insert(name.clone(), json!({ "dtype": "F64", "shape": shape, "data_offsets": [offset, offset + bytes] }));
        offset += bytes;
    }
    for t in &tensors {
        let bytes = t.values.len() * 4;
        header.insert(
            t.name.clone(),
            json!({ "dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + bytes] }),
        );
        offset += bytes;
    }
    header.insert(
        "__metadata__".into(),
        json!({
            "format": "s3db-ml",
            "formatVersion": FORMAT_VERSION.to_string(),
            "s3dbMlVersion": env!("CARGO_PKG_VERSION"),
            "burnVersion": "0.22.1",
            MANIFEST_KEY: manifest(model)?,
        }),
    );
    let mut header_bytes = serde_json::to_vec(&Value::Object(header)).map_err(|e| Error::training(e.to_string()))?;
    // The data must start 8-byte aligned (the format's rule, so readers can map it in place).
    while (8 + header_bytes.len()) % 8 != 0 {
        header_bytes.push(b' ');
    }
    let mut out = Vec::with_capacity(8 + header_bytes.len() + offset);
    out.extend_from_slice(&(header_bytes.len() as u64).to_le_bytes());
    out.extend_from_slice(&header_bytes);
    for (_, _, values) in &exact {
        for v in values {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    for t in &tensors {
        for v in t.values {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    Ok(out)
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::DataValidation, format!("Not a valid s3db-ml model: {}", message.into()))
}

/// Restores a model from safetensors bytes, rejecting anything truncated, inconsistent,
/// oversized or from an unknown format version, without allocating more than the input's size.
pub fn from_safetensors(bytes: &[u8]) -> Result<TrainedModel> {
    if bytes.len() < 8 {
        return Err(invalid(format!("{} bytes is too short for a safetensors header", bytes.len())));
    }
    let header_len = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
    if header_len > MAX_HEADER_BYTES as u64 || header_len > (bytes.len() - 8) as u64 {
        return Err(invalid(format!("header length {header_len} does not fit in {} bytes", bytes.len())));
    }
    let header_end = 8 + header_len as usize;
    let header: Map<String, Value> =
        serde_json::from_slice(&bytes[8..header_end]).map_err(|e| invalid(format!("unreadable header: {e}")))?;
    let data = &bytes[header_end..];
    let metadata = header.get("__metadata__").and_then(Value::as_object).ok_or_else(|| invalid("no __metadata__"))?;
    if metadata.get("format").and_then(Value::as_str) != Some("s3db-ml") {
        return Err(invalid("its metadata does not say format \"s3db-ml\""));
    }
    let version = metadata.get("formatVersion").and_then(Value::as_str).unwrap_or("?");
    if version != FORMAT_VERSION.to_string() {
        return Err(Error::new(
            ErrorKind::ModelConfig,
            format!(
                "The model was written in s3db-ml format version {version}; this build reads version {FORMAT_VERSION}"
            ),
        )
        .with("formatVersion", version));
    }
    let manifest = metadata.get(MANIFEST_KEY).and_then(Value::as_str).ok_or_else(|| invalid("no manifest"))?;
    let mut model: TrainedModel = serde_json::from_str(manifest).map_err(|e| invalid(format!("bad manifest: {e}")))?;
    let expected: Vec<(String, Vec<usize>)> = tensors(&model.network).into_iter().map(|t| (t.name, t.shape)).collect();
    let exact: Vec<(String, Vec<usize>)> = exact_values(&model).into_iter().map(|(n, s, _)| (n, s)).collect();
    if header.len() - 1 != expected.len() + exact.len() {
        return Err(invalid(format!("{} tensors, expected {}", header.len() - 1, expected.len() + exact.len())));
    }
    for (name, shape) in &exact {
        let values: Vec<f64> = tensor_bytes(&header, data, name, "F64", shape, 8)?
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().expect("8")))
            .collect();
        restore_exact_values(&mut model, name, &values)?;
    }
    for ((name, slot), (_, shape)) in tensor_slots(&mut model.network).into_iter().zip(&expected) {
        *slot = tensor_bytes(&header, data, &name, "F32", shape, 4)?
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("4")))
            .collect();
    }
    model.validate()?;
    Ok(model)
}

/// The bytes of tensor `name`, after checking its dtype, its shape and that it lies in `data`.
fn tensor_bytes<'a>(
    header: &Map<String, Value>,
    data: &'a [u8],
    name: &str,
    dtype: &str,
    shape: &[usize],
    element_size: usize,
) -> Result<&'a [u8]> {
    let entry = header.get(name).ok_or_else(|| invalid(format!("tensor {name} is missing")))?;
    if entry.get("dtype").and_then(Value::as_str) != Some(dtype) {
        return Err(invalid(format!("tensor {name} is not {dtype}")));
    }
    let got_shape: Vec<usize> = serde_json::from_value(entry.get("shape").cloned().unwrap_or(Value::Null))
        .map_err(|_| invalid(format!("tensor {name} has no shape")))?;
    if got_shape != shape {
        return Err(invalid(format!("tensor {name} has shape {got_shape:?}, the model needs {shape:?}")));
    }
    let offsets: [usize; 2] = serde_json::from_value(entry.get("data_offsets").cloned().unwrap_or(Value::Null))
        .map_err(|_| invalid(format!("tensor {name} has no data_offsets")))?;
    // Checked: a forged shape such as [2^62, 4] must not wrap around to a small size that matches.
    let size = shape.iter().try_fold(element_size, |acc, &d| acc.checked_mul(d));
    if offsets[1] < offsets[0] || offsets[1] > data.len() || Some(offsets[1] - offsets[0]) != size {
        return Err(invalid(format!(
            "tensor {name} lies outside the data ({} bytes) or has the wrong size",
            data.len()
        )));
    }
    Ok(&data[offsets[0]..offsets[1]])
}

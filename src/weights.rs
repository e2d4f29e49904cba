//! Model weights as safetensors files: `layers.{k}.weight` `[out, in]` and `layers.{k}.bias`
//! `[out]`, f32 little-endian, loadable by PyTorch's `safetensors.torch.load_file` into an MLP of
//! `nn.Linear` layers.
//!
//! The writer is hand-rolled (the format is an 8-byte header length, a JSON header and the raw
//! data) so that the header's key order is sorted and the same model gives the same bytes; the
//! reader is the `safetensors` crate, which validates everything a foreign file could get wrong.

use std::path::Path;

use ndarray::{Array1, Array2};
use safetensors::{Dtype, SafeTensors};
use serde_json::{Map, Value, json};

use crate::nn::{Activation, Linear, Mlp};

/// Serialise `model` with `metadata` (string values only, as the format requires).
pub fn to_bytes(model: &Mlp, metadata: &Map<String, Value>) -> Vec<u8> {
    let mut header = Map::new();
    let mut data: Vec<u8> = Vec::new();
    let mut push =
        |name: String, shape: Vec<usize>, values: &[f32], header: &mut Map<String, Value>| {
            let start = data.len();
            for v in values {
                data.extend_from_slice(&v.to_le_bytes());
            }
            header.insert(
                name,
                json!({"dtype": "F32", "shape": shape, "data_offsets": [start, data.len()]}),
            );
        };
    for (k, layer) in model.layers.iter().enumerate() {
        let w = layer.weight.as_standard_layout();
        push(
            format!("layers.{k}.weight"),
            vec![layer.fan_out(), layer.fan_in()],
            w.as_slice().expect("standard layout"),
            &mut header,
        );
        push(
            format!("layers.{k}.bias"),
            vec![layer.fan_out()],
            layer.bias.as_slice().expect("contiguous"),
            &mut header,
        );
    }
    let meta: Map<String, Value> = metadata
        .iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), Value::String(s))
        })
        .collect();
    header.insert("__metadata__".into(), Value::Object(meta));
    let mut header_bytes = serde_json::to_vec(&Value::Object(header)).expect("JSON");
    while !header_bytes.len().is_multiple_of(8) {
        header_bytes.push(b' ');
    }
    let mut out = Vec::with_capacity(8 + header_bytes.len() + data.len());
    out.extend_from_slice(&(header_bytes.len() as u64).to_le_bytes());
    out.extend_from_slice(&header_bytes);
    out.extend_from_slice(&data);
    out
}

/// A model read from a file, with the file's metadata.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub model: Mlp,
    pub metadata: Map<String, Value>,
}

/// Read a weights file. `flag` names the option that pointed at it, for error messages.
/// The activation comes from the file's metadata when present, else `default_activation`.
pub fn load(path: &Path, flag: &str, default_activation: Activation) -> anyhow::Result<Loaded> {
    load_fitting(path, flag, default_activation, None)
}

/// [`load`] for weights that must fit a model known beforehand: `fits` is the bytes of its
/// tensors and a description of it, and a file whose tensors take more is refused before its
/// data is read. Every read is bounded (`crate::limits::read_weights`).
pub fn load_fitting(
    path: &Path,
    flag: &str,
    default_activation: Activation,
    fits: Option<(u64, &str)>,
) -> anyhow::Result<Loaded> {
    let shown = format!("{flag} {}", path.display());
    let bytes = crate::limits::read_weights(path, &shown, fits)?;
    from_bytes(&bytes, &shown, default_activation)
}

/// What a weights file's header claims, read without its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// Bytes of tensor data.
    pub data_bytes: u64,
    /// Layer widths (input, hidden…, output) from the shapes of `layers.{k}.weight`, when they
    /// chain; `None` otherwise (loading the file names the problem).
    pub sizes: Option<Vec<usize>>,
}

/// The header of the weights file at `path` (named `flag PATH` in messages), for a memory
/// estimate before any weights are read.
pub fn claimed(path: &Path, flag: &str) -> anyhow::Result<Claimed> {
    let shown = format!("{flag} {}", path.display());
    let Some((header, data_bytes)) = crate::limits::weights_header(path, &shown)? else {
        return Ok(Claimed {
            data_bytes: 0,
            sizes: None,
        });
    };
    let shape = |k: usize| -> Option<(usize, usize)> {
        let s = header.get(format!("layers.{k}.weight"))?.get("shape")?;
        let out = usize::try_from(s.get(0)?.as_u64()?).ok()?;
        let inp = usize::try_from(s.get(1)?.as_u64()?).ok()?;
        Some((out, inp))
    };
    let mut sizes: Vec<usize> = Vec::new();
    let mut k = 0;
    while let Some((out, inp)) = shape(k) {
        if sizes.last().is_some_and(|&prev| prev != inp) {
            sizes.clear();
            break;
        }
        if sizes.is_empty() {
            sizes.push(inp);
        }
        sizes.push(out);
        k += 1;
    }
    Ok(Claimed {
        data_bytes,
        sizes: (sizes.len() >= 2).then_some(sizes),
    })
}

/// Parse safetensors bytes; `source` prefixes error messages.
pub fn from_bytes(
    bytes: &[u8],
    source: &str,
    default_activation: Activation,
) -> anyhow::Result<Loaded> {
    let (_, header) = SafeTensors::read_metadata(bytes)
        .map_err(|e| crate::input_err!("{source}: not a valid safetensors file ({e})"))?;
    let tensors = SafeTensors::deserialize(bytes)
        .map_err(|e| crate::input_err!("{source}: not a valid safetensors file ({e})"))?;
    let metadata: Map<String, Value> = header
        .metadata()
        .as_ref()
        .map(|m| {
            let mut sorted: Vec<_> = m.iter().collect();
            sorted.sort();
            sorted
                .into_iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect()
        })
        .unwrap_or_default();
    let mut layers = Vec::new();
    loop {
        let k = layers.len();
        let w_name = format!("layers.{k}.weight");
        let b_name = format!("layers.{k}.bias");
        let Ok(w) = tensors.tensor(&w_name) else {
            break;
        };
        let b = tensors
            .tensor(&b_name)
            .map_err(|_| crate::input_err!("{source}: has {w_name} but no {b_name}"))?;
        for (name, t) in [(&w_name, &w), (&b_name, &b)] {
            if t.dtype() != Dtype::F32 {
                crate::input_bail!("{source}: {name} is {:?}, lrtool needs F32", t.dtype());
            }
        }
        let (ws, bs) = (w.shape(), b.shape());
        if ws.len() != 2 || bs.len() != 1 || bs[0] != ws[0] || ws[0] == 0 || ws[1] == 0 {
            crate::input_bail!(
                "{source}: {w_name} has shape {ws:?} and {b_name} {bs:?}; expected [out, in] and [out]"
            );
        }
        if let Some(prev) = layers.last().map(|l: &Linear| l.fan_out())
            && prev != ws[1]
        {
            crate::input_bail!(
                "{source}: {w_name} has shape {ws:?} but layer {} outputs {}",
                k - 1,
                crate::words::count(prev, "value")
            );
        }
        let weight = Array2::from_shape_vec((ws[0], ws[1]), decode(w.data()))?;
        let bias = Array1::from_vec(decode(b.data()));
        if weight.iter().chain(bias.iter()).any(|v| !v.is_finite()) {
            crate::input_bail!("{source}: layer {k} holds NaN or infinite weights");
        }
        layers.push(Linear { weight, bias });
    }
    if layers.is_empty() {
        let names = tensors.names().join(", ");
        crate::input_bail!(
            "{source}: no tensor named layers.0.weight (the file holds: {})",
            if names.is_empty() { "nothing" } else { &names }
        );
    }
    let activation = match metadata.get("activation").and_then(Value::as_str) {
        Some(name) => Activation::from_name(name).ok_or_else(|| {
            crate::input_err!("{source}: unknown activation \"{name}\" in the metadata")
        })?,
        None => default_activation,
    };
    Ok(Loaded {
        model: Mlp { layers, activation },
        metadata,
    })
}

/// Little-endian f32 values from bytes that need not be 4-byte aligned.
fn decode(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::InitScheme;
    use rand::SeedableRng;

    fn model() -> Mlp {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        Mlp::new(&[3, 5, 2], Activation::Tanh, InitScheme::Torch, &mut rng)
    }

    #[test]
    fn round_trip_is_exact_and_deterministic() {
        let m = model();
        let mut meta = Map::new();
        meta.insert("activation".into(), Value::String("tanh".into()));
        meta.insert("format".into(), Value::String("pt".into()));
        let bytes = to_bytes(&m, &meta);
        assert_eq!(bytes, to_bytes(&m, &meta));
        let back = from_bytes(&bytes, "test", Activation::Relu).unwrap();
        assert_eq!(back.model, m);
        assert_eq!(back.metadata.get("format").unwrap(), "pt");
    }

    #[test]
    fn rejects_garbage_and_truncation() {
        let m = model();
        let bytes = to_bytes(&m, &Map::new());
        for bad in [&b"hello world"[..], &bytes[..bytes.len() - 3], &[][..]] {
            let err = from_bytes(bad, "w.safetensors", Activation::Relu).unwrap_err();
            assert!(crate::error::is_input_error(&err), "{err}");
            assert!(err.to_string().starts_with("w.safetensors: "), "{err}");
        }
    }
}

//! IDX loader (the MNIST file format): an images file and a labels file, optionally gzipped,
//! become a classification `Dataset`.
//!
//! Layout of an IDX file: bytes 0 and 1 are zero, byte 2 is the element type (only `0x08`,
//! unsigned bytes, is accepted), byte 3 is the number of dimensions, then one big-endian `u32`
//! per dimension, then the data in C order. Every check is done on the header before anything
//! large is allocated.

use std::path::Path;

use ndarray::Array2;

use super::gz::maybe_gunzip;
use super::{Dataset, Target};

/// The IDX element type code for unsigned bytes, the only one accepted.
const TYPE_U8: u8 = 0x08;

/// Reads an images file and a labels file (each optionally gzipped) into a dataset named after
/// the images file. A missing or unreadable file is an `InputError` naming the flag and the path;
/// so is a file that is not IDX (saying how far it was read) or whose data does not fit the memory
/// limit once converted to `f32`.
pub fn load_idx_files(images: &Path, labels: &Path) -> anyhow::Result<Dataset> {
    let images_src = format!("--dataset {}", images.display());
    let labels_src = format!("--labels {}", labels.display());
    let image_read = crate::limits::read_idx(images, &images_src)?;
    let label_read = crate::limits::read_idx(labels, &labels_src)?;
    for (read, src) in [(&image_read, &images_src), (&label_read, &labels_src)] {
        if read.stopped
            && let Err(e) = parse_idx(&read.bytes, src)
        {
            crate::input_bail!("{e}; {}", read.stopped_note());
        }
    }
    // the pixels become f32 (4 bytes each) beside the bytes they come from
    let mut estimate = crate::limits::memory::Estimate::new();
    estimate.add("the IDX data", image_read.bytes.len() as u128);
    estimate.add("its f32 features", 4 * image_read.bytes.len() as u128);
    estimate.check_with(
        &format!("loading {images_src}"),
        "use a smaller file or raise the limit with --max-memory-mb",
    )?;
    let name = images
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| images.display().to_string());
    parse_idx_pair(
        &image_read.bytes,
        &label_read.bytes,
        &images_src,
        &labels_src,
        &name,
    )
}

/// Parses an IDX images file and an IDX labels file (each optionally gzipped) into a
/// classification dataset called `name`; `images_src` and `labels_src` name the files in errors.
///
/// Images have 3 dimensions `N×rows×cols` (features `pixel_{r}_{c}`, row-major) or 2 dimensions
/// `N×features` (features `feature_{j}`); labels have 1 dimension `N`. Pixels become `f32` in
/// `0..=255`, unscaled. There are `max label + 1` classes, named `"0"`, `"1"`, ….
pub fn parse_idx_pair(
    images: &[u8],
    labels: &[u8],
    images_src: &str,
    labels_src: &str,
    name: &str,
) -> anyhow::Result<Dataset> {
    let images = maybe_gunzip(images, images_src)?;
    let labels = maybe_gunzip(labels, labels_src)?;
    let (image_dims, pixels) = parse_idx(&images, images_src)?;
    let (label_dims, label_data) = parse_idx(&labels, labels_src)?;

    if !(2..=3).contains(&image_dims.len()) {
        crate::input_bail!(
            "{images_src}: an images file needs 3 dimensions (N×rows×cols) or 2 (N×features), \
             this one has {} ({})",
            image_dims.len(),
            format_dims(&image_dims)
        );
    }
    if label_dims.len() != 1 {
        crate::input_bail!(
            "{labels_src}: a labels file needs 1 dimension, this one has {} ({})",
            label_dims.len(),
            format_dims(&label_dims)
        );
    }
    let n = image_dims[0];
    if n == 0 {
        crate::input_bail!("{images_src}: the file holds no images");
    }
    if image_dims[1..].contains(&0) {
        crate::input_bail!(
            "{images_src}: the images have no pixels ({})",
            format_dims(&image_dims)
        );
    }
    // N ≥ 1 and no zero dimension: the pixel count is bounded by the file size.
    let feature_names: Vec<String> = match image_dims[1..] {
        [rows, cols] => (0..rows)
            .flat_map(|r| (0..cols).map(move |c| format!("pixel_{r}_{c}")))
            .collect(),
        _ => (0..image_dims[1]).map(|j| format!("feature_{j}")).collect(),
    };
    if label_dims[0] != n {
        crate::input_bail!(
            "{images_src} holds {n} images but {labels_src} holds {} labels",
            label_dims[0]
        );
    }

    let n_classes = label_data
        .iter()
        .copied()
        .max()
        .map_or(0, |m| usize::from(m) + 1);
    if n_classes < 2 {
        crate::input_bail!(
            "{labels_src}: only one class (\"0\") in the labels; classification needs at least two"
        );
    }
    let x = Array2::from_shape_vec(
        (n, feature_names.len()),
        pixels.iter().map(|&p| f32::from(p)).collect(),
    )?;
    Ok(Dataset {
        name: name.to_owned(),
        x,
        y: Target::Classes {
            labels: label_data.iter().map(|&l| u32::from(l)).collect(),
            names: (0..n_classes).map(|k| k.to_string()).collect(),
        },
        feature_names,
        encoding: None,
    })
}

/// `28×28`-style text for a list of dimensions.
fn format_dims(dims: &[usize]) -> String {
    dims.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join("×")
}

/// Validates one decompressed IDX file of unsigned bytes and returns its dimensions and data.
fn parse_idx<'a>(bytes: &'a [u8], src: &str) -> anyhow::Result<(Vec<usize>, &'a [u8])> {
    let &[zero0, zero1, dtype, ndim, ..] = bytes else {
        crate::input_bail!(
            "{src}: not an IDX file (only {} bytes, shorter than the 4-byte magic)",
            bytes.len()
        );
    };
    if zero0 != 0 || zero1 != 0 {
        crate::input_bail!(
            "{src}: not an IDX file (magic 0x{zero0:02x}{zero1:02x}{dtype:02x}{ndim:02x}, \
             expected 0x0000 then a type byte)"
        );
    }
    if dtype != TYPE_U8 {
        let what = match dtype {
            0x09 => "signed bytes",
            0x0B => "16-bit integers",
            0x0C => "32-bit integers",
            0x0D => "32-bit floats",
            0x0E => "64-bit floats",
            _ => crate::input_bail!(
                "{src}: not an IDX file (magic 0x0000{dtype:02x}{ndim:02x}: unknown type 0x{dtype:02x})"
            ),
        };
        crate::input_bail!(
            "{src}: IDX element type 0x{dtype:02x} ({what}) is not supported; only unsigned \
             bytes (0x08) are"
        );
    }
    if ndim == 0 {
        crate::input_bail!("{src}: the IDX header declares 0 dimensions");
    }
    let header_len = 4 + 4 * usize::from(ndim);
    let Some(dim_bytes) = bytes.get(4..header_len) else {
        crate::input_bail!(
            "{src}: truncated IDX header: {ndim} dimensions need {header_len} header bytes, the \
             file holds {}",
            bytes.len()
        );
    };
    let dims: Vec<usize> = dim_bytes
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let expected = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .and_then(|data| data.checked_add(header_len));
    let Some(expected) = expected else {
        crate::input_bail!(
            "{src}: the IDX header claims dimensions {} whose size overflows",
            format_dims(&dims)
        );
    };
    if bytes.len() < expected {
        crate::input_bail!(
            "{src}: truncated IDX data: the header ({}) needs {expected} bytes, the file holds {}",
            format_dims(&dims),
            bytes.len()
        );
    }
    if bytes.len() > expected {
        crate::input_bail!(
            "{src}: {} bytes of unexpected data after the {expected} bytes the IDX header ({}) \
             describes",
            bytes.len() - expected,
            format_dims(&dims)
        );
    }
    Ok((dims, &bytes[header_len..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::is_input_error;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    /// An IDX file of unsigned bytes with the given dimensions and data.
    fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut out = vec![0, 0, TYPE_U8, dims.len() as u8];
        for d in dims {
            out.extend(d.to_be_bytes());
        }
        out.extend(data);
        out
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    /// 5 images of 2×3 pixels (pixel value = 10·image + index) and labels 0..=3.
    fn sample() -> (Vec<u8>, Vec<u8>) {
        let pixels: Vec<u8> = (0..5u8)
            .flat_map(|i| (0..6u8).map(move |p| 10 * i + p))
            .collect();
        (idx(&[5, 2, 3], &pixels), idx(&[5], &[3, 0, 1, 2, 1]))
    }

    fn parse(images: &[u8], labels: &[u8]) -> anyhow::Result<Dataset> {
        parse_idx_pair(images, labels, "img.idx", "lbl.idx", "img.idx")
    }

    fn input_error(images: &[u8], labels: &[u8]) -> String {
        let err = parse(images, labels).expect_err("expected an error");
        assert!(is_input_error(&err), "not an InputError: {err:#}");
        err.to_string()
    }

    #[test]
    fn round_trip() {
        let (images, labels) = sample();
        let ds = parse(&images, &labels).unwrap();
        assert_eq!(ds.x.shape(), &[5, 6]);
        assert_eq!(ds.x[[0, 0]], 0.0);
        assert_eq!(ds.x[[3, 4]], 34.0);
        assert_eq!(
            ds.feature_names,
            [
                "pixel_0_0",
                "pixel_0_1",
                "pixel_0_2",
                "pixel_1_0",
                "pixel_1_1",
                "pixel_1_2"
            ]
        );
        assert_eq!(
            ds.y,
            Target::Classes {
                labels: vec![3, 0, 1, 2, 1],
                names: vec!["0".into(), "1".into(), "2".into(), "3".into()],
            }
        );
        assert_eq!(ds.name, "img.idx");
    }

    #[test]
    fn pixels_are_not_scaled() {
        let ds = parse(&idx(&[2, 1, 1], &[255, 7]), &idx(&[2], &[0, 1])).unwrap();
        assert_eq!(ds.x.column(0).to_vec(), [255.0, 7.0]);
    }

    #[test]
    fn gzipped_files_are_read() {
        let (images, labels) = sample();
        let ds = parse(&gzip(&images), &gzip(&labels)).unwrap();
        assert_eq!(ds.x.shape(), &[5, 6]);
        assert_eq!(ds.n_classes(), 4);
    }

    #[test]
    fn two_dimensional_images_are_features() {
        let ds = parse(&idx(&[3, 2], &[1, 2, 3, 4, 5, 6]), &idx(&[3], &[0, 1, 0])).unwrap();
        assert_eq!(ds.x.shape(), &[3, 2]);
        assert_eq!(ds.feature_names, ["feature_0", "feature_1"]);
    }

    #[test]
    fn wrong_magic_is_refused() {
        let (mut images, labels) = sample();
        images[0] = 0x50;
        let msg = input_error(&images, &labels);
        assert!(
            msg.starts_with("img.idx: not an IDX file (magic 0x50000803"),
            "{msg}"
        );
        let msg = input_error(b"a,b\n1,2\n", &labels);
        assert!(
            msg.starts_with("img.idx: not an IDX file (magic 0x612c620a"),
            "{msg}"
        );
        let msg = input_error(&[0, 0], &labels);
        assert!(msg.starts_with("img.idx: not an IDX file"), "{msg}");
    }

    #[test]
    fn other_element_types_are_refused() {
        let (mut images, labels) = sample();
        images[2] = 0x0D;
        let msg = input_error(&images, &labels);
        assert!(
            msg.contains("type 0x0d (32-bit floats) is not supported"),
            "{msg}"
        );
        images[2] = 0x42;
        let msg = input_error(&images, &labels);
        assert!(msg.contains("not an IDX file"), "{msg}");
    }

    #[test]
    fn truncated_data_states_both_sizes() {
        let (images, labels) = sample();
        let msg = input_error(&images[..images.len() - 1], &labels);
        assert_eq!(
            msg,
            "img.idx: truncated IDX data: the header (5×2×3) needs 46 bytes, the file holds 45"
        );
        let msg = input_error(&images, &labels[..labels.len() - 2]);
        assert!(msg.starts_with("lbl.idx: truncated IDX data"), "{msg}");
        let msg = input_error(&images[..10], &labels);
        assert!(msg.starts_with("img.idx: truncated IDX header"), "{msg}");
    }

    #[test]
    fn trailing_data_is_refused() {
        let (mut images, labels) = sample();
        images.push(0);
        let msg = input_error(&images, &labels);
        assert!(
            msg.starts_with("img.idx: 1 bytes of unexpected data"),
            "{msg}"
        );
    }

    #[test]
    fn huge_header_claim_allocates_nothing() {
        // 4 billion images of 28×28 in a 16-byte file: refused from the header alone.
        let images = idx(&[4_000_000_000, 28, 28], &[]);
        let msg = input_error(&images, &idx(&[1], &[0]));
        assert!(msg.starts_with("img.idx: truncated IDX data"), "{msg}");
        assert!(msg.contains("the file holds 16"), "{msg}");
        let labels = idx(&[4_000_000_000], &[]);
        let msg = input_error(&sample().0, &labels);
        assert!(msg.starts_with("lbl.idx: truncated IDX data"), "{msg}");
        // Dimensions whose product overflows.
        let msg = input_error(&idx(&[u32::MAX; 255], &[]), &labels);
        assert!(msg.contains("overflows"), "{msg}");
    }

    #[test]
    fn count_mismatch_is_refused() {
        let (images, _) = sample();
        let msg = input_error(&images, &idx(&[4], &[0, 1, 2, 3]));
        assert_eq!(msg, "img.idx holds 5 images but lbl.idx holds 4 labels");
    }

    #[test]
    fn wrong_dimension_counts_are_refused() {
        let (images, labels) = sample();
        let msg = input_error(&labels, &labels);
        assert!(
            msg.starts_with("img.idx: an images file needs 3 dimensions"),
            "{msg}"
        );
        let msg = input_error(&images, &images);
        assert!(
            msg.starts_with("lbl.idx: a labels file needs 1 dimension"),
            "{msg}"
        );
        let msg = input_error(&idx(&[0, 2, 2], &[]), &idx(&[0], &[]));
        assert!(msg.contains("no images"), "{msg}");
    }

    #[test]
    fn single_class_is_refused() {
        let msg = input_error(&idx(&[2, 1, 1], &[1, 2]), &idx(&[2], &[0, 0]));
        assert!(msg.contains("only one class"), "{msg}");
    }

    #[test]
    fn truncated_gzip_is_refused() {
        let (images, labels) = sample();
        let gz = gzip(&images);
        let msg = input_error(&gz[..gz.len() - 5], &labels);
        assert!(
            msg.starts_with("img.idx: truncated or corrupt gzip data"),
            "{msg}"
        );
    }

    #[test]
    fn files_are_read_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let (images, labels) = sample();
        let ip = dir.path().join("train-images-idx3-ubyte.gz");
        let lp = dir.path().join("train-labels-idx1-ubyte");
        std::fs::write(&ip, gzip(&images)).unwrap();
        std::fs::write(&lp, labels).unwrap();
        let ds = load_idx_files(&ip, &lp).unwrap();
        assert_eq!(ds.name, "train-images-idx3-ubyte.gz");
        assert_eq!(ds.n_samples(), 5);
        let err = load_idx_files(&ip, &dir.path().join("missing")).unwrap_err();
        assert!(is_input_error(&err));
        assert!(
            err.to_string().contains("missing: cannot read the file"),
            "{err}"
        );
    }
}

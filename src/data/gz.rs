//! Transparent gzip: detects gzip data by its magic bytes and decompresses it to memory.

use std::borrow::Cow;

/// The two bytes every gzip member starts with.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// True when `bytes` starts with the gzip magic `1f 8b`.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&GZIP_MAGIC)
}

/// Returns `bytes` decompressed when they are gzip data (detected by the magic `1f 8b`, not by
/// a file extension), or unchanged otherwise.
///
/// Concatenated gzip members are all decompressed (like `gunzip`). `source` names the data in
/// error messages; truncated or corrupt gzip data, or data expanding beyond `--max-input-mb`, is
/// an [`InputError`](crate::error::InputError).
pub fn maybe_gunzip<'a>(bytes: &'a [u8], source: &str) -> anyhow::Result<Cow<'a, [u8]>> {
    if !is_gzip(bytes) {
        return Ok(Cow::Borrowed(bytes));
    }
    let limit = crate::limits::max_input_bytes();
    Ok(Cow::Owned(crate::limits::gunzip_bounded(
        bytes, source, limit,
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::is_input_error;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn plain_bytes_pass_through_borrowed() {
        let out = maybe_gunzip(b"a,b\n1,2\n", "x.csv").unwrap();
        assert!(matches!(out, Cow::Borrowed(_)));
        assert_eq!(&*out, b"a,b\n1,2\n");
    }

    #[test]
    fn gzip_is_detected_by_magic_and_decompressed() {
        let gz = gzip(b"hello world");
        let out = maybe_gunzip(&gz, "x.bin").unwrap();
        assert_eq!(&*out, b"hello world");
    }

    #[test]
    fn concatenated_members_are_all_read() {
        let mut both = gzip(b"abc");
        both.extend(gzip(b"def"));
        assert_eq!(&*maybe_gunzip(&both, "x").unwrap(), b"abcdef");
    }

    #[test]
    fn truncated_gzip_is_an_input_error_naming_the_file() {
        let data: Vec<u8> = (0..2000u32).flat_map(|i| i.to_le_bytes()).collect();
        let gz = gzip(&data);
        let err = maybe_gunzip(&gz[..gz.len() / 2], "data.csv.gz").unwrap_err();
        assert!(is_input_error(&err));
        let msg = err.to_string();
        assert!(
            msg.starts_with("data.csv.gz: truncated or corrupt gzip data"),
            "{msg}"
        );
    }

    #[test]
    fn corrupt_gzip_is_an_input_error() {
        let mut gz = gzip(b"some text that compresses");
        let n = gz.len();
        gz[n - 6] ^= 0xff; // the CRC32 trailer
        let err = maybe_gunzip(&gz, "f.gz").unwrap_err();
        assert!(is_input_error(&err));
        assert!(
            err.to_string()
                .contains("f.gz: truncated or corrupt gzip data")
        );
    }
}

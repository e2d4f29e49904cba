//! Bounds on what lrtool reads and allocates, so that no input makes it grow until the kernel
//! kills it (docs/reliability.md, "Limits").
//!
//! Every file lrtool reads goes through [`read`] (or [`read_weights`], [`read_idx`]) with a
//! [`Kind`] that sets its limit: configuration and run records are small and have fixed limits;
//! data files, logs and weights are bounded by `--max-input-mb` (default 2048 MiB). Gzip data is
//! decompressed while it is read, and the limit applies to the decompressed bytes. Text files are
//! refused at their first NUL byte (no CSV or JSON text holds one), so `/dev/zero` or a binary
//! file given as text is refused at once instead of after reading up to the limit. Exceeding a
//! limit is an input error (exit 2) naming the file, the limit and how to raise it.
//!
//! The memory a run will need is estimated before anything is built ([`memory`]) and compared
//! with `--max-memory-mb` (default: what the kernel says is available).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::read::MultiGzDecoder;

pub mod memory;

const MIB: u64 = 1 << 20;

/// `--max-input-mb` when not given: data files, logs and weights up to 2 GiB.
pub const DEFAULT_MAX_INPUT_MB: u64 = 2048;
/// A `--config` file (or a comparison's experiment file) is at most 16 MiB.
pub const CONFIG_MAX_BYTES: u64 = 16 * MIB;
/// A run record (`summary.json`, `timing.json`, a plot inlined by `report`) is at most 64 MiB.
pub const RECORD_MAX_BYTES: u64 = 64 * MIB;
/// The JSON header of a safetensors file is at most 64 MiB (the safetensors crate allows 100 MB).
pub const WEIGHTS_HEADER_MAX_BYTES: u64 = 64 * MIB;

/// `--max-input-mb` in bytes; 0 = not set.
static MAX_INPUT: AtomicU64 = AtomicU64::new(0);

/// Set the process-wide `--max-input-mb` (`None`: the default). Called once per command line.
pub fn set_max_input_mb(mb: Option<u64>) {
    MAX_INPUT.store(mb.map_or(0, |m| m.saturating_mul(MIB)), Ordering::Relaxed);
}

/// The limit of data files, logs and weights in bytes.
pub fn max_input_bytes() -> u64 {
    match MAX_INPUT.load(Ordering::Relaxed) {
        0 => DEFAULT_MAX_INPUT_MB * MIB,
        n => n,
    }
}

/// What a file is to lrtool, which sets its limit and how it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A CSV dataset, `predict`'s input or `suggest`'s curve: text, optionally gzipped.
    CsvData,
    /// A `--config` file or a comparison's experiment file.
    Config,
    /// `summary.json`, `timing.json`, a plot: what lrtool wrote in a run folder.
    Record,
    /// A run's CSV log (`steps.csv`, `epochs.csv`) read back by `report` and `compare`.
    Log,
}

impl Kind {
    /// The limit in bytes (after decompression).
    pub fn limit(self) -> u64 {
        match self {
            Kind::CsvData | Kind::Log => max_input_bytes(),
            Kind::Config => CONFIG_MAX_BYTES,
            Kind::Record => RECORD_MAX_BYTES,
        }
    }

    /// "the limit for …" in messages, with how to raise it.
    fn limit_text(self) -> String {
        let size = show_bytes(self.limit());
        match self {
            Kind::CsvData => format!("{size}, the limit for a data file; --max-input-mb raises it"),
            Kind::Log => format!("{size}, the limit for a log file; --max-input-mb raises it"),
            Kind::Config => format!("{size}, the fixed limit for a configuration file"),
            Kind::Record => format!("{size}, the fixed limit for a run record"),
        }
    }

    fn gunzip(self) -> bool {
        self == Kind::CsvData
    }
}

/// A size for people: whole MiB or GiB when exact, else bytes.
pub fn show_bytes(n: u64) -> String {
    if n >= 1 << 30 && n.is_multiple_of(1 << 30) {
        format!("{} GiB", n >> 30)
    } else if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n >> 20)
    } else if n >= MIB {
        format!("{:.1} MiB", n as f64 / MIB as f64)
    } else {
        crate::words::count(n, "byte")
    }
}

/// Why a read failed: the file could not be read at all (the caller words that), or it was
/// refused for its size or content (an input error with the whole message).
#[derive(Debug)]
pub enum ReadError {
    Io(io::Error),
    Refused(anyhow::Error),
}

impl ReadError {
    /// The error, with `io` wording a plain read failure.
    pub fn or_io(self, io: impl FnOnce(io::Error) -> anyhow::Error) -> anyhow::Error {
        match self {
            ReadError::Io(e) => io(e),
            ReadError::Refused(e) => e,
        }
    }
}

/// Read the whole file at `path` as `kind` (gzip decompressed when the kind allows it); `shown`
/// names the file in messages. A failed read says "SHOWN: cannot read the file: …".
pub fn read(path: &Path, shown: &str, kind: Kind) -> anyhow::Result<Vec<u8>> {
    read_raw(path, shown, kind)
        .map_err(|e| e.or_io(|e| crate::input_err!("{shown}: cannot read the file: {e}")))
}

/// [`read`] as UTF-8 text (a byte-order mark is kept: the caller's parser decides).
pub fn read_text(path: &Path, shown: &str, kind: Kind) -> anyhow::Result<String> {
    let bytes = read(path, shown, kind)?;
    String::from_utf8(bytes).map_err(|e| {
        let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        crate::input_err!("{shown} line {line}: not valid UTF-8 text")
    })
}

/// [`read`] with the plain read failure left to the caller.
pub fn read_raw(path: &Path, shown: &str, kind: Kind) -> Result<Vec<u8>, ReadError> {
    let file = File::open(path).map_err(ReadError::Io)?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    if meta.is_dir() {
        return Err(ReadError::Io(io::Error::new(
            io::ErrorKind::IsADirectory,
            "is a folder",
        )));
    }
    let limit = kind.limit();
    let mut input = BufReader::with_capacity(64 * 1024, file);
    let gzip = kind.gunzip() && input.fill_buf().map_err(ReadError::Io)?.starts_with(&GZIP);
    let regular = meta.is_file().then_some(meta.len());
    if !gzip && regular.is_some_and(|len| len > limit) {
        return Err(ReadError::Refused(crate::input_err!(
            "{shown}: the file holds {} bytes, above {}",
            meta.len(),
            kind.limit_text()
        )));
    }
    let capacity = regular.map_or(0, |len| len.min(limit)) as usize;
    // every kind read whole is text: CSV, JSON or SVG
    let inner: Box<dyn Read> = if gzip {
        Box::new(MultiGzDecoder::new(input))
    } else {
        Box::new(input)
    };
    let mut reader = Bounded {
        inner,
        left: limit,
        offset: 0,
        text: true,
        // an IDX file given as CSV is read whole, for the parser to point at --labels
        idx_hint: kind == Kind::CsvData,
    };
    let mut out = Vec::with_capacity(capacity);
    match reader.read_to_end(&mut out) {
        Ok(_) => Ok(out),
        Err(e) => Err(refusal(e, shown, gzip, || kind.limit_text())),
    }
}

/// The two bytes every gzip member starts with.
const GZIP: [u8; 2] = [0x1f, 0x8b];

/// What [`Bounded`] found, carried inside an `io::Error`.
#[derive(Debug)]
enum Stop {
    /// More bytes than the limit.
    TooLong,
    /// A NUL byte at this offset of a text file.
    Nul(u64),
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for Stop {}

/// Reads at most `left` bytes from `inner` (one more is an error) and, for text, no NUL byte.
struct Bounded<'a> {
    inner: Box<dyn Read + 'a>,
    left: u64,
    offset: u64,
    text: bool,
    /// Data that starts like an IDX file (`00 00 08`) is not held to being text.
    idx_hint: bool,
}

impl Read for Bounded<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = buf
            .len()
            .min(usize::try_from(self.left + 1).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n as u64 > self.left {
            return Err(io::Error::other(Stop::TooLong));
        }
        if self.idx_hint && self.offset == 0 && buf[..n].starts_with(&[0, 0, 8]) {
            self.text = false;
        }
        if self.text
            && let Some(i) = buf[..n].iter().position(|&b| b == 0)
        {
            return Err(io::Error::other(Stop::Nul(self.offset + i as u64)));
        }
        self.left -= n as u64;
        self.offset += n as u64;
        Ok(n)
    }
}

/// The input error for a failed bounded read: the limit, a NUL byte, broken gzip, or I/O.
fn refusal(
    e: io::Error,
    shown: &str,
    gzip: bool,
    limit_text: impl FnOnce() -> String,
) -> ReadError {
    let stop = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<Stop>())
        .map(|s| match s {
            Stop::TooLong => 0,
            Stop::Nul(at) => at + 1,
        });
    match stop {
        Some(0) if gzip => ReadError::Refused(crate::input_err!(
            "{shown}: the gzip data expands to more than {}; not read further",
            limit_text()
        )),
        Some(0) => ReadError::Refused(crate::input_err!(
            "{shown}: more than {}; not read further",
            limit_text()
        )),
        Some(at) => ReadError::Refused(crate::input_err!(
            "{shown}: not text (byte {} is NUL); reading stopped there instead of at {}",
            at - 1,
            limit_text()
        )),
        None if gzip => ReadError::Refused(crate::input_err!(
            "{shown}: truncated or corrupt gzip data ({e})"
        )),
        None => ReadError::Io(e),
    }
}

/// Decompress gzip `bytes` already in memory, at most `limit` bytes of output; `source` names
/// the data. Used by the parsers that take bytes (and their fuzz targets).
pub fn gunzip_bounded(bytes: &[u8], source: &str, limit: u64) -> anyhow::Result<Vec<u8>> {
    let mut reader = Bounded {
        inner: Box::new(MultiGzDecoder::new(bytes)),
        left: limit,
        offset: 0,
        text: false,
        idx_hint: false,
    };
    let mut out = Vec::new();
    reader.read_to_end(&mut out).map_err(|e| {
        refusal(e, source, true, || {
            format!(
                "{}, the limit for a data file; --max-input-mb raises it",
                show_bytes(limit)
            )
        })
        .or_io(|e| crate::input_err!("{source}: truncated or corrupt gzip data ({e})"))
    })?;
    Ok(out)
}

/// What a binary file is, for the wording of its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binary {
    /// An IDX images or labels file.
    Data,
    /// A safetensors weights file.
    Weights,
}

impl Binary {
    /// "2 GiB, the limit for a data file; --max-input-mb raises it".
    pub fn limit_text(self) -> String {
        let noun = match self {
            Binary::Data => "a data file",
            Binary::Weights => "a weights file",
        };
        format!(
            "{}, the limit for {noun}; --max-input-mb raises it",
            show_bytes(max_input_bytes())
        )
    }
}

/// Open `path` for a streamed binary read (IDX, safetensors): gzip decompressed when `gunzip`,
/// at most `--max-input-mb` bytes.
fn open_binary(
    path: &Path,
    shown: &str,
    what: Binary,
    gunzip: bool,
) -> anyhow::Result<BinaryInput> {
    let cannot = |e: io::Error| crate::input_err!("{shown}: cannot read the file: {e}");
    let file = File::open(path).map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    if meta.is_dir() {
        crate::input_bail!("{shown}: cannot read the file: it is a folder");
    }
    let mut input = BufReader::with_capacity(64 * 1024, file);
    let gzip = gunzip && input.fill_buf().map_err(cannot)?.starts_with(&GZIP);
    let limit = max_input_bytes();
    if !gzip && meta.is_file() && meta.len() > limit {
        crate::input_bail!(
            "{shown}: the file holds {} bytes, above {}",
            meta.len(),
            what.limit_text()
        );
    }
    let inner: Box<dyn Read> = if gzip {
        Box::new(MultiGzDecoder::new(input))
    } else {
        Box::new(input)
    };
    Ok(BinaryInput {
        reader: Bounded {
            inner,
            left: limit,
            offset: 0,
            text: false,
            idx_hint: false,
        },
        shown: shown.to_string(),
        what,
        gzip,
        regular_len: (!gzip && meta.is_file()).then_some(meta.len()),
        bytes: Vec::new(),
    })
}

/// A binary file being read piece by piece into `bytes`.
struct BinaryInput {
    reader: Bounded<'static>,
    shown: String,
    what: Binary,
    gzip: bool,
    /// The size of a plain regular file (not a pipe, a device or gzip data).
    regular_len: Option<u64>,
    bytes: Vec<u8>,
}

impl BinaryInput {
    /// Append up to `n` more bytes (fewer at the end of the file).
    fn take(&mut self, n: u64) -> anyhow::Result<()> {
        let shown = self.shown.clone();
        let gzip = self.gzip;
        let what = self.what;
        (&mut self.reader)
            .take(n)
            .read_to_end(&mut self.bytes)
            .map_err(|e| {
                refusal(e, &shown, gzip, || what.limit_text())
                    .or_io(|e| crate::input_err!("{shown}: cannot read the file: {e}"))
            })?;
        Ok(())
    }

    /// Whether the file goes on after what was read (one byte is read to know, and dropped).
    fn goes_on(&mut self) -> bool {
        if let Some(len) = self.regular_len {
            return len > self.bytes.len() as u64;
        }
        let mut probe = [0u8; 1];
        matches!(self.reader.read(&mut probe), Ok(1) | Err(_))
    }

    /// The size so far is over the limit: refuse before reading what a header claims.
    fn check_claim(&self, total: u128, what: &str) -> anyhow::Result<()> {
        let limit = max_input_bytes();
        if total > u128::from(limit) {
            crate::input_bail!(
                "{}: {what} {total} bytes, above {}",
                self.shown,
                self.what.limit_text()
            );
        }
        Ok(())
    }
}

/// An IDX file as read by [`read_idx`].
#[derive(Debug)]
pub struct IdxRead {
    /// The file's bytes (decompressed), or its first bytes when they are not an IDX header.
    pub bytes: Vec<u8>,
    /// The read stopped before the end of the file (its first bytes are not an IDX header).
    pub stopped: bool,
}

impl IdxRead {
    /// What a message about a file whose read stopped adds: how far it was read and the limit.
    pub fn stopped_note(&self) -> String {
        format!(
            "read stopped after {} bytes (an IDX file is read only as far as its header claims, \
             at most {})",
            self.bytes.len(),
            Binary::Data.limit_text()
        )
    }
}

/// Read an IDX file (optionally gzipped) without reading past what its header claims: the
/// header is read first, the size it claims checked against `--max-input-mb`, then exactly that
/// much data and one byte more: data after what the header describes is refused here, with the
/// count of extra bytes for a regular file and without reading further for a stream. A header
/// that is not IDX is returned as read, with `stopped` set when the file goes on, for the parser
/// to name the problem.
pub fn read_idx(path: &Path, shown: &str) -> anyhow::Result<IdxRead> {
    let mut input = open_binary(path, shown, Binary::Data, true)?;
    input.take(4)?;
    let b = &input.bytes;
    if b.len() < 4 || b[..3] != [0, 0, 8] || !(1..=4).contains(&b[3]) {
        let stopped = input.goes_on();
        return Ok(IdxRead {
            bytes: input.bytes,
            stopped,
        });
    }
    let dims = u64::from(b[3]);
    input.take(4 * dims)?;
    if input.bytes.len() < (4 + 4 * dims) as usize {
        return Ok(IdxRead {
            bytes: input.bytes,
            stopped: false,
        });
    }
    let sizes: Vec<u128> = input.bytes[4..]
        .chunks_exact(4)
        .map(|c| u128::from(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
        .collect();
    let claimed: u128 = sizes.iter().product();
    let header = 4 + 4 * dims;
    input.check_claim(u128::from(header) + claimed, "its header claims")?;
    input.take(claimed as u64 + 1)?;
    let expected = header + claimed as u64;
    if input.bytes.len() as u64 > expected {
        let dims: Vec<String> = sizes.iter().map(u128::to_string).collect();
        match input.regular_len {
            Some(len) => crate::input_bail!(
                "{shown}: {} bytes of unexpected data after the {expected} bytes the IDX header ({}) describes",
                len - expected,
                dims.join("×")
            ),
            None => crate::input_bail!(
                "{shown}: unexpected data after the {expected} bytes the IDX header ({}) describes; \
                 read stopped there (an IDX file is read only as far as its header claims, at most {})",
                dims.join("×"),
                Binary::Data.limit_text()
            ),
        }
    }
    Ok(IdxRead {
        bytes: input.bytes,
        stopped: false,
    })
}

/// A safetensors file opened and read up to the end of its JSON header (at most 64 MiB), with
/// the header and the bytes of tensor data it claims; no header when it is not JSON (or the file
/// is shorter than 8 bytes), for the parser to name the problem.
fn open_weights(
    path: &Path,
    shown: &str,
) -> anyhow::Result<(BinaryInput, Option<(serde_json::Value, u64)>)> {
    let mut input = open_binary(path, shown, Binary::Weights, false)?;
    input.take(8)?;
    if input.bytes.len() < 8 {
        return Ok((input, None));
    }
    let n = u64::from_le_bytes(input.bytes[..8].try_into().expect("8 bytes"));
    if n < 2 {
        // not even `{}`: zeros (`/dev/zero`) or another format; nothing more is read
        crate::input_bail!(
            "{shown}: not a valid safetensors file: its header length is {n} bytes; read stopped after 8 bytes (a weights file may take up to {})",
            Binary::Weights.limit_text()
        );
    }
    if n > WEIGHTS_HEADER_MAX_BYTES {
        crate::input_bail!(
            "{shown}: not a valid safetensors file: its header claims {n} bytes, above the {} limit for a safetensors header (fixed; not read further)",
            show_bytes(WEIGHTS_HEADER_MAX_BYTES)
        );
    }
    input.take(n)?;
    let Ok(header) = serde_json::from_slice::<serde_json::Value>(&input.bytes[8..]) else {
        return Ok((input, None));
    };
    let end = header
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.as_str() != "__metadata__")
        .filter_map(|(_, t)| t["data_offsets"][1].as_u64())
        .max()
        .unwrap_or(0);
    Ok((input, Some((header, end))))
}

/// The JSON header of a safetensors file and the bytes of tensor data it claims, read without
/// its data (for a memory estimate before any weights are loaded); `None` when the header cannot
/// be read as JSON (loading the file names the problem).
pub fn weights_header(
    path: &Path,
    shown: &str,
) -> anyhow::Result<Option<(serde_json::Value, u64)>> {
    // a claim above --max-input-mb is refused here already, as the read would refuse it
    let (input, header) = open_weights(path, shown)?;
    if let Some((_, end)) = &header {
        input.check_claim(
            input.bytes.len() as u128 + u128::from(*end),
            "its header claims",
        )?;
    }
    Ok(header)
}

/// Read a safetensors file without reading past what its header claims: the 8-byte header
/// length (at most 64 MiB), the header, then the tensor data its offsets claim, checked first
/// against `--max-input-mb` and, when given, `fits` (the bytes of tensor data of the model the
/// weights must fit). A header that cannot be read is returned as read for the parser to name.
pub fn read_weights(
    path: &Path,
    shown: &str,
    fits: Option<(u64, &str)>,
) -> anyhow::Result<Vec<u8>> {
    let (mut input, header) = open_weights(path, shown)?;
    let Some((_, end)) = header else {
        return Ok(input.bytes);
    };
    if let Some((want, model)) = fits
        && end > want
    {
        crate::input_bail!(
            "{shown}: its tensors take {end} bytes, more than the {want} bytes of {model}; not read further"
        );
    }
    let read = input.bytes.len() as u128;
    input.check_claim(read + u128::from(end), "its header claims")?;
    input.take(end + 1)?;
    Ok(input.bytes)
}

/// `text` cut to at most `max` characters for a message, with an ellipsis and the full length
/// when it was longer.
pub fn cut(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_string();
    }
    let head: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{head}… ({count} characters)")
}

/// The longest value echoed whole in a message.
pub const ECHO_CHARS: usize = 200;

/// The most items of a list (of columns, say) a message names.
pub const LIST_ITEMS: usize = 20;

/// The longest message line lrtool prints.
pub const LINE_CHARS: usize = 4000;

/// `items` joined by ", " for a message: at most [`LIST_ITEMS`] of them, each cut to 60
/// characters, then how many more there are.
pub fn list<I: IntoIterator<Item = String>>(items: I) -> String {
    let mut shown = Vec::new();
    let mut more = 0usize;
    for item in items {
        if shown.len() < LIST_ITEMS {
            shown.push(cut(&item, 60));
        } else {
            more += 1;
        }
    }
    let mut text = shown.join(", ");
    if more > 0 {
        text.push_str(&format!(", … and {more} more"));
    }
    text
}

/// A message line made readable whatever it echoes: every word (run of non-spaces) longer than
/// [`ECHO_CHARS`] is cut, and the line is cut at [`LINE_CHARS`].
pub fn readable_line(text: &str) -> String {
    if text.len() <= ECHO_CHARS {
        return text.to_string();
    }
    let words: Vec<String> = text
        .split(' ')
        .map(|w| {
            if w.chars().count() > ECHO_CHARS {
                cut(w, ECHO_CHARS)
            } else {
                w.to_string()
            }
        })
        .collect();
    cut(&words.join(" "), LINE_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn gzip_expansion_is_bounded_and_says_so() {
        let gz = gzip(&vec![b'1'; 10_000]);
        assert_eq!(gunzip_bounded(&gz, "x.gz", 10_000).unwrap().len(), 10_000);
        let err = gunzip_bounded(&gz, "x.gz", 9_999).unwrap_err().to_string();
        assert!(
            err.starts_with("x.gz: the gzip data expands to more than 9999 bytes"),
            "{err}"
        );
        let err = gunzip_bounded(&gz[..gz.len() / 2], "x.gz", 1 << 20)
            .unwrap_err()
            .to_string();
        assert!(err.contains("truncated or corrupt gzip data"), "{err}");
    }

    #[test]
    fn text_stops_at_a_nul_byte() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        std::fs::write(&p, b"a,b\n1,\x002\n").unwrap();
        let err = read(&p, "a.csv", Kind::CsvData).unwrap_err().to_string();
        assert!(err.starts_with("a.csv: not text (byte 6 is NUL)"), "{err}");
        assert!(err.contains("--max-input-mb"), "{err}");
        std::fs::write(&p, b"a,b\n1,2\n").unwrap();
        assert_eq!(read(&p, "a.csv", Kind::CsvData).unwrap(), b"a,b\n1,2\n");
    }

    #[test]
    fn a_regular_file_over_the_limit_is_refused_without_reading() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.json");
        let f = File::create(&p).unwrap();
        f.set_len(CONFIG_MAX_BYTES + 1).unwrap();
        let err = read(&p, "--config c.json", Kind::Config)
            .unwrap_err()
            .to_string();
        assert!(err.contains("16777217 bytes, above 16 MiB"), "{err}");
    }

    #[test]
    fn cut_keeps_short_text_and_shortens_long_text() {
        assert_eq!(cut("abc", 5), "abc");
        let long = "x".repeat(1000);
        let c = cut(&long, 10);
        assert!(c.starts_with("xxxxxxxxx…"), "{c}");
        assert!(c.ends_with("(1000 characters)"), "{c}");
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(show_bytes(2048 << 20), "2 GiB");
        assert_eq!(show_bytes(16 << 20), "16 MiB");
        assert_eq!(show_bytes(1000), "1000 bytes");
    }
}

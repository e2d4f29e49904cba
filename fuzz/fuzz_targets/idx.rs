//! The IDX reader on arbitrary bytes: the first two bytes (big-endian) say where the input is cut
//! into the images file and the labels file. Any input must give a dataset or an error, never a
//! panic or a huge allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lrtool::data::idx::parse_idx_pair;

fuzz_target!(|input: &[u8]| {
    let Some((head, rest)) = input.split_at_checked(2) else {
        return;
    };
    let cut = usize::from(u16::from_be_bytes([head[0], head[1]])) % (rest.len() + 1);
    let (images, labels) = rest.split_at(cut);
    if let Ok(ds) = parse_idx_pair(images, labels, "images.idx", "labels.idx", "fuzz") {
        assert_eq!(ds.x.ncols(), ds.feature_names.len());
        assert!(ds.n_classes() >= 2);
    }
});

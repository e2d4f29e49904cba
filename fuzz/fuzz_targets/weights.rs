//! The weights loader on arbitrary bytes: never a panic; a file it accepts writes back to bytes
//! that load as the same model.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lrtool::nn::Activation;
use lrtool::weights::{from_bytes, to_bytes};

fuzz_target!(|bytes: &[u8]| {
    let Ok(loaded) = from_bytes(bytes, "fuzz.safetensors", Activation::Relu) else {
        return;
    };
    let again = to_bytes(&loaded.model, &loaded.metadata);
    let reloaded =
        from_bytes(&again, "round trip", Activation::Relu).expect("lrtool reads what it writes");
    assert_eq!(reloaded.model.sizes(), loaded.model.sizes());
    for (a, b) in reloaded.model.layers.iter().zip(&loaded.model.layers) {
        assert!(
            a.weight
                .iter()
                .zip(b.weight.iter())
                .all(|(x, y)| x.to_bits() == y.to_bits())
        );
        assert!(
            a.bias
                .iter()
                .zip(b.bias.iter())
                .all(|(x, y)| x.to_bits() == y.to_bits())
        );
    }
});

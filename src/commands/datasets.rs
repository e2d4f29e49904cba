//! `lrtool datasets`: the built-in and synthetic datasets with their shapes and tasks.

use serde_json::json;

use crate::cli::DatasetsArgs;
use crate::commands::common::{json_text, print_stdout};
use crate::data::builtin::BUILTIN;
use crate::data::source::DEFAULT_SAMPLES;
use crate::data::synthetic::SYNTHETIC;

pub fn run(args: DatasetsArgs) -> anyhow::Result<()> {
    if args.json {
        let builtin: Vec<_> = BUILTIN
            .iter()
            .map(|b| {
                json!({"name": b.name, "kind": "built-in", "samples": b.samples, "features": b.features,
                       "classes": b.classes, "task": "classify", "description": b.description})
            })
            .collect();
        let synthetic: Vec<_> = SYNTHETIC
            .iter()
            .map(|(name, desc)| {
                json!({"name": name, "kind": "synthetic", "samples": DEFAULT_SAMPLES,
                       "task": if *name == "sine" { "regress" } else { "classify" }, "description": desc})
            })
            .collect();
        return print_stdout(&json_text(
            &json!({"built_in": builtin, "synthetic": synthetic}),
        ));
    }
    let mut text = String::from("Built-in datasets (embedded in the binary):\n");
    text.push_str(&format!(
        "  {:<14} {:>8} {:>9} {:>8}  {}\n",
        "name", "samples", "features", "classes", "description"
    ));
    for b in BUILTIN {
        text.push_str(&format!(
            "  {:<14} {:>8} {:>9} {:>8}  {}\n",
            b.name, b.samples, b.features, b.classes, b.description
        ));
    }
    text.push_str(&format!(
        "\nSynthetic datasets (--samples, default {DEFAULT_SAMPLES}; --noise; drawn from --seed):\n"
    ));
    for (name, desc) in SYNTHETIC {
        text.push_str(&format!("  {name:<14} {desc}\n"));
    }
    text.push_str(
        "\nYour own data: --dataset FILE.csv[.gz] [--target COLUMN] [--task classify|regress],\n\
         or IDX files: --dataset images-idx3-ubyte[.gz] --labels labels-idx1-ubyte[.gz]\n",
    );
    print_stdout(&text)
}

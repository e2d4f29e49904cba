//! Resolves the `--dataset` flag (with `--labels`, `--target`, `--task`, `--samples`, `--noise`)
//! to a loaded `Dataset`: a built-in, a synthetic generator, a CSV file or an IDX pair.

use std::path::Path;

use super::csv::{ColumnList, CsvOptions, Encoding, MissingMode, SplitPlan, load_csv_file};
use super::{Dataset, Task, builtin, idx, synthetic};

/// Synthetic datasets get this many samples unless `--samples` says otherwise.
pub const DEFAULT_SAMPLES: usize = 1000;

/// The data flags of a command, as given on the command line (or in a config file).
#[derive(Debug, Clone, Copy, Default)]
pub struct DataSpec<'a> {
    /// `--dataset`: a built-in name, a synthetic name, or a file path (the images file when
    /// `labels` is given).
    pub dataset: &'a str,
    /// `--labels`: the IDX labels file; makes `dataset` an IDX images file.
    pub labels: Option<&'a Path>,
    /// `--target`: the CSV target column (default: the last column). CSV files only.
    pub target: Option<&'a str>,
    /// `--task`: force classification or regression. CSV files only.
    pub task: Option<Task>,
    /// `--samples`: how many samples a synthetic generator makes (default 1000).
    pub samples: Option<usize>,
    /// `--noise`: a synthetic generator's noise (default: the generator's own).
    pub noise: Option<f64>,
    /// `--seed`: drives the synthetic generators.
    pub seed: u64,
    /// `--features`: a CSV file's feature columns (default: all but the target).
    pub features: Option<&'a ColumnList>,
    /// `--drop`: CSV columns left out of the features.
    pub drop: Option<&'a ColumnList>,
    /// `--missing`: what a missing CSV cell does; `None` = error.
    pub missing: Option<MissingMode>,
    /// `--max-categories`: the most categories of a CSV text column (default 100).
    pub max_categories: Option<usize>,
    /// The split the run will draw, so that a CSV file's encoding learns from its training
    /// rows only (`None`: from every row).
    pub split: Option<SplitPlan>,
    /// A saved model's encoding of the CSV columns, used instead of fitting one (`evaluate`).
    pub fixed: Option<&'a Encoding>,
}

/// What kind of source `--dataset` named, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Builtin,
    Synthetic,
    Csv,
    Idx,
}

impl Kind {
    fn describe(self, dataset: &str) -> String {
        match self {
            Kind::Builtin => format!("the built-in dataset \"{dataset}\""),
            Kind::Synthetic => format!("the synthetic dataset \"{dataset}\""),
            Kind::Csv => format!("the file \"{dataset}\""),
            Kind::Idx => "IDX files (always classification)".to_owned(),
        }
    }
}

/// Loads the dataset the flags describe.
///
/// In order: with `labels`, an IDX pair (`dataset` is the images file); a built-in name; a
/// synthetic name (`samples` default 1000); otherwise a path, read as CSV (optionally gzipped)
/// when the file exists or its name ends in `.csv` / `.csv.gz`. Anything else, and flags that
/// do not apply to the chosen source (`--samples`/`--noise` outside synthetic data,
/// `--target`/`--task` outside CSV files), is an `InputError`.
pub fn load(spec: &DataSpec) -> anyhow::Result<Dataset> {
    let dataset = spec.dataset;
    let is_builtin = builtin::BUILTIN.iter().any(|b| b.name == dataset);
    let is_synthetic = synthetic::SYNTHETIC.iter().any(|(n, _)| *n == dataset);

    let kind = if spec.labels.is_some() {
        if (is_builtin || is_synthetic) && !Path::new(dataset).exists() {
            crate::input_bail!(
                "--labels only applies to IDX files, not to {}",
                if is_builtin {
                    Kind::Builtin
                } else {
                    Kind::Synthetic
                }
                .describe(dataset)
            );
        }
        Kind::Idx
    } else if is_builtin {
        Kind::Builtin
    } else if is_synthetic {
        Kind::Synthetic
    } else if looks_like_csv(dataset) || Path::new(dataset).exists() {
        Kind::Csv
    } else {
        crate::input_bail!(
            "--dataset \"{dataset}\": not a built-in dataset ({}), a synthetic one ({}) or an \
             existing file",
            builtin::names(),
            synthetic::names()
        );
    };

    if kind != Kind::Synthetic {
        let flags = match (spec.samples.is_some(), spec.noise.is_some()) {
            (true, true) => Some("--samples and --noise only apply"),
            (true, false) => Some("--samples only applies"),
            (false, true) => Some("--noise only applies"),
            (false, false) => None,
        };
        if let Some(flags) = flags {
            crate::input_bail!(
                "{flags} to synthetic datasets ({}), not to {}",
                synthetic::names(),
                kind.describe(dataset)
            );
        }
    }
    if kind != Kind::Csv {
        let csv_only = [
            ("--features", spec.features.is_some()),
            ("--drop", spec.drop.is_some()),
            ("--missing", spec.missing.is_some()),
            ("--max-categories", spec.max_categories.is_some()),
        ];
        if let Some((flag, _)) = csv_only.iter().find(|(_, given)| *given) {
            crate::input_bail!(
                "{flag} only applies to CSV files, not to {}",
                kind.describe(dataset)
            );
        }
        let flags = match (spec.target.is_some(), spec.task.is_some()) {
            (true, true) => Some("--target and --task only apply"),
            (true, false) => Some("--target only applies"),
            (false, true) => Some("--task only applies"),
            (false, false) => None,
        };
        if let Some(flags) = flags {
            crate::input_bail!("{flags} to CSV files, not to {}", kind.describe(dataset));
        }
    }

    match kind {
        Kind::Idx => {
            let labels = spec.labels.unwrap_or(Path::new(""));
            idx::load_idx_files(Path::new(dataset), labels)
        }
        Kind::Builtin => builtin::load(dataset).unwrap_or_else(|| {
            Err(anyhow::anyhow!(
                "\"{dataset}\" is listed as built-in but cannot be loaded"
            ))
        }),
        Kind::Synthetic => synthetic::generate(
            dataset,
            spec.samples.unwrap_or(DEFAULT_SAMPLES),
            spec.noise,
            spec.seed,
        ),
        Kind::Csv => load_csv_file(
            Path::new(dataset),
            &CsvOptions {
                target: spec.target.or(spec.fixed.map(|e| e.target.as_str())),
                task: spec.task,
                features: spec.features,
                drop: spec.drop,
                missing: spec.missing.unwrap_or_default(),
                max_categories: spec.max_categories,
                split: spec.split,
                fixed: spec.fixed,
            },
        ),
    }
}

/// True for names ending in `.csv` or `.csv.gz` (any case).
fn looks_like_csv(dataset: &str) -> bool {
    let lower = dataset.to_ascii_lowercase();
    lower.ends_with(".csv") || lower.ends_with(".csv.gz")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Target;
    use crate::error::is_input_error;

    fn input_error(spec: &DataSpec) -> String {
        let err = load(spec).expect_err("expected an error");
        assert!(is_input_error(&err), "not an InputError: {err:#}");
        err.to_string()
    }

    fn spec(dataset: &str) -> DataSpec<'_> {
        DataSpec {
            dataset,
            ..DataSpec::default()
        }
    }

    #[test]
    fn builtin_by_name() {
        let ds = load(&spec("iris")).unwrap();
        assert_eq!(ds.name, "iris");
        assert_eq!(ds.x.shape(), &[150, 4]);
    }

    #[test]
    fn synthetic_by_name_with_default_samples_and_seed() {
        let ds = load(&spec("moons")).unwrap();
        assert_eq!(ds.n_samples(), DEFAULT_SAMPLES);
        let a = load(&DataSpec {
            samples: Some(50),
            noise: Some(0.3),
            seed: 4,
            ..spec("spirals")
        })
        .unwrap();
        let b = synthetic::generate("spirals", 50, Some(0.3), 4).unwrap();
        assert_eq!(a.x, b.x);
    }

    #[test]
    fn csv_path_with_target_and_task() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.txt");
        std::fs::write(&path, "y,a\n1.5,1\n2.5,2\n").unwrap();
        let path = path.to_str().unwrap();
        let ds = load(&DataSpec {
            target: Some("y"),
            task: Some(Task::Regress),
            ..spec(path)
        })
        .unwrap();
        assert_eq!(ds.name, "data.txt");
        assert_eq!(ds.y, Target::Values(vec![1.5, 2.5]));
        assert_eq!(ds.feature_names, ["a"]);
    }

    #[test]
    fn missing_csv_file_names_the_path() {
        let msg = input_error(&spec("no/such/dir/train.csv"));
        assert!(
            msg.starts_with("--dataset no/such/dir/train.csv: cannot read the file"),
            "{msg}"
        );
    }

    #[test]
    fn unknown_name_lists_what_is_available() {
        let msg = input_error(&spec("foo"));
        assert!(
            msg.starts_with("--dataset \"foo\": not a built-in dataset (iris, wine"),
            "{msg}"
        );
        assert!(msg.contains("a synthetic one (moons, circles"), "{msg}");
        assert!(msg.ends_with("or an existing file"), "{msg}");
    }

    #[test]
    fn idx_pair_with_labels() {
        let dir = tempfile::tempdir().unwrap();
        let images = dir.path().join("images.idx");
        let labels = dir.path().join("labels.idx");
        std::fs::write(&images, [0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 1, 9, 7]).unwrap();
        std::fs::write(&labels, [0, 0, 8, 1, 0, 0, 0, 2, 1, 0]).unwrap();
        let ds = load(&DataSpec {
            labels: Some(&labels),
            ..spec(images.to_str().unwrap())
        })
        .unwrap();
        assert_eq!(ds.x.shape(), &[2, 1]);
        assert_eq!(ds.n_classes(), 2);
        let msg = input_error(&DataSpec {
            labels: Some(&labels),
            task: Some(Task::Classify),
            ..spec(images.to_str().unwrap())
        });
        assert!(
            msg.starts_with("--task only applies to CSV files, not to IDX"),
            "{msg}"
        );
        let msg = input_error(&DataSpec {
            labels: Some(&labels),
            samples: Some(10),
            ..spec(images.to_str().unwrap())
        });
        assert!(
            msg.starts_with("--samples only applies to synthetic datasets"),
            "{msg}"
        );
    }

    #[test]
    fn labels_with_a_named_dataset_is_refused() {
        let msg = input_error(&DataSpec {
            labels: Some(Path::new("labels.idx")),
            ..spec("digits")
        });
        assert!(
            msg.starts_with("--labels only applies to IDX files"),
            "{msg}"
        );
    }

    #[test]
    fn generator_flags_outside_synthetic_data_are_refused() {
        let msg = input_error(&DataSpec {
            samples: Some(10),
            ..spec("iris")
        });
        assert!(
            msg.starts_with("--samples only applies to synthetic datasets (moons,"),
            "{msg}"
        );
        assert!(
            msg.ends_with("not to the built-in dataset \"iris\""),
            "{msg}"
        );
        let msg = input_error(&DataSpec {
            noise: Some(0.1),
            ..spec("data.csv")
        });
        assert!(
            msg.starts_with("--noise only applies to synthetic"),
            "{msg}"
        );
        let msg = input_error(&DataSpec {
            samples: Some(10),
            noise: Some(0.1),
            ..spec("wine")
        });
        assert!(msg.starts_with("--samples and --noise only apply"), "{msg}");
    }

    #[test]
    fn csv_flags_outside_csv_files_are_refused() {
        let msg = input_error(&DataSpec {
            target: Some("y"),
            ..spec("iris")
        });
        assert_eq!(
            msg,
            "--target only applies to CSV files, not to the built-in dataset \"iris\""
        );
        let msg = input_error(&DataSpec {
            task: Some(Task::Regress),
            ..spec("moons")
        });
        assert_eq!(
            msg,
            "--task only applies to CSV files, not to the synthetic dataset \"moons\""
        );
    }

    #[test]
    fn synthetic_validation_errors_pass_through() {
        let msg = input_error(&DataSpec {
            samples: Some(1),
            ..spec("blobs")
        });
        assert!(msg.starts_with("--samples 1"), "{msg}");
    }
}

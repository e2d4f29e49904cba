//! Built-in real datasets (iris, wine, breast-cancer, digits, mnist-10k), embedded in the binary
//! from `datasets/` so that an installed `lrtool` works from any folder.

use anyhow::{anyhow, bail};

use super::csv::{CsvOptions, parse_csv};
use super::idx::parse_idx_pair;
use super::{Dataset, Target, Task};

/// Facts about one built-in dataset (checked against the loaded data by the tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinInfo {
    /// The `--dataset` name.
    pub name: &'static str,
    /// Number of samples (rows).
    pub samples: usize,
    /// Number of features per sample.
    pub features: usize,
    /// Number of classes (all built-ins are classification sets).
    pub classes: usize,
    /// One line: what the data is and where it comes from.
    pub description: &'static str,
}

/// The built-in datasets, in the order help texts list them.
pub const BUILTIN: &[BuiltinInfo] = &[
    BuiltinInfo {
        name: "iris",
        samples: 150,
        features: 4,
        classes: 3,
        description: "Fisher's iris flowers: 4 measurements in cm, 3 species",
    },
    BuiltinInfo {
        name: "wine",
        samples: 178,
        features: 13,
        classes: 3,
        description: "chemical analysis of wines from 3 cultivars (UCI); feature scales differ widely",
    },
    BuiltinInfo {
        name: "breast-cancer",
        samples: 569,
        features: 30,
        classes: 2,
        description: "Wisconsin diagnostic breast cancer (UCI): 30 cell-nucleus features, malignant or benign",
    },
    BuiltinInfo {
        name: "digits",
        samples: 1797,
        features: 64,
        classes: 10,
        description: "handwritten digits as 8×8 images with values 0..16 (UCI optdigits, scikit-learn)",
    },
    BuiltinInfo {
        name: "mnist-10k",
        samples: 10000,
        features: 784,
        classes: 10,
        description: "10,000 MNIST handwritten digits as 28×28 images with values 0..255, sorted by class",
    },
];

/// The built-in names, comma-separated, for messages.
pub(crate) fn names() -> String {
    BUILTIN
        .iter()
        .map(|b| b.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Loads the built-in dataset `name`; `None` when `name` is not a built-in.
///
/// The embedded data is parsed on each call. An error here means the embedded files are broken,
/// which is a bug in the build rather than bad input.
pub fn load(name: &str) -> Option<anyhow::Result<Dataset>> {
    let csv = |bytes: &[u8], file: &str, classes: &[&str]| {
        load_csv(bytes, name, file, classes).map_err(|e| broken(name, &e))
    };
    let dataset = match name {
        "iris" => csv(
            include_bytes!("../../datasets/iris.csv.gz"),
            "iris.csv.gz",
            &["setosa", "versicolor", "virginica"],
        ),
        "wine" => csv(
            include_bytes!("../../datasets/wine.csv.gz"),
            "wine.csv.gz",
            &["class_0", "class_1", "class_2"],
        ),
        "breast-cancer" => csv(
            include_bytes!("../../datasets/breast-cancer.csv.gz"),
            "breast-cancer.csv.gz",
            &["malignant", "benign"],
        ),
        "digits" => csv(
            include_bytes!("../../datasets/digits.csv.gz"),
            "digits.csv.gz",
            &["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
        ),
        "mnist-10k" => parse_idx_pair(
            include_bytes!("../../datasets/mnist-10k-images-idx3-ubyte.gz"),
            include_bytes!("../../datasets/mnist-10k-labels-idx1-ubyte.gz"),
            "mnist-10k-images-idx3-ubyte.gz",
            "mnist-10k-labels-idx1-ubyte.gz",
            name,
        )
        .map_err(|e| broken(name, &e)),
        _ => return None,
    };
    Some(dataset)
}

/// A failure to parse embedded data: a bug in the build, not bad input, so the `InputError`
/// of the parser is flattened into a plain error (exit code 1).
fn broken(name: &str, err: &anyhow::Error) -> anyhow::Error {
    anyhow!("the built-in dataset {name} is broken: {err:#}")
}

/// Parses an embedded CSV whose last column `target` holds labels `0..K`, and names the classes.
fn load_csv(bytes: &[u8], name: &str, file: &str, classes: &[&str]) -> anyhow::Result<Dataset> {
    let opts = CsvOptions {
        target: Some("target"),
        task: Some(Task::Classify),
        ..CsvOptions::default()
    };
    let mut dataset = parse_csv(bytes, file, name, &opts)?;
    // built-ins are plain numbers: their models name features, not a file's columns
    dataset.encoding = None;
    let Target::Classes { names, .. } = &mut dataset.y else {
        bail!("{file}: the target is not a class label");
    };
    let expected: Vec<String> = (0..classes.len()).map(|k| k.to_string()).collect();
    if *names != expected {
        bail!(
            "{file}: expected labels {}, found {}",
            expected.join(","),
            names.join(",")
        );
    }
    *names = classes.iter().map(|&c| c.to_owned()).collect();
    Ok(dataset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_matches_its_info() {
        for info in BUILTIN {
            let ds = load(info.name)
                .expect("a built-in name")
                .unwrap_or_else(|e| panic!("{}: {e:#}", info.name));
            assert_eq!(ds.name, info.name);
            assert_eq!(
                ds.x.shape(),
                &[info.samples, info.features],
                "{}",
                info.name
            );
            assert_eq!(ds.feature_names.len(), info.features, "{}", info.name);
            assert_eq!(ds.n_classes(), info.classes, "{}", info.name);
            assert_eq!(ds.task(), Task::Classify);
            assert!(ds.x.iter().all(|v| v.is_finite()), "{}", info.name);
            let Target::Classes { labels, .. } = &ds.y else {
                unreachable!()
            };
            // Every class is present.
            let mut seen = vec![false; info.classes];
            for &l in labels {
                seen[l as usize] = true;
            }
            assert!(seen.iter().all(|&s| s), "{}", info.name);
        }
    }

    #[test]
    fn class_names_are_the_real_ones() {
        let names = |name| match load(name).unwrap().unwrap().y {
            Target::Classes { names, .. } => names,
            Target::Values(_) => unreachable!(),
        };
        assert_eq!(names("iris"), ["setosa", "versicolor", "virginica"]);
        assert_eq!(names("wine"), ["class_0", "class_1", "class_2"]);
        assert_eq!(names("breast-cancer"), ["malignant", "benign"]);
        assert_eq!(names("digits")[9], "9");
        assert_eq!(names("mnist-10k")[0], "0");
    }

    #[test]
    fn known_values() {
        let iris = load("iris").unwrap().unwrap();
        assert_eq!(iris.feature_names[0], "sepal_length");
        assert_eq!(iris.x.row(0).to_vec(), [5.1, 3.5, 1.4, 0.2]);
        let digits = load("digits").unwrap().unwrap();
        assert_eq!(digits.feature_names[63], "pixel_7_7");
        assert!(digits.x.iter().all(|&v| (0.0..=16.0).contains(&v)));
        let mnist = load("mnist-10k").unwrap().unwrap();
        assert_eq!(mnist.feature_names[783], "pixel_27_27");
        assert_eq!(mnist.x.iter().fold(0.0f32, |m, &v| m.max(v)), 255.0);
    }

    #[test]
    fn unknown_name_is_none() {
        assert!(load("mnist").is_none());
        assert!(load("").is_none());
    }
}

//! report.html: written by every run unless --no-report, self-contained (no script, no link, no
//! network), byte-identical for the same command, rewritten by `lrtool report DIR`, and rendered
//! by a real headless Chromium without console errors and with every plot visible.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{json, run, tempdir, words};

/// Small, fast runs of the four commands with a report, each into its own folder under `dir`.
fn runs(dir: &Path) -> Vec<(&'static str, String)> {
    let cases: [(&str, &str); 4] = [
        ("train", "train --dataset iris --epochs 3 --hidden 16"),
        (
            "find-lr",
            "find-lr --dataset iris --hidden 16 --steps 40 --min 1e-4 --max 10",
        ),
        (
            "snapshot-ensemble",
            "snapshot-ensemble --dataset iris --hidden 16 --epochs 4 --cycles 2 --baseline",
        ),
        (
            "compare",
            "compare --dataset iris --hidden 16 --epochs 2 --seeds 2",
        ),
    ];
    cases
        .iter()
        .map(|(name, args)| {
            let out = format!("out-{name}");
            let mut a = words(args);
            if *name == "compare" {
                a.extend(["--arms", "constant:lr=0.01;sgdr:lr=0.05,t0=1"]);
            }
            a.extend(["--out", &out, "--quiet"]);
            run(dir, &a).success();
            (*name, out)
        })
        .collect()
}

#[test]
fn every_run_writes_a_self_contained_reproducible_report() {
    let tmp = tempdir();
    let dir = tmp.path();
    for (name, out) in runs(dir) {
        let path = dir.join(&out).join("report.html");
        let html =
            fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: no report.html: {e}"));
        assert!(html.starts_with("<!DOCTYPE html>"), "{name}");
        assert!(
            html.contains(&format!("<title>lrtool {name}</title>")),
            "{name}"
        );
        assert!(html.contains("<figure class=\"plot\""), "{name}: no plot");
        assert!(html.contains("Next commands to try"), "{name}");
        for banned in [
            "<script", "<link", "<img", "<iframe", "src=", "@import", "url(",
        ] {
            assert!(!html.contains(banned), "{name}: report holds {banned}");
        }
        // the only URL is the SVG namespace
        assert_eq!(
            html.matches("http").count(),
            html.matches("http://www.w3.org/2000/svg").count(),
            "{name}: report refers to the network"
        );
        assert!(!html.contains("is missing from this folder"), "{name}");
        let manifest = json(&dir.join(&out).join(".lrtool-manifest.json"));
        assert!(
            manifest["files"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f == "report.html"),
            "{name}: manifest lacks report.html"
        );
        // `lrtool report DIR` gives the same page
        fs::remove_file(&path).unwrap();
        run(dir, &["report", &out]).success();
        assert_eq!(fs::read_to_string(&path).unwrap(), html, "{name}");
    }
    // same command → same bytes, and --no-report writes none
    let a = [
        "train",
        "--dataset",
        "iris",
        "--epochs",
        "2",
        "--hidden",
        "8",
    ];
    run(dir, &[&a[..], &["--out", "r1", "--quiet"]].concat()).success();
    run(
        dir,
        &[&a[..], &["--out", "r2", "--quiet", "--no-report"]].concat(),
    )
    .success();
    run(dir, &[&a[..], &["--out", "r2", "--quiet"]].concat()).success();
    assert_eq!(
        fs::read(dir.join("r1/report.html")).unwrap(),
        fs::read(dir.join("r2/report.html")).unwrap()
    );
    run(
        dir,
        &[&a[..], &["--out", "r3", "--quiet", "--no-report"]].concat(),
    )
    .success();
    assert!(!dir.join("r3/report.html").exists());
    assert!(
        !json(&dir.join("r3/summary.json"))["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "report.html")
    );
}

#[test]
fn report_refuses_a_folder_that_is_not_a_run() {
    let tmp = tempdir();
    fs::create_dir(tmp.path().join("empty")).unwrap();
    let r = run(tmp.path(), &["report", "empty"]);
    r.expect_code(2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("summary.json"), "{}", r.stderr);
}

/// The Chromium (or Chrome) binary: $LRTOOL_BROWSER, else the usual names on PATH.
fn browser() -> Option<PathBuf> {
    if let Some(b) = std::env::var_os("LRTOOL_BROWSER") {
        return Some(PathBuf::from(b));
    }
    let path = std::env::var_os("PATH")?;
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ] {
        for d in std::env::split_paths(&path) {
            let p = d.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Headless Chromium with a fresh profile and nothing that reaches the network.
fn chromium(browser: &Path, profile: &Path) -> Command {
    let mut c = Command::new(browser);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

/// The probe the test adds to a copy of the page (the page itself has no script): it logs a
/// marker, so the test knows console messages reach it, and writes the rendered size of every
/// plot's <svg> into the title.
const PROBE: &str = r#"<script>
console.log("lrtool-probe");
document.title = JSON.stringify(Array.from(document.querySelectorAll("figure.plot svg")).map(function (s) {
  var r = s.getBoundingClientRect();
  return [r.width, r.height];
}));
</script>
"#;

#[test]
fn report_renders_in_headless_chromium() {
    let Some(browser) = browser() else {
        eprintln!(
            "SKIPPED report_renders_in_headless_chromium: no chromium on PATH (apt-get install chromium, or set LRTOOL_BROWSER)"
        );
        return;
    };
    let tmp = tempdir();
    let dir = tmp.path();
    for (name, out) in runs(dir)
        .into_iter()
        .filter(|(n, _)| matches!(*n, "find-lr" | "compare"))
    {
        let html = fs::read_to_string(dir.join(&out).join("report.html")).unwrap();
        let plots = html.matches("<figure class=\"plot\"").count();
        assert!(plots > 0, "{name}");

        // 1. the DOM with the probe: console messages and plot sizes
        let probed = dir.join(format!("{out}-probe.html"));
        fs::write(&probed, html.replace("</body>", &format!("{PROBE}</body>"))).unwrap();
        let profile = tempfile::tempdir().unwrap();
        let o = chromium(&browser, profile.path())
            .args(["--enable-logging=stderr", "--v=0", "--dump-dom"])
            .arg(format!("file://{}", probed.display()))
            .output()
            .expect("chromium runs");
        let stdout = String::from_utf8_lossy(&o.stdout);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{name}: chromium failed:\n{stderr}");
        let console: Vec<&str> = stderr.lines().filter(|l| l.contains("CONSOLE")).collect();
        assert!(
            console.iter().any(|l| l.contains("lrtool-probe")),
            "{name}: the probe's console message did not arrive, so errors could not be seen:\n{stderr}"
        );
        let errors: Vec<&&str> = console
            .iter()
            .filter(|l| !l.contains("lrtool-probe"))
            .collect();
        assert!(errors.is_empty(), "{name}: console messages: {errors:#?}");
        let title = stdout
            .split("<title>")
            .nth(1)
            .and_then(|t| t.split("</title>").next())
            .unwrap_or_else(|| panic!("{name}: no title in the DOM:\n{stdout}"));
        let sizes: Vec<[f64; 2]> = serde_json::from_str(title)
            .unwrap_or_else(|e| panic!("{name}: probe title {title:?}: {e}"));
        assert_eq!(sizes.len(), plots, "{name}: plots rendered");
        for (i, [w, h]) in sizes.iter().enumerate() {
            assert!(*w > 300.0 && *h > 150.0, "{name}: plot {i} is {w}×{h} px");
        }

        // 2. a screenshot of the page as shipped (no probe)
        let shot = dir.join(format!("{out}.png"));
        let profile = tempfile::tempdir().unwrap();
        let o = chromium(&browser, profile.path())
            .args(["--window-size=1100,1600"])
            .arg(format!("--screenshot={}", shot.display()))
            .arg(format!(
                "file://{}",
                dir.join(&out).join("report.html").display()
            ))
            .output()
            .expect("chromium runs");
        assert!(
            o.status.success(),
            "{name}: screenshot failed:\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let png = fs::read(&shot).unwrap_or_else(|e| panic!("{name}: no screenshot: {e}"));
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name}: not a PNG");
        // IHDR: width and height as asked
        let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert_eq!((w, h), (1100, 1600), "{name}");
        // a blank page compresses to a few kB; text, tables and curves do not
        assert!(
            png.len() > 40_000,
            "{name}: screenshot only {} bytes",
            png.len()
        );
        if let Some(keep) = std::env::var_os("LRTOOL_SCREENSHOT_DIR") {
            fs::copy(
                &shot,
                Path::new(&keep).join(format!("report-{name}-test.png")),
            )
            .unwrap();
        }
    }
}

#[test]
fn bash_completions_parse_and_the_man_page_renders() {
    let tmp = tempdir();
    let dir = tmp.path();
    for shell in ["bash", "zsh", "fish"] {
        let r = run(dir, &["completions", shell]);
        r.success();
        assert!(r.stdout.contains("find-lr"), "{shell}");
        assert!(r.stdout.contains("no-report"), "{shell}");
    }
    let bash = run(dir, &["completions", "bash"]).stdout;
    fs::write(dir.join("lrtool.bash"), &bash).unwrap();
    let o = Command::new("bash")
        .args(["-n", "lrtool.bash"])
        .current_dir(dir)
        .output()
        .expect("bash runs");
    assert!(
        o.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&o.stderr)
    );

    let man = run(dir, &["man"]);
    man.success();
    assert!(man.stdout.starts_with(".ie") || man.stdout.contains(".TH"));
    fs::write(dir.join("lrtool.1"), &man.stdout).unwrap();
    run(dir, &["man", "--dir", "man1"]).success();
    assert!(dir.join("man1/lrtool-find-lr.1").is_file());
    let has_man = Command::new("man").arg("--version").output().is_ok();
    if !has_man {
        eprintln!("SKIPPED man -l: no man on PATH");
        return;
    }
    for page in ["lrtool.1", "man1/lrtool-find-lr.1"] {
        let o = Command::new("man")
            .args(["-l", page])
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .env("MANWIDTH", "100")
            .current_dir(dir)
            .output()
            .expect("man runs");
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "man -l {page}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(text.contains("SYNOPSIS"), "man -l {page}:\n{text}");
        assert!(text.contains("find-lr"), "man -l {page}");
    }
}

#[test]
fn version_names_the_build() {
    let tmp = tempdir();
    let r = run(tmp.path(), &["--version"]);
    r.success();
    let line = r.stdout.trim();
    assert!(
        line.starts_with(&format!("lrtool {}", env!("CARGO_PKG_VERSION"))),
        "{line}"
    );
    // built from a git checkout: the revision follows in parentheses
    let in_checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join(".git").exists()
        && Command::new("git").arg("--version").output().is_ok();
    if in_checkout {
        assert!(line.contains("(git "), "{line}");
    }
}

#[test]
fn the_ci_recipe_passes_and_fails_as_documented() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ci-recipe.sh");
    let tmp = tempdir();
    let recipe = |env: &[(&str, &str)]| {
        let mut c = Command::new("bash");
        c.arg(&script)
            .env("LRTOOL", env!("CARGO_BIN_EXE_lrtool"))
            .env("WORK", tmp.path())
            .env("EPOCHS", "10");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().expect("bash runs")
    };
    // with jq when installed, and with the awk fallback
    for env in [&[][..], &[("NO_JQ", "1")][..]] {
        let o = recipe(env);
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success() && out.contains("PASS"),
            "{env:?}: {out}\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let o = recipe(&[("NO_JQ", "1"), ("RECORDED_LR", "1e-6")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("more than a decade"));
    let o = recipe(&[("NO_JQ", "1"), ("MIN_VAL_ACC", "1.01")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("below"));
}

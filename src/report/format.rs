//! Numbers and command words as text for people, shared by the reports and the terminal output.

/// A number for people: 4 significant digits, or "–" when missing.
pub fn fmt_num(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => {
            if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e5) {
                format!("{v:.3e}")
            } else {
                format!("{v:.4}")
            }
        }
        Some(v) => format!("{v}"),
        None => "–".into(),
    }
}

/// `word` quoted for a POSIX shell when it holds anything but safe characters.
pub fn shell_word(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_=.,/:+@%".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// A line of the epoch table printed on the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpochLine {
    /// The epoch at this index (0-based) of the run's epochs.
    Row(usize),
    /// This many epochs are left out here (they are all in `epochs.csv`).
    Skipped(usize),
}

/// Runs of up to this many epochs print every epoch.
pub const EPOCHS_SHOWN_IN_FULL: usize = 30;

/// Which of `n` epochs the terminal table prints: all of them up to
/// [`EPOCHS_SHOWN_IN_FULL`]; beyond, the first, every tenth and the last three, with a line
/// saying how many were left out wherever rows are skipped, so that no skip goes unseen.
pub fn epoch_lines(n: usize) -> Vec<EpochLine> {
    let shown =
        |i: usize| n <= EPOCHS_SHOWN_IN_FULL || i == 0 || i + 3 >= n || (i + 1).is_multiple_of(10);
    let mut lines = Vec::new();
    let mut skipped = 0;
    for i in 0..n {
        if shown(i) {
            if skipped > 0 {
                lines.push(EpochLine::Skipped(skipped));
                skipped = 0;
            }
            lines.push(EpochLine::Row(i));
        } else {
            skipped += 1;
        }
    }
    lines
}

/// The line that stands for skipped epochs in the terminal table.
pub fn skipped_epochs_text(count: usize) -> String {
    format!(
        "{:>6}  ({count} epoch{} not shown; epochs.csv has every epoch)",
        "…",
        if count == 1 { "" } else { "s" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_runs_print_every_epoch() {
        for n in [0, 1, 10, EPOCHS_SHOWN_IN_FULL] {
            let lines = epoch_lines(n);
            assert_eq!(lines, (0..n).map(EpochLine::Row).collect::<Vec<_>>());
        }
    }

    #[test]
    fn long_runs_mark_every_skip_and_account_for_every_epoch() {
        let lines = epoch_lines(45);
        assert_eq!(
            lines,
            [
                EpochLine::Row(0),
                EpochLine::Skipped(8),
                EpochLine::Row(9),
                EpochLine::Skipped(9),
                EpochLine::Row(19),
                EpochLine::Skipped(9),
                EpochLine::Row(29),
                EpochLine::Skipped(9),
                EpochLine::Row(39),
                EpochLine::Skipped(2),
                EpochLine::Row(42),
                EpochLine::Row(43),
                EpochLine::Row(44),
            ]
        );
        for n in [31, 40, 41, 99, 100, 1000] {
            let total: usize = epoch_lines(n)
                .iter()
                .map(|l| match l {
                    EpochLine::Row(_) => 1,
                    EpochLine::Skipped(k) => *k,
                })
                .sum();
            assert_eq!(total, n, "{n} epochs");
            // no two skip lines in a row, none at the end
            let lines = epoch_lines(n);
            assert!(matches!(lines.last(), Some(EpochLine::Row(i)) if *i == n - 1));
            assert!(
                lines
                    .windows(2)
                    .all(|w| !matches!(w, [EpochLine::Skipped(_), EpochLine::Skipped(_)]))
            );
        }
        assert_eq!(
            skipped_epochs_text(1),
            "     …  (1 epoch not shown; epochs.csv has every epoch)"
        );
    }
}

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

//! Counted words for messages and pages: `count(1, "epoch")` is "1 epoch", `count(3, "epoch")`
//! "3 epochs", never "1 epochs". Used by every layer, like `error.rs`.

/// A whole number that a word can be counted with.
pub trait Number: Copy + std::fmt::Display {
    fn is_one(self) -> bool;
}

macro_rules! number {
    ($($t:ty),*) => {$(
        impl Number for $t {
            fn is_one(self) -> bool {
                self == 1
            }
        }
    )*};
}
number!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize
);

/// `n` and `word` in the number `n` asks for: "1 step", "0 steps", "2 classes".
pub fn count<N: Number>(n: N, word: &str) -> String {
    format!("{n} {}", plural(n, word))
}

/// `word` alone in the number `n` asks for, for a number written in its own way (`{n:>4}`).
pub fn plural<N: Number>(n: N, word: &str) -> String {
    if n.is_one() {
        word.to_string()
    } else {
        plural_of(word)
    }
}

/// The plural of an English noun as lrtool's messages use them: `class` → `classes`, `entry` →
/// `entries`, `batch` → `batches`, `epoch` → `epochs`.
fn plural_of(word: &str) -> String {
    let vowel = |c: char| "aeiou".contains(c);
    if let Some(stem) = word.strip_suffix('y')
        && stem.chars().last().is_some_and(|c| !vowel(c))
    {
        return format!("{stem}ies");
    }
    if ["s", "x", "z", "sh", "tch"]
        .iter()
        .any(|e| word.ends_with(e))
    {
        return format!("{word}es");
    }
    format!("{word}s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(count(1usize, "epoch"), "1 epoch");
        assert_eq!(count(0u64, "epoch"), "0 epochs");
        assert_eq!(count(2i64, "seed"), "2 seeds");
        assert_eq!(count(1u32, "class"), "1 class");
        assert_eq!(count(3usize, "class"), "3 classes");
        assert_eq!(count(2usize, "entry"), "2 entries");
        assert_eq!(count(2usize, "category"), "2 categories");
        assert_eq!(count(2usize, "day"), "2 days");
        assert_eq!(count(2usize, "batch"), "2 batches");
        assert_eq!(plural(5usize, "cycle"), "cycles");
        assert_eq!(plural(1usize, "cycle"), "cycle");
    }
}

//! The smallest edits that turn one text into another: a line diff, each
//! changed stretch refined to characters when it is short. Offsets are
//! UTF-8 bytes of the old text, on character boundaries.

use similar::{Algorithm, DiffOp, TextDiff};
use std::time::Duration;

/// Delete `delete` bytes at `at` (in the old text), then insert `insert`
/// there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub at: usize,
    pub delete: usize,
    pub insert: String,
}

/// Changed stretches up to this many bytes a side are refined to
/// characters; longer ones are replaced whole.
const REFINE: usize = 4096;

/// The edits from `old` to `new`, in order, not overlapping.
pub fn between(old: &str, new: &str) -> Vec<Edit> {
    if old == new {
        return Vec::new();
    }
    let lines =
        TextDiff::configure().algorithm(Algorithm::Myers).timeout(Duration::from_millis(200)).diff_lines(old, new);
    let (old_at, new_at) = (starts(lines.old_slices()), starts(lines.new_slices()));
    let mut out = Vec::new();
    for (o, n) in changed(lines.ops()) {
        let (o0, o1, n0, n1) = (old_at[o.start], old_at[o.end], new_at[n.start], new_at[n.end]);
        refine(&old[o0..o1], &new[n0..n1], o0, &mut out);
    }
    out
}

/// The changed stretches of a diff as (old, new) slice ranges. The ranges
/// are counted here from the lengths, in order: `similar` reports the old
/// index of an insert (and the new index of a delete) that follows an
/// equal stretch as where that stretch began, and trusting it put inserted
/// characters in the wrong place ("costs" came out "cotss"; found by the
/// map editor's browser test).
fn changed(ops: &[DiffOp]) -> Vec<(std::ops::Range<usize>, std::ops::Range<usize>)> {
    let (mut o, mut n) = (0, 0);
    let mut out = Vec::new();
    for op in ops {
        let (ol, nl) = (op.old_range().len(), op.new_range().len());
        if !matches!(op, DiffOp::Equal { .. }) {
            out.push((o..o + ol, n..n + nl));
        }
        o += ol;
        n += nl;
    }
    out
}

/// Byte offsets of each slice's start, and of the end.
fn starts(slices: &[&str]) -> Vec<usize> {
    let mut at = Vec::with_capacity(slices.len() + 1);
    let mut pos = 0;
    for s in slices {
        at.push(pos);
        pos += s.len();
    }
    at.push(pos);
    at
}

/// Edits for one changed stretch at byte `base` of the old text.
fn refine(old: &str, new: &str, base: usize, out: &mut Vec<Edit>) {
    if old.len() > REFINE || new.len() > REFINE {
        out.push(Edit { at: base, delete: old.len(), insert: new.to_string() });
        return;
    }
    let chars = TextDiff::configure().algorithm(Algorithm::Myers).diff_chars(old, new);
    let (old_at, new_at) = (starts(chars.old_slices()), starts(chars.new_slices()));
    for (o, n) in changed(chars.ops()) {
        let (o0, o1, n0, n1) = (old_at[o.start], old_at[o.end], new_at[n.start], new_at[n.end]);
        let edit = Edit { at: base + o0, delete: o1 - o0, insert: new[n0..n1].to_string() };
        // Neighbouring deletes and inserts of one replacement join.
        match out.last_mut() {
            Some(last) if last.at + last.delete == edit.at => {
                last.delete += edit.delete;
                last.insert.push_str(&edit.insert);
            }
            _ => out.push(edit),
        }
    }
}

/// `old` with `edits` applied (what the document does, for tests).
pub fn apply(old: &str, edits: &[Edit]) -> String {
    let mut out = String::with_capacity(old.len());
    let mut at = 0;
    for e in edits {
        out.push_str(&old[at..e.at]);
        out.push_str(&e.insert);
        at = e.at + e.delete;
    }
    out.push_str(&old[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_word_is_edited_inside_the_word() {
        let old = "journey\n  title Buy a laptop\n  section Discover\n    See an ad: 3\n";
        let new = "journey\n  title Buy a tablet\n  section Discover\n    See an ad: 3\n";
        let edits = between(old, new);
        // Only inside the changed word (bytes 21..27), by characters.
        let word = old.find("laptop").unwrap();
        assert!(edits.iter().all(|e| e.at >= word && e.at + e.delete <= word + 6), "{edits:?}");
        assert!(edits.iter().map(|e| e.delete).sum::<usize>() <= 6, "{edits:?}");
        assert_eq!(apply(old, &edits), new);
    }

    #[test]
    fn multi_byte_text_stays_on_character_boundaries() {
        let (old, new) = ("héllo wörld 🌍\nzwei\n", "hallo wörld 🌏\nzwei drei\n");
        let edits = between(old, new);
        for e in &edits {
            assert!(old.is_char_boundary(e.at) && old.is_char_boundary(e.at + e.delete));
        }
        assert_eq!(apply(old, &edits), new);
    }

    #[test]
    fn anything_becomes_anything() {
        let texts = ["", "a", "a\n", "\n\n", "abc\ndef\n", "abc\nxyz\ndef", "ü\n\nü", "x".repeat(5000).leak()];
        for old in texts {
            for new in texts {
                assert_eq!(apply(old, &between(old, new)), new, "{old:?} → {new:?}");
            }
        }
    }
}

#[cfg(test)]
mod joined {
    use super::*;

    #[test]
    fn neighbouring_changes_join_in_order() {
        let (old, new) = ("a: The ad does not show the price\nb\n", "a: Shipping costs appear only at checkout\nb\n");
        assert_eq!(apply(old, &between(old, new)), new);
    }
}

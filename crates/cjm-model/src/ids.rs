//! Stable ids for stages and steps: derived from names, made unique.
//!
//! Ids are what comments, evidence bindings and history diffs hold on to, so
//! they must not change when unrelated parts of the map change. A name gives
//! the same slug wherever it stands; only a repeated name gets a suffix
//! (`-2`, `-3`, in order). Write `id:` to pin an id across renames.

use std::collections::{HashMap, HashSet};

/// `Buy a laptop (online)!` → `buy-a-laptop-online`. Letters of any script
/// are kept (lowercased); everything else becomes a single `-`.
pub fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut dash = false;
    for c in name.chars() {
        if c.is_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.extend(c.to_lowercase());
        } else {
            dash = true;
        }
        if out.len() >= 64 {
            break;
        }
    }
    out
}

/// Whether an explicit id is well formed: lowercase letters, digits and
/// single dashes, starting with a letter or digit.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
        && id.chars().all(|c| c == '-' || (c.is_alphanumeric() && !c.is_uppercase()))
}

/// Hands out unique ids in one namespace.
#[derive(Default)]
pub struct IdAllocator {
    taken: HashSet<String>,
    /// For each base, the suffix to try next: ids are never freed, so a
    /// suffix found taken stays taken, and the n-th repeat of a name costs
    /// one lookup, not n.
    next_suffix: HashMap<String, u64>,
}

impl IdAllocator {
    /// Reserves explicit ids first so derived ones never take them.
    pub fn reserve(&mut self, id: &str) -> bool {
        self.taken.insert(id.to_string())
    }

    /// A unique id derived from `name`, or from `fallback` when the name has
    /// no letters or digits.
    pub fn derive(&mut self, name: &str, fallback: &str) -> String {
        let base = match slug(name) {
            s if s.is_empty() => fallback.to_string(),
            s => s,
        };
        if self.taken.insert(base.clone()) {
            return base;
        }
        let next = self.next_suffix.entry(base.clone()).or_insert(2);
        loop {
            let candidate = format!("{base}-{next}");
            *next += 1;
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slug("Buy a laptop (online)!"), "buy-a-laptop-online");
        assert_eq!(slug("  Prüfen & Zahlen "), "prüfen-zahlen");
        assert_eq!(slug("注文する"), "注文する");
        assert_eq!(slug("!!!"), "");
    }

    #[test]
    fn derived_ids_are_unique_and_avoid_reserved_ones() {
        let mut ids = IdAllocator::default();
        ids.reserve("pay");
        assert_eq!(ids.derive("Pay", "step"), "pay-2");
        assert_eq!(ids.derive("Pay", "step"), "pay-3");
        assert_eq!(ids.derive("???", "step"), "step");
        assert_eq!(ids.derive("", "step"), "step-2");
    }

    #[test]
    fn validates_explicit_ids() {
        assert!(is_valid_id("checkout-2"));
        assert!(!is_valid_id("Checkout"));
        assert!(!is_valid_id("a b"));
        assert!(!is_valid_id("-a"));
    }
}

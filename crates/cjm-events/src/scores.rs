//! [`Scores`]: one score per event, dictionary-encoded while it can be.
//!
//! Ratings take a handful of values (1–5, 0–10, NPS) and most events have
//! none, so a column of eight-byte numbers would mostly repeat itself: up to
//! 255 distinct values are kept once and each event holds a one-byte code.
//! A column with more distinct values turns into plain numbers. Values are
//! kept bit for bit, so means come out exactly as from plain numbers.

use rustc_hash::FxHashMap;

/// The code of "no score".
const NO_SCORE: u8 = u8::MAX;

#[derive(Clone, Debug)]
pub enum Scores {
    /// `values[code]`; `NO_SCORE` when the event has none.
    Coded { values: Vec<f64>, index: FxHashMap<u64, u8>, codes: Vec<u8> },
    /// NaN when the event has none.
    Plain(Vec<f64>),
}

impl Default for Scores {
    fn default() -> Self {
        Scores::Coded { values: Vec::new(), index: FxHashMap::default(), codes: Vec::new() }
    }
}

impl PartialEq for Scores {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && (0..self.len()).all(|i| self.get(i).to_bits() == other.get(i).to_bits())
    }
}

impl Scores {
    pub fn len(&self) -> usize {
        match self {
            Scores::Coded { codes, .. } => codes.len(),
            Scores::Plain(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The score of event `i`; NaN when it has none.
    #[inline]
    pub fn get(&self, i: usize) -> f64 {
        match self {
            Scores::Coded { values, codes, .. } => match codes[i] {
                NO_SCORE => f64::NAN,
                code => values[code as usize],
            },
            Scores::Plain(v) => v[i],
        }
    }

    /// Every score in order (NaN for none).
    pub fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }

    /// The codes and their values when every value is a whole number small
    /// enough that sums of them are exact in any order (|v| ≤ 2^20, so even
    /// 4 billion of them stay below 2^53).
    pub fn small_whole_codes(&self) -> Option<(&[f64], &[u8])> {
        match self {
            Scores::Coded { values, codes, .. }
                if values.iter().all(|v| v.fract() == 0.0 && v.abs() <= f64::from(1u32 << 20)) =>
            {
                Some((values, codes))
            }
            _ => None,
        }
    }

    /// The code of an event without a score in [`Scores::small_whole_codes`].
    pub const NO_SCORE: u8 = NO_SCORE;

    /// Calls `f(event, score)` for every event that has a score, in order.
    pub fn for_each_present(&self, mut f: impl FnMut(usize, f64)) {
        match self {
            Scores::Coded { values, codes, .. } => {
                for (i, &c) in codes.iter().enumerate() {
                    if c != NO_SCORE {
                        f(i, values[c as usize]);
                    }
                }
            }
            Scores::Plain(v) => {
                for (i, &s) in v.iter().enumerate() {
                    if !s.is_nan() {
                        f(i, s);
                    }
                }
            }
        }
    }

    pub fn reserve(&mut self, more: usize) {
        match self {
            Scores::Coded { codes, .. } => codes.reserve(more),
            Scores::Plain(v) => v.reserve(more),
        }
    }

    /// Appends a score (NaN for none).
    #[inline]
    pub fn push(&mut self, score: f64) {
        if let Scores::Coded { values, index, codes } = self {
            if score.is_nan() {
                codes.push(NO_SCORE);
                return;
            }
            // Ratings repeat: the last code is often the one.
            if let Some(&last) = codes.last().filter(|&&c| c != NO_SCORE) {
                if values[last as usize].to_bits() == score.to_bits() {
                    codes.push(last);
                    return;
                }
            }
            if let Some(&code) = index.get(&score.to_bits()) {
                codes.push(code);
                return;
            }
            if values.len() < NO_SCORE as usize {
                let code = values.len() as u8;
                values.push(score);
                index.insert(score.to_bits(), code);
                codes.push(code);
                return;
            }
            self.make_plain();
        }
        if let Scores::Plain(v) = self {
            v.push(score);
        }
    }

    pub fn extend_from_slice(&mut self, scores: &[f64]) {
        self.reserve(scores.len());
        for &s in scores {
            self.push(s);
        }
    }

    /// Appends another column's scores.
    pub fn append(&mut self, other: &Scores) {
        self.reserve(other.len());
        for s in other.iter() {
            self.push(s);
        }
    }

    /// Keeps the events where `mask` is true.
    pub fn retain(&mut self, mask: &[bool]) {
        match self {
            Scores::Coded { codes, .. } => crate::keep(codes, mask),
            Scores::Plain(v) => crate::keep(v, mask),
        }
    }

    fn make_plain(&mut self) {
        let plain: Vec<f64> = self.iter().collect();
        *self = Scores::Plain(plain);
    }
}

impl FromIterator<f64> for Scores {
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Self {
        let mut s = Scores::default();
        for v in iter {
            s.push(v);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_are_coded_and_many_values_turn_plain() {
        let ratings = [1.0, f64::NAN, 5.0, 4.5, f64::NAN, -0.0, 0.0, 1.0];
        let s: Scores = ratings.iter().copied().collect();
        assert!(matches!(s, Scores::Coded { .. }));
        for (i, &r) in ratings.iter().enumerate() {
            assert_eq!(s.get(i).to_bits(), if r.is_nan() { f64::NAN.to_bits() } else { r.to_bits() });
        }
        let many: Vec<f64> = (0..1000).map(|i| i as f64 / 7.0).chain([f64::NAN, 3.0]).collect();
        let s: Scores = many.iter().copied().collect();
        assert!(matches!(s, Scores::Plain(_)));
        assert_eq!(s.len(), many.len());
        for (i, &v) in many.iter().enumerate() {
            assert!(s.get(i) == v || (v.is_nan() && s.get(i).is_nan()), "{i}");
        }
        let mut present = Vec::new();
        s.for_each_present(|i, v| present.push((i, v)));
        assert_eq!(present.len(), 1001);
    }

    #[test]
    fn retain_and_append_keep_values() {
        let mut a: Scores = [1.0, 2.0, f64::NAN, 3.0].into_iter().collect();
        a.retain(&[true, false, true, true]);
        assert_eq!(a.len(), 3);
        assert!(a.get(1).is_nan());
        let b: Scores = (0..300).map(f64::from).collect();
        a.append(&b);
        assert_eq!(a.len(), 303);
        assert_eq!(a.get(302), 299.0);
        assert_eq!(a.get(2), 3.0);
    }
}

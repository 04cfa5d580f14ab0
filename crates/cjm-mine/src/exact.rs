//! Exact sums of finite f64 values, in any order, rounded once.
//!
//! A mean score was the row-order f64 fold of the scores over their count,
//! which no distributed engine can reproduce (an f64 sum depends on the
//! order of its terms). The contract now takes the exact sum of the scores,
//! rounded once to the nearest f64 (ties to even), divided by the count:
//! what Python's `math.fsum(scores) / n` gives. For whole scores with sums
//! below 2^53 this is the old result bit for bit.
//!
//! [`ExactSum`] is a fixed-point accumulator wide enough for every finite
//! f64 (its lowest bit is 2^-1074, the smallest subnormal) with 64 bits of
//! headroom above the largest, kept in two's complement. Adding a value
//! touches the two or three words under its mantissa (a carry runs further
//! only rarely); two sums merge word by word, so partial sums from
//! threads, row groups or cluster tasks give the same bits as one pass.

/// Words of the accumulator: 1074 fraction bits, 1024 integer bits and
/// 64 bits of headroom (2^64 maximal terms), rounded up to whole words.
const WORDS: usize = 34;
/// The bit index of 2^0.
const ONE: i32 = 1074;

#[derive(Clone, PartialEq, Eq)]
pub struct ExactSum {
    words: [u64; WORDS],
}

impl Default for ExactSum {
    fn default() -> Self {
        ExactSum { words: [0; WORDS] }
    }
}

impl std::fmt::Debug for ExactSum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ExactSum({})", self.to_f64())
    }
}

impl ExactSum {
    /// Adds a finite value (NaN and infinities are ignored: the readers
    /// refuse them, so none reaches a sum).
    #[inline]
    pub fn add(&mut self, x: f64) {
        let Some(Term { mantissa, word, bit, negative }) = Term::of(x) else { return };
        // word ≤ 31, so the word above is in range.
        self.add_word(word, mantissa << bit, negative);
        if bit != 0 {
            self.add_word(word + 1, mantissa >> (64 - bit), negative);
        }
    }

    /// Adds `x` taken `n` times, exactly (a backend that counts each
    /// distinct score once hands over the value and its count).
    pub fn add_times(&mut self, x: f64, n: u64) {
        let Some(Term { mantissa, word, bit, negative }) = Term::of(x) else { return };
        // mantissa × n < 2^117: three words at most, shifted into place.
        let product = u128::from(mantissa) * u128::from(n);
        let parts = [product as u64, (product >> 64) as u64, 0u64];
        let mut shifted = [0u64; 4];
        for (i, &p) in parts.iter().enumerate() {
            shifted[i] |= p << bit;
            if bit != 0 {
                shifted[i + 1] |= p >> (64 - bit);
            }
        }
        for (i, &w) in shifted.iter().enumerate() {
            if word + i < WORDS {
                self.add_word(word + i, w, negative);
            }
        }
    }

    /// Adds (or, for a negative term, subtracts) `w` at word `at`, carrying
    /// or borrowing up.
    fn add_word(&mut self, at: usize, w: u64, negative: bool) {
        if w == 0 {
            return;
        }
        let step = |a: u64, b: u64| if negative { a.overflowing_sub(b) } else { a.overflowing_add(b) };
        let (s, mut carry) = step(self.words[at], w);
        self.words[at] = s;
        let mut i = at + 1;
        while carry && i < WORDS {
            let (s, c) = step(self.words[i], 1);
            self.words[i] = s;
            carry = c;
            i += 1;
        }
    }

    /// Adds another sum (a partial over other rows).
    pub fn merge(&mut self, other: &ExactSum) {
        let mut carry = false;
        for (a, &b) in self.words.iter_mut().zip(&other.words) {
            let (s, c1) = a.overflowing_add(b);
            let (s, c2) = s.overflowing_add(u64::from(carry));
            *a = s;
            carry = c1 || c2;
        }
    }

    /// The sum rounded once to the nearest f64, ties to even (infinite
    /// only when the exact sum is beyond f64's range).
    pub fn to_f64(&self) -> f64 {
        let negative = self.words[WORDS - 1] >> 63 == 1;
        let mut mag = self.words;
        if negative {
            // Two's complement: invert and add one.
            let mut carry = true;
            for w in &mut mag {
                let (s, c) = (!*w).overflowing_add(u64::from(carry));
                *w = s;
                carry = c;
            }
        }
        let Some(top) = mag.iter().rposition(|&w| w != 0) else { return 0.0 };
        let high = 64 * top as i32 + 63 - mag[top].leading_zeros() as i32;
        let value = if high < 53 {
            // Below 2^53 units of 2^-1074: exact (a subnormal or the
            // smallest normals).
            mag[0] as f64 * f64::from_bits(1)
        } else {
            let low = high - 52;
            let mut mantissa = bits(&mag, low, 53);
            let round = bit(&mag, low - 1);
            let sticky = low >= 2 && any_below(&mag, low - 1);
            if round && (sticky || mantissa & 1 == 1) {
                mantissa += 1;
            }
            // mantissa × 2^(low − ONE); 2^(low − ONE) ≥ 2^-1074 is a float.
            scale(mantissa as f64, low - ONE)
        };
        if negative {
            -value
        } else {
            value
        }
    }
}

/// A finite nonzero value as `mantissa × 2^(64 × word + bit − ONE)`.
struct Term {
    mantissa: u64,
    word: usize,
    bit: u32,
    negative: bool,
}

impl Term {
    fn of(x: f64) -> Option<Term> {
        if !x.is_finite() || x == 0.0 {
            return None;
        }
        let bits = x.to_bits();
        let exp = ((bits >> 52) & 0x7FF) as i32;
        let frac = bits & ((1 << 52) - 1);
        let (mantissa, shift) = if exp == 0 { (frac, 0) } else { (frac | (1 << 52), exp - 1) };
        Some(Term { mantissa, word: (shift / 64) as usize, bit: (shift % 64) as u32, negative: x < 0.0 })
    }
}

/// `n` (≤ 64) bits of `words` from bit `from` up.
fn bits(words: &[u64; WORDS], from: i32, n: u32) -> u64 {
    let (w, b) = ((from / 64) as usize, (from % 64) as u32);
    let mut v = words[w] >> b;
    if b != 0 && w + 1 < WORDS {
        v |= words[w + 1] << (64 - b);
    }
    v & ((1u64 << n) - 1)
}

fn bit(words: &[u64; WORDS], at: i32) -> bool {
    at >= 0 && (words[(at / 64) as usize] >> (at % 64)) & 1 == 1
}

/// Whether any bit below `at` is set.
fn any_below(words: &[u64; WORDS], at: i32) -> bool {
    let (w, b) = ((at / 64) as usize, (at % 64) as u32);
    words[..w].iter().any(|&x| x != 0) || (b > 0 && words[w] & ((1u64 << b) - 1) != 0)
}

/// `x × 2^e` for a whole `x` below 2^54, exactly when the result is a
/// float (in two steps, so 2^e itself never leaves the range).
fn scale(x: f64, e: i32) -> f64 {
    let half = e / 2;
    x * 2f64.powi(half) * 2f64.powi(e - half)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(xs: &[f64]) -> f64 {
        let mut s = ExactSum::default();
        for &x in xs {
            s.add(x);
        }
        s.to_f64()
    }

    #[test]
    fn sums_are_exact_then_rounded_once() {
        // Python: math.fsum([0.1] * 10) == 1.0, where sum() gives 0.9999999999999999.
        assert_eq!(sum(&[0.1; 10]), 1.0);
        assert_eq!(sum(&[1e100, 1.0, -1e100, 1e-100, 1e50, -1.0, -1e50]), 1e-100);
        assert_eq!(sum(&[0.1, 0.2, 0.3]), 0.6);
        assert_eq!(sum(&[1.0, 1e-16, 1e-16]), 1.0000000000000002);
        assert_eq!(sum(&[f64::MAX, f64::MAX, -f64::MAX]), f64::MAX, "no overflow on the way");
        assert_eq!(sum(&[f64::MAX, f64::MAX]), f64::INFINITY);
        assert_eq!(sum(&[5e-324, 5e-324, -5e-324]), 5e-324);
        assert_eq!(sum(&[2.5e-308, -2.4e-308]), 2.5e-308 - 2.4e-308, "subnormal differences are exact");
        assert_eq!(sum(&[-3.0, 1.0]), -2.0);
        assert_eq!(sum(&[]), 0.0);
        // Ties to even: 2^53 + 1 is halfway between 2^53 and 2^53 + 2.
        assert_eq!(sum(&[9007199254740992.0, 1.0]), 9007199254740992.0);
        assert_eq!(sum(&[9007199254740994.0, 1.0]), 9007199254740996.0);
        assert_eq!(sum(&[9007199254740992.0, 1.0, 1e-300]), 9007199254740994.0, "a sticky bit rounds up");
    }

    #[test]
    fn any_order_and_any_split_give_the_same_bits() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let xs: Vec<f64> = (0..5_000)
            .map(|_| {
                let r = next();
                let mag = (r % 2_000) as f64 / 7.0 * 10f64.powi((r >> 20) as i32 % 40 - 20);
                if r & 1 == 0 {
                    mag
                } else {
                    -mag
                }
            })
            .collect();
        let whole = sum(&xs);
        let mut reversed = xs.clone();
        reversed.reverse();
        assert_eq!(sum(&reversed).to_bits(), whole.to_bits());
        let (mut a, mut b) = (ExactSum::default(), ExactSum::default());
        for (i, &x) in xs.iter().enumerate() {
            if i % 3 == 0 {
                a.add(x)
            } else {
                b.add(x)
            }
        }
        a.merge(&b);
        assert_eq!(a.to_f64().to_bits(), whole.to_bits());
        // A value and its count, as a backend that groups by score hands them.
        let mut grouped = ExactSum::default();
        let mut once = ExactSum::default();
        for (k, &x) in xs.iter().take(300).enumerate() {
            let n = (k as u64 * 7_919) % 1_000 + 1;
            grouped.add_times(x, n);
            (0..n).for_each(|_| once.add(x));
        }
        grouped.add_times(f64::MAX, u64::MAX);
        grouped.add_times(-f64::MAX, u64::MAX);
        grouped.add_times(5e-324, 3);
        (0..3).for_each(|_| once.add(5e-324));
        assert_eq!(grouped, once);
        // Whole numbers: the plain f64 sum is exact, and equal.
        let ints: Vec<f64> = (0..10_000).map(|_| (next() % 2_001) as f64 - 1_000.0).collect();
        assert_eq!(sum(&ints), ints.iter().sum::<f64>());
    }
}

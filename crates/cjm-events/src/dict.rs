//! [`Dict`]: interned strings, each distinct value once, addressed by a `u32`.
//!
//! Interning customer ids is the reader's hot loop: a log of ten million
//! events names about two million customers, so nearly every lookup misses
//! the CPU caches. The table is therefore our own open-addressing table of
//! 16-byte slots (a value of up to 11 bytes lives in its slot, so a lookup
//! touches one cache line), and [`Dict::intern_all`] hashes a whole batch
//! first and prefetches each slot a few rows ahead, so the misses overlap
//! instead of queueing (measured in `benches/dict.rs`).

use crate::NONE;
use std::hash::{BuildHasher, Hasher};

#[derive(Clone, Debug, Default)]
pub struct Dict {
    bytes: String,
    /// `ends[i]` is where value `i` ends in `bytes`.
    ends: Vec<usize>,
    table: Table,
}

/// Values up to this many bytes are kept inside their slot.
const INLINE: usize = 11;
/// The length mark of a longer value: its key is then its hash and first bytes.
const LONG: u8 = u8::MAX;
/// The table grows past this share of used slots (linear probing stays short).
const MAX_LOAD: (usize, usize) = (7, 10);
/// How many values ahead [`Dict::intern_all`] prefetches.
const AHEAD: usize = 12;

/// A slot, packed in a `u128` so that an empty table is zeroed memory
/// (fresh from the OS, no fill pass) and a probe is one comparison:
/// bits 0–31 hold the id + 1 (0: empty), bits 32–39 the value's length or
/// [`LONG`], bits 40–127 the key — a short value's bytes, zero-padded, or
/// a long one's hash and first three bytes.
type Slot = u128;

const ID_BITS: u128 = 0xFFFF_FFFF;

/// The length mark and key of a value, in their slot bits (id bits zero);
/// 0 only for the empty value.
#[inline]
pub(crate) fn key_of(hash: u64, value: &str) -> u128 {
    let b = value.as_bytes();
    let mut bytes = [0u8; 16];
    if b.len() <= INLINE {
        bytes[4] = b.len() as u8;
        bytes[5..5 + b.len()].copy_from_slice(b);
    } else {
        bytes[4] = LONG;
        bytes[5..13].copy_from_slice(&hash.to_le_bytes());
        bytes[13..16].copy_from_slice(&b[..INLINE - 8]);
    }
    u128::from_le_bytes(bytes)
}

#[inline]
fn slot_id(slot: Slot) -> Option<u32> {
    ((slot & ID_BITS) as u32).checked_sub(1)
}

/// The hash a slot was placed by, recomputed from its bits.
fn slot_hash(slot: Slot) -> u64 {
    let bytes = slot.to_le_bytes();
    match bytes[4] {
        LONG => u64::from_le_bytes(bytes[5..13].try_into().expect("8 bytes")),
        len => hash_bytes(&bytes[5..5 + len as usize]),
    }
}

/// The hash of a value; fixed seed, so dictionaries of two parts of a log
/// agree.
#[inline]
pub(crate) fn hash_str(s: &str) -> u64 {
    hash_bytes(s.as_bytes())
}

#[inline]
fn hash_bytes(b: &[u8]) -> u64 {
    let mut h = foldhash::quality::FixedState::with_seed(0x636a_6d5f_6469_6374).build_hasher();
    h.write(b);
    h.finish()
}

/// Linear probing over a power-of-two array; the hash's high bits choose
/// the first slot.
#[derive(Clone, Debug, Default)]
struct Table {
    slots: Vec<Slot>,
    /// 64 − log2(slots.len()).
    shift: u32,
    used: usize,
}

impl Table {
    #[inline]
    fn home(&self, hash: u64) -> usize {
        (hash >> self.shift) as usize
    }

    #[inline]
    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// Room for `more` new values without growing.
    fn reserve(&mut self, more: usize) {
        let need = self.used + more;
        if need * MAX_LOAD.1 < self.slots.len() * MAX_LOAD.0 {
            return;
        }
        let mut cap = self.slots.len().max(4);
        while need * MAX_LOAD.1 >= cap * MAX_LOAD.0 {
            cap *= 2;
        }
        let old = std::mem::replace(&mut self.slots, vec![0; cap]);
        self.shift = 64 - cap.trailing_zeros();
        // Short values are in their slots: no trip to the string buffer.
        // The new home of each slot is prefetched a stretch ahead (at 19
        // million customers the last growth moves 12 million slots).
        let mut ring = [(0u64, 0u128); AHEAD];
        let mut count = 0usize;
        for s in old.into_iter().filter(|&s| s != 0) {
            let hash = slot_hash(s);
            self.prefetch(hash);
            let at = count % AHEAD;
            if count >= AHEAD {
                let (h, earlier) = ring[at];
                self.put(h, earlier);
            }
            ring[at] = (hash, s);
            count += 1;
        }
        let left = count.min(AHEAD);
        for k in count - left..count {
            let (h, s) = ring[k % AHEAD];
            self.put(h, s);
        }
    }

    /// Stores a slot known to be new (there is room).
    #[inline]
    fn put(&mut self, hash: u64, slot: Slot) {
        let mask = self.mask();
        let mut i = self.home(hash);
        while self.slots[i] != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = slot;
    }

    /// Hints the CPU to fetch the slot a lookup of `hash` starts at.
    #[inline(always)]
    fn prefetch(&self, hash: u64) {
        #[cfg(target_arch = "x86_64")]
        if !self.slots.is_empty() {
            let p = self.slots.as_ptr().wrapping_add(self.home(hash));
            // SAFETY: a prefetch is only a hint; it never faults and reads
            // nothing into the program (and `p` points into `slots`).
            // `benches/dict.rs` measures what it saves.
            unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p as *const i8) }
        }
    }
}

impl Dict {
    pub fn intern(&mut self, value: &str) -> u32 {
        self.table.reserve(1);
        self.intern_hashed(hash_str(value), value)
    }

    /// Interns a batch; empty values get [`NONE`]. Same ids as one
    /// [`Dict::intern`] after another, several times faster on big
    /// dictionaries.
    pub fn intern_all(&mut self, values: &[&str], out: &mut Vec<u32>) {
        let hashes: Vec<u64> = values.iter().map(|v| hash_str(v)).collect();
        let keys: Vec<u128> = values.iter().zip(&hashes).map(|(v, &h)| key_of(h, v)).collect();
        self.intern_all_keyed(&keys, &hashes, |i| values[i], out);
    }

    /// [`Dict::intern_all`] with each value's hash and slot key
    /// ([`key_of`]) computed elsewhere (the reading thread): `value(i)` is
    /// asked for only when the value is long or new. A key of 0 (the empty
    /// value) gets [`NONE`].
    pub(crate) fn intern_all_keyed<'v>(
        &mut self,
        keys: &[u128],
        hashes: &[u64],
        value: impl Fn(usize) -> &'v str,
        out: &mut Vec<u32>,
    ) {
        debug_assert_eq!(keys.len(), hashes.len());
        out.reserve(keys.len());
        // Room is made a stretch at a time (a small dictionary stays small);
        // a prefetch issued before the table grows is merely wasted.
        for start in (0..keys.len()).step_by(1024) {
            let end = (start + 1024).min(keys.len());
            self.table.reserve(end - start);
            for i in start..end {
                if let Some(&ahead) = hashes.get(i + AHEAD) {
                    self.table.prefetch(ahead);
                }
                out.push(match keys[i] {
                    0 => NONE,
                    key => self.intern_keyed(hashes[i], key, || value(i)),
                });
            }
        }
    }

    /// [`Dict::intern`] with the hash known and room reserved.
    #[inline]
    fn intern_hashed(&mut self, hash: u64, value: &str) -> u32 {
        self.intern_keyed(hash, key_of(hash, value), || value)
    }

    #[inline]
    fn intern_keyed<'v>(&mut self, hash: u64, key: u128, value: impl Fn() -> &'v str) -> u32 {
        let slot = match self.probe(hash, key, &value) {
            Ok(id) => return id,
            Err(slot) => slot,
        };
        let value = value();
        let id = u32::try_from(self.ends.len()).ok().filter(|&id| id < NONE - 1).expect("fewer than 4 billion values");
        self.bytes.push_str(value);
        self.ends.push(self.bytes.len());
        self.table.slots[slot] = key | (id as u128 + 1);
        self.table.used += 1;
        id
    }

    fn find(&self, hash: u64, value: &str) -> Option<u32> {
        if self.table.slots.is_empty() {
            return None;
        }
        self.probe(hash, key_of(hash, value), &|| value).ok()
    }

    /// Where `value` is: its id, or the empty slot it would take. The table
    /// has at least one empty slot.
    #[inline]
    fn probe<'v>(&self, hash: u64, key: u128, value: &impl Fn() -> &'v str) -> Result<u32, usize> {
        let long = key.to_le_bytes()[4] == LONG;
        let mask = self.table.mask();
        let mut i = self.table.home(hash);
        loop {
            let s = self.table.slots[i];
            let Some(id) = slot_id(s) else { return Err(i) };
            if s & !ID_BITS == key && (!long || self.get(id) == value()) {
                return Ok(id);
            }
            i = (i + 1) & mask;
        }
    }

    /// Makes room for `more` new values without growing step by step.
    pub fn reserve(&mut self, more: usize) {
        self.ends.reserve(more);
        self.table.reserve(more);
    }

    /// Interns every value of `other` (in its id order) and returns the ids
    /// they have here: what merging two parts of a log needs.
    pub fn absorb(&mut self, other: &Dict) -> Vec<u32> {
        let hashes: Vec<u64> = other.values().map(hash_str).collect();
        // Most values of a later part are already here (a customer's events
        // fall in several parts): find those in parallel, read-only, then
        // add the new ones in order, so ids stay in order of first appearance.
        let mut ids = vec![NONE; other.len()];
        let threads = crate::available_threads();
        let chunk = other.len().div_ceil(threads).max(1 << 16);
        let find_chunk = |i: usize, part: &mut [u32]| {
            let base = i * chunk;
            for (j, slot) in part.iter_mut().enumerate() {
                if let Some(&ahead) = hashes.get(base + j + AHEAD) {
                    self.table.prefetch(ahead);
                }
                let id = (base + j) as u32;
                *slot = self.find(hashes[id as usize], other.get(id)).unwrap_or(NONE);
            }
        };
        if ids.len() <= chunk {
            // Small dictionaries (attribute values, touchpoints): no thread.
            find_chunk(0, &mut ids);
        } else {
            std::thread::scope(|scope| {
                for (i, part) in ids.chunks_mut(chunk).enumerate() {
                    let find_chunk = &find_chunk;
                    scope.spawn(move || find_chunk(i, part));
                }
            });
        }
        let new: Vec<usize> = (0..ids.len()).filter(|&id| ids[id] == NONE).collect();
        self.reserve(new.len());
        for (k, &id) in new.iter().enumerate() {
            if let Some(&ahead) = new.get(k + AHEAD) {
                self.table.prefetch(hashes[ahead]);
            }
            ids[id] = self.intern_hashed(hashes[id], other.get(id as u32));
        }
        ids
    }

    pub fn get(&self, id: u32) -> &str {
        let i = id as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }
    pub fn lookup(&self, value: &str) -> Option<u32> {
        self.find(hash_str(value), value)
    }
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
    /// Every value, in id order.
    pub fn values(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.ends.len() as u32).map(move |id| self.get(id))
    }
    /// Memory the dictionary holds, in bytes: its text, value ends and table.
    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity()
            + self.ends.capacity() * std::mem::size_of::<usize>()
            + self.table.slots.capacity() * std::mem::size_of::<Slot>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_long_and_colliding_values_keep_their_ids() {
        let mut d = Dict::default();
        let values: Vec<String> = (0..50_000)
            .map(|i| match i % 3 {
                0 => format!("C{i:08}"),
                1 => format!("https://example.com/a/very/long/common/prefix/{i}"),
                _ => format!("{i}"),
            })
            .collect();
        let ids: Vec<u32> = values.iter().map(|v| d.intern(v)).collect();
        assert_eq!(ids, (0..50_000).collect::<Vec<u32>>());
        for (i, v) in values.iter().enumerate() {
            assert_eq!(d.lookup(v), Some(i as u32));
            assert_eq!(d.get(i as u32), v);
        }
        assert_eq!(d.lookup("C"), None);
        assert_eq!(d.lookup("https://example.com/a/very/long/common/prefix/"), None);
    }

    #[test]
    fn a_batch_gives_the_ids_of_one_by_one() {
        let values: Vec<String> = (0..200_000).map(|i| format!("c{}", (i * 7919) % 30_011)).collect();
        let mut one = Dict::default();
        let expected: Vec<u32> = values.iter().map(|v| one.intern(v)).collect();
        let mut batch = Dict::default();
        let mut got = Vec::new();
        for chunk in values.chunks(4096) {
            let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
            batch.intern_all(&refs, &mut got);
        }
        assert_eq!(got, expected);
        let mut empty = Vec::new();
        batch.intern_all(&["", "c1", ""], &mut empty);
        assert_eq!(empty, vec![NONE, batch.lookup("c1").unwrap(), NONE]);
    }

    #[test]
    fn absorbing_keeps_first_appearance_order() {
        let mut a = Dict::default();
        let mut b = Dict::default();
        for i in 0..100_000 {
            a.intern(&format!("x{i}"));
        }
        for i in (50_000..200_000).rev() {
            b.intern(&format!("x{i}"));
        }
        let ids = a.absorb(&b);
        assert_eq!(a.len(), 200_000);
        for (bid, &aid) in ids.iter().enumerate() {
            assert_eq!(a.get(aid), b.get(bid as u32));
        }
        // New values were added in b's order.
        assert_eq!(a.get(100_000), "x199999");
    }
}

//! Attribute columns: one text value (a dictionary id) per event, or per
//! customer, for every key the log has besides the roles.
//!
//! Logs differ wildly in how full these are. A CSV's columns are full; a
//! JSON Lines file may bring a new key on every row and an XES file a new
//! nested key on every event. So a column keeps only the values it has
//! (sorted `(row, id)` pairs) and turns into a plain vector of ids only once
//! at least one row in [`DENSE_FROM`] has a value: memory follows the
//! values in the file, never keys × rows.

use crate::{Dict, NONE};
use rustc_hash::FxHashMap;

/// A column becomes dense once one row in this many has a value (a dense
/// slot costs 4 bytes, a sparse one 8).
const DENSE_FROM: usize = 4;

/// A text attribute column (event level: one value per event; case level:
/// one per case).
#[derive(Clone, Debug, Default)]
pub struct AttrColumn {
    pub name: String,
    pub dict: Dict,
    ids: Ids,
    /// Rows (events or cases) the column spans.
    len: usize,
}

#[derive(Clone, Debug)]
enum Ids {
    Dense(Vec<u32>),
    /// `(row, id)` by row, each row at most once.
    Sparse(Vec<(u32, u32)>),
    /// While a case-level column is built: values arrive in any case order.
    Building(FxHashMap<u32, u32>),
}

impl Default for Ids {
    fn default() -> Self {
        Ids::Sparse(Vec::new())
    }
}

impl AttrColumn {
    pub(crate) fn new(name: &str) -> Self {
        AttrColumn { name: name.to_string(), ..AttrColumn::default() }
    }

    /// A column of one id per row (`NONE` for no value).
    pub fn from_ids(name: &str, dict: Dict, ids: Vec<u32>) -> Self {
        let mut col = AttrColumn { name: name.to_string(), dict, len: ids.len(), ids: Ids::Dense(ids) };
        col.settle();
        col
    }

    /// Rows the column spans.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The id at `row`, [`NONE`] when the row has no value.
    #[inline]
    pub fn id(&self, row: usize) -> u32 {
        match &self.ids {
            Ids::Dense(v) => v.get(row).copied().unwrap_or(NONE),
            Ids::Sparse(pairs) => match pairs.binary_search_by_key(&(row as u32), |p| p.0) {
                Ok(at) => pairs[at].1,
                Err(_) => NONE,
            },
            Ids::Building(map) => map.get(&(row as u32)).copied().unwrap_or(NONE),
        }
    }

    /// The value at `row` (an event or a case), if any.
    pub fn value(&self, row: usize) -> Option<&str> {
        match self.id(row) {
            NONE => None,
            id => Some(self.dict.get(id)),
        }
    }

    /// Every row's id, `NONE` where there is no value.
    pub fn to_ids(&self) -> Vec<u32> {
        (0..self.len).map(|r| self.id(r)).collect()
    }

    /// Rows with a value, as `(row, id)` in row order.
    pub fn values_by_row(&self) -> Vec<(u32, u32)> {
        match &self.ids {
            Ids::Dense(v) => v.iter().enumerate().filter(|p| *p.1 != NONE).map(|(r, &id)| (r as u32, id)).collect(),
            Ids::Sparse(pairs) => pairs.clone(),
            Ids::Building(map) => {
                let mut pairs: Vec<(u32, u32)> = map.iter().map(|(&r, &id)| (r, id)).collect();
                pairs.sort_unstable();
                pairs
            }
        }
    }

    /// Memory held, in bytes (the ids, the dictionary, the column itself).
    pub fn heap_bytes(&self) -> usize {
        let ids = match &self.ids {
            Ids::Dense(v) => v.capacity() * 4,
            Ids::Sparse(p) => p.capacity() * 8,
            Ids::Building(m) => m.capacity() * 12,
        };
        ids + self.dict.heap_bytes() + self.name.capacity() + std::mem::size_of::<AttrColumn>()
    }

    /// Sets the value of `row`, a row at or after every row set before
    /// (event columns are filled in row order); a second value for the
    /// same row replaces the first.
    pub(crate) fn set_last(&mut self, row: usize, id: u32) {
        self.len = self.len.max(row + 1);
        match &mut self.ids {
            Ids::Dense(v) => {
                if v.len() <= row {
                    v.resize(row + 1, NONE);
                }
                v[row] = id;
            }
            Ids::Sparse(pairs) => match pairs.last_mut() {
                Some(last) if last.0 == row as u32 => last.1 = id,
                _ => pairs.push((row as u32, id)),
            },
            Ids::Building(map) => {
                map.insert(row as u32, id);
            }
        }
    }

    /// Sets the value of `row` unless it has one (rows in any order).
    pub(crate) fn set_first(&mut self, row: usize, id: impl FnOnce(&mut Dict) -> u32) {
        self.len = self.len.max(row + 1);
        if let Ids::Sparse(pairs) = &mut self.ids {
            self.ids = Ids::Building(pairs.drain(..).collect());
        }
        match &mut self.ids {
            Ids::Dense(v) => {
                if v.len() <= row {
                    v.resize(row + 1, NONE);
                }
                if v[row] == NONE {
                    v[row] = id(&mut self.dict);
                }
            }
            Ids::Building(map) => {
                if let std::collections::hash_map::Entry::Vacant(e) = map.entry(row as u32) {
                    e.insert(id(&mut self.dict));
                }
            }
            Ids::Sparse(_) => unreachable!("turned into Building above"),
        }
    }

    /// Spans `len` rows, and takes the cheaper of the two layouts.
    pub(crate) fn finish(&mut self, len: usize) {
        self.len = len;
        if let Ids::Dense(v) = &mut self.ids {
            v.resize(len, NONE);
        }
        self.settle();
    }

    /// Dense when full enough, else sorted pairs.
    fn settle(&mut self) {
        let count = match &self.ids {
            Ids::Dense(v) => v.iter().filter(|&&id| id != NONE).count(),
            Ids::Sparse(p) => p.len(),
            Ids::Building(m) => m.len(),
        };
        let dense = count.saturating_mul(DENSE_FROM) >= self.len;
        self.ids = match (std::mem::take(&mut self.ids), dense) {
            (Ids::Dense(v), true) => Ids::Dense(v),
            (ids, true) => {
                let mut v = vec![NONE; self.len];
                for (r, id) in (AttrColumn { ids, ..AttrColumn::default() }).values_by_row() {
                    v[r as usize] = id;
                }
                Ids::Dense(v)
            }
            (ids, false) => Ids::Sparse((AttrColumn { ids, ..AttrColumn::default() }).values_by_row()),
        };
    }

    /// Keeps the rows where `mask` is true; `new_row[r]` is row r's place
    /// among the kept ones.
    pub(crate) fn retain(&mut self, mask: &[bool], new_row: &[u32]) {
        match &mut self.ids {
            Ids::Dense(v) => crate::keep(v, mask),
            Ids::Sparse(pairs) => {
                pairs.retain(|p| mask[p.0 as usize]);
                for p in pairs.iter_mut() {
                    p.0 = new_row[p.0 as usize];
                }
            }
            Ids::Building(_) => self.settle_then_retain(mask, new_row),
        }
        self.len = mask.iter().filter(|k| **k).count();
    }

    fn settle_then_retain(&mut self, mask: &[bool], new_row: &[u32]) {
        self.ids = Ids::Sparse(self.values_by_row());
        self.retain(mask, new_row);
    }

    /// Appends a later part's rows, which start at `offset`, with its ids
    /// mapped by `ids`.
    pub(crate) fn append_rows(&mut self, part: &AttrColumn, offset: usize, ids: &[u32]) {
        for (r, id) in part.values_by_row() {
            self.set_last(offset + r as usize, ids[id as usize]);
        }
        self.len = self.len.max(offset + part.len);
    }

    /// Sets values of a later part's case-level column, mapped to our case
    /// ids by `cases` and to our value ids by `ids`; the first value wins.
    pub(crate) fn absorb_cases(&mut self, part: &AttrColumn, cases: &[u32], ids: &[u32]) {
        for (c, id) in part.values_by_row() {
            self.set_first(cases[c as usize] as usize, |_| ids[id as usize]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_and_dense_columns_read_the_same() {
        let mut sparse = AttrColumn::new("a");
        let x = sparse.dict.intern("x");
        sparse.set_last(3, x);
        sparse.set_last(900, x);
        sparse.set_last(900, x);
        sparse.finish(1000);
        assert!(matches!(sparse.ids, Ids::Sparse(_)));
        assert_eq!(
            (sparse.value(3), sparse.value(4), sparse.value(900), sparse.len()),
            (Some("x"), None, Some("x"), 1000)
        );
        let dense = AttrColumn::from_ids("a", sparse.dict.clone(), sparse.to_ids());
        assert!(matches!(dense.ids, Ids::Sparse(_)), "a mostly empty vector is stored sparsely");
        assert_eq!(dense.to_ids(), sparse.to_ids());

        let mut case = AttrColumn::new("c");
        for row in [5usize, 1, 5, 0, 2, 3] {
            case.set_first(row, |d| d.intern(&format!("v{row}")));
        }
        case.finish(7);
        assert!(matches!(case.ids, Ids::Dense(_)));
        assert_eq!(case.to_ids().len(), 7);
        assert_eq!(case.value(5), Some("v5"));
        assert_eq!(case.value(6), None);

        let mask = [true, false, true, true, false, true, true];
        let mut new_row = vec![0u32; 7];
        let mut n = 0;
        for (r, &k) in mask.iter().enumerate() {
            new_row[r] = n;
            n += k as u32;
        }
        let mut s = sparse.clone();
        let mut wide = vec![false; 1000];
        wide[900] = true;
        wide[2] = true;
        let mut map = vec![0u32; 1000];
        map[900] = 1;
        s.retain(&wide, &map);
        assert_eq!((s.len(), s.value(0), s.value(1)), (2, None, Some("x")));
        case.retain(&mask, &new_row);
        assert_eq!(case.len(), 5);
        assert_eq!(case.value(3), Some("v5"));
    }
}

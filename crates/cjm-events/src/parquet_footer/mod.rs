//! A Parquet footer (and each page header) checked before arrow-rs decodes
//! it.
//!
//! Both are Thrift's compact encoding. arrow-rs skips the fields it does not
//! know, and its skip takes a boolean element of a list, set or map as
//! costing no bytes, so a 63-byte footer that declares a list of two billion
//! booleans keeps it busy for seconds, and nested containers multiply that
//! (both found by fuzzing). This walk reads the bytes the way arrow-rs's
//! skip does, booleans included, and counts the values it visits: past 16
//! a byte (no real footer comes near one) the file is refused before
//! arrow-rs starts. A container of anything else that claims more elements
//! than bytes remain is refused too. An explicit stack, and time linear in
//! the bytes.

mod schema;

/// Thrift compact type ids.
const BOOL_TRUE: u8 = 1;
const BOOL_FALSE: u8 = 2;
const BYTE: u8 = 3;
const I16: u8 = 4;
const I32: u8 = 5;
const I64: u8 = 6;
const DOUBLE: u8 = 7;
const BINARY: u8 = 8;
const LIST: u8 = 9;
const SET: u8 = 10;
const MAP: u8 = 11;
const STRUCT: u8 = 12;
const UUID: u8 = 13;

/// Deeper nesting than any Parquet footer has (arrow-rs stops at 64 too).
const MAX_DEPTH: usize = 64;

/// What the walk is inside.
enum Frame {
    /// A struct: field headers until a stop byte.
    Struct,
    /// A list or set: `left` more elements of type `elem`.
    List { left: u64, elem: u8 },
    /// A map: `left` more keys or values, alternating from a key.
    Map { left: u64, key: u8, value: u8 },
}

/// `None` when every container in `footer` (the Thrift bytes of a
/// `FileMetaData`) claims no more elements than could follow it; else what
/// is wrong, a footer that ends inside a value included.
pub(crate) fn implausible(footer: &[u8]) -> Option<String> {
    let mut walk = Walk::new(footer);
    match walk.run().and_then(|()| schema::check(footer)) {
        Ok(()) => None,
        // A footer is whole: one that ends inside a value is damaged (and
        // arrow-rs, whose walk diverges from a wrong one, could be slow on it).
        Err(Stop::End) => Some("the file's footer is damaged: it ends inside a value".into()),
        Err(Stop::Damaged(why)) => Some(why),
    }
}

/// A page header at the start of `bytes`, walked the same way.
pub(crate) enum PageHeader {
    /// Its length in bytes and the page's compressed size (field 3).
    Whole {
        len: usize,
        compressed: Option<i64>,
    },
    /// `bytes` ends inside the header: ask again with more.
    Cut,
    Damaged(String),
}

/// The page header that starts `bytes` (a Thrift `PageHeader`).
pub(crate) fn page_header(bytes: &[u8]) -> PageHeader {
    let mut walk = Walk::new(bytes);
    match walk.run() {
        Ok(()) => PageHeader::Whole { len: walk.at, compressed: walk.compressed },
        Err(Stop::End) => PageHeader::Cut,
        Err(Stop::Damaged(why)) => PageHeader::Damaged(why.replace("footer", "page header")),
    }
}

enum Stop {
    /// The bytes ran out (a page header read from too small a window, or a
    /// damaged footer).
    End,
    Damaged(String),
}

struct Walk<'a> {
    bytes: &'a [u8],
    at: usize,
    /// Values visited so far, and the most the bytes may declare.
    visited: u64,
    budget: u64,
    /// The outermost struct's last field id (ids are written as deltas).
    last_id: i16,
    /// Its field 3 when that is an i32: a page header's compressed size.
    compressed: Option<i64>,
}

impl<'a> Walk<'a> {
    fn new(bytes: &'a [u8]) -> Walk<'a> {
        let budget = 16 * bytes.len() as u64 + 4096;
        Walk { bytes, at: 0, visited: 0, budget, last_id: 0, compressed: None }
    }

    fn run(&mut self) -> Result<(), Stop> {
        self.run_from(vec![Frame::Struct])
    }

    /// Skips one value of type `t`, as arrow-rs's skip does.
    fn skip_value(&mut self, t: u8) -> Result<(), Stop> {
        let Some(frame) = self.value(t)? else { return Ok(()) };
        let (last_id, compressed) = (self.last_id, self.compressed);
        self.run_from(vec![frame])?;
        (self.last_id, self.compressed) = (last_id, compressed);
        Ok(())
    }

    /// The next field of a struct whose last field id was `last`: its type
    /// and id (`last` becomes the id), or `None` at the struct's end.
    fn field(&mut self, last: &mut i16) -> Result<Option<(u8, i16)>, Stop> {
        let header = self.byte()?;
        if header & 0x0f == 0 {
            return Ok(None);
        }
        *last = self.field_id(header, *last)?;
        Ok(Some((header & 0x0f, *last)))
    }

    /// A field's id from its header byte, as arrow-rs reads it: a delta
    /// from the last id, or an i16 written in full.
    fn field_id(&mut self, header: u8, last: i16) -> Result<i16, Stop> {
        match header >> 4 {
            0 => Ok(unzigzag(self.varint()?) as i16),
            delta => last
                .checked_add(i16::from(delta))
                .ok_or_else(|| Stop::Damaged("the file's footer is damaged: a field id overflows".into())),
        }
    }

    fn run_from(&mut self, mut stack: Vec<Frame>) -> Result<(), Stop> {
        while let Some(frame) = stack.last_mut() {
            let next = match frame {
                Frame::Struct => {
                    let header = self.byte()?;
                    // arrow-rs ends a struct at any type nibble of 0.
                    if header & 0x0f == 0 {
                        stack.pop();
                        continue;
                    }
                    self.visit(1)?;
                    let top = stack.len() == 1;
                    let id = self.field_id(header, if top { self.last_id } else { 0 })?;
                    if top {
                        self.last_id = id;
                        if id == 3 && header & 0x0f == I32 {
                            self.compressed = Some(unzigzag(self.varint()?));
                            continue;
                        }
                    }
                    header & 0x0f
                }
                Frame::List { left: 0, .. } | Frame::Map { left: 0, .. } => {
                    stack.pop();
                    continue;
                }
                Frame::List { left, elem } => {
                    *left -= 1;
                    *elem
                }
                Frame::Map { left, key, value } => {
                    *left -= 1;
                    if *left % 2 == 1 {
                        *key
                    } else {
                        *value
                    }
                }
            };
            if stack.len() > 1 {
                self.visit(1)?;
            }
            if let Some(frame) = self.value(next)? {
                if stack.len() >= MAX_DEPTH {
                    return Err(Stop::Damaged("the file's footer nests deeper than a Parquet footer does".into()));
                }
                stack.push(frame);
            }
        }
        Ok(())
    }

    /// Reads a value of type `t`, or opens its container.
    fn value(&mut self, t: u8) -> Result<Option<Frame>, Stop> {
        match t {
            BOOL_TRUE | BOOL_FALSE => {}
            BYTE => {
                self.byte()?;
            }
            I16 | I32 | I64 => {
                self.varint()?;
            }
            DOUBLE => self.skip(8)?,
            UUID => self.skip(16)?,
            BINARY => {
                let len = self.varint()?;
                self.skip(len)?;
            }
            LIST | SET => {
                let header = self.byte()?;
                let size = match header >> 4 {
                    15 => self.varint()?,
                    small => u64::from(small),
                };
                let elem = header & 0x0f;
                if is_bool(elem) {
                    // Booleans cost arrow-rs's skip nothing: count them all now.
                    self.visit(size)?;
                    return Ok(None);
                }
                return Ok(Some(Frame::List { left: self.claim(size, 1)?, elem }));
            }
            MAP => {
                let size = self.varint()?;
                if size == 0 {
                    return Ok(None);
                }
                let types = self.byte()?;
                let (key, value) = (types >> 4, types & 0x0f);
                let each = u64::from(!is_bool(key)) + u64::from(!is_bool(value));
                if each == 0 {
                    self.visit(size.saturating_mul(2))?;
                    return Ok(None);
                }
                let left = self.claim(size, each)?.saturating_mul(2);
                return Ok(Some(Frame::Map { left, key, value }));
            }
            STRUCT => return Ok(Some(Frame::Struct)),
            other => return Err(Stop::Damaged(format!("the file's footer is damaged (Thrift type {other})"))),
        }
        Ok(None)
    }

    /// `n` more values visited, within the budget.
    fn visit(&mut self, n: u64) -> Result<(), Stop> {
        self.visited = self.visited.saturating_add(n);
        if self.visited > self.budget {
            return Err(Stop::Damaged(format!(
                "the file's footer is damaged: it declares more values than its {} bytes can hold",
                self.bytes.len()
            )));
        }
        Ok(())
    }

    /// `size` elements of at least `each` bytes must fit in what is left.
    fn claim(&self, size: u64, each: u64) -> Result<u64, Stop> {
        let left = (self.bytes.len() - self.at) as u64;
        if size.saturating_mul(each) > left {
            return Err(Stop::Damaged(format!(
                "the file's footer is damaged: a list claims {size} elements in {left} bytes"
            )));
        }
        Ok(size)
    }

    fn byte(&mut self) -> Result<u8, Stop> {
        let b = *self.bytes.get(self.at).ok_or(Stop::End)?;
        self.at += 1;
        Ok(b)
    }

    fn skip(&mut self, n: u64) -> Result<(), Stop> {
        let end = (self.at as u64).checked_add(n).filter(|&e| e <= self.bytes.len() as u64).ok_or(Stop::End)?;
        self.at = end as usize;
        Ok(())
    }

    /// An unsigned LEB128 varint (zigzag does not matter for skipping).
    fn varint(&mut self) -> Result<u64, Stop> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            if shift < 64 {
                v |= u64::from(b & 0x7f) << shift;
            }
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(Stop::Damaged("the file's footer is damaged (a number runs on)".into()))
    }
}

fn is_bool(t: u8) -> bool {
    matches!(t, BOOL_TRUE | BOOL_FALSE)
}

fn unzigzag(v: u64) -> i64 {
    (v >> 1) as i64 ^ -((v & 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_of_millions_of_booleans_in_a_few_bytes_is_damaged() {
        // Field 1, a list; its header: the size in a varint (2^24 - 1), booleans.
        let footer = [0x19, 0xf1, 0xff, 0xff, 0xff, 0x07, 0x00];
        let why = implausible(&footer).expect("refused");
        assert!(why.contains("declares more values than its 7 bytes can hold"), "{why}");
        // A few booleans are fine, as arrow-rs reads them (no bytes).
        assert!(implausible(&[0x19, 0x31, 0x00]).is_none());
    }

    #[test]
    fn lists_nested_to_multiply_the_work_are_damaged() {
        // Field 1: a list of 14 lists of 14 lists … of 14 booleans, 10 deep.
        let mut footer = vec![0x19];
        footer.extend([0xe9; 9]);
        footer.push(0xe1);
        footer.push(0x00);
        assert!(implausible(&footer).is_some());
    }

    #[test]
    fn lists_of_other_values_cannot_claim_more_elements_than_bytes() {
        assert!(implausible(&[0x19, 0x35, 2, 4, 6, 0x00]).is_none());
        let why = implausible(&[0x19, 0x55, 2, 4, 6, 0x00]).expect("refused");
        assert!(why.contains("a list claims 5 elements in 4 bytes"), "{why}");
    }

    #[test]
    fn a_map_needs_a_byte_a_pair_per_side_and_a_truncated_footer_is_damaged() {
        assert!(implausible(&[0x1b, 0x05, 0x55, 0x00]).is_some());
        assert!(implausible(&[0x1b, 0x01, 0x55, 0x02, 0x04, 0x00]).is_none());
        assert!(implausible(&[0x1b, 0xff, 0xff, 0xff, 0xff, 0x07, 0x11, 0x00]).is_some());
        assert!(implausible(&[0x1b]).expect("refused").contains("ends inside a value"));
    }

    #[test]
    fn a_page_headers_length_and_compressed_size_are_read() {
        // type 0, uncompressed 100, compressed 60, then a data page header
        // struct with one i32 field; then the page's own bytes.
        let header = [0x15, 0x00, 0x15, 0xc8, 0x01, 0x15, 0x78, 0x2c, 0x15, 0x02, 0x00, 0x00, 0xaa, 0xbb];
        match page_header(&header) {
            PageHeader::Whole { len, compressed } => assert_eq!((len, compressed), (12, Some(60))),
            _ => panic!("a whole header"),
        }
        assert!(matches!(page_header(&header[..6]), PageHeader::Cut));
        assert!(matches!(page_header(&[0x19, 0xf1, 0xff, 0xff, 0xff, 0x07]), PageHeader::Damaged(_)));
    }

    /// Found by fuzzing: a field id written in full as the largest varint,
    /// then a field with a delta, overflowed the id.
    #[test]
    fn field_ids_do_not_overflow() {
        let header = [0x05, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00, 0x15, 0x02, 0x00];
        assert!(matches!(page_header(&header), PageHeader::Whole { .. }));
    }

    #[test]
    fn deep_nesting_is_refused_without_recursion() {
        let mut footer = vec![0x1c; 100_000];
        footer.push(0);
        let why = implausible(&footer).expect("refused");
        assert!(why.contains("deeper"), "{why}");
    }
}

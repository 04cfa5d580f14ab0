//! The footer's schema, read the way arrow-rs decodes it, before it does.
//!
//! arrow-rs reads a schema entry's fields by id, whatever type the bytes
//! declare, and builds the tree recursively, reserving room for the
//! children each group claims. So a 62-byte footer can claim a group of
//! hundreds of millions of children (3 GB reserved, found by fuzzing), and a
//! schema of nested groups can be as deep as it is long. This reads the
//! first `schema` field of the footer (arrow-rs's schema decoder skips to
//! it as the walk in [`super`] does), refuses an entry whose known fields
//! have another type than the Parquet format gives them (where a typed read
//! and a skip would part), and checks the tree arrow-rs will build: no group
//! claims more children than entries follow it, and no nesting deeper than
//! [`MAX_DEPTH`]. The reader then hands arrow-rs this schema, so it skips
//! every `schema` field of the footer instead of decoding one this did not
//! check.

use super::{Stop, Walk, BINARY, BOOL_FALSE, BOOL_TRUE, BYTE, I32, LIST, MAX_DEPTH, STRUCT};

/// What a known field must be: a value of one wire type, or a struct (or
/// union) with known fields of its own.
#[derive(Clone, Copy)]
enum Shape {
    Value(u8),
    Struct(&'static [(i16, Shape)]),
}

const EMPTY: Shape = Shape::Struct(&[]);
const TIME_UNIT: Shape = Shape::Struct(&[(1, EMPTY), (2, EMPTY), (3, EMPTY)]);
const TIME: Shape = Shape::Struct(&[(1, Shape::Value(BOOL_TRUE)), (2, TIME_UNIT)]);

/// Parquet's `LogicalType` union, variant by variant.
const LOGICAL_TYPE: Shape = Shape::Struct(&[
    (1, EMPTY),
    (2, EMPTY),
    (3, EMPTY),
    (4, EMPTY),
    (5, Shape::Struct(&[(1, Shape::Value(I32)), (2, Shape::Value(I32))])),
    (6, EMPTY),
    (7, TIME),
    (8, TIME),
    (10, Shape::Struct(&[(1, Shape::Value(BYTE)), (2, Shape::Value(BOOL_TRUE))])),
    (11, EMPTY),
    (12, EMPTY),
    (13, EMPTY),
    (14, EMPTY),
    (15, EMPTY),
    (16, Shape::Struct(&[(1, Shape::Value(BYTE))])),
    (17, Shape::Struct(&[(1, Shape::Value(BINARY))])),
    (18, Shape::Struct(&[(1, Shape::Value(BINARY)), (2, Shape::Value(I32))])),
    (19, EMPTY),
]);

/// A `SchemaElement`'s fields but the children count (5), read apart.
const ELEMENT: &[(i16, Shape)] = &[
    (1, Shape::Value(I32)),
    (2, Shape::Value(I32)),
    (3, Shape::Value(I32)),
    (4, Shape::Value(BINARY)),
    (6, Shape::Value(I32)),
    (7, Shape::Value(I32)),
    (8, Shape::Value(I32)),
    (9, Shape::Value(I32)),
    (10, LOGICAL_TYPE),
];
const NUM_CHILDREN: i16 = 5;

/// Checks the first `schema` field (id 2) of `footer`, a `FileMetaData`.
pub(super) fn check(footer: &[u8]) -> Result<(), Stop> {
    let mut walk = Walk::new(footer);
    let mut last = 0;
    while let Some((t, id)) = walk.field(&mut last)? {
        if id == 2 {
            if t != LIST {
                return Err(damaged("its schema is not a list"));
            }
            let children = entries(&mut walk)?;
            return tree(&children).map_err(Stop::Damaged);
        }
        walk.skip_value(t)?;
    }
    Ok(()) // no schema: arrow-rs says so
}

/// The list of schema entries: each one's claimed children.
fn entries(walk: &mut Walk) -> Result<Vec<i32>, Stop> {
    let header = walk.byte()?;
    let size = match header >> 4 {
        15 => walk.varint()?,
        small => u64::from(small),
    };
    if header != 0 && header & 0x0f != STRUCT {
        return Err(damaged("its schema is not a list of fields"));
    }
    let mut children = Vec::new();
    for _ in 0..size.min(i32::MAX as u64) {
        children.push(entry(walk)?);
    }
    Ok(children)
}

/// One `SchemaElement`: its children count (0 when it has none).
fn entry(walk: &mut Walk) -> Result<i32, Stop> {
    let mut children = 0;
    let mut last = 0;
    while let Some((t, id)) = walk.field(&mut last)? {
        if id == NUM_CHILDREN {
            expect(t, Shape::Value(I32))?;
            // arrow-rs reads an i32 from a zigzag varint, keeping its low bits.
            children = super::unzigzag(walk.varint()?) as i32;
        } else {
            known(walk, ELEMENT, id, t)?;
        }
    }
    Ok(children)
}

/// Reads field `id` of type `t` in a struct whose known fields are `fields`.
fn known(walk: &mut Walk, fields: &[(i16, Shape)], id: i16, t: u8) -> Result<(), Stop> {
    match fields.iter().find(|(known, _)| *known == id) {
        Some(&(_, Shape::Struct(inner))) => {
            expect(t, Shape::Struct(inner))?;
            let mut last = 0;
            while let Some((t, id)) = walk.field(&mut last)? {
                known(walk, inner, id, t)?;
            }
            Ok(())
        }
        Some(&(_, shape)) => {
            expect(t, shape)?;
            walk.skip_value(t)
        }
        None => walk.skip_value(t),
    }
}

/// A field of the wire type `t` where the format has `shape`.
fn expect(t: u8, shape: Shape) -> Result<(), Stop> {
    let fits = match shape {
        Shape::Value(BOOL_TRUE) => matches!(t, BOOL_TRUE | BOOL_FALSE),
        Shape::Value(want) => t == want,
        Shape::Struct(_) => t == STRUCT,
    };
    if fits {
        Ok(())
    } else {
        Err(damaged("a field of its schema has the wrong type"))
    }
}

/// The tree arrow-rs builds from the entries' children counts, walked with
/// an explicit stack: every claim must fit in the entries that follow
/// (together with the claims still open), and the nesting in
/// [`MAX_DEPTH`].
fn tree(children: &[i32]) -> Result<(), String> {
    let mut open: Vec<u64> = Vec::new(); // children still to come, per group
    let mut owed = 0u64; // their sum
    for (i, &claim) in children.iter().enumerate() {
        let after = (children.len() - i - 1) as u64;
        if let Some(top) = open.last_mut() {
            *top -= 1;
            owed -= 1;
        }
        let claim = u64::try_from(claim)
            .map_err(|_| format!("the file's footer is damaged: a schema group claims {claim} fields"))?;
        if claim > 0 {
            owed += claim;
            if owed > after {
                return Err(format!(
                    "the file's footer is damaged: a schema group claims {claim} fields, but {after} entries follow it"
                ));
            }
            open.push(claim);
            if open.len() > MAX_DEPTH {
                return Err("the file's schema nests deeper than a log's does".into());
            }
        }
        while open.last() == Some(&0) {
            open.pop();
        }
    }
    Ok(())
}

fn damaged(what: &str) -> Stop {
    Stop::Damaged(format!("the file's footer is damaged: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A footer of `schema` (field 2) made of entries with these children
    /// counts (zigzag i32s, small).
    fn footer(children: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0x29, 0xfc, children.len() as u8];
        for &c in children {
            // name "a" (field 4), num_children (field 5), stop
            bytes.extend([0x48, 1, b'a', 0x15, c << 1, 0]);
        }
        bytes.push(0);
        bytes
    }

    #[test]
    fn a_group_cannot_claim_more_fields_than_follow_it() {
        assert!(check(&footer(&[2, 0, 0])).is_ok());
        let Err(Stop::Damaged(why)) = check(&footer(&[3, 0, 0])) else { panic!("refused") };
        assert!(why.contains("claims 3 fields, but 2 entries follow it"), "{why}");
        // Nested claims count together: the inner group's 2 and the outer's
        // 1 left need 3 entries, and 2 follow.
        assert!(check(&footer(&[2, 2, 0, 0])).is_err());
    }

    #[test]
    fn nesting_past_the_depth_a_log_has_is_refused() {
        let mut chain = vec![1u8; 70];
        chain.push(0);
        let Err(Stop::Damaged(why)) = check(&footer(&chain)) else { panic!("refused") };
        assert!(why.contains("nests deeper"), "{why}");
        assert!(check(&footer(&[1, 1, 1, 0])).is_ok());
    }

    #[test]
    fn a_known_field_of_another_type_is_refused() {
        // num_children written as a list: arrow-rs would read an i32 there.
        let bytes = [0x29, 0x1c, 0x59, 0x00, 0x00, 0x00];
        let Err(Stop::Damaged(why)) = check(&bytes) else { panic!("refused") };
        assert!(why.contains("wrong type"), "{why}");
        // A schema that is a struct, not a list.
        assert!(check(&[0x2c, 0x00, 0x00]).is_err());
        // Unknown fields are skipped, whatever their type.
        assert!(check(&[0x29, 0x1c, 0xb9, 0x00, 0x00, 0x00]).is_ok());
    }

    #[test]
    fn logical_types_are_read_variant_by_variant() {
        // An entry with a TIMESTAMP(isAdjustedToUTC, MICROS) logical type.
        let ts = [0x29, 0x1c, 0xac, 0x8c, 0x11, 0x1c, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
        assert!(check(&ts).is_ok());
        // The same with its unit written as an i32.
        let wrong = [0x29, 0x1c, 0xac, 0x8c, 0x11, 0x15, 0x02, 0x00, 0x00, 0x00, 0x00];
        assert!(check(&wrong).is_err());
    }
}

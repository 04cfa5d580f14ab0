//! cjm-live's integration tests: many clients and the server's document
//! over a network that reorders, duplicates, drops and reconnects, with
//! server restarts from what it stored; text edits as minimal
//! transactions.

mod convergence;

use cjm_live::{Limits, LiveDoc};

#[test]
fn a_seeded_document_loads_from_its_snapshot_and_updates() {
    let (mut live, snapshot) = LiveDoc::seed("\u{feff}journey\r\n  title A\r\n", Limits::default());
    assert_eq!(live.text(), "journey\n  title A\n");
    let u1 = live.set_text("journey\n  title Ä café\n").unwrap().expect("a change");
    let u2 = live.set_text("journey\n  title Ä café\n  section S\n").unwrap().expect("a change");
    assert_eq!(live.set_text("journey\n  title Ä café\n  section S\n").unwrap(), None);
    let loaded = LiveDoc::load(&snapshot, [u1.as_slice(), u2.as_slice()], Limits::default()).unwrap();
    assert_eq!(loaded.text(), live.text());
    // Updates in another order, and twice: the same text.
    let again = LiveDoc::load(&snapshot, [u2.as_slice(), u1.as_slice(), u2.as_slice()], Limits::default()).unwrap();
    assert_eq!(again.text(), live.text());
}

#[test]
fn limits_refuse_growth_but_never_deletions() {
    let limits = Limits { text_bytes: 100, state_bytes: 1 << 20 };
    let (mut server, snapshot) = LiveDoc::seed("journey\n", limits);
    let client = LiveDoc::load(&snapshot, [], Limits::default()).unwrap();
    let mut client = client;
    let big = client.set_text(&format!("journey\n{}\n", "x".repeat(200))).unwrap().unwrap();
    assert_eq!(server.apply(&big), Err(cjm_live::LiveError::TextTooLarge { limit: 100 }));
    assert_eq!(server.text(), "journey\n");
    let small = LiveDoc::load(&snapshot, [], Limits::default()).unwrap().set_text("").unwrap().unwrap();
    assert!(server.apply(&small).unwrap());
    assert_eq!(server.text(), "");
    assert!(matches!(server.set_text(&"y".repeat(101)), Err(cjm_live::LiveError::TextTooLarge { .. })));
}

#[test]
fn garbage_is_an_error_never_a_panic() {
    let (mut live, _) = LiveDoc::seed("journey\n", Limits::default());
    let mut state = 7u64;
    for len in 0..400 {
        let bytes: Vec<u8> = (0..len % 40)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (state >> 56) as u8
            })
            .collect();
        let _ = live.apply(&bytes);
        let _ = live.missing_for(&bytes);
        let _ = cjm_live::wire::decode(&bytes);
    }
    assert!(live.text().starts_with("journey"));
}

#[test]
fn updates_out_of_order_are_stored_as_they_integrate() {
    let (mut server, snapshot) = LiveDoc::seed("journey\n", Limits::default());
    let mut client = LiveDoc::load(&snapshot, [], Limits::default()).unwrap();
    let u1 = client.set_text("journey\nA\n").unwrap().unwrap();
    let u2 = client.set_text("journey\nA\nB\n").unwrap().unwrap();
    let u3 = client.set_text("journey\nA\nB\nC\n").unwrap().unwrap();
    let mut stored = Vec::new();
    for u in [&u3, &u2, &u1, &u2] {
        if server.apply(u).unwrap() {
            stored.push(u.clone());
        }
    }
    assert_eq!(stored.len(), 3, "the repeated update is known");
    assert_eq!(server.text(), client.text());
    let loaded = LiveDoc::load(&snapshot, stored.iter().map(Vec::as_slice), Limits::default()).unwrap();
    assert_eq!(loaded.text(), server.text());
}

#[test]
fn offline_insert_and_delete_then_sync_is_stored() {
    use yrs::updates::decoder::Decode;
    use yrs::{Doc, ReadTxn, StateVector, Text, Transact};
    let (mut server, snapshot) = LiveDoc::seed("journey\n", Limits::default());
    let client = Doc::new();
    let text = client.get_or_insert_text(cjm_live::doc::TEXT);
    client.transact_mut().apply_update(yrs::Update::decode_v1(&snapshot).unwrap()).unwrap();
    text.insert(&mut client.transact_mut(), 0, "[a]");
    text.remove_range(&mut client.transact_mut(), 0, 3);
    text.insert(&mut client.transact_mut(), 0, "[b]");
    let sv = StateVector::decode_v1(&server.state_vector()).unwrap();
    let diff = client.transact().encode_diff_v1(&sv);
    assert!(server.apply(&diff).unwrap());
    assert_eq!(server.text(), "[b]journey\n");
    let loaded = LiveDoc::load(&snapshot, [diff.as_slice()], Limits::default()).unwrap();
    assert_eq!(loaded.text(), "[b]journey\n");
}

proptest::proptest! {
    /// The smallest edits make the new text when applied in order, and
    /// right to left at the old offsets (how the document applies them):
    /// words of a few letters changed into others, across lines.
    #[test]
    fn edits_between_two_texts_make_the_second(
        old in proptest::collection::vec("[a-e é😀]{0,8}", 0..6),
        new in proptest::collection::vec("[a-e é😀]{0,8}", 0..6),
    ) {
        let (old, new) = (old.join("\n"), new.join("\n"));
        let edits = cjm_live::edits::between(&old, &new);
        proptest::prop_assert_eq!(cjm_live::edits::apply(&old, &edits), new.clone());
        let mut text = old.clone();
        for e in edits.iter().rev() {
            text.replace_range(e.at..e.at + e.delete, &e.insert);
        }
        proptest::prop_assert_eq!(text, new);
    }
}

//! One map's live document: a yrs `Doc` holding the map's text as the
//! `Y.Text` named `source`, the same name the browser's Yjs binds its
//! CodeMirror editor to.
//!
//! The server never rebuilds a document from text once it exists (clients
//! that kept their state would get the text twice): it is seeded once, then
//! only ever loaded from its snapshot and the updates after it. Updates
//! going out are `encode_diff_v1` answers, never the pending-merging
//! `encode_state_as_update_v1` (its Skip structs make Yjs 13 drop text).

use yrs::updates::decoder::Decode;
use yrs::{Doc, GetString, Options, ReadTxn, StateVector, Text, TextRef, Transact, Update};

/// The name of the text every client binds to.
pub const TEXT: &str = "source";

/// What the document refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The text's size in bytes (the map's size limit).
    pub text_bytes: usize,
    /// The encoded CRDT state in bytes, history of deletions included.
    pub state_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { text_bytes: 2 << 20, state_bytes: 16 << 20 }
    }
}

/// Why an update or a load was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveError {
    /// The bytes are not a Yjs v1 update (or state vector).
    Undecodable(String),
    /// Applying it would make the text larger than the limit.
    TextTooLarge { limit: usize },
    /// The document's history has reached the limit: it must be saved and
    /// compacted before more text is added.
    StateTooLarge { limit: usize },
    /// yrs failed inside (a bug in it, or an update crafted to find one);
    /// the document must be reloaded from disk.
    Poisoned(String),
}

impl std::fmt::Display for LiveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LiveError::Undecodable(why) => write!(f, "not a Yjs update: {why}"),
            LiveError::TextTooLarge { limit } => {
                write!(f, "the map would be larger than {} MiB; split it or remove text first", limit >> 20)
            }
            LiveError::StateTooLarge { limit } => write!(
                f,
                "the live document's history is larger than {} MiB; save a version to compact it",
                limit >> 20
            ),
            LiveError::Poisoned(why) => write!(f, "the live document failed and will be reloaded: {why}"),
        }
    }
}

/// A map's live document.
pub struct LiveDoc {
    doc: Doc,
    text: TextRef,
    limits: Limits,
    /// The encoded size of the last snapshot plus the updates since.
    state_bytes: usize,
}

impl LiveDoc {
    fn empty(limits: Limits) -> LiveDoc {
        // A fresh random client id each time a document is loaded: the
        // server's own edits (seed, form edits) never reuse a clock.
        let doc = Doc::with_options(Options { skip_gc: false, ..Options::default() });
        let text = doc.get_or_insert_text(TEXT);
        LiveDoc { doc, text, limits, state_bytes: 0 }
    }

    /// A new document holding `text`, and its first snapshot. Line ends
    /// become `\n` and a byte-order mark goes (CodeMirror splits lines on
    /// `\r\n?|\n`: a `\r` kept in the text would shift every offset).
    pub fn seed(text: &str, limits: Limits) -> (LiveDoc, Vec<u8>) {
        let mut live = LiveDoc::empty(limits);
        let text = normalise(text);
        live.text.insert(&mut live.doc.transact_mut(), 0, &text);
        let snapshot = live.snapshot();
        live.state_bytes = snapshot.len();
        (live, snapshot)
    }

    /// The document from its snapshot and the updates stored after it.
    pub fn load<'u>(
        snapshot: &'u [u8],
        updates: impl IntoIterator<Item = &'u [u8]>,
        limits: Limits,
    ) -> Result<LiveDoc, LiveError> {
        let mut live = LiveDoc::empty(limits);
        for bytes in std::iter::once(snapshot).chain(updates) {
            let update = decode_update(bytes)?;
            live.integrate(update)?;
            live.state_bytes += bytes.len();
        }
        Ok(live)
    }

    pub fn text(&self) -> String {
        self.text.get_string(&self.doc.transact())
    }

    /// The text's length in bytes.
    pub fn len(&self) -> usize {
        self.text.len(&self.doc.transact()) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The encoded state vector (for a sync step 1).
    pub fn state_vector(&self) -> Vec<u8> {
        use yrs::updates::encoder::Encode;
        self.doc.transact().state_vector().encode_v1()
    }

    /// What a peer with state vector `sv` lacks (for a sync step 2).
    pub fn missing_for(&self, sv: &[u8]) -> Result<Vec<u8>, LiveError> {
        let sv = match std::panic::catch_unwind(|| StateVector::decode_v1(sv)) {
            Ok(Ok(sv)) => sv,
            Ok(Err(e)) => return Err(LiveError::Undecodable(e.to_string())),
            Err(_) => return Err(LiveError::Undecodable("the state vector does not decode".into())),
        };
        Ok(self.doc.transact().encode_diff_v1(&sv))
    }

    /// The whole document as one update, to store as its snapshot.
    /// Updates that wait for missing ones are not in it: while
    /// [`LiveDoc::has_missing`], keep the stored updates (see
    /// [`LiveDoc::compaction`]).
    pub fn snapshot(&self) -> Vec<u8> {
        self.doc.transact().encode_diff_v1(&StateVector::default())
    }

    /// A snapshot to replace the stored snapshot and updates with, or
    /// `None` while updates wait for missing ones (a snapshot would lose
    /// them, and the document on disk would differ from this one; found by
    /// the convergence test).
    pub fn compaction(&mut self) -> Option<Vec<u8>> {
        if self.has_missing() {
            return None;
        }
        let snapshot = self.snapshot();
        self.state_bytes = snapshot.len();
        Some(snapshot)
    }

    /// The size of the stored state: the last snapshot and the updates since.
    pub fn state_bytes(&self) -> usize {
        self.state_bytes
    }

    /// Applies a client's update. `Ok(false)` when it brought nothing new
    /// (every block known, no deletions); else it is to be stored and passed
    /// on as it came. (Not yrs's update observer: in yrs 0.28.1 it reports
    /// an empty update for some remote transactions that did change the
    /// text, found by the convergence test; and the update as it came also
    /// keeps what waits for missing updates, so the stored log holds
    /// exactly what the document was given.)
    pub fn apply(&mut self, bytes: &[u8]) -> Result<bool, LiveError> {
        let update = decode_update(bytes)?;
        let before = self.doc.transact().state_vector();
        // (Not `Update::state_vector`: it counts only blocks from clock 0.)
        let known = update
            .insertions(true)
            .iter()
            .all(|(client, ranges)| ranges.into_iter().all(|r| r.end <= before.get(client)));
        if known && update.delete_set().is_empty() {
            return Ok(false);
        }
        let inserted: u64 = update
            .insertions(false)
            .iter()
            .flat_map(|(_, ranges)| ranges.into_iter().map(|r| u64::from(r.end - r.start)))
            .sum();
        if inserted > 0 {
            // A UTF-16 unit of Yjs's is at most three bytes of UTF-8.
            if self.len() as u64 + 3 * inserted > self.limits.text_bytes as u64 {
                return Err(LiveError::TextTooLarge { limit: self.limits.text_bytes });
            }
            if self.state_bytes + bytes.len() > self.limits.state_bytes {
                return Err(LiveError::StateTooLarge { limit: self.limits.state_bytes });
            }
        }
        self.integrate(update)?;
        self.state_bytes += bytes.len();
        Ok(true)
    }

    /// Whether updates are waiting for ones that have not come (the peer
    /// that sent them should be asked for a sync step 2).
    pub fn has_missing(&self) -> bool {
        self.doc.transact().has_missing_updates()
    }

    /// Makes the text `new` by the smallest edits (lines, then characters
    /// inside changed lines), in one transaction, so concurrent typing
    /// elsewhere in the text survives and cursors stay put. The update, or
    /// `None` when the text was already `new`.
    pub fn set_text(&mut self, new: &str) -> Result<Option<Vec<u8>>, LiveError> {
        let new = normalise(new);
        if new.len() > self.limits.text_bytes {
            return Err(LiveError::TextTooLarge { limit: self.limits.text_bytes });
        }
        let old = self.text();
        let edits = crate::edits::between(&old, &new);
        if edits.is_empty() {
            return Ok(None);
        }
        let mut txn = self.doc.transact_mut();
        // yrs computes a transaction's starting state when first asked:
        // asked only at the end (by `encode_update_v1`), it is the state
        // after the edits, and the update comes out empty (found by test).
        txn.before_state();
        // Right to left: each edit's offsets are still those of `old`.
        for e in edits.iter().rev() {
            if e.delete > 0 {
                self.text.remove_range(&mut txn, e.at as u32, e.delete as u32);
            }
            if !e.insert.is_empty() {
                self.text.insert(&mut txn, e.at as u32, &e.insert);
            }
        }
        // This transaction's own edits (local, so yrs tracks them exactly).
        let update = txn.encode_update_v1();
        drop(txn);
        self.state_bytes += update.len();
        Ok(Some(update))
    }

    fn integrate(&mut self, update: Update) -> Result<(), LiveError> {
        let doc = &self.doc;
        let applied =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| doc.transact_mut().apply_update(update)));
        match applied {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(LiveError::Undecodable(e.to_string())),
            Err(_) => Err(LiveError::Poisoned("yrs panicked applying an update".into())),
        }
    }
}

/// A v1 update from bytes, without letting a panic in the decoder out.
fn decode_update(bytes: &[u8]) -> Result<Update, LiveError> {
    match std::panic::catch_unwind(|| Update::decode_v1(bytes)) {
        Ok(Ok(update)) => Ok(update),
        Ok(Err(e)) => Err(LiveError::Undecodable(e.to_string())),
        Err(_) => Err(LiveError::Undecodable("the update does not decode".into())),
    }
}

/// Line ends as `\n`, no byte-order mark.
pub fn normalise(text: &str) -> String {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text.to_string()
    }
}

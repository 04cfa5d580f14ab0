//! The y-websocket wire protocol (y-protocols' sync and awareness messages),
//! and cjm's own messages beside them, decoded by hand: every length is
//! checked against the bytes that are left, numbers stop at JavaScript's
//! 2^53, and nothing in a frame can make the decoder allocate more than the
//! frame's size or panic.
//!
//! A frame is `varUint type` and a body: `0` sync (`varUint` step, then a
//! `varUint8Array`: 0 a state vector, 1 the updates the other side lacks, 2
//! an update), `1` awareness (a `varUint8Array` holding `varUint` count, then
//! per client `varUint id`, `varUint clock`, `varString` JSON), `2` auth, `3`
//! a query for everyone's awareness. cjm's messages are `100..=104` with a
//! `varString` of JSON, sent only to clients that asked for them.

/// The largest number JavaScript holds exactly; lib0 writes no larger.
pub const MAX_SAFE: u64 = (1 << 53) - 1;

/// What a client sent, one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// "Here is my state vector; send me what I lack."
    SyncStep1(Vec<u8>),
    /// The updates the receiver lacked (an answer to a step 1).
    SyncStep2(Vec<u8>),
    Update(Vec<u8>),
    Awareness(Vec<AwarenessEntry>),
    QueryAwareness,
    /// "You may not write" (y-protocols' auth message, permission denied),
    /// with the reason.
    Denied(String),
    /// cjm's acknowledgement: the first n sync messages are on disk.
    Ack(u64),
    /// cjm's other messages (hello, saved, preview, notice), their JSON.
    Notice(u64, String),
}

/// One client's awareness state: its clock and its JSON (`null` when it
/// left).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwarenessEntry {
    pub client: u64,
    pub clock: u64,
    pub json: String,
}

/// Why a frame was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireError {
    /// The frame ends inside a message.
    Truncated,
    /// A number past 2^53 or a string that is not UTF-8.
    Malformed(&'static str),
    UnknownMessage(u64),
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WireError::Truncated => write!(f, "the frame ends inside a message"),
            WireError::Malformed(what) => write!(f, "malformed frame: {what}"),
            WireError::UnknownMessage(t) => write!(f, "unknown message type {t}"),
        }
    }
}

pub const MSG_SYNC: u64 = 0;
pub const MSG_AWARENESS: u64 = 1;
pub const MSG_AUTH: u64 = 2;
pub const MSG_QUERY_AWARENESS: u64 = 3;
const STEP1: u64 = 0;
const STEP2: u64 = 1;
const UPDATE: u64 = 2;

/// cjm's own messages, server to client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// The first frame: who you are, your role, the document's generation.
    Hello = 100,
    /// "The first n sync messages you sent on this socket are on disk."
    Ack = 101,
    /// A version was saved.
    Saved = 102,
    /// A fresh check of the live text: diagnostics and outline.
    Preview = 103,
    /// Anything else a person should read (role changed, limit reached).
    Notice = 104,
}

/// Every message in `frame`, in order.
pub fn decode(frame: &[u8]) -> Result<Vec<Incoming>, WireError> {
    let mut r = Reader { bytes: frame, at: 0 };
    let mut out = Vec::new();
    while !r.done() {
        out.push(r.message()?);
    }
    Ok(out)
}

/// A sync step 1 frame: `sv` is an encoded state vector.
pub fn sync_step1(sv: &[u8]) -> Vec<u8> {
    sync(STEP1, sv)
}

/// A sync step 2 frame: the updates the receiver lacks.
pub fn sync_step2(update: &[u8]) -> Vec<u8> {
    sync(STEP2, update)
}

pub fn update(update: &[u8]) -> Vec<u8> {
    sync(UPDATE, update)
}

fn sync(step: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 8);
    write_uint(&mut out, MSG_SYNC);
    write_uint(&mut out, step);
    write_bytes(&mut out, payload);
    out
}

/// An awareness frame of these states.
pub fn awareness(entries: &[AwarenessEntry]) -> Vec<u8> {
    let mut body = Vec::new();
    write_uint(&mut body, entries.len() as u64);
    for e in entries {
        write_uint(&mut body, e.client);
        write_uint(&mut body, e.clock);
        write_bytes(&mut body, e.json.as_bytes());
    }
    let mut out = Vec::with_capacity(body.len() + 4);
    write_uint(&mut out, MSG_AWARENESS);
    write_bytes(&mut out, &body);
    out
}

/// "You may not write": y-protocols' auth message, permission denied.
pub fn permission_denied(reason: &str) -> Vec<u8> {
    let mut out = Vec::new();
    write_uint(&mut out, MSG_AUTH);
    write_uint(&mut out, 0);
    write_bytes(&mut out, reason.as_bytes());
    out
}

/// One of cjm's messages, its body JSON.
pub fn notice(kind: Notice, json: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() + 4);
    write_uint(&mut out, kind as u64);
    write_bytes(&mut out, json.as_bytes());
    out
}

/// An acknowledgement: the first `n` sync messages are on disk.
pub fn ack(n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    write_uint(&mut out, Notice::Ack as u64);
    write_uint(&mut out, n);
    out
}

pub(crate) fn write_uint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn write_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    write_uint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }

    fn message(&mut self) -> Result<Incoming, WireError> {
        match self.uint()? {
            MSG_SYNC => {
                let step = self.uint()?;
                let payload = self.bytes()?.to_vec();
                match step {
                    STEP1 => Ok(Incoming::SyncStep1(payload)),
                    STEP2 => Ok(Incoming::SyncStep2(payload)),
                    UPDATE => Ok(Incoming::Update(payload)),
                    _ => Err(WireError::Malformed("unknown sync step")),
                }
            }
            MSG_AWARENESS => {
                let body = self.bytes()?;
                Ok(Incoming::Awareness(Reader { bytes: body, at: 0 }.awareness()?))
            }
            MSG_AUTH => {
                let reason = if self.uint()? == 0 { self.string()? } else { String::new() };
                Ok(Incoming::Denied(reason))
            }
            MSG_QUERY_AWARENESS => Ok(Incoming::QueryAwareness),
            101 => Ok(Incoming::Ack(self.uint()?)),
            t @ 100..=104 => Ok(Incoming::Notice(t, self.string()?)),
            t => Err(WireError::UnknownMessage(t)),
        }
    }

    fn awareness(&mut self) -> Result<Vec<AwarenessEntry>, WireError> {
        let count = self.uint()?;
        // Each entry takes at least three bytes.
        if count > (self.bytes.len() - self.at) as u64 / 3 {
            return Err(WireError::Truncated);
        }
        let mut out = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let client = self.uint()?;
            let clock = self.uint()?;
            let json = std::str::from_utf8(self.bytes()?).map_err(|_| WireError::Malformed("a state is not UTF-8"))?;
            out.push(AwarenessEntry { client, clock, json: json.to_string() });
        }
        Ok(out)
    }

    /// A lib0 varUint, at most 2^53 - 1.
    fn uint(&mut self) -> Result<u64, WireError> {
        let mut v = 0u64;
        for shift in (0..56).step_by(7) {
            let b = *self.bytes.get(self.at).ok_or(WireError::Truncated)?;
            self.at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return if v <= MAX_SAFE { Ok(v) } else { Err(WireError::Malformed("a number past 2^53")) };
            }
        }
        Err(WireError::Malformed("a number past 2^53"))
    }

    fn string(&mut self) -> Result<String, WireError> {
        let bytes = self.bytes()?;
        Ok(std::str::from_utf8(bytes).map_err(|_| WireError::Malformed("a string is not UTF-8"))?.to_string())
    }

    fn bytes(&mut self) -> Result<&'a [u8], WireError> {
        let len = self.uint()?;
        let end =
            (self.at as u64).checked_add(len).filter(|&e| e <= self.bytes.len() as u64).ok_or(WireError::Truncated)?;
        let out = &self.bytes[self.at..end as usize];
        self.at = end as usize;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let frames = [sync_step1(&[1, 2]), sync_step2(&[3]), update(&[0, 0])];
        let decoded: Vec<Incoming> = frames.iter().flat_map(|f| decode(f).unwrap()).collect();
        assert_eq!(
            decoded,
            [Incoming::SyncStep1(vec![1, 2]), Incoming::SyncStep2(vec![3]), Incoming::Update(vec![0, 0])]
        );
        let entries = vec![AwarenessEntry { client: MAX_SAFE, clock: 3, json: "{\"a\":\"é\"}".into() }];
        assert_eq!(decode(&awareness(&entries)).unwrap(), [Incoming::Awareness(entries)]);
    }

    #[test]
    fn bad_frames_are_errors_not_panics() {
        assert_eq!(decode(&[0, 2, 5, 1]), Err(WireError::Truncated));
        assert_eq!(decode(&[9]), Err(WireError::UnknownMessage(9)));
        // A client id past 2^53 (yrs would assert on it).
        let mut frame = vec![1];
        let mut body = vec![1];
        body.extend([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0]);
        write_bytes(&mut frame, &body);
        assert!(matches!(decode(&frame), Err(WireError::Malformed(_))));
        // An awareness count of a billion in a few bytes.
        let mut frame = vec![1];
        write_bytes(&mut frame, &[0x80, 0x94, 0xeb, 0xdc, 0x03]);
        assert_eq!(decode(&frame), Err(WireError::Truncated));
        for n in 0..64u8 {
            let _ = decode(&[n, 0xff, 0xff, 0xff]);
        }
        assert_eq!(decode(&ack(7)).unwrap(), [Incoming::Ack(7)]);
        assert_eq!(decode(&permission_denied("no")).unwrap(), [Incoming::Denied("no".into())]);
    }
}

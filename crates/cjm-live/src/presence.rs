//! Who is in a document and where: y-protocols' awareness states, kept by
//! the server with identities it gives.
//!
//! A client's state is JSON it chooses (its cursor, the step it edits), but
//! its `user` (name and colours) is set here from the account, so nobody can
//! appear as somebody else; a connection owns the first client id it
//! announces and may not speak for another; a state is at most
//! [`MAX_STATE`] bytes; states not renewed for [`TIMEOUT_MS`] go, as
//! y-protocols says (its clients renew every 15 s).

use crate::wire::AwarenessEntry;
use serde_json::{json, Value};
use std::collections::HashMap;

/// The largest awareness state kept, in bytes of JSON.
pub const MAX_STATE: usize = 4096;
/// A state not renewed for this long is removed.
pub const TIMEOUT_MS: u64 = 30_000;

/// A connection, as the server numbers them.
pub type ConnId = u64;

/// Who a connection is, as the server knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub user_id: i64,
    pub name: String,
    /// The person's colour, and a light one for selections.
    pub color: String,
    pub color_light: String,
}

/// Eight colours, each 4.5:1 or better on white for a cursor's name tag
/// with white text; the light form is the colour at 20% for selections.
const PALETTE: [&str; 8] = ["#1d4ed8", "#b91c1c", "#047857", "#7c3aed", "#b45309", "#be185d", "#0e7490", "#4d7c0f"];

impl Identity {
    /// A person's identity: their colour is fixed by their id.
    pub fn of(user_id: i64, name: &str) -> Identity {
        let color = PALETTE[user_id.rem_euclid(PALETTE.len() as i64) as usize];
        Identity { user_id, name: name.to_string(), color: color.into(), color_light: format!("{color}33") }
    }

    fn user(&self) -> Value {
        json!({"id": self.user_id, "name": self.name, "color": self.color, "colorLight": self.color_light})
    }
}

struct State {
    conn: ConnId,
    clock: u64,
    /// `None` once the client left (kept so a late, older state is not
    /// taken for a new one).
    json: Option<String>,
    renewed_ms: u64,
}

/// Every awareness state of one document.
#[derive(Default)]
pub struct Presence {
    states: HashMap<u64, State>,
    /// The client id each connection owns.
    owned: HashMap<ConnId, u64>,
}

impl Presence {
    /// Takes what connection `conn` (who is `who`) announced; returns the
    /// states to pass on to the others (with the server's `user`), and
    /// drops the rest: another connection's client id, a stale clock, a
    /// state too large or not a JSON object.
    pub fn receive(
        &mut self,
        conn: ConnId,
        who: &Identity,
        entries: Vec<AwarenessEntry>,
        now_ms: u64,
    ) -> Vec<AwarenessEntry> {
        let mut out = Vec::new();
        for e in entries {
            // Another connection's present client (a client that left may
            // come back on a new connection).
            if self.states.get(&e.client).is_some_and(|s| s.conn != conn && s.json.is_some()) {
                continue;
            }
            if *self.owned.entry(conn).or_insert(e.client) != e.client {
                continue;
            }
            let known = self.states.get(&e.client);
            let leaving = e.json == "null";
            let newer = known.is_none_or(|s| s.clock < e.clock || (s.clock == e.clock && leaving && s.json.is_some()));
            if !newer {
                continue;
            }
            let json = if leaving { None } else { rewrite(&e.json, who) };
            if !leaving && json.is_none() {
                continue;
            }
            let shown = json.clone().unwrap_or_else(|| "null".into());
            self.states.insert(e.client, State { conn, clock: e.clock, json, renewed_ms: now_ms });
            out.push(AwarenessEntry { client: e.client, clock: e.clock, json: shown });
        }
        out
    }

    /// Connection `conn` closed: its state goes, for everybody.
    pub fn leave(&mut self, conn: ConnId) -> Vec<AwarenessEntry> {
        let Some(client) = self.owned.remove(&conn) else { return Vec::new() };
        self.remove(client).into_iter().collect()
    }

    /// States not renewed since `now_ms - TIMEOUT_MS` go.
    pub fn sweep(&mut self, now_ms: u64) -> Vec<AwarenessEntry> {
        let stale: Vec<u64> = self
            .states
            .iter()
            .filter(|(_, s)| s.json.is_some() && now_ms.saturating_sub(s.renewed_ms) > TIMEOUT_MS)
            .map(|(&c, _)| c)
            .collect();
        stale.into_iter().filter_map(|c| self.remove(c)).collect()
    }

    fn remove(&mut self, client: u64) -> Option<AwarenessEntry> {
        let s = self.states.get_mut(&client)?;
        s.json.as_ref()?;
        s.json = None;
        s.clock += 1;
        Some(AwarenessEntry { client, clock: s.clock, json: "null".into() })
    }

    /// Every present state, for a connection that just joined.
    pub fn all(&self) -> Vec<AwarenessEntry> {
        let mut out: Vec<AwarenessEntry> = self
            .states
            .iter()
            .filter_map(|(&client, s)| s.json.clone().map(|json| AwarenessEntry { client, clock: s.clock, json }))
            .collect();
        out.sort_by_key(|e| e.client);
        out
    }
}

/// The state with the server's `user`, or `None` when it is too large or
/// not a JSON object.
fn rewrite(json: &str, who: &Identity) -> Option<String> {
    if json.len() > MAX_STATE {
        return None;
    }
    let mut v: Value = serde_json::from_str(json).ok()?;
    v.as_object_mut()?.insert("user".into(), who.user());
    Some(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(client: u64, clock: u64, json: &str) -> AwarenessEntry {
        AwarenessEntry { client, clock, json: json.into() }
    }

    #[test]
    fn nobody_can_claim_a_name_or_another_client() {
        let (ann, bob) = (Identity::of(1, "Ann"), Identity::of(2, "Bob"));
        let mut p = Presence::default();
        let out = p.receive(10, &ann, vec![entry(7, 1, r#"{"user":{"name":"Bob"},"cursor":null}"#)], 0);
        let v: Value = serde_json::from_str(&out[0].json).unwrap();
        assert_eq!(v["user"]["name"], "Ann");
        // Bob's connection speaks for Ann's client id: dropped.
        assert!(p.receive(11, &bob, vec![entry(7, 2, "{}")], 0).is_empty());
        // Ann's connection announces a second client id: dropped.
        assert!(p.receive(10, &ann, vec![entry(8, 1, "{}")], 0).is_empty());
        // A stale clock, an array, an oversized state: dropped.
        assert!(p.receive(10, &ann, vec![entry(7, 1, "{}")], 0).is_empty());
        assert!(p.receive(10, &ann, vec![entry(7, 5, "[1]")], 0).is_empty());
        let big = format!("{{\"x\":\"{}\"}}", "a".repeat(MAX_STATE));
        assert!(p.receive(10, &ann, vec![entry(7, 6, &big)], 0).is_empty());
        assert_eq!(p.all().len(), 1);
    }

    #[test]
    fn leaving_and_silence_remove_a_state() {
        let ann = Identity::of(1, "Ann");
        let mut p = Presence::default();
        p.receive(10, &ann, vec![entry(7, 1, "{}")], 0);
        p.receive(11, &Identity::of(2, "Bob"), vec![entry(9, 1, "{}")], 20_000);
        assert_eq!(p.sweep(40_000), [entry(7, 2, "null")]);
        assert_eq!(p.leave(11), [entry(9, 2, "null")]);
        assert!(p.all().is_empty());
    }
}

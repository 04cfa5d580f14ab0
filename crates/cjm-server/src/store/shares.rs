//! Read-only share links. The database keeps only a hash of each token
//! (and the nonce that, with the server's key, makes it again).

use super::*;

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub(crate) struct ShareLink {
    pub id: i64,
    pub label: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked: bool,
    /// Whether holders watch the map being edited, live (the drawing only,
    /// never anybody's name).
    pub live: bool,
    /// Which version it shows: `current` (the version marked current, else
    /// the latest), `latest`, or a version number.
    pub pin: String,
    /// Origins that may show its embeddable view in a frame.
    pub embed_origins: Vec<String>,
    /// Whether the link can be shown again (links made before cjm kept
    /// the nonce cannot).
    pub can_show: bool,
    /// The link itself; in the answer that creates it, or shows it again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// Which version a link shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pin {
    Current,
    Latest,
    Version(i64),
}

impl Pin {
    pub(crate) fn parse(text: &str) -> Option<Pin> {
        match text {
            "current" => Some(Pin::Current),
            "latest" => Some(Pin::Latest),
            n => n.parse().ok().filter(|v| *v > 0).map(Pin::Version),
        }
    }

    pub(crate) fn as_text(self) -> String {
        match self {
            Pin::Current => "current".into(),
            Pin::Latest => "latest".into(),
            Pin::Version(n) => n.to_string(),
        }
    }

    /// The version number it shows of `map`.
    pub(crate) fn version_of(self, map: &MapInfo) -> i64 {
        match self {
            Pin::Current => map.current_version.unwrap_or(map.head),
            Pin::Latest => map.head,
            Pin::Version(n) => n,
        }
    }
}

pub(crate) fn share_links(c: &Connection, map_id: i64) -> AppResult<Vec<ShareLink>> {
    let mut st = c.prepare(
        "SELECT s.id, s.label, u.name, s.created_at, s.expires_at, s.revoked_at, s.live, s.pin, s.embed_origins, s.nonce IS NOT NULL
         FROM share_links s JOIN users u ON u.id = s.created_by
         WHERE s.map_id = ?1 ORDER BY s.id DESC",
    )?;
    let rows = st.query_map([map_id], |r| {
        Ok(ShareLink {
            id: r.get(0)?,
            label: r.get(1)?,
            created_by: r.get(2)?,
            created_at: r.get(3)?,
            expires_at: r.get(4)?,
            revoked: r.get::<_, Option<i64>>(5)?.is_some(),
            live: r.get::<_, i64>(6)? != 0,
            pin: r.get(7)?,
            embed_origins: r.get::<_, String>(8)?.split_whitespace().map(str::to_string).collect(),
            can_show: r.get(9)?,
            url: None,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A working share link, as its holder's requests need it.
#[derive(Clone, Debug)]
pub(crate) struct OpenLink {
    pub(crate) id: i64,
    pub(crate) map_id: i64,
    pub(crate) live: bool,
    pub(crate) expires_at: Option<i64>,
    pub(crate) pin: Pin,
    /// Space-separated origins that may frame the embeddable view.
    pub(crate) embed_origins: String,
}

pub(crate) fn shared_link(c: &Connection, token: &str) -> AppResult<OpenLink> {
    let hash = crate::token::token_hash(token);
    c.query_row(
        "SELECT id, map_id, live, expires_at, pin, embed_origins FROM share_links
         WHERE token_hash = ?1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)",
        params![hash, now()],
        |r| {
            Ok(OpenLink {
                id: r.get(0)?,
                map_id: r.get(1)?,
                live: r.get::<_, i64>(2)? != 0,
                expires_at: r.get(3)?,
                pin: Pin::parse(&r.get::<_, String>(4)?).unwrap_or(Pin::Latest),
                embed_origins: r.get(5)?,
            })
        },
    )
    .optional()?
    .ok_or(AppError::NotFound)
}

/// What a new link is: everything but its token.
pub(crate) struct NewLink {
    pub(crate) label: String,
    pub(crate) expires_at: Option<i64>,
    pub(crate) live: bool,
    pub(crate) pin: Pin,
    pub(crate) embed_origins: Vec<String>,
    pub(crate) nonce: String,
}

pub(crate) fn insert_share(c: &Connection, map_id: i64, hash: &str, by: i64, l: &NewLink) -> AppResult<ShareLink> {
    if let Pin::Version(n) = l.pin {
        version(c, map_id, n)?;
    }
    c.execute(
        "INSERT INTO share_links (map_id, token_hash, label, created_by, created_at, expires_at, live, pin, nonce, embed_origins)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![map_id, hash, l.label, by, now(), l.expires_at, l.live, l.pin.as_text(), l.nonce, l.embed_origins.join(" ")],
    )?;
    let sid = c.last_insert_rowid();
    share_links(c, map_id)?.into_iter().find(|s| s.id == sid).ok_or(AppError::NotFound)
}

/// Revokes a live link of the map; `NotFound` otherwise.
pub(crate) fn revoke_share(c: &Connection, map_id: i64, id: i64) -> AppResult<()> {
    found(c.execute(
        "UPDATE share_links SET revoked_at = ?3 WHERE id = ?1 AND map_id = ?2 AND revoked_at IS NULL",
        params![id, map_id, now()],
    )?)
}

/// The nonce of a link of the map that can be shown again (not revoked).
pub(crate) fn share_nonce(c: &Connection, map_id: i64, id: i64) -> AppResult<Option<String>> {
    c.query_row(
        "SELECT nonce FROM share_links WHERE id = ?1 AND map_id = ?2 AND revoked_at IS NULL",
        params![id, map_id],
        |r| r.get(0),
    )
    .optional()?
    .ok_or(AppError::NotFound)
}

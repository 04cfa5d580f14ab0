//! Read-only share links of a map: which version each shows, who may frame
//! its embeddable view, and the link shown again when asked (its token is
//! made from a stored nonce and the server's key; the database keeps only
//! the token's hash).

use crate::auth::User;
use crate::error::{AppError, AppResult};
use crate::store::{self, MapInfo, Pin};
use crate::token::{keyed_token, now, random_token, token_hash};
use crate::AppState;

/// What a new link shows and who may frame it, as asked.
pub(crate) struct Ask<'a> {
    pub(crate) label: &'a str,
    pub(crate) expires_in_days: Option<u32>,
    pub(crate) live: bool,
    /// `current` (default), `latest`, or a version number.
    pub(crate) pin: Option<&'a str>,
    pub(crate) embed_origins: &'a [String],
}

/// The most origins a link's embeddable view names.
pub(crate) const MAX_EMBED_ORIGINS: usize = 10;

/// A new link for the map, with its address (`base` is the server's).
pub(crate) async fn create(
    state: &AppState,
    map: &MapInfo,
    user: &User,
    ask: Ask<'_>,
    base: &str,
) -> AppResult<store::ShareLink> {
    if ask.expires_in_days.is_some_and(|d| d == 0 || d > 3650) {
        return Err(AppError::bad("expires_in_days: expected 1 to 3650"));
    }
    let pin = match ask.pin.map(str::trim).filter(|p| !p.is_empty()) {
        None => Pin::Current,
        Some(p) => Pin::parse(p)
            .ok_or_else(|| AppError::bad(format!("pin `{p}`: expected current, latest or a version number")))?,
    };
    // A live link follows the map as it is edited: the latest draft.
    let pin = match (ask.live, pin) {
        (true, Pin::Version(_)) => {
            return Err(AppError::bad(
                "pin: a live link follows the map as it is edited, so it cannot show one version; make it not live",
            ))
        }
        (true, _) => Pin::Latest,
        (false, p) => p,
    };
    let embed_origins = origins(ask.embed_origins)?;
    let nonce = random_token(18);
    let token = keyed_token(&state.share_key, &nonce);
    let hash = token_hash(&token);
    let new = store::NewLink {
        label: ask.label.trim().chars().take(100).collect(),
        expires_at: ask.expires_in_days.map(|d| now() + i64::from(d) * 86400),
        live: ask.live,
        pin,
        embed_origins,
        nonce,
    };
    let (id, uid) = (map.id, user.id);
    let mut link = state.db.write(move |tx| store::insert_share(tx, id, &hash, uid, &new)).await?;
    link.url = Some(format!("{base}/s/{token}"));
    Ok(link)
}

/// A link shown again: made anew from its nonce and the server's key.
pub(crate) async fn show(state: &AppState, map: &MapInfo, sid: i64, base: &str) -> AppResult<store::ShareLink> {
    let id = map.id;
    let (nonce, links) = state
        .db
        .read(move |c| Ok::<_, AppError>((store::share_nonce(c, id, sid)?, store::share_links(c, id)?)))
        .await?;
    let Some(nonce) = nonce else {
        return Err(AppError::Conflict(
            "this link was made before links could be shown again; make a new one (and revoke this one when it is replaced)".into(),
        ));
    };
    let mut link = links.into_iter().find(|l| l.id == sid).ok_or(AppError::NotFound)?;
    link.url = Some(format!("{base}/s/{}", keyed_token(&state.share_key, &nonce)));
    Ok(link)
}

/// Origins as a frame-ancestors source list takes them: `https://host`
/// with an optional port, or `http://localhost`; nothing else (no paths,
/// wildcards or quotes), so no value can change the policy's meaning.
fn origins(given: &[String]) -> AppResult<Vec<String>> {
    if given.len() > MAX_EMBED_ORIGINS {
        return Err(AppError::bad(format!("embed_origins: at most {MAX_EMBED_ORIGINS} origins")));
    }
    let mut out = Vec::new();
    for o in given.iter().map(|o| o.trim().trim_end_matches('/')).filter(|o| !o.is_empty()) {
        let host =
            o.strip_prefix("https://").or_else(|| o.strip_prefix("http://").filter(|h| h.starts_with("localhost")));
        let ok = host.is_some_and(|h| {
            let (name, port) = h.split_once(':').unwrap_or((h, "1"));
            !name.is_empty()
                && name.len() <= 253
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
                && port.len() <= 5
                && port.parse::<u16>().is_ok_and(|p| p > 0)
        });
        if !ok {
            return Err(AppError::bad(format!(
                "embed_origins: `{o}` is not an origin; write it as https://wiki.example.com (a scheme and host, an optional port, no path)"
            )));
        }
        if !out.iter().any(|x| x == o) {
            out.push(o.to_ascii_lowercase());
        }
    }
    Ok(out)
}

/// Revokes a link; whoever watches the map live through it is closed at once.
pub(crate) async fn revoke(state: &AppState, map: &MapInfo, sid: i64) -> AppResult<()> {
    let id = map.id;
    state.db.write(move |tx| store::revoke_share(tx, id, sid)).await?;
    state.live.link_revoked(id, sid);
    Ok(())
}

//! The opportunity portfolio of a map or a workspace: each map's newest
//! version (checked once per version, as the gallery does), its
//! opportunities ranked by [`cjm_model::portfolio`], then filtered by the
//! page's query.

use crate::error::{AppError, AppResult};
use crate::store::{self, MapInfo};
use crate::AppState;
use cjm_model::portfolio::{Filter, Item};
use cjm_model::Status;

/// What a portfolio page asks, as its query says it.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Ask {
    /// The statuses ticked, as written (`none` for no status).
    pub(crate) status: Vec<String>,
    pub(crate) owner: String,
    pub(crate) stage: String,
    pub(crate) persona: String,
    /// The least severity, `1` to `5` (empty: any).
    pub(crate) severity: String,
    /// One map of the workspace, by id (empty: all).
    pub(crate) map: String,
}

/// The statuses a filter offers, `none` for opportunities without one.
pub(crate) const STATUSES: [&str; 6] = ["idea", "planned", "in-progress", "done", "dropped", "none"];

impl Ask {
    pub(crate) fn parse(raw: Option<&str>) -> AppResult<Ask> {
        let mut a = Ask::default();
        for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let v = v.trim().to_string();
            match k.as_ref() {
                "status" if !v.is_empty() => {
                    if !STATUSES.contains(&v.as_str()) {
                        return Err(AppError::BadRequest(format!(
                            "status `{v}`: expected one of {}",
                            STATUSES.join(", ")
                        )));
                    }
                    if !a.status.contains(&v) {
                        a.status.push(v);
                    }
                }
                "owner" => a.owner = v,
                "stage" => a.stage = v,
                "persona" => a.persona = v,
                "severity" => {
                    if !v.is_empty() && !matches!(v.as_str(), "1" | "2" | "3" | "4" | "5") {
                        return Err(AppError::BadRequest(format!("severity `{v}`: expected 1 to 5")));
                    }
                    a.severity = v;
                }
                "map" => {
                    if !v.is_empty() && v.parse::<i64>().is_err() {
                        return Err(AppError::BadRequest(format!("map `{v}`: expected a map's number")));
                    }
                    a.map = v;
                }
                _ => {}
            }
        }
        Ok(a)
    }

    /// The query string that asks this (with its `?`), empty when nothing is asked.
    pub(crate) fn query(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for s in &self.status {
            out.append_pair("status", s);
        }
        for (k, v) in [
            ("owner", &self.owner),
            ("stage", &self.stage),
            ("persona", &self.persona),
            ("severity", &self.severity),
            ("map", &self.map),
        ] {
            if !v.is_empty() {
                out.append_pair(k, v);
            }
        }
        let q = out.finish();
        if q.is_empty() {
            q
        } else {
            format!("?{q}")
        }
    }

    pub(crate) fn filter(&self) -> Filter {
        let some = |v: &String| (!v.is_empty()).then(|| v.clone());
        Filter {
            status: self.status.iter().map(|s| Status::ALL.into_iter().find(|st| st.as_str() == s)).collect(),
            owner: some(&self.owner),
            stage: some(&self.stage),
            persona: some(&self.persona),
            min_severity: self.severity.parse().ok(),
        }
    }
}

/// A portfolio as a page shows it.
pub(crate) struct Portfolio {
    /// The maps it draws from: id and title, in the ranking's map order.
    pub(crate) maps: Vec<(i64, String)>,
    /// Every opportunity, ranked.
    pub(crate) all: Vec<Item>,
    /// Those the query keeps (ranks as in `all`).
    pub(crate) shown: Vec<Item>,
}

/// The portfolio of these maps' newest versions, filtered by `ask`.
pub(crate) async fn of(state: &AppState, maps: Vec<MapInfo>, ask: &Ask) -> AppResult<Portfolio> {
    let st = state.clone();
    let (ids, all) = state
        .db
        .read(move |c| {
            let mut lowered = Vec::new();
            for m in &maps {
                let v = store::version(c, m.id, m.head)?;
                lowered.push((m.id, m.title.clone(), st.checked(v.id, v.source.as_deref().unwrap_or_default())));
            }
            let named: Vec<(String, &cjm_model::Journey)> =
                lowered.iter().map(|(_, title, l)| (title.clone(), &l.journey)).collect();
            let all = cjm_model::portfolio::portfolio(&named);
            let ids: Vec<(i64, String)> = lowered.iter().map(|(id, t, _)| (*id, t.clone())).collect();
            Ok::<_, AppError>((ids, all))
        })
        .await?;
    let filter = ask.filter();
    let only: Option<usize> = ask.map.parse::<i64>().ok().and_then(|m| ids.iter().position(|(id, _)| *id == m));
    if !ask.map.is_empty() && only.is_none() {
        return Err(AppError::NotFound);
    }
    let shown = all.iter().filter(|i| filter.keeps(i) && only.is_none_or(|m| i.map_index == m)).cloned().collect();
    Ok(Portfolio { maps: ids, all, shown })
}

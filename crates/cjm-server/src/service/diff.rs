//! Two versions of a map compared: what changed in the map (the model
//! diff) and in the text (line by line, with a budget).

use crate::error::{AppError, AppResult};
use crate::store;
use crate::AppState;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Deserialize)]
pub(crate) struct DiffQuery {
    pub from: i64,
    pub to: i64,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct DiffLine {
    /// ` ` unchanged, `-` removed, `+` added.
    pub tag: String,
    pub old_line: Option<usize>,
    pub new_line: Option<usize>,
    pub text: String,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct Diff {
    pub from: i64,
    pub to: i64,
    /// What changed in the map.
    pub changes: Vec<cjm_model::diff::Change>,
    /// The text, line by line, with three lines of context around changes.
    pub hunks: Vec<Vec<DiffLine>>,
    /// True when the text comparison stopped at [`MAX_DIFF_LINES`] lines.
    pub hunks_cut: bool,
}

/// The most lines of a text comparison shown, and the time the line
/// matching may take before it settles for a coarser (still correct) diff.
pub(crate) const MAX_DIFF_LINES: usize = 5_000;
const DIFF_DEADLINE: std::time::Duration = std::time::Duration::from_millis(500);

/// The text compared line by line, with a time budget and at most
/// [`MAX_DIFF_LINES`] lines; the flag says whether it was cut.
pub(crate) fn text_diff(a: &str, b: &str) -> (Vec<Vec<DiffLine>>, bool) {
    let d = similar::TextDiff::configure().timeout(DIFF_DEADLINE).diff_lines(a, b);
    let mut left = MAX_DIFF_LINES;
    let mut cut = false;
    let hunks = d
        .grouped_ops(3)
        .into_iter()
        .map_while(|group| {
            if left == 0 {
                cut = true;
                return None;
            }
            let mut changes = group.iter().flat_map(|op| d.iter_changes(op));
            let lines: Vec<DiffLine> = changes
                .by_ref()
                .take(left)
                .map(|c| DiffLine {
                    tag: match c.tag() {
                        similar::ChangeTag::Equal => " ",
                        similar::ChangeTag::Delete => "-",
                        similar::ChangeTag::Insert => "+",
                    }
                    .into(),
                    old_line: c.old_index().map(|i| i + 1),
                    new_line: c.new_index().map(|i| i + 1),
                    text: c.value().trim_end_matches('\n').to_string(),
                })
                .collect();
            cut |= changes.next().is_some();
            left -= lines.len();
            Some(lines)
        })
        .collect();
    (hunks, cut)
}

/// Versions `from` and `to` of map `id` compared: once per pair (versions
/// never change), then from the cache.
pub(crate) async fn compute_diff(state: &AppState, id: i64, from: i64, to: i64) -> AppResult<Arc<Diff>> {
    let (a, b) =
        state.db.read(move |c| Ok::<_, AppError>((store::version(c, id, from)?, store::version(c, id, to)?))).await?;
    let st = state.clone();
    state
        .diffs
        .get_or_make((a.id, b.id), move || {
            let (ca, cb) = (
                st.checked(a.id, a.source.as_deref().unwrap_or_default()),
                st.checked(b.id, b.source.as_deref().unwrap_or_default()),
            );
            let changes = cjm_model::diff::diff(&ca.journey, &cb.journey);
            let (hunks, hunks_cut) =
                text_diff(a.source.as_deref().unwrap_or_default(), b.source.as_deref().unwrap_or_default());
            let bytes = changes.iter().map(|c| c.detail.len() + c.id.len() + 64).sum::<usize>()
                + hunks.iter().flatten().map(|l| l.text.len() + 64).sum::<usize>();
            Ok((Diff { from, to, changes, hunks, hunks_cut }, bytes))
        })
        .await
}

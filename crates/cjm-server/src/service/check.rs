//! Checking a text for the editor: diagnostics with line and column, the
//! outline the forms offer, and the live preview's drawing.

use crate::error::{AppError, AppResult};
use crate::service::personas::{self, Library};
use crate::store;
use cjm_syntax::diag::DiagnosticRecord;
use schemars::JsonSchema;
use serde::Serialize;

/// The most diagnostics an answer lists (the counts beside them are whole):
/// a 2 MB map can hold 190,000 warnings, and each is a few hundred bytes of JSON.
pub const MAX_DIAGNOSTICS: usize = 1_000;

/// The first [`MAX_DIAGNOSTICS`] of a text's diagnostics as records.
pub(crate) fn diagnostics(source: &str, diags: &[cjm_syntax::Diagnostic]) -> Vec<DiagnosticRecord> {
    DiagnosticRecord::all(None, source, &diags[..diags.len().min(MAX_DIAGNOSTICS)])
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct Checked {
    /// The first [`MAX_DIAGNOSTICS`], in text order; `errors` and
    /// `warnings` count them all.
    pub diagnostics: Vec<DiagnosticRecord>,
    pub errors: usize,
    pub warnings: usize,
    /// Stage and step ids and names, for forms.
    pub outline: Vec<OutlineStage>,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct OutlineStage {
    pub id: String,
    pub name: String,
    pub steps: Vec<OutlineStep>,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct OutlineStep {
    pub id: String,
    pub name: String,
    pub score: Option<f64>,
}

pub(crate) fn checked(source: &str, library: &Library) -> AppResult<(Checked, cjm_model::Journey)> {
    if source.len() > store::MAX_SOURCE {
        return Err(AppError::TooLarge(format!("the map is larger than {} bytes", store::MAX_SOURCE)));
    }
    let lowered = cjm_model::check_with(source, &|p| library.resolve(p));
    let diagnostics = diagnostics(source, &lowered.diagnostics);
    let errors = lowered.diagnostics.iter().filter(|d| d.is_error()).count();
    let outline = lowered
        .journey
        .stages
        .iter()
        .map(|s| OutlineStage {
            id: s.id.clone(),
            name: s.name.clone(),
            steps: s
                .steps
                .iter()
                .map(|t| OutlineStep { id: t.id.clone(), name: t.name.clone(), score: t.score })
                .collect(),
        })
        .collect();
    let warnings = lowered.diagnostics.len() - errors;
    Ok((Checked { warnings, errors, diagnostics, outline }, lowered.journey))
}

/// The diagnostics, the counts, and (when the text has no errors) the
/// drawing with the model it draws, computed on the blocking pool.
pub(crate) async fn preview(
    state: &crate::AppState,
    source: String,
    library: Library,
    persona: Option<String>,
    theme: cjm_render::ThemeName,
) -> AppResult<(Checked, Option<(String, cjm_model::Journey)>)> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        let (c, map) = checked(&source, &library)?;
        let drawn = (c.errors == 0).then(|| {
            let persona = persona.filter(|p| map.personas.iter().any(|x| &x.name == p));
            let images = personas::portraits(&state, library.workspace_id, &map);
            let opts = cjm_render::Options { theme, persona, images, embed_font: false, ..Default::default() };
            let svg = cjm_render::svg(&map, &opts);
            (svg, map)
        });
        Ok((c, drawn))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
}

/// [`checked`] on the blocking pool.
pub(crate) async fn check(source: String, library: Library) -> AppResult<Checked> {
    tokio::task::spawn_blocking(move || checked(&source, &library).map(|(c, _)| c))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
}

/// One change of a text, in UTF-16 code units (what a browser's strings and
/// Yjs count): delete `delete` units at `at`, then insert `insert`.
#[derive(Serialize, JsonSchema, Debug, PartialEq)]
pub(crate) struct Change {
    pub at: usize,
    pub delete: usize,
    pub insert: String,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct Computed {
    /// The text after the edit.
    pub source: String,
    /// The smallest changes that make it from the text sent, in order and
    /// not overlapping: the browser applies them to its live document as
    /// its own typing, so its undo takes them back.
    pub changes: Vec<Change>,
}

/// A form edit worked out on a text, without storing anything.
pub(crate) async fn edit(source: String, library: Library, edit: cjm_model::edit::Edit) -> AppResult<Computed> {
    if source.len() > store::MAX_SOURCE {
        return Err(AppError::TooLarge(format!("the map is larger than {} bytes", store::MAX_SOURCE)));
    }
    tokio::task::spawn_blocking(move || {
        let new = cjm_model::edit::apply(&source, &edit, &|p| library.resolve(p)).map_err(|e| AppError::bad(e.0))?;
        let changes = utf16_changes(&source, &cjm_live::edits::between(&source, &new));
        Ok(Computed { source: new, changes })
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
}

/// Byte-offset edits of `old` as UTF-16 changes, in one pass over the text.
fn utf16_changes(old: &str, edits: &[cjm_live::edits::Edit]) -> Vec<Change> {
    let (mut byte, mut unit) = (0usize, 0usize);
    let mut advance = |to: usize| {
        unit += old[byte..to].encode_utf16().count();
        byte = to;
        unit
    };
    edits
        .iter()
        .map(|e| {
            let at = advance(e.at);
            let end = advance(e.at + e.delete);
            Change { at, delete: end - at, insert: e.insert.clone() }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_count_utf16_units() {
        let old = "né 😀 x\ny";
        let new = "né 😀 z\ny";
        let edits = cjm_live::edits::between(old, new);
        let changes = utf16_changes(old, &edits);
        // "né 😀 " is 6 UTF-16 units (the emoji takes two).
        assert_eq!(changes, vec![Change { at: 6, delete: 1, insert: "z".into() }]);
    }
}

#[cfg(test)]
mod reverse {
    use super::*;

    /// What the browser does with the changes: right to left, each at its
    /// offset in the text sent.
    fn apply_utf16(old: &str, changes: &[Change]) -> String {
        let mut units: Vec<u16> = old.encode_utf16().collect();
        for c in changes.iter().rev() {
            units.splice(c.at..c.at + c.delete, c.insert.encode_utf16());
        }
        String::from_utf16(&units).expect("utf-16")
    }

    #[test]
    fn changes_applied_right_to_left_make_the_new_text() {
        for (old, new) in [
            (
                "      pain: No price shown [severity 3]\n",
                "      pain: Shipping costs appear only at checkout [severity 5]\n",
            ),
            ("a: The ad does not show the price\nb\n", "a: Shipping costs appear only at checkout\nb\n"),
            ("é 😀 abc\n", "x 😀 acb\nnew\n"),
        ] {
            let changes = utf16_changes(old, &cjm_live::edits::between(old, new));
            assert_eq!(apply_utf16(old, &changes), new, "{changes:?}");
        }
    }
}

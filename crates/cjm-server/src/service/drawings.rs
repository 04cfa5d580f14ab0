//! Drawing maps for the web: the page's SVG and every download, cached by
//! (version, format, persona, theme, evidence) so a busy map page costs a
//! lookup, not a layout. Versions never change, so entries never go stale;
//! the least recently used are dropped when the drawings pass their byte
//! budget, and identical requests at the same time share one drawing.

use crate::cache::Bounded;
use crate::error::{AppError, AppResult};
use crate::store::{self, MapInfo};
use crate::AppState;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use cjm_render::{Measures, Options, ThemeName};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Format {
    Svg,
    Png,
    Pdf,
    Html,
    /// A slide deck (PowerPoint).
    Pptx,
    Json,
    Mermaid,
    Cjm,
}

impl Format {
    /// A drawing (whose header shows the state), not the map's own text.
    fn is_drawn(self) -> bool {
        matches!(self, Format::Svg | Format::Png | Format::Pdf | Format::Html | Format::Pptx)
    }

    pub(crate) const ALL: [Format; 8] =
        [Format::Svg, Format::Png, Format::Pdf, Format::Html, Format::Pptx, Format::Json, Format::Mermaid, Format::Cjm];

    pub(crate) fn parse(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.extension() == s || (s == "mmd" && *f == Format::Mermaid))
    }

    pub(crate) fn extension(self) -> &'static str {
        match self {
            Format::Svg => "svg",
            Format::Png => "png",
            Format::Pdf => "pdf",
            Format::Html => "html",
            Format::Pptx => "pptx",
            Format::Json => "json",
            Format::Mermaid => "mmd",
            Format::Cjm => "cjm",
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Format::Svg => "SVG",
            Format::Png => "PNG",
            Format::Pdf => "PDF",
            Format::Html => "HTML",
            Format::Pptx => "PowerPoint",
            Format::Json => "JSON",
            Format::Mermaid => "Mermaid",
            Format::Cjm => ".cjm",
        }
    }

    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Format::Svg => "image/svg+xml",
            Format::Png => "image/png",
            Format::Pdf => "application/pdf",
            Format::Html => "text/html; charset=utf-8",
            Format::Pptx => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            Format::Json => "application/json",
            Format::Mermaid | Format::Cjm => "text/plain; charset=utf-8",
        }
    }
}

/// How to draw: what the map page's query string may choose.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Deserialize)]
pub(crate) struct View {
    pub persona: Option<String>,
    pub theme: Option<String>,
}

impl View {
    pub(crate) fn theme(&self) -> AppResult<ThemeName> {
        match self.theme.as_deref().unwrap_or("light") {
            "light" | "" => Ok(ThemeName::Light),
            "dark" => Ok(ThemeName::Dark),
            "print" => Ok(ThemeName::Print),
            other => Err(AppError::bad(format!("theme `{other}`: expected light, dark or print"))),
        }
    }
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    version_id: i64,
    format: Format,
    view: View,
    /// The evidence whose figures are drawn, and whether the SVG embeds its font.
    evidence: Option<i64>,
    embed_font: bool,
    mark: Option<cjm_model::MapState>,
}

/// The most pixels a PNG drawn by the server has; a wider map is drawn at a
/// smaller scale (at most about 128 MB of pixels to rasterise).
pub const MAX_PNG_PIXELS: u64 = 32_000_000;

pub(crate) struct Cache {
    drawings: Bounded<Key, Vec<u8>>,
    parts: Bounded<(i64, Option<i64>), Parts>,
}

impl Cache {
    /// Drawings and page parts holding at most `drawings` and `parts` bytes.
    pub(crate) fn new(drawings: usize, parts: usize) -> Self {
        Cache { drawings: Bounded::new(drawings), parts: Bounded::new(parts) }
    }
}

/// What a map page needs of a version besides its drawing.
pub(crate) struct Parts {
    /// The map (and its measured figures) as a JSON island for the page script.
    pub island: String,
    pub personas: Vec<String>,
    /// The personas taken from the workspace's persona library.
    pub from_library: Vec<String>,
    /// Step names by id (comments name the step they are on).
    pub step_names: HashMap<String, String>,
}

impl Parts {
    fn bytes(&self) -> usize {
        self.island.len()
            + self.personas.iter().chain(&self.from_library).map(|p| p.len() + 24).sum::<usize>()
            + self.step_names.iter().map(|(k, v)| k.len() + v.len() + 64).sum::<usize>()
    }
}

impl Cache {
    /// The page parts of version `version_id` with evidence `evidence`,
    /// made by `make` (on the blocking pool) the first time.
    pub(crate) async fn parts(
        &self,
        version_id: i64,
        evidence: Option<i64>,
        make: impl FnOnce() -> Parts + Send + 'static,
    ) -> AppResult<Arc<Parts>> {
        self.parts
            .get_or_make((version_id, evidence), move || {
                let parts = make();
                let bytes = parts.bytes();
                Ok((parts, bytes))
            })
            .await
    }
}

/// One version of a map, ready to draw.
pub(crate) struct Drawable {
    pub version_id: i64,
    pub source: String,
    pub measures: Option<(i64, Arc<Measures>)>,
    /// The state the map's marks give this version (marked current or
    /// future on the History page), drawn instead of the text's `state`.
    pub mark: Option<cjm_model::MapState>,
}

/// The state `map`'s marks give version `number`, if any.
pub(crate) fn mark_of(map: &crate::store::MapInfo, number: i64) -> Option<cjm_model::MapState> {
    if map.future_version == Some(number) {
        Some(cjm_model::MapState::Future)
    } else if map.current_version == Some(number) {
        Some(cjm_model::MapState::Current)
    } else {
        None
    }
}

/// The map in `format`, from the cache or drawn now (on the blocking pool:
/// PNG and PDF take a fraction of a second), once for any number of
/// identical requests at the same time.
pub(crate) async fn draw(
    state: &AppState,
    what: Drawable,
    format: Format,
    view: &View,
    embed_font: bool,
) -> AppResult<Arc<Vec<u8>>> {
    let key = Key {
        version_id: what.version_id,
        format,
        view: view.clone(),
        evidence: what.measures.as_ref().map(|m| m.0),
        embed_font,
        mark: what.mark,
    };
    let theme = view.theme()?;
    let persona = view.persona.clone().filter(|p| !p.is_empty());
    let state2 = state.clone();
    state
        .renders
        .drawings
        .get_or_make(key, move || {
            let checked = state2.checked(what.version_id, &what.source);
            let marked;
            let map = match what.mark {
                Some(m) if checked.journey.state != Some(m) && format.is_drawn() => {
                    marked = cjm_model::Journey { state: Some(m), ..checked.journey.clone() };
                    &marked
                }
                _ => &checked.journey,
            };
            let images = crate::service::personas::version_portraits(&state2, what.version_id, map);
            let bytes = render(map, &what, format, theme, persona, embed_font, images)?;
            let len = bytes.len();
            Ok((bytes, len))
        })
        .await
}

fn render(
    map: &cjm_model::Journey,
    what: &Drawable,
    format: Format,
    theme: ThemeName,
    persona: Option<String>,
    embed_font: bool,
    images: std::collections::HashMap<String, Vec<u8>>,
) -> AppResult<Vec<u8>> {
    if let Some(p) = &persona {
        if !map.personas.iter().any(|x| &x.name == p || &x.id == p) {
            return Err(AppError::bad(format!("this map has no persona `{p}`")));
        }
    }
    let opts = Options {
        theme,
        persona,
        measures: what.measures.as_ref().map(|m| (*m.1).clone()),
        embed_font,
        images,
        ..Options::default()
    };
    let failed = |e: cjm_render::RenderError| AppError::Internal(e.to_string());
    Ok(match format {
        Format::Svg => cjm_render::svg(map, &opts).into_bytes(),
        Format::Png => cjm_render::png_within(map, &opts, 2.0, MAX_PNG_PIXELS).map_err(failed)?,
        Format::Pdf => cjm_render::pdf(map, &opts).map_err(failed)?,
        Format::Html => cjm_render::html(map, &opts).into_bytes(),
        Format::Pptx => cjm_render::pptx(map, &opts).map_err(failed)?,
        Format::Json => cjm_model::json::to_json(map).into_bytes(),
        Format::Mermaid => cjm_model::mermaid::to_mermaid(map).text.into_bytes(),
        Format::Cjm => what.source.clone().into_bytes(),
    })
}

/// A file name for a download: the title with anything unsafe replaced.
pub(crate) fn file_name(title: &str, format: Format) -> String {
    format!("{}.{}", file_stem(title), format.extension())
}

/// A download's name without its extension: the title lower-cased, each
/// run of anything but letters, digits, `-` and `_` one dash, ASCII only,
/// at most 80 bytes (`journey-map` when nothing is left).
pub(crate) fn file_stem(title: &str) -> String {
    let mut stem: String = title
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c.to_ascii_lowercase() } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if stem.is_empty() || !stem.is_ascii() {
        stem = stem.chars().filter(char::is_ascii_alphanumeric).collect();
    }
    if stem.is_empty() {
        stem = "journey-map".into();
    }
    stem.truncate(80);
    stem
}

#[derive(Deserialize, Default)]
pub(crate) struct DownloadQuery {
    pub version: Option<i64>,
    pub persona: Option<String>,
    pub theme: Option<String>,
    /// Draw the evidence's figures (default: yes when the map has evidence).
    pub evidence: Option<bool>,
}

/// One version of a map, drawn or exported, as a download.
pub(crate) async fn download_response(
    state: &AppState,
    map: &MapInfo,
    format: &str,
    q: DownloadQuery,
    attachment: bool,
) -> AppResult<Response> {
    let format = Format::parse(format).ok_or_else(|| {
        AppError::bad(format!("format `{format}`: expected svg, png, pdf, html, pptx, json, mmd or cjm"))
    })?;
    let (id, n, eid) = (map.id, q.version.unwrap_or(map.head), map.evidence_id);
    let drawn = format.is_drawn();
    let with_evidence = q.evidence.unwrap_or(true) && drawn;
    let (v, ev) = state
        .db
        .read(move |c| {
            let ev = match eid.filter(|_| with_evidence) {
                Some(e) => Some(store::evidence(c, e)?.0),
                None => None,
            };
            Ok::<_, AppError>((store::version(c, id, n)?, ev))
        })
        .await?;
    let measures = match ev {
        Some(ev) => {
            crate::service::evidence::measured_for(state, ev, &v).await?.map(|m| (eid.unwrap_or(0), m.figures.clone()))
        }
        None => None,
    };
    let view = View { persona: q.persona, theme: q.theme };
    let bytes = draw(
        state,
        Drawable { version_id: v.id, source: v.source.unwrap_or_default(), measures, mark: mark_of(map, n) },
        format,
        &view,
        true,
    )
    .await?;
    let name = file_name(&map.title, format);
    let disposition =
        if attachment { format!("attachment; filename=\"{name}\"") } else { format!("inline; filename=\"{name}\"") };
    let mut res = (
        [(header::CONTENT_TYPE, format.content_type().to_string()), (header::CONTENT_DISPOSITION, disposition)],
        Bytes(bytes),
    )
        .into_response();
    if format == Format::Html {
        // The downloaded viewer carries its own inline script; it is a file to
        // save, never a page of this site, so it gets a sandbox.
        res.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            axum::http::HeaderValue::from_static("sandbox; default-src 'none'"),
        );
    }
    Ok(res)
}

/// Shared bytes as a response body without copying.
pub(crate) struct Bytes(pub Arc<Vec<u8>>);

impl IntoResponse for Bytes {
    fn into_response(self) -> Response {
        let bytes = axum::body::Bytes::from_owner(ArcBytes(self.0));
        axum::body::Body::from(bytes).into_response()
    }
}

struct ArcBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for ArcBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

//! Drawing maps for the web: the page's SVG and every download, cached by
//! (version, format, persona, theme, evidence) so a busy map page costs a
//! lookup, not a layout. Versions never change, so entries never go stale;
//! the oldest are dropped when the cache is full.

use crate::error::{AppError, AppResult};
use cjm_render::{Measures, Options, ThemeName};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Svg,
    Png,
    Pdf,
    Html,
    Json,
    Mermaid,
    Cjm,
}

impl Format {
    pub const ALL: [Format; 7] =
        [Format::Svg, Format::Png, Format::Pdf, Format::Html, Format::Json, Format::Mermaid, Format::Cjm];

    pub fn parse(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.extension() == s || (s == "mmd" && *f == Format::Mermaid))
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Svg => "svg",
            Format::Png => "png",
            Format::Pdf => "pdf",
            Format::Html => "html",
            Format::Json => "json",
            Format::Mermaid => "mmd",
            Format::Cjm => "cjm",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Format::Svg => "SVG",
            Format::Png => "PNG",
            Format::Pdf => "PDF",
            Format::Html => "HTML",
            Format::Json => "JSON",
            Format::Mermaid => "Mermaid",
            Format::Cjm => ".cjm",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Svg => "image/svg+xml",
            Format::Png => "image/png",
            Format::Pdf => "application/pdf",
            Format::Html => "text/html; charset=utf-8",
            Format::Json => "application/json",
            Format::Mermaid | Format::Cjm => "text/plain; charset=utf-8",
        }
    }
}

/// How to draw: what the map page's query string may choose.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Deserialize)]
pub struct View {
    pub persona: Option<String>,
    pub theme: Option<String>,
}

impl View {
    pub fn theme(&self) -> AppResult<ThemeName> {
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
}

/// Drawings by key, and the order they came in (oldest first, to evict).
type Drawings = (HashMap<Key, Arc<Vec<u8>>>, VecDeque<Key>);
/// Page parts by (version id, evidence id).
type PartsByVersion = HashMap<(i64, Option<i64>), Arc<Parts>>;

pub struct Cache {
    capacity: usize,
    entries: Mutex<Drawings>,
    parts: Mutex<PartsByVersion>,
}

/// What a map page needs of a version besides its drawing.
pub struct Parts {
    /// The map (and its measured figures) as a JSON island for the page script.
    pub island: String,
    pub personas: Vec<String>,
    /// Step names by id (comments name the step they are on).
    pub step_names: HashMap<String, String>,
}

impl Cache {
    pub fn new(capacity: usize) -> Self {
        Cache { capacity, entries: Mutex::new((HashMap::new(), VecDeque::new())), parts: Mutex::new(HashMap::new()) }
    }

    /// The page parts of version `version_id` with evidence `evidence`,
    /// made by `make` (on the blocking pool) the first time.
    pub async fn parts(
        &self,
        version_id: i64,
        evidence: Option<i64>,
        make: impl FnOnce() -> Parts + Send + 'static,
    ) -> AppResult<Arc<Parts>> {
        let key = (version_id, evidence);
        if let Some(hit) = self.parts.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(hit.clone());
        }
        let made = Arc::new(tokio::task::spawn_blocking(make).await.map_err(|e| AppError::Internal(e.to_string()))?);
        let mut parts = self.parts.lock().unwrap_or_else(|p| p.into_inner());
        if parts.len() >= self.capacity {
            parts.clear();
        }
        parts.insert(key, made.clone());
        Ok(made)
    }

    fn get(&self, key: &Key) -> Option<Arc<Vec<u8>>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).0.get(key).cloned()
    }

    fn put(&self, key: Key, value: Arc<Vec<u8>>) {
        let mut guard = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let (map, order) = &mut *guard;
        if map.insert(key.clone(), value).is_none() {
            order.push_back(key);
        }
        while order.len() > self.capacity {
            if let Some(old) = order.pop_front() {
                map.remove(&old);
            }
        }
    }
}

/// One version of a map, ready to draw.
pub struct Drawable {
    pub version_id: i64,
    pub source: String,
    pub measures: Option<(i64, Arc<Measures>)>,
}

/// The map in `format`, from the cache or drawn now (on the blocking pool:
/// PNG and PDF take a fraction of a second).
pub async fn draw(
    cache: &Cache,
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
    };
    if let Some(hit) = cache.get(&key) {
        return Ok(hit);
    }
    let theme = view.theme()?;
    let persona = view.persona.clone().filter(|p| !p.is_empty());
    let bytes = tokio::task::spawn_blocking(move || -> AppResult<Vec<u8>> {
        let checked = cjm_model::check(&what.source);
        let map = checked.journey;
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
            ..Options::default()
        };
        Ok(match format {
            Format::Svg => cjm_render::svg(&map, &opts).into_bytes(),
            Format::Png => cjm_render::png(&map, &opts, 2.0).map_err(|e| AppError::Internal(e.to_string()))?,
            Format::Pdf => cjm_render::pdf(&map, &opts).map_err(|e| AppError::Internal(e.to_string()))?,
            Format::Html => cjm_render::html(&map, &opts).into_bytes(),
            Format::Json => cjm_model::json::to_json(&map).into_bytes(),
            Format::Mermaid => cjm_model::mermaid::to_mermaid(&map).text.into_bytes(),
            Format::Cjm => what.source.into_bytes(),
        })
    })
    .await
    .map_err(|e| AppError::Internal(format!("drawing a map: {e}")))??;
    let bytes = Arc::new(bytes);
    cache.put(key, bytes.clone());
    Ok(bytes)
}

/// A file name for a download: the title with anything unsafe replaced.
pub fn file_name(title: &str, format: Format) -> String {
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
    format!("{stem}.{}", format.extension())
}

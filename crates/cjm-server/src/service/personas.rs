//! The workspace's persona library: personas defined once, with a portrait,
//! taken into maps by `use personas.cjm` (or `use Sam, Dana from
//! personas.cjm`). The library is that file to the maps: [`Library::resolve`]
//! answers it to lowering. Editing a persona saves a version of every map
//! whose newest version takes it, so each map's history says which persona
//! version it drew, and an old version draws as it did (its library text is
//! stored with it).

use crate::error::{AppError, AppResult};
use crate::store::{self, PersonaRow, PersonaWrite};
use crate::AppState;
use cjm_model::{Journey, Persona};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The file name maps use for the workspace's library.
pub(crate) const LIBRARY_FILE: &str = "personas.cjm";

/// What `image:` says for a library portrait.
const PORTRAIT_PREFIX: &str = "portrait:";

/// The largest portrait upload.
pub(crate) const MAX_PORTRAIT_BYTES: usize = 8 * 1024 * 1024;
/// The largest side of an uploaded image, before it is decoded.
const MAX_PORTRAIT_SIDE: u32 = 8_000;
/// Portraits are stored at most this wide and high.
const STORED_SIDE: u32 = 512;
/// A library holds at most this many personas...
pub(crate) const MAX_PERSONAS: usize = 500;
/// ...and this much text, like a map (every check of a map that takes
/// from the library reads it).
const MAX_LIBRARY_BYTES: i64 = 2 * 1024 * 1024;

/// Refuses a write that leaves the library larger than it may be.
fn check_size(tx: &rusqlite::Connection, ws: i64) -> AppResult<()> {
    let bytes = store::library_bytes(tx, ws)?;
    if bytes > MAX_LIBRARY_BYTES {
        return Err(AppError::TooLarge(format!(
            "the persona library would hold {bytes} bytes of text; the limit is {MAX_LIBRARY_BYTES}: shorten this persona or remove one"
        )));
    }
    Ok(())
}

/// A workspace's personas as `use` reads them.
#[derive(Clone, Default)]
pub struct Library {
    /// The workspace it is of (0: none, an empty library).
    pub(crate) workspace_id: i64,
    entries: Vec<Entry>,
}

#[derive(Clone)]
struct Entry {
    id: i64,
    version: i64,
    persona: Persona,
}

/// What a version took from the library: the text of just those personas,
/// and each one's id, name and version.
#[derive(Clone, Debug, Default)]
pub(crate) struct Pins {
    pub(crate) text: String,
    pub(crate) personas: Vec<(i64, String, i64)>,
}

impl Library {
    pub(crate) fn from_rows(workspace_id: i64, rows: &[PersonaRow]) -> Library {
        let entries = rows.iter().map(|r| Entry { id: r.id, version: r.version, persona: persona_of(r) }).collect();
        Library { workspace_id, entries }
    }

    /// The workspace's library, read now.
    pub(crate) async fn of(state: &AppState, workspace_id: i64) -> AppResult<Library> {
        let rows = state.db.read(move |c| store::library_personas(c, workspace_id)).await?;
        Ok(Library::from_rows(workspace_id, &rows))
    }

    /// The library of map `map_id`'s workspace.
    pub(crate) async fn of_map(state: &AppState, map_id: i64) -> AppResult<Library> {
        let (ws, rows) = state
            .db
            .read(move |c| {
                let ws = store::map(c, map_id)?.workspace_id;
                Ok::<_, AppError>((ws, store::library_personas(c, ws)?))
            })
            .await?;
        Ok(Library::from_rows(ws, &rows))
    }

    /// The library's text, as a `.cjm` file of personas.
    pub(crate) fn text(&self) -> String {
        library_text(self.entries.iter().map(|e| e.persona.clone()).collect())
    }

    /// The library as a file to download: portraits left out (they are
    /// the server's), so the file checks beside any map.
    pub(crate) fn file_text(&self) -> String {
        library_text(self.entries.iter().map(|e| Persona { image: None, ..e.persona.clone() }).collect())
    }

    /// Lowering's resolver: the library for [`LIBRARY_FILE`], an error
    /// saying so for any other path.
    pub(crate) fn resolve(&self, path: &str) -> Result<String, String> {
        check_path(path)?;
        Ok(self.text())
    }

    /// The personas `map` (lowered with this library) took from it.
    pub(crate) fn pins(&self, map: &Journey) -> Option<Pins> {
        let taken: Vec<&Entry> = map
            .personas
            .iter()
            .filter(|p| p.source.as_deref() == Some(LIBRARY_FILE))
            .filter_map(|p| self.entries.iter().find(|e| e.persona.name == p.name))
            .collect();
        if taken.is_empty() {
            return None;
        }
        Some(Pins {
            text: library_text(taken.iter().map(|e| e.persona.clone()).collect()),
            personas: taken.iter().map(|e| (e.id, e.persona.name.clone(), e.version)).collect(),
        })
    }
}

fn check_path(path: &str) -> Result<(), String> {
    if path == LIBRARY_FILE {
        Ok(())
    } else {
        Err(format!(
            "here personas come from the workspace's persona library; write `use {LIBRARY_FILE}` or `use Sam from {LIBRARY_FILE}`"
        ))
    }
}

/// The resolver of a stored version: the library text it drew, read when
/// (and only when) its text has a `use` line.
pub(crate) fn version_resolver(state: &AppState, version_id: i64) -> impl Fn(&str) -> Result<String, String> + '_ {
    move |path: &str| {
        check_path(path)?;
        match state.db.read_blocking(|c| store::version_library(c, version_id)) {
            Ok(Some(text)) => Ok(text),
            Ok(None) => Err("this version was saved without the persona library".into()),
            Err(e) => Err(format!("the persona library could not be read ({e})")),
        }
    }
}

fn library_text(personas: Vec<Persona>) -> String {
    cjm_model::to_cjm(&Journey { title: Some("Persona library".into()), personas, ..Journey::default() })
}

/// A stored persona as the model has it, its portrait as an `image:` key.
fn persona_of(row: &PersonaRow) -> Persona {
    let mut p: Persona = serde_json::from_str(&row.body).unwrap_or_default();
    p.name = row.name.clone();
    p.image = row.portrait_id.map(|id| format!("{PORTRAIT_PREFIX}{id}"));
    p
}

/// [`portraits`] for a drawing of stored version `version_id`.
pub(crate) fn version_portraits(state: &AppState, version_id: i64, map: &Journey) -> HashMap<String, Vec<u8>> {
    let ids = portrait_ids(map);
    if ids.is_empty() {
        return HashMap::new();
    }
    match state.db.read_blocking(|c| store::version_workspace(c, version_id)) {
        Ok(ws) => portraits_by_id(state, ws, ids),
        Err(_) => HashMap::new(),
    }
}

fn portrait_ids(map: &Journey) -> Vec<i64> {
    map.personas
        .iter()
        .filter(|p| p.source.as_deref() == Some(LIBRARY_FILE))
        .filter_map(|p| p.image.as_deref()?.strip_prefix(PORTRAIT_PREFIX)?.parse().ok())
        .collect()
}

/// The portraits a drawing of `map` needs, by `image:` key: only for
/// personas taken from the library, only of `workspace_id`.
pub(crate) fn portraits(state: &AppState, workspace_id: i64, map: &Journey) -> HashMap<String, Vec<u8>> {
    portraits_by_id(state, workspace_id, portrait_ids(map))
}

fn portraits_by_id(state: &AppState, workspace_id: i64, ids: Vec<i64>) -> HashMap<String, Vec<u8>> {
    if ids.is_empty() {
        return HashMap::new();
    }
    match state.db.read_blocking(move |c| store::portraits(c, workspace_id, &ids)) {
        Ok(found) => found.into_iter().map(|(id, bytes)| (format!("{PORTRAIT_PREFIX}{id}"), bytes)).collect(),
        Err(_) => HashMap::new(),
    }
}

/// A persona as the library's form sends it.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PersonaForm {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub goals: Vec<String>,
    #[serde(default)]
    pub needs: Vec<String>,
    #[serde(default)]
    pub pains: Vec<String>,
    #[serde(default)]
    pub quote: Option<String>,
    #[serde(default)]
    pub segment: Option<String>,
    /// What changed, for the history.
    #[serde(default)]
    pub message: Option<String>,
    /// The version edited (for an edit; `409` when it is no longer the latest).
    #[serde(default)]
    pub base_version: Option<i64>,
    /// Remove the portrait.
    #[serde(default)]
    pub remove_portrait: bool,
}

/// The form, checked: the persona must read back from its own text
/// exactly (a name a step line can list, fields of one line or a block).
fn persona_from(form: &PersonaForm) -> AppResult<Persona> {
    let name = form.name.trim();
    if name.is_empty() {
        return Err(AppError::bad("name: a persona needs a name"));
    }
    if name.chars().count() > 80 {
        return Err(AppError::bad("name: at most 80 characters"));
    }
    if let Some(c) = name.chars().find(|c| matches!(c, ',' | ':' | '#' | ';' | '[' | ']' | '"') || c.is_control()) {
        return Err(AppError::bad(format!(
            "name: `{c}` cannot stand in a persona's name (step lines list personas by name)"
        )));
    }
    let clean = |field: &str, v: &Option<String>| -> AppResult<Option<String>> {
        let v = v.as_deref().map(str::trim).filter(|v| !v.is_empty());
        match v {
            Some(v) if v.chars().count() > 2_000 => Err(AppError::bad(format!("{field}: at most 2,000 characters"))),
            v => Ok(v.map(String::from)),
        }
    };
    let list = |field: &str, v: &[String]| -> AppResult<Vec<String>> {
        let items: Vec<String> = v.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        if items.len() > 30 {
            return Err(AppError::bad(format!("{field}: at most 30 items")));
        }
        if items.iter().any(|s| s.chars().count() > 500 || s.contains('\n')) {
            return Err(AppError::bad(format!("{field}: each item one line of at most 500 characters")));
        }
        Ok(items)
    };
    let persona = Persona {
        name: name.to_string(),
        description: clean("description", &form.description)?,
        goals: list("goals", &form.goals)?,
        needs: list("needs", &form.needs)?,
        pains: list("pains", &form.pains)?,
        quote: clean("quote", &form.quote)?.map(|q| q.trim_matches(['"', '“', '”']).to_string()),
        segment: clean("segment", &form.segment)?,
        ..Persona::default()
    };
    if persona.segment.as_deref().is_some_and(|s| s.contains('\n')) {
        return Err(AppError::bad("segment: one line"));
    }
    let text = library_text(vec![persona.clone()]);
    let read = cjm_model::check(&text);
    let back = read.journey.personas.first();
    if read.has_errors() || back.map(|b| Persona { id: String::new(), ..b.clone() }) != Some(persona.clone()) {
        let why = read.diagnostics.first().map(|d| d.message.clone()).unwrap_or_else(|| "it does not read back".into());
        return Err(AppError::bad(format!("this persona cannot be written as a map's persona: {why}")));
    }
    Ok(persona)
}

/// The stored body: the persona without its name, id and image.
fn body_of(p: &Persona) -> String {
    let body = Persona { id: String::new(), name: String::new(), image: None, source: None, ..p.clone() };
    serde_json::to_string(&body).expect("a persona serialises")
}

/// A library persona as the API shows it.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub(crate) struct LibraryPersona {
    pub id: i64,
    pub name: String,
    pub version: i64,
    pub description: Option<String>,
    pub goals: Vec<String>,
    pub needs: Vec<String>,
    pub pains: Vec<String>,
    pub quote: Option<String>,
    pub segment: Option<String>,
    /// The portrait's address, when it has one.
    pub portrait: Option<String>,
    pub updated_by: String,
    pub updated_at: i64,
    /// How many maps' newest versions take it.
    pub maps: i64,
}

pub(crate) fn shown(workspace_id: i64, row: &PersonaRow, maps: i64) -> LibraryPersona {
    let p = persona_of(row);
    LibraryPersona {
        id: row.id,
        name: row.name.clone(),
        version: row.version,
        description: p.description,
        goals: p.goals,
        needs: p.needs,
        pains: p.pains,
        quote: p.quote,
        segment: p.segment,
        portrait: row.portrait_id.map(|pid| format!("/api/workspaces/{workspace_id}/portraits/{pid}")),
        updated_by: row.updated_by.clone(),
        updated_at: row.updated_at,
        maps,
    }
}

pub(crate) async fn list(state: &AppState, ws: i64) -> AppResult<Vec<LibraryPersona>> {
    state
        .db
        .read(move |c| {
            let users = store::persona_users_in(c, ws)?;
            let rows = store::library_personas(c, ws)?;
            let maps = |id| users.get(&id).map_or(0, |u| u.len() as i64);
            Ok(rows.iter().map(|r| shown(ws, r, maps(r.id))).collect())
        })
        .await
}

pub(crate) async fn create(state: &AppState, ws: i64, user: i64, form: PersonaForm) -> AppResult<i64> {
    let persona = persona_from(&form)?;
    let body = body_of(&persona);
    state
        .db
        .write(move |tx| {
            if store::library_personas(tx, ws)?.len() >= MAX_PERSONAS {
                return Err(AppError::bad(format!("a persona library holds at most {MAX_PERSONAS} personas")));
            }
            let w = PersonaWrite { name: &persona.name, body: &body, portrait_id: None, message: "Created" };
            let id = store::insert_persona(tx, ws, user, &w)?;
            check_size(tx, ws)?;
            Ok(id)
        })
        .await
}

/// A change to a persona: its fields, or its portrait.
pub(crate) enum Change {
    Fields(PersonaForm),
    /// A re-encoded portrait: JPEG bytes, width, height.
    Portrait(Vec<u8>, u32, u32),
}

/// Writes a new version of persona `id` and saves a version of every map
/// whose newest version takes it (checked again with the new library).
pub(crate) async fn update(state: &AppState, ws: i64, id: i64, user: i64, base: i64, change: Change) -> AppResult<i64> {
    let checked_form = match &change {
        Change::Fields(form) => Some(persona_from(form)?),
        Change::Portrait(..) => None,
    };
    let message = match &change {
        Change::Fields(f) => f.message.clone().unwrap_or_default(),
        Change::Portrait(..) => "New portrait".into(),
    };
    let (version, saved) = state
        .db
        .write(move |tx| {
            let row = store::library_persona(tx, ws, id)?;
            let old_name = row.name.clone();
            let (persona, portrait_id) = match (change, checked_form) {
                (Change::Fields(form), Some(p)) => (p, if form.remove_portrait { None } else { row.portrait_id }),
                (Change::Portrait(bytes, w, h), _) => {
                    (persona_of(&row), Some(store::insert_portrait(tx, ws, &bytes, w, h)?))
                }
                (Change::Fields(_), None) => unreachable!("fields are checked first"),
            };
            if persona.name != old_name && !store::persona_users(tx, id)?.is_empty() {
                return Err(AppError::Conflict(format!(
                    "maps take {old_name} by name, so a new name would leave them without it; keep the name, or add a persona with the new one"
                )));
            }
            let body = body_of(&persona);
            let message = if message.trim().is_empty() { "Edited".to_string() } else { message };
            let w = PersonaWrite { name: &persona.name, body: &body, portrait_id, message: &message };
            let version = store::update_persona(tx, ws, id, base, user, &w)?;
            check_size(tx, ws)?;
            let saved = repin(tx, ws, id, user, &persona.name, version)?;
            Ok::<_, AppError>((version, saved))
        })
        .await?;
    for (map_id, number) in saved {
        crate::live::follow_library(state, map_id, number).await?;
    }
    Ok(version)
}

/// Saves a version of each map whose newest version takes persona `id`,
/// with the library as it now is; the maps and their new version numbers.
fn repin(
    tx: &rusqlite::Connection,
    ws: i64,
    id: i64,
    user: i64,
    name: &str,
    version: i64,
) -> AppResult<Vec<(i64, i64)>> {
    let library = Library::from_rows(ws, &store::library_personas(tx, ws)?);
    let mut saved = Vec::new();
    for u in store::persona_users(tx, id)? {
        let head = store::version(tx, u.map_id, u.head)?;
        let checked = store::Checked::new(head.source.unwrap_or_default(), &library)?;
        let message = format!("{name} updated in the persona library (version {version})");
        let v = store::append_version(tx, u.map_id, user, &checked, &message, Some(u.head))?;
        saved.push((u.map_id, v.number));
    }
    Ok(saved)
}

pub(crate) async fn delete(state: &AppState, ws: i64, id: i64) -> AppResult<()> {
    state
        .db
        .write(move |tx| {
            let row = store::library_persona(tx, ws, id)?;
            let users = store::persona_users(tx, id)?;
            if !users.is_empty() {
                let titles: Vec<String> = users.iter().take(5).map(|u| format!("“{}”", u.title)).collect();
                return Err(AppError::Conflict(format!(
                    "{} is used by {} map(s) ({}); remove it from their `use` lines first",
                    row.name,
                    users.len(),
                    titles.join(", ")
                )));
            }
            store::delete_persona(tx, ws, id)
        })
        .await
}

/// An uploaded portrait, decoded within bounds, scaled to at most 512 px a
/// side, flattened onto white and written as a new JPEG: the server never
/// keeps the uploaded bytes (or what they might hide).
pub(crate) fn reencode(bytes: &[u8]) -> AppResult<(Vec<u8>, u32, u32)> {
    use image::{ImageFormat, ImageReader};
    if bytes.len() > MAX_PORTRAIT_BYTES {
        return Err(AppError::TooLarge(format!(
            "the portrait is {} bytes; the limit is {MAX_PORTRAIT_BYTES}",
            bytes.len()
        )));
    }
    let format = image::guess_format(bytes)
        .ok()
        .filter(|f| matches!(f, ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP))
        .ok_or_else(|| AppError::bad("a portrait must be a PNG, JPEG or WebP image"))?;
    let mut reader = ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_PORTRAIT_SIDE);
    limits.max_image_height = Some(MAX_PORTRAIT_SIDE);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => {
            AppError::bad(format!("the portrait is larger than {MAX_PORTRAIT_SIDE} × {MAX_PORTRAIT_SIDE} pixels"))
        }
        e => AppError::bad(format!("the portrait cannot be read: {e}")),
    })?;
    let img = if img.width() > STORED_SIDE || img.height() > STORED_SIDE {
        img.resize(STORED_SIDE, STORED_SIDE, image::imageops::FilterType::Lanczos3)
    } else {
        img
    };
    let rgba = img.to_rgba8();
    let (w, h) = rgba.dimensions();
    let mut rgb = image::RgbImage::new(w, h);
    for (x, y, p) in rgba.enumerate_pixels() {
        let a = p[3] as u32;
        let blend = |c: u8| ((c as u32 * a + 255 * (255 - a)) / 255) as u8;
        rgb.put_pixel(x, y, image::Rgb([blend(p[0]), blend(p[1]), blend(p[2])]));
    }
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&rgb)
        .map_err(|e| AppError::Internal(format!("encoding a portrait: {e}")))?;
    Ok((out, w, h))
}

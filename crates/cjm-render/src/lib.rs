//! Journey maps drawn for people: SVG, PNG, PDF and self-contained HTML.
//!
//! Bytes in, bytes out: the caller passes the map, the options and any image
//! bytes the map names; nothing here reads files or touches the terminal.
//!
//! - [`svg()`] — the map as one SVG, with the Inter font embedded so it looks
//!   the same everywhere.
//! - [`png()`] — rasterised by resvg with the same font.
//! - [`pdf()`] — vector PDF (svg2pdf), split across pages by stage with the
//!   lane labels repeated; text stays selectable.
//! - [`charts`] — evidence charts (a funnel, the top variants) as SVG, PNG
//!   and PDF, from figures the caller computed.
//! - [`pptx()`] — a slide deck: title, whole map, a slide per stage,
//!   personas, the opportunity matrix; pictures as SVG with a PNG fallback.
//! - [`html()`] — one file, no network: the SVG inline, zoom, step details on
//!   hover or click, lane labels that stay in view, a print stylesheet.

#![warn(unreachable_pub)]
pub mod charts;
pub mod compare;
mod deck;
mod export;
pub mod fonts;
mod html;
pub mod icons;
mod svg;
pub mod text;
pub mod theme;

pub use deck::pptx;
pub use export::{pdf, png, png_within, RenderError};
pub use html::html;
pub use svg::{duration, group_digits};
pub use theme::ThemeName;

use std::collections::HashMap;

/// The rows of a map, in their default order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lane {
    Steps,
    Doing,
    Touchpoints,
    Thinking,
    Feeling,
    Emotion,
    Pains,
    Opportunities,
    Backstage,
    Systems,
    Owner,
    Metrics,
}

impl Lane {
    pub const ALL: [Lane; 12] = [
        Lane::Steps,
        Lane::Doing,
        Lane::Touchpoints,
        Lane::Thinking,
        Lane::Feeling,
        Lane::Emotion,
        Lane::Pains,
        Lane::Opportunities,
        Lane::Backstage,
        Lane::Systems,
        Lane::Owner,
        Lane::Metrics,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Lane::Steps => "steps",
            Lane::Doing => "doing",
            Lane::Touchpoints => "touchpoints",
            Lane::Thinking => "thinking",
            Lane::Feeling => "feeling",
            Lane::Emotion => "emotion",
            Lane::Pains => "pains",
            Lane::Opportunities => "opportunities",
            Lane::Backstage => "backstage",
            Lane::Systems => "systems",
            Lane::Owner => "owner",
            Lane::Metrics => "metrics",
        }
    }

    pub fn parse(id: &str) -> Option<Lane> {
        let id = id.trim().to_lowercase();
        Lane::ALL.into_iter().find(|l| {
            l.id() == id || (id == "channels" && *l == Lane::Touchpoints) || (id == "owners" && *l == Lane::Owner)
        })
    }

    pub(crate) fn title(self) -> &'static str {
        match self {
            Lane::Steps => "Steps",
            Lane::Doing => "Doing",
            Lane::Touchpoints => "Touchpoints",
            Lane::Thinking => "Thinking",
            Lane::Feeling => "Feeling",
            Lane::Emotion => "Emotion",
            Lane::Pains => "Pain points",
            Lane::Opportunities => "Opportunities",
            Lane::Backstage => "Backstage",
            Lane::Systems => "Support systems",
            Lane::Owner => "Owner",
            Lane::Metrics => "Metrics",
        }
    }

    pub(crate) fn hint(self) -> &'static str {
        match self {
            Lane::Steps => "What happens, in order",
            Lane::Doing => "What the customer does",
            Lane::Touchpoints => "Channels and where they meet us",
            Lane::Thinking => "What the customer thinks",
            Lane::Feeling => "What the customer feels",
            Lane::Emotion => "Score per step; faces show the mood",
            Lane::Pains => "Severity from 1 to 5",
            Lane::Opportunities => "Impact, effort and status",
            Lane::Backstage => "What we do out of sight",
            Lane::Systems => "Tools behind the step",
            Lane::Owner => "Who owns the step",
            Lane::Metrics => "Targets and measured figures",
        }
    }

    /// Lanes below the line of visibility.
    pub(crate) fn is_backstage(self) -> bool {
        matches!(self, Lane::Backstage | Lane::Systems | Lane::Owner)
    }
}

pub use cjm_model::measures::{Measures, StepFigures};

/// How to draw a map.
#[derive(Clone, Debug)]
pub struct Options {
    pub theme: ThemeName,
    /// Draw only this persona's card and curve.
    pub persona: Option<String>,
    /// Lanes to draw, in this order (default: all that have content).
    pub lanes: Option<Vec<Lane>>,
    /// Fit the map to about this many pixels wide.
    pub width: Option<f32>,
    pub measures: Option<Measures>,
    /// Image bytes by the path the map writes (persona portraits).
    pub images: HashMap<String, Vec<u8>>,
    /// Embed the font in SVG output (on by default; PNG and PDF always use it).
    pub embed_font: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            theme: ThemeName::Light,
            persona: None,
            lanes: None,
            width: None,
            measures: None,
            images: HashMap::new(),
            embed_font: true,
        }
    }
}

/// Whether image bytes are a format cjm embeds (PNG, JPEG, GIF, WebP).
pub fn is_supported_image(bytes: &[u8]) -> bool {
    svg::data_uri(bytes).is_some()
}

/// The map as a standalone SVG document.
pub fn svg(map: &cjm_model::Journey, opts: &Options) -> String {
    svg::draw(map, opts, svg::Page::whole(map)).svg
}

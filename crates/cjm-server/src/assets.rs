//! Static files, compiled into the binary so that `cjm serve` needs nothing
//! else: the stylesheet, the page scripts, the editor bundle (built from
//! `web/editor` and vendored), Inter and the fallback faces for every other
//! script (cjm-render's, so pages draw maps with the faces they were
//! measured with).

use crate::AppState;
use axum::extract::Path;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::OnceLock;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset { name: "app.css", content_type: "text/css; charset=utf-8", bytes: include_bytes!("../assets/app.css") },
    Asset { name: "app.js", content_type: "text/javascript; charset=utf-8", bytes: include_bytes!("../assets/app.js") },
    Asset {
        name: "map-edit.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/map-edit.js"),
    },
    Asset {
        name: "editor.bundle.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/editor.bundle.js"),
    },
    Asset { name: "inter-regular.woff2", content_type: "font/woff2", bytes: cjm_render::fonts::REGULAR_WOFF2 },
    Asset { name: "inter-semibold.woff2", content_type: "font/woff2", bytes: cjm_render::fonts::SEMIBOLD_WOFF2 },
];

/// A short hash of every asset: part of their URLs, so browsers may cache
/// them for good and still see a new version at once.
pub(crate) fn version() -> &'static str {
    static V: OnceLock<String> = OnceLock::new();
    V.get_or_init(|| {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for a in ASSETS {
            h.update(a.bytes);
        }
        for f in cjm_render::fonts::web_fonts() {
            h.update(f.zlib);
        }
        h.finalize().iter().take(5).map(|b| format!("{b:02x}")).collect()
    })
}

/// The URL of an asset, with the version.
pub(crate) fn url(name: &str) -> String {
    format!("/static/{}/{name}", version())
}

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/static/{version}/{name}", get(serve))
}

async fn serve(Path((v, name)): Path<(String, String)>, headers: HeaderMap) -> Response {
    let cache = if v == version() { "public, max-age=31536000, immutable" } else { "no-cache" };
    if let Some(font) = cjm_render::fonts::web_fonts().into_iter().find(|f| f.name == name) {
        return font_response(&font, &headers, cache);
    }
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return crate::error::AppError::NotFound.into_response();
    };
    (StatusCode::OK, [(header::CONTENT_TYPE, asset.content_type), (header::CACHE_CONTROL, cache)], asset.bytes)
        .into_response()
}

/// A fallback face for the map pages (the browser fetches one only when a
/// page has text in its script): the compressed file as it is stored, as
/// HTTP's `deflate` encoding, or inflated for a client that does not say it
/// takes that.
fn font_response(font: &cjm_render::fonts::WebFont, headers: &HeaderMap, cache: &'static str) -> Response {
    let deflate = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.split(';').next().is_some_and(|e| e.trim() == "deflate")));
    let base = [(header::CONTENT_TYPE, "font/ttf"), (header::CACHE_CONTROL, cache), (header::VARY, "accept-encoding")];
    if deflate {
        (StatusCode::OK, base, [(header::CONTENT_ENCODING, "deflate")], font.zlib).into_response()
    } else {
        (StatusCode::OK, base, font.ttf()).into_response()
    }
}

//! Server-rendered pages (maud escapes every value it interpolates). Each
//! page works by itself; `app.js` adds the live parts — forms that call the
//! API, zoom, step details, the editor's preview — with no inline script
//! (the Content-Security-Policy forbids it).

pub(crate) mod account;
pub(crate) mod logs;
pub(crate) mod maps;
pub(crate) mod personas;
pub(crate) mod portfolio;
pub(crate) mod workspace;

use crate::auth::Principal;
use crate::error::ErrorInfo;
use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{html, Markup, PreEscaped, DOCTYPE};

/// A whole page: header with navigation, the content, the scripts.
pub(crate) struct Page<'a> {
    pub title: &'a str,
    pub who: &'a Principal,
    /// Links shown in the header after the brand (href, label).
    pub crumbs: Vec<(String, String)>,
    pub body: Markup,
    /// Page kind for app.js (`data-page` on body).
    pub kind: &'a str,
    pub editor: bool,
    pub wide: bool,
}

impl<'a> Page<'a> {
    pub(crate) fn new(title: &'a str, who: &'a Principal, kind: &'a str, body: Markup) -> Self {
        Page { title, who, crumbs: Vec::new(), body, kind, editor: false, wide: false }
    }

    pub(crate) fn crumbs(mut self, crumbs: Vec<(String, String)>) -> Self {
        self.crumbs = crumbs;
        self
    }

    pub(crate) fn wide(mut self) -> Self {
        self.wide = true;
        self
    }

    pub(crate) fn editor(mut self) -> Self {
        self.editor = true;
        self
    }

    pub(crate) fn render(self) -> Response {
        let markup = html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta name="csrf-token" content=(self.who.csrf());
                    title { (self.title) " · cjm" }
                    link rel="icon" href=(FAVICON);
                    link rel="stylesheet" href=(crate::assets::url("app.css"));
                    @if self.editor { script src=(crate::assets::url("editor.bundle.js")) defer {} script src=(crate::assets::url("map-edit.js")) defer {} }
                    script src=(crate::assets::url("app.js")) defer {}
                }
                body data-page=(self.kind) {
                    a.skip href="#main" { "Skip to content" }
                    header.topbar {
                        a.brand href="/" { span.logo aria-hidden="true" { "◆" } " cjm" }
                        nav.crumbs aria-label="Breadcrumbs" {
                            @for (href, label) in &self.crumbs { span.sep aria-hidden="true" { "/" } a href=(href) { (label) } }
                        }
                        div.spacer {}
                        @if let Some(user) = self.who.user() {
                            a.account href="/account" title=(user.email) { (user.name) }
                            form.inline method="post" action="/logout" {
                                input type="hidden" name="_csrf" value=(self.who.csrf());
                                button.link type="submit" { "Sign out" }
                            }
                        } @else {
                            a href="/login" { "Sign in" }
                        }
                    }
                    main #main class=(if self.wide { "wide" } else { "narrow" }) { (self.body) }
                    div #toast role="status" aria-live="polite" {}
                }
            }
        };
        Html(markup.into_string()).into_response()
    }
}

/// Times as UTC text; the page script shows them in the reader's time zone.
pub(crate) fn when(unix: i64) -> Markup {
    let text = format_time(unix);
    html! { time datetime=(unix) { (text) } }
}

pub(crate) fn format_time(unix: i64) -> String {
    let days = unix.div_euclid(86400);
    let secs = unix.rem_euclid(86400);
    let (y, m, d) = civil(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", secs / 3600, secs % 3600 / 60)
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// JSON for a `<script type="application/json">` island: nothing in it can
/// end the element or start markup.
pub(crate) fn island(value: &serde_json::Value) -> PreEscaped<String> {
    let text = value.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026");
    PreEscaped(text)
}

/// Error responses of browser routes become pages: a sign-in redirect for
/// people who are not signed in, a readable page for the rest.
pub(crate) async fn html_errors(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(|q| format!("?{q}")).unwrap_or_default();
    let is_get = req.method() == Method::GET;
    let wants_html = !path.starts_with("/api/") && !path.starts_with("/static/");
    let res = next.run(req).await;
    if !wants_html {
        return res;
    }
    let Some(info) = res.extensions().get::<ErrorInfo>().cloned() else { return res };
    if info.status == StatusCode::UNAUTHORIZED && is_get {
        let next = urlencode(&format!("{path}{query}"));
        return Redirect::to(&format!("/login?next={next}")).into_response();
    }
    let who = res.extensions().get::<Principal>().cloned().unwrap_or(Principal::Anonymous);
    let title = match info.status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
        s if s.is_server_error() => "Something went wrong",
        _ => "That did not work",
    };
    let body = html! {
        section.card.error-page {
            h1 { (title) }
            p { (info.message) }
            p { a href="/" { "Back to the start" } }
        }
    };
    let mut page = Page::new(title, &who, "error", body).render();
    *page.status_mut() = info.status;
    for h in [header::RETRY_AFTER] {
        if let Some(v) = res.headers().get(&h) {
            page.headers_mut().insert(h, v.clone());
        }
    }
    page
}

pub(crate) fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Only same-site paths are followed after signing in.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        // Browsers drop tabs and newlines from addresses (`/\t/evil.example`
        // becomes `//evil.example`) and read `\` as `/`: a path with any
        // control character, blank or backslash is not followed.
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.chars().any(|c| c == '\\' || c.is_control() || c.is_whitespace()) =>
        {
            n.to_string()
        }
        _ => "/".into(),
    }
}

/// cjm's mark (the accent diamond of the header) as the tab's icon, inline
/// so it costs no request.
const FAVICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect x='6' y='6' width='20' height='20' rx='3' transform='rotate(45 16 16)' fill='%234F46E5'/%3E%3C/svg%3E";

#[cfg(test)]
mod tests {
    #[test]
    fn times_read_as_dates() {
        assert_eq!(super::format_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::format_time(1_795_305_600), "2026-11-22 00:00 UTC");
        assert_eq!(super::format_time(951_782_400), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn next_stays_on_site() {
        assert_eq!(super::safe_next(Some("//evil.example")), "/");
        assert_eq!(super::safe_next(Some("https://evil.example")), "/");
        assert_eq!(super::safe_next(Some("/m/3")), "/m/3");
        for evil in ["/\t/evil.example/x", "/\n/evil.example", "/\\evil.example", "/ /evil.example", "/\u{7f}/evil"] {
            assert_eq!(super::safe_next(Some(evil)), "/", "{evil:?}");
        }
        assert_eq!(super::safe_next(Some("/m/3?version=2#step-pay")), "/m/3?version=2#step-pay");
    }
}

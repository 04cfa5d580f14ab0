//! Signing in and out, the first-run setup, invitations, the account page.

use super::{safe_next, Page};
use crate::auth::{self, check_form_token, form_token, set_cookie, Principal, FORM_COOKIE, SESSION_COOKIE};
use crate::error::{AppError, AppResult};
use crate::extract::{Path, Query};
use crate::store;
use crate::token::{now, token_hash};
use crate::AppState;
use axum::extract::{ConnectInfo, Form, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Deserialize, Default)]
pub(crate) struct HomeQuery {
    all: Option<String>,
}

pub(crate) async fn home(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<HomeQuery>,
) -> AppResult<Response> {
    let Some(user) = who.user() else { return Ok(Redirect::to("/login").into_response()) };
    let uid = user.id;
    let list = state.db.read(move |c| store::workspaces_of(c, uid)).await?;
    if let ([only], None) = (list.as_slice(), &q.all) {
        return Ok(Redirect::to(&format!("/w/{}", only.id)).into_response());
    }
    let body = html! {
        h1 { "Your workspaces" }
        @if list.is_empty() {
            p.muted { "You are not in a workspace yet. Ask a workspace owner for an invitation, or start one." }
        }
        ul.list.workspaces { @for w in &list { li { a href={ "/w/" (w.id) } { (w.name) } " " span.badge { (w.role.as_str()) } } } }
        section.card {
            h2 { "New workspace" }
            form.api-form.row data-method="POST" data-action="/api/workspaces" data-then="url" {
                label { "Name" input type="text" name="name" required maxlength="100" placeholder="e.g. Retail CX team"; }
                button.primary type="submit" { "Create workspace" }
            }
        }
    };
    Ok(Page::new("Workspaces", &who, "home", body).render())
}

/// The form-token cookie for a page with a pre-session form.
fn with_form_cookie(mut res: Response, token: &str, fresh: bool, secure: bool) -> Response {
    if fresh {
        if let Ok(v) = set_cookie(FORM_COOKIE, token, 2 * 3600, secure).parse() {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

#[derive(Deserialize, Default)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

fn login_page(who: &Principal, token: &str, next: &str, email: &str, error: Option<&str>) -> Response {
    let body = html! {
        section.card.auth {
            h1 { "Sign in to cjm" }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form method="post" action="/login" {
                input type="hidden" name="_csrf" value=(token);
                input type="hidden" name="next" value=(next);
                label { "E-mail" input type="email" name="email" value=(email) autocomplete="username" required autofocus; }
                label { "Password" input type="password" name="password" autocomplete="current-password" required; }
                button.primary type="submit" { "Sign in" }
            }
        }
    };
    Page::new("Sign in", who, "login", body).render()
}

pub(crate) async fn login_form(
    State(state): State<AppState>,
    who: Principal,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> AppResult<Response> {
    if state.db.read(store::user_count).await? == 0 {
        let body = html! {
            section.card.auth {
                h1 { "Welcome to cjm" }
                p { "No account exists yet. Open the one-time setup link that " code { "cjm serve" } " printed when it started to create the first administrator." }
            }
        };
        return Ok(Page::new("Set up cjm", &who, "login", body).render());
    }
    let (token, fresh) = form_token(&headers);
    let next = safe_next(q.next.as_deref());
    Ok(with_form_cookie(login_page(&who, &token, &next, "", None), &token, fresh, auth::secure(&state, &headers)))
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    _csrf: String,
    email: String,
    password: String,
    next: Option<String>,
}

/// The account id and password hash for an e-mail address, if there is one.
async fn credentials(state: &AppState, email: &str) -> AppResult<Option<(i64, String)>> {
    let email = email.to_string();
    state.db.read(move |c| store::credentials(c, &email)).await
}

/// The client's address: the socket's peer, or, when the peer is a trusted
/// reverse proxy, the last address in `X-Forwarded-For` that is not one.
fn client_ip(state: &AppState, headers: &HeaderMap, addr: Option<&axum::Extension<ConnectInfo<SocketAddr>>>) -> String {
    let Some(peer) = addr.map(|a| a.0 .0.ip()) else { return "local".into() };
    let trusted = &state.config.trusted_proxies;
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let forwarded =
        headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",");
    forwarded
        .rsplit(',')
        .filter_map(|a| a.trim().parse::<std::net::IpAddr>().ok())
        .find(|a| !trusted.contains(a))
        .unwrap_or(peer)
        .to_string()
}

/// The throttling keys of a sign-in: the client, the account from that
/// client, and the account from anywhere (ten times the limit).
fn sign_in_keys(client: &str, email: &str) -> [(String, u32); 3] {
    use crate::throttle::key;
    [(key("ip", client), 1), (key("login", &format!("{email}\n{client}")), 1), (key("email", email), 10)]
}

pub(crate) async fn login(
    State(state): State<AppState>,
    who: Principal,
    headers: HeaderMap,
    addr: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    check_form_token(&headers, &form._csrf)?;
    let email = form.email.trim().to_lowercase();
    let attempt = state.login_limit.begin(&sign_in_keys(&client_ip(&state, &headers, addr.as_ref()), &email))?;
    let found = credentials(&state, &email).await?;
    // Verify even for unknown addresses, so timing does not tell which exist.
    let hash = found.as_ref().map(|f| f.1.clone()).unwrap_or_else(|| dummy_hash().to_string());
    let ok = state.login_limit.verify(form.password.clone(), hash).await?;
    let next = safe_next(form.next.as_deref());
    match (found, ok) {
        (Some((uid, _)), true) => {
            attempt.succeeded();
            let token = auth::start_session(&state, uid).await?;
            signed_in(&state, &headers, &token, &next)
        }
        _ => {
            attempt.failed();
            let (token, _) = form_token(&headers);
            let mut res = login_page(
                &who,
                &token,
                &next,
                &form.email,
                Some("That e-mail and password do not match an account. Check both and try again."),
            );
            *res.status_mut() = StatusCode::UNAUTHORIZED;
            Ok(res)
        }
    }
}

/// An argon2id hash of a random password, checked against when the e-mail
/// is unknown so that both cases cost the same.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| auth::hash_password(&crate::token::random_token(16)).unwrap_or_default())
}

fn signed_in(state: &AppState, headers: &HeaderMap, token: &str, next: &str) -> AppResult<Response> {
    let mut res = Redirect::to(next).into_response();
    let cookie = set_cookie(SESSION_COOKIE, token, crate::auth::SESSION_DAYS * 86400, auth::secure(state, headers));
    res.headers_mut().append(header::SET_COOKIE, cookie.parse().map_err(|_| AppError::Internal("cookie".into()))?);
    Ok(res)
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    _csrf: String,
}

pub(crate) async fn logout(
    State(state): State<AppState>,
    who: Principal,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> AppResult<Response> {
    if let Principal::Session { csrf, .. } = &who {
        if !crate::token::constant_time_eq(csrf, &form._csrf) {
            return Err(AppError::Csrf);
        }
        if let Some(token) = auth::cookie(&headers, SESSION_COOKIE) {
            let hash = token_hash(token);
            state.db.write(move |tx| store::delete_session(tx, &hash)).await?;
        }
        if let Some(user) = who.user() {
            state.live.role_changed(user.id);
        }
    }
    let mut res = Redirect::to("/login").into_response();
    let cookie = set_cookie(SESSION_COOKIE, "", 0, auth::secure(&state, &headers));
    res.headers_mut().append(header::SET_COOKIE, cookie.parse().map_err(|_| AppError::Internal("cookie".into()))?);
    Ok(res)
}

fn account_fields(email: &str, name: &str, email_locked: bool) -> Markup {
    html! {
        label { "Your name" input type="text" name="name" value=(name) autocomplete="name" required maxlength="100"; }
        label { "E-mail" input type="email" name="email" value=(email) autocomplete="username" required readonly[email_locked]; }
        label { "Password " span.muted { "(at least 10 characters)" } input type="password" name="password" autocomplete="new-password" minlength="10" required; }
    }
}

async fn setup_valid(state: &AppState, token: &str) -> AppResult<bool> {
    let hash = token_hash(token);
    state
        .db
        .read(move |c| {
            let stored = store::setup_token_hash(c)?;
            Ok::<_, AppError>(
                stored.is_some_and(|s| crate::token::constant_time_eq(&s, &hash)) && store::user_count(c)? == 0,
            )
        })
        .await
}

pub(crate) async fn setup_form(
    State(state): State<AppState>,
    who: Principal,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> AppResult<Response> {
    if !setup_valid(&state, &token).await? {
        return Err(AppError::NotFound);
    }
    let (form_tok, fresh) = form_token(&headers);
    let body = setup_body(&token, &form_tok, "", "", None);
    Ok(with_form_cookie(
        Page::new("Set up cjm", &who, "setup", body).render(),
        &form_tok,
        fresh,
        auth::secure(&state, &headers),
    ))
}

fn setup_body(token: &str, form_tok: &str, email: &str, name: &str, error: Option<&str>) -> Markup {
    html! {
        section.card.auth {
            h1 { "Set up cjm" }
            p { "Create the administrator account. You will own the demo workspace and can invite your team from it." }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form method="post" action={ "/setup/" (token) } {
                input type="hidden" name="_csrf" value=(form_tok);
                (account_fields(email, name, false))
                button.primary type="submit" { "Create account" }
            }
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct AccountForm {
    #[serde(default)]
    _csrf: String,
    name: String,
    email: String,
    password: String,
}

pub(crate) async fn setup(
    State(state): State<AppState>,
    who: Principal,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<AccountForm>,
) -> AppResult<Response> {
    check_form_token(&headers, &form._csrf)?;
    if !setup_valid(&state, &token).await? {
        return Err(AppError::NotFound);
    }
    let checked = (|| {
        let name = clean_name(&form.name)?;
        let email = crate::service::accounts::check_email(&form.email)?.to_lowercase();
        let hash = crate::service::accounts::new_password_hash(&form.password)?;
        Ok::<_, AppError>((name, email, hash))
    })();
    let (name, email, hash) = match checked {
        Ok(v) => v,
        Err(AppError::BadRequest(m)) => {
            let (form_tok, _) = form_token(&headers);
            let mut res = Page::new(
                "Set up cjm",
                &who,
                "setup",
                setup_body(&token, &form_tok, &form.email, &form.name, Some(&m)),
            )
            .render();
            *res.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(res);
        }
        Err(e) => return Err(e),
    };
    let uid = state
        .db
        .write(move |tx| {
            if store::user_count(tx)? != 0 {
                return Err(AppError::NotFound);
            }
            let uid = store::create_user(tx, &email, &name, &hash, true)?;
            store::finish_setup(tx, uid)?;
            Ok(uid)
        })
        .await?;
    let session = auth::start_session(&state, uid).await?;
    signed_in(&state, &headers, &session, "/")
}

fn clean_name(name: &str) -> AppResult<String> {
    let n: String = name.trim().chars().filter(|c| !c.is_control()).collect();
    if n.is_empty() {
        return Err(AppError::bad("type your name; it is shown beside your comments and versions"));
    }
    if n.chars().count() > 100 {
        return Err(AppError::bad("the name is longer than 100 characters"));
    }
    Ok(n)
}

use store::OpenInvitation as InviteInfo;

async fn invitation(state: &AppState, token: &str) -> AppResult<InviteInfo> {
    let hash = token_hash(token);
    state.db.read(move |c| store::open_invitation(c, &hash)).await
}

fn invite_body(token: &str, form_tok: &str, inv: &InviteInfo, who: &Principal, error: Option<&str>) -> Markup {
    html! {
        section.card.auth {
            h1 { "Join " (inv.workspace) }
            p { "You are invited as " strong { (inv.role) } "." }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form method="post" action={ "/invite/" (token) } {
                input type="hidden" name="_csrf" value=(form_tok);
                @if let Some(user) = who.user() {
                    p { "Join as " strong { (user.name) } " (" (user.email) ")." }
                    input type="hidden" name="name" value=(user.name);
                    input type="hidden" name="email" value=(user.email);
                    input type="hidden" name="password" value="";
                } @else {
                    p.muted { "New here? Choose a name and password. Already have an account with this e-mail? Type its password." }
                    (account_fields(&inv.email, "", true))
                }
                button.primary type="submit" { "Join workspace" }
            }
        }
    }
}

pub(crate) async fn invite_form(
    State(state): State<AppState>,
    who: Principal,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let inv = invitation(&state, &token).await?;
    let (form_tok, fresh) = form_token(&headers);
    let page = Page::new("Invitation", &who, "invite", invite_body(&token, &form_tok, &inv, &who, None)).render();
    Ok(with_form_cookie(page, &form_tok, fresh, auth::secure(&state, &headers)))
}

pub(crate) async fn accept_invite(
    State(state): State<AppState>,
    who: Principal,
    headers: HeaderMap,
    addr: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    Path(token): Path<String>,
    Form(form): Form<AccountForm>,
) -> AppResult<Response> {
    check_form_token(&headers, &form._csrf)?;
    let inv = invitation(&state, &token).await?;
    let ws = inv.workspace_id;
    let uid = if let Some(user) = who.user() {
        user.id
    } else {
        let email = inv.email.to_lowercase();
        let existing = credentials(&state, &email).await?;
        let fail = |m: String| {
            let (form_tok, _) = form_token(&headers);
            let mut res =
                Page::new("Invitation", &who, "invite", invite_body(&token, &form_tok, &inv, &who, Some(&m))).render();
            *res.status_mut() = StatusCode::BAD_REQUEST;
            res
        };
        match existing {
            Some((uid, hash)) => {
                let attempt =
                    state.login_limit.begin(&sign_in_keys(&client_ip(&state, &headers, addr.as_ref()), &email))?;
                if !state.login_limit.verify(form.password.clone(), hash).await? {
                    attempt.failed();
                    return Ok(fail("An account with this e-mail exists; type its password to join.".into()));
                }
                attempt.succeeded();
                uid
            }
            None => {
                let made = (|| {
                    Ok::<_, AppError>((
                        clean_name(&form.name)?,
                        crate::service::accounts::new_password_hash(&form.password)?,
                    ))
                })();
                let (name, hash) = match made {
                    Ok(v) => v,
                    Err(AppError::BadRequest(m)) => return Ok(fail(m)),
                    Err(e) => return Err(e),
                };
                state.db.write(move |tx| store::create_user(tx, &email, &name, &hash, false)).await?
            }
        }
    };
    let (inv_id, role) = (inv.id, inv.role.clone());
    state
        .db
        .write(move |tx| {
            store::accept_invitation(tx, inv_id)?;
            let role = crate::auth::Role::parse(&role).unwrap_or(crate::auth::Role::Viewer);
            store::join(tx, ws, uid, role)
        })
        .await?;
    if who.user().is_some() {
        return Ok(Redirect::to(&format!("/w/{ws}")).into_response());
    }
    let session = auth::start_session(&state, uid).await?;
    signed_in(&state, &headers, &session, &format!("/w/{ws}"))
}

pub(crate) async fn account(State(state): State<AppState>, who: Principal) -> AppResult<Response> {
    let user = who.require_user()?.clone();
    let uid = user.id;
    let tokens = state.db.read(move |c| store::api_tokens(c, uid)).await?;
    let body = html! {
        h1 { "Your account" }
        section.card {
            h2 { "Password" }
            form.api-form data-method="PUT" data-action="/api/me/password" data-then="message" data-message="Password changed; your other sessions are signed out." {
                label { "Current password" input type="password" name="current" autocomplete="current-password" required; }
                label { "New password " span.muted { "(at least 10 characters)" } input type="password" name="new" autocomplete="new-password" minlength="10" required; }
                @if !tokens.is_empty() {
                    label.check { input type="checkbox" name="revoke_tokens" data-type="bool" checked; " Also revoke my " (tokens.len()) " API token" @if tokens.len() != 1 { "s" } " (scripts using them will stop working)" }
                }
                button.primary type="submit" { "Change password" }
            }
        }
        section.card {
            dl.facts {
                dt { "Name" } dd { (user.name) }
                dt { "E-mail" } dd { (user.email) }
                dt { "Handle" } dd { "@" (user.handle) span.muted { " — write this in a comment to mention you" } }
            }
        }
        section.card {
            h2 { "API tokens" }
            p.muted { "Scripts use a token with " code { "Authorization: Bearer …" } ". It acts as you, within its scope: " strong { "read" } " tokens only read; " strong { "read and write" } " tokens also change what you may change. No token can make tokens. The API is described at " a href="/api/openapi.json" { "/api/openapi.json" } "." }
            form.api-form.row data-method="POST" data-action="/api/tokens" data-reveal="token" {
                label { "Name" input type="text" name="name" placeholder="e.g. nightly export" required maxlength="100"; }
                label { "Scope" select name="scope" { option value="read" selected { "Read" } option value="write" { "Read and write" } } }
                label { "Expires" select name="expires_in_days" data-type="number" { option value="30" { "in 30 days" } option value="90" selected { "in 90 days" } option value="365" { "in a year" } option value="" { "never" } } }
                button.primary type="submit" { "Make a token" }
            }
            p.reveal hidden { "Copy the token now; it is not shown again: " code.secret {} }
            table.list {
                thead { tr { th { "Name" } th { "Scope" } th { "Made" } th { "Expires" } th { "Last used" } th {} } }
                tbody {
                    @for t in &tokens {
                        tr {
                            td { (t.name) }
                            td { @if t.scope == auth::TokenScope::Write { "read and write" } @else { "read" } }
                            td { (super::when(t.created_at)) }
                            td { @match t.expires_at { Some(e) if e <= now() => { span.muted { "expired" } } Some(e) => { (super::when(e)) } None => { span.muted { "never" } } } }
                            td { @if let Some(u) = t.last_used_at { (super::when(u)) } @else { span.muted { "never" } } }
                            td { button.link.danger data-method="DELETE" data-action={ "/api/tokens/" (t.id) } data-confirm="Revoke this token? Scripts using it will stop working." { "Revoke" } }
                        }
                    }
                    @if tokens.is_empty() { tr { td colspan="6" .muted { "No tokens yet." } } }
                }
            }
        }
    };
    Ok(Page::new("Account", &who, "account", body).render())
}

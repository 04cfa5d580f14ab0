//! The web app driven without a socket: `app(state)` and `oneshot`.

mod analytics;
mod common;
mod flows;
mod hardening;
mod live;
mod roles;
mod spark;

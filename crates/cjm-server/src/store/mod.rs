//! Reading and writing the workspace's records: every SQL statement of the
//! server is in this folder, one file per kind of record. Every function
//! takes a connection or transaction and does one job; the services combine
//! them inside [`crate::db::Db::read`] / [`crate::db::Db::write`].

use crate::auth::{Role, TokenScope, User};
use crate::error::{AppError, AppResult};
use crate::token::now;
use rusqlite::{params, Connection, OptionalExtension};
use schemars::JsonSchema;
use serde::Serialize;

mod accounts;
mod comments;
mod evidence;
mod live;
mod maps;
mod personas;
mod settings;
mod shares;
mod workspaces;

pub use accounts::*;
pub(crate) use comments::*;
pub(crate) use evidence::*;
pub(crate) use live::*;
pub use maps::*;
pub(crate) use personas::*;
pub(crate) use settings::*;
pub(crate) use shares::*;
pub use workspaces::*;

/// `NotFound` when a statement changed no row.
fn found(changed: usize) -> AppResult<()> {
    if changed == 0 {
        Err(AppError::NotFound)
    } else {
        Ok(())
    }
}

//! What every HTTP edge shares — the staff API ([`crate::http`]) and the customer-facing
//! channels ([`crate::channels`]) alike: the state a handler reaches ([`AppState`]), the one
//! classification of errors into statuses ([`error`]), and parsing at the boundary
//! ([`extract`]: JSON bodies whose errors name the field, bearer-token callers, path ids), and
//! what the server allows ([`limits`]: connections, timeouts, the web chat's rate limits).
//!
//! Both edges import this module and neither imports the other's handlers: `http` merges the
//! routes each channel exposes (`channels::routes()`), and channels never reach into `http`.

pub mod error;
pub mod extract;
pub mod limits;

use crate::auth::Tokens;
use crate::channels::Channels;
use crate::engine::Engine;
use std::sync::Arc;

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    pub engine: Arc<Engine>,
    pub tokens: Arc<Tokens>,
    pub channels: Arc<Channels>,
    /// Flips to `true` when the server stops; open event streams end then.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
    /// The public web chat's rate limits ([`limits`]).
    pub limits: Arc<limits::RateLimiters>,
    /// The lead's epoch when this instance leads several on one PostgreSQL
    /// ([`crate::cluster`]); `None` for a standalone workspace.
    pub epoch: Option<u64>,
    /// People's sign-in: password hashing and failed-attempt counts ([`crate::accounts`]).
    pub accounts: Arc<crate::accounts::Accounts>,
    /// The token `GET /metrics` needs; `None`: the endpoint is off.
    pub metrics_token: Option<Arc<str>>,
}

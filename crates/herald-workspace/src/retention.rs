//! Retention of the agents' event logs. The log would grow forever; a background task prunes
//! it, keeping what a connected or recently connected app can still ask for:
//!
//! - everything newer than [`Retention::window`] (default 7 days: an app that was offline for a
//!   week still resumes without a reload), and
//! - the newest [`Retention::keep_per_agent`] entries of every agent (default 1,000), however
//!   old — and never fewer than one, so sequence numbers continue from the agent's largest one
//!   and are never handed out twice.
//!
//! A client asking to resume from before what is kept gets a resync ([`herald_protocol::Resync`],
//! see [`crate::realtime`]): it reloads its state and continues.
//!
//! Configured with `--retention-days` / `HERALD_RETENTION_DAYS` and `--retention-keep` /
//! `HERALD_RETENTION_KEEP` ([`crate::cli`]).

use crate::engine::{Engine, now};
use crate::store::{Store, StoreError};
use std::sync::Arc;
use std::time::Duration;

/// What the event logs keep; see the module docs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retention {
    /// Entries newer than this are kept.
    pub window: Duration,
    /// The newest entries of each agent kept whatever their age (at least 1).
    pub keep_per_agent: u64,
    /// How often the task prunes (it also prunes once at start).
    pub every: Duration,
}

impl Retention {
    pub const DEFAULT_DAYS: u64 = 7;
    pub const DEFAULT_KEEP: u64 = 1000;

    /// Keeps `days` of entries and the newest `keep` per agent, pruning hourly.
    pub fn days(days: u64, keep: u64) -> Self {
        Self { window: Duration::from_secs(days.saturating_mul(24 * 3600)), keep_per_agent: keep, ..Self::default() }
    }
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(Self::DEFAULT_DAYS * 24 * 3600),
            keep_per_agent: Self::DEFAULT_KEEP,
            every: Duration::from_secs(3600),
        }
    }
}

/// Prunes once, as of `now_ms`: deletes the entries outside `policy`. Returns how many went.
pub async fn prune(store: &Store, policy: &Retention, now_ms: u64) -> Result<u64, StoreError> {
    let before = now_ms.saturating_sub(policy.window.as_millis() as u64);
    store.prune_events(before, policy.keep_per_agent).await
}

/// Prunes at start and then every `policy.every` until `shutdown` resolves.
pub async fn run(engine: Arc<Engine>, policy: Retention, shutdown: impl std::future::Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        match prune(engine.store(), &policy, now().0).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "pruned the event logs"),
            Err(e) => tracing::warn!(error = %e, "pruning the event logs failed; trying again later"),
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(policy.every.max(Duration::from_secs(1))) => {}
        }
    }
}

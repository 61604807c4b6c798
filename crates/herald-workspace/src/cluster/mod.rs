//! Several workspace instances on one PostgreSQL, one of them routing (issue 12).
//!
//! - **One leader.** Exactly one instance runs herald-core's router: the one holding a
//!   PostgreSQL advisory lock on a connection of its own ([`lease`]). Taking the lead writes the
//!   lease row with the next epoch; every commit of the leader first checks that the row still
//!   carries its epoch (a fencing token, [`Store::fenced`]), so an instance that lost the lock —
//!   its connection dropped, it stalled — cannot write a thing after a new leader took over.
//! - **Followers forward.** Every instance serves the whole API: a follower passes each request
//!   to the leader and streams the answer back ([`follower`]), so a stale accept is a 409
//!   whichever instance a client reached. Requests carry the cluster's secret (from the lease
//!   row, which only the instances can read) and the client's address, so the leader's rate
//!   limits count the real client, not the follower.
//! - **Followers hold event streams themselves** ([`streams`]): the events table is the truth,
//!   the leader's commits `NOTIFY` which logs grew, and a follower's streams read the new
//!   entries from the table — every entry once, in order, and `Last-Event-ID` works against any
//!   instance. Each follower tells the leader which agents it holds streams for ([`book`]), so
//!   presence by connection (R26) counts every instance's streams. A follower's streams survive
//!   the leader's death.
//! - **Failover.** The lock goes with the leader's connection: when the leader dies, PostgreSQL
//!   ends its session and frees the lock, a follower (trying every [`POLL`]) takes it, loads the
//!   state from the store, re-arms every deadline and serves: offers in flight end exactly once
//!   (accepted, timed out or re-offered, from the stored state). A leader that loses its lock
//!   connection, sees another epoch, or has a commit refused by the fence stops serving and
//!   exits: its process manager starts it again, as a follower.

pub mod book;
pub mod follower;
pub mod lease;
pub mod streams;

pub use lease::{Candidate, Instance, Lease};

use crate::store::Store;
use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use herald_protocol::Health;
use std::net::IpAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// How often an instance that does not lead tries to take the lead.
pub const POLL: Duration = Duration::from_millis(250);

/// A request forwarded by an instance carries the cluster's secret in this header…
pub const FORWARDED_BY: &str = "x-herald-forwarded-by";
/// …and the address of the client that instance served.
pub const CLIENT: &str = "x-herald-client";

/// The client address a request forwarded by another instance names, if it carries the
/// cluster's `secret`.
pub fn forwarded_client(headers: &HeaderMap, secret: &str) -> Option<IpAddr> {
    let by = headers.get(FORWARDED_BY)?.as_bytes();
    if !constant_time_eq(by, secret.as_bytes()) {
        return None;
    }
    headers.get(CLIENT)?.to_str().ok()?.parse().ok()
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `GET /healthz` for any role: 200 when the database answers within 2 s, else 503 saying why.
pub async fn health(store: &Store, role: &str, epoch: Option<u64>) -> (StatusCode, Json<Health>) {
    let database = match tokio::time::timeout(Duration::from_secs(2), store.ping()).await {
        Ok(Ok(())) => "ok".to_string(),
        Ok(Err(e)) => e.to_string(),
        Err(_) => "no answer within 2 s".to_string(),
    };
    let up = database == "ok";
    let health = Health {
        status: if up { "ok" } else { "degraded" }.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        role: role.into(),
        epoch,
        database,
    };
    (if up { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, Json(health))
}

/// The service an instance's server runs: whichever router is current (the follower's, then
/// the leader's once this instance takes the lead). Each request goes to the router current
/// when it arrives.
#[derive(Clone, Debug)]
pub struct Switch(Arc<RwLock<axum::Router>>);

impl Switch {
    pub fn new(first: axum::Router) -> Self {
        Self(Arc::new(RwLock::new(first)))
    }

    /// From now on, requests go to `next`.
    pub fn set(&self, next: axum::Router) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = next;
    }

    /// A router that passes each request to the current one.
    pub fn router(&self) -> axum::Router {
        let current = self.0.clone();
        axum::Router::new().fallback_service(tower::service_fn(move |req: axum::extract::Request| {
            let router = current.read().unwrap_or_else(|p| p.into_inner()).clone();
            tower::ServiceExt::oneshot(router, req)
        }))
    }
}

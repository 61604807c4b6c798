//! Event streams held by an instance that does not lead (PostgreSQL only).
//!
//! The events table is the truth. The leader's commits `NOTIFY` which agents' logs grew
//! ([`crate::store::EVENTS_CHANNEL`]); this instance `LISTEN`s and wakes the streams of those
//! agents, which read the new entries from the table after the last number they sent — so a
//! lost notification (the listening connection dropped and came back) costs nothing but a read:
//! on every reconnect every stream reads again. A stream held here survives the leader's death.
//!
//! The leader still has to know who is connected (R26: a disconnected agent goes Offline after
//! the grace). This instance tells it which agents it holds streams for ([`Announcer`]): the
//! whole list, whenever it changes and every [`HEARTBEAT`], to whichever instance leads — a new
//! leader hears it within one heartbeat, and a leader that stops hearing from an instance drops
//! its agents ([`super::book`]).
//!
//! Tokens: this instance keeps its own copy, reloaded whenever the leader `NOTIFY`s
//! [`crate::store::ACCESS_CHANNEL`] (a revocation, a role change), so a revoked token's stream
//! here ends as it would on the leader. A token this copy does not know yet is looked up once.

use super::FORWARDED_BY;
use super::book::Held;
use crate::auth::Tokens;
use crate::edge::error::AppError;
use crate::realtime::{Hub, Item, after_param, follow};
use crate::store::{ACCESS_CHANNEL, EVENTS_CHANNEL, Store, parse_event_payload};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use herald_core::AgentId;
use herald_protocol::ErrorCode;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// How often the list of held agents goes to the leader even when nothing changed.
pub const HEARTBEAT: Duration = Duration::from_secs(2);
/// Changes within this window go out as one list.
const SETTLE: Duration = Duration::from_millis(50);
/// Wait before trying again after the leader did not take the list.
const RETRY: Duration = Duration::from_millis(200);

/// The streams this instance holds. See the module docs.
#[derive(Debug)]
pub struct Streams {
    store: Store,
    hub: Hub,
    tokens: Tokens,
    /// Open streams per agent.
    held: Mutex<BTreeMap<AgentId, u32>>,
    changed: Notify,
    /// Store lookups of tokens this copy does not know, at most a few at once.
    lookups: tokio::sync::Semaphore,
    /// This instance's id, as the leader's book knows it.
    instance: String,
    shutdown: watch::Receiver<bool>,
}

impl Streams {
    pub async fn new(store: Store, instance: String, shutdown: watch::Receiver<bool>) -> Result<Arc<Self>, crate::store::StoreError> {
        let tokens = Tokens::load(&store).await?;
        Ok(Arc::new(Self {
            store,
            hub: Hub::default(),
            tokens,
            held: Mutex::default(),
            changed: Notify::new(),
            lookups: tokio::sync::Semaphore::new(2),
            instance,
            shutdown,
        }))
    }

    fn hold(self: &Arc<Self>, agent: AgentId) -> Holding {
        *self.held.lock().unwrap_or_else(|p| p.into_inner()).entry(agent).or_insert(0) += 1;
        self.changed.notify_one();
        Holding { streams: self.clone(), agent }
    }

    fn snapshot(&self) -> Held {
        let held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        Held { instance: self.instance.clone(), epoch: 0, agents: held.iter().map(|(a, n)| (*a, *n)).collect() }
    }

    /// How many streams this instance holds.
    pub fn count(&self) -> u32 {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).values().sum()
    }
}

/// One open stream: counted while alive.
struct Holding {
    streams: Arc<Streams>,
    agent: AgentId,
}

impl Drop for Holding {
    fn drop(&mut self) {
        let mut held = self.streams.held.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = held.get_mut(&self.agent) {
            *n -= 1;
            if *n == 0 {
                held.remove(&self.agent);
            }
        }
        drop(held);
        self.streams.changed.notify_one();
    }
}

/// `GET /v1/events` on an instance that does not lead: the same stream the leader serves (see
/// `http::agent::events`), read from the store.
pub async fn events(State(s): State<Arc<Streams>>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    match open(&s, &headers, &q).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn open(s: &Arc<Streams>, headers: &HeaderMap, q: &HashMap<String, String>) -> Result<Response, AppError> {
    let header = headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let token = header
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        .map(str::trim)
        .ok_or_else(|| AppError::new(ErrorCode::Unauthenticated, "missing bearer token (Authorization: Bearer …)"))?;
    let known = match s.tokens.check(token) {
        Some(k) => Some(k),
        None => {
            // Unknown here: looked up in the store, a few at a time, so a flood of made-up
            // tokens cannot take the database's connections.
            let _turn = s.lookups.acquire().await.map_err(AppError::internal)?;
            s.tokens.check_or_fetch(&s.store, token).await.map_err(AppError::internal)?
        }
    };
    let (token_id, agent) = known.ok_or_else(|| AppError::new(ErrorCode::Unauthenticated, "unknown or revoked token"))?;
    let after = after_param(headers, q)?;
    let guard = s.hold(agent);
    let (tx, rx) = tokio::sync::mpsc::channel::<Item>(256);
    let streams = s.clone();
    tokio::spawn(async move {
        let mut shutdown = streams.shutdown.clone();
        let mut access = streams.tokens.watch();
        let revoked = async {
            while streams.tokens.is_active(token_id) {
                if access.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::select! {
            r = follow(streams.store.clone(), &streams.hub, agent, after, tx) => if let Err(e) = r {
                tracing::warn!(%agent, error = %e, "event stream ended by a store error");
            },
            _ = shutdown.wait_for(|stop| *stop) => {}
            () = revoked => tracing::info!(%agent, token = token_id, "event stream ended: the token was revoked"),
        }
    });
    Ok(crate::realtime::sse(rx, guard).into_response())
}

/// Wakes the streams held here from the leader's notifications, and reloads the tokens when
/// access changed, until `stop`. A dropped listening connection comes back on its own; every
/// stream then reads the store again (what was notified meanwhile is lost).
pub async fn listen(streams: Arc<Streams>, stop: impl std::future::Future<Output = ()>) {
    tokio::pin!(stop);
    let mut listener = loop {
        match streams.store.listener().await {
            Ok(Some(l)) => break l,
            Ok(None) => return,
            Err(e) => tracing::warn!(error = %e, "cannot listen for the leader's notifications; trying again"),
        }
        tokio::select! {
            () = tokio::time::sleep(RETRY * 5) => {}
            () = &mut stop => return,
        }
    };
    loop {
        let next = tokio::select! {
            n = listener.try_recv() => n,
            () = &mut stop => return,
        };
        match next {
            Ok(Some(n)) if n.channel() == EVENTS_CHANNEL => {
                for (agent, seq) in parse_event_payload(n.payload()) {
                    streams.hub.wake(agent, seq);
                }
            }
            Ok(Some(n)) if n.channel() == ACCESS_CHANNEL => reload_tokens(&streams).await,
            Ok(Some(_)) => {}
            Ok(None) => {
                tracing::info!("the connection listening for the leader's notifications dropped; reconnecting, streams read again");
                reload_tokens(&streams).await;
                streams.hub.wake_all();
            }
            Err(e) => {
                tracing::warn!(error = %e, "listening for the leader's notifications failed; trying again");
                tokio::time::sleep(RETRY * 5).await;
                streams.hub.wake_all();
            }
        }
    }
}

async fn reload_tokens(streams: &Streams) {
    if let Err(e) = streams.tokens.reload(&streams.store).await {
        tracing::warn!(error = %e, "could not reload the tokens after an access change");
    }
}

/// Tells the leader which agents this instance holds streams for. See the module docs.
pub async fn announce(streams: Arc<Streams>, stop: impl std::future::Future<Output = ()>) {
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a plain HTTP client builds");
    tokio::pin!(stop);
    // What the current leader last took, and under which epoch.
    let mut taken: Option<(u64, Held)> = None;
    let mut due = false;
    loop {
        let wait = if due { RETRY } else { HEARTBEAT };
        tokio::select! {
            () = streams.changed.notified() => tokio::time::sleep(SETTLE).await,
            () = tokio::time::sleep(wait) => {}
            () = &mut stop => return,
        }
        let mut held = streams.snapshot();
        if held.agents.is_empty() && taken.as_ref().is_none_or(|(_, t)| t.agents.is_empty()) {
            due = false;
            continue;
        }
        let lease = match streams.store.lease().await {
            Ok(Some(l)) => l,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the lease to tell the leader who is connected here");
                due = true;
                continue;
            }
        };
        held.epoch = lease.epoch;
        let sent = http
            .put(format!("{}/internal/v1/connections", lease.url.trim_end_matches('/')))
            .header(FORWARDED_BY, &lease.secret)
            .json(&held)
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => {
                if taken.as_ref().is_none_or(|(e, _)| *e != lease.epoch) {
                    tracing::info!(epoch = lease.epoch, leader = %lease.url, agents = held.agents.len(), "the leader knows the streams held here");
                }
                taken = Some((lease.epoch, held));
                due = false;
            }
            Ok(r) => {
                tracing::debug!(status = %r.status(), leader = %lease.url, "the leader did not take the list of streams held here");
                due = true;
            }
            Err(e) => {
                tracing::debug!(error = %e, leader = %lease.url, "the leader did not answer; telling it again");
                due = true;
            }
        }
    }
}

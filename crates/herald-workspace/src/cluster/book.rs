//! The leader's book of the event streams the other instances hold ([`super::streams`]).
//!
//! Each instance sends the whole list of its agents with open streams (`PUT
//! /internal/v1/connections`, signed with the cluster's secret) whenever it changes and every
//! heartbeat. The book turns the difference to what it had from that instance into the router's
//! `Connected`/`Disconnected` inputs, so the router counts an agent's streams on every instance
//! as it counts those on the leader. An instance not heard from for [`SILENCE`] is taken for
//! dead: its agents are disconnected (their grace starts; R26) — their apps reconnect elsewhere.
//!
//! The book lives in the leader's memory. A new leader starts with an empty one and the
//! router's restore gives every agent the disconnect grace; the instances holding streams are
//! heard within one heartbeat, well inside the grace.

use super::FORWARDED_BY;
use super::streams::HEARTBEAT;
use crate::edge::error::AppError;
use crate::engine::Engine;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use herald_core::{AgentId, Input};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// An instance not heard from for this long is taken for dead.
pub const SILENCE: Duration = Duration::from_secs(HEARTBEAT.as_secs() * 3);

/// What an instance sends: its id, the epoch of the leader it sends to, and its agents with
/// how many streams each.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    pub instance: String,
    pub epoch: u64,
    pub agents: Vec<(AgentId, u32)>,
}

/// See the module docs.
#[derive(Debug)]
pub struct Book {
    engine: Arc<Engine>,
    epoch: u64,
    secret: String,
    /// Per instance: its agents' stream counts, and when it was last heard.
    held: tokio::sync::Mutex<HashMap<String, (Counts, Instant)>>,
}

/// Open streams per agent.
type Counts = BTreeMap<AgentId, u32>;

impl Book {
    pub fn new(engine: Arc<Engine>, epoch: u64, secret: String) -> Arc<Self> {
        Arc::new(Self { engine, epoch, secret, held: tokio::sync::Mutex::default() })
    }

    /// Takes an instance's list: the router hears the difference. Lists are taken one at a time
    /// (the lock is held while the inputs apply), so two lists never interleave their inputs.
    pub async fn take(&self, held: Held) {
        let mut book = self.held.lock().await;
        let old = book.remove(&held.instance).map(|(a, _)| a).unwrap_or_default();
        let new: Counts = held.agents.into_iter().filter(|(_, n)| *n > 0).collect();
        let agents: BTreeSet<AgentId> = old.keys().chain(new.keys()).copied().collect();
        let changes = agents
            .into_iter()
            .map(|a| (a, old.get(&a).copied().unwrap_or(0), new.get(&a).copied().unwrap_or(0)))
            .filter(|(_, was, is)| was != is)
            .collect();
        self.apply(changes).await;
        book.insert(held.instance, (new, Instant::now()));
    }

    /// Drops the instances not heard from for [`SILENCE`]: their agents are disconnected.
    pub async fn reap(&self) {
        let mut book = self.held.lock().await;
        let silent: Vec<String> = book.iter().filter(|(_, (_, seen))| seen.elapsed() > SILENCE).map(|(i, _)| i.clone()).collect();
        for instance in silent {
            let (agents, _) = book.remove(&instance).expect("listed above");
            tracing::warn!(%instance, agents = agents.len(), "an instance holding event streams went silent; its agents count as disconnected");
            self.apply(agents.into_iter().map(|(a, n)| (a, n, 0)).collect()).await;
        }
    }

    /// Applies `(agent, was, is)`: as many `Connected` or `Disconnected` as the counts differ.
    /// Agents in parallel (each once in the list), each agent's inputs in order.
    async fn apply(&self, changes: Vec<(AgentId, u32, u32)>) {
        let engine = &self.engine;
        futures_util::future::join_all(changes.into_iter().map(|(agent, was, is)| async move {
            let input = if is > was { Input::Connected { agent } } else { Input::Disconnected { agent } };
            for _ in 0..was.abs_diff(is) {
                if let Err(e) = engine.apply(input.clone()).await {
                    // An agent the router does not know (yet): nothing to count.
                    tracing::debug!(%agent, error = %e, "a stream held by another instance was not counted");
                    return;
                }
            }
        }))
        .await;
    }
}

/// The book's route (the leader only).
pub fn routes(book: Arc<Book>) -> Router {
    Router::new().route("/internal/v1/connections", put(take)).with_state(book)
}

async fn take(State(book): State<Arc<Book>>, headers: HeaderMap, body: Bytes) -> Response {
    let signed = headers.get(FORWARDED_BY).is_some_and(|v| super::constant_time_eq(v.as_bytes(), book.secret.as_bytes()));
    if !signed {
        return AppError::forbidden("only the workspace's own instances may send this").into_response();
    }
    let held: Held = match serde_json::from_slice(&body) {
        Ok(h) => h,
        Err(e) => return AppError::invalid("body", format!("not a list of held streams: {e}")).into_response(),
    };
    if held.epoch != book.epoch {
        return AppError::unavailable(format!("this instance leads under epoch {}, not {}", book.epoch, held.epoch)).into_response();
    }
    book.take(held).await;
    StatusCode::NO_CONTENT.into_response()
}

/// Drops silent instances every heartbeat until `stop`.
pub async fn reap(book: Arc<Book>, stop: impl std::future::Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = tokio::time::sleep(HEARTBEAT) => book.reap().await,
            () = &mut stop => return,
        }
    }
}

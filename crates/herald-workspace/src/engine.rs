//! The engine owns herald-core's [`Router`], feeds it inputs with the wall clock, and carries out
//! what it returns: one store transaction per change (entities + numbered events), then a live
//! wake-up for the agents' streams, then re-arming the timer.
//!
//! The router lock is held across the commit, so event numbers are handed out and persisted in
//! one order. When a commit fails the router is rebuilt from the store: memory never runs ahead
//! of what is durable.

use crate::realtime::Hub;
use crate::store::{Extra, Store, StoreError};
use herald_core::{AgentId, CoreError, Input, Reply, Router, Timestamp};
use herald_protocol::EventEnvelope;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{Mutex, Notify, watch};

/// Why the engine refused or failed an input.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The wall clock, in the core's terms.
pub fn now() -> Timestamp {
    Timestamp(SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64))
}

struct State {
    router: Router,
    seqs: HashMap<AgentId, u64>,
}

/// See the module docs.
pub struct Engine {
    state: Mutex<State>,
    store: Store,
    hub: Hub,
    timer: Notify,
    /// Counts committed changes: customers' long polls (who are not agents, so have no event
    /// log) wake on it and look again.
    changes: watch::Sender<u64>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl Engine {
    /// Loads the router from the store and re-arms every stored deadline (expired ones fire on
    /// the first tick, which `run_timers` sends at once).
    pub async fn load(store: Store) -> Result<Arc<Self>, StoreError> {
        let (snap, seqs) = store.load().await?;
        let pending = snap.offers.len();
        let live_items = snap.work_items.len();
        let router = Router::restore(now(), snap);
        tracing::info!(pending_offers = pending, live_work_items = live_items, "workspace state loaded");
        Ok(Arc::new(Self {
            state: Mutex::new(State { router, seqs }),
            store,
            hub: Hub::default(),
            timer: Notify::new(),
            changes: watch::channel(0).0,
        }))
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Ticks after every committed change.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Applies one input; see [`Engine::apply_then`].
    pub async fn apply(&self, input: Input) -> Result<Reply, EngineError> {
        self.apply_then(input, |_, reply| reply.clone()).await
    }

    /// Applies one input, persists it, wakes the streams, then reads the router under the same
    /// lock (so the answer shows exactly this change).
    pub async fn apply_then<R>(&self, input: Input, read: impl FnOnce(&Router, &Reply) -> R) -> Result<R, EngineError> {
        self.apply_with(input, |_| Vec::new(), read).await
    }

    /// [`Engine::apply_then`], with rows of the edge's own (`extras`, given the reply) committed
    /// in the same transaction as the change.
    pub async fn apply_with<R>(
        &self,
        input: Input,
        extras: impl FnOnce(&Reply) -> Vec<Extra>,
        read: impl FnOnce(&Router, &Reply) -> R,
    ) -> Result<R, EngineError> {
        let mut st = self.state.lock().await;
        let at = now();
        let applied = st.router.handle(at, input)?;
        let events: Vec<EventEnvelope> = applied
            .events
            .into_iter()
            .map(|(agent, event)| {
                let seq = st.seqs.entry(agent).or_insert(0);
                *seq += 1;
                EventEnvelope { seq: *seq, agent, at, event }
            })
            .collect();
        let reply = applied.reply.unwrap_or(Reply::Done);
        let extras = extras(&reply);
        if let Err(e) = self.store.commit(&applied.saves, &events, &extras).await {
            tracing::error!(error = %e, "commit failed; reloading state from the store");
            let (snap, seqs) = self.store.load().await?;
            st.router = Router::restore(now(), snap);
            st.seqs = seqs;
            return Err(e.into());
        }
        for e in events {
            self.hub.publish(Arc::new(e));
        }
        if !applied.saves.is_empty() {
            self.changes.send_modify(|n| *n += 1);
        }
        self.timer.notify_one();
        Ok(read(&st.router, &reply))
    }

    /// Reads the router and the agents' last event numbers.
    pub async fn read<R>(&self, f: impl FnOnce(&Router, &HashMap<AgentId, u64>) -> R) -> R {
        let st = self.state.lock().await;
        f(&st.router, &st.seqs)
    }

    /// Fires deadlines until `shutdown` resolves.
    pub async fn run_timers(self: Arc<Self>, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let next = self.read(|r, _| r.next_deadline()).await;
            let wait = match next {
                Some(t) => Duration::from_millis(t.0.saturating_sub(now().0)),
                None => Duration::from_secs(3600),
            };
            tokio::select! {
                () = &mut shutdown => return,
                () = self.timer.notified() => continue,
                () = tokio::time::sleep(wait) => {
                    if let Err(e) = self.apply(Input::Tick).await {
                        tracing::error!(error = %e, "timer tick failed; retrying in a second");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald_core::{NewWorkItem, Scenario, WorkItemId};

    /// The rows an edge commits with a change ([`Extra`]) and the change are one transaction:
    /// when the extra row cannot be written, the work item is not stored either, and memory
    /// does not run ahead of the store (the web chat's item and its customer token, issue 11).
    #[tokio::test]
    async fn an_extra_row_and_its_change_commit_together_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("w.db").display());
        let store = Store::open(&url).await.unwrap();
        let engine = Engine::load(store.clone()).await.unwrap();
        crate::channels::seed_default_queue(&engine).await.unwrap();
        let queue = engine.read(|r, _| r.queues().next().map(|q| q.id)).await.unwrap();
        sqlx::query("CREATE TRIGGER crash BEFORE INSERT ON webchat_conversations BEGIN SELECT RAISE(ABORT, 'disk gone'); END")
            .execute(store.pool())
            .await
            .unwrap();
        let request = Input::Request(NewWorkItem {
            scenario: Scenario::Chat,
            channel: None,
            queue,
            customer_name: "Ada".into(),
            phone: None,
            context: Default::default(),
            target_agent: None,
            messages: Vec::new(),
        });
        let extras = |reply: &Reply| match reply {
            Reply::WorkItem(item) => vec![Extra::Webchat { item: *item, widget: "default".into(), token_hash: "h".into(), at_ms: 1 }],
            _ => Vec::new(),
        };
        let res = engine.apply_with(request, extras, |_, r| r.clone()).await;
        assert!(matches!(res, Err(EngineError::Store(_))), "{res:?}");
        let in_memory: Vec<WorkItemId> = engine.read(|r, _| r.work_items().map(|i| i.id).collect()).await;
        assert!(in_memory.is_empty(), "memory ran ahead of the store: {in_memory:?}");
        let reloaded = Engine::load(store).await.unwrap();
        assert_eq!(reloaded.read(|r, _| r.work_items().count()).await, 0, "nothing half-committed");
    }
}

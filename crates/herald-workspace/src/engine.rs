//! The engine owns herald-core's [`Router`], feeds it inputs with the wall clock, and carries out
//! what it returns: the change (entities + numbered events) is stored, then the agents' streams
//! are woken, then the timer is re-armed.
//!
//! # Group commit
//! Inputs are applied to the router one at a time under its lock, in the order event numbers
//! are handed out; each applied change then joins a queue that one committer task drains, writing
//! every change waiting into one store transaction. Nothing is acknowledged before it is
//! durable: an input's caller gets its answer only after the transaction holding its change
//! commits, and reads ([`Engine::read`], refusals) wait until every change they could have seen
//! is committed. Only the check of who is asking ([`Engine::peek`]) does not wait: what the
//! request then changes is ordered after the changes it saw. When a transaction fails, every
//! change in it fails, and so does every change applied after it (they were computed from the
//! state being undone): the router is rebuilt from the store, so memory never stays ahead of
//! what is durable.

use crate::realtime::Hub;
use crate::store::{Extra, Store, StoreError};
use herald_core::{AgentId, CoreError, Input, Reply, Router, Saved, Timestamp};
use herald_protocol::EventEnvelope;
use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{Mutex, Notify, mpsc, oneshot, watch};

/// At most this many changes go into one transaction.
const MAX_BATCH: usize = 512;

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
    /// Changes applied to the router so far; each is numbered with this count.
    applied: u64,
}

/// A change applied to the router, waiting for its transaction.
struct Change {
    n: u64,
    saves: Vec<Saved>,
    events: Vec<EventEnvelope>,
    extras: Vec<Extra>,
    done: oneshot::Sender<Result<(), StoreError>>,
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
    /// Applied changes, in order, to the committer.
    queue: mpsc::UnboundedSender<Change>,
    /// The number of the last settled change: committed, or failed and undone.
    settled: watch::Sender<u64>,
    /// Turns `true` when a commit found the store fenced: another instance leads now.
    superseded: watch::Sender<bool>,
    metrics: crate::metrics::Metrics,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

fn stopped() -> EngineError {
    StoreError::Batch("the engine's committer has stopped".into()).into()
}

impl Engine {
    /// Loads the router from the store, starts the committer and re-arms every stored deadline
    /// (expired ones fire on the first tick, which `run_timers` sends at once).
    pub async fn load(store: Store) -> Result<Arc<Self>, StoreError> {
        let (snap, seqs) = store.load().await?;
        let pending = snap.offers.len();
        let live_items = snap.work_items.len();
        let router = Router::restore(now(), snap);
        tracing::info!(pending_offers = pending, live_work_items = live_items, "workspace state loaded");
        let (queue, rx) = mpsc::unbounded_channel();
        let engine = Arc::new(Self {
            state: Mutex::new(State { router, seqs, applied: 0 }),
            store,
            hub: Hub::default(),
            timer: Notify::new(),
            changes: watch::channel(0).0,
            queue,
            settled: watch::channel(0).0,
            superseded: watch::channel(false).0,
            metrics: crate::metrics::Metrics::default(),
        });
        tokio::spawn(commit_loop(Arc::downgrade(&engine), rx));
        Ok(engine)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Turns `true` when a commit was refused because another instance leads now (a fenced
    /// store, see [`crate::cluster`]); this engine must stop routing.
    pub fn superseded(&self) -> watch::Receiver<bool> {
        self.superseded.subscribe()
    }

    /// What `GET /metrics` shows ([`crate::metrics`]).
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        &self.metrics
    }

    /// Ticks after every committed change.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Applies one input; see [`Engine::apply_then`].
    pub async fn apply(&self, input: Input) -> Result<Reply, EngineError> {
        self.apply_then(input, |_, reply| reply.clone()).await
    }

    /// Applies one input, persists it, wakes the streams, and answers with a read of the router
    /// made under the same lock (so the answer shows exactly this change) once it is durable.
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
        let (out, done) = {
            let mut st = self.state.lock().await;
            let at = now();
            let applied = match st.router.handle(at, input) {
                Ok(a) => a,
                Err(e) => {
                    // A refusal is an answer too: it waits for what it was decided on.
                    let seen = st.applied;
                    drop(st);
                    self.settle(seen).await;
                    return Err(e.into());
                }
            };
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
            let out = read(&st.router, &reply);
            st.applied += 1;
            let (done, wait) = oneshot::channel();
            let change = Change { n: st.applied, saves: applied.saves, events, extras, done };
            // Sent under the lock: the queue's order is the order of the event numbers.
            self.queue.send(change).map_err(|_| stopped())?;
            (out, wait)
        };
        match done.await {
            Ok(Ok(())) => Ok(out),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => Err(stopped()),
        }
    }

    /// Reads the router as it is now, without waiting for the changes applied but not yet
    /// committed. Only for deciding whether a request may go on (who the caller is, their
    /// role): whatever the request then changes goes through [`Engine::apply_then`], after those
    /// changes in the commit queue, and fails with them if they fail; whatever it answers comes
    /// from [`Engine::read`], which waits. Waiting here put a second commit on every
    /// authenticated request's path (the offer latency of the capacity issue).
    pub async fn peek<R>(&self, f: impl FnOnce(&Router) -> R) -> R {
        f(&self.state.lock().await.router)
    }

    /// Reads the router and the agents' last event numbers, once every change the read could
    /// see is durable.
    pub async fn read<R>(&self, f: impl FnOnce(&Router, &HashMap<AgentId, u64>) -> R) -> R {
        let (r, seen) = {
            let st = self.state.lock().await;
            (f(&st.router, &st.seqs), st.applied)
        };
        self.settle(seen).await;
        r
    }

    /// Waits until change `n` is settled.
    async fn settle(&self, n: u64) {
        if *self.settled.borrow() >= n {
            return;
        }
        let _ = self.settled.subscribe().wait_for(|s| *s >= n).await;
    }

    /// Writes a batch of applied changes in one transaction and answers their callers; on
    /// failure undoes them and every change applied since (see the module docs).
    async fn commit_batch(&self, batch: Vec<Change>, rx: &mut mpsc::UnboundedReceiver<Change>) {
        let rows: Vec<_> = batch.iter().map(|c| (&c.saves[..], &c.events[..], &c.extras[..])).collect();
        let started = std::time::Instant::now();
        let result = self.store.commit_many(&rows).await;
        self.metrics.commit_took(started.elapsed());
        drop(rows);
        match result {
            Ok(()) => {
                let last = batch.last().map_or(0, |c| c.n);
                let mut saved = false;
                for c in batch {
                    saved |= !c.saves.is_empty();
                    self.metrics.events(&c.events);
                    for e in c.events {
                        self.hub.publish(Arc::new(e));
                    }
                    let _ = c.done.send(Ok(()));
                }
                if saved {
                    self.changes.send_modify(|n| *n += 1);
                }
                self.settled.send_replace(last);
                self.timer.notify_one();
            }
            Err(e) => {
                if matches!(e, StoreError::Fenced(_)) {
                    tracing::error!(error = %e, "another instance leads now: this one stops routing");
                    self.superseded.send_replace(true);
                }
                tracing::error!(error = %e, changes = batch.len(), "commit failed; reloading state from the store");
                let mut st = self.state.lock().await;
                // Applied after this batch, so computed from the state being undone: they fail too.
                let mut failed = batch;
                while let Ok(c) = rx.try_recv() {
                    failed.push(c);
                }
                match self.store.load().await {
                    Ok((snap, seqs)) => {
                        st.router = Router::restore(now(), snap);
                        st.seqs = seqs;
                    }
                    Err(e) => tracing::error!(error = %e, "reloading the state after a failed commit failed too"),
                }
                self.settled.send_replace(st.applied);
                drop(st);
                for c in failed {
                    let again = match &e {
                        StoreError::Fenced(epoch) => StoreError::Fenced(*epoch),
                        e => StoreError::Batch(e.to_string()),
                    };
                    let _ = c.done.send(Err(again));
                }
                self.timer.notify_one();
            }
        }
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

    /// Checkpoints the store's write-ahead log ([`Store::checkpoint`]) beside the committer
    /// rather than inside one of its commits: after `changes` more committed changes, or `idle`
    /// after the first change since the last checkpoint, until `shutdown` resolves. Rare on
    /// purpose: the first commit after a complete checkpoint restarts the log and waits for an
    /// fsync of its header.
    pub async fn run_checkpoints(self: Arc<Self>, changes: u64, idle: Duration, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut committed = self.changes();
        loop {
            tokio::select! {
                () = &mut shutdown => return,
                changed = committed.changed() => if changed.is_err() { return },
            }
            let from = *committed.borrow_and_update();
            let until = tokio::time::Instant::now() + idle;
            loop {
                tokio::select! {
                    () = &mut shutdown => return,
                    () = tokio::time::sleep_until(until) => break,
                    changed = committed.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        if committed.borrow_and_update().saturating_sub(from) >= changes {
                            break;
                        }
                    }
                }
            }
            if let Err(e) = self.store.checkpoint().await {
                tracing::warn!(error = %e, "checkpointing the store failed; trying again after the next changes");
            }
        }
    }
}

/// The committer: takes every change waiting (up to [`MAX_BATCH`]) and commits them together,
/// until the engine is gone.
async fn commit_loop(engine: Weak<Engine>, mut rx: mpsc::UnboundedReceiver<Change>) {
    let mut batch = Vec::new();
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let Some(engine) = engine.upgrade() else { return };
        engine.commit_batch(std::mem::take(&mut batch), &mut rx).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald_core::{NewWorkItem, QueueId, Scenario, WorkItemId};

    /// A store in `dir` with the Default queue, whose web chat rows can never be written (a
    /// trigger refuses them): the way to make one part of a commit fail.
    async fn failing_webchat_store(dir: &tempfile::TempDir) -> (Store, Arc<Engine>, QueueId) {
        let url = format!("sqlite://{}", dir.path().join("w.db").display());
        let store = Store::open(&url).await.unwrap();
        let engine = Engine::load(store.clone()).await.unwrap();
        crate::channels::seed_default_queue(&engine).await.unwrap();
        let queue = engine.read(|r, _| r.queues().next().map(|q| q.id)).await.unwrap();
        sqlx::query("CREATE TRIGGER crash BEFORE INSERT ON webchat_conversations BEGIN SELECT RAISE(ABORT, 'disk gone'); END")
            .execute(store.pool())
            .await
            .unwrap();
        (store, engine, queue)
    }

    /// A customer's chat request for `queue`.
    fn chat(queue: QueueId, name: &str) -> Input {
        Input::Request(NewWorkItem {
            scenario: Scenario::Chat,
            channel: None,
            queue,
            customer_name: name.into(),
            phone: None,
            context: Default::default(),
            target_agent: None,
            messages: Vec::new(),
        })
    }

    /// The rows an edge commits with a change ([`Extra`]) and the change are one transaction:
    /// when the extra row cannot be written, the work item is not stored either, and memory
    /// does not run ahead of the store (the web chat's item and its customer token, issue 11).
    #[tokio::test]
    async fn an_extra_row_and_its_change_commit_together_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let (store, engine, queue) = failing_webchat_store(&dir).await;
        let request = chat(queue, "Ada");
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

    /// Group commit: many inputs in flight at once are all acknowledged, every acknowledged
    /// change is in the store (a fresh engine loaded from it sees the same state), and each
    /// agent's event numbers run without gaps.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_inputs_are_all_acknowledged_durable_and_gap_free() {
        use herald_core::{AgentSpec, BasePresence, Presence, Role};
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("w.db").display());
        let store = Store::open(&url).await.unwrap();
        let engine = Engine::load(store.clone()).await.unwrap();
        let mut agents = Vec::new();
        for i in 0..8 {
            let spec = AgentSpec { id: None, name: format!("A{i}"), role: Role::Agent };
            match engine.apply(Input::UpsertAgent(spec)).await.unwrap() {
                Reply::Agent(id) => agents.push(id),
                other => panic!("{other:?}"),
            }
        }
        let mut tasks = Vec::new();
        for round in 0..50 {
            for &agent in &agents {
                let engine = engine.clone();
                let base = if round % 2 == 0 { BasePresence::Busy } else { BasePresence::Available };
                tasks.push(tokio::spawn(async move {
                    engine.apply(Input::SetPresence { agent, presence: Presence { base, custom: None } }).await
                }));
            }
        }
        for t in tasks {
            t.await.unwrap().expect("every input is acknowledged");
        }
        let (presences, seqs) =
            engine.read(|r, seqs| (agents.iter().map(|a| r.agent(*a).map(|x| x.presence.clone())).collect::<Vec<_>>(), seqs.clone())).await;
        let reloaded = Engine::load(store.clone()).await.unwrap();
        let (again, seqs_again) = reloaded
            .read(|r, seqs| (agents.iter().map(|a| r.agent(*a).map(|x| x.presence.clone())).collect::<Vec<_>>(), seqs.clone()))
            .await;
        assert_eq!(presences, again, "what was acknowledged is what the store holds");
        assert_eq!(seqs, seqs_again);
        for a in &agents {
            let log = store.events_after(*a, 0, 10_000).await.unwrap();
            assert!(!log.is_empty());
            for (i, e) in log.iter().enumerate() {
                assert_eq!(e.seq, i as u64 + 1, "{a}: gap-free from 1");
            }
            assert_eq!(log.last().map(|e| e.seq), seqs.get(a).copied());
        }
    }

    /// A failed batch fails every change in it and every change applied after it, and leaves
    /// memory equal to the store: each acknowledged work item is stored, nothing else is in
    /// memory.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_batch_fails_its_changes_and_memory_matches_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let (store, engine, queue) = failing_webchat_store(&dir).await;
        let mut tasks = Vec::new();
        for i in 0..60 {
            let engine = engine.clone();
            tasks.push(tokio::spawn(async move {
                let request = chat(queue, &format!("C{i}"));
                // Every tenth carries a row the store refuses.
                let extras = move |reply: &Reply| match reply {
                    Reply::WorkItem(item) if i % 10 == 0 => {
                        vec![Extra::Webchat { item: *item, widget: "default".into(), token_hash: format!("h{i}"), at_ms: 1 }]
                    }
                    _ => Vec::new(),
                };
                (i, engine.apply_with(request, extras, |_, r| r.clone()).await)
            }));
        }
        let mut acknowledged = Vec::new();
        for t in tasks {
            match t.await.unwrap() {
                (i, Ok(Reply::WorkItem(id))) => {
                    assert_ne!(i % 10, 0, "a change whose row failed was acknowledged");
                    acknowledged.push(id);
                }
                (_, Ok(other)) => panic!("{other:?}"),
                (_, Err(e)) => assert!(matches!(e, EngineError::Store(_)), "{e:?}"),
            }
        }
        let mut in_memory: Vec<WorkItemId> = engine.read(|r, _| r.work_items().map(|i| i.id).collect()).await;
        let reloaded = Engine::load(store).await.unwrap();
        let mut stored: Vec<WorkItemId> = reloaded.read(|r, _| r.work_items().map(|i| i.id).collect()).await;
        acknowledged.sort();
        in_memory.sort();
        stored.sort();
        assert_eq!(stored, acknowledged, "exactly the acknowledged changes are durable");
        assert_eq!(in_memory, stored, "memory is not ahead of the store");
    }

    /// The check of who is asking ([`Engine::peek`]) sees a change applied but not yet durable
    /// without waiting for its commit (it once waited, and put a second commit on every
    /// authenticated request's path); the change's caller and [`Engine::read`] still wait.
    #[tokio::test]
    async fn peek_does_not_wait_for_the_commit_in_flight_and_read_does() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("sqlite://{}", dir.path().join("w.db").display())).await.unwrap();
        let engine = Engine::load(store.clone()).await.unwrap();
        crate::channels::seed_default_queue(&engine).await.unwrap();
        let queue = engine.read(|r, _| r.queues().next().map(|q| q.id)).await.unwrap();
        // Another connection holds SQLite's write lock: the next commit waits for it.
        let mut blocker = store.pool().acquire().await.unwrap();
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *blocker).await.unwrap();
        let applying = tokio::spawn({
            let engine = engine.clone();
            async move { engine.apply(chat(queue, "Ada")).await.map(|_| ()) }
        });
        let seen = tokio::time::timeout(Duration::from_secs(5), async {
            while engine.peek(|r| r.work_items().count()).await == 0 {
                tokio::task::yield_now().await;
            }
        })
        .await;
        assert!(seen.is_ok(), "peek answers while the commit waits for the write lock");
        assert!(!applying.is_finished(), "the change is not durable yet, so its caller has no answer");
        let reading = tokio::spawn({
            let engine = engine.clone();
            async move { engine.read(|r, _| r.work_items().count()).await }
        });
        sqlx::query("ROLLBACK").execute(&mut *blocker).await.unwrap();
        drop(blocker);
        applying.await.unwrap().unwrap();
        assert_eq!(reading.await.unwrap(), 1, "the read waited for the commit and sees the change");
    }
}

//! Live delivery of each agent's event log. The log in the store is the truth; the hub only
//! wakes streams with the entries just committed, and a stream that sees a gap (or lagged)
//! reads the missing entries from the store. SSE ([`follow`]) and polling share [`read`], which
//! answers a position the log cannot resume from (pruned, or a restored older log) with a
//! [`Resync`].
//!
//! On PostgreSQL, an instance that does not lead has a hub too: `LISTEN/NOTIFY` tells it which
//! agents' logs grew ([`Hub::wake`]), and its streams read the new entries from the table.

use crate::store::{Store, StoreError};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use herald_core::AgentId;
use herald_protocol::{EventEnvelope, Resync};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, mpsc};

/// Live entries buffered per agent. Small on purpose: every subscribed agent holds one buffer
/// (10,000 agents × 1,024 slots was ~40 KB each), and a stream that falls further behind is told
/// it lagged and reads the entries from the store, which has them anyway.
const CHANNEL: usize = 16;
const PAGE: u32 = 500;

/// What wakes a stream: the entry just committed (this instance committed it), or only its
/// number (another instance did; the entry is in the store).
#[derive(Clone, Debug)]
pub enum Live {
    Entry(Arc<EventEnvelope>),
    Committed(u64),
}

/// Per-agent broadcast of committed events.
#[derive(Debug, Default)]
pub struct Hub {
    agents: Mutex<HashMap<AgentId, broadcast::Sender<Live>>>,
}

impl Hub {
    pub fn subscribe(&self, agent: AgentId) -> broadcast::Receiver<Live> {
        let mut m = self.agents.lock().unwrap_or_else(|p| p.into_inner());
        m.entry(agent).or_insert_with(|| broadcast::channel(CHANNEL).0).subscribe()
    }

    pub fn publish(&self, e: Arc<EventEnvelope>) {
        let agent = e.agent;
        self.send(agent, Live::Entry(e));
    }

    /// The agent's log holds entries up to `seq` (committed by another instance).
    pub fn wake(&self, agent: AgentId, seq: u64) {
        self.send(agent, Live::Committed(seq));
    }

    /// Every stream reads the store again (wake-ups may have been lost).
    pub fn wake_all(&self) {
        let agents: Vec<AgentId> = self.agents.lock().unwrap_or_else(|p| p.into_inner()).keys().copied().collect();
        for a in agents {
            self.send(a, Live::Committed(u64::MAX));
        }
    }

    fn send(&self, agent: AgentId, live: Live) {
        let mut m = self.agents.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = m.get(&agent) {
            // No receiver: nobody is listening right now (the store has it); forget the channel.
            if tx.send(live).is_err() {
                m.remove(&agent);
            }
        }
    }
}

/// What a stream carries: an entry of the log, or the news that the log cannot continue after
/// the position asked for ([`Resync`]); the retained entries follow a resync.
#[derive(Clone, Debug)]
pub enum Item {
    Entry(Arc<EventEnvelope>),
    Resync(Resync),
}

/// Sends the agent's entries after `after` into `tx`, in order, without gaps or repeats, until
/// `tx` is closed. When the entries right after `after` are no longer in the log (pruned), or
/// the log ends before `after` (restored from an older backup), it sends [`Item::Resync`] and
/// goes on with every retained entry.
pub async fn follow(store: Store, hub: &Hub, agent: AgentId, mut after: u64, tx: mpsc::Sender<Item>) -> Result<(), StoreError> {
    // Subscribe before reading the backlog so nothing committed in between is lost.
    let mut live = hub.subscribe(agent);
    after = catch_up(&store, agent, after, &tx).await?;
    loop {
        tokio::select! {
            () = tx.closed() => return Ok(()),
            r = live.recv() => match r {
                Ok(Live::Entry(e)) if e.seq <= after => {}
                Ok(Live::Committed(seq)) if seq <= after => {}
                Ok(Live::Entry(e)) if e.seq == after + 1 => {
                    after = e.seq;
                    if tx.send(Item::Entry(e)).await.is_err() {
                        return Ok(());
                    }
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    after = catch_up(&store, agent, after, &tx).await?;
                }
                Err(broadcast::error::RecvError::Closed) => return Ok(()),
            }
        }
    }
}

/// The entries after `after` (at most `limit`), or — when the log cannot continue after `after`
/// — the resync and the entries from the oldest retained one on.
pub async fn read(store: &Store, agent: AgentId, after: u64, limit: u32) -> Result<(Option<Resync>, Vec<EventEnvelope>), StoreError> {
    let page = store.events_after(agent, after, limit).await?;
    let resync = match page.first() {
        // The entries right after `after` were pruned.
        Some(first) if first.seq > after + 1 => {
            let last = store.log_bounds(agent).await?.map_or(first.seq, |(_, last)| last);
            Resync { after, first_seq: first.seq, last_seq: last }
        }
        Some(_) => return Ok((None, page)),
        None => match store.log_bounds(agent).await? {
            // The log ends before `after`: restored from an older backup.
            Some((first, last)) if last < after => Resync { after, first_seq: first, last_seq: last },
            None if after > 0 => Resync { after, first_seq: 0, last_seq: 0 },
            _ => return Ok((None, page)),
        },
    };
    let from = resync.first_seq.saturating_sub(1);
    let page = if from == after { page } else { store.events_after(agent, from, limit).await? };
    Ok((Some(resync), page))
}

async fn catch_up(store: &Store, agent: AgentId, mut after: u64, tx: &mpsc::Sender<Item>) -> Result<u64, StoreError> {
    loop {
        let (resync, page) = read(store, agent, after, PAGE).await?;
        if let Some(r) = resync {
            tracing::info!(%agent, after, first = r.first_seq, last = r.last_seq, "the log cannot resume there: resync");
            after = r.first_seq.saturating_sub(1);
            if tx.send(Item::Resync(r)).await.is_err() {
                return Ok(after);
            }
        }
        let full = page.len() == PAGE as usize;
        for e in page {
            after = e.seq;
            if tx.send(Item::Entry(Arc::new(e))).await.is_err() {
                return Ok(after);
            }
        }
        if !full {
            return Ok(after);
        }
    }
}

/// The SSE response carrying what [`follow`] sends into `rx`; `guard` lives as long as the
/// response (it marks the agent connected).
pub fn sse<G: Send + 'static>(
    rx: mpsc::Receiver<Item>,
    guard: G,
) -> Sse<impl Stream<Item = Result<Event, std::convert::Infallible>> + Send + 'static> {
    let stream = futures_util::stream::unfold((rx, guard), |(mut rx, guard)| async move {
        let ev = match rx.recv().await? {
            Item::Entry(e) => Event::default().id(e.seq.to_string()).event("agent_event").json_data(&*e),
            // The id moves a browser's Last-Event-ID to just before the entries that follow.
            Item::Resync(r) => Event::default().id(r.first_seq.saturating_sub(1).to_string()).event("resync").json_data(r),
        };
        Some((Ok(ev.unwrap_or_default()), (rx, guard)))
    });
    // A comment first: the response's headers go out with it at once. Without a first chunk the
    // headers waited for the first entry or keep-alive, so a client with nothing new to hear
    // could not tell for 15 s that its stream was open.
    let hello = futures_util::stream::once(std::future::ready(Ok(Event::default().comment("open"))));
    Sse::new(futures_util::StreamExt::chain(hello, stream)).keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(15)))
}

/// Where a stream or poll resumes: `?after=`, else the `Last-Event-ID` header, else the start.
pub fn after_param(headers: &axum::http::HeaderMap, q: &HashMap<String, String>) -> Result<u64, crate::edge::error::AppError> {
    use crate::edge::error::AppError;
    if let Some(a) = q.get("after") {
        return a.parse().map_err(|_| AppError::invalid("after", format!("after must be a number, got {a:?}")));
    }
    match headers.get("last-event-id").and_then(|v| v.to_str().ok()) {
        Some(v) if !v.trim().is_empty() => {
            v.trim().parse().map_err(|_| AppError::invalid("Last-Event-ID", format!("must be a number, got {v:?}")))
        }
        _ => Ok(0),
    }
}

//! Live delivery of each agent's event log. The log in the store is the truth; the hub only
//! wakes streams with the entries just committed, and a stream that sees a gap (or lagged)
//! reads the missing entries from the store. SSE ([`follow`]) and polling share [`read`], which
//! answers a position the log cannot resume from (pruned, or a restored older log) with a
//! [`Resync`].

use crate::store::{Store, StoreError};
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

/// Per-agent broadcast of committed events.
#[derive(Debug, Default)]
pub struct Hub {
    agents: Mutex<HashMap<AgentId, broadcast::Sender<Arc<EventEnvelope>>>>,
}

impl Hub {
    pub fn subscribe(&self, agent: AgentId) -> broadcast::Receiver<Arc<EventEnvelope>> {
        let mut m = self.agents.lock().unwrap_or_else(|p| p.into_inner());
        m.entry(agent).or_insert_with(|| broadcast::channel(CHANNEL).0).subscribe()
    }

    pub fn publish(&self, e: Arc<EventEnvelope>) {
        let mut m = self.agents.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = m.get(&e.agent) {
            // No receiver: nobody is listening right now (the store has it); forget the channel.
            if tx.send(e.clone()).is_err() {
                m.remove(&e.agent);
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
                Ok(e) if e.seq <= after => {}
                Ok(e) if e.seq == after + 1 => {
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

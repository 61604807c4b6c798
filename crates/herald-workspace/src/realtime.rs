//! Live delivery of each agent's event log. The log in the store is the truth; the hub only
//! wakes streams with the entries just committed, and a stream that sees a gap (or lagged)
//! reads the missing entries from the store. SSE and polling share [`follow`].

use crate::store::{Store, StoreError};
use herald_core::AgentId;
use herald_protocol::EventEnvelope;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, mpsc};

const CHANNEL: usize = 1024;
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
        let m = self.agents.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = m.get(&e.agent) {
            // No receiver is fine: nobody is listening right now, the store has it.
            let _ = tx.send(e);
        }
    }
}

/// Sends the agent's entries after `after` into `tx`, in order, without gaps or repeats, until
/// `tx` is closed.
pub async fn follow(
    store: Store,
    hub: &Hub,
    agent: AgentId,
    mut after: u64,
    tx: mpsc::Sender<Arc<EventEnvelope>>,
) -> Result<(), StoreError> {
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
                    if tx.send(e).await.is_err() {
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

async fn catch_up(store: &Store, agent: AgentId, mut after: u64, tx: &mpsc::Sender<Arc<EventEnvelope>>) -> Result<u64, StoreError> {
    loop {
        let page = store.events_after(agent, after, PAGE).await?;
        let full = page.len() == PAGE as usize;
        for e in page {
            after = e.seq;
            if tx.send(Arc::new(e)).await.is_err() {
                return Ok(after);
            }
        }
        if !full {
            return Ok(after);
        }
    }
}

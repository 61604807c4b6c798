//! Each offer's timeline (the never-miss issue, item 4): which offer of a work item followed
//! which (`offer_index`, written with the offer's first save in `commit.rs`), and what the
//! agent's app reported about an offer (`offer_notes`, append-only).

use super::{Store, StoreError, on};
use herald_core::{AgentId, OfferId, Timestamp, WorkItemId};

/// A note the agent's app sent about an offer, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredNote {
    pub at: Timestamp,
    pub agent: AgentId,
    pub kind: String,
    pub detail: String,
}

impl Store {
    /// Appends a note about `offer`.
    pub async fn add_offer_note(&self, offer: OfferId, agent: AgentId, at: Timestamp, kind: &str, detail: &str) -> Result<(), StoreError> {
        on!(self, p => sqlx::query("INSERT INTO offer_notes (offer_id, agent_id, at, kind, detail) VALUES ($1, $2, $3, $4, $5)")
            .bind(offer.0 as i64)
            .bind(agent.0 as i64)
            .bind(at.0 as i64)
            .bind(kind)
            .bind(detail)
            .execute(p)
            .await?
            .rows_affected());
        Ok(())
    }

    /// The notes about `offer`, oldest first (at most `limit`).
    pub async fn offer_notes(&self, offer: OfferId, limit: u32) -> Result<Vec<StoredNote>, StoreError> {
        let rows: Vec<(i64, i64, String, String)> = on!(self, p => sqlx::query_as(
            "SELECT at, agent_id, kind, detail FROM offer_notes WHERE offer_id = $1 ORDER BY id LIMIT $2"
        )
        .bind(offer.0 as i64)
        .bind(i64::from(limit))
        .fetch_all(p)
        .await?);
        Ok(rows
            .into_iter()
            .map(|(at, agent, kind, detail)| StoredNote { at: Timestamp(at as u64), agent: AgentId(agent as u64), kind, detail })
            .collect())
    }

    /// The offer of `item` that followed `after`: its id, agent and when it was made.
    pub async fn next_offer(&self, item: WorkItemId, after: OfferId) -> Result<Option<(OfferId, AgentId, Timestamp)>, StoreError> {
        let row: Option<(i64, i64, i64)> = on!(self, p => sqlx::query_as(
            "SELECT offer_id, agent_id, created_at FROM offer_index WHERE work_item = $1 AND offer_id > $2 ORDER BY offer_id LIMIT 1"
        )
        .bind(item.0 as i64)
        .bind(after.0 as i64)
        .fetch_optional(p)
        .await?);
        Ok(row.map(|(o, a, at)| (OfferId(o as u64), AgentId(a as u64), Timestamp(at as u64))))
    }
}

//! The event log's bounds and its pruning (see [`crate::retention`] for the policy).
//!
//! Pruning always keeps each agent's newest entry, so the next sequence number — one past the
//! agent's largest stored `seq`, as [`Store::load`] computes it — never goes back and no number
//! is handed out twice.

use super::{Store, StoreError, on};
use herald_core::AgentId;

/// Rows deleted per statement, so a large first prune does not hold the write lock for long.
const BATCH: i64 = 5000;

impl Store {
    /// The agent's oldest and newest stored entries, `None` when its log is empty.
    pub async fn log_bounds(&self, agent: AgentId) -> Result<Option<(u64, u64)>, StoreError> {
        let (min, max): (Option<i64>, Option<i64>) = on!(self, p => sqlx::query_as("SELECT MIN(seq), MAX(seq) FROM events WHERE agent_id = $1").bind(agent.0 as i64).fetch_one(p).await?);
        Ok(min.zip(max).map(|(a, b)| (a as u64, b as u64)))
    }

    /// Deletes the oldest entries of each agent's log that are both older than `before_ms` and
    /// not among its newest `keep` (`keep` is at least 1). What goes is always a prefix of the
    /// log — never a hole in the middle, even when the clock stepped back. Returns how many went.
    pub async fn prune_events(&self, before_ms: u64, keep: u64) -> Result<u64, StoreError> {
        let keep = keep.max(1) as i64;
        let agents: Vec<(i64, i64, i64)> =
            on!(self, p => sqlx::query_as("SELECT agent_id, MIN(seq), MAX(seq) FROM events GROUP BY agent_id").fetch_all(p).await?);
        let mut deleted = 0;
        for (agent, min, max) in agents {
            let first_recent: Option<i64> = on!(self, p => sqlx::query_scalar("SELECT MIN(seq) FROM events WHERE agent_id = $1 AND at >= $2")
                    .bind(agent)
                    .bind(before_ms as i64)
                    .fetch_one(p)
                    .await?);
            let last = (max - keep).min(first_recent.map_or(i64::MAX, |s| s - 1));
            let mut from = min;
            while from <= last {
                let to = (from + BATCH - 1).min(last);
                let n = on!(self, p => sqlx::query("DELETE FROM events WHERE agent_id = $1 AND seq BETWEEN $2 AND $3")
                    .bind(agent)
                    .bind(from)
                    .bind(to)
                    .execute(p)
                    .await?
                    .rows_affected());
                deleted += n;
                from = to + 1;
            }
        }
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn log(store: &Store, agent: i64, ats: &[i64]) {
        for (i, at) in ats.iter().enumerate() {
            sqlx::query("INSERT INTO events (agent_id, seq, at, json) VALUES (?, ?, ?, '{}')")
                .bind(agent)
                .bind(i as i64 + 1)
                .bind(at)
                .execute(store.pool())
                .await
                .unwrap();
        }
    }

    async fn seqs(store: &Store, agent: i64) -> Vec<i64> {
        sqlx::query_scalar("SELECT seq FROM events WHERE agent_id = ? ORDER BY seq").bind(agent).fetch_all(store.pool()).await.unwrap()
    }

    /// Only a prefix goes (no hole when the clock stepped back), never the newest `keep`, and
    /// never an agent's last entry (the next `seq` follows it).
    #[tokio::test]
    async fn pruning_takes_an_old_prefix_and_keeps_the_newest() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        log(&store, 1, &[100, 300, 50, 400, 500, 600]).await;
        log(&store, 2, &[10, 20, 30]).await;
        assert_eq!(store.prune_events(250, 2).await.unwrap(), 1 + 1);
        assert_eq!(seqs(&store, 1).await, [2, 3, 4, 5, 6], "seq 3 is old but follows a recent one");
        assert_eq!(seqs(&store, 2).await, [2, 3], "the newest two");
        assert_eq!(store.prune_events(1_000, 0).await.unwrap(), 4 + 1);
        assert_eq!((seqs(&store, 1).await, seqs(&store, 2).await), (vec![6], vec![3]), "keep is at least 1");
        assert_eq!(store.log_bounds(AgentId(1)).await.unwrap(), Some((6, 6)));
        assert_eq!(store.load().await.unwrap().1.get(&AgentId(1)), Some(&6), "numbers go on from the last");
        assert_eq!(store.log_bounds(AgentId(9)).await.unwrap(), None);
    }
}

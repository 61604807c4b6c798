//! What the store knows of a cluster of instances (PostgreSQL only; see [`crate::cluster`]): the
//! lease row, the fencing token every commit of the leader checks, and the notifications that
//! wake the other instances (`LISTEN/NOTIFY`: they only wake; the tables are the truth).

use super::{Pool, Store, StoreError};
use herald_core::AgentId;
use sqlx::postgres::PgListener;

/// Carries `agent:seq` pairs (comma-separated) of the entries a commit appended to agents' logs.
pub const EVENTS_CHANNEL: &str = "herald_events";
/// Carries nothing: a token was issued or revoked, or an agent's role changed.
pub const ACCESS_CHANNEL: &str = "herald_access";
/// A notification's payload must stay under 8,000 bytes.
const PAYLOAD: usize = 7_000;

/// The payloads announcing `entries` (agent, seq) on [`EVENTS_CHANNEL`]: the highest seq per
/// agent, as few payloads as fit.
pub(super) fn event_payloads(entries: impl Iterator<Item = (AgentId, u64)>) -> Vec<String> {
    let mut last = std::collections::BTreeMap::new();
    for (agent, seq) in entries {
        let s = last.entry(agent.0).or_insert(seq);
        *s = (*s).max(seq);
    }
    let mut out = vec![String::new()];
    for (agent, seq) in last {
        let pair = format!("{agent}:{seq}");
        let cur = out.last_mut().expect("one payload at least");
        if !cur.is_empty() && cur.len() + 1 + pair.len() > PAYLOAD {
            out.push(pair);
        } else {
            if !cur.is_empty() {
                cur.push(',');
            }
            cur.push_str(&pair);
        }
    }
    out.retain(|p| !p.is_empty());
    out
}

/// Reads an [`EVENTS_CHANNEL`] payload back; malformed pairs are skipped.
pub fn parse_event_payload(payload: &str) -> impl Iterator<Item = (AgentId, u64)> + '_ {
    payload.split(',').filter_map(|pair| {
        let (a, s) = pair.split_once(':')?;
        Some((AgentId(a.parse().ok()?), s.parse().ok()?))
    })
}

/// The lead's lease as stored: who leads, under which epoch, where followers reach it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseRow {
    pub epoch: u64,
    /// The leading instance's id (random per process start).
    pub holder: String,
    /// Where the other instances forward requests to.
    pub url: String,
    /// Proves a forwarded request comes from an instance (it can read the database).
    pub secret: String,
    /// When the leader last committed or renewed, in ms since the epoch.
    pub renewed_ms: u64,
}

impl Store {
    /// This store, writing under the lead's `epoch`: each commit first checks, in its own
    /// transaction, that the lease still carries `epoch`, and fails with
    /// [`StoreError::Fenced`] when a newer leader has taken over.
    pub fn fenced(&self, epoch: u64) -> Store {
        Store { pool: self.pool.clone(), commits: self.commits.clone(), fence: Some(epoch) }
    }

    /// The epoch this store writes under, if fenced.
    pub fn fence(&self) -> Option<u64> {
        self.fence
    }

    /// Whether this is a PostgreSQL store (the only kind that can be shared by instances).
    pub fn is_postgres(&self) -> bool {
        matches!(self.pool, Pool::Postgres(_))
    }

    /// The current lease, if any instance ever led (always `None` on SQLite).
    pub async fn lease(&self) -> Result<Option<LeaseRow>, StoreError> {
        let Pool::Postgres(p) = &self.pool else { return Ok(None) };
        let row: Option<(i64, String, String, String, i64)> =
            sqlx::query_as("SELECT epoch, holder, url, secret, renewed FROM cluster_lease WHERE id = 1").fetch_optional(p).await?;
        Ok(row.map(|(epoch, holder, url, secret, renewed)| LeaseRow {
            epoch: epoch as u64,
            holder,
            url,
            secret,
            renewed_ms: renewed as u64,
        }))
    }

    /// A listener on this database for [`EVENTS_CHANNEL`] and [`ACCESS_CHANNEL`] (`None` on
    /// SQLite, where one process holds everything).
    pub async fn listener(&self) -> Result<Option<PgListener>, StoreError> {
        let Pool::Postgres(p) = &self.pool else { return Ok(None) };
        let mut l = PgListener::connect_with(p).await?;
        l.listen_all([EVENTS_CHANNEL, ACCESS_CHANNEL]).await?;
        Ok(Some(l))
    }

    /// Tells the other instances that access changed (a token issued or revoked, a role
    /// changed); nothing on SQLite.
    pub async fn notify_access(&self) -> Result<(), StoreError> {
        let Pool::Postgres(p) = &self.pool else { return Ok(()) };
        sqlx::query("SELECT pg_notify($1, '')").bind(ACCESS_CHANNEL).execute(p).await?;
        Ok(())
    }

    /// The active token with this hash: its id and agent.
    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<(u64, AgentId)>, StoreError> {
        let row: Option<(i64, i64)> = super::on!(self, p => sqlx::query_as(
            "SELECT id, agent_id FROM tokens WHERE hash = $1 AND revoked_at IS NULL"
        )
        .bind(hash)
        .fetch_optional(p)
        .await?);
        Ok(row.map(|(id, agent)| (id as u64, AgentId(agent as u64))))
    }

    /// Answers when the database does (a round trip).
    pub async fn ping(&self) -> Result<(), StoreError> {
        let _: i32 = super::on!(self, p => sqlx::query_scalar("SELECT 1").fetch_one(p).await?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_payloads_carry_the_last_seq_per_agent_and_stay_small() {
        let p = event_payloads([(AgentId(2), 5), (AgentId(1), 3), (AgentId(2), 7)].into_iter());
        assert_eq!(p, vec!["1:3,2:7".to_string()]);
        let back: Vec<_> = parse_event_payload(&p[0]).collect();
        assert_eq!(back, vec![(AgentId(1), 3), (AgentId(2), 7)]);
        let many = event_payloads((1..=5_000u64).map(|a| (AgentId(a), a * 1_000_000)));
        assert!(many.len() > 1 && many.iter().all(|p| p.len() <= PAYLOAD), "split under the limit");
        assert_eq!(many.iter().flat_map(|p| parse_event_payload(p)).count(), 5_000, "every agent once");
        assert!(event_payloads(std::iter::empty()).is_empty());
        assert_eq!(parse_event_payload("x:1,3:4,5").collect::<Vec<_>>(), vec![(AgentId(3), 4)]);
    }
}

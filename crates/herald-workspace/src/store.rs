//! SQLite through sqlx. Every state change is one transaction holding the changed entities and
//! the events appended to the affected agents' logs; the migrations are embedded and additive.
//!
//! WAL with `synchronous = NORMAL`: a committed transaction survives the process being killed
//! (`kill -9`); only an OS crash or power loss can drop the last few.

mod commit;
mod retention;

pub use commit::ChangeRows;

use herald_core::{
    AgentId, Message, MessageId, Offer, OfferId, Saved, Session, SessionId, SessionState, Snapshot, WorkItem, WorkItemId, WorkItemState,
};
use herald_protocol::EventEnvelope;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

/// A store failure: the database could not be opened, read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The group commit this change was part of failed (see the log for the first error).
    #[error("the commit holding this change failed: {0}")]
    Batch(String),
    #[error("stored {kind} {key} is unreadable: {source}")]
    Corrupt { kind: String, key: String, source: serde_json::Error },
}

/// A token as stored: which agent it signs in, by hash.
#[derive(Clone, Debug)]
pub struct StoredToken {
    pub id: u64,
    pub agent: AgentId,
    pub hash: String,
}

/// The workspace's database.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
}

/// Where an entity is kept: in `entities` by kind and key (with whether the router loads it), or
/// in `messages`.
fn key_of(s: &Saved) -> Option<(&'static str, String, bool)> {
    Some(match s {
        Saved::Agent(a) => ("agent", a.id.0.to_string(), true),
        Saved::WorkItem(w) => ("work_item", w.id.0.to_string(), !matches!(w.state, WorkItemState::Closed { .. })),
        Saved::Offer(o) => ("offer", o.id.0.to_string(), o.state == herald_core::OfferState::Pending),
        Saved::Session(s) => ("session", s.id.0.to_string(), s.state != SessionState::Closed),
        Saved::Template(t) => ("template", t.scenario.to_string(), true),
        Saved::Settings(_) => ("settings", "settings".to_string(), true),
        Saved::Workstream(w) => ("workstream", w.id.0.to_string(), true),
        Saved::Queue(q) => ("queue", q.id.0.to_string(), true),
        Saved::Contact(c) => ("contact", c.id.0.to_string(), true),
        Saved::Message(_) => return None,
    })
}

fn json_of(s: &Saved) -> String {
    let r = match s {
        Saved::Agent(x) => serde_json::to_string(x),
        Saved::WorkItem(x) => serde_json::to_string(x),
        Saved::Offer(x) => serde_json::to_string(x),
        Saved::Session(x) => serde_json::to_string(x),
        Saved::Template(x) => serde_json::to_string(x),
        Saved::Settings(x) => serde_json::to_string(x),
        Saved::Workstream(x) => serde_json::to_string(x),
        Saved::Queue(x) => serde_json::to_string(x),
        Saved::Contact(x) => serde_json::to_string(x),
        Saved::Message(x) => serde_json::to_string(x),
    };
    r.expect("core entities always serialise")
}

/// The schema, embedded at build time.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A row an edge writes in the same transaction as the state change it belongs to, so a crash
/// can never keep one without the other.
#[derive(Clone, Debug)]
pub enum Extra {
    /// A customer's web chat and the hash of its token: the work item and the customer's only
    /// key to it are one commit.
    Webchat { item: WorkItemId, widget: String, token_hash: String, at_ms: u64 },
}

impl Store {
    /// The pool, for tests that need to reach under the store (e.g. to make a write fail).
    #[cfg(test)]
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Opens (creating if missing) the database at `url` (`sqlite://path` or `sqlite::memory:`)
    /// and runs the embedded migrations.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let in_memory = url.contains(":memory:");
        if !in_memory {
            // WAL and the migrations over one connection, before the pool opens several: new
            // connections switching a file to WAL at the same moment fail with "database is
            // locked" (SQLite does not wait on the busy timeout for it; seen at start under
            // load). WAL is kept in the file, so the pool's connections need not set it.
            let first = SqlitePoolOptions::new().max_connections(1).connect_with(opts.clone().journal_mode(SqliteJournalMode::Wal)).await?;
            MIGRATOR.run(&first).await?;
            first.close().await;
        }
        let pool = SqlitePoolOptions::new()
            // An in-memory database lives in one connection.
            .max_connections(if in_memory { 1 } else { 8 })
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(opts)
            .await?;
        if in_memory {
            MIGRATOR.run(&pool).await?;
        }
        Ok(Self { pool })
    }

    /// Everything the router needs to start again, and each agent's last event sequence.
    pub async fn load(&self) -> Result<(Snapshot, HashMap<AgentId, u64>), StoreError> {
        let rows = sqlx::query("SELECT kind, key, json FROM entities WHERE live = 1").fetch_all(&self.pool).await?;
        let mut snap = Snapshot::default();
        for row in rows {
            let kind: String = row.get(0);
            let key: String = row.get(1);
            let json: String = row.get(2);
            let bad = |source| StoreError::Corrupt { kind: kind.clone(), key: key.clone(), source };
            match kind.as_str() {
                "agent" => snap.agents.push(serde_json::from_str(&json).map_err(bad)?),
                "work_item" => snap.work_items.push(serde_json::from_str(&json).map_err(bad)?),
                "offer" => snap.offers.push(serde_json::from_str(&json).map_err(bad)?),
                "session" => snap.sessions.push(serde_json::from_str(&json).map_err(bad)?),
                "template" => snap.templates.push(serde_json::from_str(&json).map_err(bad)?),
                "settings" => snap.settings = serde_json::from_str(&json).map_err(bad)?,
                "workstream" => snap.workstreams.push(serde_json::from_str(&json).map_err(bad)?),
                "queue" => snap.queues.push(serde_json::from_str(&json).map_err(bad)?),
                "contact" => snap.contacts.push(serde_json::from_str(&json).map_err(bad)?),
                other => tracing::warn!(kind = other, key, "ignoring stored entity of unknown kind"),
            }
        }
        let max: Option<i64> =
            sqlx::query_scalar("SELECT MAX(CAST(key AS INTEGER)) FROM entities WHERE kind NOT IN ('template', 'settings')")
                .fetch_one(&self.pool)
                .await?;
        let max_message: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM messages").fetch_one(&self.pool).await?;
        snap.max_id = max.unwrap_or(0).max(max_message.unwrap_or(0)) as u64;
        let seqs = sqlx::query("SELECT agent_id, MAX(seq) FROM events GROUP BY agent_id")
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| (AgentId(r.get::<i64, _>(0) as u64), r.get::<i64, _>(1) as u64))
            .collect();
        Ok((snap, seqs))
    }

    /// Writes one state change: the entities, the events and the edge's own rows that belong
    /// to it ([`Extra`]), all or nothing.
    pub async fn commit(&self, saves: &[Saved], events: &[EventEnvelope], extras: &[Extra]) -> Result<(), StoreError> {
        self.commit_many(&[(saves, events, extras)]).await
    }

    /// The agent's log entries after `after`, oldest first, at most `limit`.
    pub async fn events_after(&self, agent: AgentId, after: u64, limit: u32) -> Result<Vec<EventEnvelope>, StoreError> {
        let rows = sqlx::query("SELECT seq, at, json FROM events WHERE agent_id = ? AND seq > ? ORDER BY seq LIMIT ?")
            .bind(agent.0 as i64)
            .bind(after as i64)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|r| {
                let seq = r.get::<i64, _>(0) as u64;
                let json: String = r.get(2);
                let event = serde_json::from_str(&json).map_err(|source| StoreError::Corrupt {
                    kind: "event".into(),
                    key: format!("{agent}/{seq}"),
                    source,
                })?;
                Ok(EventEnvelope { seq, agent, at: herald_core::Timestamp(r.get::<i64, _>(1) as u64), event })
            })
            .collect()
    }

    /// An offer in whatever state it ended in (the router keeps only pending ones).
    pub async fn offer(&self, id: OfferId) -> Result<Option<Offer>, StoreError> {
        let json: Option<String> = sqlx::query_scalar("SELECT json FROM entities WHERE kind = 'offer' AND key = ?")
            .bind(id.0.to_string())
            .fetch_optional(&self.pool)
            .await?;
        json.map(|j| serde_json::from_str(&j).map_err(|source| StoreError::Corrupt { kind: "offer".into(), key: id.to_string(), source }))
            .transpose()
    }

    /// A session in whatever state it is in (closed ones included).
    pub async fn session(&self, id: SessionId) -> Result<Option<Session>, StoreError> {
        self.entity("session", id.0).await
    }

    /// A work item in whatever state it is in (closed ones included).
    pub async fn work_item(&self, id: WorkItemId) -> Result<Option<WorkItem>, StoreError> {
        self.entity("work_item", id.0).await
    }

    async fn entity<T: serde::de::DeserializeOwned>(&self, kind: &str, id: u64) -> Result<Option<T>, StoreError> {
        let json: Option<String> = sqlx::query_scalar("SELECT json FROM entities WHERE kind = ? AND key = ?")
            .bind(kind)
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        json.map(|j| serde_json::from_str(&j).map_err(|source| StoreError::Corrupt { kind: kind.into(), key: id.to_string(), source }))
            .transpose()
    }

    fn messages_from(rows: Vec<sqlx::sqlite::SqliteRow>) -> Result<Vec<Message>, StoreError> {
        rows.into_iter()
            .map(|r| {
                let id: i64 = r.get(0);
                let json: String = r.get(1);
                serde_json::from_str(&json).map_err(|source| StoreError::Corrupt { kind: "message".into(), key: id.to_string(), source })
            })
            .collect()
    }

    /// A conversation's transcript, oldest first.
    pub async fn messages_of(&self, item: WorkItemId) -> Result<Vec<Message>, StoreError> {
        let rows =
            sqlx::query("SELECT id, json FROM messages WHERE work_item = ? ORDER BY id").bind(item.0 as i64).fetch_all(&self.pool).await?;
        Self::messages_from(rows)
    }

    pub async fn message(&self, id: MessageId) -> Result<Option<Message>, StoreError> {
        let rows = sqlx::query("SELECT id, json FROM messages WHERE id = ?").bind(id.0 as i64).fetch_all(&self.pool).await?;
        Ok(Self::messages_from(rows)?.pop())
    }

    /// The message a channel already delivered under this id (a retried webhook).
    pub async fn message_by_external_id(&self, external_id: &str) -> Result<Option<Message>, StoreError> {
        let rows = sqlx::query("SELECT id, json FROM messages WHERE external_id = ?").bind(external_id).fetch_all(&self.pool).await?;
        Ok(Self::messages_from(rows)?.pop())
    }

    /// Outbound messages not delivered yet, oldest first.
    pub async fn pending_deliveries(&self) -> Result<Vec<Message>, StoreError> {
        let rows = sqlx::query("SELECT id, json FROM messages WHERE delivery_state = 'pending' ORDER BY id").fetch_all(&self.pool).await?;
        Self::messages_from(rows)
    }

    /// Every web chat widget, by id.
    pub async fn widgets(&self) -> Result<Vec<herald_protocol::Widget>, StoreError> {
        let rows = sqlx::query("SELECT id, json FROM widgets ORDER BY id").fetch_all(&self.pool).await?;
        rows.into_iter()
            .map(|r| {
                let id: String = r.get(0);
                let json: String = r.get(1);
                serde_json::from_str(&json).map_err(|source| StoreError::Corrupt { kind: "widget".into(), key: id, source })
            })
            .collect()
    }

    pub async fn widget(&self, id: &str) -> Result<Option<herald_protocol::Widget>, StoreError> {
        Ok(self.widgets().await?.into_iter().find(|w| w.id == id))
    }

    pub async fn put_widget(&self, w: &herald_protocol::Widget) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO widgets (id, json) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json")
            .bind(&w.id)
            .bind(serde_json::to_string(w).expect("widgets serialise"))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The web chat a customer token opens.
    pub async fn webchat_by_token(&self, token_hash: &str) -> Result<Option<WorkItemId>, StoreError> {
        let id: Option<i64> = sqlx::query_scalar("SELECT work_item FROM webchat_conversations WHERE token_hash = ?")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(id.map(|i| WorkItemId(i as u64)))
    }

    /// Messages of a conversation after `after`, oldest first.
    pub async fn messages_after(&self, item: WorkItemId, after: u64) -> Result<Vec<Message>, StoreError> {
        let rows = sqlx::query("SELECT id, json FROM messages WHERE work_item = ? AND id > ? ORDER BY id")
            .bind(item.0 as i64)
            .bind(after as i64)
            .fetch_all(&self.pool)
            .await?;
        Self::messages_from(rows)
    }

    pub async fn insert_integration(&self, name: &str, hash: &str, at_ms: u64) -> Result<herald_protocol::Integration, StoreError> {
        let id: i64 = sqlx::query_scalar("INSERT INTO integrations (name, hash, created_at) VALUES (?, ?, ?) RETURNING id")
            .bind(name)
            .bind(hash)
            .bind(at_ms as i64)
            .fetch_one(&self.pool)
            .await?;
        Ok(herald_protocol::Integration { id: id as u64, name: name.into(), created_at: herald_core::Timestamp(at_ms), revoked: false })
    }

    pub async fn integrations(&self) -> Result<Vec<herald_protocol::Integration>, StoreError> {
        let rows =
            sqlx::query("SELECT id, name, created_at, revoked_at IS NOT NULL FROM integrations ORDER BY id").fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .map(|r| herald_protocol::Integration {
                id: r.get::<i64, _>(0) as u64,
                name: r.get(1),
                created_at: herald_core::Timestamp(r.get::<i64, _>(2) as u64),
                revoked: r.get(3),
            })
            .collect())
    }

    /// The active integration holding a token with this hash: (id, name).
    pub async fn integration_by_hash(&self, hash: &str) -> Result<Option<(u64, String)>, StoreError> {
        let row = sqlx::query("SELECT id, name FROM integrations WHERE hash = ? AND revoked_at IS NULL")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| (r.get::<i64, _>(0) as u64, r.get(1))))
    }

    /// Revokes an integration's token; `false` when there was no such active integration.
    pub async fn revoke_integration(&self, id: u64, at_ms: u64) -> Result<bool, StoreError> {
        let r = sqlx::query("UPDATE integrations SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
            .bind(at_ms as i64)
            .bind(id as i64)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Whether an entity of this kind and id was ever stored.
    pub async fn exists(&self, kind: &str, id: u64) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM entities WHERE kind = ? AND key = ?")
            .bind(kind)
            .bind(id.to_string())
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    /// Tokens that are not revoked.
    pub async fn active_tokens(&self) -> Result<Vec<StoredToken>, StoreError> {
        let rows = sqlx::query("SELECT id, agent_id, hash FROM tokens WHERE revoked_at IS NULL").fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .map(|r| StoredToken { id: r.get::<i64, _>(0) as u64, agent: AgentId(r.get::<i64, _>(1) as u64), hash: r.get(2) })
            .collect())
    }

    pub async fn insert_token(&self, agent: AgentId, hash: &str, now_ms: u64) -> Result<u64, StoreError> {
        let id: i64 = sqlx::query_scalar("INSERT INTO tokens (agent_id, hash, created_at) VALUES (?, ?, ?) RETURNING id")
            .bind(agent.0 as i64)
            .bind(hash)
            .bind(now_ms as i64)
            .fetch_one(&self.pool)
            .await?;
        Ok(id as u64)
    }

    /// Revokes a token; `false` when there was no such active token.
    pub async fn revoke_token(&self, id: u64, now_ms: u64) -> Result<bool, StoreError> {
        let r = sqlx::query("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
            .bind(now_ms as i64)
            .bind(id as i64)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_database_opens_in_wal_and_an_in_memory_one_is_migrated() {
        // WAL is set over the first connection only; the pool's connections see it in the file.
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("sqlite://{}", dir.path().join("w.db").display())).await.expect("opens");
        for _ in 0..3 {
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&store.pool).await.unwrap();
            assert_eq!(mode, "wal");
        }
        let memory = Store::open("sqlite::memory:").await.expect("in memory");
        let tables: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'entities'").fetch_one(&memory.pool).await.unwrap();
        assert_eq!(tables, 1, "an in-memory database is migrated too");
    }
}

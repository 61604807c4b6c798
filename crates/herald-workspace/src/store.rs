//! SQLite or PostgreSQL through sqlx, chosen by the database URL. Every state change is one
//! transaction holding the changed entities and the events appended to the affected agents' logs;
//! the migrations are embedded and additive (`migrations/` for SQLite, `migrations-postgres/` for
//! PostgreSQL: the same tables, integers as BIGINT).
//!
//! Both run the same SQL: parameters are written `$1`, `$2`… (PostgreSQL's form; sqlx binds
//! SQLite's `$N` to the N-th argument too), and the one piece of code per query is compiled for
//! each pool by [`on!`].
//!
//! SQLite: WAL with `synchronous = NORMAL`: a committed transaction survives the process being
//! killed (`kill -9`); only an OS crash or power loss can drop the last few. PostgreSQL: its own
//! durability (a commit is on disk when it returns, with the server's default settings).

mod accounts;
mod audit;
mod cluster;
mod commit;
mod retention;
mod timeline;

pub use accounts::StoredAccount;
pub use audit::AuditQuery;
pub use cluster::{ACCESS_CHANNEL, EVENTS_CHANNEL, LeaseRow, parse_event_payload};

pub use commit::ChangeRows;
pub use timeline::StoredNote;

use herald_core::{
    AgentId, Message, MessageId, Offer, OfferId, Saved, Session, SessionId, SessionState, Snapshot, WorkItem, WorkItemId, WorkItemState,
};
use herald_protocol::EventEnvelope;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
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
    /// This instance's lead ended: another instance leads with a newer epoch, and this one may
    /// no longer write (see [`crate::cluster`]).
    #[error("this instance no longer leads the workspace (its epoch {0} was superseded)")]
    Fenced(u64),
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
    pool: Pool,
    /// Where the group commits go ([`Store::commit_many`]). SQLite: one connection of its own,
    /// so its page cache stays warm; on a shared pool each commit took whichever connection was
    /// free, and a connection that sees another one's writes drops its whole cache and reads
    /// the pages again. PostgreSQL (and an in-memory SQLite database, one connection): `pool`.
    commits: Pool,
    /// The lead's epoch this store writes under ([`Store::fenced`]): every commit checks it is
    /// still the current one. `None`: no check (SQLite, or a store that only reads).
    fence: Option<u64>,
}

#[derive(Clone, Debug)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// `on!(store, p => body)`: `body` with `p` the store's pool, compiled once per database (the
/// arms must agree on the type, so rows are read into tuples inside `body`).
/// `on!(commits store, p => body)`: the same on the pool of the group commits.
macro_rules! on {
    (@pool $pool:expr, $p:ident => $body:expr) => {
        match &$pool {
            $crate::store::Pool::Sqlite($p) => $body,
            $crate::store::Pool::Postgres($p) => $body,
        }
    };
    (commits $store:expr, $p:ident => $body:expr) => {
        $crate::store::on!(@pool $store.commits, $p => $body)
    };
    ($store:expr, $p:ident => $body:expr) => {
        $crate::store::on!(@pool $store.pool, $p => $body)
    };
}
use on;

/// `url` with its password (if any) replaced by `***`, for logs.
pub fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// Whether `url` names a PostgreSQL database (`postgres://…` or `postgresql://…`).
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
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
static MIGRATOR_PG: sqlx::migrate::Migrator = sqlx::migrate!("./migrations-postgres");

/// A row an edge writes in the same transaction as the state change it belongs to, so a crash
/// can never keep one without the other.
#[derive(Clone, Debug)]
pub enum Extra {
    /// A customer's web chat and the hash of its token: the work item and the customer's only
    /// key to it are one commit.
    Webchat { item: WorkItemId, widget: String, token_hash: String, at_ms: u64 },
}

impl Store {
    /// The SQLite pool, for tests that need to reach under the store (e.g. to make a write fail).
    #[cfg(test)]
    pub(crate) fn pool(&self) -> &SqlitePool {
        match &self.pool {
            Pool::Sqlite(p) => p,
            Pool::Postgres(_) => panic!("not a SQLite store"),
        }
    }

    /// Opens the database at `url` and runs the embedded migrations: SQLite (`sqlite://path`,
    /// created if missing, or `sqlite::memory:`) or PostgreSQL (`postgres://user@host/db`, which
    /// must exist).
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        if is_postgres(url) {
            let pool = PgPoolOptions::new().max_connections(8).min_connections(1).connect(url).await?;
            // The migrator holds an advisory lock: instances starting together migrate once.
            MIGRATOR_PG.run(&pool).await?;
            let pool = Pool::Postgres(pool);
            return Ok(Self { commits: pool.clone(), pool, fence: None });
        }
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            // Checkpoints run beside the commits ([`Store::checkpoint`], the engine's task), not
            // inside whichever commit crosses SQLite's 1,000-page mark: that commit waited for
            // the copy and its fsyncs (the slowest offers in the routing benchmark).
            .pragma("wal_autocheckpoint", "0")
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
        let pool_of = |size: u32| {
            SqlitePoolOptions::new()
                .max_connections(size)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                // An in-process database does not hang up: pinging it before each use was one
                // more hop to its thread in every commit.
                .test_before_acquire(false)
        };
        // An in-memory database lives in one connection.
        let pool = pool_of(if in_memory { 1 } else { 8 }).connect_with(opts.clone()).await?;
        if in_memory {
            MIGRATOR.run(&pool).await?;
            let pool = Pool::Sqlite(pool);
            return Ok(Self { commits: pool.clone(), pool, fence: None });
        }
        let commits = pool_of(1).connect_with(opts).await?;
        Ok(Self { pool: Pool::Sqlite(pool), commits: Pool::Sqlite(commits), fence: None })
    }

    /// Everything the router needs to start again, and each agent's last event sequence.
    pub async fn load(&self) -> Result<(Snapshot, HashMap<AgentId, u64>), StoreError> {
        let rows: Vec<(String, String, String)> =
            on!(self, p => sqlx::query_as("SELECT kind, key, json FROM entities WHERE live = TRUE").fetch_all(p).await?);
        let mut snap = Snapshot::default();
        for (kind, key, json) in rows {
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
        let max: Option<i64> = on!(self, p => sqlx::query_scalar(
            "SELECT MAX(CAST(key AS BIGINT)) FROM entities WHERE kind NOT IN ('template', 'settings')"
        )
        .fetch_one(p)
        .await?);
        let max_message: Option<i64> = on!(self, p => sqlx::query_scalar("SELECT MAX(id) FROM messages").fetch_one(p).await?);
        snap.max_id = max.unwrap_or(0).max(max_message.unwrap_or(0)) as u64;
        let seqs: Vec<(i64, i64)> =
            on!(self, p => sqlx::query_as("SELECT agent_id, MAX(seq) FROM events GROUP BY agent_id").fetch_all(p).await?);
        Ok((snap, seqs.into_iter().map(|(a, s)| (AgentId(a as u64), s as u64)).collect()))
    }

    /// Copies what the write-ahead log holds into the database file without waiting for readers
    /// or blocking writers (SQLite `wal_checkpoint(PASSIVE)`); nothing on PostgreSQL.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        if let Pool::Sqlite(p) = &self.pool {
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(p).await?;
        }
        Ok(())
    }

    /// Writes one state change: the entities, the events and the edge's own rows that belong
    /// to it ([`Extra`]), all or nothing.
    pub async fn commit(&self, saves: &[Saved], events: &[EventEnvelope], extras: &[Extra]) -> Result<(), StoreError> {
        self.commit_many(&[(saves, events, extras)]).await
    }

    /// The agent's log entries after `after`, oldest first, at most `limit`.
    pub async fn events_after(&self, agent: AgentId, after: u64, limit: u32) -> Result<Vec<EventEnvelope>, StoreError> {
        let rows: Vec<(i64, i64, String)> = on!(self, p => sqlx::query_as(
            "SELECT seq, at, json FROM events WHERE agent_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
        )
        .bind(agent.0 as i64)
        .bind(after as i64)
        .bind(i64::from(limit))
        .fetch_all(p)
        .await?);
        rows.into_iter()
            .map(|(seq, at, json)| {
                let seq = seq as u64;
                let event = serde_json::from_str(&json).map_err(|source| StoreError::Corrupt {
                    kind: "event".into(),
                    key: format!("{agent}/{seq}"),
                    source,
                })?;
                Ok(EventEnvelope { seq, agent, at: herald_core::Timestamp(at as u64), event })
            })
            .collect()
    }

    /// An offer in whatever state it ended in (the router keeps only pending ones).
    pub async fn offer(&self, id: OfferId) -> Result<Option<Offer>, StoreError> {
        self.entity("offer", id.0).await
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
        let json: Option<String> = on!(self, p => sqlx::query_scalar("SELECT json FROM entities WHERE kind = $1 AND key = $2")
            .bind(kind)
            .bind(id.to_string())
            .fetch_optional(p)
            .await?);
        json.map(|j| serde_json::from_str(&j).map_err(|source| StoreError::Corrupt { kind: kind.into(), key: id.to_string(), source }))
            .transpose()
    }

    /// Messages selected by `sql` (which returns `id, json`) with one bound parameter, if any.
    async fn messages_where(&self, sql: &'static str, params: &[i64], text: Option<&str>) -> Result<Vec<Message>, StoreError> {
        let rows: Vec<(i64, String)> = on!(self, p => {
            let mut q = sqlx::query_as(sql);
            for v in params {
                q = q.bind(*v);
            }
            if let Some(t) = text {
                q = q.bind(t);
            }
            q.fetch_all(p).await?
        });
        rows.into_iter()
            .map(|(id, json)| {
                serde_json::from_str(&json).map_err(|source| StoreError::Corrupt { kind: "message".into(), key: id.to_string(), source })
            })
            .collect()
    }

    /// A conversation's transcript, oldest first.
    pub async fn messages_of(&self, item: WorkItemId) -> Result<Vec<Message>, StoreError> {
        self.messages_where("SELECT id, json FROM messages WHERE work_item = $1 ORDER BY id", &[item.0 as i64], None).await
    }

    pub async fn message(&self, id: MessageId) -> Result<Option<Message>, StoreError> {
        Ok(self.messages_where("SELECT id, json FROM messages WHERE id = $1", &[id.0 as i64], None).await?.pop())
    }

    /// The message a channel already delivered under this id (a retried webhook).
    pub async fn message_by_external_id(&self, external_id: &str) -> Result<Option<Message>, StoreError> {
        Ok(self.messages_where("SELECT id, json FROM messages WHERE external_id = $1", &[], Some(external_id)).await?.pop())
    }

    /// Outbound messages not delivered yet, oldest first.
    pub async fn pending_deliveries(&self) -> Result<Vec<Message>, StoreError> {
        self.messages_where("SELECT id, json FROM messages WHERE delivery_state = 'pending' ORDER BY id", &[], None).await
    }

    /// Every web chat widget, by id.
    pub async fn widgets(&self) -> Result<Vec<herald_protocol::Widget>, StoreError> {
        let rows: Vec<(String, String)> = on!(self, p => sqlx::query_as("SELECT id, json FROM widgets ORDER BY id").fetch_all(p).await?);
        rows.into_iter()
            .map(|(id, json)| serde_json::from_str(&json).map_err(|source| StoreError::Corrupt { kind: "widget".into(), key: id, source }))
            .collect()
    }

    pub async fn widget(&self, id: &str) -> Result<Option<herald_protocol::Widget>, StoreError> {
        Ok(self.widgets().await?.into_iter().find(|w| w.id == id))
    }

    pub async fn put_widget(&self, w: &herald_protocol::Widget) -> Result<(), StoreError> {
        let json = serde_json::to_string(w).expect("widgets serialise");
        on!(self, p => sqlx::query("INSERT INTO widgets (id, json) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET json = excluded.json")
            .bind(&w.id)
            .bind(&json)
            .execute(p)
            .await
            .map(|_| ())?);
        Ok(())
    }

    /// The web chat a customer token opens.
    pub async fn webchat_by_token(&self, token_hash: &str) -> Result<Option<WorkItemId>, StoreError> {
        let id: Option<i64> = on!(self, p => sqlx::query_scalar("SELECT work_item FROM webchat_conversations WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(p)
            .await?);
        Ok(id.map(|i| WorkItemId(i as u64)))
    }

    /// Messages of a conversation after `after`, oldest first.
    pub async fn messages_after(&self, item: WorkItemId, after: u64) -> Result<Vec<Message>, StoreError> {
        self.messages_where(
            "SELECT id, json FROM messages WHERE work_item = $1 AND id > $2 ORDER BY id",
            &[item.0 as i64, after as i64],
            None,
        )
        .await
    }

    pub async fn insert_integration(&self, name: &str, hash: &str, at_ms: u64) -> Result<herald_protocol::Integration, StoreError> {
        let id: i64 = on!(self, p => sqlx::query_scalar("INSERT INTO integrations (name, hash, created_at) VALUES ($1, $2, $3) RETURNING id")
            .bind(name)
            .bind(hash)
            .bind(at_ms as i64)
            .fetch_one(p)
            .await?);
        Ok(herald_protocol::Integration { id: id as u64, name: name.into(), created_at: herald_core::Timestamp(at_ms), revoked: false })
    }

    pub async fn integrations(&self) -> Result<Vec<herald_protocol::Integration>, StoreError> {
        let rows: Vec<(i64, String, i64, bool)> = on!(self, p => sqlx::query_as(
            "SELECT id, name, created_at, revoked_at IS NOT NULL FROM integrations ORDER BY id"
        )
        .fetch_all(p)
        .await?);
        Ok(rows
            .into_iter()
            .map(|(id, name, at, revoked)| herald_protocol::Integration {
                id: id as u64,
                name,
                created_at: herald_core::Timestamp(at as u64),
                revoked,
            })
            .collect())
    }

    /// The active integration holding a token with this hash: (id, name).
    pub async fn integration_by_hash(&self, hash: &str) -> Result<Option<(u64, String)>, StoreError> {
        let row: Option<(i64, String)> = on!(self, p => sqlx::query_as("SELECT id, name FROM integrations WHERE hash = $1 AND revoked_at IS NULL")
                .bind(hash)
                .fetch_optional(p)
                .await?);
        Ok(row.map(|(id, name)| (id as u64, name)))
    }

    /// Revokes an integration's token; `false` when there was no such active integration.
    pub async fn revoke_integration(&self, id: u64, at_ms: u64) -> Result<bool, StoreError> {
        let n = on!(self, p => sqlx::query("UPDATE integrations SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(at_ms as i64)
            .bind(id as i64)
            .execute(p)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Whether an entity of this kind and id was ever stored.
    pub async fn exists(&self, kind: &str, id: u64) -> Result<bool, StoreError> {
        let n: i64 = on!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM entities WHERE kind = $1 AND key = $2")
            .bind(kind)
            .bind(id.to_string())
            .fetch_one(p)
            .await?);
        Ok(n > 0)
    }

    /// Tokens that are not revoked.
    pub async fn active_tokens(&self) -> Result<Vec<StoredToken>, StoreError> {
        let rows: Vec<(i64, i64, String)> =
            on!(self, p => sqlx::query_as("SELECT id, agent_id, hash FROM tokens WHERE revoked_at IS NULL").fetch_all(p).await?);
        Ok(rows.into_iter().map(|(id, agent, hash)| StoredToken { id: id as u64, agent: AgentId(agent as u64), hash }).collect())
    }

    pub async fn insert_token(&self, agent: AgentId, hash: &str, now_ms: u64) -> Result<u64, StoreError> {
        let id: i64 = on!(self, p => sqlx::query_scalar("INSERT INTO tokens (agent_id, hash, created_at) VALUES ($1, $2, $3) RETURNING id")
            .bind(agent.0 as i64)
            .bind(hash)
            .bind(now_ms as i64)
            .fetch_one(p)
            .await?);
        Ok(id as u64)
    }

    /// Revokes a token; `false` when there was no such active token.
    pub async fn revoke_token(&self, id: u64, now_ms: u64) -> Result<bool, StoreError> {
        let n = on!(self, p => sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now_ms as i64)
            .bind(id as i64)
            .execute(p)
            .await?
            .rows_affected());
        Ok(n == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_urls_hide_the_password() {
        assert_eq!(without_password("postgres://herald:s3cret@db:5432/herald"), "postgres://herald:***@db:5432/herald");
        assert_eq!(without_password("postgres://herald@db/herald"), "postgres://herald@db/herald");
        assert_eq!(without_password("sqlite:///tmp/w.db"), "sqlite:///tmp/w.db");
    }

    #[tokio::test]
    async fn a_file_database_opens_in_wal_and_an_in_memory_one_is_migrated() {
        // WAL is set over the first connection only; the pool's connections see it in the file.
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("sqlite://{}", dir.path().join("w.db").display())).await.expect("opens");
        for _ in 0..3 {
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(store.pool()).await.unwrap();
            assert_eq!(mode, "wal");
        }
        let memory = Store::open("sqlite::memory:").await.expect("in memory");
        let tables: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'entities'").fetch_one(memory.pool()).await.unwrap();
        assert_eq!(tables, 1, "an in-memory database is migrated too");
    }

    /// Commits do not checkpoint (SQLite would, inside the commit that crosses 1,000 pages):
    /// the log keeps every frame until [`Store::checkpoint`], which copies them all.
    #[tokio::test]
    async fn commits_leave_the_write_ahead_log_to_the_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("sqlite://{}", dir.path().join("w.db").display())).await.expect("opens");
        let saves = [Saved::Settings(herald_core::Settings::default())];
        for _ in 0..1_200 {
            store.commit(&saves, &[], &[]).await.expect("commits");
        }
        let (busy, log, copied): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(store.pool()).await.unwrap();
        assert!(log >= 1_200, "every commit's frames are still in the log ({log}); none was checkpointed by a commit");
        assert_eq!((busy, copied), (0, log), "a passive checkpoint copies them all when nothing reads");
        store.checkpoint().await.expect("checkpoints");
    }
}

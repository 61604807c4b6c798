//! Who leads: a PostgreSQL advisory lock held on a connection of its own, plus the lease row
//! whose epoch is the fencing token (see the module docs of [`crate::cluster`]).
//!
//! The lock is session-scoped: it is held exactly as long as the connection that took it lives.
//! That connection is never one of the pool's (a pool hands connections around and keeps them
//! after use), and it must not go through a transaction-pooling proxy (PgBouncer in transaction
//! mode would move the session, and the lock with it, to whoever comes next).

use crate::store::StoreError;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The advisory lock's key: "HERALD" in ASCII. Advisory locks are per database, so several
/// workspaces on one PostgreSQL server (one database each) do not contend.
const LOCK_KEY: i64 = 0x4845_5241_4C44;

/// How often the leader checks that its lock connection and its epoch are still there.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// How long one of those checks may take before the lead is given up.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// This instance, as the others see it.
#[derive(Clone, Debug)]
pub struct Instance {
    /// Random per process start: tells this run from an earlier one on the same address.
    pub id: String,
    /// Where the other instances reach this one (`http://host:port`).
    pub url: String,
}

impl Instance {
    /// An instance reached at `url`, with a fresh random id.
    pub fn new(url: impl Into<String>) -> Self {
        let mut bytes = [0u8; 8];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        Self { id: hex::encode(bytes), url: url.into() }
    }
}

/// An instance that wants to lead, with its lock connection.
#[derive(Debug)]
pub struct Candidate {
    conn: PgConnection,
    me: Instance,
}

/// The lead, held: the epoch every commit is fenced with and the secret followers sign
/// forwarded requests with. Dropping it closes the lock connection, which lets the lock go.
#[derive(Debug)]
pub struct Lease {
    pub epoch: u64,
    pub secret: String,
    lost: watch::Receiver<Option<String>>,
    watchdog: JoinHandle<()>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.watchdog.abort();
    }
}

impl Candidate {
    /// Opens the lock connection to the database at `url`.
    pub async fn connect(url: &str, me: Instance) -> Result<Self, StoreError> {
        let conn = PgConnectOptions::from_str(url)?.application_name("herald-workspace lead").connect().await?;
        Ok(Self { conn, me })
    }

    pub fn instance(&self) -> &Instance {
        &self.me
    }

    /// Tries once to take the lead: the lock, then the lease row with the next epoch. `None`:
    /// another instance holds it.
    pub async fn try_lead(&mut self) -> Result<Option<(u64, String)>, StoreError> {
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(LOCK_KEY).fetch_one(&mut self.conn).await?;
        if !got {
            return Ok(None);
        }
        let now = crate::engine::now().0 as i64;
        let mut secret = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut secret);
        // The secret is made once, by the first leader, and kept: followers may hold it.
        let (epoch, secret): (i64, String) = sqlx::query_as(
            "INSERT INTO cluster_lease (id, epoch, holder, url, secret, since, renewed) VALUES (1, 1, $1, $2, $3, $4, $4) \
             ON CONFLICT (id) DO UPDATE SET epoch = cluster_lease.epoch + 1, holder = excluded.holder, url = excluded.url, \
             since = excluded.since, renewed = excluded.renewed RETURNING epoch, secret",
        )
        .bind(&self.me.id)
        .bind(&self.me.url)
        .bind(hex::encode(secret))
        .bind(now)
        .fetch_one(&mut self.conn)
        .await?;
        Ok(Some((epoch as u64, secret)))
    }

    /// Waits until this instance leads, trying every `every`. A database that stops answering
    /// ends the wait with its error (the caller retries or exits).
    pub async fn lead(mut self, every: Duration) -> Result<Lease, StoreError> {
        let mut tries = 0u64;
        let (epoch, secret) = loop {
            if let Some(got) = self.try_lead().await? {
                break got;
            }
            if tries % 240 == 0 {
                // Once at first, then about once a minute: who holds it.
                let holder: Option<(i64, String)> =
                    sqlx::query_as("SELECT epoch, url FROM cluster_lease WHERE id = 1").fetch_optional(&mut self.conn).await?;
                let (epoch, url) = holder.unwrap_or_default();
                tracing::info!(instance = %self.me.id, epoch, leader = %url, "another instance leads; following it until it stops");
            }
            tries += 1;
            tokio::time::sleep(every).await;
        };
        tracing::info!(instance = %self.me.id, epoch, url = %self.me.url, "this instance leads the workspace now");
        let (tx, lost) = watch::channel(None);
        let watchdog = tokio::spawn(watch_lead(self.conn, epoch, tx));
        Ok(Lease { epoch, secret, lost, watchdog })
    }
}

impl Lease {
    /// Resolves with the reason when the lead is lost: the lock connection broke or stopped
    /// answering, or the lease row carries another epoch.
    pub async fn lost(&self) -> String {
        let mut rx = self.lost.clone();
        match rx.wait_for(Option::is_some).await {
            Ok(why) => why.clone().unwrap_or_default(),
            Err(_) => "the lead's watchdog stopped".into(),
        }
    }
}

/// Checks the lock connection and the epoch every [`CHECK_EVERY`]; says why when either is gone.
async fn watch_lead(mut conn: PgConnection, epoch: u64, lost: watch::Sender<Option<String>>) {
    loop {
        tokio::time::sleep(CHECK_EVERY).await;
        let check = sqlx::query_scalar::<_, i64>("SELECT epoch FROM cluster_lease WHERE id = 1").fetch_one(&mut conn);
        let why = match tokio::time::timeout(CHECK_TIMEOUT, check).await {
            Ok(Ok(e)) if e as u64 == epoch => continue,
            Ok(Ok(e)) => format!("another instance took the lead (epoch {e}, this one had {epoch})"),
            Ok(Err(e)) => format!("the lock connection failed: {e}"),
            Err(_) => format!("the lock connection did not answer within {CHECK_TIMEOUT:?}"),
        };
        tracing::error!(epoch, "lost the lead: {why}");
        let _ = lost.send(Some(why));
        // The connection goes with this task: the lock is released if it was still held.
        let _ = conn.close().await;
        return;
    }
}

//! What the store knows of a cluster of instances (PostgreSQL only; see [`crate::cluster`]): the
//! lease row, and the fencing token every commit of the leader checks.

use super::{Pool, Store, StoreError};

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
        Store { pool: self.pool.clone(), fence: Some(epoch) }
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

    /// Answers when the database does (a round trip).
    pub async fn ping(&self) -> Result<(), StoreError> {
        let _: i32 = super::on!(self, p => sqlx::query_scalar("SELECT 1").fetch_one(p).await?);
        Ok(())
    }
}

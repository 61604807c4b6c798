//! The audit log ([`crate::audit`]): append and page, newest first.

use super::{Store, StoreError, on};
use herald_core::AgentId;
use herald_protocol::AuditEntry;

/// What to page through: before an id (exclusive), at most `limit`, optionally one action or
/// one actor.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    pub before: Option<u64>,
    pub limit: u32,
    pub action: Option<String>,
    pub actor: Option<AgentId>,
}

type Row = (i64, i64, Option<i64>, String, Option<String>, String, Option<String>);

impl Store {
    /// Appends one line.
    pub async fn audit(&self, e: &AuditEntry) -> Result<(), StoreError> {
        on!(self, p => {
            sqlx::query("INSERT INTO audit (at, actor, action, target, detail, client) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(e.at as i64)
                .bind(e.actor.map(|a| a.0 as i64))
                .bind(&e.action)
                .bind(&e.target)
                .bind(&e.detail)
                .bind(&e.client)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// A page of the log, newest first.
    pub async fn audit_page(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<Row> = on!(self, p => sqlx::query_as(
            "SELECT id, at, actor, action, target, detail, client FROM audit \
             WHERE id < $1 AND ($2 IS NULL OR action = $2) AND ($3 IS NULL OR actor = $3) ORDER BY id DESC LIMIT $4"
        )
        .bind(q.before.map_or(i64::MAX, |b| b as i64))
        .bind(q.action.as_deref())
        .bind(q.actor.map(|a| a.0 as i64))
        .bind(i64::from(q.limit))
        .fetch_all(p)
        .await?);
        Ok(rows
            .into_iter()
            .map(|(id, at, actor, action, target, detail, client)| AuditEntry {
                id: id as u64,
                at: at as u64,
                actor: actor.map(|a| AgentId(a as u64)),
                action,
                target,
                detail,
                client,
            })
            .collect())
    }
}

//! People's sign-in records ([`crate::accounts`]): email, argon2id hash, disabled; and invites
//! (one-time set-password codes, by SHA-256).

use super::{Store, StoreError, on};
use herald_core::AgentId;

/// A person's sign-in record as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAccount {
    pub agent: AgentId,
    pub email: String,
    /// The argon2id PHC string, once a password was set.
    pub password_hash: Option<String>,
    pub disabled: bool,
}

type Row = (i64, String, Option<String>, Option<i64>);

fn account((agent, email, password_hash, disabled_at): Row) -> StoredAccount {
    StoredAccount { agent: AgentId(agent as u64), email, password_hash, disabled: disabled_at.is_some() }
}

impl Store {
    /// The account signing in with `email` (already normalised: trimmed, lower case).
    pub async fn account_by_email(&self, email: &str) -> Result<Option<StoredAccount>, StoreError> {
        let row: Option<Row> = on!(self, p => sqlx::query_as(
            "SELECT agent_id, email, password_hash, disabled_at FROM accounts WHERE email = $1"
        )
        .bind(email)
        .fetch_optional(p)
        .await?);
        Ok(row.map(account))
    }

    pub async fn account_of(&self, agent: AgentId) -> Result<Option<StoredAccount>, StoreError> {
        let row: Option<Row> = on!(self, p => sqlx::query_as(
            "SELECT agent_id, email, password_hash, disabled_at FROM accounts WHERE agent_id = $1"
        )
        .bind(agent.0 as i64)
        .fetch_optional(p)
        .await?);
        Ok(row.map(account))
    }

    /// Gives `agent` the sign-in email `email`; `false` when another person already has it.
    pub async fn set_account_email(&self, agent: AgentId, email: &str, now_ms: u64) -> Result<bool, StoreError> {
        let taken: Option<i64> = on!(self, p => sqlx::query_scalar("SELECT agent_id FROM accounts WHERE email = $1 AND agent_id <> $2")
            .bind(email)
            .bind(agent.0 as i64)
            .fetch_optional(p)
            .await?);
        if taken.is_some() {
            return Ok(false);
        }
        on!(self, p => {
            sqlx::query(
                "INSERT INTO accounts (agent_id, email, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (agent_id) DO UPDATE SET email = excluded.email, updated_at = excluded.updated_at",
            )
            .bind(agent.0 as i64)
            .bind(email)
            .bind(now_ms as i64)
            .execute(p)
            .await?;
        });
        Ok(true)
    }

    /// Sets (or, with `None`, clears) the person's password hash.
    pub async fn set_password_hash(&self, agent: AgentId, hash: Option<&str>, now_ms: u64) -> Result<bool, StoreError> {
        let n = on!(self, p => sqlx::query("UPDATE accounts SET password_hash = $1, updated_at = $2 WHERE agent_id = $3")
            .bind(hash)
            .bind(now_ms as i64)
            .bind(agent.0 as i64)
            .execute(p)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Disables (or enables again) the person's sign-in; `false` when they have no account.
    pub async fn set_account_disabled(&self, agent: AgentId, disabled: bool, now_ms: u64) -> Result<bool, StoreError> {
        let at = disabled.then_some(now_ms as i64);
        let n = on!(self, p => sqlx::query("UPDATE accounts SET disabled_at = $1, updated_at = $2 WHERE agent_id = $3")
            .bind(at)
            .bind(now_ms as i64)
            .bind(agent.0 as i64)
            .execute(p)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Stores an invite (by the hash of its code) for `agent`, and withdraws the agent's
    /// earlier unused ones: only the newest link works.
    pub async fn insert_invite(&self, agent: AgentId, hash: &str, now_ms: u64, expires_ms: u64) -> Result<(), StoreError> {
        on!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE invites SET used_at = $1 WHERE agent_id = $2 AND used_at IS NULL")
                .bind(now_ms as i64)
                .bind(agent.0 as i64)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO invites (hash, agent_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                .bind(hash)
                .bind(agent.0 as i64)
                .bind(now_ms as i64)
                .bind(expires_ms as i64)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Spends the invite with this hash: its agent when it exists, is unused and has not
    /// expired (it is then used up); `None` otherwise.
    pub async fn take_invite(&self, hash: &str, now_ms: u64) -> Result<Option<AgentId>, StoreError> {
        let agent: Option<i64> = on!(self, p => sqlx::query_scalar(
            "UPDATE invites SET used_at = $1 WHERE hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING agent_id"
        )
        .bind(now_ms as i64)
        .bind(hash)
        .fetch_optional(p)
        .await?);
        Ok(agent.map(|a| AgentId(a as u64)))
    }

    /// Revokes every active token of `agent`; answers their ids.
    pub async fn revoke_tokens_of(&self, agent: AgentId, now_ms: u64) -> Result<Vec<u64>, StoreError> {
        let ids: Vec<i64> = on!(self, p => sqlx::query_scalar(
            "UPDATE tokens SET revoked_at = $1 WHERE agent_id = $2 AND revoked_at IS NULL RETURNING id"
        )
        .bind(now_ms as i64)
        .bind(agent.0 as i64)
        .fetch_all(p)
        .await?);
        Ok(ids.into_iter().map(|i| i as u64).collect())
    }
}

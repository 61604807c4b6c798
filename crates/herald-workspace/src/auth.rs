//! Bearer tokens: random, shown once, stored as SHA-256 hashes, revocable. The active ones are
//! cached in memory so a request never waits on the database to be authenticated.
//!
//! Access can end while a request is open: an event stream or long poll watches
//! [`Tokens::watch`], which ticks on every revocation and role change, and ends when its token is
//! no longer active or its agent's role changed — a revoked token never receives another event.
//! On PostgreSQL the other instances hear of each change ([`Store::notify_access`]) and reload
//! their copy ([`Tokens::reload`]), so a stream they hold ends too.

use crate::store::{Store, StoreError};
use base64::Engine as _;
use herald_core::AgentId;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::RwLock;
use tokio::sync::watch;

/// The token cache. See the module docs.
#[derive(Debug)]
pub struct Tokens {
    by_hash: RwLock<HashMap<String, (u64, AgentId)>>,
    active: RwLock<HashSet<u64>>,
    /// Ticks when access may have ended somewhere (a revocation, a role change).
    changes: watch::Sender<u64>,
}

impl Default for Tokens {
    fn default() -> Self {
        Self { by_hash: RwLock::default(), active: RwLock::default(), changes: watch::channel(0).0 }
    }
}

/// SHA-256 of the token, hex.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random token: `hrld_` and 32 random bytes, base64url.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("hrld_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

impl Tokens {
    pub async fn load(store: &Store) -> Result<Self, StoreError> {
        let active = store.active_tokens().await?;
        let ids = active.iter().map(|s| s.id).collect();
        let by_hash = active.into_iter().map(|s| (s.hash, (s.id, s.agent))).collect();
        Ok(Tokens { by_hash: RwLock::new(by_hash), active: RwLock::new(ids), ..Tokens::default() })
    }

    /// Reads the active tokens again (another instance issued or revoked some) and tells open
    /// streams to check their access.
    pub async fn reload(&self, store: &Store) -> Result<(), StoreError> {
        let fresh = Self::load(store).await?;
        *self.by_hash.write().unwrap_or_else(|p| p.into_inner()) = fresh.by_hash.into_inner().unwrap_or_else(|p| p.into_inner());
        *self.active.write().unwrap_or_else(|p| p.into_inner()) = fresh.active.into_inner().unwrap_or_else(|p| p.into_inner());
        self.changes.send_modify(|n| *n += 1);
        Ok(())
    }

    /// [`Tokens::check`], and when this copy does not know the token, the store (another
    /// instance may have issued it a moment ago).
    pub async fn check_or_fetch(&self, store: &Store, token: &str) -> Result<Option<(u64, AgentId)>, StoreError> {
        if let Some(found) = self.check(token) {
            return Ok(Some(found));
        }
        let hash = hash_token(token);
        let Some((id, agent)) = store.token_by_hash(&hash).await? else { return Ok(None) };
        self.by_hash.write().unwrap_or_else(|p| p.into_inner()).insert(hash, (id, agent));
        self.active.write().unwrap_or_else(|p| p.into_inner()).insert(id);
        Ok(Some((id, agent)))
    }

    /// Which agent (and token id) this bearer token signs in, if it is active.
    pub fn check(&self, token: &str) -> Option<(u64, AgentId)> {
        self.by_hash.read().unwrap_or_else(|p| p.into_inner()).get(&hash_token(token)).copied()
    }

    /// Stores `token` (its hash) for `agent`.
    pub async fn add(&self, store: &Store, agent: AgentId, token: &str, now_ms: u64) -> Result<u64, StoreError> {
        let hash = hash_token(token);
        let id = store.insert_token(agent, &hash, now_ms).await?;
        self.by_hash.write().unwrap_or_else(|p| p.into_inner()).insert(hash, (id, agent));
        self.active.write().unwrap_or_else(|p| p.into_inner()).insert(id);
        Ok(id)
    }

    /// Issues a new random token for `agent`.
    pub async fn issue(&self, store: &Store, agent: AgentId, now_ms: u64) -> Result<(u64, String), StoreError> {
        let token = new_token();
        let id = self.add(store, agent, &token, now_ms).await?;
        Ok((id, token))
    }

    /// Revokes a token by id; `false` when it was not active.
    pub async fn revoke(&self, store: &Store, id: u64, now_ms: u64) -> Result<bool, StoreError> {
        let done = store.revoke_token(id, now_ms).await?;
        self.by_hash.write().unwrap_or_else(|p| p.into_inner()).retain(|_, (tid, _)| *tid != id);
        self.active.write().unwrap_or_else(|p| p.into_inner()).remove(&id);
        self.access_changed(store).await;
        Ok(done)
    }

    /// Revokes every token of `agent` (their sessions and streams end at once); answers how
    /// many there were.
    pub async fn revoke_agent(&self, store: &Store, agent: AgentId, now_ms: u64) -> Result<usize, StoreError> {
        let ids = store.revoke_tokens_of(agent, now_ms).await?;
        self.by_hash.write().unwrap_or_else(|p| p.into_inner()).retain(|_, (_, a)| *a != agent);
        {
            let mut active = self.active.write().unwrap_or_else(|p| p.into_inner());
            for id in &ids {
                active.remove(id);
            }
        }
        self.access_changed(store).await;
        Ok(ids.len())
    }

    /// Whether the token with this id is still active.
    pub fn is_active(&self, id: u64) -> bool {
        self.active.read().unwrap_or_else(|p| p.into_inner()).contains(&id)
    }

    /// Tells open streams — here and on the other instances — to check their access again
    /// (after a role change; revocations do it themselves).
    pub async fn access_changed(&self, store: &Store) {
        self.changes.send_modify(|n| *n += 1);
        if let Err(e) = store.notify_access().await {
            // Their streams end at the next change instead; the token stays revoked.
            tracing::warn!(error = %e, "could not tell the other instances that access changed");
        }
    }

    /// Ticks on every revocation and role change.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }
}

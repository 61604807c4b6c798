//! People's sign-in: email and password, invites, and the admin's account actions.

use crate::{Client, Result};
use herald_protocol::*;

impl Client {
    /// Signs in with an email and a password: a new token, and who it belongs to. Use
    /// [`Client::with_token`] with `token` afterwards.
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<SignedIn> {
        self.post("/v1/auth/sign-in", Some(&SignInRequest { email: email.into(), password: password.into() })).await
    }

    /// Spends an invite's code: sets the password and signs in.
    pub async fn set_password(&self, code: &str, password: &str) -> Result<SignedIn> {
        self.post("/v1/auth/set-password", Some(&SetPasswordRequest { code: code.into(), password: password.into() })).await
    }

    /// Changes the signed-in person's own password.
    pub async fn change_password(&self, current: &str, new: &str) -> Result<()> {
        self.post("/v1/auth/password", Some(&ChangePasswordRequest { current: current.into(), new: new.into() })).await
    }

    pub async fn account(&self, agent: AgentId) -> Result<Account> {
        self.get(&format!("/v1/admin/agents/{}/account", agent.0)).await
    }

    /// Gives `agent` a sign-in email and a one-time set-password code.
    pub async fn invite(&self, agent: AgentId, email: &str) -> Result<Invite> {
        self.post(&format!("/v1/admin/agents/{}/invite", agent.0), Some(&InviteRequest { email: email.into() })).await
    }

    /// The old password stops working and the person is signed out everywhere; a new code.
    pub async fn reset_password(&self, agent: AgentId) -> Result<Invite> {
        self.post::<(), _>(&format!("/v1/admin/agents/{}/reset-password", agent.0), None).await
    }

    pub async fn disable_account(&self, agent: AgentId) -> Result<Account> {
        self.post::<(), _>(&format!("/v1/admin/agents/{}/disable", agent.0), None).await
    }

    pub async fn enable_account(&self, agent: AgentId) -> Result<Account> {
        self.post::<(), _>(&format!("/v1/admin/agents/{}/enable", agent.0), None).await
    }

    /// The audit log, newest first: entries before `before` (a page's `next`), at most `limit`,
    /// only `action` when given.
    pub async fn audit(&self, before: Option<u64>, limit: u32, action: Option<&str>) -> Result<AuditPage> {
        let mut path = format!("/v1/admin/audit?limit={limit}");
        if let Some(b) = before {
            path.push_str(&format!("&before={b}"));
        }
        if let Some(a) = action {
            path.push_str(&format!("&action={a}"));
        }
        self.get(&path).await
    }
}

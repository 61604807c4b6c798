//! People signing in with an email and a password (the organisation issue): the requests and
//! answers of `/v1/auth/*` and of the admin's account actions.

use herald_core::AgentId;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// `POST /v1/auth/sign-in`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    pub email: String,
    pub password: String,
}

/// A bearer token for the person who signed in (random, stored hashed, revocable by
/// `POST /v1/auth/sign-out`), and who they are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct SignedIn {
    pub token: String,
    #[ts(type = "number")]
    pub token_id: u64,
    pub agent: AgentId,
    pub name: String,
    pub role: herald_core::Role,
}

/// `POST /v1/admin/agents/{id}/invite`: the person's sign-in email.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    pub email: String,
}

/// A one-time set-password code for one person, shown once (only its hash is stored). The
/// admin hands it over as a link; it expires at `expires_at` (ms since the epoch) and works once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct Invite {
    pub agent: AgentId,
    pub email: String,
    pub code: String,
    /// `/v1/auth/set-password` relative to the workspace: where the code is spent.
    pub path: String,
    #[ts(type = "number")]
    pub expires_at: u64,
}

/// `POST /v1/auth/set-password`: spends an invite's code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPasswordRequest {
    pub code: String,
    pub password: String,
}

/// `POST /v1/auth/password`: the signed-in person changes their own password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current: String,
    pub new: String,
}

/// What the workspace holds about a person's sign-in (never the password or its hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct Account {
    pub agent: AgentId,
    pub email: String,
    pub has_password: bool,
    pub disabled: bool,
}

/// One line of the audit log: who (`actor`, none for a failed or anonymous attempt) did what
/// (`action`, e.g. `sign_in`, `token_revoked`, `template_changed`) to what (`target`), when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct AuditEntry {
    #[ts(type = "number")]
    pub id: u64,
    /// Milliseconds since the epoch.
    #[ts(type = "number")]
    pub at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub actor: Option<AgentId>,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub target: Option<String>,
    /// Words for a person (never a password or a token).
    pub detail: String,
    /// The client address the request came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub client: Option<String>,
}

/// `GET /v1/admin/audit`: newest first; `next` is the `before` of the following page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub next: Option<u64>,
}

//! The audit log: who did what and when — sign-ins (and failed ones), tokens, accounts, roles,
//! templates and settings, workstreams, queues, contacts (ids only), web chat widgets and integrations,
//! a supervisor's presence resets and assignments. Append-only in the
//! store (`audit`); an admin reads it at `GET /v1/admin/audit`. A line that cannot be written is
//! logged as an error; the action it describes stands (it already happened).

use crate::store::Store;
use herald_core::AgentId;
use herald_protocol::AuditEntry;
use std::net::IpAddr;

/// Appends one line: `actor` did `action` to `target` (words in `detail`, never a secret).
pub async fn record(store: &Store, actor: Option<AgentId>, client: Option<IpAddr>, action: &str, target: Option<String>, detail: String) {
    let entry = AuditEntry {
        id: 0,
        at: crate::engine::now().0,
        actor,
        action: action.into(),
        target,
        detail,
        client: client.map(|c| c.to_string()),
    };
    if let Err(e) = store.audit(&entry).await {
        tracing::error!(error = %e, action, "the audit log could not be written");
    }
}

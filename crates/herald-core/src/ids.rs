//! Identifiers and time. Ids are plain numbers handed out by the router from one counter, so
//! they are unique across kinds and sort by creation; time is milliseconds since the Unix epoch
//! and always comes from the caller.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema), ts(type = "number"))]
        pub struct $name(pub u64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

id_type!(/// A person who signs in: agent, supervisor or admin.
    AgentId, "agent-");
id_type!(/// One customer request being routed.
    WorkItemId, "item-");
id_type!(/// One notification of one work item to one agent.
    OfferId, "offer-");
id_type!(/// An agent's conversation with a customer, opened on accept.
    SessionId, "session-");
id_type!(/// A queue that work items wait in.
    QueueId, "queue-");
id_type!(/// A workstream: routing mode and which presences may receive work.
    WorkstreamId, "workstream-");
id_type!(/// A customer record (R22).
    ContactId, "contact-");
id_type!(/// One message of a conversation; ids only grow, so they order a transcript.
    MessageId, "message-");

/// Milliseconds since the Unix epoch. The core never reads a clock: every input carries `now`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema), ts(type = "number"))]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// `self` plus `secs` seconds.
    #[must_use]
    pub fn plus_secs(self, secs: u64) -> Self {
        Self(self.0.saturating_add(secs.saturating_mul(1000)))
    }
}

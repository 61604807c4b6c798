//! The supervisors' queue board: per queue, who waits and for how long, the offers out, the
//! members by presence — and the rescue, sending a waiting item to a chosen agent.

use herald_core::{AgentId, BasePresence, Direction, QueueId, WorkItemId};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// `GET /v1/queues/board`: one queue's line on the board. `queue_changed` and
/// `team_agent_changed` events say when to read it again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct QueueBoard {
    pub queue: QueueId,
    pub name: String,
    /// Customers waiting for an agent (`GET /v1/queues/{id}/waiting` lists them).
    pub waiting: u32,
    /// How long the customer who has waited longest has waited, in seconds (0: nobody waits).
    #[ts(type = "number")]
    pub longest_wait_secs: u64,
    /// Offers of this queue's items that agents have not answered yet.
    pub offers_out: u32,
    /// The queue's members by presence, in the order of [`BasePresence`]; only presences
    /// someone has.
    pub agents: Vec<PresenceCount>,
    /// Members with the app connected.
    pub connected: u32,
}

/// How many of a queue's members have this presence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct PresenceCount {
    pub presence: BasePresence,
    pub agents: u32,
}

/// `POST /v1/work-items/{id}/direct`: send a waiting item to this agent, as an offer or assigned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct DirectRequest {
    pub agent: AgentId,
    pub how: Direction,
}

/// What `POST /v1/work-items/{id}/direct` did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct Directed {
    pub work_item: WorkItemId,
    pub agent: AgentId,
    pub how: Direction,
}

//! Supervisors (R25, R30): the team, presence resets, the queue board and who waits, and
//! sending a waiting customer to a chosen agent.

use crate::{Client, Result};
use herald_protocol::*;

impl Client {
    pub async fn team(&self) -> Result<Vec<AgentSummary>> {
        self.get("/v1/team").await
    }

    /// R30: a supervisor resets an agent's presence.
    pub async fn reset_presence_of(&self, agent: AgentId) -> Result<AgentSummary> {
        self.post::<(), _>(&format!("/v1/team/{}/reset-presence", agent.0), None).await
    }

    /// R25: what waits in a queue for an agent, oldest first (supervisors and admins).
    pub async fn waiting(&self, queue: QueueId) -> Result<Vec<WaitingItem>> {
        self.get(&format!("/v1/queues/{}/waiting", queue.0)).await
    }

    /// Supervisors: every queue's line on the board.
    pub async fn board(&self) -> Result<Vec<QueueBoard>> {
        self.get("/v1/queues/board").await
    }

    /// Supervisors: sends a waiting item to `agent`, as an offer or assigned.
    pub async fn direct(&self, item: WorkItemId, agent: AgentId, how: Direction) -> Result<Directed> {
        self.post(&format!("/v1/work-items/{}/direct", item.0), Some(&DirectRequest { agent, how })).await
    }
}

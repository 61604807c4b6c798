//! A supervisor sends a waiting item to a chosen agent (the queue board's rescue): offered as
//! its template says, or assigned outright. Refused — with the reason in words — when the item
//! is no longer waiting, or the agent is Offline, already has an offer to answer, or is at the
//! session maximum (R27). Only supervisors and admins may (R30).

use super::{CoreError, Reply, Router, Timer, WrongState};
use crate::ids::{AgentId, Timestamp, WorkItemId};
use crate::presence::BasePresence;

/// How a directed item reaches the agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum Direction {
    /// An offer per the item's template: the agent accepts or rejects it as any other.
    Offer,
    /// Assigned at once (the session opens on the agent's side, R19-style "Open item").
    Assign,
}

impl Router {
    pub(super) fn direct(
        &mut self,
        now: Timestamp,
        item: WorkItemId,
        agent: AgentId,
        by: AgentId,
        how: Direction,
    ) -> Result<Reply, CoreError> {
        if !self.agent_ref(by)?.role.supervises() {
            return Err(CoreError::NotSupervisor);
        }
        let target = self.agent_ref(agent)?;
        let offline = target.presence.base == BasePresence::Offline;
        let queue = self.items.get(&item).ok_or(CoreError::UnknownWorkItem(item))?.queue;
        if !self.queued.get(&queue).is_some_and(|q| q.contains(&item)) {
            return Err(CoreError::WrongState(WrongState::NotWaiting(item)));
        }
        if offline {
            return Err(CoreError::WrongState(WrongState::AgentOffline(agent)));
        }
        // An offer the agent is answering may become a session too (R27 holds either way).
        let pending = u32::from(self.agent_offer.contains_key(&agent));
        if self.open_sessions(agent) + pending >= self.settings.max_sessions {
            return Err(CoreError::WrongState(WrongState::AgentFull(agent)));
        }
        if how == Direction::Offer && self.agent_offer.contains_key(&agent) {
            return Err(CoreError::WrongState(WrongState::AgentHasOffer(agent)));
        }
        self.unqueue(queue, item);
        self.clear_timer(Timer::Reoffer(item));
        if let Some(i) = self.items.get_mut(&item) {
            i.queued_since = None;
            // The supervisor chose this agent: an earlier decline does not keep it away.
            i.excluded.retain(|a| *a != agent);
        }
        self.offer_to(now, item, agent, how);
        Ok(Reply::WorkItem(item))
    }
}

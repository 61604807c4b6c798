//! Reads: what the workspace shows of the router's state — the team view and the waiting work
//! for supervisors (R25, R30, R34), an agent's sessions and pending offers. No rule lives here;
//! nothing here changes state.

use super::{Router, Timer};
use crate::config::{Contact, Queue, Settings, Template, Workstream};
use crate::ids::{AgentId, OfferId, QueueId, SessionId, Timestamp, WorkItemId};
use crate::model::{Agent, AgentSummary, Offer, Session, WorkItem};

impl Router {
    pub fn settings(&self) -> &Settings {
        &self.settings
    }
    pub fn templates(&self) -> impl Iterator<Item = &Template> {
        self.templates.values()
    }
    pub fn workstreams(&self) -> impl Iterator<Item = &Workstream> {
        self.workstreams.values()
    }
    pub fn queues(&self) -> impl Iterator<Item = &Queue> {
        self.queues.values()
    }
    pub fn queue(&self, id: QueueId) -> Option<&Queue> {
        self.queues.get(&id)
    }
    pub fn contacts(&self) -> impl Iterator<Item = &Contact> {
        self.contacts.values()
    }
    pub fn agent(&self, id: AgentId) -> Option<&Agent> {
        self.agents.get(&id)
    }
    pub fn agents(&self) -> impl Iterator<Item = &Agent> {
        self.agents.values()
    }
    pub fn work_item(&self, id: WorkItemId) -> Option<&WorkItem> {
        self.items.get(&id)
    }
    pub fn work_items(&self) -> impl Iterator<Item = &WorkItem> {
        self.items.values()
    }
    /// A pending offer.
    pub fn offer(&self, id: OfferId) -> Option<&Offer> {
        self.offers.get(&id)
    }
    pub fn offers(&self) -> impl Iterator<Item = &Offer> {
        self.offers.values()
    }
    /// An assigned or open session.
    pub fn session(&self, id: SessionId) -> Option<&Session> {
        self.sessions.get(&id)
    }
    pub fn sessions(&self) -> impl Iterator<Item = &Session> {
        self.sessions.values()
    }
    /// The agent's assigned and open sessions, oldest first.
    pub fn sessions_of(&self, agent: AgentId) -> Vec<&Session> {
        self.agent_sessions.get(&agent).map(|ids| ids.iter().filter_map(|id| self.sessions.get(id)).collect()).unwrap_or_default()
    }
    /// The agent's pending offers (one decision offer at most, plus assignment offers).
    pub fn offers_of(&self, agent: AgentId) -> Vec<&Offer> {
        self.offers.values().filter(|o| o.agent == agent).collect()
    }
    pub fn connected(&self, agent: AgentId) -> bool {
        self.connections.get(&agent).copied().unwrap_or(0) > 0
    }
    pub fn summary(&self, agent: AgentId) -> Option<AgentSummary> {
        let a = self.agents.get(&agent)?;
        Some(AgentSummary {
            id: a.id,
            name: a.name.clone(),
            role: a.role,
            presence: a.presence.clone(),
            banner: a.banner(),
            open_sessions: self.open_sessions(agent),
            pending_offer: self.agent_offer.contains_key(&agent),
            missed_count: a.missed_count,
            rejected_count: a.rejected_count,
            connected: self.connected(agent),
        })
    }
    /// The items waiting in a queue for an agent, the customer who waited longest first;
    /// `None` for an unknown queue (R25).
    pub fn waiting(&self, queue: QueueId) -> Option<Vec<&WorkItem>> {
        self.queues.get(&queue)?;
        let mut items: Vec<&WorkItem> = self.queued.get(&queue).into_iter().flatten().filter_map(|id| self.items.get(id)).collect();
        items.sort_by_key(|i| (i.created_at, i.id));
        Some(items)
    }
    /// When the agents who declined a waiting item may be offered it again (R25).
    pub fn reoffer_at(&self, item: WorkItemId) -> Option<Timestamp> {
        self.timer_at.get(&Timer::Reoffer(item)).copied()
    }
    /// Everyone, for the supervisor's team view (R30, R34).
    pub fn team(&self) -> Vec<AgentSummary> {
        self.agents.keys().filter_map(|id| self.summary(*id)).collect()
    }
}

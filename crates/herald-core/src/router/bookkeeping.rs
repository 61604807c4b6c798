//! Bookkeeping shared by every chapter: one id counter for all kinds, the events and saves of the
//! input being handled, timers, and the ownership checks behind `CoreError::NotYours`. No rule
//! lives here; `finish` tells supervisors about every agent that changed (R30, R34) and every
//! queue whose number of waiting items changed (R25).

use super::{Applied, CoreError, Key, Owned, Reply, Router, Timer};
use crate::ids::{AgentId, OfferId, QueueId, SessionId, Timestamp, WorkItemId};
use crate::model::{Agent, AgentEvent, Offer, Saved, Session};
use std::collections::BTreeSet;

impl Router {
    pub(super) fn alloc(&mut self) -> u64 {
        self.max_id += 1;
        self.max_id
    }

    /// The id the next `alloc` hands out, to check a new record under before anything changes.
    pub(super) fn next_id(&self) -> u64 {
        self.max_id + 1
    }

    pub(super) fn emit(&mut self, agent: AgentId, event: AgentEvent) {
        self.out.events.push((agent, event));
    }

    pub(super) fn touch_agent(&mut self, agent: AgentId) {
        self.dirty.insert(Key::Agent(agent));
        self.team_dirty.insert(agent);
    }

    pub(super) fn set_timer(&mut self, t: Timer, at: Timestamp) {
        if let Some(old) = self.timer_at.insert(t, at) {
            self.timers.remove(&(old, t));
        }
        self.timers.insert((at, t));
    }

    pub(super) fn clear_timer(&mut self, t: Timer) {
        if let Some(old) = self.timer_at.remove(&t) {
            self.timers.remove(&(old, t));
        }
    }

    /// Puts an item on its queue's waiting list.
    pub(super) fn enqueue(&mut self, queue: QueueId, item: WorkItemId) {
        self.note_queue(queue);
        self.queued.entry(queue).or_default().insert(item);
    }

    /// Takes an item off its queue's waiting list; `true` if it was there.
    pub(super) fn unqueue(&mut self, queue: QueueId, item: WorkItemId) -> bool {
        self.note_queue(queue);
        self.queued.get_mut(&queue).is_some_and(|q| q.remove(&item))
    }

    /// Remembers how many waited before the first change of this input, for `finish`.
    fn note_queue(&mut self, queue: QueueId) {
        let n = self.queued.get(&queue).map_or(0, BTreeSet::len);
        self.queues_before.entry(queue).or_insert(n);
    }

    pub(super) fn open_sessions(&self, agent: AgentId) -> u32 {
        self.agent_sessions.get(&agent).map_or(0, |s| s.len() as u32)
    }

    pub(super) fn finish(&mut self, reply: Reply) -> Applied {
        let dirty = std::mem::take(&mut self.dirty);
        for key in dirty {
            let saved = match key {
                Key::Agent(id) => self.agents.get(&id).cloned().map(Saved::Agent),
                Key::Item(id) => self.items.get(&id).cloned().map(Saved::WorkItem),
                Key::Offer(id) => self.offers.get(&id).cloned().map(Saved::Offer),
                Key::Session(id) => self.sessions.get(&id).cloned().map(Saved::Session),
            };
            // Entities that ended this turn were saved when they were dropped.
            if let Some(s) = saved {
                self.out.saves.push(s);
            }
        }
        let team = std::mem::take(&mut self.team_dirty);
        if !self.supervisors.is_empty() {
            for id in team {
                if let Some(summary) = self.summary(id) {
                    let supervisors: Vec<AgentId> = self.supervisors.iter().copied().collect();
                    for s in supervisors {
                        self.emit(s, AgentEvent::TeamAgentChanged(summary.clone()));
                    }
                }
            }
        }
        // An item routed again that still waits changes no count: nobody hears of it.
        let queues = std::mem::take(&mut self.queues_before);
        if !self.supervisors.is_empty() {
            for (queue, before) in queues {
                let n = self.queued.get(&queue).map_or(0, BTreeSet::len);
                if n != before {
                    let supervisors: Vec<AgentId> = self.supervisors.iter().copied().collect();
                    for s in supervisors {
                        self.emit(s, AgentEvent::QueueChanged { queue, waiting: n as u32 });
                    }
                }
            }
        }
        let mut out = std::mem::take(&mut self.out);
        out.reply = Some(reply);
        out
    }

    pub(super) fn agent_ref(&self, id: AgentId) -> Result<&Agent, CoreError> {
        self.agents.get(&id).ok_or(CoreError::UnknownAgent(id))
    }

    pub(super) fn own_offer(&self, agent: AgentId, offer: OfferId) -> Result<&Offer, CoreError> {
        self.agent_ref(agent)?;
        let o = self.offers.get(&offer).ok_or(CoreError::UnknownOffer(offer))?;
        if o.agent != agent {
            return Err(CoreError::NotYours(Owned::Offer(offer)));
        }
        Ok(o)
    }

    pub(super) fn own_session(&self, agent: AgentId, session: SessionId) -> Result<&Session, CoreError> {
        self.agent_ref(agent)?;
        let s = self.sessions.get(&session).ok_or(CoreError::UnknownSession(session))?;
        if s.agent != agent {
            return Err(CoreError::NotYours(Owned::Session(session)));
        }
        Ok(s)
    }
}

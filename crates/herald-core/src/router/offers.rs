//! Offers: an agent accepts (R10; R18 auto-accept; R19 "Open item"), rejects (R28) or sees one;
//! a rejected or missed item goes back to routing without that agent (R25).

use super::routing::Routing;
use super::{CoreError, Key, Reply, Router, Timer, WrongState};
use crate::ids::{AgentId, OfferId, SessionId, Timestamp, WorkItemId};
use crate::model::{AgentEvent, CallState, Offer, OfferAction, OfferState, Saved, Session, SessionState, WorkItemState};
use crate::presence::BlockReason;

impl Router {
    /// Moves a pending offer to its one outcome, tells the agent, and drops it.
    pub(super) fn end_offer(&mut self, now: Timestamp, id: OfferId, state: OfferState) -> Option<Offer> {
        let mut o = self.offers.remove(&id)?;
        self.clear_timer(Timer::Offer(id));
        if self.agent_offer.get(&o.agent) == Some(&id) {
            self.agent_offer.remove(&o.agent);
            self.team_dirty.insert(o.agent);
        }
        o.state = state;
        o.ended_at = Some(now);
        self.emit(o.agent, AgentEvent::OfferEnded { offer: id, work_item: o.work_item, state });
        self.out.saves.push(Saved::Offer(o.clone()));
        Some(o)
    }

    pub(super) fn requeue(&mut self, now: Timestamp, item: WorkItemId, excluded: AgentId) {
        if let Some(i) = self.items.get_mut(&item) {
            i.excluded.insert(excluded);
            i.state = WorkItemState::Queued;
            self.dirty.insert(Key::Item(item));
            self.route(now, item, Routing::Retrying);
        }
    }

    pub(super) fn accept(&mut self, now: Timestamp, agent: AgentId, offer: OfferId) -> Result<Reply, CoreError> {
        let o = self.own_offer(agent, offer)?;
        let assignment = o.is_assignment();
        let item = o.work_item;
        let session = if assignment {
            // R19: "Open item" opens the session that is already assigned.
            let session = match self.items.get(&item).map(|i| &i.state) {
                Some(WorkItemState::Assigned { session, .. }) => *session,
                _ => return Err(CoreError::WrongState(WrongState::NotAssigned(item))),
            };
            self.end_offer(now, offer, OfferState::Accepted);
            self.open_assigned(now, session);
            session
        } else {
            let o = self.end_offer(now, offer, OfferState::Accepted).ok_or(CoreError::UnknownOffer(offer))?;
            self.start_session(now, &o, SessionState::Open)
        };
        // The agent has no offer pending any more: work that waited for them comes now.
        self.drain_for(now, agent);
        Ok(Reply::Session(session))
    }

    pub(super) fn open_assigned(&mut self, now: Timestamp, session: SessionId) {
        if let Some(s) = self.sessions.get_mut(&session) {
            if s.state == SessionState::Assigned {
                s.state = SessionState::Open;
                s.opened_at = Some(now);
                let s = s.clone();
                self.dirty.insert(Key::Session(session));
                self.emit(s.agent, AgentEvent::SessionUpdated(s));
            }
        }
    }

    /// Creates the session for an offer's item and assigns the item to it.
    pub(super) fn start_session(&mut self, now: Timestamp, o: &Offer, state: SessionState) -> SessionId {
        let id = SessionId(self.alloc());
        let context = self.items.get(&o.work_item).map(|i| i.context.clone()).unwrap_or_default();
        let conversation = self.items.get(&o.work_item).and_then(|i| i.conversation);
        let session = Session {
            id,
            work_item: o.work_item,
            agent: o.agent,
            scenario: o.scenario,
            channel: o.channel,
            customer: o.customer.clone(),
            title: o.title.clone(),
            fields: o.fields.clone(),
            context,
            state,
            created_at: now,
            opened_at: (state == SessionState::Open).then_some(now),
            closed_at: None,
            call: o.channel.has_call_controls().then_some(CallState::Connected),
            conversation,
        };
        if let Some(i) = self.items.get_mut(&o.work_item) {
            i.state = WorkItemState::Assigned { session: id, agent: o.agent };
            self.dirty.insert(Key::Item(o.work_item));
        }
        self.agent_sessions.entry(o.agent).or_default().insert(id);
        self.sessions.insert(id, session.clone());
        self.dirty.insert(Key::Session(id));
        self.team_dirty.insert(o.agent);
        self.emit(o.agent, AgentEvent::SessionOpened(session));
        id
    }

    pub(super) fn reject(&mut self, now: Timestamp, agent: AgentId, offer: OfferId) -> Result<Reply, CoreError> {
        let o = self.own_offer(agent, offer)?;
        if !o.actions.contains(&OfferAction::Reject) {
            return Err(CoreError::RejectNotAllowed(offer));
        }
        let Some(o) = self.end_offer(now, offer, OfferState::Rejected) else { return Err(CoreError::UnknownOffer(offer)) };
        if let Some(a) = self.agents.get_mut(&agent) {
            a.rejected_count += 1;
        }
        self.touch_agent(agent);
        if self.settings.agent_reject {
            // R28
            self.block(agent, BlockReason::Rejected);
        }
        self.requeue(now, o.work_item, agent);
        self.drain_for(now, agent);
        Ok(Reply::Done)
    }

    pub(super) fn displayed(&mut self, now: Timestamp, agent: AgentId, offer: OfferId) -> Result<Reply, CoreError> {
        self.own_offer(agent, offer)?;
        let Some(o) = self.offers.get_mut(&offer) else { return Err(CoreError::UnknownOffer(offer)) };
        if o.displayed_at.is_some() {
            return Ok(Reply::Unchanged);
        }
        o.displayed_at = Some(now);
        self.dirty.insert(Key::Offer(offer));
        Ok(Reply::Done)
    }
}

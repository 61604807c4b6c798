//! Sessions: closing and opening them (R19: an assigned case opens on "Open item"), call controls
//! (R21), transfer (R6) and escalation/consult (R7), and items the customer abandoned.

use super::routing::Arrival;
use super::{CoreError, Key, Reply, Router, Timer, TransferKind, WrongState};
use crate::config::{Invalid, Scenario};
use crate::ids::{AgentId, OfferId, QueueId, SessionId, Timestamp, WorkItemId};
use crate::model::{AgentEvent, CallAction, CallState, CloseReason, OfferState, Saved, SessionState, WorkItemState};

impl Router {
    pub(super) fn close_session(&mut self, now: Timestamp, agent: AgentId, session: SessionId) -> Result<Reply, CoreError> {
        self.own_session(agent, session)?;
        self.end_session(now, session, CloseReason::Resolved);
        self.drain_for(now, agent);
        Ok(Reply::Done)
    }

    pub(super) fn open_session(&mut self, now: Timestamp, agent: AgentId, session: SessionId) -> Result<Reply, CoreError> {
        let item = self.own_session(agent, session)?.work_item;
        // Opening the item is what its "Open item" offer asked for.
        let pending: Vec<OfferId> = self
            .offers
            .values()
            .filter(|o| o.work_item == item && o.state == OfferState::Pending && o.is_assignment())
            .map(|o| o.id)
            .collect();
        for o in pending {
            self.end_offer(now, o, OfferState::Accepted);
        }
        self.open_assigned(now, session);
        Ok(Reply::Session(session))
    }

    /// Closes a session and its work item; a pending "Open item" offer for it is withdrawn.
    fn end_session(&mut self, now: Timestamp, session: SessionId, reason: CloseReason) {
        let Some(mut s) = self.sessions.remove(&session) else { return };
        if let Some(set) = self.agent_sessions.get_mut(&s.agent) {
            set.remove(&session);
        }
        let pending: Vec<OfferId> = self.offers.values().filter(|o| o.work_item == s.work_item).map(|o| o.id).collect();
        for o in pending {
            self.end_offer(now, o, OfferState::Withdrawn);
        }
        s.state = SessionState::Closed;
        s.closed_at = Some(now);
        if s.call.is_some() {
            s.call = Some(CallState::Ended);
        }
        self.team_dirty.insert(s.agent);
        self.emit(s.agent, AgentEvent::SessionClosed { session, work_item: s.work_item });
        self.out.saves.push(Saved::Session(s.clone()));
        self.close_item(s.work_item, reason);
    }

    fn close_item(&mut self, item: WorkItemId, reason: CloseReason) {
        if let Some(mut i) = self.items.remove(&item) {
            self.unqueue(i.queue, item);
            self.clear_timer(Timer::Reoffer(item));
            i.state = WorkItemState::Closed { reason };
            self.out.saves.push(Saved::WorkItem(i));
        }
    }

    pub(super) fn call_control(&mut self, agent: AgentId, session: SessionId, action: CallAction) -> Result<Reply, CoreError> {
        let s = self.own_session(agent, session)?;
        if s.state != SessionState::Open {
            return Err(CoreError::WrongState(WrongState::SessionNotOpen(session)));
        }
        let Some(call) = s.call else {
            return Err(CoreError::WrongState(WrongState::NotVoice(session)));
        };
        let next = match (call, action) {
            (CallState::Connected, CallAction::Hold) => CallState::OnHold,
            (CallState::OnHold, CallAction::Resume) => CallState::Connected,
            (CallState::Connected | CallState::OnHold, CallAction::End) => CallState::Ended,
            (CallState::Connected, CallAction::Resume)
            | (CallState::OnHold, CallAction::Hold)
            | (CallState::Ended, CallAction::Hold | CallAction::Resume | CallAction::End) => {
                return Err(CoreError::WrongState(WrongState::Call { action, call }));
            }
        };
        let Some(s) = self.sessions.get_mut(&session) else { return Err(CoreError::UnknownSession(session)) };
        s.call = Some(next);
        let s = s.clone();
        self.dirty.insert(Key::Session(session));
        self.emit(agent, AgentEvent::SessionUpdated(s));
        Ok(Reply::Done)
    }

    pub(super) fn transfer(
        &mut self,
        now: Timestamp,
        agent: AgentId,
        session: SessionId,
        to_queue: Option<QueueId>,
        to_agent: Option<AgentId>,
        kind: TransferKind,
    ) -> Result<Reply, CoreError> {
        let s = self.own_session(agent, session)?;
        if s.state != SessionState::Open {
            return Err(CoreError::WrongState(WrongState::SessionNotOpen(session)));
        }
        let source = self.items.get(&s.work_item).ok_or(CoreError::UnknownWorkItem(s.work_item))?;
        let queue = to_queue.unwrap_or(source.queue);
        if !self.queues.contains_key(&queue) {
            return Err(CoreError::UnknownQueue(queue));
        }
        if let Some(t) = to_agent {
            self.agent_ref(t)?;
            if t == agent {
                return Err(Invalid::new("to_agent", "cannot transfer to yourself").into());
            }
        }
        let from_name = self.agent_ref(agent)?.name.clone();
        let mut context = source.context.clone();
        context.insert("fromAgent".into(), from_name);
        let customer = source.customer.clone();
        let conversation = Some(source.conversation_id());
        // R6, R7: the chat stays a chat (transcript, composer), the call a call (controls).
        let channel = source.channel;
        let scenario = match kind {
            TransferKind::Transfer => {
                self.end_session(now, session, CloseReason::Transferred);
                Scenario::Transfer
            }
            TransferKind::Escalate => Scenario::Escalation,
        };
        let from_agent = Some(agent);
        let arrival = Arrival { scenario, channel, queue, customer, context, target_agent: to_agent, from_agent, conversation };
        let id = self.create_item(now, arrival);
        self.drain_for(now, agent);
        Ok(Reply::WorkItem(id))
    }

    pub(super) fn close_work_item(&mut self, now: Timestamp, item: WorkItemId) -> Result<Reply, CoreError> {
        let i = self.items.get(&item).ok_or(CoreError::UnknownWorkItem(item))?;
        match i.state.clone() {
            WorkItemState::Queued | WorkItemState::Closed { .. } => self.close_item(item, CloseReason::Abandoned),
            WorkItemState::Offered { offer, agent } => {
                self.end_offer(now, offer, OfferState::Withdrawn);
                self.close_item(item, CloseReason::Abandoned);
                self.drain_for(now, agent);
            }
            WorkItemState::Assigned { session, agent } => {
                self.end_session(now, session, CloseReason::Abandoned);
                self.drain_for(now, agent);
            }
        }
        Ok(Reply::Done)
    }
}

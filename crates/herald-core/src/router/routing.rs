//! Routing: requests from channels (R1–R5, R8; R22 links SMS senders to contacts), picking an
//! agent by workstream mode and presence (least busy or round robin), the session maximum (R27)
//! and building the offer from the scenario's template (R9, R14, R17–R20).

use super::messages::check_body;
use super::{CoreError, Direction, Key, NewMessage, NewWorkItem, Reply, Router, Timer};
use crate::channel::Channel;
use crate::config::{Invalid, MAX_NAME_CHARS, RoutingMode, Scenario, Template, check_context, check_text, render};
use crate::ids::{AgentId, OfferId, QueueId, Timestamp, WorkItemId};
use crate::model::{
    AgentEvent, Author, Customer, Offer, OfferAction, OfferField, OfferState, Saved, SessionState, WorkItem, WorkItemState,
};
use crate::presence::BlockReason;
use std::collections::BTreeMap;

/// Why an item is being routed; R27 looks only at items that arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Routing {
    /// A new request, transfer or escalation.
    Arriving,
    /// An item that waited, was rejected or timed out, tried again.
    Retrying,
}

/// A new item as it arrives: from a channel ([`Input::Request`]) or from a transfer or
/// escalation of another (R6, R7), which carries its conversation and channel on.
pub(super) struct Arrival {
    pub scenario: Scenario,
    pub channel: Channel,
    pub queue: QueueId,
    pub customer: Customer,
    pub context: BTreeMap<String, String>,
    pub target_agent: Option<AgentId>,
    /// The agent who transferred or escalated it (R6, R7): never offered it.
    pub from_agent: Option<AgentId>,
    pub conversation: Option<WorkItemId>,
}

impl Router {
    pub(super) fn request(&mut self, now: Timestamp, req: NewWorkItem) -> Result<Reply, CoreError> {
        check_text("customer_name", &req.customer_name, MAX_NAME_CHARS, false)?;
        check_context("context", &req.context)?;
        if !self.queues.contains_key(&req.queue) {
            return Err(CoreError::UnknownQueue(req.queue));
        }
        if let Some(t) = req.target_agent {
            self.agent_ref(t)?;
        }
        // R22: an SMS (or call) from a contact's mobile phone is linked to that contact.
        let contact = req.phone.as_ref().and_then(|p| self.contacts_by_phone.get(p)).and_then(|id| self.contacts.get(id));
        let name = match (req.customer_name.trim(), contact) {
            ("", Some(c)) => c.name.clone(),
            ("", None) => req.phone.as_ref().map_or_else(|| "Customer".to_string(), |p| p.to_string()),
            (n, _) => n.to_string(),
        };
        let customer = Customer { name, phone: req.phone.clone(), contact: contact.map(|c| c.id) };
        let bodies = req.messages.iter().map(|m| check_body(&m.body)).collect::<Result<Vec<_>, _>>()?;
        if req.messages.iter().any(|m| m.author == Author::Agent) {
            return Err(Invalid::new("messages.author", "agents write through their session").into());
        }
        let channel = req.channel.unwrap_or_else(|| req.scenario.default_channel());
        let id = self.create_item(
            now,
            Arrival {
                scenario: req.scenario,
                channel,
                queue: req.queue,
                customer,
                context: req.context,
                target_agent: req.target_agent,
                from_agent: None,
                conversation: None,
            },
        );
        for (m, body) in req.messages.into_iter().zip(bodies) {
            self.add_message(now, id, NewMessage { body, ..m });
        }
        Ok(Reply::WorkItem(id))
    }

    /// Stores a new item (queued) and routes it at once.
    pub(super) fn create_item(&mut self, now: Timestamp, new: Arrival) -> WorkItemId {
        let id = WorkItemId(self.alloc());
        let Arrival { scenario, channel, queue, customer, context, target_agent, from_agent, conversation } = new;
        let item = WorkItem {
            id,
            scenario,
            channel,
            queue,
            customer,
            context,
            target_agent,
            created_at: now,
            state: WorkItemState::Queued,
            excluded: from_agent.into_iter().collect(),
            from_agent,
            queued_since: None,
            conversation,
        };
        self.items.insert(id, item);
        self.dirty.insert(Key::Item(id));
        self.route(now, id, Routing::Arriving);
        id
    }

    /// Offers the item to the best eligible agent, or leaves it queued. Only a new item
    /// ([`Routing::Arriving`]) sends agents at the session maximum to Do Not Disturb (R27).
    /// A waiting item someone declined gets its re-offer timer (R25).
    pub(super) fn route(&mut self, now: Timestamp, item_id: WorkItemId, why: Routing) {
        let Some(item_queue) = self.items.get(&item_id).map(|i| i.queue) else { return };
        let was_waiting = self.unqueue(item_queue, item_id);
        let Some(item) = self.items.get(&item_id) else { return };
        let Some(queue) = self.queues.get(&item.queue) else { return };
        let Some(ws) = self.workstreams.get(&queue.workstream) else { return };
        let candidates: Vec<AgentId> = match item.target_agent {
            Some(t) if !item.excluded.contains(&t) => vec![t],
            _ => queue.members.iter().copied().filter(|a| !item.excluded.contains(a)).collect(),
        };
        let max = self.settings.max_sessions;
        let mut eligible = Vec::new();
        let mut full = Vec::new();
        for a in candidates {
            let Some(agent) = self.agents.get(&a) else { continue };
            if !ws.allows(agent.presence.base) || self.agent_offer.contains_key(&a) {
                continue;
            }
            if self.open_sessions(a) >= max {
                full.push(a);
                continue;
            }
            eligible.push(a);
        }
        let pick = match ws.mode {
            RoutingMode::LeastBusy => eligible.iter().copied().min_by_key(|a| {
                let last = self.agents.get(a).and_then(|x| x.last_offer_at);
                (self.open_sessions(*a), last, *a)
            }),
            RoutingMode::RoundRobin => {
                let last = self.rr_last.get(&queue.id).copied();
                let pos = last.and_then(|l| queue.members.iter().position(|m| *m == l));
                let n = queue.members.len();
                let start = pos.map_or(0, |p| p + 1);
                (0..n).map(|k| queue.members[(start + k) % n]).find(|m| eligible.contains(m))
            }
        };
        let queue_id = queue.id;
        if why == Routing::Arriving {
            for a in full {
                // R27
                self.block(a, BlockReason::MaxSessions);
            }
        }
        match pick {
            Some(agent) => {
                self.rr_last.insert(queue_id, agent);
                self.clear_timer(Timer::Reoffer(item_id));
                if let Some(i) = self.items.get_mut(&item_id) {
                    i.queued_since = None;
                }
                self.offer_to(now, item_id, agent, Direction::Offer);
            }
            None => {
                if let Some(i) = self.items.get_mut(&item_id) {
                    i.state = WorkItemState::Queued;
                    if !was_waiting {
                        i.queued_since = Some(now);
                    }
                }
                self.dirty.insert(Key::Item(item_id));
                self.enqueue(queue_id, item_id);
                self.arm_reoffer(item_id);
            }
        }
    }

    /// Creates the offer per the scenario's template (R9, R14, R17–R20); [`Direction::Assign`]
    /// assigns the item whatever the template says (a supervisor's choice).
    pub(super) fn offer_to(&mut self, now: Timestamp, item_id: WorkItemId, agent: AgentId, how: Direction) {
        let Some(item) = self.items.get(&item_id) else { return };
        let template = self.templates.get(&item.scenario).cloned().unwrap_or_else(|| Template::default_for(item.scenario));
        let mut values = item.context.clone();
        values.insert("customerName".into(), item.customer.name.clone());
        if let Some(p) = &item.customer.phone {
            values.insert("customerPhone".into(), p.to_string());
        }
        values.insert("queueId".into(), item.queue.to_string());
        if let Some(q) = self.queues.get(&item.queue) {
            values.insert("queueName".into(), q.name.clone());
        }
        values.insert("scenario".into(), item.scenario.to_string());
        values.insert("channel".into(), item.channel.to_string());
        let fields = template
            .fields
            .iter()
            .map(|f| OfferField { label: f.label.clone(), value: render(&f.value, &values) })
            .filter(|f| !f.value.is_empty())
            .collect();
        let assignment = how == Direction::Assign || item.scenario == Scenario::Case || template.auto_assign;
        let auto_accept = !assignment && template.auto_accept;
        let actions = if assignment {
            vec![OfferAction::OpenItem]
        } else if template.reject_allowed {
            vec![OfferAction::Accept, OfferAction::Reject]
        } else {
            vec![OfferAction::Accept]
        };
        let (scenario, channel, customer) = (item.scenario, item.channel, item.customer.clone());
        let id = OfferId(self.alloc());
        let deadline = (template.timeout_secs.secs() > 0).then(|| now.plus_secs(template.timeout_secs.secs()));
        let mut offer = Offer {
            id,
            work_item: item_id,
            agent,
            scenario,
            channel,
            kind: template.kind,
            title: render(&template.title, &values),
            fields,
            actions,
            customer,
            created_at: now,
            deadline,
            show_timeout: template.show_timeout,
            desktop_mode: template.desktop_mode,
            displayed_at: None,
            hold_until: None,
            state: OfferState::Pending,
            ended_at: None,
        };
        if let Some(a) = self.agents.get_mut(&agent) {
            a.last_offer_at = Some(now);
        }
        self.touch_agent(agent);
        if auto_accept {
            // R18: accepted for the agent; the notification only informs.
            offer.state = OfferState::Accepted;
            offer.ended_at = Some(now);
            self.emit(agent, AgentEvent::OfferCreated(offer.clone()));
            self.out.saves.push(Saved::Offer(offer.clone()));
            self.start_session(now, &offer, SessionState::Open);
            return;
        }
        self.emit(agent, AgentEvent::OfferCreated(offer.clone()));
        if assignment {
            // R18 auto-assign, R19: assigned now, whatever the notification's fate.
            self.start_session(now, &offer, SessionState::Assigned);
        } else {
            if let Some(i) = self.items.get_mut(&item_id) {
                i.state = WorkItemState::Offered { offer: id, agent };
            }
            self.dirty.insert(Key::Item(item_id));
            self.agent_offer.insert(agent, id);
        }
        if let Some(d) = deadline {
            self.set_timer(Timer::Offer(id), d);
        }
        self.dirty.insert(Key::Offer(id));
        self.offers.insert(id, offer);
    }

    /// Routes waiting items of the agent's queues (the agent may have become free).
    pub(super) fn drain_for(&mut self, now: Timestamp, agent: AgentId) {
        let queues: Vec<QueueId> = self.queues.values().filter(|q| q.members.contains(&agent)).map(|q| q.id).collect();
        for q in queues {
            self.drain_queue(now, q);
        }
    }

    pub(super) fn drain_all(&mut self, now: Timestamp) {
        let queues: Vec<QueueId> = self.queues.keys().copied().collect();
        for q in queues {
            self.drain_queue(now, q);
        }
    }

    pub(super) fn drain_queue(&mut self, now: Timestamp, queue: QueueId) {
        let waiting: Vec<WorkItemId> = self.queued.get(&queue).map(|s| s.iter().copied().collect()).unwrap_or_default();
        for id in waiting {
            self.route(now, id, Routing::Retrying);
            let still_queued = self.queued.get(&queue).is_some_and(|s| s.contains(&id));
            let generic = self.items.get(&id).is_some_and(|i| i.target_agent.is_none() && i.excluded.is_empty());
            if still_queued && generic {
                // Nobody in this queue can take an unrestricted item; later ones fare no better.
                break;
            }
        }
    }
}

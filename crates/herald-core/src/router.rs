//! The router: every routing and presence rule, applied to inputs with an explicit `now`.
//!
//! `Router::handle(now, input)` either refuses the input (nothing changed) or applies it and
//! returns what changed: the events for each agent's log and the new state of every entity to
//! persist. `Router::next_deadline()` says when to feed `Input::Tick` next. The router keeps only
//! live entities (queued/offered/assigned items, pending offers, open sessions); ended ones are
//! returned once, as saves, and dropped.

use crate::config::{Contact, Invalid, PhoneNumber, Queue, RoutingMode, Scenario, Settings, Template, Workstream, render};
use crate::ids::{AgentId, ContactId, MessageId, OfferId, QueueId, SessionId, Timestamp, WorkItemId, WorkstreamId};
use crate::model::{
    Agent, AgentEvent, AgentSummary, Author, CallAction, CallState, CloseReason, Customer, Delivery, Message, Offer, OfferAction,
    OfferField, OfferState, PresenceReason, Saved, Session, SessionState, WorkItem, WorkItemState,
};
use crate::presence::{BasePresence, Block, BlockReason, Presence, Role};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Why the router refused an input. Nothing changed when this is returned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    #[error("no agent {0}")]
    UnknownAgent(AgentId),
    /// Not pending (ended offers are not kept) or never existed.
    #[error("no pending offer {0}")]
    UnknownOffer(OfferId),
    #[error("no open session {0}")]
    UnknownSession(SessionId),
    #[error("no live work item {0}")]
    UnknownWorkItem(WorkItemId),
    #[error("no queue {0}")]
    UnknownQueue(QueueId),
    #[error("no workstream {0}")]
    UnknownWorkstream(WorkstreamId),
    #[error("no contact {0}")]
    UnknownContact(ContactId),
    /// The offer or session belongs to another agent.
    #[error("{0} belongs to another agent")]
    NotYours(String),
    /// Only supervisors and admins act on other agents (R30).
    #[error("only a supervisor can do this for another agent")]
    NotSupervisor,
    /// The template does not allow rejecting this offer (R18, R19).
    #[error("{0} cannot be rejected")]
    RejectNotAllowed(OfferId),
    /// The session or call is not in a state that allows this.
    #[error("{0}")]
    WrongState(String),
    #[error(transparent)]
    Invalid(#[from] Invalid),
}

/// A new customer request from a channel.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewWorkItem {
    pub scenario: Scenario,
    pub queue: QueueId,
    pub customer_name: String,
    pub phone: Option<PhoneNumber>,
    pub context: BTreeMap<String, String>,
    pub target_agent: Option<AgentId>,
    /// What was said before the item was created: an SMS, a bot's transcript (R8).
    #[serde(default)]
    pub messages: Vec<NewMessage>,
}

/// A message from the customer's side of a conversation (customer, bot or system).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewMessage {
    pub author: Author,
    /// Defaults to the customer's name, "Bot" or "Herald".
    pub author_name: Option<String>,
    pub body: String,
    /// The channel's id for it (Twilio `MessageSid`).
    pub external_id: Option<String>,
}

/// The longest message body accepted, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4000;

fn check_body(body: &str) -> Result<String, Invalid> {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return Err(Invalid::new("body", "a message needs some text"));
    }
    if trimmed.chars().count() > MAX_MESSAGE_CHARS {
        return Err(Invalid::new("body", format!("at most {MAX_MESSAGE_CHARS} characters")));
    }
    Ok(trimmed.to_string())
}

/// Create or change an agent record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentSpec {
    pub id: Option<AgentId>,
    pub name: String,
    pub role: Role,
}

/// Everything the router reacts to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// Time passed; fire every deadline up to `now`.
    Tick,
    Request(NewWorkItem),
    Accept {
        agent: AgentId,
        offer: OfferId,
    },
    Reject {
        agent: AgentId,
        offer: OfferId,
    },
    /// The agent app showed the offer (toast or in-app).
    Displayed {
        agent: AgentId,
        offer: OfferId,
    },
    CloseSession {
        agent: AgentId,
        session: SessionId,
    },
    /// R19, R18 auto-assign: the agent opens a session assigned to them, whether or not its
    /// "Open item" offer is still pending (it is accepted) or already timed out.
    OpenSession {
        agent: AgentId,
        session: SessionId,
    },
    CallControl {
        agent: AgentId,
        session: SessionId,
        action: CallAction,
    },
    /// R6 (`escalate` false: the source session closes) and R7 (`escalate` true: it stays open).
    Transfer {
        agent: AgentId,
        session: SessionId,
        to_queue: Option<QueueId>,
        to_agent: Option<AgentId>,
        escalate: bool,
    },
    /// The customer left, or the call was cancelled.
    CloseWorkItem {
        item: WorkItemId,
    },
    /// The customer (or a bot, or the system) said something in a live conversation (by its id:
    /// the id of its first work item).
    CustomerMessage {
        conversation: WorkItemId,
        message: NewMessage,
    },
    /// The agent said something in their open session; `delivery` when the channel delivers
    /// it separately (SMS).
    AgentMessage {
        agent: AgentId,
        session: SessionId,
        body: String,
        delivery: Option<Delivery>,
    },
    /// An outbound message's delivery moved on; carries the whole message as it is now.
    MessageDelivery(Message),
    SetPresence {
        agent: AgentId,
        presence: Presence,
    },
    /// R29/R30: back to the presence from before the system changed it.
    ResetPresence {
        agent: AgentId,
        by: AgentId,
    },
    /// An event stream of this agent's app opened (or a poll began).
    Connected {
        agent: AgentId,
    },
    /// … and closed (or the poll ended).
    Disconnected {
        agent: AgentId,
    },
    UpsertAgent(AgentSpec),
    PutTemplate(Template),
    PutSettings(Settings),
    UpsertWorkstream(Workstream),
    UpsertQueue(Queue),
    UpsertContact(Contact),
}

/// What the caller gets back besides the changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    Done,
    /// The input was valid but changed nothing (e.g. resetting an agent who is not blocked).
    Unchanged,
    WorkItem(WorkItemId),
    Session(SessionId),
    Agent(AgentId),
    Workstream(WorkstreamId),
    Queue(QueueId),
    Contact(ContactId),
    Message(MessageId),
}

/// The result of one accepted input: persist `saves` and append `events` in one transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub reply: Option<Reply>,
    pub events: Vec<(AgentId, AgentEvent)>,
    pub saves: Vec<Saved>,
}

/// What the router was when it was last persisted; `Router::restore` rebuilds from it.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub settings: Settings,
    pub templates: Vec<Template>,
    pub workstreams: Vec<Workstream>,
    pub queues: Vec<Queue>,
    pub contacts: Vec<Contact>,
    pub agents: Vec<Agent>,
    /// Items that are not closed.
    pub work_items: Vec<WorkItem>,
    /// Pending offers.
    pub offers: Vec<Offer>,
    /// Sessions that are not closed.
    pub sessions: Vec<Session>,
    /// The highest id ever handed out.
    pub max_id: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Timer {
    Offer(OfferId),
    Disconnect(AgentId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Key {
    Agent(AgentId),
    Item(WorkItemId),
    Offer(OfferId),
    Session(SessionId),
}

/// The routing state machine. See the module docs.
#[derive(Debug, Default)]
pub struct Router {
    settings: Settings,
    templates: BTreeMap<Scenario, Template>,
    workstreams: BTreeMap<WorkstreamId, Workstream>,
    queues: BTreeMap<QueueId, Queue>,
    contacts: BTreeMap<ContactId, Contact>,
    contacts_by_phone: HashMap<PhoneNumber, ContactId>,
    agents: BTreeMap<AgentId, Agent>,
    items: BTreeMap<WorkItemId, WorkItem>,
    offers: BTreeMap<OfferId, Offer>,
    sessions: BTreeMap<SessionId, Session>,
    /// The one pending decision offer per agent (assignment offers do not hold the agent).
    agent_offer: HashMap<AgentId, OfferId>,
    agent_sessions: HashMap<AgentId, BTreeSet<SessionId>>,
    queued: BTreeMap<QueueId, BTreeSet<WorkItemId>>,
    timers: BTreeSet<(Timestamp, Timer)>,
    timer_at: HashMap<Timer, Timestamp>,
    rr_last: HashMap<QueueId, AgentId>,
    connections: HashMap<AgentId, u32>,
    /// Who hears about team changes (R30, R34): supervisors and admins.
    supervisors: BTreeSet<AgentId>,
    max_id: u64,
    // What the input being handled changed.
    dirty: BTreeSet<Key>,
    team_dirty: BTreeSet<AgentId>,
    out: Applied,
}

impl Router {
    /// An empty workspace with default settings and a default template per scenario.
    pub fn new() -> Self {
        Self::restore(Timestamp(0), Snapshot::default())
    }

    /// Rebuilds the router from persisted state. Pending offers are re-armed (expired ones fire on
    /// the next tick) and agents who were not Offline get the disconnect grace to come back.
    pub fn restore(now: Timestamp, snap: Snapshot) -> Self {
        let mut r = Router { settings: snap.settings, max_id: snap.max_id, ..Router::default() };
        for s in Scenario::ALL {
            r.templates.insert(s, Template::default_for(s));
        }
        for t in snap.templates {
            r.templates.insert(t.scenario, t);
        }
        r.workstreams = snap.workstreams.into_iter().map(|w| (w.id, w)).collect();
        r.queues = snap.queues.into_iter().map(|q| (q.id, q)).collect();
        for c in snap.contacts {
            if let Some(p) = &c.mobile_phone {
                r.contacts_by_phone.insert(p.clone(), c.id);
            }
            r.contacts.insert(c.id, c);
        }
        r.agents = snap.agents.into_iter().map(|a| (a.id, a)).collect();
        r.supervisors = r.agents.values().filter(|a| a.role.supervises()).map(|a| a.id).collect();
        for s in snap.sessions {
            if s.counts_towards_max() {
                r.agent_sessions.entry(s.agent).or_default().insert(s.id);
                r.sessions.insert(s.id, s);
            }
        }
        for o in snap.offers {
            if o.state == OfferState::Pending {
                if !o.is_assignment() {
                    r.agent_offer.insert(o.agent, o.id);
                }
                if let Some(at) = o.due_at() {
                    r.set_timer(Timer::Offer(o.id), at);
                }
                r.offers.insert(o.id, o);
            }
        }
        for i in snap.work_items {
            if matches!(i.state, WorkItemState::Queued) {
                r.queued.entry(i.queue).or_default().insert(i.id);
            }
            r.items.insert(i.id, i);
        }
        let grace = u64::from(r.settings.disconnect_grace_secs);
        let present: Vec<AgentId> = r.agents.values().filter(|a| a.presence.base != BasePresence::Offline).map(|a| a.id).collect();
        for a in present {
            r.set_timer(Timer::Disconnect(a), now.plus_secs(grace));
        }
        r
    }

    /// When `Input::Tick` must be handled next, if anything is waiting.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        self.timers.first().map(|(t, _)| *t)
    }

    /// Applies one input. On `Err` nothing changed.
    pub fn handle(&mut self, now: Timestamp, input: Input) -> Result<Applied, CoreError> {
        let reply = match input {
            Input::Tick => {
                self.tick(now);
                Reply::Done
            }
            Input::Request(req) => self.request(now, req)?,
            Input::Accept { agent, offer } => self.accept(now, agent, offer)?,
            Input::Reject { agent, offer } => self.reject(now, agent, offer)?,
            Input::Displayed { agent, offer } => self.displayed(now, agent, offer)?,
            Input::CloseSession { agent, session } => self.close_session(now, agent, session)?,
            Input::OpenSession { agent, session } => self.open_session(now, agent, session)?,
            Input::CallControl { agent, session, action } => self.call_control(agent, session, action)?,
            Input::Transfer { agent, session, to_queue, to_agent, escalate } => {
                self.transfer(now, agent, session, to_queue, to_agent, escalate)?
            }
            Input::CloseWorkItem { item } => self.close_work_item(now, item)?,
            Input::CustomerMessage { conversation, message } => self.customer_message(now, conversation, message)?,
            Input::AgentMessage { agent, session, body, delivery } => self.agent_message(now, agent, session, &body, delivery)?,
            Input::MessageDelivery(m) => self.message_delivery(m)?,
            Input::SetPresence { agent, presence } => self.set_presence(now, agent, presence)?,
            Input::ResetPresence { agent, by } => self.reset_presence(now, agent, by)?,
            Input::Connected { agent } => self.on_connected(now, agent)?,
            Input::Disconnected { agent } => self.on_disconnected(now, agent)?,
            Input::UpsertAgent(spec) => self.upsert_agent(spec)?,
            Input::PutTemplate(t) => {
                t.validate()?;
                self.templates.insert(t.scenario, t.clone());
                self.out.saves.push(Saved::Template(t));
                Reply::Done
            }
            Input::PutSettings(s) => {
                s.validate()?;
                self.settings = s.clone();
                self.out.saves.push(Saved::Settings(s));
                self.drain_all(now);
                Reply::Done
            }
            Input::UpsertWorkstream(w) => self.upsert_workstream(now, w)?,
            Input::UpsertQueue(q) => self.upsert_queue(now, q)?,
            Input::UpsertContact(c) => self.upsert_contact(c)?,
        };
        Ok(self.finish(reply))
    }

    // ----- reads -----

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
    /// Everyone, for the supervisor's team view (R30, R34).
    pub fn team(&self) -> Vec<AgentSummary> {
        self.agents.keys().filter_map(|id| self.summary(*id)).collect()
    }

    // ----- bookkeeping -----

    fn alloc(&mut self) -> u64 {
        self.max_id += 1;
        self.max_id
    }

    fn emit(&mut self, agent: AgentId, event: AgentEvent) {
        self.out.events.push((agent, event));
    }

    fn touch_agent(&mut self, agent: AgentId) {
        self.dirty.insert(Key::Agent(agent));
        self.team_dirty.insert(agent);
    }

    fn set_timer(&mut self, t: Timer, at: Timestamp) {
        if let Some(old) = self.timer_at.insert(t, at) {
            self.timers.remove(&(old, t));
        }
        self.timers.insert((at, t));
    }

    fn clear_timer(&mut self, t: Timer) {
        if let Some(old) = self.timer_at.remove(&t) {
            self.timers.remove(&(old, t));
        }
    }

    fn open_sessions(&self, agent: AgentId) -> u32 {
        self.agent_sessions.get(&agent).map_or(0, |s| s.len() as u32)
    }

    fn finish(&mut self, reply: Reply) -> Applied {
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
        let mut out = std::mem::take(&mut self.out);
        out.reply = Some(reply);
        out
    }

    fn agent_ref(&self, id: AgentId) -> Result<&Agent, CoreError> {
        self.agents.get(&id).ok_or(CoreError::UnknownAgent(id))
    }

    fn own_offer(&self, agent: AgentId, offer: OfferId) -> Result<&Offer, CoreError> {
        self.agent_ref(agent)?;
        let o = self.offers.get(&offer).ok_or(CoreError::UnknownOffer(offer))?;
        if o.agent != agent {
            return Err(CoreError::NotYours(offer.to_string()));
        }
        Ok(o)
    }

    fn own_session(&self, agent: AgentId, session: SessionId) -> Result<&Session, CoreError> {
        self.agent_ref(agent)?;
        let s = self.sessions.get(&session).ok_or(CoreError::UnknownSession(session))?;
        if s.agent != agent {
            return Err(CoreError::NotYours(session.to_string()));
        }
        Ok(s)
    }

    // ----- presence -----

    fn change_presence(&mut self, agent: AgentId, presence: Presence, reason: PresenceReason) {
        let Some(a) = self.agents.get_mut(&agent) else { return };
        if a.presence == presence {
            return;
        }
        a.presence = presence.clone();
        self.touch_agent(agent);
        self.emit(agent, AgentEvent::PresenceChanged { presence, reason });
    }

    /// The system takes the agent out of routing (R24, R27, R28, disconnect). An agent already
    /// held keeps the first reason and the presence to go back to.
    fn block(&mut self, agent: AgentId, reason: BlockReason) {
        let Some(a) = self.agents.get_mut(&agent) else { return };
        if a.block.is_some() {
            return;
        }
        a.block = Some(Block { reason, restore_to: a.presence.clone() });
        let banner = a.banner();
        self.touch_agent(agent);
        let reason_kind = if reason == BlockReason::Disconnected { PresenceReason::Connection } else { PresenceReason::System };
        self.change_presence(agent, Presence::base(reason.presence()), reason_kind);
        if let Some(b) = banner {
            self.emit(agent, AgentEvent::BannerRaised(b));
        }
    }

    /// Ends a block: back to the presence from before it (R29).
    fn unblock(&mut self, now: Timestamp, agent: AgentId, reason: PresenceReason) {
        let Some(a) = self.agents.get_mut(&agent) else { return };
        let Some(block) = a.block.take() else { return };
        self.touch_agent(agent);
        if block.reason.banner_message().is_some() {
            self.emit(agent, AgentEvent::BannerCleared);
        }
        self.change_presence(agent, block.restore_to, reason);
        self.drain_for(now, agent);
    }

    fn set_presence(&mut self, now: Timestamp, agent: AgentId, presence: Presence) -> Result<Reply, CoreError> {
        self.agent_ref(agent)?;
        let presence = self.check_presence(presence)?;
        let a = self.agents.get_mut(&agent).ok_or(CoreError::UnknownAgent(agent))?;
        if let Some(block) = a.block.take() {
            self.touch_agent(agent);
            if block.reason.banner_message().is_some() {
                self.emit(agent, AgentEvent::BannerCleared);
            }
        }
        self.change_presence(agent, presence, PresenceReason::Agent);
        self.drain_for(now, agent);
        Ok(Reply::Done)
    }

    /// A custom presence must exist; its base comes from its definition (R31).
    fn check_presence(&self, p: Presence) -> Result<Presence, CoreError> {
        match &p.custom {
            None => Ok(p),
            Some(name) => self
                .settings
                .custom_presences
                .iter()
                .find(|c| &c.name == name)
                .map(|c| Presence { base: c.base, custom: Some(c.name.clone()) })
                .ok_or_else(|| Invalid::new("presence.custom", format!("no custom presence named {name:?}")).into()),
        }
    }

    fn reset_presence(&mut self, now: Timestamp, agent: AgentId, by: AgentId) -> Result<Reply, CoreError> {
        let actor = self.agent_ref(by)?;
        if by != agent && !actor.role.supervises() {
            return Err(CoreError::NotSupervisor);
        }
        let target = self.agent_ref(agent)?;
        if target.block.is_none() {
            return Ok(Reply::Unchanged);
        }
        self.unblock(now, agent, PresenceReason::Reset);
        Ok(Reply::Done)
    }

    fn on_connected(&mut self, now: Timestamp, agent: AgentId) -> Result<Reply, CoreError> {
        self.agent_ref(agent)?;
        let n = self.connections.entry(agent).or_insert(0);
        *n += 1;
        // Connection flaps (every poll is one) are not worth a log entry for supervisors; the
        // team view reads `connected` when it is fetched, and going Offline is an event.
        self.clear_timer(Timer::Disconnect(agent));
        let was_disconnected =
            self.agents.get(&agent).and_then(|a| a.block.as_ref()).is_some_and(|b| b.reason == BlockReason::Disconnected);
        if was_disconnected {
            self.unblock(now, agent, PresenceReason::Connection);
        }
        Ok(Reply::Done)
    }

    fn on_disconnected(&mut self, now: Timestamp, agent: AgentId) -> Result<Reply, CoreError> {
        self.agent_ref(agent)?;
        let n = self.connections.entry(agent).or_insert(0);
        *n = n.saturating_sub(1);
        if *n == 0 {
            self.connections.remove(&agent);
            let grace = u64::from(self.settings.disconnect_grace_secs);
            self.set_timer(Timer::Disconnect(agent), now.plus_secs(grace));
        }
        Ok(Reply::Done)
    }

    /// The disconnect grace ran out: the system marks the agent unavailable (R26).
    fn disconnect_expired(&mut self, now: Timestamp, agent: AgentId) {
        if self.connected(agent) {
            return;
        }
        let offline = self.agents.get(&agent).is_none_or(|a| a.presence.base == BasePresence::Offline);
        if !offline {
            self.block(agent, BlockReason::Disconnected);
        }
        if self.settings.reroute_unseen_immediately {
            if let Some(offer) = self.agent_offer.get(&agent).copied() {
                if self.offers.get(&offer).is_some_and(|o| o.displayed_at.is_none()) {
                    self.expire_offer(now, offer);
                }
            }
        }
    }

    // ----- time -----

    fn tick(&mut self, now: Timestamp) {
        while let Some(&(at, timer)) = self.timers.first() {
            if at > now {
                break;
            }
            self.timers.pop_first();
            self.timer_at.remove(&timer);
            match timer {
                Timer::Offer(id) => self.offer_due(now, id),
                Timer::Disconnect(agent) => self.disconnect_expired(now, agent),
            }
        }
    }

    fn offer_due(&mut self, now: Timestamp, id: OfferId) {
        let Some(o) = self.offers.get(&id) else { return };
        if o.is_assignment() {
            // R19: the item stays assigned whatever happens to the notification.
            self.end_offer(now, id, OfferState::TimedOut);
            return;
        }
        let unseen = o.displayed_at.is_none() && o.hold_until.is_none() && !self.connected(o.agent);
        if unseen && !self.settings.reroute_unseen_immediately && self.settings.unseen_redirect_secs > 0 {
            // R26: the agent never saw it and is gone; the item is redirected later.
            let base = o.deadline.unwrap_or(now);
            let hold = base.plus_secs(u64::from(self.settings.unseen_redirect_secs));
            if let Some(o) = self.offers.get_mut(&id) {
                o.hold_until = Some(hold);
            }
            self.dirty.insert(Key::Offer(id));
            self.set_timer(Timer::Offer(id), hold);
            return;
        }
        self.expire_offer(now, id);
    }

    /// R24 + R25: the offer timed out; the agent may go Inactive; the item routes on.
    fn expire_offer(&mut self, now: Timestamp, id: OfferId) {
        let Some(offer) = self.end_offer(now, id, OfferState::TimedOut) else { return };
        let agent = offer.agent;
        if let Some(a) = self.agents.get_mut(&agent) {
            a.missed_count += 1;
        }
        self.touch_agent(agent);
        if self.settings.missed_notifications {
            self.block(agent, BlockReason::Missed);
        }
        self.requeue(now, offer.work_item, agent);
        self.drain_for(now, agent);
    }

    // ----- offers -----

    /// Moves a pending offer to its one outcome, tells the agent, and drops it.
    fn end_offer(&mut self, now: Timestamp, id: OfferId, state: OfferState) -> Option<Offer> {
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

    fn requeue(&mut self, now: Timestamp, item: WorkItemId, excluded: AgentId) {
        if let Some(i) = self.items.get_mut(&item) {
            i.excluded.insert(excluded);
            i.state = WorkItemState::Queued;
            self.dirty.insert(Key::Item(item));
            self.route(now, item, false);
        }
    }

    fn accept(&mut self, now: Timestamp, agent: AgentId, offer: OfferId) -> Result<Reply, CoreError> {
        let o = self.own_offer(agent, offer)?;
        let assignment = o.is_assignment();
        let item = o.work_item;
        let session = if assignment {
            // R19: "Open item" opens the session that is already assigned.
            let session = match self.items.get(&item).map(|i| &i.state) {
                Some(WorkItemState::Assigned { session, .. }) => *session,
                _ => return Err(CoreError::WrongState(format!("{item} is not assigned"))),
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

    fn open_assigned(&mut self, now: Timestamp, session: SessionId) {
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
    fn start_session(&mut self, now: Timestamp, o: &Offer, state: SessionState) -> SessionId {
        let id = SessionId(self.alloc());
        let context = self.items.get(&o.work_item).map(|i| i.context.clone()).unwrap_or_default();
        let conversation = self.items.get(&o.work_item).and_then(|i| i.conversation);
        let session = Session {
            id,
            work_item: o.work_item,
            agent: o.agent,
            scenario: o.scenario,
            customer: o.customer.clone(),
            title: o.title.clone(),
            fields: o.fields.clone(),
            context,
            state,
            created_at: now,
            opened_at: (state == SessionState::Open).then_some(now),
            closed_at: None,
            call: o.scenario.is_voice().then_some(CallState::Connected),
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

    fn reject(&mut self, now: Timestamp, agent: AgentId, offer: OfferId) -> Result<Reply, CoreError> {
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

    fn displayed(&mut self, now: Timestamp, agent: AgentId, offer: OfferId) -> Result<Reply, CoreError> {
        self.own_offer(agent, offer)?;
        let Some(o) = self.offers.get_mut(&offer) else { return Err(CoreError::UnknownOffer(offer)) };
        if o.displayed_at.is_some() {
            return Ok(Reply::Unchanged);
        }
        o.displayed_at = Some(now);
        self.dirty.insert(Key::Offer(offer));
        Ok(Reply::Done)
    }

    // ----- sessions -----

    fn close_session(&mut self, now: Timestamp, agent: AgentId, session: SessionId) -> Result<Reply, CoreError> {
        self.own_session(agent, session)?;
        self.end_session(now, session, CloseReason::Resolved);
        self.drain_for(now, agent);
        Ok(Reply::Done)
    }

    fn open_session(&mut self, now: Timestamp, agent: AgentId, session: SessionId) -> Result<Reply, CoreError> {
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
            if let Some(q) = self.queued.get_mut(&i.queue) {
                q.remove(&item);
            }
            i.state = WorkItemState::Closed { reason };
            self.out.saves.push(Saved::WorkItem(i));
        }
    }

    fn call_control(&mut self, agent: AgentId, session: SessionId, action: CallAction) -> Result<Reply, CoreError> {
        let s = self.own_session(agent, session)?;
        if s.state != SessionState::Open {
            return Err(CoreError::WrongState(format!("{session} is not open")));
        }
        let Some(call) = s.call else {
            return Err(CoreError::WrongState(format!("{session} is not a voice session")));
        };
        let next = match (call, action) {
            (CallState::Connected, CallAction::Hold) => CallState::OnHold,
            (CallState::OnHold, CallAction::Resume) => CallState::Connected,
            (CallState::Connected | CallState::OnHold, CallAction::End) => CallState::Ended,
            (CallState::Connected, CallAction::Resume)
            | (CallState::OnHold, CallAction::Hold)
            | (CallState::Ended, CallAction::Hold | CallAction::Resume | CallAction::End) => {
                return Err(CoreError::WrongState(format!("cannot {action:?} a call that is {call:?}")));
            }
        };
        let Some(s) = self.sessions.get_mut(&session) else { return Err(CoreError::UnknownSession(session)) };
        s.call = Some(next);
        let s = s.clone();
        self.dirty.insert(Key::Session(session));
        self.emit(agent, AgentEvent::SessionUpdated(s));
        Ok(Reply::Done)
    }

    fn transfer(
        &mut self,
        now: Timestamp,
        agent: AgentId,
        session: SessionId,
        to_queue: Option<QueueId>,
        to_agent: Option<AgentId>,
        escalate: bool,
    ) -> Result<Reply, CoreError> {
        let s = self.own_session(agent, session)?;
        if s.state != SessionState::Open {
            return Err(CoreError::WrongState(format!("{session} is not open")));
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
        let scenario = if escalate { Scenario::Escalation } else { Scenario::Transfer };
        if !escalate {
            self.end_session(now, session, CloseReason::Transferred);
        }
        let mut excluded = BTreeSet::new();
        excluded.insert(agent);
        let id = self.create_item(now, scenario, queue, customer, context, to_agent, excluded, conversation);
        self.drain_for(now, agent);
        Ok(Reply::WorkItem(id))
    }

    fn close_work_item(&mut self, now: Timestamp, item: WorkItemId) -> Result<Reply, CoreError> {
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

    // ----- messages -----

    /// The live items of a conversation (several while an escalation/consult runs, R7).
    pub fn conversation_items(&self, conversation: WorkItemId) -> impl Iterator<Item = &WorkItem> {
        self.items.values().filter(move |i| i.conversation_id() == conversation)
    }

    /// The agents holding a session of the conversation.
    fn holders(&self, conversation: WorkItemId) -> BTreeSet<AgentId> {
        self.conversation_items(conversation)
            .filter_map(|i| match i.state {
                WorkItemState::Assigned { agent, .. } => Some(agent),
                WorkItemState::Queued | WorkItemState::Offered { .. } | WorkItemState::Closed { .. } => None,
            })
            .collect()
    }

    fn publish_message(&mut self, message: Message, updated: bool) {
        for agent in self.holders(message.work_item) {
            let event = if updated { AgentEvent::MessageUpdated(message.clone()) } else { AgentEvent::MessageAdded(message.clone()) };
            self.emit(agent, event);
        }
        self.out.saves.push(Saved::Message(message));
    }

    /// Records a message of a live conversation and tells the agents holding it.
    fn add_message(&mut self, now: Timestamp, conversation: WorkItemId, m: NewMessage) -> MessageId {
        let id = MessageId(self.alloc());
        let default_name = match m.author {
            Author::Customer => self.conversation_items(conversation).next().map_or_else(|| "Customer".into(), |i| i.customer.name.clone()),
            Author::Bot => "Bot".into(),
            Author::System | Author::Agent => "Herald".into(),
        };
        let message = Message {
            id,
            work_item: conversation,
            author: m.author,
            author_name: m.author_name.filter(|n| !n.trim().is_empty()).unwrap_or(default_name),
            body: m.body,
            at: now,
            delivery: None,
            external_id: m.external_id,
        };
        self.publish_message(message, false);
        id
    }

    fn customer_message(&mut self, now: Timestamp, conversation: WorkItemId, m: NewMessage) -> Result<Reply, CoreError> {
        if self.conversation_items(conversation).next().is_none() {
            return Err(CoreError::UnknownWorkItem(conversation));
        }
        if m.author == Author::Agent {
            return Err(Invalid::new("author", "agents write through their session").into());
        }
        let body = check_body(&m.body)?;
        Ok(Reply::Message(self.add_message(now, conversation, NewMessage { body, ..m })))
    }

    fn agent_message(
        &mut self,
        now: Timestamp,
        agent: AgentId,
        session: SessionId,
        body: &str,
        delivery: Option<Delivery>,
    ) -> Result<Reply, CoreError> {
        let s = self.own_session(agent, session)?;
        if s.state != SessionState::Open {
            return Err(CoreError::WrongState(format!("{session} is not open")));
        }
        let conversation = self.items.get(&s.work_item).map_or(s.work_item, WorkItem::conversation_id);
        let body = check_body(body)?;
        let id = MessageId(self.alloc());
        let author_name = self.agent_ref(agent)?.name.clone();
        let message =
            Message { id, work_item: conversation, author: Author::Agent, author_name, body, at: now, delivery, external_id: None };
        self.publish_message(message, false);
        Ok(Reply::Message(id))
    }

    fn message_delivery(&mut self, m: Message) -> Result<Reply, CoreError> {
        if m.delivery.is_none() {
            return Err(Invalid::new("delivery", "a delivery update needs a delivery").into());
        }
        self.publish_message(m, true);
        Ok(Reply::Done)
    }

    // ----- routing -----

    fn request(&mut self, now: Timestamp, req: NewWorkItem) -> Result<Reply, CoreError> {
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
        let id = self.create_item(now, req.scenario, req.queue, customer, req.context, req.target_agent, BTreeSet::new(), None);
        for (m, body) in req.messages.into_iter().zip(bodies) {
            self.add_message(now, id, NewMessage { body, ..m });
        }
        Ok(Reply::WorkItem(id))
    }

    #[allow(clippy::too_many_arguments)]
    fn create_item(
        &mut self,
        now: Timestamp,
        scenario: Scenario,
        queue: QueueId,
        customer: Customer,
        context: BTreeMap<String, String>,
        target_agent: Option<AgentId>,
        excluded: BTreeSet<AgentId>,
        conversation: Option<WorkItemId>,
    ) -> WorkItemId {
        let id = WorkItemId(self.alloc());
        let item = WorkItem {
            id,
            scenario,
            queue,
            customer,
            context,
            target_agent,
            created_at: now,
            state: WorkItemState::Queued,
            excluded,
            conversation,
        };
        self.items.insert(id, item);
        self.dirty.insert(Key::Item(id));
        self.route(now, id, true);
        id
    }

    /// Offers the item to the best eligible agent, or leaves it queued. `arriving` marks a new
    /// item: only then do agents at the session maximum go Do Not Disturb (R27).
    fn route(&mut self, now: Timestamp, item_id: WorkItemId, arriving: bool) {
        let Some(item) = self.items.get(&item_id) else { return };
        if let Some(q) = self.queued.get_mut(&item.queue) {
            q.remove(&item_id);
        }
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
        if arriving {
            for a in full {
                // R27
                self.block(a, BlockReason::MaxSessions);
            }
        }
        match pick {
            Some(agent) => {
                self.rr_last.insert(queue_id, agent);
                self.offer_to(now, item_id, agent);
            }
            None => {
                if let Some(i) = self.items.get_mut(&item_id) {
                    i.state = WorkItemState::Queued;
                }
                self.dirty.insert(Key::Item(item_id));
                self.queued.entry(queue_id).or_default().insert(item_id);
            }
        }
    }

    /// Creates the offer per the scenario's template (R9, R14, R17–R20).
    fn offer_to(&mut self, now: Timestamp, item_id: WorkItemId, agent: AgentId) {
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
        let fields = template
            .fields
            .iter()
            .map(|f| OfferField { label: f.label.clone(), value: render(&f.value, &values) })
            .filter(|f| !f.value.is_empty())
            .collect();
        let assignment = item.scenario == Scenario::Case || template.auto_assign;
        let auto_accept = !assignment && template.auto_accept;
        let actions = if assignment {
            vec![OfferAction::OpenItem]
        } else if template.reject_allowed {
            vec![OfferAction::Accept, OfferAction::Reject]
        } else {
            vec![OfferAction::Accept]
        };
        let (scenario, customer) = (item.scenario, item.customer.clone());
        let id = OfferId(self.alloc());
        let deadline = (template.timeout_secs.secs() > 0).then(|| now.plus_secs(template.timeout_secs.secs()));
        let mut offer = Offer {
            id,
            work_item: item_id,
            agent,
            scenario,
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
    fn drain_for(&mut self, now: Timestamp, agent: AgentId) {
        let queues: Vec<QueueId> = self.queues.values().filter(|q| q.members.contains(&agent)).map(|q| q.id).collect();
        for q in queues {
            self.drain_queue(now, q);
        }
    }

    fn drain_all(&mut self, now: Timestamp) {
        let queues: Vec<QueueId> = self.queues.keys().copied().collect();
        for q in queues {
            self.drain_queue(now, q);
        }
    }

    fn drain_queue(&mut self, now: Timestamp, queue: QueueId) {
        let waiting: Vec<WorkItemId> = self.queued.get(&queue).map(|s| s.iter().copied().collect()).unwrap_or_default();
        for id in waiting {
            self.route(now, id, false);
            let still_queued = self.queued.get(&queue).is_some_and(|s| s.contains(&id));
            let generic = self.items.get(&id).is_some_and(|i| i.target_agent.is_none() && i.excluded.is_empty());
            if still_queued && generic {
                // Nobody in this queue can take an unrestricted item; later ones fare no better.
                break;
            }
        }
    }

    // ----- administration -----

    fn upsert_agent(&mut self, spec: AgentSpec) -> Result<Reply, CoreError> {
        if spec.name.trim().is_empty() {
            return Err(Invalid::new("name", "must not be empty").into());
        }
        let id = match spec.id {
            Some(id) => {
                let a = self.agents.get_mut(&id).ok_or(CoreError::UnknownAgent(id))?;
                a.name = spec.name;
                a.role = spec.role;
                id
            }
            None => {
                let id = AgentId(self.alloc());
                self.agents.insert(id, Agent::new(id, spec.name, spec.role));
                id
            }
        };
        if spec.role.supervises() {
            self.supervisors.insert(id);
        } else {
            self.supervisors.remove(&id);
        }
        self.touch_agent(id);
        Ok(Reply::Agent(id))
    }

    fn upsert_workstream(&mut self, now: Timestamp, mut w: Workstream) -> Result<Reply, CoreError> {
        w.validate()?;
        if w.id.0 == 0 {
            w.id = WorkstreamId(self.alloc());
        } else if !self.workstreams.contains_key(&w.id) {
            return Err(CoreError::UnknownWorkstream(w.id));
        }
        let id = w.id;
        self.workstreams.insert(id, w.clone());
        self.out.saves.push(Saved::Workstream(w));
        self.drain_all(now);
        Ok(Reply::Workstream(id))
    }

    fn upsert_queue(&mut self, now: Timestamp, mut q: Queue) -> Result<Reply, CoreError> {
        if q.name.trim().is_empty() {
            return Err(Invalid::new("name", "must not be empty").into());
        }
        if !self.workstreams.contains_key(&q.workstream) {
            return Err(CoreError::UnknownWorkstream(q.workstream));
        }
        for m in &q.members {
            self.agent_ref(*m)?;
        }
        let mut seen = BTreeSet::new();
        q.members.retain(|m| seen.insert(*m));
        if q.id.0 == 0 {
            q.id = QueueId(self.alloc());
        } else if !self.queues.contains_key(&q.id) {
            return Err(CoreError::UnknownQueue(q.id));
        }
        let id = q.id;
        self.queues.insert(id, q.clone());
        self.out.saves.push(Saved::Queue(q));
        self.drain_queue(now, id);
        Ok(Reply::Queue(id))
    }

    fn upsert_contact(&mut self, mut c: Contact) -> Result<Reply, CoreError> {
        if c.name.trim().is_empty() {
            return Err(Invalid::new("name", "must not be empty").into());
        }
        if c.id.0 != 0 && !self.contacts.contains_key(&c.id) {
            return Err(CoreError::UnknownContact(c.id));
        }
        if let Some(p) = &c.mobile_phone {
            if let Some(other) = self.contacts_by_phone.get(p) {
                if *other != c.id {
                    return Err(Invalid::new("mobile_phone", format!("{p} already belongs to {other}")).into());
                }
            }
        }
        if c.id.0 == 0 {
            c.id = ContactId(self.alloc());
        }
        if let Some(old) = self.contacts.get(&c.id).and_then(|o| o.mobile_phone.clone()) {
            self.contacts_by_phone.remove(&old);
        }
        if let Some(p) = &c.mobile_phone {
            self.contacts_by_phone.insert(p.clone(), c.id);
        }
        let id = c.id;
        self.contacts.insert(id, c.clone());
        self.out.saves.push(Saved::Contact(c));
        Ok(Reply::Contact(id))
    }

    /// Checks the invariants the property tests rely on; returns the first broken one.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut assigned_items = BTreeSet::new();
        for s in self.sessions.values() {
            if !assigned_items.insert(s.work_item) {
                return Err(format!("{} has two live sessions", s.work_item));
            }
            match self.items.get(&s.work_item).map(|i| &i.state) {
                Some(WorkItemState::Assigned { session, agent }) if *session == s.id && *agent == s.agent => {}
                other => return Err(format!("{} of {} but item state {other:?}", s.id, s.work_item)),
            }
        }
        for (agent, offer) in &self.agent_offer {
            match self.offers.get(offer) {
                Some(o) if o.agent == *agent && o.state == OfferState::Pending => {}
                other => return Err(format!("{agent} holds {offer} which is {other:?}")),
            }
        }
        for o in self.offers.values() {
            if o.state != OfferState::Pending {
                return Err(format!("{} kept while {:?}", o.id, o.state));
            }
            if !o.is_assignment() {
                match self.items.get(&o.work_item).map(|i| &i.state) {
                    Some(WorkItemState::Offered { offer, agent }) if *offer == o.id && *agent == o.agent => {}
                    other => return Err(format!("{} pending but item state {other:?}", o.id)),
                }
            }
        }
        for a in self.agents.values() {
            if let Some(c) = &a.presence.custom {
                if !self.settings.custom_presences.iter().any(|p| &p.name == c && p.base == a.presence.base) {
                    return Err(format!("{} has unknown custom presence {c}", a.id));
                }
            }
            if let Some(b) = &a.block {
                if a.presence.base != b.reason.presence() {
                    return Err(format!("{} blocked for {:?} but {:?}", a.id, b.reason, a.presence.base));
                }
            }
        }
        for (q, items) in &self.queued {
            for i in items {
                match self.items.get(i) {
                    Some(item) if item.state == WorkItemState::Queued && item.queue == *q => {}
                    other => return Err(format!("{i} listed as queued but {other:?}")),
                }
            }
        }
        Ok(())
    }
}

//! The router: every routing and presence rule, applied to inputs with an explicit `now`.
//!
//! `Router::handle(now, input)` either refuses the input (nothing changed) or applies it and
//! returns what changed: the events for each agent's log and the new state of every entity to
//! persist. `Router::next_deadline()` says when to feed `Input::Tick` next. The router keeps only
//! live entities (queued/offered/assigned items, pending offers, open sessions); ended ones are
//! returned once, as saves, and dropped.
//!
//! This file holds the inputs and outputs, the [`Router`]'s state, [`Router::restore`] and the
//! dispatch in [`Router::handle`]; each chapter of rules has its own `impl Router` file:
//! - `routing`: new requests, picking an agent, building offers (R1–R9, R14, R17–R20, R22, R27).
//! - `offers`: accept, reject, displayed, the sessions they start (R10, R18, R19, R28).
//! - `direct`: a supervisor sends a waiting item to a chosen agent (R30).
//! - `sessions`: close, open, call controls, transfer and escalation, abandoned items (R6, R7, R19, R21).
//! - `messages`: conversation transcripts (R7, R8, R10).
//! - `presence`: presence, blocks and connections (R24, R26–R31).
//! - `timers`: the clock: offer deadlines, unseen offers, re-offers, disconnect grace (R14, R19,
//!   R24–R26).
//! - `admin`: agents, templates, settings, workstreams, queues, contacts (R20, R22, R30).
//! - `reads`: what the workspace shows (R30, R34); `invariants`: what the property tests check.
//! - `bookkeeping`: ids, events, timers, dirty tracking, ownership checks.
//! - `error`: [`CoreError`] and its details.

mod admin;
mod bookkeeping;
mod direct;
mod error;
mod invariants;
mod messages;
mod offers;
mod presence;
mod reads;
mod routing;
mod sessions;
mod timers;

pub use direct::Direction;
pub use error::{CoreError, Owned, WrongState};
pub use messages::MAX_MESSAGE_CHARS;

use crate::channel::Channel;
use crate::config::{Contact, PhoneNumber, Queue, RoutingMode, Scenario, Settings, Template, Workstream};
use crate::ids::{AgentId, ContactId, MessageId, OfferId, QueueId, SessionId, Timestamp, WorkItemId, WorkstreamId};
use crate::model::{Agent, AgentEvent, Author, CallAction, Delivery, Message, Offer, OfferState, Saved, Session, WorkItem, WorkItemState};
use crate::presence::{BasePresence, Presence, Role};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A new customer request from a channel.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewWorkItem {
    pub scenario: Scenario,
    /// How the customer reaches us; `None` takes the scenario's [`Scenario::default_channel`].
    #[serde(default)]
    pub channel: Option<Channel>,
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

/// Create (`id: None`, the router hands out the id) or change an agent record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentSpec {
    pub id: Option<AgentId>,
    pub name: String,
    pub role: Role,
}

/// Create (`id: None`, the router hands out the id) or change a workstream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkstreamSpec {
    pub id: Option<WorkstreamId>,
    pub name: String,
    pub mode: RoutingMode,
    pub allowed_presences: Vec<BasePresence>,
}

/// Create (`id: None`, the router hands out the id) or change a queue. Members keep their order
/// (round robin follows it); repeats are dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueSpec {
    pub id: Option<QueueId>,
    pub name: String,
    pub workstream: WorkstreamId,
    pub members: Vec<AgentId>,
}

/// Create (`id: None`, the router hands out the id) or change a contact; the mobile phone links
/// SMS senders to it (R22).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactSpec {
    pub id: Option<ContactId>,
    pub name: String,
    pub mobile_phone: Option<PhoneNumber>,
}

/// What a transfer does with the session it starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferKind {
    /// R6: the conversation moves on and the source session closes.
    Transfer,
    /// R7 (escalation, consult): the source session stays open beside the new one.
    Escalate,
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
    /// R6 ([`TransferKind::Transfer`]: the source session closes) and R7
    /// ([`TransferKind::Escalate`]: it stays open).
    Transfer {
        agent: AgentId,
        session: SessionId,
        to_queue: Option<QueueId>,
        to_agent: Option<AgentId>,
        kind: TransferKind,
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
    /// A supervisor sends a waiting item to a chosen agent: offered as its template says, or
    /// assigned (the rescue of an item nobody takes).
    Direct {
        item: WorkItemId,
        agent: AgentId,
        by: AgentId,
        how: Direction,
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
    UpsertWorkstream(WorkstreamSpec),
    UpsertQueue(QueueSpec),
    UpsertContact(ContactSpec),
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
    /// R25: the cool-down after which agents who declined a waiting item may have it again.
    Reoffer(WorkItemId),
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
    /// How many items waited in each queue whose waiting list changed, before the change.
    queues_before: BTreeMap<QueueId, usize>,
    out: Applied,
}

impl Router {
    /// An empty workspace with default settings and a default template per scenario.
    pub fn new() -> Self {
        Self::restore(Timestamp(0), Snapshot::default())
    }

    /// Rebuilds the router from persisted state. Pending offers and the re-offers of waiting items
    /// are re-armed (expired ones fire on the next tick) and agents who were not Offline get the
    /// disconnect grace to come back.
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
        for mut s in snap.sessions {
            s.channel = legacy_channel(s.channel, s.scenario, &s.context);
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
        for mut i in snap.work_items {
            i.channel = legacy_channel(i.channel, i.scenario, &i.context);
            let (id, waiting) = (i.id, matches!(i.state, WorkItemState::Queued));
            if waiting {
                r.queued.entry(i.queue).or_default().insert(id);
            }
            r.items.insert(id, i);
            if waiting {
                r.arm_reoffer(id);
            }
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
            Input::Transfer { agent, session, to_queue, to_agent, kind } => self.transfer(now, agent, session, to_queue, to_agent, kind)?,
            Input::CloseWorkItem { item } => self.close_work_item(now, item)?,
            Input::CustomerMessage { conversation, message } => self.customer_message(now, conversation, message)?,
            Input::AgentMessage { agent, session, body, delivery } => self.agent_message(now, agent, session, &body, delivery)?,
            Input::MessageDelivery(m) => self.message_delivery(m)?,
            Input::SetPresence { agent, presence } => self.set_presence(now, agent, presence)?,
            Input::ResetPresence { agent, by } => self.reset_presence(now, agent, by)?,
            Input::Direct { item, agent, by, how } => self.direct(now, item, agent, by, how)?,
            Input::Connected { agent } => self.on_connected(now, agent)?,
            Input::Disconnected { agent } => self.on_disconnected(now, agent)?,
            Input::UpsertAgent(spec) => self.upsert_agent(spec)?,
            Input::PutTemplate(t) => self.put_template(t)?,
            Input::PutSettings(s) => self.put_settings(now, s)?,
            Input::UpsertWorkstream(w) => self.upsert_workstream(now, w)?,
            Input::UpsertQueue(q) => self.upsert_queue(now, q)?,
            Input::UpsertContact(c) => self.upsert_contact(c)?,
        };
        Ok(self.finish(reply))
    }
}

/// Entities stored before the channel had its own field read as [`Channel::Record`] (the serde
/// default): take the channel from the old `channel` context key, else from the scenario.
fn legacy_channel(channel: Channel, scenario: Scenario, context: &BTreeMap<String, String>) -> Channel {
    if channel != Channel::Record {
        return channel;
    }
    context.get("channel").and_then(|c| Channel::from_legacy(c)).unwrap_or_else(|| scenario.default_channel())
}

//! The live entities the router owns and the events it tells agents about.

use crate::channel::Channel;
use crate::config::{DesktopMode, NotificationKind, PhoneNumber, Scenario};
use crate::ids::{AgentId, ContactId, MessageId, OfferId, QueueId, SessionId, Timestamp, WorkItemId};
use crate::presence::{Banner, BasePresence, Block, Presence, Role};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A person known to the workspace. Every signed-in person is an agent record; the role says
/// what else they may do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub struct Agent {
    pub id: AgentId,
    pub name: String,
    pub role: Role,
    pub presence: Presence,
    /// Set while the system holds the agent in a presence it chose (R24, R27, R28, disconnect).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "wire", ts(optional))]
    pub block: Option<Block>,
    #[serde(default)]
    pub missed_count: u32,
    #[serde(default)]
    pub rejected_count: u32,
    /// When the agent last received an offer (least-busy tie break).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "wire", ts(optional))]
    pub last_offer_at: Option<Timestamp>,
}

impl Agent {
    /// The banner shown for the current block, if it shows one.
    pub fn banner(&self) -> Option<Banner> {
        let b = self.block.as_ref()?;
        b.reason.banner_message().map(|m| Banner { reason: b.reason, message: m.to_string() })
    }

    pub fn new(id: AgentId, name: String, role: Role) -> Self {
        Self {
            id,
            name,
            role,
            presence: Presence::base(BasePresence::Offline),
            block: None,
            missed_count: 0,
            rejected_count: 0,
            last_offer_at: None,
        }
    }
}

/// Who the customer is, as far as the channel told us.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub struct Customer {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "wire", ts(optional))]
    pub phone: Option<PhoneNumber>,
    /// Set when the phone number matched a contact's mobile phone (R22).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "wire", ts(optional))]
    pub contact: Option<ContactId>,
}

/// Why a work item ended without (or after) a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum CloseReason {
    /// The agent closed the session.
    Resolved,
    /// The customer left or the call was cancelled before an agent took it.
    Abandoned,
    /// Handed to another agent or queue (R6); the new item carries on.
    Transferred,
}

/// Where a work item is in its life.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum WorkItemState {
    /// Waiting for an eligible agent.
    Queued,
    /// Offered to one agent; waiting for an answer.
    Offered {
        offer: OfferId,
        agent: AgentId,
    },
    /// An agent has it (session assigned or open).
    Assigned {
        session: SessionId,
        agent: AgentId,
    },
    Closed {
        reason: CloseReason,
    },
}

/// One customer request being routed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub struct WorkItem {
    pub id: WorkItemId,
    pub scenario: Scenario,
    /// How the customer reaches us; transfers and escalations keep it (R6, R7).
    #[serde(default)]
    pub channel: Channel,
    pub queue: QueueId,
    pub customer: Customer,
    /// Channel details available to templates: pre-chat answers, case id and title, what the bot
    /// gathered, the transferring agent…
    pub context: BTreeMap<String, String>,
    /// Transfers and escalations to a named agent are offered to that agent first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "wire", ts(optional))]
    pub target_agent: Option<AgentId>,
    pub created_at: Timestamp,
    pub state: WorkItemState,
    /// Agents it is not offered to: who rejected it or let it time out (R25) — until the
    /// re-offer cool-down lifts that — and the agent who handed it on (`from_agent`).
    #[serde(default)]
    pub excluded: BTreeSet<AgentId>,
    /// The agent who transferred or escalated it (R6, R7): never offered it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "wire", ts(optional))]
    pub from_agent: Option<AgentId>,
    /// When it last went (back) to the queue; unset while offered or assigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "wire", ts(optional))]
    pub queued_since: Option<Timestamp>,
    /// The conversation this item carries on (set on transfers and escalations, R6/R7): its
    /// messages are that conversation's. Unset: the item starts its own conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "wire", ts(optional))]
    pub conversation: Option<WorkItemId>,
}

impl WorkItem {
    /// The conversation's id: the id of its first work item.
    pub fn conversation_id(&self) -> WorkItemId {
        self.conversation.unwrap_or(self.id)
    }

    /// The excluded agents who rejected it or let it time out: the ones the re-offer cool-down
    /// lets have it again (R25).
    pub fn declined_by(&self) -> impl Iterator<Item = AgentId> + '_ {
        self.excluded.iter().copied().filter(move |a| Some(*a) != self.from_agent)
    }
}

/// What an agent can do with an offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum OfferAction {
    Accept,
    Reject,
    /// R19 (and R18 auto-assign): the item is already assigned; this opens it.
    OpenItem,
}

/// How an offer ended; pending until then. Exactly one outcome per offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum OfferState {
    Pending,
    Accepted,
    Rejected,
    TimedOut,
    Withdrawn,
}

/// A rendered template line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub struct OfferField {
    pub label: String,
    pub value: String,
}

/// One notification of one work item to one agent, with a deadline (R9–R19).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub struct Offer {
    pub id: OfferId,
    pub work_item: WorkItemId,
    pub agent: AgentId,
    pub scenario: Scenario,
    /// The work item's channel: what the session will show (transcript, call controls).
    #[serde(default)]
    pub channel: Channel,
    pub kind: NotificationKind,
    pub title: String,
    pub fields: Vec<OfferField>,
    pub actions: Vec<OfferAction>,
    pub customer: Customer,
    pub created_at: Timestamp,
    /// `None` when the template timeout is 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "wire", ts(optional))]
    pub deadline: Option<Timestamp>,
    /// R14: show the countdown or not; the deadline applies either way.
    pub show_timeout: bool,
    pub desktop_mode: DesktopMode,
    /// The agent's app confirmed it showed the toast or in-app alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "wire", ts(optional))]
    pub displayed_at: Option<Timestamp>,
    /// R26: never displayed and the agent gone at the deadline: held until this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "wire", ts(optional))]
    pub hold_until: Option<Timestamp>,
    pub state: OfferState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "wire", ts(optional))]
    pub ended_at: Option<Timestamp>,
}

impl Offer {
    /// The item is already assigned; the offer only opens it (R18 auto-assign, R19).
    pub fn is_assignment(&self) -> bool {
        self.actions == [OfferAction::OpenItem]
    }

    /// When the router next has to look at this offer, if it is pending.
    pub fn due_at(&self) -> Option<Timestamp> {
        match self.state {
            OfferState::Pending => self.hold_until.or(self.deadline),
            OfferState::Accepted | OfferState::Rejected | OfferState::TimedOut | OfferState::Withdrawn => None,
        }
    }
}

/// R21: the state of a voice call in its session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum CallState {
    Connected,
    OnHold,
    Ended,
}

/// A call control the agent used (R21).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum CallAction {
    Hold,
    Resume,
    End,
}

/// Where a session is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum SessionState {
    /// Assigned to the agent but not opened yet (R18 auto-assign, R19).
    Assigned,
    Open,
    Closed,
}

/// An agent's conversation with a customer (R10). Assigned and open sessions count towards the
/// maximum (R27).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub struct Session {
    pub id: SessionId,
    pub work_item: WorkItemId,
    pub agent: AgentId,
    pub scenario: Scenario,
    /// Decides the session's panels: a transcript and composer (R10), call controls (R21).
    #[serde(default)]
    pub channel: Channel,
    pub customer: Customer,
    /// The customer context shown on the active conversation view (R10).
    pub title: String,
    pub fields: Vec<OfferField>,
    pub context: BTreeMap<String, String>,
    pub state: SessionState,
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "wire", ts(optional))]
    pub opened_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "wire", ts(optional))]
    pub closed_at: Option<Timestamp>,
    /// Voice sessions only (R21).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "wire", ts(optional))]
    pub call: Option<CallState>,
    /// Set when the work item carries on an earlier conversation (a transfer or escalation,
    /// R6/R7): its messages have this as `work_item`. Unset: the session's own `work_item`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "wire", ts(optional))]
    pub conversation: Option<WorkItemId>,
}

impl Session {
    /// The conversation whose messages this session shows (`Message::work_item`).
    pub fn conversation_id(&self) -> WorkItemId {
        self.conversation.unwrap_or(self.work_item)
    }

    pub fn counts_towards_max(&self) -> bool {
        match self.state {
            SessionState::Assigned | SessionState::Open => true,
            SessionState::Closed => false,
        }
    }
}

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum Author {
    Customer,
    Agent,
    /// A bot that talked to the customer before a human (R3, R8).
    Bot,
    /// The workspace itself (e.g. "the customer left").
    System,
}

/// Where an outbound message is on its way to the customer's channel (SMS). Messages of
/// channels without a separate delivery step (web chat) have no delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum DeliveryState {
    /// Not handed to the provider yet (or being retried).
    Pending,
    /// The provider accepted it.
    Sent,
    /// Every attempt failed; the customer did not get it.
    Failed,
}

/// The delivery of an agent's message through an outbound channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub struct Delivery {
    pub state: DeliveryState,
    /// Attempts made so far.
    pub attempts: u32,
    /// The channel and addresses, e.g. `sms`, the customer's number, ours.
    pub channel: Channel,
    pub to: String,
    pub from: String,
    /// The provider's id once sent (Twilio's message SID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "wire", ts(optional))]
    pub provider_id: Option<String>,
    /// Why the last attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "wire", ts(optional))]
    pub error: Option<String>,
}

/// One message of a conversation (R10). A conversation starts with a work item and carries on
/// through its transfers and escalations; its messages are ordered by id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub struct Message {
    pub id: MessageId,
    /// The conversation: the id of its first work item (see [`WorkItem::conversation_id`]).
    pub work_item: WorkItemId,
    pub author: Author,
    /// The name shown with the message: the customer's name, the agent's display name, the
    /// bot's name.
    pub author_name: String,
    pub body: String,
    pub at: Timestamp,
    /// Outbound channel messages only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "wire", ts(optional))]
    pub delivery: Option<Delivery>,
    /// The channel's own id of an inbound message (Twilio's `MessageSid`): it arrives once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "wire", ts(optional))]
    pub external_id: Option<String>,
}

/// Why a presence changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum PresenceReason {
    /// The agent chose it.
    Agent,
    /// The system set it (see the banner's reason).
    System,
    /// The agent or a supervisor reset it to the last presence before the system changed it.
    Reset,
    /// Gone longer than the disconnect grace, or back again.
    Connection,
}

/// The agent's row in a supervisor's team view (R30, R34).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub struct AgentSummary {
    pub id: AgentId,
    pub name: String,
    pub role: Role,
    pub presence: Presence,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "wire", ts(optional))]
    pub banner: Option<Banner>,
    pub open_sessions: u32,
    pub pending_offer: bool,
    pub missed_count: u32,
    pub rejected_count: u32,
    pub connected: bool,
}

/// Everything an agent's app is told, in order, through its event log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum AgentEvent {
    /// A new offer (pending, or already accepted/assigned where R18/R19 apply).
    OfferCreated(Offer),
    /// The offer ended: accepted, rejected, timed out or withdrawn; close its notification.
    OfferEnded {
        offer: OfferId,
        work_item: WorkItemId,
        state: OfferState,
    },
    SessionOpened(Session),
    SessionUpdated(Session),
    SessionClosed {
        session: SessionId,
        work_item: WorkItemId,
    },
    PresenceChanged {
        presence: Presence,
        reason: PresenceReason,
    },
    BannerRaised(Banner),
    BannerCleared,
    /// Supervisors only: one of their team changed (R30, R34).
    TeamAgentChanged(AgentSummary),
    /// Supervisors only: items entered or left a queue's waiting list; `waiting` is how many
    /// wait now (R25). The list itself is `GET /v1/queues/{id}/waiting`.
    QueueChanged {
        queue: QueueId,
        waiting: u32,
    },
    /// A message in one of the agent's sessions: from the customer, a bot, or the agent.
    MessageAdded(Message),
    /// A message changed: its delivery moved on (sent, retried, failed).
    MessageUpdated(Message),
}

/// A change the caller must persist, with the entity's new state (closed entities included).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Saved {
    Agent(Agent),
    WorkItem(WorkItem),
    Offer(Offer),
    Session(Session),
    Template(crate::config::Template),
    Settings(crate::config::Settings),
    Workstream(crate::config::Workstream),
    Queue(crate::config::Queue),
    Contact(crate::config::Contact),
    Message(Message),
}

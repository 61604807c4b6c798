//! # herald-protocol — the one wire contract
//!
//! Every request, response, event and error that crosses between the workspace, its clients and
//! the UI is declared here, once. The TypeScript the UI uses is generated from these types with
//! ts-rs into `ui/src/generated/` (committed; a test fails when regeneration differs — run
//! `HERALD_UPDATE_TS=1 cargo test -p herald-app --test app typescript` to refresh it; that test checks the
//! whole folder, the desktop app's types included). The OpenAPI schemas of the
//! same types come from utoipa.
//!
//! # Layout
//! - Entities that travel unchanged (offers, sessions, presence, templates, settings…) are
//!   herald-core's own types, re-exported here with their wire derives switched on (core feature
//!   `wire`). Their serde shape *is* the wire shape; the generated TypeScript check catches any
//!   change to it.
//! - [`EventEnvelope`]: one entry of an agent's ordered event log; `seq` is the SSE `id`.
//!   [`Resync`]: the log cannot resume where the client asked (pruned, or restored from an
//!   older backup): reload the state, then continue.
//! - [`ApiError`] with a stable [`ErrorCode`]: the UI matches on the code, never on the message.
//! - Request/response bodies, one per endpoint, named after it.

mod accounts;
mod board;
mod export;
mod timeline;

pub use accounts::*;
pub use board::*;
pub use export::{constants_typescript, export_typescript};
pub use timeline::*;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;
use utoipa::ToSchema;

pub use herald_core::{
    Agent, AgentEvent, AgentId, AgentSummary, Author, Banner, BasePresence, Block, BlockReason, CallAction, CallState, Channel,
    CloseReason, Contact, ContactId, CustomPresence, Customer, Delivery, DeliveryState, DesktopMode, Direction, MAX_MESSAGE_CHARS, Message,
    MessageId, NotificationKind, Offer, OfferAction, OfferField, OfferId, OfferState, PhoneNumber, Presence, PresenceReason, Queue,
    QueueId, Role, RoutingMode, Scenario, Session, SessionId, SessionState, Settings, Template, TemplateField, TimeoutSecs, Timestamp,
    WorkItem, WorkItemId, WorkItemState, Workstream, WorkstreamId,
};

/// One entry of an agent's event log. `seq` increases by one per agent and is the SSE event id;
/// resuming after `seq` yields exactly the entries that follow it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct EventEnvelope {
    #[ts(type = "number")]
    pub seq: u64,
    pub agent: AgentId,
    pub at: Timestamp,
    pub event: AgentEvent,
}

/// Stable error codes. Each documents the HTTP status it travels with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the body or a parameter is malformed or out of range; `field` names it.
    InvalidInput,
    /// 401: no bearer token, or an unknown or revoked one.
    Unauthenticated,
    /// 403: the role does not allow this endpoint, or the offer/session is someone else's.
    Forbidden,
    /// 404: no such entity.
    NotFound,
    /// 405: the path exists but not with this method; the `Allow` header lists the methods.
    MethodNotAllowed,
    /// 409: the offer is no longer pending (accepted, rejected, timed out or withdrawn).
    OfferNotPending,
    /// 409: the template does not allow rejecting this offer (R18, R19).
    RejectNotAllowed,
    /// 409: the session or call is not in a state that allows this.
    WrongState,
    /// 429: too many requests from this client address or in this conversation (the public web
    /// chat's rate limits); the `Retry-After` header says in how many seconds to try again.
    RateLimited,
    /// 500: something broke on the server; details are in its log, not here.
    Internal,
    /// 503: no instance leads the workspace right now (one is taking over after a failure);
    /// the `Retry-After` header says in how many seconds to try again.
    Unavailable,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 11] = [
        ErrorCode::InvalidInput,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::OfferNotPending,
        ErrorCode::RejectNotAllowed,
        ErrorCode::WrongState,
        ErrorCode::RateLimited,
        ErrorCode::Internal,
        ErrorCode::Unavailable,
    ];
}

/// The body of every error response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct ApiError {
    pub code: ErrorCode,
    /// Words for a person.
    pub message: String,
    /// The offending field, for `invalid_input`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

/// `GET /healthz`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct Health {
    pub status: String,
    pub version: String,
    /// `standalone` (SQLite: one instance), `leader` (routes for every instance on the shared
    /// PostgreSQL) or `follower` (forwards to the leader).
    #[serde(default)]
    pub role: String,
    /// The lead's epoch this instance knows of (PostgreSQL only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub epoch: Option<u64>,
    /// `ok`, or why the database does not answer (then the status is 503).
    #[serde(default)]
    pub database: String,
}

/// `GET /v1/me`: everything the agent app needs to draw itself after (re)connecting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct Me {
    pub agent: AgentSummary,
    /// Assigned and open sessions.
    pub sessions: Vec<Session>,
    /// Pending offers.
    pub offers: Vec<Offer>,
    /// The last sequence number of the agent's event log: subscribe after it.
    #[ts(type = "number")]
    pub last_seq: u64,
}

/// `PUT /v1/me/presence`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPresenceRequest {
    pub presence: Presence,
}

/// `POST /v1/offers/{id}/accept`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct AcceptResponse {
    pub session: Session,
}

/// `POST /v1/sessions/{id}/call`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallControlRequest {
    pub action: CallAction,
}

/// `POST /v1/sessions/{id}/transfer`: to a queue, an agent, or both (R6, R7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    #[serde(default)]
    #[ts(optional)]
    pub to_queue: Option<QueueId>,
    #[serde(default)]
    #[ts(optional)]
    pub to_agent: Option<AgentId>,
    /// Escalation/consult (R7): the source session stays open.
    #[serde(default)]
    pub escalate: bool,
}

/// `POST /v1/sessions/{id}/messages`: the agent writes to the customer (R10).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessageRequest {
    /// 1–4000 characters after trimming.
    pub body: String,
}

/// `GET /v1/sessions/{id}/messages`: a session and its conversation's messages, oldest first.
/// Messages that arrive later come as `message_added` events; merge them by id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct Transcript {
    pub session: Session,
    pub messages: Vec<Message>,
}

/// `GET /v1/queues/{id}/waiting`: one item waiting in the queue for an agent (R25); the list is
/// oldest first. `queue_changed` events say when the number waiting changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct WaitingItem {
    pub work_item: WorkItemId,
    pub scenario: Scenario,
    pub channel: Channel,
    pub customer: Customer,
    /// When the customer's request (or the transfer) came in.
    pub created_at: Timestamp,
    /// When it last went (back) to the queue: on arrival, or after a reject or a timeout.
    pub queued_since: Timestamp,
    /// How long the customer has waited so far, from `created_at`, in seconds.
    #[ts(type = "number")]
    pub waited_secs: u64,
    /// Agents who rejected it or let it time out: offered it again from `reoffer_at` (R25).
    pub declined_by: Vec<AgentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reoffer_at: Option<Timestamp>,
}

/// A new work item was created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct WorkItemCreated {
    pub work_item: WorkItem,
}

/// `POST /v1/conversations`: a customer request from a channel, for any scenario (R1–R8).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConversation {
    pub scenario: Scenario,
    /// How the customer reaches us; the scenario's default when left out (chat → `chat`, a
    /// case or work item → `record`, …).
    #[serde(default)]
    #[ts(optional)]
    pub channel: Option<Channel>,
    pub queue: QueueId,
    #[serde(default)]
    pub customer_name: String,
    /// Any common notation; stored in E.164 (R22).
    #[serde(default)]
    #[ts(optional)]
    pub phone: Option<String>,
    /// Pre-chat answers, case id/title, what the bot gathered… — template placeholders.
    #[serde(default)]
    pub context: BTreeMap<String, String>,
    /// Offer to this agent first (transfers, escalations).
    #[serde(default)]
    #[ts(optional)]
    pub target_agent: Option<AgentId>,
}

/// `POST /v1/admin/agents`, `PUT /v1/admin/agents/{id}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentInput {
    pub name: String,
    pub role: Role,
}

/// `POST /v1/admin/agents/{id}/tokens`: the token is shown once; only its hash is stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct IssuedToken {
    #[ts(type = "number")]
    pub token_id: u64,
    pub agent: AgentId,
    pub token: String,
}

/// `POST /v1/admin/workstreams`, `PUT /v1/admin/workstreams/{id}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkstreamInput {
    pub name: String,
    pub mode: RoutingMode,
    pub allowed_presences: Vec<BasePresence>,
}

/// `POST /v1/admin/queues`, `PUT /v1/admin/queues/{id}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueInput {
    pub name: String,
    pub workstream: WorkstreamId,
    #[serde(default)]
    pub members: Vec<AgentId>,
}

/// `POST /v1/admin/contacts`, `PUT /v1/admin/contacts/{id}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub name: String,
    /// Any common notation; stored in E.164 (R22).
    #[serde(default)]
    #[ts(optional)]
    pub mobile_phone: Option<String>,
}

/// A customer web chat widget (R1): what the chat page asks before the chat starts. The
/// answers land in the work item's context under each question's `key`, so templates show them
/// as `{key}` (R9, R23). `GET /v1/admin/widgets`, `PUT /v1/admin/widgets/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Widget {
    /// Lower-case letters, digits and dashes; the page is `/webchat/{id}`.
    pub id: String,
    pub title: String,
    /// Shown above the pre-chat form.
    #[serde(default)]
    pub greeting: String,
    /// Where its chats are queued; the first queue when unset.
    #[serde(default)]
    #[ts(optional)]
    pub queue: Option<QueueId>,
    #[serde(default)]
    pub questions: Vec<WidgetQuestion>,
}

/// One pre-chat question.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WidgetQuestion {
    /// The context key (and template placeholder): a letter, then letters, digits or `_`.
    pub key: String,
    pub label: String,
    #[serde(default)]
    pub required: bool,
}

/// What the chat page needs of a widget (no queue or other internals).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct PublicWidget {
    pub id: String,
    pub title: String,
    pub greeting: String,
    pub questions: Vec<WidgetQuestion>,
}

/// `POST /webchat/{widget}/conversations`: a customer starts a chat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatStart {
    pub name: String,
    /// Answers to the widget's questions, by key.
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
}

/// The customer's conversation and the token that opens it (keep it; it is shown once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct ChatStarted {
    pub conversation: WorkItemId,
    pub token: String,
}

/// Where a customer's chat is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChatState {
    /// No agent yet.
    Waiting,
    /// An agent accepted and the session is open.
    Connected,
    Ended,
}

/// Who said a line, from the customer's side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChatParty {
    You,
    Agent,
    Bot,
    System,
}

/// One line of the customer's chat: only what the customer may see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct ChatLine {
    pub id: MessageId,
    pub from: ChatParty,
    /// The agent's display name, the bot's name, or the customer's own.
    pub name: String,
    pub body: String,
    pub at: Timestamp,
}

/// `GET /webchat/conversations/{id}`: the customer's view of their chat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct ChatView {
    pub state: ChatState,
    /// The display name of the agent, once connected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub agent_name: Option<String>,
    /// Lines after `after`, oldest first.
    pub lines: Vec<ChatLine>,
}

/// `POST /webchat/conversations/{id}/messages`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatSay {
    pub body: String,
}

/// `POST /v1/admin/integrations`: a bot or channel integration that signs in with its own kind of
/// token (not an agent: it never gets work, and agent endpoints refuse its token).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationInput {
    pub name: String,
}

/// An integration, as admins see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct Integration {
    #[ts(type = "number")]
    pub id: u64,
    pub name: String,
    pub created_at: Timestamp,
    pub revoked: bool,
}

/// The integration's token: shown once; only its hash is stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct IssuedIntegration {
    pub integration: Integration,
    pub token: String,
}

/// `GET /v1/admin/twilio`: the Twilio channel as configured at start (read-only: it is set by
/// the workspace's environment, never through the API), with nothing secret in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct TwilioStatus {
    /// Whether the webhooks are on (an auth token is configured).
    pub enabled: bool,
    /// The account SID with all but its last four characters hidden (`AC…1234`); empty when unset.
    pub account_sid: String,
    /// `HERALD_PUBLIC_URL`: what webhook signatures are computed over.
    pub public_url: Option<String>,
    pub sms_queue: Option<QueueId>,
    pub voice_queue: Option<QueueId>,
    /// Whether outbound SMS can be sent (an account SID is set too).
    pub can_send_sms: bool,
    /// The webhook URLs to paste into Twilio's console (from `public_url`; empty without it).
    pub webhooks: Vec<String>,
}

/// One line of what a bot and the customer said before the hand-over.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BotLine {
    /// `customer` or `bot`.
    pub author: Author,
    pub body: String,
}

/// `POST /v1/bot/escalations`: a bot hands a running chat to a human with its transcript (R8).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BotEscalation {
    /// The bot's own id for the chat: a retry with the same id returns the same work item.
    pub conversation_id: String,
    #[serde(default)]
    pub customer_name: String,
    /// Any common notation; matched to a contact (R22).
    #[serde(default)]
    #[ts(optional)]
    pub phone: Option<String>,
    /// Why the bot hands over; the template's `{botSummary}`.
    pub summary: String,
    /// Shown as the bot's name in the transcript.
    #[serde(default)]
    #[ts(optional)]
    pub bot_name: Option<String>,
    /// Default: the first queue.
    #[serde(default)]
    #[ts(optional)]
    pub queue: Option<QueueId>,
    /// More template placeholders.
    #[serde(default)]
    pub context: BTreeMap<String, String>,
    /// What was said, oldest first.
    #[serde(default)]
    pub transcript: Vec<BotLine>,
}

/// `GET /v1/events/poll?after=N&wait=S`: the same entries the SSE stream carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct EventsPage {
    pub events: Vec<EventEnvelope>,
    /// The last sequence number in the log (poll after it next time).
    #[ts(type = "number")]
    pub last_seq: u64,
    /// Present when `after` cannot be resumed from (see [`Resync`]): reload the state
    /// (`GET /v1/me`); `events` then are the log's entries from `resync.first_seq` on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub resync: Option<Resync>,
}

/// The log cannot continue after the position a client asked for: the entries after it were
/// pruned (older than the retention window), or the log is behind it (the workspace was restored
/// from an older backup). The client must reload its state (`GET /v1/me`, whose `last_seq` is
/// where that state stands) and continue from there. SSE sends it as `event: resync` (its `id`
/// is `first_seq - 1`) and then the retained entries from `first_seq` on; polling puts it in
/// [`EventsPage::resync`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct Resync {
    /// The position the client asked to resume after.
    #[ts(type = "number")]
    pub after: u64,
    /// The oldest entry the log still holds (0: the log is empty).
    #[ts(type = "number")]
    pub first_seq: u64,
    /// The newest entry in the log (0: the log is empty).
    #[ts(type = "number")]
    pub last_seq: u64,
}

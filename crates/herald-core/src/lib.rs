//! # herald-core — the rules, once
//!
//! Every routing and presence rule of Herald (R1–R31 of `docs/behaviour.md`) as a
//! sans-IO state machine in the style of str0m: no clock, no threads, no I/O. The caller feeds
//! [`Router::handle`] an explicit `now` and an [`Input`]; it gets back an [`Applied`] — the
//! events for each agent's log and the new state of every changed entity — and asks
//! [`Router::next_deadline`] when to send [`Input::Tick`]. Tests drive it with a fake clock far
//! faster than real time.
//!
//! # Layout
//! - [`ids`]: numeric ids (one counter for all kinds) and [`Timestamp`] (ms since the epoch).
//! - [`presence`]: the six base presences, custom presences, roles, blocks and banners (R31).
//! - [`channel`]: [`Channel`], how the customer reaches us (chat, SMS, voice, record), apart
//!   from the [`Scenario`] (why it is offered); what a session shows per channel, once.
//! - [`config`]: templates per scenario (R20), settings, workstreams, queues, contacts, E.164
//!   phone numbers (R22); each checked once by `validate`/`parse`.
//! - [`model`]: agents, work items, offers, sessions, and [`AgentEvent`], the one event vocabulary.
//! - [`router`]: the [`Router`] itself, one file per chapter of rules, each an `impl Router`:
//!   - `router/mod.rs`: the inputs ([`Input`], the `*Spec` records, [`TransferKind`]), the
//!     outputs ([`Applied`], [`Reply`]), [`Snapshot`] and [`Router::restore`], and the dispatch
//!     in [`Router::handle`].
//!   - `router/routing.rs`: requests, picking an agent, the session maximum, building offers
//!     (R1–R9, R14, R17–R20, R22, R27).
//!   - `router/offers.rs`: accept, reject, displayed and the sessions they start (R10, R18, R19,
//!     R25, R28).
//!   - `router/sessions.rs`: close and open, call controls, transfer and escalation, abandoned
//!     items (R6, R7, R19, R21).
//!   - `router/messages.rs`: conversation transcripts and delivery updates (R7, R8, R10).
//!   - `router/presence.rs`: presence, blocks and banners, supervisor reset, connections
//!     (R24, R26–R31).
//!   - `router/timers.rs`: `Input::Tick` — offer deadlines, unseen offers, missed offers,
//!     re-offers of declined items, disconnect grace (R14, R19, R24–R26).
//!   - `router/admin.rs`: agents, templates, settings, workstreams, queues, contacts (R20, R22, R30).
//!   - `router/reads.rs`: read-only views, the supervisor's team and waiting work (R25, R30, R34).
//!   - `router/invariants.rs`: [`Router::check_invariants`], for the property tests.
//!   - `router/bookkeeping.rs`: the id counter, events and saves of one input, timers, ownership.
//!   - `router/error.rs`: [`CoreError`] with its typed details [`Owned`] and [`WrongState`].
//!
//! # What it deliberately does not do
//! Persist, authenticate, transport or format anything for a screen. The workspace stores the
//! [`Saved`] entities and the events in one transaction; the agent app decides how to show them.
//!
//! # Choices where the spec is silent
//! - An agent holds at most one pending *decision* offer at a time; "Open item" assignment
//!   offers (R18 auto-assign, R19) do not hold the agent.
//! - A template timeout of 0 means the offer has no deadline.
//! - Case assignments are never penalised by R24: they cannot be declined and stay assigned.
//! - R27 fires when a *new* item arrives for a queue the agent serves while they are at the
//!   maximum, not when queued items are re-scanned.
//! - R25 "routed on" never strands a customer: an item everyone eligible rejected or let time
//!   out waits in the queue; if nobody else took it `Settings::reoffer_after_secs` after it
//!   went back there, the agents who declined it may have it again (still only when their
//!   presence allows work, R29, and below the session maximum, R27). The agent who transferred
//!   or escalated an item is never offered it.
//! - An agent whose app is gone longer than the disconnect grace is set Offline by the system
//!   (no banner) and restored when the app comes back.

pub mod channel;
pub mod config;
pub mod ids;
pub mod model;
pub mod presence;
pub mod router;

pub use channel::Channel;
pub use config::{
    Contact, DesktopMode, Invalid, NotificationKind, PhoneNumber, Queue, RoutingMode, Scenario, Settings, Template, TemplateField,
    TimeoutSecs, Workstream,
};
pub use ids::{AgentId, ContactId, MessageId, OfferId, QueueId, SessionId, Timestamp, WorkItemId, WorkstreamId};
pub use model::{
    Agent, AgentEvent, AgentSummary, Author, CallAction, CallState, CloseReason, Customer, Delivery, DeliveryState, Message, Offer,
    OfferAction, OfferField, OfferState, PresenceReason, Saved, Session, SessionState, WorkItem, WorkItemState,
};
pub use presence::{Banner, BasePresence, Block, BlockReason, CustomPresence, Presence, Role};
pub use router::{
    AgentSpec, Applied, ContactSpec, CoreError, Direction, Input, MAX_MESSAGE_CHARS, NewMessage, NewWorkItem, Owned, QueueSpec, Reply,
    Router, Snapshot, TransferKind, WorkstreamSpec, WrongState,
};

//! Channels: where customer conversations come from and where agents' replies go.
//!
//! # Layout
//! - [`twilio`]: webhook signatures (SHA-1 and the SHA-256 shared-key variant), TwiML helpers.
//! - [`sms`]: `POST /channels/twilio/sms` — Twilio's inbound message webhook: signed, idempotent
//!   by `MessageSid`, sender matched to a contact (R22, in core), later messages from the same
//!   number join the open conversation.
//! - [`voice`]: `POST /channels/twilio/voice` — the bot step (TwiML `<Gather>`), then the voice
//!   work item with what the bot gathered (R3, R8); status callbacks end it.
//! - [`webchat`]: the customer chat page per widget, its embeddable script, and the customer's
//!   API (per-conversation token, long poll); widgets with pre-chat questions.
//! - [`bot`]: bot escalation (R8) with integration tokens: hand over with the transcript, then
//!   relay the chat both ways.
//! - [`outbox`]: the outbound sender. Agent replies on SMS conversations are stored with a
//!   `pending` delivery in the same transaction as the message; a background task hands them
//!   to Twilio's REST API, retrying with exponential backoff, and every step (sent, retrying,
//!   failed) reaches the agent as a `message_updated` event. Pending deliveries survive a
//!   restart (the task scans the store).
//!
//! A conversation's channel is its work item's [`Channel`] (chat, SMS, voice; a bot's chat is a
//! chat), set here when the item is created; transfers and escalations carry it on, so a
//! transferred chat keeps its transcript and a transferred call its controls. Templates show it
//! as `{channel}`. An SMS conversation also keeps our number in its context (`smsTo`). A conversation is addressed by its first work item's id; transfers and escalations carry
//! it on (`WorkItem::conversation`), so the customer keeps talking in the same conversation.
//!
//! Authentication differs per caller and never mixes: Twilio by its signature, a web chat
//! customer by the conversation's token, a bot by an integration token; staff bearer tokens open
//! none of these.
//!
//! # Not here
//! - Inbound TLS: webhooks reach the workspace over plain HTTP; an internet-facing workspace sits
//!   behind a TLS-terminating proxy (set `HERALD_PUBLIC_URL` to its `https://` address so
//!   signatures verify). Outbound, the sender speaks HTTPS to `https://api.twilio.com` (reqwest
//!   with native-tls); tests point `HERALD_TWILIO_API_BASE` at a local recording server.
//! - Media: calls are routed and their state kept; the audio stays with Twilio (the caller waits
//!   in a Twilio `<Enqueue>`); MMS attachments are named, not shown.
//! - Rate limits on Twilio's webhooks and bots: they are authenticated callers. The public web
//!   chat's limits (chats per client address, messages per conversation) are in
//!   [`crate::edge::limits`], checked by `webchat`'s `start` and `say`.

pub mod bot;
pub mod outbox;
pub mod sms;
pub mod twilio;
pub mod voice;
pub mod webchat;

use crate::edge::AppState;
use crate::edge::error::AppError;
use crate::engine::{Engine, EngineError};
use herald_core::{Author, Channel, CoreError, Delivery, DeliveryState, Input, Message, NewMessage, QueueId, Reply, SessionId, WorkItemId};
use herald_protocol::ErrorCode;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::{Mutex, Notify};

/// Every channel's routes (customer-facing, plus the admin routes of channel settings), for the
/// HTTP layer to merge.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().merge(sms::routes()).merge(voice::routes()).merge(webchat::routes()).merge(bot::routes()).merge(twilio::routes())
}

/// Every channel's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi as _;
    let mut doc = sms::Api::openapi();
    doc.merge(voice::Api::openapi());
    doc.merge(webchat::Api::openapi());
    doc.merge(bot::Api::openapi());
    doc.merge(twilio::Api::openapi());
    doc
}

/// Context key of the number an SMS conversation talks to (our Twilio number).
pub const SMS_TO_KEY: &str = "smsTo";

/// The Twilio account.
#[derive(Clone, Debug)]
pub struct TwilioConfig {
    pub account_sid: String,
    /// Signs webhooks (HMAC-SHA1) and authenticates REST calls.
    pub auth_token: String,
    /// Shared keys by id, for webhooks signed with `X-Twilio-Webhooks-Signature-Settings`.
    pub shared_keys: HashMap<String, String>,
    /// `https://api.twilio.com` in production; tests use a local server.
    pub api_base: String,
}

/// How the outbound sender retries.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    /// Wait after the first failure; doubles per attempt, at most `max_delay`.
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_attempts: 5, first_delay: Duration::from_secs(2), max_delay: Duration::from_secs(120) }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempts + 1`, after `attempts` failures.
    pub fn delay(&self, attempts: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempts.saturating_sub(1));
        self.first_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// The channels' configuration.
#[derive(Clone, Debug, Default)]
pub struct ChannelsConfig {
    /// The URL the world reaches this workspace at (`HERALD_PUBLIC_URL`), e.g.
    /// `https://herald.example.com`. Webhook signatures are computed over it. When unset, the
    /// request's `Host` header with `http://` is used (fine behind nothing, wrong behind a proxy).
    pub public_url: Option<String>,
    pub twilio: Option<TwilioConfig>,
    /// Where SMS conversations are queued; the first queue when unset.
    pub sms_queue: Option<QueueId>,
    /// Where calls are queued after the bot step; the first queue when unset.
    pub voice_queue: Option<QueueId>,
    pub retry: RetryPolicy,
}

/// The channels at run time. See the module docs.
#[derive(Debug)]
pub struct Channels {
    pub config: ChannelsConfig,
    outbox: Notify,
    /// Serialises Twilio's inbound webhooks (SMS, voice), so a retried webhook and "join the open
    /// conversation" never race each other.
    pub(crate) inbound_lock: Mutex<()>,
    pub(crate) http: reqwest::Client,
}

impl Channels {
    pub fn new(config: ChannelsConfig) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .build()
            .expect("the HTTP client builds (native-tls loads the system trust store)");
        Self { config, outbox: Notify::new(), inbound_lock: Mutex::new(()), http }
    }

    /// Wakes the outbound sender (a new pending delivery was committed).
    pub fn wake_outbox(&self) {
        self.outbox.notify_one();
    }

    /// The delivery an agent's message in `session` needs: `pending` through SMS when the
    /// conversation came by SMS; none for channels that read the transcript themselves.
    pub async fn delivery_for(&self, engine: &Engine, session: SessionId) -> Option<Delivery> {
        engine
            .read(|r, _| {
                let s = r.session(session)?;
                let item = r.work_item(s.work_item)?;
                if item.channel != Channel::Sms {
                    return None;
                }
                Some(Delivery {
                    state: DeliveryState::Pending,
                    attempts: 0,
                    channel: Channel::Sms,
                    to: item.customer.phone.as_ref().map(ToString::to_string).unwrap_or_default(),
                    from: item.context.get(SMS_TO_KEY).cloned().unwrap_or_default(),
                    provider_id: None,
                    error: None,
                })
            })
            .await
    }

    /// The public URL of a request: `HERALD_PUBLIC_URL` (or `http://` + `Host`) + path + query.
    pub fn public_url_of(&self, headers: &axum::http::HeaderMap, uri: &axum::http::Uri) -> String {
        let base = match &self.config.public_url {
            Some(b) => b.trim_end_matches('/').to_string(),
            None => {
                let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
                format!("http://{host}")
            }
        };
        let pq = uri.path_and_query().map_or_else(|| uri.path().to_string(), |pq| pq.as_str().to_string());
        format!("{base}{pq}")
    }
}

/// The queue a channel's conversations go to: the configured one, else the first queue that has
/// members, else the first queue (on a fresh workspace the seeded "Default" queue, where the
/// conversation waits until an admin adds people: kept, never dropped).
pub async fn queue_for(engine: &Engine, configured: Option<QueueId>) -> Result<QueueId, AppError> {
    match configured {
        Some(q) => Ok(q),
        None => engine
            .read(|r, _| {
                let staffed = r.queues().filter(|q| !q.members.is_empty()).map(|q| q.id).min();
                staffed.or_else(|| r.queues().map(|q| q.id).min())
            })
            .await
            .ok_or_else(|| AppError::new(ErrorCode::WrongState, "no queue takes these conversations yet; an admin must create one")),
    }
}

/// On a workspace without any queue, creates the "Default" workstream (least busy; Available
/// and Busy may receive work) and its "Default" queue without members, so a channel's first
/// customer — an SMS Twilio will not send twice — waits there instead of being refused.
pub async fn seed_default_queue(engine: &Engine) -> Result<(), EngineError> {
    use herald_core::{BasePresence, QueueSpec, Reply, RoutingMode, WorkstreamSpec};
    if engine.read(|r, _| r.queues().next().is_some()).await {
        return Ok(());
    }
    let spec = WorkstreamSpec {
        id: None,
        name: "Default".into(),
        mode: RoutingMode::LeastBusy,
        allowed_presences: vec![BasePresence::Available, BasePresence::Busy],
    };
    let Reply::Workstream(workstream) = engine.apply(Input::UpsertWorkstream(spec)).await? else { return Ok(()) };
    engine.apply(Input::UpsertQueue(QueueSpec { id: None, name: "Default".into(), workstream, members: Vec::new() })).await?;
    tracing::info!("seeded the Default workstream and queue on an empty workspace (add people to it, or create your own)");
    Ok(())
}

/// The customer's side ended a conversation (left the chat, hung up): `note` goes into the
/// transcript, then every live item of the conversation closes (offers are withdrawn, sessions
/// close). Nothing happens when it already ended.
pub async fn end_conversation(engine: &Engine, conversation: WorkItemId, note: NewMessage) -> Result<(), EngineError> {
    let items: Vec<WorkItemId> = engine.read(|r, _| r.conversation_items(conversation).map(|i| i.id).collect()).await;
    if items.is_empty() {
        return Ok(());
    }
    let inputs = std::iter::once(Input::CustomerMessage { conversation, message: note })
        .chain(items.into_iter().map(|item| Input::CloseWorkItem { item }));
    for input in inputs {
        match engine.apply(input).await {
            // Closed meanwhile (an agent ended it): nothing left to do for it.
            Ok(_) | Err(EngineError::Core(CoreError::UnknownWorkItem(_))) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The customer (through a channel or a bot relaying them) writes in a live conversation: the
/// stored message, or the error for the caller — `ended` words the 409 when the conversation is over.
pub(crate) async fn customer_says(s: &AppState, conversation: WorkItemId, body: String, ended: &str) -> Result<Message, AppError> {
    let message = NewMessage { author: Author::Customer, author_name: None, body, external_id: None };
    let id = match s.engine.apply(Input::CustomerMessage { conversation, message }).await {
        Ok(Reply::Message(id)) => id,
        Ok(other) => return Err(AppError::internal(format!("a customer message replied {other:?}"))),
        Err(EngineError::Core(CoreError::UnknownWorkItem(_))) => {
            return Err(AppError::new(ErrorCode::WrongState, ended.to_string()));
        }
        Err(e) => return Err(e.into()),
    };
    s.engine.store().message(id).await?.ok_or_else(|| AppError::internal("the new message is gone"))
}

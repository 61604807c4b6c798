//! `POST /channels/twilio/sms`: Twilio's inbound message webhook. See the module docs of
//! [`crate::channels`].

use super::twilio::{EMPTY_TWIML, param, required, twiml, verify};
use super::{SMS_TO_KEY, queue_for};
use crate::edge::AppState;
use crate::edge::error::AppError;
use crate::engine::{Engine, EngineError};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::post;
use herald_core::{Author, Channel, CoreError, Input, NewMessage, NewWorkItem, PhoneNumber, Reply, Scenario, WorkItemId};
use std::collections::BTreeMap;

/// The SMS channel's routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/channels/twilio/sms", post(inbound))
}

/// The SMS channel's part of the OpenAPI document.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(paths(inbound))]
pub struct Api;

#[utoipa::path(post, path = "/channels/twilio/sms", tag = "channels",
    description = "Twilio's inbound SMS webhook (form-encoded; unknown fields accepted). Authenticated by X-Twilio-Signature \
        over HERALD_PUBLIC_URL + path + query and the sorted parameters, not by a bearer token. Idempotent by MessageSid.",
    params(("X-Twilio-Signature" = String, Header, description = "Twilio's request signature")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "From, To, Body, MessageSid, …"),
    responses((status = 200, description = "empty TwiML", content_type = "text/xml", body = String),
        (status = 400, body = herald_protocol::ApiError), (status = 403, body = herald_protocol::ApiError),
        (status = 404, description = "Twilio is not configured", body = herald_protocol::ApiError)))]
pub async fn inbound(State(s): State<AppState>, headers: HeaderMap, uri: Uri, body: Bytes) -> Result<Response, AppError> {
    let params = verify(&s.channels, &headers, &uri, &body)?;
    let sid = required(&params, "MessageSid")?.to_string();
    let from = PhoneNumber::parse(required(&params, "From")?).map_err(|e| AppError::invalid("From", e.reason))?;
    let to = param(&params, "To").unwrap_or("").trim().to_string();
    let text = param(&params, "Body").unwrap_or("").trim();
    let media: usize = param(&params, "NumMedia").and_then(|n| n.parse().ok()).unwrap_or(0);
    let text = match (text, media) {
        ("", 0) => return Err(AppError::invalid("Body", "an SMS without text or media")),
        ("", n) => format!("[{n} attachment(s) — media is not shown in Herald]"),
        (t, _) => t.to_string(),
    };
    let _one_at_a_time = s.channels.inbound_lock.lock().await;
    if s.engine.store().message_by_external_id(&sid).await?.is_some() {
        tracing::debug!(%sid, "Twilio retried a message we already have");
        return Ok(twiml(EMPTY_TWIML.into()));
    }
    let message = NewMessage { author: Author::Customer, author_name: None, body: text.clone(), external_id: Some(sid) };
    if let Some(conversation) = open_conversation(&s.engine, &from).await {
        match s.engine.apply(Input::CustomerMessage { conversation, message: message.clone() }).await {
            Ok(_) => return Ok(twiml(EMPTY_TWIML.into())),
            // It closed just now: this message starts a new conversation.
            Err(EngineError::Core(CoreError::UnknownWorkItem(_))) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let queue = queue_for(&s.engine, s.channels.config.sms_queue).await?;
    let mut context = BTreeMap::new();
    context.insert(SMS_TO_KEY.to_string(), to);
    context.insert("message".to_string(), text);
    let input = Input::Request(NewWorkItem {
        scenario: Scenario::Sms,
        channel: Some(Channel::Sms),
        queue,
        customer_name: String::new(),
        phone: Some(from),
        context,
        target_agent: None,
        messages: vec![message],
    });
    match s.engine.apply(input).await {
        Ok(Reply::WorkItem(id)) => tracing::info!(item = %id, "SMS conversation started"),
        Ok(_) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(twiml(EMPTY_TWIML.into()))
}

/// The live SMS conversation with this number (the newest, should there be several).
async fn open_conversation(engine: &Engine, from: &PhoneNumber) -> Option<WorkItemId> {
    engine
        .read(|r, _| {
            r.work_items()
                .filter(|i| i.customer.phone.as_ref() == Some(from))
                .filter(|i| i.channel == Channel::Sms)
                .max_by_key(|i| i.id)
                .map(|i| i.conversation_id())
        })
        .await
}

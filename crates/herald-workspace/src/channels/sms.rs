//! `POST /channels/twilio/sms`: Twilio's inbound message webhook. See the module docs of
//! [`crate::channels`].

use super::twilio::{self, EMPTY_TWIML};
use super::{CHANNEL_KEY, CHANNEL_SMS, Channels, SMS_TO_KEY};
use crate::engine::{Engine, EngineError};
use crate::http::AppState;
use crate::http::error::AppError;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use herald_core::{Author, CoreError, Input, NewMessage, NewWorkItem, PhoneNumber, QueueId, Reply, Scenario, WorkItemId};
use herald_protocol::ErrorCode;
use std::collections::BTreeMap;

/// Checks the Twilio signature of a form-encoded webhook and returns its parameters.
/// 404 when Twilio is not configured; 403 when the signature is missing or wrong.
pub fn verify(channels: &Channels, headers: &HeaderMap, uri: &Uri, body: &[u8]) -> Result<Vec<(String, String)>, AppError> {
    let Some(cfg) = &channels.config.twilio else {
        return Err(AppError::new(ErrorCode::NotFound, "the Twilio channel is not configured"));
    };
    let params: Vec<(String, String)> = url::form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let given = headers
        .get(twilio::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| AppError::forbidden("missing X-Twilio-Signature"))?;
    let settings = headers.get(twilio::SIGNATURE_SETTINGS_HEADER).and_then(|v| v.to_str().ok());
    let (algorithm, key) = twilio::signature_settings(settings)
        .ok_or_else(|| AppError::forbidden("unsupported signature algorithm in X-Twilio-Webhooks-Signature-Settings"))?;
    let secret = match &key {
        Some(k) => cfg.shared_keys.get(k).unwrap_or(&cfg.auth_token),
        None => &cfg.auth_token,
    };
    let url = channels.public_url_of(headers, uri);
    if !twilio::valid(secret, &url, &params, given, algorithm) {
        tracing::warn!(%url, "refused a Twilio webhook with a bad signature");
        return Err(AppError::forbidden("bad X-Twilio-Signature"));
    }
    Ok(params)
}

/// The first value of a form parameter.
pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

pub fn required<'a>(params: &'a [(String, String)], name: &str) -> Result<&'a str, AppError> {
    param(params, name).map(str::trim).filter(|v| !v.is_empty()).ok_or_else(|| AppError::invalid(name, format!("{name} is required")))
}

/// TwiML with the right content type.
pub fn twiml(body: String) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

/// The queue a channel's conversations go to: the configured one, else the first.
pub async fn queue_for(engine: &Engine, configured: Option<QueueId>) -> Result<QueueId, AppError> {
    match configured {
        Some(q) => Ok(q),
        None => engine
            .read(|r, _| r.queues().map(|q| q.id).min())
            .await
            .ok_or_else(|| AppError::new(ErrorCode::WrongState, "no queue takes these conversations yet; an admin must create one")),
    }
}

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
            Err(e) => return Err(AppError::internal(e)),
        }
    }
    let queue = queue_for(&s.engine, s.channels.config.sms_queue).await?;
    let mut context = BTreeMap::new();
    context.insert(CHANNEL_KEY.to_string(), CHANNEL_SMS.to_string());
    context.insert(SMS_TO_KEY.to_string(), to);
    context.insert("message".to_string(), text);
    let input = Input::Request(NewWorkItem {
        scenario: Scenario::Sms,
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
        Err(e) => return Err(AppError::internal(e)),
    }
    Ok(twiml(EMPTY_TWIML.into()))
}

/// The live SMS conversation with this number (the newest, should there be several).
async fn open_conversation(engine: &Engine, from: &PhoneNumber) -> Option<WorkItemId> {
    engine
        .read(|r, _| {
            r.work_items()
                .filter(|i| i.customer.phone.as_ref() == Some(from))
                .filter(|i| i.context.get(CHANNEL_KEY).map(String::as_str) == Some(CHANNEL_SMS))
                .max_by_key(|i| i.id)
                .map(|i| i.conversation_id())
        })
        .await
}

//! Voice through Twilio, after a bot (R3, R8, R21). Media is out of scope: Herald routes the
//! call and keeps its state; the audio stays in Twilio (the caller waits in a Twilio queue named
//! after the work item).
//!
//! - `POST /channels/twilio/voice` (Twilio's "a call comes in" webhook) answers with the bot
//!   step: a `<Gather input="speech dtmf">` asking the reason for the call. No work item yet.
//! - `POST /channels/twilio/voice/gathered` (the Gather's action) creates the voice work item
//!   with what the bot gathered (`botSummary`, `speech`, `digits` in its context; the bot's
//!   question and the caller's answer as messages) and answers "please hold" + `<Enqueue>`.
//!   Idempotent: the caller's answer is stored under `"{CallSid}:gathered"`, in the same
//!   transaction as the item, so a retried callback finds it.
//! - `POST /channels/twilio/voice/status` (the status callback): `completed`, `canceled`,
//!   `busy`, `no-answer` or `failed` end the work item — an offer is withdrawn, a session
//!   closes (R25/R26 never wait for a caller who is gone).

use super::queue_for;
use super::twilio::{EMPTY_TWIML, param, required, twiml, verify, xml_escape};
use crate::edge::AppState;
use crate::edge::error::AppError;
use crate::engine::Engine;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::post;
use herald_core::{Author, Channel, Input, NewMessage, NewWorkItem, PhoneNumber, Reply, Scenario, WorkItemId};
use std::collections::BTreeMap;

const QUESTION: &str = "Thanks for calling. In a few words, what is your call about? \
    Or press 1 for billing, 2 for orders, 3 for anything else.";
const GATHERED: &str = "/channels/twilio/voice/gathered";

/// The voice channel's routes (Twilio's webhooks for a call).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/channels/twilio/voice", post(incoming))
        .route(GATHERED, post(gathered))
        .route("/channels/twilio/voice/status", post(status))
}

/// The voice channel's part of the OpenAPI document.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(paths(incoming, gathered, status))]
pub struct Api;

fn gathered_id(call: &str) -> String {
    format!("{call}:gathered")
}

/// The conversation of a call, if the bot step created one.
async fn item_of(engine: &Engine, call: &str) -> Result<Option<WorkItemId>, AppError> {
    Ok(engine.store().message_by_external_id(&gathered_id(call)).await?.map(|m| m.work_item))
}

fn hold_twiml(item: WorkItemId) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say>Thank you. Please hold while we connect you to an agent.</Say>\
         <Enqueue>herald-{}</Enqueue></Response>",
        item.0
    )
}

#[utoipa::path(post, path = "/channels/twilio/voice", tag = "channels",
    description = "Twilio's incoming-call webhook: answers with the bot step (a Gather asking the reason). \
        Authenticated by X-Twilio-Signature, like the SMS webhook.",
    params(("X-Twilio-Signature" = String, Header, description = "Twilio's request signature")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "CallSid, From, To, CallStatus, …"),
    responses((status = 200, description = "TwiML", content_type = "text/xml", body = String),
        (status = 400, body = herald_protocol::ApiError), (status = 403, body = herald_protocol::ApiError),
        (status = 404, description = "Twilio is not configured", body = herald_protocol::ApiError)))]
pub async fn incoming(State(s): State<AppState>, headers: HeaderMap, uri: Uri, body: Bytes) -> Result<Response, AppError> {
    let params = verify(&s.channels, &headers, &uri, &body)?;
    required(&params, "CallSid")?;
    Ok(twiml(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>\
         <Gather input=\"speech dtmf\" action=\"{GATHERED}\" method=\"POST\" numDigits=\"1\" timeout=\"6\" speechTimeout=\"auto\">\
         <Say>{}</Say></Gather><Redirect method=\"POST\">{GATHERED}</Redirect></Response>",
        xml_escape(QUESTION)
    )))
}

#[utoipa::path(post, path = "/channels/twilio/voice/gathered", tag = "channels",
    description = "The bot step's result (SpeechResult or Digits): creates the voice work item with what the bot gathered \
        (R3, R8) and puts the caller on hold. Idempotent by CallSid. Authenticated by X-Twilio-Signature.",
    params(("X-Twilio-Signature" = String, Header, description = "Twilio's request signature")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "CallSid, From, SpeechResult, Digits, …"),
    responses((status = 200, description = "TwiML", content_type = "text/xml", body = String),
        (status = 400, body = herald_protocol::ApiError), (status = 403, body = herald_protocol::ApiError),
        (status = 404, description = "Twilio is not configured", body = herald_protocol::ApiError)))]
pub async fn gathered(State(s): State<AppState>, headers: HeaderMap, uri: Uri, body: Bytes) -> Result<Response, AppError> {
    let params = verify(&s.channels, &headers, &uri, &body)?;
    let call = required(&params, "CallSid")?.to_string();
    let from = match param(&params, "From").map(str::trim).filter(|f| !f.is_empty()) {
        // Withheld numbers come as "anonymous" or "client:…": no phone, no contact match.
        Some(f) => PhoneNumber::parse(f).ok(),
        None => None,
    };
    let speech = param(&params, "SpeechResult").map(str::trim).filter(|v| !v.is_empty());
    let digits = param(&params, "Digits").map(str::trim).filter(|v| !v.is_empty());
    let menu = |d: &str| match d {
        "1" => "Billing",
        "2" => "Orders",
        _ => "Something else",
    };
    let (summary, answer) = match (speech, digits) {
        (Some(sp), _) => (sp.to_string(), Some(sp.to_string())),
        (None, Some(d)) => (menu(d).to_string(), Some(format!("pressed {d}"))),
        (None, None) => ("No reason given".to_string(), None),
    };
    let _one_at_a_time = s.channels.inbound_lock.lock().await;
    if let Some(item) = item_of(&s.engine, &call).await? {
        return Ok(twiml(hold_twiml(item)));
    }
    let mut context = BTreeMap::new();
    context.insert("callSid".to_string(), call.clone());
    context.insert("botSummary".to_string(), summary);
    if let Some(sp) = speech {
        context.insert("speech".to_string(), sp.to_string());
    }
    if let Some(d) = digits {
        context.insert("digits".to_string(), d.to_string());
    }
    let bot = |body: &str, external_id: Option<String>| NewMessage {
        author: Author::Bot,
        author_name: Some("Voice bot".into()),
        body: body.into(),
        external_id,
    };
    // The marker under the call's id makes a retried callback find this item.
    let messages = match answer {
        Some(a) => vec![
            bot(QUESTION, None),
            NewMessage { author: Author::Customer, author_name: None, body: a, external_id: Some(gathered_id(&call)) },
        ],
        None => vec![bot(QUESTION, None), bot("The caller gave no reason.", Some(gathered_id(&call)))],
    };
    let queue = queue_for(&s.engine, s.channels.config.voice_queue).await?;
    let input = Input::Request(NewWorkItem {
        scenario: Scenario::Voice,
        channel: Some(Channel::Voice),
        queue,
        customer_name: String::new(),
        phone: from,
        context,
        target_agent: None,
        messages,
    });
    match s.engine.apply(input).await {
        Ok(Reply::WorkItem(item)) => {
            tracing::info!(%item, %call, "voice call handed from the bot to routing");
            Ok(twiml(hold_twiml(item)))
        }
        Ok(other) => Err(AppError::internal(format!("a voice request replied {other:?}"))),
        Err(e) => Err(e.into()),
    }
}

#[utoipa::path(post, path = "/channels/twilio/voice/status", tag = "channels",
    description = "Twilio's call status callback: completed, canceled, busy, no-answer or failed end the call's work item \
        (an offer is withdrawn, a session closes). Authenticated by X-Twilio-Signature.",
    params(("X-Twilio-Signature" = String, Header, description = "Twilio's request signature")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "CallSid, CallStatus, …"),
    responses((status = 200, description = "empty TwiML", content_type = "text/xml", body = String),
        (status = 400, body = herald_protocol::ApiError), (status = 403, body = herald_protocol::ApiError),
        (status = 404, description = "Twilio is not configured", body = herald_protocol::ApiError)))]
pub async fn status(State(s): State<AppState>, headers: HeaderMap, uri: Uri, body: Bytes) -> Result<Response, AppError> {
    let params = verify(&s.channels, &headers, &uri, &body)?;
    let call = required(&params, "CallSid")?.to_string();
    let status = required(&params, "CallStatus")?.to_string();
    let ended = match status.as_str() {
        "completed" | "canceled" | "busy" | "no-answer" | "failed" => true,
        "queued" | "initiated" | "ringing" | "in-progress" => false,
        other => {
            tracing::warn!(%call, status = other, "unknown CallStatus; ignored");
            false
        }
    };
    if !ended {
        return Ok(twiml(EMPTY_TWIML.into()));
    }
    let _one_at_a_time = s.channels.inbound_lock.lock().await;
    let Some(item) = item_of(&s.engine, &call).await? else {
        // The caller hung up during the bot step: nothing was routed.
        return Ok(twiml(EMPTY_TWIML.into()));
    };
    let note = NewMessage { author: Author::System, author_name: None, body: format!("The call ended ({status})."), external_id: None };
    super::end_conversation(&s.engine, item, note).await?;
    Ok(twiml(EMPTY_TWIML.into()))
}

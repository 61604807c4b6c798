//! Bot escalation (R8): a bot hands a running chat to a human with its transcript, then relays
//! the rest of the chat both ways.
//!
//! Bots sign in as *integrations*: their own kind of bearer token (`hrldi_…`, stored as SHA-256,
//! issued and revoked by admins). An integration is not an agent — it never gets work, agent
//! endpoints refuse its token, and staff tokens do not open these endpoints. An integration
//! sees only the conversations it escalated (their work item's context holds its id).
//!
//! The escalation is idempotent by the bot's `conversation_id`: the hand-over note in the
//! transcript carries it as its external id, in the same transaction as the work item.

use super::queue_for;
use crate::auth::hash_token;
use crate::edge::AppState;
use crate::edge::error::AppError;
use crate::edge::extract::{ApiJson, Caller, parse_id};
use crate::engine::{EngineError, now};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use base64::Engine as _;
use herald_core::{
    Author, Channel, CoreError, Input, Message, NewMessage, NewWorkItem, PhoneNumber, Reply, Role, Scenario, WorkItem, WorkItemId,
};
use herald_protocol::{
    ApiError, BotEscalation, ErrorCode, Integration, IntegrationInput, IssuedIntegration, SendMessageRequest, WorkItemCreated,
};
use rand::RngCore;
use std::collections::HashMap;
use std::time::Duration;

/// Context key holding the id of the integration that escalated a conversation.
pub const INTEGRATION_KEY: &str = "integration";

/// The bot channel's routes, and the admin routes for integration tokens.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/admin/integrations", get(list).post(create))
        .route("/v1/admin/integrations/{id}", delete(revoke))
        .route("/v1/bot/escalations", post(escalate))
        .route("/v1/bot/conversations/{id}/messages", get(read).post(relay))
}

/// The bot channel's part of the OpenAPI document.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(paths(escalate, relay, read, list, create, revoke))]
pub struct Api;

/// A caller signed in with an integration token.
#[derive(Clone, Debug)]
pub struct IntegrationCaller {
    pub id: u64,
    pub name: String,
}

impl FromRequestParts<AppState> for IntegrationCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(|| AppError::new(ErrorCode::Unauthenticated, "missing integration token (Authorization: Bearer …)"))?;
        match state.engine.store().integration_by_hash(&hash_token(token)).await? {
            Some((id, name)) => Ok(Self { id, name }),
            None => Err(AppError::new(ErrorCode::Unauthenticated, "unknown or revoked integration token")),
        }
    }
}

fn marker(integration: u64, conversation: &str) -> String {
    format!("bot:{integration}:{conversation}")
}

#[utoipa::path(post, path = "/v1/bot/escalations", tag = "integration", security(("bearer" = [])), request_body = BotEscalation,
    description = "A bot hands a running chat to a human with its transcript (R8): a bot_escalation work item whose messages \
        are the transcript. Integration token only. A retry with the same conversation_id answers 200 with the same item.",
    responses((status = 201, body = WorkItemCreated), (status = 200, description = "already escalated", body = WorkItemCreated),
        (status = 400, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn escalate(
    State(s): State<AppState>,
    bot: IntegrationCaller,
    ApiJson(req): ApiJson<BotEscalation>,
) -> Result<(StatusCode, Json<WorkItemCreated>), AppError> {
    let conversation = req.conversation_id.trim();
    if conversation.is_empty() || conversation.len() > 200 {
        return Err(AppError::invalid("conversation_id", "1–200 characters"));
    }
    let summary = req.summary.trim();
    if summary.is_empty() {
        return Err(AppError::invalid("summary", "say why the bot hands over"));
    }
    let phone = match req.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Some(PhoneNumber::parse(p).map_err(|e| AppError::invalid("phone", e.reason))?),
        None => None,
    };
    if let Some(i) = req.transcript.iter().position(|l| !matches!(l.author, Author::Customer | Author::Bot)) {
        return Err(AppError::invalid(format!("transcript[{i}].author"), "customer or bot"));
    }
    let bot_name = req.bot_name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| bot.name.clone());
    let key = marker(bot.id, conversation);
    let _one_at_a_time = s.channels.inbound_lock.lock().await;
    if let Some(m) = s.engine.store().message_by_external_id(&key).await? {
        let item = work_item(&s, m.work_item).await?;
        return Ok((StatusCode::OK, Json(WorkItemCreated { work_item: item })));
    }
    let mut context = req.context.clone();
    context.insert(INTEGRATION_KEY.into(), bot.id.to_string());
    context.insert("botSummary".into(), summary.to_string());
    context.insert("botName".into(), bot_name.clone());
    let mut messages: Vec<NewMessage> = req
        .transcript
        .iter()
        .map(|l| NewMessage {
            author: l.author,
            author_name: (l.author == Author::Bot).then(|| bot_name.clone()),
            body: l.body.clone(),
            external_id: None,
        })
        .collect();
    messages.push(NewMessage {
        author: Author::System,
        author_name: None,
        body: format!("{bot_name} handed this conversation to a human: {summary}"),
        external_id: Some(key),
    });
    let queue = queue_for(&s.engine, req.queue).await?;
    let input = Input::Request(NewWorkItem {
        scenario: Scenario::BotEscalation,
        channel: Some(Channel::Chat),
        queue,
        customer_name: req.customer_name.clone(),
        phone,
        context,
        target_agent: None,
        messages,
    });
    let item = match s.engine.apply(input).await {
        Ok(Reply::WorkItem(id)) => id,
        Ok(other) => return Err(AppError::internal(format!("an escalation replied {other:?}"))),
        Err(EngineError::Core(CoreError::Invalid(i))) => {
            // Messages are checked in the core; name the transcript line.
            return Err(AppError::invalid(format!("transcript.{}", i.field), i.to_string()));
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(%item, integration = bot.id, "bot escalated a conversation");
    Ok((StatusCode::CREATED, Json(WorkItemCreated { work_item: work_item(&s, item).await? })))
}

async fn work_item(s: &AppState, id: WorkItemId) -> Result<WorkItem, AppError> {
    if let Some(i) = s.engine.read(|r, _| r.work_item(id).cloned()).await {
        return Ok(i);
    }
    s.engine.store().work_item(id).await?.ok_or_else(|| AppError::new(ErrorCode::NotFound, format!("no conversation {id}")))
}

/// The conversation, if this integration escalated it.
async fn own(s: &AppState, bot: &IntegrationCaller, id: &str) -> Result<WorkItem, AppError> {
    let item = work_item(s, WorkItemId(parse_id(id, "id")?)).await?;
    if item.context.get(INTEGRATION_KEY) != Some(&bot.id.to_string()) {
        return Err(AppError::forbidden(format!("{} was not escalated by this integration", item.id)));
    }
    Ok(item)
}

#[utoipa::path(post, path = "/v1/bot/conversations/{id}/messages", tag = "integration", security(("bearer" = [])),
    request_body = SendMessageRequest,
    description = "The bot relays what the customer says after the hand-over. Integration token only; own conversations only.",
    params(("id" = u64, Path, description = "work item id")),
    responses((status = 201, body = Message), (status = 400, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError), (status = 409, description = "the conversation ended", body = ApiError)))]
pub async fn relay(
    State(s): State<AppState>,
    bot: IntegrationCaller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SendMessageRequest>,
) -> Result<(StatusCode, Json<Message>), AppError> {
    let item = own(&s, &bot, &id).await?;
    let m = super::customer_says(&s, item.id, req.body, "the conversation has ended").await?;
    Ok((StatusCode::CREATED, Json(m)))
}

#[utoipa::path(get, path = "/v1/bot/conversations/{id}/messages", tag = "integration", security(("bearer" = [])),
    description = "The conversation's messages after `after` (the agent's replies for the bot to relay). Long poll with \
        `wait` (0–30 s). Integration token only; own conversations only.",
    params(("id" = u64, Path, description = "work item id"),
        ("after" = Option<u64>, Query, description = "messages after this id"),
        ("wait" = Option<u64>, Query, description = "seconds to wait for one (0–30)")),
    responses((status = 200, body = Vec<Message>), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn read(
    State(s): State<AppState>,
    bot: IntegrationCaller,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Vec<Message>>, AppError> {
    let item = own(&s, &bot, &id).await?;
    let after: u64 = match q.get("after") {
        None => 0,
        Some(a) => a.parse().map_err(|_| AppError::invalid("after", "after must be a message id"))?,
    };
    let wait: u64 = match q.get("wait") {
        None => 0,
        Some(w) => w.parse().ok().filter(|w| *w <= 30).ok_or_else(|| AppError::invalid("wait", "wait must be 0–30 seconds"))?,
    };
    let mut changes = s.engine.changes();
    let until = tokio::time::Instant::now() + Duration::from_secs(wait);
    loop {
        let messages = s.engine.store().messages_after(item.id, after).await?;
        if !messages.is_empty() || wait == 0 {
            return Ok(Json(messages));
        }
        tokio::select! {
            r = changes.changed() => if r.is_err() { return Ok(Json(messages)) },
            () = tokio::time::sleep_until(until) => return Ok(Json(messages)),
        }
    }
}

// ----- admin -----

#[utoipa::path(get, path = "/v1/admin/integrations", tag = "admin", security(("bearer" = [])), responses((status = 200, body = Vec<Integration>)))]
pub async fn list(State(s): State<AppState>, caller: Caller) -> Result<Json<Vec<Integration>>, AppError> {
    caller.require(Role::Admin)?;
    Ok(Json(s.engine.store().integrations().await?))
}

#[utoipa::path(post, path = "/v1/admin/integrations", tag = "admin", security(("bearer" = [])), request_body = IntegrationInput,
    responses((status = 201, body = IssuedIntegration), (status = 400, body = ApiError)))]
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<IntegrationInput>,
) -> Result<(StatusCode, Json<IssuedIntegration>), AppError> {
    caller.require(Role::Admin)?;
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid("name", "1–100 characters"));
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("hrldi_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes));
    let integration = s.engine.store().insert_integration(name, &hash_token(&token), now().0).await?;
    tracing::info!(id = integration.id, name, "integration created");
    let (target, detail) = (Some(format!("integration-{}", integration.id)), format!("created integration {name:?}"));
    crate::audit::record(s.engine.store(), Some(caller.agent), None, "integration_created", target, detail).await;
    Ok((StatusCode::CREATED, Json(IssuedIntegration { integration, token })))
}

#[utoipa::path(delete, path = "/v1/admin/integrations/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = u64, Path, description = "integration id")), responses((status = 204), (status = 404, body = ApiError)))]
pub async fn revoke(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, AppError> {
    caller.require(Role::Admin)?;
    let id = parse_id(&id, "id")?;
    if s.engine.store().revoke_integration(id, now().0).await? {
        let (target, detail) = (Some(format!("integration-{id}")), format!("revoked integration {id}"));
        crate::audit::record(s.engine.store(), Some(caller.agent), None, "integration_revoked", target, detail).await;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::new(ErrorCode::NotFound, format!("no active integration {id}")))
    }
}

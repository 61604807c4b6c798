//! Customer web chat: a small page per widget (plain HTML + JS served from here, no build step),
//! an embeddable script, and the customer's API.
//!
//! The customer gives a name and answers the widget's pre-chat questions; that creates a chat
//! work item whose context holds the answers (template placeholders, R9/R23) and a random
//! per-conversation token (stored as SHA-256) that is the customer's only key: it opens this
//! conversation and nothing else. The customer sees "waiting for an agent", then the agent's
//! display name and the messages — never agent ids, presence, or other internals. Real time is
//! a long poll (`wait` seconds) that wakes on every committed change.

use super::queue_for;
use crate::auth::hash_token;
use crate::edge::AppState;
use crate::edge::error::AppError;
use crate::edge::extract::{ApiJson, Caller, parse_id};
use crate::edge::limits::ChatStartAllowed;
use crate::engine::{Engine, now};
use crate::store::Extra;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use base64::Engine as _;
use herald_core::{Author, Channel, Input, Message, NewMessage, NewWorkItem, Reply, Scenario, SessionState, WorkItemId, WorkItemState};
use herald_protocol::{
    ApiError, ChatLine, ChatParty, ChatSay, ChatStart, ChatStarted, ChatState, ChatView, ErrorCode, PublicWidget, Widget, WidgetQuestion,
};
use rand::RngCore;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

const PAGE: &str = include_str!("webchat.html");
const EMBED: &str = include_str!("embed.js");

/// Context key of the widget a chat came through.
pub const WIDGET_KEY: &str = "widget";
/// Context keys Herald sets itself; a question may not use them.
const RESERVED: &[&str] =
    &["customerName", "customerPhone", "queueId", "queueName", "scenario", "channel", "widget", "message", "fromAgent"];
pub const MAX_QUESTIONS: usize = 10;
const MAX_ANSWER_CHARS: usize = 500;
const MAX_NAME_CHARS: usize = 100;

/// The web chat channel's routes: the customer's page, script and API, and the admin routes for
/// widgets.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/admin/widgets", get(list_widgets))
        .route("/v1/admin/widgets/{id}", put(put_widget))
        .route("/webchat/embed.js", get(embed))
        .route("/webchat/{widget}", get(page))
        .route("/webchat/{widget}/widget.json", get(widget_json))
        .route("/webchat/{widget}/conversations", post(start))
        .route("/webchat/conversations/{id}", get(poll))
        .route("/webchat/conversations/{id}/messages", post(say))
        .route("/webchat/conversations/{id}/leave", post(leave))
}

/// The web chat channel's part of the OpenAPI document.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(paths(page, embed, widget_json, start, poll, say, leave, list_widgets, put_widget))]
pub struct Api;

/// The widget every workspace starts with (the demo uses it): `/webchat/default`.
pub fn default_widget() -> Widget {
    Widget {
        id: "default".into(),
        title: "Chat with us".into(),
        greeting: "Tell us who you are and what it is about; an agent will be with you shortly.".into(),
        queue: None,
        questions: vec![
            WidgetQuestion { key: "email".into(), label: "Email".into(), required: false },
            WidgetQuestion { key: "topic".into(), label: "What is it about?".into(), required: true },
        ],
    }
}

/// Seeds [`default_widget`] when there is no widget yet.
pub async fn seed(engine: &Engine) -> Result<(), crate::store::StoreError> {
    if engine.store().widgets().await?.is_empty() {
        engine.store().put_widget(&default_widget()).await?;
    }
    Ok(())
}

fn valid_id(id: &str) -> bool {
    (1..=40).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Checks a widget an admin puts.
pub fn validate(w: &Widget) -> Result<(), AppError> {
    if !valid_id(&w.id) {
        return Err(AppError::invalid("id", "1–40 lower-case letters, digits or dashes"));
    }
    let text = |field: &str, value: &str, max: usize, required: bool| herald_core::config::check_text(field, value, max, required);
    text("title", &w.title, MAX_NAME_CHARS, true)?;
    text("greeting", &w.greeting, 500, false)?;
    if w.questions.len() > MAX_QUESTIONS {
        return Err(AppError::invalid("questions", format!("at most {MAX_QUESTIONS}")));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, q) in w.questions.iter().enumerate() {
        let mut chars = q.key.chars();
        let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok || q.key.len() > 40 {
            return Err(AppError::invalid(format!("questions[{i}].key"), "a letter, then letters, digits or _ (at most 40)"));
        }
        if RESERVED.contains(&q.key.as_str()) {
            return Err(AppError::invalid(format!("questions[{i}].key"), format!("{:?} is set by Herald itself", q.key)));
        }
        if !seen.insert(q.key.clone()) {
            return Err(AppError::invalid(format!("questions[{i}].key"), "keys must be unique"));
        }
        text(&format!("questions[{i}].label"), &q.label, 200, true)?;
    }
    Ok(())
}

fn not_found(what: &str) -> AppError {
    AppError::new(ErrorCode::NotFound, format!("no chat widget {what:?}"))
}

async fn widget_of(s: &AppState, id: &str) -> Result<Widget, AppError> {
    if !valid_id(id) {
        return Err(not_found(id));
    }
    s.engine.store().widget(id).await?.ok_or_else(|| not_found(id))
}

#[utoipa::path(get, path = "/webchat/{widget}", tag = "webchat",
    description = "The customer chat page of a widget (HTML). Public.",
    params(("widget" = String, Path, description = "widget id")),
    responses((status = 200, description = "the page", content_type = "text/html", body = String), (status = 404, body = ApiError)))]
pub async fn page(State(s): State<AppState>, Path(widget): Path<String>) -> Result<Response, AppError> {
    widget_of(&s, &widget).await?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], PAGE).into_response())
}

#[utoipa::path(get, path = "/webchat/embed.js", tag = "webchat",
    description = "Embeddable script: `<script src=\".../webchat/embed.js\" data-widget=\"default\"></script>` adds a chat button that opens the page. Public.",
    responses((status = 200, description = "JavaScript", content_type = "text/javascript", body = String)))]
pub async fn embed() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], EMBED).into_response()
}

#[utoipa::path(get, path = "/webchat/{widget}/widget.json", tag = "webchat",
    description = "What the chat page asks before a chat starts. Public.",
    params(("widget" = String, Path, description = "widget id")),
    responses((status = 200, body = PublicWidget), (status = 404, body = ApiError)))]
pub async fn widget_json(State(s): State<AppState>, Path(widget): Path<String>) -> Result<Json<PublicWidget>, AppError> {
    let w = widget_of(&s, &widget).await?;
    Ok(Json(PublicWidget { id: w.id, title: w.title, greeting: w.greeting, questions: w.questions }))
}

fn customer_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("hrldc_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

#[utoipa::path(post, path = "/webchat/{widget}/conversations", tag = "webchat",
    description = "A customer starts a chat (R1): name and pre-chat answers become the work item's context. Public; \
        the answer carries the conversation's customer token, shown once.",
    params(("widget" = String, Path, description = "widget id")), request_body = ChatStart,
    responses((status = 201, body = ChatStarted), (status = 400, body = ApiError), (status = 404, body = ApiError),
        (status = 409, description = "no queue takes chats", body = ApiError),
        (status = 429, description = "too many chats from this address; see Retry-After", body = ApiError)))]
pub async fn start(
    _: ChatStartAllowed,
    State(s): State<AppState>,
    Path(widget): Path<String>,
    ApiJson(req): ApiJson<ChatStart>,
) -> Result<(StatusCode, Json<ChatStarted>), AppError> {
    let w = widget_of(&s, &widget).await?;
    let name = req.name.trim().to_string();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::invalid("name", format!("1–{MAX_NAME_CHARS} characters")));
    }
    let mut context = BTreeMap::new();
    for (key, value) in &req.answers {
        if !w.questions.iter().any(|q| &q.key == key) {
            return Err(AppError::invalid(format!("answers.{key}"), "this widget does not ask that"));
        }
        if value.chars().count() > MAX_ANSWER_CHARS {
            return Err(AppError::invalid(format!("answers.{key}"), format!("at most {MAX_ANSWER_CHARS} characters")));
        }
        let v = value.trim();
        if !v.is_empty() {
            context.insert(key.clone(), v.to_string());
        }
    }
    if let Some(q) = w.questions.iter().find(|q| q.required && !context.contains_key(&q.key)) {
        return Err(AppError::invalid(format!("answers.{}", q.key), format!("{} is required", q.label)));
    }
    context.insert(WIDGET_KEY.into(), w.id.clone());
    let queue = queue_for(&s.engine, w.queue).await?;
    let input = Input::Request(NewWorkItem {
        scenario: Scenario::Chat,
        channel: Some(Channel::Chat),
        queue,
        customer_name: name,
        phone: None,
        context,
        target_agent: None,
        messages: Vec::new(),
    });
    // The item and the customer's token are one commit: a crash between two would leave a
    // chat its customer cannot open.
    let token = customer_token();
    let token_hash = hash_token(&token);
    let extras = |reply: &Reply| match reply {
        Reply::WorkItem(item) => vec![Extra::Webchat { item: *item, widget: w.id.clone(), token_hash, at_ms: now().0 }],
        _ => Vec::new(),
    };
    let item = match s.engine.apply_with(input, extras, |_, reply| reply.clone()).await {
        Ok(Reply::WorkItem(id)) => id,
        Ok(other) => return Err(AppError::internal(format!("a chat request replied {other:?}"))),
        Err(e) => return Err(e.into()),
    };
    tracing::info!(%item, widget = %w.id, "web chat started");
    Ok((StatusCode::CREATED, Json(ChatStarted { conversation: item, token })))
}

/// The conversation the customer's bearer token opens, which must be the one in the path.
async fn customer(s: &AppState, headers: &HeaderMap, id: &str) -> Result<WorkItemId, AppError> {
    let item = WorkItemId(parse_id(id, "id")?);
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        .map(str::trim)
        .ok_or_else(|| AppError::new(ErrorCode::Unauthenticated, "missing the conversation's token (Authorization: Bearer …)"))?;
    match s.engine.store().webchat_by_token(&hash_token(token)).await? {
        None => Err(AppError::new(ErrorCode::Unauthenticated, "unknown conversation token")),
        Some(found) if found != item => Err(AppError::forbidden("this token opens another conversation")),
        Some(found) => Ok(found),
    }
}

fn line(m: Message) -> ChatLine {
    let from = match m.author {
        Author::Customer => ChatParty::You,
        Author::Agent => ChatParty::Agent,
        Author::Bot => ChatParty::Bot,
        Author::System => ChatParty::System,
    };
    ChatLine { id: m.id, from, name: m.author_name, body: m.body, at: m.at }
}

async fn view(engine: &Engine, item: WorkItemId, after: u64) -> Result<ChatView, AppError> {
    // The conversation may have moved on to other work items (transfers, R6/R7): connected
    // while any agent has it open, waiting while any item of it is live, else ended.
    let (state, agent_name) = engine
        .read(|r, _| {
            let mut state = (ChatState::Ended, None);
            for i in r.conversation_items(item) {
                match &i.state {
                    WorkItemState::Assigned { session, agent } if r.session(*session).is_some_and(|s| s.state == SessionState::Open) => {
                        state = (ChatState::Connected, r.agent(*agent).map(|a| a.name.clone()));
                    }
                    WorkItemState::Assigned { .. } | WorkItemState::Queued | WorkItemState::Offered { .. }
                        if state.0 == ChatState::Ended =>
                    {
                        state = (ChatState::Waiting, None);
                    }
                    WorkItemState::Assigned { .. }
                    | WorkItemState::Queued
                    | WorkItemState::Offered { .. }
                    | WorkItemState::Closed { .. } => {}
                }
            }
            state
        })
        .await;
    let lines = engine.store().messages_after(item, after).await?.into_iter().map(line).collect();
    Ok(ChatView { state, agent_name, lines })
}

#[utoipa::path(get, path = "/webchat/conversations/{id}", tag = "webchat",
    description = "The customer's view of their chat: state, the agent's display name, lines after `after`. Long poll: \
        with `wait`, answers as soon as there is a line after `after` or the state differs from `state`. \
        Authenticated by the conversation's customer token (Authorization: Bearer), not an agent token.",
    params(("id" = u64, Path, description = "conversation id"),
        ("after" = Option<u64>, Query, description = "lines after this id"),
        ("state" = Option<ChatState>, Query, description = "the state the page shows"),
        ("wait" = Option<u64>, Query, description = "seconds to wait for news (0–30)")),
    responses((status = 200, body = ChatView), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn poll(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<ChatView>, AppError> {
    let item = customer(&s, &headers, &id).await?;
    let after: u64 = match q.get("after") {
        None => 0,
        Some(a) => a.parse().map_err(|_| AppError::invalid("after", "after must be a message id"))?,
    };
    let wait: u64 = match q.get("wait") {
        None => 0,
        Some(w) => w.parse().ok().filter(|w| *w <= 30).ok_or_else(|| AppError::invalid("wait", "wait must be 0–30 seconds"))?,
    };
    let known: Option<ChatState> = match q.get("state").map(String::as_str) {
        None => None,
        Some("waiting") => Some(ChatState::Waiting),
        Some("connected") => Some(ChatState::Connected),
        Some("ended") => Some(ChatState::Ended),
        Some(_) => return Err(AppError::invalid("state", "waiting, connected or ended")),
    };
    let mut changes = s.engine.changes();
    let mut shutdown = s.shutdown.clone();
    let until = tokio::time::Instant::now() + Duration::from_secs(wait);
    loop {
        let v = view(&s.engine, item, after).await?;
        if wait == 0 || !v.lines.is_empty() || known != Some(v.state) {
            return Ok(Json(v));
        }
        tokio::select! {
            r = changes.changed() => if r.is_err() { return Ok(Json(v)) },
            () = tokio::time::sleep_until(until) => return Ok(Json(v)),
            _ = shutdown.wait_for(|stop| *stop) => return Ok(Json(v)),
        }
    }
}

#[utoipa::path(post, path = "/webchat/conversations/{id}/messages", tag = "webchat",
    description = "The customer writes (R10). Authenticated by the conversation's customer token.",
    params(("id" = u64, Path, description = "conversation id")), request_body = ChatSay,
    responses((status = 201, body = ChatLine), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 409, description = "the chat ended", body = ApiError),
        (status = 429, description = "too many messages; see Retry-After", body = ApiError)))]
pub async fn say(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ChatSay>,
) -> Result<(StatusCode, Json<ChatLine>), AppError> {
    let item = customer(&s, &headers, &id).await?;
    s.limits.chat_message(item)?;
    let m = super::customer_says(&s, item, req.body, "this chat has ended").await?;
    Ok((StatusCode::CREATED, Json(line(m))))
}

#[utoipa::path(post, path = "/webchat/conversations/{id}/leave", tag = "webchat",
    description = "The customer leaves: the agent is told in the transcript and the conversation closes. \
        Authenticated by the conversation's customer token.",
    params(("id" = u64, Path, description = "conversation id")),
    responses((status = 204), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn leave(State(s): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Result<StatusCode, AppError> {
    let item = customer(&s, &headers, &id).await?;
    let name = s.engine.read(|r, _| r.conversation_items(item).next().map(|i| i.customer.name.clone())).await;
    let Some(name) = name else { return Ok(StatusCode::NO_CONTENT) };
    let note = NewMessage { author: Author::System, author_name: None, body: format!("{name} left the chat."), external_id: None };
    super::end_conversation(&s.engine, item, note).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ----- admin -----

#[utoipa::path(get, path = "/v1/admin/widgets", tag = "admin", security(("bearer" = [])), responses((status = 200, body = Vec<Widget>)))]
pub async fn list_widgets(State(s): State<AppState>, caller: Caller) -> Result<Json<Vec<Widget>>, AppError> {
    caller.require(herald_core::Role::Admin)?;
    Ok(Json(s.engine.store().widgets().await?))
}

#[utoipa::path(put, path = "/v1/admin/widgets/{id}", tag = "admin", security(("bearer" = [])), request_body = Widget,
    params(("id" = String, Path, description = "widget id")), responses((status = 200, body = Widget), (status = 400, body = ApiError)))]
pub async fn put_widget(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(w): ApiJson<Widget>,
) -> Result<Json<Widget>, AppError> {
    caller.require(herald_core::Role::Admin)?;
    if w.id != id {
        return Err(AppError::invalid("id", format!("body is for {:?} but the path says {id:?}", w.id)));
    }
    validate(&w)?;
    if let Some(q) = w.queue {
        if s.engine.read(|r, _| r.queue(q).is_none()).await {
            return Err(AppError::new(ErrorCode::NotFound, format!("no queue {q}")));
        }
    }
    s.engine.store().put_widget(&w).await?;
    let queue = w.queue.map_or_else(|| "the default queue".to_string(), |q| q.to_string());
    let detail = format!("{:?} to {queue}, {} questions", w.title, w.questions.len());
    crate::audit::record(s.engine.store(), Some(caller.agent), None, "widget_changed", Some(format!("widget {}", w.id)), detail).await;
    Ok(Json(w))
}

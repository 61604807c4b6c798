//! The staff API's handlers for agents and supervisors (and the ingress of conversations):
//! each parses, checks the role, calls the engine once, maps the error. Administration is in
//! [`super::admin`].

use crate::edge::AppState;
use crate::edge::error::{AppError, classify};
use crate::edge::extract::{ApiJson, Caller, parse_id};
use crate::engine::{Engine, now};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::sse::{Event, Sse};
use futures_util::Stream;
use herald_core::{AgentId, Input, NewWorkItem, OfferId, PhoneNumber, Reply, Role, Router, Scenario, SessionId, TransferKind, WorkItemId};
use herald_protocol::{
    AcceptResponse, AgentSummary, ApiError, CallControlRequest, EventEnvelope, EventsPage, Health, Me, Message, NewConversation,
    SendMessageRequest, Session, SetPresenceRequest, Transcript, TransferRequest, WorkItemCreated,
};
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

pub(super) type Result<T> = std::result::Result<T, AppError>;

pub(super) async fn run(engine: &Engine, caller: &Caller, input: Input) -> Result<Reply> {
    match engine.apply(input).await {
        Ok(r) => Ok(r),
        Err(e) => Err(classify(engine, caller.agent, e).await),
    }
}

pub(super) async fn run_then<R>(engine: &Engine, caller: &Caller, input: Input, read: impl FnOnce(&Router, &Reply) -> R) -> Result<R> {
    match engine.apply_then(input, read).await {
        Ok(r) => Ok(r),
        Err(e) => Err(classify(engine, caller.agent, e).await),
    }
}

pub(super) fn summary(r: &Router, agent: AgentId) -> Result<AgentSummary> {
    r.summary(agent).ok_or_else(|| AppError::new(herald_protocol::ErrorCode::NotFound, format!("no agent {agent}")))
}

pub(super) fn parse_phone(raw: Option<&str>, field: &str) -> Result<Option<PhoneNumber>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(p) => PhoneNumber::parse(p).map(Some).map_err(|e| AppError::invalid(field, e.reason)),
    }
}

#[utoipa::path(get, path = "/healthz", tag = "meta",
    responses((status = 200, body = Health), (status = 503, description = "the database does not answer", body = Health)))]
pub async fn healthz(State(s): State<AppState>) -> (StatusCode, Json<Health>) {
    let role = if s.epoch.is_some() { "leader" } else { "standalone" };
    crate::cluster::health(s.engine.store(), role, s.epoch).await
}

/// `GET /metrics` (OpenMetrics text, which Prometheus scrapes; not in the OpenAPI document): off (404) unless the
/// workspace has a metrics token, and then only with it.
pub async fn metrics(State(s): State<AppState>, headers: axum::http::HeaderMap) -> Result<impl IntoResponse> {
    let Some(want) = &s.metrics_token else {
        return Err(AppError::new(herald_protocol::ErrorCode::NotFound, "metrics are off (start the workspace with --metrics-token)"));
    };
    let given = headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|h| h.strip_prefix("Bearer "));
    if given.map(crate::auth::hash_token) != Some(crate::auth::hash_token(want)) {
        return Err(AppError::new(
            herald_protocol::ErrorCode::Unauthenticated,
            "GET /metrics needs the metrics token (Authorization: Bearer …)",
        ));
    }
    let text = s.engine.read(|r, _| s.engine.metrics().render(r)).await;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text))
}

// ----- the agent -----

#[utoipa::path(get, path = "/v1/me", tag = "agent", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ApiError)))]
pub async fn me(State(s): State<AppState>, caller: Caller) -> Result<Json<Me>> {
    s.engine
        .read(|r, seqs| {
            Ok(Json(Me {
                agent: summary(r, caller.agent)?,
                sessions: r.sessions_of(caller.agent).into_iter().cloned().collect(),
                offers: r.offers_of(caller.agent).into_iter().cloned().collect(),
                last_seq: seqs.get(&caller.agent).copied().unwrap_or(0),
            }))
        })
        .await
}

#[utoipa::path(put, path = "/v1/me/presence", tag = "agent", security(("bearer" = [])), request_body = SetPresenceRequest,
    responses((status = 200, body = AgentSummary), (status = 400, body = ApiError)))]
pub async fn set_presence(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<SetPresenceRequest>,
) -> Result<Json<AgentSummary>> {
    let input = Input::SetPresence { agent: caller.agent, presence: req.presence };
    run_then(&s.engine, &caller, input, |r, _| summary(r, caller.agent)).await?.map(Json)
}

#[utoipa::path(post, path = "/v1/me/reset-presence", tag = "agent", security(("bearer" = [])),
    responses((status = 200, body = AgentSummary)))]
pub async fn reset_my_presence(State(s): State<AppState>, caller: Caller) -> Result<Json<AgentSummary>> {
    let input = Input::ResetPresence { agent: caller.agent, by: caller.agent };
    run_then(&s.engine, &caller, input, |r, _| summary(r, caller.agent)).await?.map(Json)
}

#[utoipa::path(post, path = "/v1/offers/{id}/accept", tag = "agent", security(("bearer" = [])),
    params(("id" = u64, Path, description = "offer id")),
    responses((status = 200, body = AcceptResponse), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn accept(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<AcceptResponse>> {
    let offer = OfferId(parse_id(&id, "id")?);
    let session = run_then(&s.engine, &caller, Input::Accept { agent: caller.agent, offer }, |r, reply| match reply {
        Reply::Session(id) => r.session(*id).cloned(),
        _ => None,
    })
    .await?
    .ok_or_else(|| AppError::internal("accept returned no session"))?;
    Ok(Json(AcceptResponse { session }))
}

#[utoipa::path(post, path = "/v1/offers/{id}/reject", tag = "agent", security(("bearer" = [])),
    params(("id" = u64, Path, description = "offer id")),
    responses((status = 204), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn reject(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    let offer = OfferId(parse_id(&id, "id")?);
    run(&s.engine, &caller, Input::Reject { agent: caller.agent, offer }).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/v1/offers/{id}/displayed", tag = "agent", security(("bearer" = [])),
    params(("id" = u64, Path, description = "offer id")),
    responses((status = 204), (status = 403, body = ApiError), (status = 409, body = ApiError)))]
pub async fn displayed(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    let offer = OfferId(parse_id(&id, "id")?);
    run(&s.engine, &caller, Input::Displayed { agent: caller.agent, offer }).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/v1/sessions/{id}/close", tag = "agent", security(("bearer" = [])),
    params(("id" = u64, Path, description = "session id")),
    responses((status = 204), (status = 403, body = ApiError), (status = 409, body = ApiError)))]
pub async fn close_session(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    let session = SessionId(parse_id(&id, "id")?);
    run(&s.engine, &caller, Input::CloseSession { agent: caller.agent, session }).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/v1/sessions/{id}/open", tag = "agent", security(("bearer" = [])),
    params(("id" = u64, Path, description = "session id")),
    responses((status = 200, body = Session), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
/// R19: opens a session assigned to the caller (a case, an auto-assigned item), also after its
/// "Open item" notification timed out. Opening an open session changes nothing.
pub async fn open_session(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Session>> {
    let session = SessionId(parse_id(&id, "id")?);
    let input = Input::OpenSession { agent: caller.agent, session };
    let s = run_then(&s.engine, &caller, input, |r, _| r.session(session).cloned()).await?;
    s.map(Json).ok_or_else(|| AppError::internal("session vanished"))
}

#[utoipa::path(post, path = "/v1/sessions/{id}/call", tag = "agent", security(("bearer" = [])), request_body = CallControlRequest,
    params(("id" = u64, Path, description = "session id")),
    responses((status = 200, body = Session), (status = 409, body = ApiError)))]
pub async fn call_control(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CallControlRequest>,
) -> Result<Json<Session>> {
    let session = SessionId(parse_id(&id, "id")?);
    let input = Input::CallControl { agent: caller.agent, session, action: req.action };
    let s = run_then(&s.engine, &caller, input, |r, _| r.session(session).cloned()).await?;
    s.map(Json).ok_or_else(|| AppError::internal("session vanished"))
}

#[utoipa::path(post, path = "/v1/sessions/{id}/transfer", tag = "agent", security(("bearer" = [])), request_body = TransferRequest,
    params(("id" = u64, Path, description = "session id")),
    responses((status = 201, body = WorkItemCreated), (status = 409, body = ApiError)))]
pub async fn transfer(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<TransferRequest>,
) -> Result<(StatusCode, Json<WorkItemCreated>)> {
    let session = SessionId(parse_id(&id, "id")?);
    let kind = if req.escalate { TransferKind::Escalate } else { TransferKind::Transfer };
    let input = Input::Transfer { agent: caller.agent, session, to_queue: req.to_queue, to_agent: req.to_agent, kind };
    created_item(&s.engine, &caller, input).await
}

#[utoipa::path(get, path = "/v1/sessions/{id}/messages", tag = "agent", security(("bearer" = [])),
    params(("id" = u64, Path, description = "session id")),
    responses((status = 200, body = Transcript), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn transcript(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Transcript>> {
    let id = SessionId(parse_id(&id, "id")?);
    let session = s
        .engine
        .store()
        .session(id)
        .await?
        .ok_or_else(|| AppError::new(herald_protocol::ErrorCode::NotFound, format!("no session {id}")))?;
    if session.agent != caller.agent && !caller.role.supervises() {
        return Err(AppError::forbidden(format!("{id} is another agent's session")));
    }
    let messages = s.engine.store().messages_of(session.conversation_id()).await?;
    Ok(Json(Transcript { session, messages }))
}

#[utoipa::path(post, path = "/v1/sessions/{id}/messages", tag = "agent", security(("bearer" = [])), request_body = SendMessageRequest,
    params(("id" = u64, Path, description = "session id")),
    responses((status = 201, body = Message), (status = 400, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn send_message(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SendMessageRequest>,
) -> Result<(StatusCode, Json<Message>)> {
    let session = SessionId(parse_id(&id, "id")?);
    let delivery = s.channels.delivery_for(&s.engine, session).await;
    let input = Input::AgentMessage { agent: caller.agent, session, body: req.body, delivery };
    let id = match run(&s.engine, &caller, input).await? {
        Reply::Message(id) => id,
        other => return Err(AppError::internal(format!("sending a message replied {other:?}"))),
    };
    let message = s.engine.store().message(id).await?.ok_or_else(|| AppError::internal("the new message is gone"))?;
    s.channels.wake_outbox();
    Ok((StatusCode::CREATED, Json(message)))
}

async fn created_item(engine: &Engine, caller: &Caller, input: Input) -> Result<(StatusCode, Json<WorkItemCreated>)> {
    let item = run_then(engine, caller, input, |r, reply| match reply {
        Reply::WorkItem(id) => r.work_item(*id).cloned(),
        _ => None,
    })
    .await?;
    match item {
        Some(work_item) => Ok((StatusCode::CREATED, Json(WorkItemCreated { work_item }))),
        None => Err(AppError::internal("the new work item is gone")),
    }
}

#[utoipa::path(post, path = "/v1/auth/sign-out", tag = "agent", security(("bearer" = [])), responses((status = 204)))]
pub async fn sign_out(State(s): State<AppState>, caller: Caller) -> Result<StatusCode> {
    s.tokens.revoke(s.engine.store(), caller.token_id, now().0).await?;
    let detail = format!("signed out (token {})", caller.token_id);
    crate::audit::record(s.engine.store(), Some(caller.agent), None, "sign_out", Some(caller.agent.to_string()), detail).await;
    Ok(StatusCode::NO_CONTENT)
}

// ----- events -----

use crate::realtime::after_param;

/// Marks the agent connected while alive; disconnected when dropped (R26 grace starts).
struct Presence {
    engine: Arc<Engine>,
    agent: AgentId,
}

impl Presence {
    async fn start(engine: Arc<Engine>, agent: AgentId) -> Result<Self> {
        engine.apply(Input::Connected { agent }).await.map_err(AppError::internal)?;
        Ok(Self { engine, agent })
    }
}

impl Drop for Presence {
    fn drop(&mut self) {
        let (engine, agent) = (self.engine.clone(), self.agent);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = engine.apply(Input::Disconnected { agent }).await {
                    tracing::warn!(%agent, error = %e, "could not record disconnect");
                }
            });
        }
    }
}

/// Resolves when the caller's access ends while a request is open: the token was revoked (or
/// signed out), the agent was removed, or the agent's role changed. Says why.
async fn access_ended(s: AppState, caller: Caller) -> &'static str {
    let mut changes = s.tokens.watch();
    loop {
        if !s.tokens.is_active(caller.token_id) {
            return "the token was revoked";
        }
        match s.engine.read(|r, _| r.agent(caller.agent).map(|a| a.role)).await {
            None => return "the agent no longer exists",
            Some(role) if role != caller.role => return "the agent's role changed",
            Some(_) => {}
        }
        if changes.changed().await.is_err() {
            // The token cache is gone: the server is stopping, which ends the stream anyway.
            std::future::pending::<()>().await;
        }
    }
}

#[utoipa::path(get, path = "/v1/events", tag = "events", security(("bearer" = [])),
    params(("after" = Option<u64>, Query, description = "resume after this sequence number (or send Last-Event-ID)")),
    responses((status = 200, description = "text/event-stream: `event: agent_event` carries an EventEnvelope (SSE id = seq); \
        `event: resync` carries a Resync when the log cannot resume after the position asked for (pruned, or restored from an \
        older backup): reload the state (GET /v1/me), the retained entries follow", content_type = "text/event-stream", body = EventEnvelope)))]
pub async fn events(
    State(s): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Sse<impl Stream<Item = std::result::Result<Event, Infallible>>>> {
    let after = after_param(&headers, &q)?;
    let guard = Presence::start(s.engine.clone(), caller.agent).await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<crate::realtime::Item>(256);
    let engine = s.engine.clone();
    let agent = caller.agent;
    let mut shutdown = s.shutdown.clone();
    let access = access_ended(s.clone(), caller);
    tokio::spawn(async move {
        let follow = crate::realtime::follow(engine.store().clone(), engine.hub(), agent, after, tx);
        tokio::select! {
            r = follow => if let Err(e) = r {
                tracing::warn!(%agent, error = %e, "event stream ended by a store error");
            },
            _ = shutdown.wait_for(|stop| *stop) => {}
            why = access => tracing::info!(%agent, token = caller.token_id, "event stream ended: {why}"),
        }
    });
    Ok(crate::realtime::sse(rx, guard))
}

#[utoipa::path(get, path = "/v1/events/poll", tag = "events", security(("bearer" = [])),
    params(("after" = Option<u64>, Query, description = "entries after this sequence number"),
           ("wait" = Option<u64>, Query, description = "seconds to wait for an entry when none is there (0–30)")),
    responses((status = 200, description = "entries after `after`; with `resync` when the log cannot resume there (reload the \
        state, `events` then start at `resync.first_seq`)", body = EventsPage)))]
pub async fn poll(
    State(s): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<EventsPage>> {
    let after = after_param(&headers, &q)?;
    let wait: u64 = match q.get("wait") {
        None => 0,
        Some(w) => w.parse().ok().filter(|w| *w <= 30).ok_or_else(|| AppError::invalid("wait", "wait must be 0–30 seconds"))?,
    };
    let _guard = Presence::start(s.engine.clone(), caller.agent).await?;
    let store = s.engine.store();
    let mut live = s.engine.hub().subscribe(caller.agent);
    let (mut resync, mut events) = crate::realtime::read(store, caller.agent, after, 500).await?;
    if events.is_empty() && resync.is_none() && wait > 0 {
        tokio::select! {
            _ = tokio::time::timeout(Duration::from_secs(wait), live.recv()) => {}
            why = access_ended(s.clone(), caller) => {
                return Err(AppError::new(herald_protocol::ErrorCode::Unauthenticated, format!("access ended: {why}")));
            }
        }
        (resync, events) = crate::realtime::read(store, caller.agent, after, 500).await?;
    }
    let last_seq = s.engine.read(|_, seqs| seqs.get(&caller.agent).copied().unwrap_or(0)).await;
    Ok(Json(EventsPage { events, last_seq, resync }))
}

// ----- supervisor -----

#[utoipa::path(get, path = "/v1/team", tag = "supervisor", security(("bearer" = [])),
    responses((status = 200, body = Vec<AgentSummary>), (status = 403, body = ApiError)))]
pub async fn team(State(s): State<AppState>, caller: Caller) -> Result<Json<Vec<AgentSummary>>> {
    caller.require(Role::Supervisor)?;
    Ok(Json(s.engine.read(|r, _| r.team()).await))
}

#[utoipa::path(post, path = "/v1/team/{agent}/reset-presence", tag = "supervisor", security(("bearer" = [])),
    params(("agent" = u64, Path, description = "agent id")),
    responses((status = 200, body = AgentSummary), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn reset_agent_presence(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<AgentSummary>> {
    caller.require(Role::Supervisor)?;
    let agent = AgentId(parse_id(&id, "agent")?);
    let input = Input::ResetPresence { agent, by: caller.agent };
    let reset = run_then(&s.engine, &caller, input, |r, _| summary(r, agent)).await??;
    let detail = format!("reset the presence to {:?}", reset.presence.base).to_lowercase();
    crate::audit::record(s.engine.store(), Some(caller.agent), None, "presence_reset", Some(agent.to_string()), detail).await;
    Ok(Json(reset))
}

#[utoipa::path(get, path = "/v1/queues/{id}/waiting", tag = "supervisor", security(("bearer" = [])),
    params(("id" = u64, Path, description = "queue id")),
    responses((status = 200, body = Vec<herald_protocol::WaitingItem>), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
/// R25: the work waiting in a queue for an agent, the longest-waiting customer first.
pub async fn waiting(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Vec<herald_protocol::WaitingItem>>> {
    caller.require(Role::Supervisor)?;
    let queue = herald_core::QueueId(parse_id(&id, "id")?);
    let at = now();
    let list = s.engine.read(|r, _| {
        let item = |i: &herald_core::WorkItem| herald_protocol::WaitingItem {
            work_item: i.id,
            scenario: i.scenario,
            channel: i.channel,
            customer: i.customer.clone(),
            created_at: i.created_at,
            queued_since: i.queued_since.unwrap_or(i.created_at),
            waited_secs: at.0.saturating_sub(i.created_at.0) / 1000,
            declined_by: i.declined_by().collect(),
            reoffer_at: r.reoffer_at(i.id),
        };
        r.waiting(queue).map(|items| items.into_iter().map(item).collect::<Vec<_>>())
    });
    list.await.map(Json).ok_or_else(|| AppError::new(herald_protocol::ErrorCode::NotFound, format!("no queue {queue}")))
}

// ----- ingress -----

#[utoipa::path(post, path = "/v1/conversations", tag = "ingress", security(("bearer" = [])), request_body = NewConversation,
    responses((status = 201, body = WorkItemCreated), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
pub async fn new_conversation(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewConversation>,
) -> Result<(StatusCode, Json<WorkItemCreated>)> {
    caller.require(Role::Admin)?;
    let phone = parse_phone(req.phone.as_deref(), "phone")?;
    if req.scenario == Scenario::Case && !req.context.contains_key("caseId") {
        return Err(AppError::invalid("context.caseId", "a case assignment needs context.caseId"));
    }
    let input = Input::Request(NewWorkItem {
        scenario: req.scenario,
        channel: req.channel,
        queue: req.queue,
        customer_name: req.customer_name,
        phone,
        context: req.context,
        target_agent: req.target_agent,
        messages: Vec::new(),
    });
    let created = created_item(&s.engine, &caller, input).await?;
    if let Some(agent) = req.target_agent {
        let detail = format!("assigned {} to {agent}", created.1.work_item.id);
        crate::audit::record(s.engine.store(), Some(caller.agent), None, "assigned", Some(agent.to_string()), detail).await;
    }
    Ok(created)
}

#[utoipa::path(post, path = "/v1/conversations/{id}/close", tag = "ingress", security(("bearer" = [])),
    params(("id" = u64, Path, description = "work item id")),
    responses((status = 204), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn close_conversation(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    caller.require(Role::Admin)?;
    let item = WorkItemId(parse_id(&id, "id")?);
    run(&s.engine, &caller, Input::CloseWorkItem { item }).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A known path with a method it does not take: 405 with the usual error body (axum keeps the
/// `Allow` header it computed).
pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> impl IntoResponse {
    AppError::new(herald_protocol::ErrorCode::MethodNotAllowed, format!("{method} is not allowed on {}", uri.path()))
}

/// 404 for every path the API does not have, in the API's error shape.
pub async fn not_found(uri: axum::http::Uri) -> impl IntoResponse {
    AppError::new(herald_protocol::ErrorCode::NotFound, format!("no endpoint {}", uri.path()))
}

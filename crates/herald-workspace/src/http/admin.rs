//! The administrator's handlers: agents and their tokens, templates, settings, workstreams,
//! queues, contacts. Thin like the rest: parse, check the role, one engine call, map the error.

use crate::audit::record;
use crate::edge::AppState;
use crate::edge::error::AppError;
use crate::edge::extract::{ApiJson, Caller, parse_id};
use crate::engine::now;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use herald_core::{
    AgentId, AgentSpec, ContactId, ContactSpec, Input, QueueId, QueueSpec, Reply, Role, Scenario, WorkstreamId, WorkstreamSpec,
};
use herald_protocol::{
    Agent, AgentInput, ApiError, Contact, ContactInput, IssuedToken, Queue, QueueInput, Settings, Template, Workstream, WorkstreamInput,
};

use super::agent::{Result, parse_phone, run, run_then};

#[utoipa::path(get, path = "/v1/admin/agents", tag = "admin", security(("bearer" = [])), responses((status = 200, body = Vec<Agent>)))]
pub async fn list_agents(State(s): State<AppState>, caller: Caller) -> Result<Json<Vec<Agent>>> {
    caller.require(Role::Admin)?;
    Ok(Json(s.engine.read(|r, _| r.agents().cloned().collect()).await))
}

#[utoipa::path(post, path = "/v1/admin/agents", tag = "admin", security(("bearer" = [])), request_body = AgentInput,
    responses((status = 201, body = Agent), (status = 400, body = ApiError)))]
pub async fn create_agent(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<AgentInput>,
) -> Result<(StatusCode, Json<Agent>)> {
    caller.require(Role::Admin)?;
    let created = upsert_agent(&s, &caller, None, req).await?;
    let detail = format!("created {:?} with role {:?}", created.name, created.role).to_lowercase();
    record(s.engine.store(), Some(caller.agent), None, "agent_created", Some(created.id.to_string()), detail).await;
    Ok((StatusCode::CREATED, created))
}

#[utoipa::path(put, path = "/v1/admin/agents/{id}", tag = "admin", security(("bearer" = [])), request_body = AgentInput,
    params(("id" = u64, Path, description = "agent id")), responses((status = 200, body = Agent), (status = 404, body = ApiError)))]
pub async fn update_agent(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AgentInput>,
) -> Result<Json<Agent>> {
    caller.require(Role::Admin)?;
    let id = AgentId(parse_id(&id, "id")?);
    let updated = upsert_agent(&s, &caller, Some(id), req).await?;
    // A role change ends the agent's open streams: they were opened under the old role.
    s.tokens.access_changed(s.engine.store()).await;
    let detail = format!("set name {:?} and role {:?}", updated.name, updated.role).to_lowercase();
    record(s.engine.store(), Some(caller.agent), None, "agent_changed", Some(id.to_string()), detail).await;
    Ok(updated)
}

async fn upsert_agent(s: &AppState, caller: &Caller, id: Option<AgentId>, req: AgentInput) -> Result<Json<Agent>> {
    let input = Input::UpsertAgent(AgentSpec { id, name: req.name, role: req.role });
    let a = run_then(&s.engine, caller, input, |r, reply| match reply {
        Reply::Agent(id) => r.agent(*id).cloned(),
        _ => None,
    })
    .await?;
    a.map(Json).ok_or_else(|| AppError::internal("agent vanished"))
}

#[utoipa::path(post, path = "/v1/admin/agents/{id}/tokens", tag = "admin", security(("bearer" = [])),
    params(("id" = u64, Path, description = "agent id")), responses((status = 201, body = IssuedToken), (status = 404, body = ApiError)))]
pub async fn issue_token(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<(StatusCode, Json<IssuedToken>)> {
    caller.require(Role::Admin)?;
    let agent = AgentId(parse_id(&id, "id")?);
    if s.engine.read(|r, _| r.agent(agent).is_none()).await {
        return Err(AppError::new(herald_protocol::ErrorCode::NotFound, format!("no agent {agent}")));
    }
    let (token_id, token) = s.tokens.issue(s.engine.store(), agent, now().0).await?;
    tracing::info!(%agent, token_id, "token issued");
    record(s.engine.store(), Some(caller.agent), None, "token_issued", Some(agent.to_string()), format!("issued token {token_id}")).await;
    Ok((StatusCode::CREATED, Json(IssuedToken { token_id, agent, token })))
}

#[utoipa::path(delete, path = "/v1/admin/tokens/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = u64, Path, description = "token id")), responses((status = 204), (status = 404, body = ApiError)))]
pub async fn revoke_token(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    caller.require(Role::Admin)?;
    let id = parse_id(&id, "id")?;
    if s.tokens.revoke(s.engine.store(), id, now().0).await? {
        record(s.engine.store(), Some(caller.agent), None, "token_revoked", Some(format!("token-{id}")), format!("revoked token {id}"))
            .await;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::new(herald_protocol::ErrorCode::NotFound, format!("no active token {id}")))
    }
}

#[utoipa::path(get, path = "/v1/admin/templates", tag = "admin", security(("bearer" = [])), responses((status = 200, body = Vec<Template>)))]
pub async fn list_templates(State(s): State<AppState>, caller: Caller) -> Result<Json<Vec<Template>>> {
    caller.require(Role::Admin)?;
    Ok(Json(s.engine.read(|r, _| r.templates().cloned().collect()).await))
}

#[utoipa::path(put, path = "/v1/admin/templates/{scenario}", tag = "admin", security(("bearer" = [])), request_body = Template,
    params(("scenario" = Scenario, Path, description = "scenario")), responses((status = 200, body = Template), (status = 400, body = ApiError)))]
pub async fn put_template(
    State(s): State<AppState>,
    caller: Caller,
    Path(scenario): Path<String>,
    ApiJson(t): ApiJson<Template>,
) -> Result<Json<Template>> {
    caller.require(Role::Admin)?;
    if t.scenario.to_string() != scenario {
        return Err(AppError::invalid("scenario", format!("body is for {} but the path says {scenario}", t.scenario)));
    }
    run(&s.engine, &caller, Input::PutTemplate(t.clone())).await?;
    let detail = serde_json::to_string(&t).unwrap_or_default();
    record(s.engine.store(), Some(caller.agent), None, "template_changed", Some(t.scenario.to_string()), detail).await;
    Ok(Json(t))
}

#[utoipa::path(get, path = "/v1/admin/settings", tag = "admin", security(("bearer" = [])), responses((status = 200, body = Settings)))]
pub async fn get_settings(State(s): State<AppState>, caller: Caller) -> Result<Json<Settings>> {
    caller.require(Role::Admin)?;
    Ok(Json(s.engine.read(|r, _| r.settings().clone()).await))
}

#[utoipa::path(put, path = "/v1/admin/settings", tag = "admin", security(("bearer" = [])), request_body = Settings,
    responses((status = 200, body = Settings), (status = 400, body = ApiError)))]
pub async fn put_settings(State(s): State<AppState>, caller: Caller, ApiJson(v): ApiJson<Settings>) -> Result<Json<Settings>> {
    caller.require(Role::Admin)?;
    run(&s.engine, &caller, Input::PutSettings(v.clone())).await?;
    let detail = serde_json::to_string(&v).unwrap_or_default();
    record(s.engine.store(), Some(caller.agent), None, "settings_changed", None, detail).await;
    Ok(Json(v))
}

#[utoipa::path(get, path = "/v1/admin/workstreams", tag = "admin", security(("bearer" = [])), responses((status = 200, body = Vec<Workstream>)))]
pub async fn list_workstreams(State(s): State<AppState>, caller: Caller) -> Result<Json<Vec<Workstream>>> {
    caller.require(Role::Admin)?;
    Ok(Json(s.engine.read(|r, _| r.workstreams().cloned().collect()).await))
}

#[utoipa::path(post, path = "/v1/admin/workstreams", tag = "admin", security(("bearer" = [])), request_body = WorkstreamInput,
    responses((status = 201, body = Workstream), (status = 400, body = ApiError)))]
pub async fn create_workstream(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(w): ApiJson<WorkstreamInput>,
) -> Result<(StatusCode, Json<Workstream>)> {
    caller.require(Role::Admin)?;
    upsert_workstream(&s, &caller, None, w).await.map(|w| (StatusCode::CREATED, w))
}

#[utoipa::path(put, path = "/v1/admin/workstreams/{id}", tag = "admin", security(("bearer" = [])), request_body = WorkstreamInput,
    params(("id" = u64, Path, description = "workstream id")), responses((status = 200, body = Workstream), (status = 404, body = ApiError)))]
pub async fn update_workstream(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(w): ApiJson<WorkstreamInput>,
) -> Result<Json<Workstream>> {
    caller.require(Role::Admin)?;
    let id = WorkstreamId(parse_id(&id, "id")?);
    upsert_workstream(&s, &caller, Some(id), w).await
}

async fn upsert_workstream(s: &AppState, caller: &Caller, id: Option<WorkstreamId>, w: WorkstreamInput) -> Result<Json<Workstream>> {
    let input = Input::UpsertWorkstream(WorkstreamSpec { id, name: w.name, mode: w.mode, allowed_presences: w.allowed_presences });
    let w = run_then(&s.engine, caller, input, |r, reply| match reply {
        Reply::Workstream(id) => r.workstreams().find(|w| w.id == *id).cloned(),
        _ => None,
    })
    .await?
    .ok_or_else(|| AppError::internal("workstream vanished"))?;
    let action = if id.is_some() { "workstream_changed" } else { "workstream_created" };
    let detail = format!("{:?}: mode {:?}, allowed presences {:?}", w.name, w.mode, w.allowed_presences).to_lowercase();
    record(s.engine.store(), Some(caller.agent), None, action, Some(w.id.to_string()), detail).await;
    Ok(Json(w))
}

#[utoipa::path(get, path = "/v1/admin/queues", tag = "admin", security(("bearer" = [])), responses((status = 200, body = Vec<Queue>)))]
pub async fn list_queues(State(s): State<AppState>, caller: Caller) -> Result<Json<Vec<Queue>>> {
    caller.require(Role::Admin)?;
    Ok(Json(s.engine.read(|r, _| r.queues().cloned().collect()).await))
}

#[utoipa::path(post, path = "/v1/admin/queues", tag = "admin", security(("bearer" = [])), request_body = QueueInput,
    responses((status = 201, body = Queue), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
pub async fn create_queue(State(s): State<AppState>, caller: Caller, ApiJson(q): ApiJson<QueueInput>) -> Result<(StatusCode, Json<Queue>)> {
    caller.require(Role::Admin)?;
    upsert_queue(&s, &caller, None, q).await.map(|q| (StatusCode::CREATED, q))
}

#[utoipa::path(put, path = "/v1/admin/queues/{id}", tag = "admin", security(("bearer" = [])), request_body = QueueInput,
    params(("id" = u64, Path, description = "queue id")), responses((status = 200, body = Queue), (status = 404, body = ApiError)))]
pub async fn update_queue(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(q): ApiJson<QueueInput>,
) -> Result<Json<Queue>> {
    caller.require(Role::Admin)?;
    let id = QueueId(parse_id(&id, "id")?);
    upsert_queue(&s, &caller, Some(id), q).await
}

async fn upsert_queue(s: &AppState, caller: &Caller, id: Option<QueueId>, q: QueueInput) -> Result<Json<Queue>> {
    let input = Input::UpsertQueue(QueueSpec { id, name: q.name, workstream: q.workstream, members: q.members });
    let q = run_then(&s.engine, caller, input, |r, reply| match reply {
        Reply::Queue(id) => r.queue(*id).cloned(),
        _ => None,
    })
    .await?
    .ok_or_else(|| AppError::internal("queue vanished"))?;
    let action = if id.is_some() { "queue_changed" } else { "queue_created" };
    let members: Vec<String> = q.members.iter().map(ToString::to_string).collect();
    let detail = format!("{:?} in {}, members [{}]", q.name, q.workstream, members.join(", "));
    record(s.engine.store(), Some(caller.agent), None, action, Some(q.id.to_string()), detail).await;
    Ok(Json(q))
}

#[utoipa::path(get, path = "/v1/admin/contacts", tag = "admin", security(("bearer" = [])), responses((status = 200, body = Vec<Contact>)))]
pub async fn list_contacts(State(s): State<AppState>, caller: Caller) -> Result<Json<Vec<Contact>>> {
    caller.require(Role::Admin)?;
    Ok(Json(s.engine.read(|r, _| r.contacts().cloned().collect()).await))
}

#[utoipa::path(post, path = "/v1/admin/contacts", tag = "admin", security(("bearer" = [])), request_body = ContactInput,
    responses((status = 201, body = Contact), (status = 400, body = ApiError)))]
pub async fn create_contact(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(c): ApiJson<ContactInput>,
) -> Result<(StatusCode, Json<Contact>)> {
    caller.require(Role::Admin)?;
    upsert_contact(&s, &caller, None, c).await.map(|c| (StatusCode::CREATED, c))
}

#[utoipa::path(put, path = "/v1/admin/contacts/{id}", tag = "admin", security(("bearer" = [])), request_body = ContactInput,
    params(("id" = u64, Path, description = "contact id")), responses((status = 200, body = Contact), (status = 404, body = ApiError)))]
pub async fn update_contact(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(c): ApiJson<ContactInput>,
) -> Result<Json<Contact>> {
    caller.require(Role::Admin)?;
    let id = ContactId(parse_id(&id, "id")?);
    upsert_contact(&s, &caller, Some(id), c).await
}

async fn upsert_contact(s: &AppState, caller: &Caller, id: Option<ContactId>, c: ContactInput) -> Result<Json<Contact>> {
    let mobile_phone = parse_phone(c.mobile_phone.as_deref(), "mobile_phone")?;
    let input = Input::UpsertContact(ContactSpec { id, name: c.name, mobile_phone });
    let c = run_then(&s.engine, caller, input, |r, reply| match reply {
        Reply::Contact(id) => r.contacts().find(|c| c.id == *id).cloned(),
        _ => None,
    })
    .await?
    .ok_or_else(|| AppError::internal("contact vanished"))?;
    // A customer's name and number are personal data: the log keeps the id only.
    let action = if id.is_some() { "contact_changed" } else { "contact_created" };
    record(s.engine.store(), Some(caller.agent), None, action, Some(c.id.to_string()), String::new()).await;
    Ok(Json(c))
}

#[utoipa::path(get, path = "/v1/admin/audit", tag = "admin", security(("bearer" = [])),
    params(("before" = Option<u64>, Query, description = "entries older than this id (the previous page's `next`)"),
           ("limit" = Option<u32>, Query, description = "entries per page, 1–500 (100)"),
           ("action" = Option<String>, Query, description = "only this action, e.g. `sign_in_failed`"),
           ("actor" = Option<u64>, Query, description = "only what this agent did")),
    responses((status = 200, body = herald_protocol::AuditPage)))]
/// The audit log, newest first.
pub async fn audit(
    State(s): State<AppState>,
    caller: Caller,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<Json<herald_protocol::AuditPage>> {
    caller.require(Role::Admin)?;
    let number = |name: &str| -> Result<Option<u64>> {
        q.get(name)
            .map(|v| v.parse::<u64>().map_err(|_| AppError::invalid(name, format!("{name} must be a number, got {v:?}"))))
            .transpose()
    };
    let limit = match number("limit")? {
        None => 100,
        Some(l @ 1..=500) => l as u32,
        Some(_) => return Err(AppError::invalid("limit", "limit must be 1–500")),
    };
    let query = crate::store::AuditQuery {
        before: number("before")?,
        limit,
        action: q.get("action").cloned(),
        actor: number("actor")?.map(AgentId),
    };
    let entries = s.engine.store().audit_page(&query).await?;
    let next = (entries.len() == limit as usize).then(|| entries.last().map(|e| e.id)).flatten();
    Ok(Json(herald_protocol::AuditPage { entries, next }))
}

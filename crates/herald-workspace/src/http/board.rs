//! The supervisors' queue board (`GET /v1/queues/board`) and the rescue of a waiting item
//! (`POST /v1/work-items/{id}/direct`): per queue who waits and for how long, the offers out and
//! the members by presence; a supervisor sends a waiting item to a chosen agent, as an offer or
//! assigned. Both need the supervisor role (R30); every directed item is in the audit log.

use super::AppState;
use super::agent::run;
use crate::edge::error::AppError;
use crate::edge::extract::{ApiJson, Caller, parse_id};
use crate::engine::now;
use axum::Json;
use axum::extract::{Path, State};
use herald_core::{Input, OfferState, Role, WorkItemId};
use herald_protocol::{ApiError, BasePresence, DirectRequest, Directed, PresenceCount, QueueBoard};
use std::collections::BTreeMap;

type Result<T> = std::result::Result<T, AppError>;

#[utoipa::path(get, path = "/v1/queues/board", tag = "supervisor", security(("bearer" = [])),
    responses((status = 200, body = Vec<QueueBoard>)))]
/// Every queue's line on the board.
pub async fn board(State(s): State<AppState>, caller: Caller) -> Result<Json<Vec<QueueBoard>>> {
    caller.require(Role::Supervisor)?;
    let at = now();
    let lines = s.engine.read(|r, _| {
        r.queues()
            .map(|q| {
                let waiting = r.waiting(q.id).unwrap_or_default();
                let longest = waiting.first().map_or(0, |i| at.0.saturating_sub(i.created_at.0) / 1000);
                let offers_out = r
                    .offers()
                    .filter(|o| o.state == OfferState::Pending && !o.is_assignment())
                    .filter(|o| r.work_item(o.work_item).is_some_and(|i| i.queue == q.id))
                    .count();
                let mut by: BTreeMap<BasePresence, u32> = BTreeMap::new();
                let mut connected = 0;
                for a in q.members.iter().filter_map(|m| r.agent(*m)) {
                    *by.entry(a.presence.base).or_default() += 1;
                    connected += u32::from(r.connected(a.id));
                }
                QueueBoard {
                    queue: q.id,
                    name: q.name.clone(),
                    waiting: waiting.len() as u32,
                    longest_wait_secs: longest,
                    offers_out: offers_out as u32,
                    agents: by.into_iter().map(|(presence, agents)| PresenceCount { presence, agents }).collect(),
                    connected,
                }
            })
            .collect()
    });
    Ok(Json(lines.await))
}

#[utoipa::path(post, path = "/v1/work-items/{id}/direct", tag = "supervisor", security(("bearer" = [])), request_body = DirectRequest,
    params(("id" = u64, Path, description = "a waiting work item")),
    responses((status = 200, body = Directed), (status = 404, body = ApiError),
        (status = 409, description = "the item no longer waits, or the agent is offline, answering another offer, or at the \
            session maximum", body = ApiError)))]
/// Sends a waiting item to a chosen agent: offered as its template says, or assigned.
pub async fn direct(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DirectRequest>,
) -> Result<Json<Directed>> {
    caller.require(Role::Supervisor)?;
    let item = WorkItemId(parse_id(&id, "id")?);
    let input = Input::Direct { item, agent: req.agent, by: caller.agent, how: req.how };
    run(&s.engine, &caller, input).await?;
    let how = format!("{:?}", req.how).to_lowercase();
    let detail = format!("sent waiting {item} to {} ({how})", req.agent);
    crate::audit::record(s.engine.store(), Some(caller.agent), None, "directed", Some(req.agent.to_string()), detail).await;
    Ok(Json(Directed { work_item: item, agent: req.agent, how: req.how }))
}

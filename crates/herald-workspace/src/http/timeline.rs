//! Why was this offer missed? (the never-miss issue, item 4). `GET /v1/offers/{id}/timeline`
//! puts together what the store knows of the offer (offered, shown, held, decided or expired),
//! the offer of the same item that followed it (to whom it went next) and what the agent's app
//! reported (`POST /v1/offers/{id}/notes`: toast clicked or dismissed, sound, screen lock). The
//! agent sees their own offers' timelines; supervisors and admins anyone's (R30).

use super::AppState;
use crate::edge::error::AppError;
use crate::edge::extract::{ApiJson, Caller, parse_id};
use crate::engine::now;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use herald_core::{OfferId, OfferState};
use herald_protocol::{ApiError, ErrorCode, NoteKind, Offer, OfferNote, OfferTimeline, TimelineKind, TimelineStep};

type Result<T> = std::result::Result<T, AppError>;

/// Notes kept per offer: an app reports a handful; more is a broken or hostile client.
const MAX_NOTES: u32 = 50;
const MAX_DETAIL_CHARS: usize = 200;

async fn offer_for(s: &AppState, caller: &Caller, id: &str) -> Result<Offer> {
    let id = OfferId(parse_id(id, "id")?);
    let offer = s.engine.store().offer(id).await?.ok_or_else(|| AppError::new(ErrorCode::NotFound, format!("no offer {id}")))?;
    if offer.agent != caller.agent && !caller.role.supervises() {
        return Err(AppError::forbidden(format!("{id} was offered to another agent")));
    }
    Ok(offer)
}

#[utoipa::path(post, path = "/v1/offers/{id}/notes", tag = "agent", security(("bearer" = [])), request_body = OfferNote,
    params(("id" = u64, Path, description = "offer id")),
    responses((status = 204), (status = 404, body = ApiError), (status = 409, description = "the offer has all the notes it may keep", body = ApiError)))]
/// The agent's app reports a step of its own offer.
pub async fn add_note(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(note): ApiJson<OfferNote>,
) -> Result<StatusCode> {
    let offer = offer_for(&s, &caller, &id).await?;
    if offer.agent != caller.agent {
        return Err(AppError::forbidden("only the agent it was offered to reports on an offer"));
    }
    if note.detail.chars().count() > MAX_DETAIL_CHARS {
        return Err(AppError::invalid("detail", format!("at most {MAX_DETAIL_CHARS} characters")));
    }
    let store = s.engine.store();
    if store.offer_notes(offer.id, MAX_NOTES).await?.len() as u32 >= MAX_NOTES {
        return Err(AppError::new(ErrorCode::WrongState, format!("{} has {MAX_NOTES} notes already", offer.id)));
    }
    store.add_offer_note(offer.id, caller.agent, now(), note.kind.as_str(), &note.detail).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/offers/{id}/timeline", tag = "agent", security(("bearer" = [])),
    params(("id" = u64, Path, description = "offer id")),
    responses((status = 200, body = OfferTimeline), (status = 404, body = ApiError)))]
/// An offer's steps, oldest first: the agent's own offers, or anyone's for supervisors.
pub async fn timeline(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<OfferTimeline>> {
    let offer = offer_for(&s, &caller, &id).await?;
    let store = s.engine.store();
    let step = |at, kind, agent, detail: String| TimelineStep { at, kind, agent, detail };
    let mut steps = vec![step(offer.created_at, TimelineKind::Offered, Some(offer.agent), offer.title.clone())];
    if let Some(at) = offer.displayed_at {
        steps.push(step(at, TimelineKind::Shown, Some(offer.agent), String::new()));
    }
    if let Some(until) = offer.hold_until {
        let at = offer.deadline.unwrap_or(offer.created_at);
        let words = format!("never shown and the agent's app was gone at the deadline: held until {}", until.0);
        steps.push(step(at, TimelineKind::HeldUnseen, Some(offer.agent), words));
    }
    for n in store.offer_notes(offer.id, MAX_NOTES).await? {
        let Some(kind) = NoteKind::parse(&n.kind) else { continue };
        steps.push(step(n.at, kind.timeline(), Some(n.agent), n.detail));
    }
    let ended = match offer.state {
        OfferState::Pending => None,
        OfferState::Accepted => Some(TimelineKind::Accepted),
        OfferState::Rejected => Some(TimelineKind::Rejected),
        OfferState::TimedOut => Some(TimelineKind::TimedOut),
        OfferState::Withdrawn => Some(TimelineKind::Withdrawn),
    };
    if let (Some(kind), Some(at)) = (ended, offer.ended_at) {
        steps.push(step(at, kind, Some(offer.agent), String::new()));
    }
    if let Some((next, agent, at)) = store.next_offer(offer.work_item, offer.id).await? {
        steps.push(step(at, TimelineKind::OfferedNext, Some(agent), format!("{next}")));
    }
    // Stable: steps at the same millisecond keep the order above (offered before shown…).
    steps.sort_by_key(|s| s.at);
    Ok(Json(OfferTimeline { offer, steps }))
}

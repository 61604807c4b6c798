//! One classification of errors for every HTTP edge (staff API, channels, bots). Each
//! [`ErrorCode`] travels with one status; every [`CoreError`] maps to one code here (the
//! `From<CoreError>` impl) — an unknown queue is a 404 whether a bot, a web chat or an admin
//! named it, and a core validation error is a 400 naming the field wherever it happens. 500s
//! are logged here and never echo internals.
//!
//! [`classify`] refines the mapping for a signed-in agent: it asks the store whether an id the
//! router no longer holds is stale (409), unknown (404) or someone else's (403).

use crate::engine::{Engine, EngineError};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use herald_core::{AgentId, CoreError, OfferState};
use herald_protocol::{ApiError, ErrorCode};

/// An error response. A 429 also says when to try again (`Retry-After`, seconds).
#[derive(Debug)]
pub struct AppError(pub StatusCode, pub ApiError, Option<u64>);

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        let status = match code {
            ErrorCode::InvalidInput => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::OfferNotPending | ErrorCode::RejectNotAllowed | ErrorCode::WrongState => StatusCode::CONFLICT,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        };
        Self(status, ApiError { code, message: message.into(), field: None }, None)
    }

    /// Adds `Retry-After: secs` to the response.
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.2 = Some(secs);
        self
    }

    /// The `Retry-After` seconds, when set.
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.2
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut e = Self::new(ErrorCode::InvalidInput, message);
        e.1.field = Some(field.into());
        e
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    /// 503 with `Retry-After: 1`: nobody leads right now (a failover is under way).
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unavailable, message).retry_after(1)
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "request failed");
        Self::new(ErrorCode::Internal, "internal error; see the workspace log")
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut res = (self.0, Json(self.1)).into_response();
        if let Some(secs) = self.2 {
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        res
    }
}

/// The one mapping of the rules' errors to HTTP, for every edge.
impl From<CoreError> for AppError {
    fn from(core: CoreError) -> Self {
        let message = core.to_string();
        match core {
            CoreError::UnknownAgent(_)
            | CoreError::UnknownOffer(_)
            | CoreError::UnknownSession(_)
            | CoreError::UnknownWorkItem(_)
            | CoreError::UnknownQueue(_)
            | CoreError::UnknownWorkstream(_)
            | CoreError::UnknownContact(_) => AppError::new(ErrorCode::NotFound, message),
            CoreError::NotYours(_) | CoreError::NotSupervisor => AppError::forbidden(message),
            CoreError::RejectNotAllowed(_) => AppError::new(ErrorCode::RejectNotAllowed, message),
            CoreError::WrongState(_) => AppError::new(ErrorCode::WrongState, message),
            CoreError::Invalid(i) => AppError::invalid(i.field.clone(), message),
        }
    }
}

/// Input the core's parsers refused: 400 naming the field.
impl From<herald_core::Invalid> for AppError {
    fn from(i: herald_core::Invalid) -> Self {
        AppError::invalid(i.field.clone(), i.to_string())
    }
}

/// A failed store is a 500 — or a 503 when this instance no longer leads (another is taking
/// over: try again); the rules' refusals map as `From<CoreError>` says.
impl From<EngineError> for AppError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Store(e) => e.into(),
            EngineError::Core(c) => c.into(),
        }
    }
}

impl From<crate::store::StoreError> for AppError {
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            crate::store::StoreError::Fenced(_) => Self::unavailable("this instance no longer leads the workspace; another is taking over"),
            e => Self::internal(e),
        }
    }
}

/// Maps an engine error for `caller`, consulting the store to tell a stale id (409) from an
/// unknown one (404) and someone else's offer (403).
pub async fn classify(engine: &Engine, caller: AgentId, err: EngineError) -> AppError {
    let core = match err {
        EngineError::Store(e) => return e.into(),
        EngineError::Core(c) => c,
    };
    match core {
        CoreError::UnknownOffer(id) => match engine.store().offer(id).await {
            Ok(Some(o)) if o.agent != caller => AppError::forbidden(format!("{id} is another agent's offer")),
            Ok(Some(o)) => {
                let state = match o.state {
                    OfferState::Pending => "pending",
                    OfferState::Accepted => "accepted",
                    OfferState::Rejected => "rejected",
                    OfferState::TimedOut => "timed out",
                    OfferState::Withdrawn => "withdrawn",
                };
                AppError::new(ErrorCode::OfferNotPending, format!("{id} was already {state}"))
            }
            Ok(None) => AppError::new(ErrorCode::NotFound, format!("no offer {id}")),
            Err(e) => AppError::internal(e),
        },
        CoreError::UnknownSession(id) => match engine.store().exists("session", id.0).await {
            Ok(true) => AppError::new(ErrorCode::WrongState, format!("{id} is closed")),
            Ok(false) => AppError::new(ErrorCode::NotFound, format!("no session {id}")),
            Err(e) => AppError::internal(e),
        },
        CoreError::UnknownWorkItem(id) => match engine.store().exists("work_item", id.0).await {
            Ok(true) => AppError::new(ErrorCode::WrongState, format!("{id} is closed")),
            Ok(false) => AppError::new(ErrorCode::NotFound, format!("no work item {id}")),
            Err(e) => AppError::internal(e),
        },
        other => other.into(),
    }
}

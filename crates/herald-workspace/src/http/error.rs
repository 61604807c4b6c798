//! One classification of errors at the HTTP edge. Each variant of [`ApiError`]'s code travels
//! with one status; 500s are logged here and never echo internals.

use crate::engine::{Engine, EngineError};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use herald_core::{AgentId, CoreError, OfferState};
use herald_protocol::{ApiError, ErrorCode};

/// An error response.
#[derive(Debug)]
pub struct AppError(pub StatusCode, pub ApiError);

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        let status = match code {
            ErrorCode::InvalidInput => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::OfferNotPending | ErrorCode::RejectNotAllowed | ErrorCode::WrongState => StatusCode::CONFLICT,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self(status, ApiError { code, message: message.into(), field: None })
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut e = Self::new(ErrorCode::InvalidInput, message);
        e.1.field = Some(field.into());
        e
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "request failed");
        Self::new(ErrorCode::Internal, "internal error; see the workspace log")
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

impl From<crate::store::StoreError> for AppError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::internal(e)
    }
}

/// Maps an engine error for `caller`, consulting the store to tell a stale id (409) from an
/// unknown one (404) and someone else's offer (403).
pub async fn classify(engine: &Engine, caller: AgentId, err: EngineError) -> AppError {
    let core = match err {
        EngineError::Store(e) => return AppError::internal(e),
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
        CoreError::UnknownAgent(_) | CoreError::UnknownQueue(_) | CoreError::UnknownWorkstream(_) | CoreError::UnknownContact(_) => {
            AppError::new(ErrorCode::NotFound, core.to_string())
        }
        CoreError::NotYours(_) | CoreError::NotSupervisor => AppError::forbidden(core.to_string()),
        CoreError::RejectNotAllowed(_) => AppError::new(ErrorCode::RejectNotAllowed, core.to_string()),
        CoreError::WrongState(_) => AppError::new(ErrorCode::WrongState, core.to_string()),
        CoreError::Invalid(i) => AppError::invalid(i.field.clone(), i.to_string()),
    }
}

//! Parsing at the boundary: JSON bodies whose errors name the field, bearer-token callers with
//! their role, and numeric ids in paths.

use super::error::AppError;
use crate::edge::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use herald_core::{AgentId, Role};
use herald_protocol::ErrorCode;
use serde::de::DeserializeOwned;

/// A JSON body. Malformed input is a 400 whose `field` names the offending field.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| AppError::invalid("body", format!("cannot read the body: {e}")))?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Deserialises `bytes`, naming the failing field in the error.
fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::invalid("body", "a JSON body is required"));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let syntax = e.inner().is_syntax() || e.inner().is_eof();
        let inner = e.inner().to_string();
        let field = if syntax {
            "body".to_string()
        } else if path == "." {
            // A missing field is reported at its parent: take its name from the message.
            inner.split('`').nth(1).filter(|_| inner.starts_with("missing field")).map_or_else(|| "body".to_string(), str::to_string)
        } else {
            path
        };
        if syntax {
            return AppError::invalid(field, format!("the body is not valid JSON: {inner}"));
        }
        AppError::invalid(field.clone(), format!("invalid {field}: {inner}"))
    })
}

/// The signed-in caller.
#[derive(Clone, Copy, Debug)]
pub struct Caller {
    pub agent: AgentId,
    pub role: Role,
    pub token_id: u64,
}

impl Caller {
    /// 403 unless the caller has at least `role` (admin > supervisor > agent).
    pub fn require(&self, role: Role) -> Result<(), AppError> {
        if self.role >= role {
            Ok(())
        } else {
            Err(AppError::forbidden(format!("this needs the {role:?} role; you are {:?}", self.role).to_lowercase()))
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let header = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let token = header
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(|| AppError::new(ErrorCode::Unauthenticated, "missing bearer token (Authorization: Bearer …)"))?;
        let (token_id, agent) =
            state.tokens.check(token).ok_or_else(|| AppError::new(ErrorCode::Unauthenticated, "unknown or revoked token"))?;
        let role = state
            .engine
            .read(|r, _| r.agent(agent).map(|a| a.role))
            .await
            .ok_or_else(|| AppError::new(ErrorCode::Unauthenticated, "the token's agent no longer exists"))?;
        Ok(Caller { agent, role, token_id })
    }
}

/// Parses a numeric id from a path segment (`42` or `offer-42`); ids start at 1.
pub fn parse_id(raw: &str, name: &str) -> Result<u64, AppError> {
    let digits = raw.rsplit('-').next().unwrap_or(raw);
    match digits.parse::<u64>() {
        Ok(0) | Err(_) => Err(AppError::invalid(name, format!("{name} must be a positive number, got {raw:?}"))),
        Ok(id) => Ok(id),
    }
}

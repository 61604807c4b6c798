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
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
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
    })?;
    // One JSON document and nothing after it (whitespace aside): `{…}}` or two documents in one
    // body are refused, not half-read.
    de.end().map_err(|e| AppError::invalid("body", format!("unexpected data after the JSON body: {e}")))?;
    Ok(value)
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
        // Not waiting for the commits in flight (see Engine::peek): a request's own change
        // commits after them, or fails with them.
        let role = state
            .engine
            .peek(|r| r.agent(agent).map(|a| a.role))
            .await
            .ok_or_else(|| AppError::new(ErrorCode::Unauthenticated, "the token's agent no longer exists"))?;
        Ok(Caller { agent, role, token_id })
    }
}

/// Parses a numeric id from a path segment (`42` or `offer-42`); ids start at 1. Only ASCII
/// digits count: `-198`, `+7`, `offer--3` and `1e3` are refused, never read as another id.
pub fn parse_id(raw: &str, name: &str) -> Result<u64, AppError> {
    let digits = match raw.rsplit_once('-') {
        Some((prefix, digits)) if !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') => digits,
        Some(_) => "",
        None => raw,
    };
    let parsed = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) { digits.parse::<u64>().ok() } else { None };
    match parsed {
        Some(0) | None => Err(AppError::invalid(name, format!("{name} must be a positive number, got {raw:?}"))),
        Some(id) => Ok(id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positive_numbers_with_an_optional_name() {
        assert_eq!(parse_id("42", "id").unwrap(), 42);
        assert_eq!(parse_id("offer-42", "id").unwrap(), 42);
        assert_eq!(parse_id("work_item-7", "id").unwrap(), 7);
        for bad in ["-198", "0", "+7", "offer--3", "1e3", "", "offer-", "-", "42 ", "Offer-1", "18446744073709551616"] {
            assert!(parse_id(bad, "id").is_err(), "{bad:?} is refused");
        }
    }

    #[test]
    fn a_body_is_one_json_document() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Named {
            name: String,
        }
        assert!(parse_json::<Named>(br#"{"name":"x"} "#).is_ok());
        for bad in [&br#"{"name":"x"}}"#[..], br#"{"name":"x"}{"name":"y"}"#, br#"{"name":"x"} 1"#] {
            let e = parse_json::<Named>(bad).unwrap_err();
            assert_eq!((e.0.as_u16(), e.1.field.as_deref()), (400, Some("body")), "{}", String::from_utf8_lossy(bad));
        }
    }
}

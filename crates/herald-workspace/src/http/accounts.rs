//! People's sign-in ([`crate::accounts`]): sign in with an email and a password, spend an invite
//! to set one, change one's own; and the admin's side — invite, reset, disable, enable. A
//! disabled account or a reset ends every session and stream of that person at once (their
//! tokens are revoked).

use crate::accounts::{Admission, INVITE_TTL, normalise_email, password_problem};
use crate::audit::record;
use crate::auth::{hash_token, new_token};
use crate::edge::AppState;
use crate::edge::error::AppError;
use crate::edge::extract::{ApiJson, Caller, parse_id};
use crate::edge::limits::ClientIp;
use crate::engine::now;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use herald_core::{AgentId, Role};
use herald_protocol::{
    Account, ApiError, ChangePasswordRequest, ErrorCode, Invite, InviteRequest, SetPasswordRequest, SignInRequest, SignedIn,
};

use super::agent::Result;

const WRONG: &str = "wrong email or password";

fn bad_password(field: &str, password: &str) -> Result<()> {
    password_problem(password).map_or(Ok(()), |why| Err(AppError::invalid(field, why)))
}

/// A new token for `agent`, with who they are.
async fn signed_in(s: &AppState, agent: AgentId) -> Result<SignedIn> {
    let who = s.engine.read(|r, _| r.agent(agent).map(|a| (a.name.clone(), a.role))).await;
    let (name, role) = who.ok_or_else(|| AppError::new(ErrorCode::Unauthenticated, "this person no longer exists in the workspace"))?;
    let (token_id, token) = s.tokens.issue(s.engine.store(), agent, now().0).await?;
    Ok(SignedIn { token, token_id, agent, name, role })
}

#[utoipa::path(post, path = "/v1/auth/sign-in", tag = "auth", request_body = SignInRequest,
    responses((status = 200, body = SignedIn), (status = 401, description = "wrong email or password", body = ApiError),
        (status = 403, description = "the account is disabled", body = ApiError),
        (status = 429, description = "too many failed sign-ins for this account or from this address; see Retry-After", body = ApiError)))]
pub async fn sign_in(
    State(s): State<AppState>,
    ClientIp(client): ClientIp,
    ApiJson(req): ApiJson<SignInRequest>,
) -> Result<Json<SignedIn>> {
    let email = normalise_email(&req.email).map_err(|why| AppError::invalid("email", why))?;
    match s.accounts.admit(&email, client, now().0) {
        Admission::Go => {}
        Admission::Slowed(wait) => tokio::time::sleep(wait).await,
        Admission::Refused { retry_after_secs, by_address } => {
            let whose = if by_address { "from your address" } else { "for this account" };
            let minutes = retry_after_secs.div_ceil(60);
            tracing::warn!(%email, %client, by_address, "sign-in refused: too many failures");
            let detail = format!("refused {whose}: too many failed sign-ins");
            record(s.engine.store(), None, Some(client), "sign_in_refused", Some(email.clone()), detail).await;
            return Err(AppError::new(
                ErrorCode::RateLimited,
                format!("Too many failed sign-ins {whose}; try again in {minutes} min, or ask an admin to reset the password."),
            )
            .retry_after(retry_after_secs));
        }
    }
    let account = s.engine.store().account_by_email(&email).await?;
    let ok = s.accounts.verify(&req.password, account.as_ref().and_then(|a| a.password_hash.as_deref())).await;
    let Some(account) = account.filter(|_| ok) else {
        s.accounts.failed(&email, client, now().0);
        tracing::info!(%email, %client, "sign-in failed");
        record(s.engine.store(), None, Some(client), "sign_in_failed", Some(email.clone()), "wrong email or password".into()).await;
        return Err(AppError::new(ErrorCode::Unauthenticated, WRONG));
    };
    if account.disabled {
        record(s.engine.store(), Some(account.agent), Some(client), "sign_in_refused", Some(email), "the account is disabled".into()).await;
        return Err(AppError::forbidden("this account is disabled; ask an admin"));
    }
    s.accounts.succeeded(&email);
    let signed = signed_in(&s, account.agent).await?;
    tracing::info!(agent = %account.agent, token_id = signed.token_id, "signed in");
    let detail = format!("signed in (token {})", signed.token_id);
    record(s.engine.store(), Some(account.agent), Some(client), "sign_in", Some(email), detail).await;
    Ok(Json(signed))
}

#[utoipa::path(post, path = "/v1/auth/set-password", tag = "auth", request_body = SetPasswordRequest,
    responses((status = 200, description = "the password is set and the person signed in", body = SignedIn),
        (status = 404, description = "the code is unknown, used or expired", body = ApiError)))]
pub async fn set_password(State(s): State<AppState>, ApiJson(req): ApiJson<SetPasswordRequest>) -> Result<Json<SignedIn>> {
    bad_password("password", &req.password)?;
    let hash = s.accounts.hash(&req.password).await.map_err(AppError::internal)?;
    let store = s.engine.store();
    let agent = store
        .take_invite(&hash_token(req.code.trim()), now().0)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "this link is unknown, already used or expired; ask an admin for a new one"))?;
    store.set_password_hash(agent, Some(&hash), now().0).await?;
    if store.account_of(agent).await?.is_some_and(|a| a.disabled) {
        return Err(AppError::forbidden("the password is set, but this account is disabled; ask an admin"));
    }
    tracing::info!(%agent, "password set from an invite");
    record(store, Some(agent), None, "password_set", Some(agent.to_string()), "set a password from an invite".into()).await;
    Ok(Json(signed_in(&s, agent).await?))
}

#[utoipa::path(post, path = "/v1/auth/password", tag = "auth", security(("bearer" = [])), request_body = ChangePasswordRequest,
    responses((status = 204), (status = 400, description = "the current password is wrong, or the new one breaks a rule", body = ApiError)))]
pub async fn change_password(
    State(s): State<AppState>,
    caller: Caller,
    ClientIp(client): ClientIp,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> Result<StatusCode> {
    bad_password("new", &req.new)?;
    let store = s.engine.store();
    let account = store
        .account_of(caller.agent)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "you have no sign-in email yet; ask an admin for an invite"))?;
    if let Admission::Refused { retry_after_secs, .. } = s.accounts.admit(&account.email, client, now().0) {
        return Err(AppError::new(ErrorCode::RateLimited, "Too many wrong passwords; try again later.").retry_after(retry_after_secs));
    }
    if !s.accounts.verify(&req.current, account.password_hash.as_deref()).await {
        s.accounts.failed(&account.email, client, now().0);
        return Err(AppError::invalid("current", "the current password is wrong"));
    }
    let hash = s.accounts.hash(&req.new).await.map_err(AppError::internal)?;
    store.set_password_hash(caller.agent, Some(&hash), now().0).await?;
    tracing::info!(agent = %caller.agent, "password changed");
    record(store, Some(caller.agent), Some(client), "password_changed", Some(caller.agent.to_string()), "changed their password".into())
        .await;
    Ok(StatusCode::NO_CONTENT)
}

async fn existing_agent(s: &AppState, raw: &str) -> Result<AgentId> {
    let agent = AgentId(parse_id(raw, "id")?);
    if s.engine.read(|r, _| r.agent(agent).is_none()).await {
        return Err(AppError::new(ErrorCode::NotFound, format!("no agent {agent}")));
    }
    Ok(agent)
}

async fn account(s: &AppState, agent: AgentId) -> Result<Account> {
    let a = s
        .engine
        .store()
        .account_of(agent)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, format!("{agent} has no sign-in email yet; invite them first")))?;
    Ok(Account { agent, email: a.email, has_password: a.password_hash.is_some(), disabled: a.disabled })
}

/// A new one-time code for `agent` (earlier unused ones stop working).
async fn invite_code(s: &AppState, agent: AgentId, email: String) -> Result<Invite> {
    let code = new_token();
    let at = now().0;
    let expires_at = at + INVITE_TTL.as_millis() as u64;
    s.engine.store().insert_invite(agent, &hash_token(&code), at, expires_at).await?;
    Ok(Invite { agent, email, code, path: "/v1/auth/set-password".into(), expires_at })
}

/// Ends every session and stream of `agent` at once.
async fn sign_out_everywhere(s: &AppState, agent: AgentId) -> Result<usize> {
    let ended = s.tokens.revoke_agent(s.engine.store(), agent, now().0).await?;
    Ok(ended)
}

#[utoipa::path(get, path = "/v1/admin/agents/{id}/account", tag = "admin", security(("bearer" = [])),
    params(("id" = u64, Path, description = "agent id")), responses((status = 200, body = Account)))]
pub async fn get_account(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Account>> {
    caller.require(Role::Admin)?;
    let agent = existing_agent(&s, &id).await?;
    Ok(Json(account(&s, agent).await?))
}

#[utoipa::path(post, path = "/v1/admin/agents/{id}/invite", tag = "admin", security(("bearer" = [])), request_body = InviteRequest,
    params(("id" = u64, Path, description = "agent id")),
    responses((status = 201, description = "the set-password code, shown once", body = Invite),
        (status = 409, description = "another person signs in with that email", body = ApiError)))]
pub async fn invite(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<InviteRequest>,
) -> Result<(StatusCode, Json<Invite>)> {
    caller.require(Role::Admin)?;
    let agent = existing_agent(&s, &id).await?;
    let email = normalise_email(&req.email).map_err(|why| AppError::invalid("email", why))?;
    if !s.engine.store().set_account_email(agent, &email, now().0).await? {
        return Err(AppError::new(ErrorCode::WrongState, format!("another person already signs in with {email}")));
    }
    let invite = invite_code(&s, agent, email).await?;
    tracing::info!(%agent, by = %caller.agent, "invited");
    let detail = format!("invited as {}", invite.email);
    record(s.engine.store(), Some(caller.agent), None, "invited", Some(agent.to_string()), detail).await;
    Ok((StatusCode::CREATED, Json(invite)))
}

#[utoipa::path(post, path = "/v1/admin/agents/{id}/reset-password", tag = "admin", security(("bearer" = [])),
    params(("id" = u64, Path, description = "agent id")),
    responses((status = 201, description = "the old password no longer works, the person is signed out everywhere; a new set-password code, shown once", body = Invite)))]
pub async fn reset_password(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<(StatusCode, Json<Invite>)> {
    caller.require(Role::Admin)?;
    let agent = existing_agent(&s, &id).await?;
    let current = account(&s, agent).await?;
    s.engine.store().set_password_hash(agent, None, now().0).await?;
    let ended = sign_out_everywhere(&s, agent).await?;
    let invite = invite_code(&s, agent, current.email).await?;
    tracing::info!(%agent, by = %caller.agent, tokens_revoked = ended, "password reset");
    let detail = format!("reset the password; {ended} token(s) revoked");
    record(s.engine.store(), Some(caller.agent), None, "password_reset", Some(agent.to_string()), detail).await;
    Ok((StatusCode::CREATED, Json(invite)))
}

#[utoipa::path(post, path = "/v1/admin/agents/{id}/disable", tag = "admin", security(("bearer" = [])),
    params(("id" = u64, Path, description = "agent id")),
    responses((status = 200, description = "disabled: every session and stream of the person ended", body = Account)))]
pub async fn disable(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Account>> {
    caller.require(Role::Admin)?;
    let agent = existing_agent(&s, &id).await?;
    if agent == caller.agent {
        return Err(AppError::new(ErrorCode::WrongState, "you cannot disable your own account"));
    }
    account(&s, agent).await?;
    s.engine.store().set_account_disabled(agent, true, now().0).await?;
    let ended = sign_out_everywhere(&s, agent).await?;
    tracing::info!(%agent, by = %caller.agent, tokens_revoked = ended, "account disabled");
    let detail = format!("disabled the account; {ended} token(s) revoked");
    record(s.engine.store(), Some(caller.agent), None, "account_disabled", Some(agent.to_string()), detail).await;
    Ok(Json(account(&s, agent).await?))
}

#[utoipa::path(post, path = "/v1/admin/agents/{id}/enable", tag = "admin", security(("bearer" = [])),
    params(("id" = u64, Path, description = "agent id")), responses((status = 200, body = Account)))]
pub async fn enable(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Account>> {
    caller.require(Role::Admin)?;
    let agent = existing_agent(&s, &id).await?;
    account(&s, agent).await?;
    s.engine.store().set_account_disabled(agent, false, now().0).await?;
    tracing::info!(%agent, by = %caller.agent, "account enabled");
    record(s.engine.store(), Some(caller.agent), None, "account_enabled", Some(agent.to_string()), "enabled the account".into()).await;
    Ok(Json(account(&s, agent).await?))
}

//! Signing in with an email and a password (the organisation issue, item 2): the address is
//! checked first, so each way it can go wrong gets its own words — a workspace that cannot be
//! reached, a server that is not a Herald workspace, a wrong password, too many attempts, a
//! disabled account. Only the token the workspace hands out is kept; the password is passed on
//! once and dropped.

use crate::model::SignInPlan;
use crate::secrets::Secrets;
use crate::view::CommandError;
use herald_client::{Client, ClientError};
use std::time::Duration;

/// How long signing out waits for the workspace before forgetting the token anyway.
const SIGN_OUT_WAIT: Duration = Duration::from_secs(5);

fn at(field: &str, message: impl Into<String>) -> CommandError {
    CommandError { field: Some(field.into()), ..CommandError::app(message) }
}

/// Checks that `plan`'s address is a Herald workspace, then signs in: the new token.
pub async fn sign_in(plan: &SignInPlan) -> Result<String, CommandError> {
    let url = &plan.settings.workspace_url;
    let client = Client::new(url, None).map_err(|e| at("workspace_url", format!("{url} is not a workspace address: {e}")))?;
    match client.health().await {
        Ok(_) => {}
        Err(ClientError::Transport(e)) => {
            return Err(at("workspace_url", format!("Herald cannot reach {url} ({e}). Check the address and your network.")));
        }
        Err(e) => {
            tracing::info!(%url, error = %e, "the address answers, but not as a Herald workspace");
            return Err(at(
                "workspace_url",
                format!("{url} answers, but it is not a Herald workspace. Check the address with your administrator."),
            ));
        }
    }
    match client.sign_in(&plan.email, &plan.password.0).await {
        Ok(signed) => {
            tracing::info!(%url, agent = %signed.agent, name = %signed.name, "signed in");
            Ok(signed.token)
        }
        Err(e) => Err(refused(&e)),
    }
}

/// The workspace's refusal of a sign-in, in words, next to the field it is about.
fn refused(e: &ClientError) -> CommandError {
    let mut out = match (e.status(), e) {
        (Some(401), _) => at("password", "Wrong email or password."),
        (Some(429), ClientError::Api { error, .. }) => at("password", format!("Too many failed sign-ins. {}", error.message)),
        (Some(403), ClientError::Api { error, .. }) => at("email", error.message.clone()),
        (Some(400), ClientError::Api { error, .. }) => at(error.field.as_deref().unwrap_or("email"), error.message.clone()),
        (Some(503), _) => CommandError::app("The workspace is changing hands (an instance is taking over). Try again in a moment."),
        (_, ClientError::Transport(err)) => at("workspace_url", format!("The workspace stopped answering ({err}). Try again.")),
        _ => CommandError::app(format!("Signing in failed: {e}")),
    };
    out.code = e.code();
    out
}

/// Revokes the stored token of `url` at the workspace and forgets it here. `Some(why)`: the
/// workspace did not confirm (the person is signed out here all the same).
pub async fn sign_out(secrets: Secrets, url: &str) -> Result<Option<String>, CommandError> {
    let (s, account) = (secrets.clone(), url.to_string());
    let stored = tokio::task::spawn_blocking(move || s.get(&account)).await.map_err(|e| CommandError::app(e.to_string()))?;
    let mut unconfirmed = None;
    if let Ok(Some(token)) = stored {
        if let Err(why) = revoke(url, &token).await {
            tracing::warn!(%url, %why, "the workspace did not take the sign-out; the token is forgotten here");
            unconfirmed = Some(why);
        }
    }
    let account = url.to_string();
    tokio::task::spawn_blocking(move || secrets.delete(&account))
        .await
        .map_err(|e| CommandError::app(e.to_string()))?
        .map_err(|m| CommandError::app(format!("Could not forget the token: {m}")))?;
    tracing::info!(%url, "signed out");
    Ok(unconfirmed)
}

/// Revokes `token` at `url`, waiting at most [`SIGN_OUT_WAIT`]; says why it could not.
async fn revoke(url: &str, token: &str) -> Result<(), String> {
    let client = Client::new(url, Some(token)).map_err(|e| e.to_string())?;
    match tokio::time::timeout(SIGN_OUT_WAIT, client.sign_out()).await {
        Ok(Ok(())) => Ok(()),
        // Already revoked (or never valid): signed out all the same.
        Ok(Err(e)) if e.status() == Some(401) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {} s", SIGN_OUT_WAIT.as_secs())),
    }
}

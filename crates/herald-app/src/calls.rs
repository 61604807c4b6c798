//! What the app asks the workspace: each [`Call`] as a request of the typed client, and the
//! words for a request that failed.

use crate::model::{Answer, Call};
use crate::view::CommandError;
use herald_client::{Client, ClientError};
use herald_protocol::ErrorCode;

/// Sends `call` to the workspace.
pub(crate) async fn ask(client: &Client, call: &Call) -> Result<Answer, ClientError> {
    match call {
        Call::Accept(offer) => client.accept(*offer).await.map(|session| Answer::Accepted { offer: *offer, session }),
        Call::Reject(offer) => client.reject(*offer).await.map(|()| Answer::Rejected(*offer)),
        Call::Displayed(offer) => client.displayed(*offer).await.map(|()| Answer::Displayed(*offer)),
        Call::Transcript(session) => client.transcript(*session).await.map(Answer::Transcript),
        Call::CloseSession(session) => client.close_session(*session).await.map(|()| Answer::SessionClosed(*session)),
        Call::OpenSession(session) => client.open_session(*session).await.map(Answer::SessionOpened),
        Call::CallControl { session, action } => client.call_control(*session, *action).await.map(Answer::CallControlled),
        Call::SendMessage { session, body } => client.send_message(*session, body).await.map(Answer::MessageSent),
        Call::SetPresence(presence) => client.set_presence(presence.clone()).await.map(Answer::Me),
        Call::ResetPresence => client.reset_my_presence().await.map(Answer::Me),
        Call::ResetAgentPresence(agent) => client.reset_presence_of(*agent).await.map(Answer::AgentReset),
        Call::LoadBoard => crate::board::load(client).await.map(Answer::Board),
        Call::Direct { item, agent, how } => client.direct(*item, *agent, *how).await.map(Answer::Directed),
        Call::Note { offer, kind, detail } => client.note(*offer, *kind, detail).await.map(|()| Answer::Noted),
        Call::Timeline(offer) => client.timeline(*offer).await.map(|t| Answer::Timeline(Box::new(t))),
    }
}

/// Words for a client error.
pub fn command_error(e: &ClientError, workspace: &str) -> CommandError {
    let message = match e {
        ClientError::Api { error, .. } => match error.code {
            ErrorCode::OfferNotPending => "This request is no longer available: it was taken, withdrawn or timed out.".to_string(),
            ErrorCode::Unauthenticated => "The workspace no longer accepts your sign-in. Sign in again in Settings.".into(),
            _ => error.message.clone(),
        },
        ClientError::Transport(_) => format!("Cannot reach the workspace at {workspace}. Check the connection."),
        ClientError::Decode(d) => format!("The workspace answered in a way Herald does not understand: {d}"),
        ClientError::Url(u) => format!("The workspace address is not valid: {u}"),
    };
    let field = match e {
        ClientError::Api { error, .. } => error.field.clone(),
        ClientError::Transport(_) | ClientError::Decode(_) | ClientError::Url(_) => None,
    };
    CommandError { code: e.code(), message, field }
}

pub(crate) fn not_connected() -> CommandError {
    CommandError::app("Herald is not connected to a workspace yet.")
}

//! Why the router refuses an input: [`CoreError`], with [`Owned`] (whose offer or session) and
//! [`WrongState`] (which state forbids it) as typed details. R18/R19 (what cannot be rejected or
//! opened), R21 (call controls) and R30 (only supervisors act for others) refuse here.

use crate::config::Invalid;
use crate::ids::{AgentId, ContactId, OfferId, QueueId, SessionId, WorkItemId, WorkstreamId};
use crate::model::{CallAction, CallState};
use std::fmt;

/// Why the router refused an input. Nothing changed when this is returned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    #[error("no agent {0}")]
    UnknownAgent(AgentId),
    /// Not pending (ended offers are not kept) or never existed.
    #[error("no pending offer {0}")]
    UnknownOffer(OfferId),
    #[error("no open session {0}")]
    UnknownSession(SessionId),
    #[error("no live work item {0}")]
    UnknownWorkItem(WorkItemId),
    #[error("no queue {0}")]
    UnknownQueue(QueueId),
    #[error("no workstream {0}")]
    UnknownWorkstream(WorkstreamId),
    #[error("no contact {0}")]
    UnknownContact(ContactId),
    /// The offer or session belongs to another agent.
    #[error("{0} belongs to another agent")]
    NotYours(Owned),
    /// Only supervisors and admins act on other agents (R30).
    #[error("only a supervisor can do this for another agent")]
    NotSupervisor,
    /// The template does not allow rejecting this offer (R18, R19).
    #[error("{0} cannot be rejected")]
    RejectNotAllowed(OfferId),
    /// The session or call is not in a state that allows this.
    #[error("{0}")]
    WrongState(WrongState),
    #[error(transparent)]
    Invalid(#[from] Invalid),
}

/// What an agent tried to act on that another agent holds ([`CoreError::NotYours`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owned {
    Offer(OfferId),
    Session(SessionId),
}

impl fmt::Display for Owned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Owned::Offer(id) => write!(f, "{id}"),
            Owned::Session(id) => write!(f, "{id}"),
        }
    }
}

/// Why a live session or call cannot do what was asked ([`CoreError::WrongState`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WrongState {
    /// "Open item" on an assignment offer whose item has no session (R19).
    #[error("{0} is not assigned")]
    NotAssigned(WorkItemId),
    /// The session is assigned but not opened yet: no calls, transfers or messages.
    #[error("{0} is not open")]
    SessionNotOpen(SessionId),
    /// Call controls on a session without a call (R21).
    #[error("{0} is not a voice session")]
    NotVoice(SessionId),
    /// A call control that does not apply to the call as it is (R21).
    #[error("cannot {action:?} a call that is {call:?}")]
    Call { action: CallAction, call: CallState },
    /// A supervisor directed an item that is not waiting in its queue (offered, assigned or
    /// closed meanwhile).
    #[error("{0} is not waiting in a queue any more")]
    NotWaiting(WorkItemId),
    /// The chosen agent is Offline: nobody would see the offer.
    #[error("{0} is offline")]
    AgentOffline(AgentId),
    /// The chosen agent already has an offer to answer (one at a time).
    #[error("{0} already has an offer to answer")]
    AgentHasOffer(AgentId),
    /// The chosen agent has the maximum number of sessions open (R27).
    #[error("{0} has the maximum number of sessions open")]
    AgentFull(AgentId),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_as_before_the_details_were_typed() {
        let text = |e: CoreError| e.to_string();
        assert_eq!(text(CoreError::NotYours(Owned::Offer(OfferId(7)))), "offer-7 belongs to another agent");
        assert_eq!(text(CoreError::NotYours(Owned::Session(SessionId(8)))), "session-8 belongs to another agent");
        assert_eq!(text(CoreError::WrongState(WrongState::NotAssigned(WorkItemId(3)))), "item-3 is not assigned");
        assert_eq!(text(CoreError::WrongState(WrongState::SessionNotOpen(SessionId(4)))), "session-4 is not open");
        assert_eq!(text(CoreError::WrongState(WrongState::NotVoice(SessionId(5)))), "session-5 is not a voice session");
        let call = WrongState::Call { action: CallAction::Resume, call: CallState::Connected };
        assert_eq!(text(CoreError::WrongState(call)), "cannot Resume a call that is Connected");
    }
}

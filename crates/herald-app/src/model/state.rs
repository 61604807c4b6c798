//! Merges into the [`DesktopState`]: sessions and transcripts.

use crate::view::{DesktopState, TranscriptView};
use herald_protocol::{Message, Session, SessionId, SessionState};

/// Adds or replaces a session; a closed one is removed. The first session becomes the active one.
pub(super) fn upsert_session(state: &mut DesktopState, s: Session) {
    if s.state == SessionState::Closed {
        remove_session(state, s.id);
        return;
    }
    let id = s.id;
    match state.sessions.iter_mut().find(|x| x.id == s.id) {
        Some(x) => *x = s,
        None => state.sessions.push(s),
    }
    if state.active_session.is_none() {
        state.active_session = Some(id);
    }
}

/// Adds or replaces a message in its conversation's transcript, keeping id order.
pub(super) fn merge_message(state: &mut DesktopState, msg: Message) {
    let t = match state.transcripts.iter_mut().position(|t| t.work_item == msg.work_item) {
        Some(i) => &mut state.transcripts[i],
        None => {
            state.transcripts.push(TranscriptView { work_item: msg.work_item, messages: Vec::new() });
            let last = state.transcripts.len() - 1;
            &mut state.transcripts[last]
        }
    };
    match t.messages.binary_search_by_key(&msg.id, |m| m.id) {
        Ok(i) => t.messages[i] = msg,
        Err(i) => t.messages.insert(i, msg),
    }
}

/// Removes a session, and its conversation's transcript unless another session shows it.
pub(super) fn remove_session(state: &mut DesktopState, id: SessionId) {
    if let Some(conversation) = state.sessions.iter().find(|s| s.id == id).map(|s| s.conversation_id()) {
        state.sessions.retain(|s| s.id != id);
        // A consult keeps the same conversation open in another session.
        if !state.sessions.iter().any(|s| s.conversation_id() == conversation) {
            state.transcripts.retain(|t| t.work_item != conversation);
        }
    }
    state.sessions.retain(|s| s.id != id);
    if state.active_session == Some(id) {
        state.active_session = state.sessions.last().map(|s| s.id);
    }
}

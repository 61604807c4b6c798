//! Messages: the transcript of a conversation, shared by every session of it (R7 consults, R8 bot
//! hand-overs carry what was said before, R10 the agent sees it on accept), and delivery updates.

use super::{CoreError, NewMessage, Reply, Router, WrongState};
use crate::config::Invalid;
use crate::ids::{AgentId, MessageId, SessionId, Timestamp, WorkItemId};
use crate::model::{AgentEvent, Author, Delivery, Message, Saved, SessionState, WorkItem, WorkItemState};
use std::collections::BTreeSet;

/// The longest message body accepted, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4000;

pub(super) fn check_body(body: &str) -> Result<String, Invalid> {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return Err(Invalid::new("body", "a message needs some text"));
    }
    if trimmed.chars().count() > MAX_MESSAGE_CHARS {
        return Err(Invalid::new("body", format!("at most {MAX_MESSAGE_CHARS} characters")));
    }
    Ok(trimmed.to_string())
}

/// What `publish_message` tells the agents holding the conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MessageChange {
    /// A new message: `MessageAdded`.
    Added,
    /// A known message whose delivery moved on: `MessageUpdated`.
    Updated,
}

impl Router {
    /// The live items of a conversation (several while an escalation/consult runs, R7).
    pub fn conversation_items(&self, conversation: WorkItemId) -> impl Iterator<Item = &WorkItem> {
        self.items.values().filter(move |i| i.conversation_id() == conversation)
    }

    /// The agents holding a session of the conversation.
    fn holders(&self, conversation: WorkItemId) -> BTreeSet<AgentId> {
        self.conversation_items(conversation)
            .filter_map(|i| match i.state {
                WorkItemState::Assigned { agent, .. } => Some(agent),
                WorkItemState::Queued | WorkItemState::Offered { .. } | WorkItemState::Closed { .. } => None,
            })
            .collect()
    }

    fn publish_message(&mut self, message: Message, change: MessageChange) {
        for agent in self.holders(message.work_item) {
            let event = match change {
                MessageChange::Added => AgentEvent::MessageAdded(message.clone()),
                MessageChange::Updated => AgentEvent::MessageUpdated(message.clone()),
            };
            self.emit(agent, event);
        }
        self.out.saves.push(Saved::Message(message));
    }

    /// Records a message of a live conversation and tells the agents holding it.
    pub(super) fn add_message(&mut self, now: Timestamp, conversation: WorkItemId, m: NewMessage) -> MessageId {
        let id = MessageId(self.alloc());
        let default_name = match m.author {
            Author::Customer => self.conversation_items(conversation).next().map_or_else(|| "Customer".into(), |i| i.customer.name.clone()),
            Author::Bot => "Bot".into(),
            Author::System | Author::Agent => "Herald".into(),
        };
        let message = Message {
            id,
            work_item: conversation,
            author: m.author,
            author_name: m.author_name.filter(|n| !n.trim().is_empty()).unwrap_or(default_name),
            body: m.body,
            at: now,
            delivery: None,
            external_id: m.external_id,
        };
        self.publish_message(message, MessageChange::Added);
        id
    }

    pub(super) fn customer_message(&mut self, now: Timestamp, conversation: WorkItemId, m: NewMessage) -> Result<Reply, CoreError> {
        if self.conversation_items(conversation).next().is_none() {
            return Err(CoreError::UnknownWorkItem(conversation));
        }
        if m.author == Author::Agent {
            return Err(Invalid::new("author", "agents write through their session").into());
        }
        let body = check_body(&m.body)?;
        Ok(Reply::Message(self.add_message(now, conversation, NewMessage { body, ..m })))
    }

    pub(super) fn agent_message(
        &mut self,
        now: Timestamp,
        agent: AgentId,
        session: SessionId,
        body: &str,
        delivery: Option<Delivery>,
    ) -> Result<Reply, CoreError> {
        let s = self.own_session(agent, session)?;
        if s.state != SessionState::Open {
            return Err(CoreError::WrongState(WrongState::SessionNotOpen(session)));
        }
        let conversation = self.items.get(&s.work_item).map_or(s.work_item, WorkItem::conversation_id);
        let body = check_body(body)?;
        let id = MessageId(self.alloc());
        let author_name = self.agent_ref(agent)?.name.clone();
        let message =
            Message { id, work_item: conversation, author: Author::Agent, author_name, body, at: now, delivery, external_id: None };
        self.publish_message(message, MessageChange::Added);
        Ok(Reply::Message(id))
    }

    pub(super) fn message_delivery(&mut self, m: Message) -> Result<Reply, CoreError> {
        if m.delivery.is_none() {
            return Err(Invalid::new("delivery", "a delivery update needs a delivery").into());
        }
        self.publish_message(m, MessageChange::Updated);
        Ok(Reply::Done)
    }
}

//! The channel of a conversation — *how* the customer reaches the agent — kept apart from the
//! [`Scenario`], which says *why* an item is offered. A chat transferred to a colleague is a
//! [`Scenario::Transfer`] on the [`Channel::Chat`] channel: it keeps its transcript and composer
//! (R6, R10); a transferred call keeps its call controls (R21).
//!
//! What a screen needs to decide per channel and scenario is answered here, once, and exported
//! to the UI as data (`herald_protocol::export_typescript` writes `constants.ts`), so neither the
//! desktop shell nor the TypeScript keeps its own copy of the rule.

use crate::config::Scenario;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The medium of a conversation. Set when the item arrives; transfers and escalations carry it on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum Channel {
    /// Web chat, or a chat a bot handed over (R1, R8): a transcript and a composer.
    Chat,
    /// R2: a transcript and a composer; the agent's replies go out by SMS.
    Sms,
    /// R3, R21: a phone call; the session has call controls.
    Voice,
    /// No live conversation: a record (case) or a work item (R4, R5); the context only.
    #[default]
    Record,
}

impl Channel {
    pub const ALL: [Channel; 4] = [Channel::Chat, Channel::Sms, Channel::Voice, Channel::Record];

    /// R10: the session shows the conversation's messages and lets the agent write.
    pub fn has_transcript(self) -> bool {
        match self {
            Channel::Chat | Channel::Sms => true,
            Channel::Voice | Channel::Record => false,
        }
    }

    /// R21: the session has call controls (hold, resume, end).
    pub fn has_call_controls(self) -> bool {
        match self {
            Channel::Voice => true,
            Channel::Chat | Channel::Sms | Channel::Record => false,
        }
    }

    /// The label a person reads.
    pub fn label(self) -> &'static str {
        match self {
            Channel::Chat => "Chat",
            Channel::Sms => "SMS",
            Channel::Voice => "Voice",
            Channel::Record => "Record",
        }
    }

    /// The wire name (`chat`, `sms`, …), as template placeholders show it (`{channel}`).
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Chat => "chat",
            Channel::Sms => "sms",
            Channel::Voice => "voice",
            Channel::Record => "record",
        }
    }

    /// The legacy spelling kept in a work item's context before the channel had its own field
    /// (`webchat`, `bot`, `sms`, `voice`); `None` for anything else.
    pub fn from_legacy(name: &str) -> Option<Channel> {
        match name {
            "webchat" | "bot" | "chat" => Some(Channel::Chat),
            "sms" => Some(Channel::Sms),
            "voice" => Some(Channel::Voice),
            _ => None,
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Scenario {
    /// The channel of a new item of this scenario when its source does not name one. Transfers
    /// and escalations never use this: they keep the channel of the conversation they carry on.
    pub fn default_channel(self) -> Channel {
        match self {
            Scenario::Chat | Scenario::BotEscalation => Channel::Chat,
            Scenario::Sms => Channel::Sms,
            Scenario::Voice => Channel::Voice,
            Scenario::Case | Scenario::WorkItem | Scenario::Transfer | Scenario::Escalation => Channel::Record,
        }
    }

    /// The label a person reads.
    pub fn label(self) -> &'static str {
        match self {
            Scenario::Chat => "Chat",
            Scenario::Sms => "SMS",
            Scenario::Voice => "Voice call",
            Scenario::Case => "Case",
            Scenario::WorkItem => "Work item",
            Scenario::Transfer => "Transfer",
            Scenario::Escalation => "Escalation",
            Scenario::BotEscalation => "Bot escalation",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transfer_keeps_what_its_channel_shows() {
        // R6, R10, R21: the scenario does not decide the panel; the channel does.
        assert!(Channel::Chat.has_transcript() && !Channel::Chat.has_call_controls());
        assert!(Channel::Sms.has_transcript());
        assert!(Channel::Voice.has_call_controls() && !Channel::Voice.has_transcript());
        assert!(!Channel::Record.has_transcript() && !Channel::Record.has_call_controls());
        assert_eq!(Scenario::BotEscalation.default_channel(), Channel::Chat);
        assert_eq!(Channel::from_legacy("webchat"), Some(Channel::Chat));
        assert_eq!(Channel::from_legacy("fax"), None);
    }

    #[test]
    fn wire_names_match_serde() {
        for c in Channel::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), serde_json::Value::String(c.as_str().into()));
        }
    }
}

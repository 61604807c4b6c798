//! What the administrator configures: templates per scenario (R20), settings, workstreams,
//! queues, contacts. Each type is checked once when it is built (`validate`) and trusted after.

use crate::ids::{AgentId, ContactId, QueueId, WorkstreamId};
use crate::presence::{BasePresence, CustomPresence};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A rejected piece of configuration or input: which field, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct Invalid {
    pub field: String,
    pub reason: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { field: field.into(), reason: reason.into() }
    }
}

/// The longest name a person or thing may have (agents, queues, workstreams, contacts,
/// customers, custom presences), in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// The longest template title, field label or field value (with placeholders), in characters.
pub const MAX_TEMPLATE_TEXT_CHARS: usize = 200;
/// The most entries a work item's context may hold, and the longest key and value.
pub const MAX_CONTEXT_ENTRIES: usize = 50;
pub const MAX_CONTEXT_KEY_CHARS: usize = 40;
pub const MAX_CONTEXT_VALUE_CHARS: usize = 1000;

/// A required name: not blank, at most [`MAX_NAME_CHARS`].
pub fn check_name(field: &str, name: &str) -> Result<(), Invalid> {
    check_text(field, name, MAX_NAME_CHARS, true)
}

/// Text of at most `max` characters; `required` refuses a blank one.
pub fn check_text(field: &str, text: &str, max: usize, required: bool) -> Result<(), Invalid> {
    if required && text.trim().is_empty() {
        return Err(Invalid::new(field, "must not be empty"));
    }
    let n = text.chars().count();
    if n > max {
        return Err(Invalid::new(field, format!("at most {max} characters, got {n}")));
    }
    Ok(())
}

/// A work item's context (pre-chat answers, case id, what a bot gathered): bounded in entries
/// and in the length of each key and value.
pub fn check_context(field: &str, context: &BTreeMap<String, String>) -> Result<(), Invalid> {
    if context.len() > MAX_CONTEXT_ENTRIES {
        return Err(Invalid::new(field, format!("at most {MAX_CONTEXT_ENTRIES} entries, got {}", context.len())));
    }
    for (k, v) in context {
        check_text(&format!("{field}.{k}"), k, MAX_CONTEXT_KEY_CHARS, true)?;
        check_text(&format!("{field}.{k}"), v, MAX_CONTEXT_VALUE_CHARS, false)?;
    }
    Ok(())
}

/// The scenarios that notify (R1–R8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum Scenario {
    /// R1
    Chat,
    /// R2
    Sms,
    /// R3: offered only after a bot handled the call.
    Voice,
    /// R4: record (case) assignment; cannot be declined (R19).
    Case,
    /// R5
    WorkItem,
    /// R6
    Transfer,
    /// R7
    Escalation,
    /// R8
    BotEscalation,
}

impl Scenario {
    pub const ALL: [Scenario; 8] = [
        Scenario::Chat,
        Scenario::Sms,
        Scenario::Voice,
        Scenario::Case,
        Scenario::WorkItem,
        Scenario::Transfer,
        Scenario::Escalation,
        Scenario::BotEscalation,
    ];
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Scenario::Chat => "chat",
            Scenario::Sms => "sms",
            Scenario::Voice => "voice",
            Scenario::Case => "case",
            Scenario::WorkItem => "work_item",
            Scenario::Transfer => "transfer",
            Scenario::Escalation => "escalation",
            Scenario::BotEscalation => "bot_escalation",
        };
        f.write_str(s)
    }
}

/// R17: a popup is information that goes away by itself; an alert asks for a decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum NotificationKind {
    Popup,
    Alert,
}

/// R11: when the agent app raises an OS-native notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum DesktopMode {
    Always,
    Background,
    Off,
}

/// Offer timeout in seconds, 0–500 (R14, R20). 0 means the offer has no deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema), ts(type = "number"))]
pub struct TimeoutSecs(u16);

impl TimeoutSecs {
    pub const MAX: u16 = 500;
    pub const DEFAULT: TimeoutSecs = TimeoutSecs(120);

    pub fn parse(secs: u32) -> Result<Self, Invalid> {
        if secs > u32::from(Self::MAX) {
            return Err(Invalid::new("timeout_secs", format!("must be 0–{}, got {secs}", Self::MAX)));
        }
        Ok(Self(secs as u16))
    }

    pub fn secs(self) -> u64 {
        u64::from(self.0)
    }
}

impl TryFrom<u32> for TimeoutSecs {
    type Error = Invalid;
    fn try_from(v: u32) -> Result<Self, Invalid> {
        Self::parse(v)
    }
}

impl From<TimeoutSecs> for u32 {
    fn from(t: TimeoutSecs) -> u32 {
        u32::from(t.0)
    }
}

impl Default for TimeoutSecs {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// One displayed line of a notification: a label and a value with placeholders such as
/// `{customerName}`, `{caseId}`, `{caseTitle}`, `{queueId}` or a pre-chat answer's key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub struct TemplateField {
    pub label: String,
    pub value: String,
}

/// The administrator's notification settings for one scenario (R20).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub struct Template {
    pub scenario: Scenario,
    pub title: String,
    /// At most four (R9, R23).
    pub fields: Vec<TemplateField>,
    #[serde(default)]
    pub timeout_secs: TimeoutSecs,
    /// R14: when false no countdown is shown, the timeout still applies.
    #[serde(default = "yes")]
    pub show_timeout: bool,
    /// R18: whether the agent may reject.
    #[serde(default)]
    pub reject_allowed: bool,
    /// R18: where reject is not allowed, assign the item without asking.
    #[serde(default)]
    pub auto_assign: bool,
    /// R18: where reject is not allowed, accept and open a session without asking.
    #[serde(default)]
    pub auto_accept: bool,
    pub kind: NotificationKind,
    /// R11: the desktop notification mode an agent starts with.
    pub desktop_mode: DesktopMode,
}

fn yes() -> bool {
    true
}

impl Template {
    pub const MAX_FIELDS: usize = 4;

    /// Checks the combinations R18 and R19 forbid.
    pub fn validate(&self) -> Result<(), Invalid> {
        check_text("title", &self.title, MAX_TEMPLATE_TEXT_CHARS, true)?;
        if self.fields.len() > Self::MAX_FIELDS {
            return Err(Invalid::new("fields", format!("at most {} fields, got {}", Self::MAX_FIELDS, self.fields.len())));
        }
        for (i, f) in self.fields.iter().enumerate() {
            check_text(&format!("fields[{i}].label"), &f.label, MAX_TEMPLATE_TEXT_CHARS, true)?;
            check_text(&format!("fields[{i}].value"), &f.value, MAX_TEMPLATE_TEXT_CHARS, true)?;
        }
        if self.auto_assign && self.auto_accept {
            return Err(Invalid::new("auto_accept", "auto_assign and auto_accept exclude each other"));
        }
        if self.reject_allowed && (self.auto_assign || self.auto_accept) {
            return Err(Invalid::new("reject_allowed", "auto-assign and auto-accept apply only where reject is not allowed (R18)"));
        }
        if self.scenario == Scenario::Case && self.reject_allowed {
            return Err(Invalid::new("reject_allowed", "a case assignment cannot be declined (R19)"));
        }
        Ok(())
    }

    /// The template a new workspace starts with for `scenario`.
    pub fn default_for(scenario: Scenario) -> Self {
        let f = |label: &str, value: &str| TemplateField { label: label.into(), value: value.into() };
        let (title, fields, kind) = match scenario {
            Scenario::Chat => {
                ("Incoming chat request", vec![f("Customer", "{customerName}"), f("Queue", "{queueName}")], NotificationKind::Alert)
            }
            Scenario::Sms => (
                "Incoming SMS",
                vec![f("Customer", "{customerName}"), f("Phone", "{customerPhone}"), f("Message", "{message}")],
                NotificationKind::Alert,
            ),
            Scenario::Voice => (
                "Incoming call",
                vec![f("Customer", "{customerName}"), f("Phone", "{customerPhone}"), f("Reason", "{botSummary}")],
                NotificationKind::Alert,
            ),
            Scenario::Case => {
                ("Case assigned: {caseId}", vec![f("Case", "{caseTitle}"), f("Customer", "{customerName}")], NotificationKind::Alert)
            }
            Scenario::WorkItem => {
                ("Work item assigned", vec![f("Customer", "{customerName}"), f("Queue", "{queueName}")], NotificationKind::Popup)
            }
            Scenario::Transfer => (
                "Conversation transferred to you",
                vec![f("Customer", "{customerName}"), f("From", "{fromAgent}")],
                NotificationKind::Popup,
            ),
            Scenario::Escalation => {
                ("Conversation escalated to you", vec![f("Customer", "{customerName}"), f("From", "{fromAgent}")], NotificationKind::Popup)
            }
            Scenario::BotEscalation => (
                "Bot escalated a conversation",
                vec![f("Customer", "{customerName}"), f("Summary", "{botSummary}")],
                NotificationKind::Alert,
            ),
        };
        Self {
            scenario,
            title: title.into(),
            fields,
            timeout_secs: TimeoutSecs::DEFAULT,
            show_timeout: true,
            reject_allowed: false,
            auto_assign: false,
            auto_accept: false,
            kind,
            desktop_mode: DesktopMode::Background,
        }
    }
}

/// Replaces every `{key}` in `text` by `values[key]`; unknown keys become empty, `{{` stays `{`.
pub fn render(text: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        if let Some(stripped) = after.strip_prefix('{') {
            out.push('{');
            rest = stripped;
            continue;
        }
        match after.find('}') {
            Some(end) => {
                if let Some(v) = values.get(after[..end].trim()) {
                    out.push_str(v);
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.trim().to_string()
}

/// Workspace-wide settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub struct Settings {
    /// R24: an unanswered offer sets the agent Inactive with a banner. Off by default, as in D365.
    #[serde(default)]
    pub missed_notifications: bool,
    /// R28: a reject sets the agent Do Not Disturb with a banner. Off by default, as in D365.
    #[serde(default)]
    pub agent_reject: bool,
    /// R27: maximum open sessions per agent.
    #[serde(default = "Settings::default_max_sessions")]
    pub max_sessions: u32,
    /// R26: an offer never displayed, whose agent's app is gone, is redirected this long after
    /// its timeout (default 8 minutes).
    #[serde(default = "Settings::default_unseen_redirect_secs")]
    pub unseen_redirect_secs: u32,
    /// R26: reroute such offers as soon as the agent is marked disconnected, instead of waiting.
    #[serde(default)]
    pub reroute_unseen_immediately: bool,
    /// How long an agent's app may be gone before the agent is marked Offline.
    #[serde(default = "Settings::default_disconnect_grace_secs")]
    pub disconnect_grace_secs: u32,
    /// R25: an item that everyone eligible rejected or let time out is offered to them again
    /// when nobody else took it within this many seconds of going back to the queue (1–86400).
    #[serde(default = "Settings::default_reoffer_after_secs")]
    pub reoffer_after_secs: u32,
    /// R31: custom presences, each mapped onto a base presence.
    #[serde(default)]
    pub custom_presences: Vec<CustomPresence>,
}

impl Settings {
    fn default_max_sessions() -> u32 {
        10
    }
    fn default_unseen_redirect_secs() -> u32 {
        8 * 60
    }
    fn default_disconnect_grace_secs() -> u32 {
        20
    }
    fn default_reoffer_after_secs() -> u32 {
        30
    }

    pub fn validate(&self) -> Result<(), Invalid> {
        if self.max_sessions == 0 || self.max_sessions > 100 {
            return Err(Invalid::new("max_sessions", "must be 1–100"));
        }
        if self.disconnect_grace_secs > 3600 {
            return Err(Invalid::new("disconnect_grace_secs", "must be at most 3600"));
        }
        if self.unseen_redirect_secs > 24 * 3600 {
            return Err(Invalid::new("unseen_redirect_secs", "must be at most 86400"));
        }
        if self.reoffer_after_secs == 0 || self.reoffer_after_secs > 24 * 3600 {
            return Err(Invalid::new("reoffer_after_secs", "must be 1–86400"));
        }
        for (i, p) in self.custom_presences.iter().enumerate() {
            check_name(&format!("custom_presences[{i}].name"), &p.name)?;
            if self.custom_presences[..i].iter().any(|q| q.name == p.name) {
                return Err(Invalid::new(format!("custom_presences[{i}].name"), "duplicate name"));
            }
        }
        Ok(())
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            missed_notifications: false,
            agent_reject: false,
            max_sessions: Self::default_max_sessions(),
            unseen_redirect_secs: Self::default_unseen_redirect_secs(),
            reroute_unseen_immediately: false,
            disconnect_grace_secs: Self::default_disconnect_grace_secs(),
            reoffer_after_secs: Self::default_reoffer_after_secs(),
            custom_presences: Vec::new(),
        }
    }
}

/// How a workstream picks among eligible agents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum RoutingMode {
    /// Fewest open sessions first; ties go to whoever waited longest for an offer.
    LeastBusy,
    /// Members in turn, starting after the last one offered.
    RoundRobin,
}

/// A workstream: routing mode and the presences that allow new work (R29, R31).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub struct Workstream {
    pub id: WorkstreamId,
    pub name: String,
    pub mode: RoutingMode,
    pub allowed_presences: Vec<BasePresence>,
}

impl Workstream {
    pub fn validate(&self) -> Result<(), Invalid> {
        check_name("name", &self.name)?;
        if self.allowed_presences.contains(&BasePresence::Offline) {
            return Err(Invalid::new("allowed_presences", "Offline can never receive work"));
        }
        Ok(())
    }

    pub fn allows(&self, p: BasePresence) -> bool {
        self.allowed_presences.contains(&p)
    }
}

/// A queue of a workstream and the agents who serve it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub struct Queue {
    pub id: QueueId,
    pub name: String,
    pub workstream: WorkstreamId,
    pub members: Vec<AgentId>,
}

/// A phone number in E.164 form (`+` and 8–15 digits), built once from what people type.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema), ts(type = "string"))]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Accepts `+31 6 1234 5678`, `0031-6-12345678`, `(+1) 555.123.4567`; refuses numbers without
    /// a country code, letters, and lengths E.164 does not allow.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let mut digits = String::new();
        let trimmed = raw.trim();
        let (international, body) = if let Some(b) = trimmed.strip_prefix('+') {
            (true, b)
        } else if let Some(b) = trimmed.strip_prefix("(+") {
            (true, b)
        } else if let Some(b) = trimmed.strip_prefix("00") {
            (true, b)
        } else {
            (false, trimmed)
        };
        for c in body.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' | '/' => {}
                other => {
                    return Err(Invalid::new("phone", format!("unexpected character {other:?} in {raw:?}")));
                }
            }
        }
        if !international {
            return Err(Invalid::new("phone", format!("{raw:?} has no country code (start with + or 00)")));
        }
        if digits.starts_with('0') || !(8..=15).contains(&digits.len()) {
            return Err(Invalid::new("phone", format!("{raw:?} is not an E.164 number")));
        }
        Ok(Self(format!("+{digits}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}

impl From<PhoneNumber> for String {
    fn from(p: PhoneNumber) -> String {
        p.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A customer record; SMS senders are matched on `mobile_phone` (R22).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub struct Contact {
    pub id: ContactId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "wire", ts(optional))]
    pub mobile_phone: Option<PhoneNumber>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_normalise_to_e164() {
        // R22
        for raw in ["+31 6 1234 5678", "0031-6-12345678", "(+31) 6.1234.5678", "+31612345678"] {
            assert_eq!(PhoneNumber::parse(raw).unwrap().as_str(), "+31612345678", "{raw}");
        }
        for bad in ["06 12345678", "+31 6 abc", "+1", "+0123456789", "+1234567890123456"] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timeout_is_bounded() {
        // R20
        assert!(TimeoutSecs::parse(500).is_ok());
        assert_eq!(TimeoutSecs::parse(501).unwrap_err().field, "timeout_secs");
        assert!(serde_json::from_str::<TimeoutSecs>("900").is_err());
    }

    #[test]
    fn templates_refuse_forbidden_combinations() {
        // R18, R19
        let mut t = Template::default_for(Scenario::Chat);
        assert!(t.validate().is_ok());
        t.reject_allowed = true;
        t.auto_accept = true;
        assert_eq!(t.validate().unwrap_err().field, "reject_allowed");
        let mut c = Template::default_for(Scenario::Case);
        c.reject_allowed = true;
        assert!(c.validate().is_err());
        let mut f = Template::default_for(Scenario::Chat);
        f.fields = vec![f.fields[0].clone(); 5];
        assert_eq!(f.validate().unwrap_err().field, "fields");
    }

    #[test]
    fn render_fills_placeholders() {
        // R9, R20, R23
        let mut v = BTreeMap::new();
        v.insert("customerName".to_string(), "Ada".to_string());
        v.insert("caseId".to_string(), "CAS-1".to_string());
        assert_eq!(render("Case {caseId} for {customerName}", &v), "Case CAS-1 for Ada");
        assert_eq!(render("{unknown} x {{literal}", &v), "x {literal}");
        assert_eq!(render("open {brace", &v), "open {brace");
    }
}

//! Presence (R31): six base presences, custom presences mapped onto them, and the roles.

use serde::{Deserialize, Serialize};

/// The six base presences of R31. Which of them allow new work is set per workstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum BasePresence {
    Available,
    Busy,
    /// Busy – Do Not Disturb.
    BusyDnd,
    Away,
    Offline,
    Inactive,
}

impl BasePresence {
    /// Every base presence, in display order.
    pub const ALL: [BasePresence; 6] = [
        BasePresence::Available,
        BasePresence::Busy,
        BasePresence::BusyDnd,
        BasePresence::Away,
        BasePresence::Offline,
        BasePresence::Inactive,
    ];

    /// The label a person reads.
    pub fn label(self) -> &'static str {
        match self {
            BasePresence::Available => "Available",
            BasePresence::Busy => "Busy",
            BasePresence::BusyDnd => "Busy – Do Not Disturb",
            BasePresence::Away => "Away",
            BasePresence::Offline => "Offline",
            BasePresence::Inactive => "Inactive",
        }
    }
}

/// An agent's presence: a base presence, optionally shown under a custom name that the
/// administrator mapped onto that base (e.g. "Lunch" → Away).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub struct Presence {
    pub base: BasePresence,
    /// Name of a custom presence; `None` for the base presence itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "wire", ts(optional))]
    pub custom: Option<String>,
}

impl Presence {
    /// A base presence without a custom name.
    pub fn base(base: BasePresence) -> Self {
        Self { base, custom: None }
    }
}

/// A custom presence defined by the administrator and mapped onto a base presence (R31).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub struct CustomPresence {
    pub name: String,
    pub base: BasePresence,
}

/// What a signed-in person may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum Role {
    Agent,
    Supervisor,
    Admin,
}

impl Role {
    /// Supervisors and admins may act on other agents' presence (R30).
    pub fn supervises(self) -> bool {
        match self {
            Role::Agent => false,
            Role::Supervisor | Role::Admin => true,
        }
    }
}

/// Why the system took an agent out of routing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum BlockReason {
    /// R24: an offer was not answered (missed notifications enabled) → Inactive.
    Missed,
    /// R28: an offer was rejected (agent reject enabled) → Do Not Disturb.
    Rejected,
    /// R27: new work arrived while the maximum number of sessions was open → Do Not Disturb.
    MaxSessions,
    /// The agent's app was gone for longer than the disconnect grace → Offline (no banner;
    /// cleared by itself when the app comes back).
    Disconnected,
}

impl BlockReason {
    /// The presence the system sets for this reason.
    pub fn presence(self) -> BasePresence {
        match self {
            BlockReason::Missed => BasePresence::Inactive,
            BlockReason::Rejected | BlockReason::MaxSessions => BasePresence::BusyDnd,
            BlockReason::Disconnected => BasePresence::Offline,
        }
    }

    /// The banner text for reasons that show one (R24, R27, R28).
    pub fn banner_message(self) -> Option<&'static str> {
        match self {
            BlockReason::Missed => {
                Some("You missed a notification, so your presence was set to Inactive. Reset your presence to receive new work.")
            }
            BlockReason::Rejected => {
                Some("You rejected a notification, so your presence was set to Do not disturb. Reset your presence to receive new work.")
            }
            BlockReason::MaxSessions => Some(
                "You have reached the maximum number of open sessions, so your presence was set to Do not disturb. Close a session and reset your presence to receive new work.",
            ),
            BlockReason::Disconnected => None,
        }
    }
}

/// The system-set presence and what to go back to (R29: "the last status the system defined").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub struct Block {
    pub reason: BlockReason,
    pub restore_to: Presence,
}

/// A banner at the top of the agent's dashboard (R24, R27, R28).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub struct Banner {
    pub reason: BlockReason,
    pub message: String,
}

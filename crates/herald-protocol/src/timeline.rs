//! Why was this offer missed? Each offer's timeline: what the workspace did with it (offered,
//! shown, held because nobody saw it, decided or expired, offered next to whom) and what the
//! agent's app reported (toast clicked or dismissed, sound played, screen locked, the desktop's
//! do-not-disturb).

use herald_core::{AgentId, Offer, Timestamp};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// What happened at one step of an offer's life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    /// The workspace offered it to `agent`.
    Offered,
    /// The agent's app showed it (toast or in-app alert): the display receipt (R26).
    Shown,
    /// Never shown and the agent gone at the deadline: held for the agent to come back (R26).
    HeldUnseen,
    ToastClicked,
    ToastDismissed,
    SoundPlayed,
    ScreenLocked,
    ScreenUnlocked,
    /// The desktop's do-not-disturb turned on: toasts are not drawn.
    DoNotDisturbOn,
    DoNotDisturbOff,
    Accepted,
    Rejected,
    TimedOut,
    Withdrawn,
    /// The item went on to `agent` (the next offer of the same work item).
    OfferedNext,
}

/// One step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct TimelineStep {
    pub at: Timestamp,
    pub kind: TimelineKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub agent: Option<AgentId>,
    /// Words for people (which button, why held…); may be empty.
    pub detail: String,
}

/// `GET /v1/offers/{id}/timeline`: the offer and its steps, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct OfferTimeline {
    pub offer: Offer,
    pub steps: Vec<TimelineStep>,
}

/// What an agent's app may report about an offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    ToastClicked,
    ToastDismissed,
    SoundPlayed,
    ScreenLocked,
    ScreenUnlocked,
    DoNotDisturbOn,
    DoNotDisturbOff,
}

impl NoteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoteKind::ToastClicked => "toast_clicked",
            NoteKind::ToastDismissed => "toast_dismissed",
            NoteKind::SoundPlayed => "sound_played",
            NoteKind::ScreenLocked => "screen_locked",
            NoteKind::ScreenUnlocked => "screen_unlocked",
            NoteKind::DoNotDisturbOn => "do_not_disturb_on",
            NoteKind::DoNotDisturbOff => "do_not_disturb_off",
        }
    }

    pub fn timeline(self) -> TimelineKind {
        match self {
            NoteKind::ToastClicked => TimelineKind::ToastClicked,
            NoteKind::ToastDismissed => TimelineKind::ToastDismissed,
            NoteKind::SoundPlayed => TimelineKind::SoundPlayed,
            NoteKind::ScreenLocked => TimelineKind::ScreenLocked,
            NoteKind::ScreenUnlocked => TimelineKind::ScreenUnlocked,
            NoteKind::DoNotDisturbOn => TimelineKind::DoNotDisturbOn,
            NoteKind::DoNotDisturbOff => TimelineKind::DoNotDisturbOff,
        }
    }

    pub fn parse(s: &str) -> Option<NoteKind> {
        [
            NoteKind::ToastClicked,
            NoteKind::ToastDismissed,
            NoteKind::SoundPlayed,
            NoteKind::ScreenLocked,
            NoteKind::ScreenUnlocked,
            NoteKind::DoNotDisturbOn,
            NoteKind::DoNotDisturbOff,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// `POST /v1/offers/{id}/notes`: the agent's app reports a step (`detail` at most 200
/// characters, e.g. which button).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct OfferNote {
    pub kind: NoteKind,
    #[serde(default)]
    pub detail: String,
}

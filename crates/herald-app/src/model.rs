//! The app's state and every rule about changing it, sans-IO in the style of herald-core:
//! [`Model::apply`]`(now, focus, event)` changes the state and returns the [`Effect`]s to carry
//! out — raise or withdraw a toast, call the workspace, publish the state, bring the window to
//! the front. No clock, no I/O, no async: the controller passes the local time and the
//! (debounced) window focus, carries out the effects and feeds their outcome back as events;
//! [`Model::next_deadline`] says when to send [`Event::Tick`]. Tests drive it with made-up times.
//!
//! The parts: this file has the types and the offers and toasts (R11–R14, R26, R33);
//! `model/link.rs` the link to the workspace (snapshots, the event log, connection status);
//! `model/commands.rs` what the window and the toast buttons ask for, and the workspace's
//! answers; `model/state.rs` small merges into the [`DesktopState`]; `model/tests.rs` the
//! rules driven with made-up times.
//!
//! Whether the state changed is found by comparing it with a copy taken before the event: the
//! state is small (a handful of offers and sessions), and no event can forget to publish.

mod board;
mod commands;
mod link;
mod lock;
mod state;
#[cfg(test)]
mod tests;

use crate::focus::Focus;
use crate::policy::{should_toast, toast_for};
use crate::view::{Command, CommandError, ConnectionStatus, DesktopSettings, DesktopState, Notice, NoticeLevel, OfferView, ToastSupport};
use herald_client::Transport;
use herald_notify::{Toast, UserAction};
use herald_protocol::{
    AgentId, AgentSummary, CallAction, Directed, Direction, ErrorCode, EventEnvelope, Me, Message, NoteKind, Offer, OfferId, OfferState,
    Presence, Resync, Session, SessionId, Timestamp, Transcript, WorkItemId,
};
use std::collections::HashSet;

/// Time after a toast's own expiry before the app closes it itself (R14: the deadline also
/// closes the toast when the workspace cannot say so).
pub const EXPIRY_GRACE_MS: u64 = 500;

/// Notices kept, newest last.
pub const MAX_NOTICES: usize = 20;

/// Everything that can happen to the app.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// Time passed: close toasts whose offer's deadline is past (R14).
    Tick,
    /// The window focus settled on the `focus` passed along: re-evaluate pending offers (R11).
    FocusChanged,
    /// A click on a toast (R12, R13, R19) or its dismissal.
    Toast(UserAction),
    /// A command from the window.
    Command(Command),
    /// (Re)connect according to the settings: at start, or when asked.
    Relink,
    /// The link `link` (see [`Model::link`]) changed state.
    Link { link: u64, change: LinkChange },
    /// The agent as the workspace sees it, on (re)connecting the link (R33).
    Snapshot { link: u64, me: Me },
    /// A supervisor's team (R30, R34), or why it could not be read.
    Team { link: u64, team: Result<Vec<AgentSummary>, CommandError> },
    /// An entry of the agent's event log.
    Entry { link: u64, entry: EventEnvelope },
    /// The workspace's event log cannot continue where the link stands (pruned, or restored
    /// from an older backup): reload the snapshot, then go on with the entries that follow.
    Resync { link: u64, resync: Resync },
    /// The workspace answered a [`Call`].
    Answered(Answer),
    /// The workspace refused a [`Call`], or could not be asked.
    Failed { call: Call, origin: Origin, failure: Failure },
    /// The notification daemon did not show the toast for `offer`.
    ToastFailed { offer: OfferId, error: String },
    /// [`Effect::SaveSettings`] was carried out: the settings are stored.
    SettingsSaved(SettingsPlan),
    /// Something to tell the person.
    Notice { level: NoticeLevel, text: String, code: Option<ErrorCode> },
    /// The screen locked (`true`) or unlocked: toasts cannot be seen while locked.
    ScreenLock(bool),
    /// The desktop's do-not-disturb turned on (`true`) or off ([`crate::screen`]).
    DoNotDisturb(bool),
    /// The sound device started playing this ring ([`crate::sound::Heard::Playing`]).
    Rang(crate::sound::Ring),
    /// Quit: close the toasts that are up.
    Shutdown,
}

/// What the model asks the controller to do, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// The state changed: draw it (window and tray). Comes first when present.
    Publish(Box<DesktopState>),
    /// Raise an OS toast; report a failure with [`Event::ToastFailed`].
    ShowToast(Toast),
    /// Close the toast of this offer.
    WithdrawToast(OfferId),
    /// What should ring now (replacing what rings); `None`: silence, at once.
    Ring(Option<crate::sound::Ring>),
    /// Ask the workspace; feed back [`Event::Answered`] or [`Event::Failed`].
    Call(Call, Origin),
    /// Show the main window, unminimised and focused (R12, R13).
    BringToFront,
    /// Start link `link` for these settings: the embedded workspace when no URL is set.
    Connect { link: u64, settings: DesktopSettings },
    /// Read the agent again on link `link` (and a supervisor's team); feed back
    /// [`Event::Snapshot`] (after a [`Event::Resync`]).
    LoadSnapshot { link: u64 },
    /// The embedded demo's customer traffic on or off.
    DemoTraffic(bool),
    /// Store the token, switch autostart, write `settings.json` (stop at the first failure and
    /// answer the command with it); then feed back [`Event::SettingsSaved`].
    SaveSettings(SettingsPlan),
    /// Answer the window's command with this error.
    Refuse(CommandError),
    /// Check the workspace address, sign in, then save as [`Effect::SaveSettings`] does with
    /// the token the workspace gave (answer the command with what went wrong, in words).
    SignIn(SignInPlan),
    /// Revoke the token at the workspace (as far as it answers), forget it here, then save as
    /// [`Effect::SaveSettings`] does.
    SignOut(SettingsPlan),
}

/// A sign-in to carry out: the settings it leads to (the address, the account) and the
/// credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInPlan {
    pub settings: DesktopSettings,
    pub email: String,
    pub password: crate::view::Password,
}

/// A request to the workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    Accept(OfferId),
    Reject(OfferId),
    /// R26: the offer was shown (toast or in-app alert).
    Displayed(OfferId),
    /// Load the messages of a session's conversation.
    Transcript(SessionId),
    CloseSession(SessionId),
    OpenSession(SessionId),
    CallControl {
        session: SessionId,
        action: CallAction,
    },
    SendMessage {
        session: SessionId,
        body: String,
    },
    SetPresence(Presence),
    ResetPresence,
    ResetAgentPresence(AgentId),
    /// Supervisors: the queue board and who waits.
    LoadBoard,
    /// Read an offer's timeline.
    Timeline(OfferId),
    /// Tell the offer's timeline what the person did with its toast.
    Note {
        offer: OfferId,
        kind: NoteKind,
        detail: String,
    },
    /// Supervisors: send a waiting item to an agent.
    Direct {
        item: WorkItemId,
        agent: AgentId,
        how: Direction,
    },
}

/// Who asked: where a refusal goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The window's command: the refusal answers it ([`Effect::Refuse`]).
    Window,
    /// A toast's button: nobody waits for an answer, so a refusal becomes a notice.
    Toast,
    /// The app itself (display receipts, transcripts): a refusal is only logged.
    Background,
}

/// The workspace's answer to a [`Call`].
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    Accepted {
        offer: OfferId,
        session: Session,
    },
    Rejected(OfferId),
    Displayed(OfferId),
    Transcript(Transcript),
    SessionClosed(SessionId),
    SessionOpened(Session),
    CallControlled(Session),
    MessageSent(Message),
    /// The agent's own presence changed (set or reset).
    Me(AgentSummary),
    /// A team member's presence was reset (R30).
    AgentReset(AgentSummary),
    Board(Vec<crate::view::QueueView>),
    Directed(Directed),
    Noted,
    Timeline(Box<herald_protocol::OfferTimeline>),
}

/// A call that did not succeed, classified once at the edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// In words, for the person.
    pub error: CommandError,
    /// The HTTP status, when the workspace answered.
    pub status: Option<u16>,
}

impl Failure {
    /// The offer (or session) the call was about no longer exists for the workspace.
    pub fn gone(&self) -> bool {
        self.error.code == Some(ErrorCode::OfferNotPending) || self.status == Some(404)
    }
}

/// How the link changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkChange {
    /// A client for `url` exists (commands go there); `base` is its normalised form.
    Connecting { url: String, base: String },
    /// The workspace does not answer; retrying.
    Unreachable,
    /// The workspace refused the token (401, or the event stream ended for it).
    Refused,
    /// The event stream's transport changed (R33: push, with polling as a fallback).
    Transport(Transport),
    /// A workspace URL is set but no token is stored.
    NeedsToken,
    /// The stored token could not be read.
    TokenUnreadable(String),
    /// The embedded workspace did not start.
    EmbeddedFailed(String),
    /// No client could be made for the URL.
    InvalidUrl(String),
}

/// Checked new settings, to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingsPlan {
    pub settings: DesktopSettings,
    /// A new token for `settings.workspace_url`.
    pub token: Option<String>,
    /// Start at login changed to this.
    pub autostart: Option<bool>,
    /// The token of `settings.workspace_url` was forgotten (signed out): link again, without it.
    pub signed_out: bool,
}

/// What the model starts from.
#[derive(Clone, Debug)]
pub struct Setup {
    pub settings: DesktopSettings,
    /// Shown in the window (where the app keeps its data).
    pub data_dir: String,
    /// Whether toasts can be raised, as the notifier said at start (R16).
    pub toasts: ToastSupport,
    /// The icon for toasts.
    pub icon: Option<String>,
    /// The operating system's language (the settings may choose another).
    pub language: crate::i18n::Language,
}

/// The app's state; see the module docs.
#[derive(Clone, Debug)]
pub struct Model {
    state: DesktopState,
    icon: Option<String>,
    /// Bumped on every (re)connect; events of an older link are dropped.
    link: u64,
    /// The normalised URL of the current link's client, for messages.
    base: String,
    /// The configured workspace URL of the current link (empty: embedded).
    linked_to: Option<String>,
    /// The last event-log entry applied on this link (R33: never twice).
    seq: u64,
    /// Offers that raised a toast once: never again (R33: one toast per offer).
    toasted: HashSet<OfferId>,
    /// Offers whose display receipt was sent (R26).
    receipted: HashSet<OfferId>,
    /// Toasts to close at their offer's deadline (local time), R14.
    expiries: Vec<(Timestamp, OfferId)>,
    next_notice: u64,
    /// Best clock-offset sample of this link (see `DesktopState::clock_offset_ms`).
    offset: Option<i64>,
    board_read: board::BoardRead,
    /// The presence to go back to when the screen unlocks (it was set Away on lock).
    before_lock: Option<Presence>,
    /// The notice saying so ("you are Away while the screen is locked"), removed on unlock.
    lock_notice: Option<u64>,
    /// Whether the screen is locked, the desktop's do-not-disturb on.
    blinds: lock::Blinds,
    /// What rings now ([`Effect::Ring`]).
    ringing: Option<crate::sound::Ring>,
    /// The operating system's language, for when the settings choose none.
    system_language: crate::i18n::Language,
}

impl Model {
    pub fn new(setup: Setup) -> Model {
        let url = setup.settings.workspace_url.clone();
        let state = DesktopState {
            revision: 0,
            connection: crate::view::Connection {
                status: ConnectionStatus::Connecting,
                embedded: url.is_empty(),
                workspace_url: url,
                data_dir: setup.data_dir,
                detail: None,
            },
            me: None,
            offers: Vec::new(),
            sessions: Vec::new(),
            transcripts: Vec::new(),
            active_session: None,
            focused_offer: None,
            window: Focus::Hidden,
            team: Vec::new(),
            board: Vec::new(),
            missed_offer: None,
            timeline: None,
            language: setup.settings.language.unwrap_or(setup.language),
            settings: setup.settings,
            notices: Vec::new(),
            toasts: setup.toasts,
            clock_offset_ms: 0,
        };
        Model {
            state,
            icon: setup.icon,
            link: 0,
            base: String::new(),
            linked_to: None,
            seq: 0,
            toasted: HashSet::new(),
            receipted: HashSet::new(),
            expiries: Vec::new(),
            next_notice: 1,
            offset: None,
            board_read: board::BoardRead::Idle,
            before_lock: None,
            lock_notice: None,
            blinds: lock::Blinds::default(),
            ringing: None,
            system_language: setup.language,
        }
    }

    /// The state as the window draws it.
    pub fn state(&self) -> &DesktopState {
        &self.state
    }

    /// The current link: events tagged with another are stale.
    pub fn link(&self) -> u64 {
        self.link
    }

    /// When to send [`Event::Tick`] next (local time), if a toast waits for its deadline.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        // The ringing offer's deadline, on the local clock: the ring stops there.
        let ring_ends = self.ringing.as_ref().and_then(|r| r.offer).and_then(|id| {
            let o = &self.state.offers.iter().find(|v| v.offer.id == id)?.offer;
            o.deadline.map(|d| Timestamp((d.0 as i64 - self.state.clock_offset_ms).max(0) as u64))
        });
        self.expiries.iter().map(|(at, _)| *at).chain(ring_ends).min()
    }

    /// Applies one event at local time `now` with the window at `focus`. When the state
    /// changed, the first effect is [`Effect::Publish`] with the new revision.
    pub fn apply(&mut self, now: Timestamp, focus: Focus, event: Event) -> Vec<Effect> {
        let before = self.state.clone();
        let mut fx = Vec::new();
        match event {
            Event::Tick => self.tick(now, &mut fx),
            Event::FocusChanged => {
                self.state.window = focus;
                self.reconsider(now, focus, &mut fx);
            }
            Event::Toast(action) => self.on_toast(action, &mut fx),
            Event::Command(cmd) => self.on_command(cmd, &mut fx),
            Event::Relink => self.relink(&mut fx),
            Event::Link { link, change } => {
                if link == self.link {
                    self.on_link(change);
                }
            }
            Event::Snapshot { link, me } => {
                if link == self.link {
                    self.on_snapshot(now, focus, me, &mut fx);
                }
            }
            Event::Team { link, team } => {
                if link == self.link {
                    match team {
                        Ok(team) => self.state.team = team,
                        Err(e) => self.notice(NoticeLevel::Warning, e.message, e.code),
                    }
                }
            }
            Event::Entry { link, entry } => {
                if link == self.link {
                    self.on_entry(now, focus, entry, &mut fx);
                }
            }
            Event::Resync { link, resync } => {
                if link == self.link {
                    self.on_resync(resync, &mut fx);
                }
            }
            Event::Answered(answer) => self.on_answer(answer, &mut fx),
            Event::Failed { call, origin, failure } => self.on_failure(call, origin, failure, &mut fx),
            Event::ToastFailed { offer, error } => {
                if let Some(v) = self.offer_mut(offer) {
                    v.toasted = false;
                }
                self.expiries.retain(|(_, o)| *o != offer);
                self.state.toasts.detail = Some(error.clone());
                self.notice(NoticeLevel::Warning, format!("{error}. The request is shown in Herald."), None);
            }
            Event::SettingsSaved(plan) => self.on_settings_saved(now, focus, plan, &mut fx),
            Event::Notice { level, text, code } => self.notice(level, text, code),
            Event::ScreenLock(locked) => self.on_unseen(lock::Unseen::ScreenLock, locked, &mut fx),
            Event::DoNotDisturb(on) => self.on_unseen(lock::Unseen::DoNotDisturb, on, &mut fx),
            // What rang is on the offer's timeline ("why was it missed?"); only what the
            // device played, so a machine without sound notes nothing.
            Event::Rang(r) => {
                if let Some(offer) = r.offer.filter(|id| self.state.offers.iter().any(|v| v.offer.id == *id)) {
                    let detail = format!("{:?}, {}, volume {} %", r.sound, if r.repeat { "until answered" } else { "once" }, r.volume);
                    fx.push(Effect::Call(Call::Note { offer, kind: herald_protocol::NoteKind::SoundPlayed, detail }, Origin::Background));
                }
            }
            Event::Shutdown => {
                fx.extend(self.state.offers.iter().filter(|v| v.toasted).map(|v| Effect::WithdrawToast(v.offer.id)));
            }
        }
        let ring = self.ring_wanted(now);
        if ring != self.ringing {
            self.ringing = ring.clone();
            fx.push(Effect::Ring(ring));
        }
        if self.state != before {
            self.state.revision = before.revision + 1;
            fx.insert(0, Effect::Publish(Box::new(self.state.clone())));
        }
        fx
    }

    fn notice(&mut self, level: NoticeLevel, text: String, code: Option<ErrorCode>) {
        let id = self.next_notice;
        self.next_notice += 1;
        self.state.notices.push(Notice { id, level, text, code });
        let n = self.state.notices.len();
        if n > MAX_NOTICES {
            self.state.notices.drain(..n - MAX_NOTICES);
        }
    }

    fn offer_mut(&mut self, offer: OfferId) -> Option<&mut OfferView> {
        self.state.offers.iter_mut().find(|v| v.offer.id == offer)
    }

    /// R14: a toast whose offer's deadline passed is closed, in case the workspace cannot say so.
    fn tick(&mut self, now: Timestamp, fx: &mut Vec<Effect>) {
        let (due, later): (Vec<_>, Vec<_>) = self.expiries.iter().partition(|(at, _)| *at <= now);
        self.expiries = later;
        for (_, offer) in due {
            if self.state.offers.iter().any(|v| v.offer.id == offer && v.toasted) {
                fx.push(Effect::WithdrawToast(offer));
            }
        }
    }

    /// Re-evaluates every pending offer: after a focus change an offer that arrived while Herald
    /// was in front gets its toast when Herald goes to the background, and its receipt once
    /// seen; after a settings change the new notification mode applies.
    fn reconsider(&mut self, now: Timestamp, focus: Focus, fx: &mut Vec<Effect>) {
        let offers: Vec<Offer> = self.state.offers.iter().map(|v| v.offer.clone()).collect();
        for o in offers {
            self.consider(now, focus, &o, fx);
        }
    }

    /// A new offer (or a pending one seen again after reconnecting).
    fn offer_arrived(&mut self, now: Timestamp, focus: Focus, offer: Offer, fx: &mut Vec<Effect>) {
        let pending = offer.state == OfferState::Pending;
        if pending && !self.state.offers.iter().any(|v| v.offer.id == offer.id) {
            self.state.offers.push(OfferView { offer: offer.clone(), toasted: false });
        }
        self.consider(now, focus, &offer, fx);
    }

    /// Raises the toast (R11) and sends the display receipt (R26) where due, for one offer.
    fn consider(&mut self, now: Timestamp, focus: Focus, offer: &Offer, fx: &mut Vec<Effect>) {
        let pending = offer.state == OfferState::Pending;
        // R33: one toast per offer, whatever happens to the link or the focus.
        let toast = self.state.toasts.available
            && !self.toasted.contains(&offer.id)
            && should_toast(self.state.settings.notifications, focus, offer);
        if toast {
            self.toasted.insert(offer.id);
            if let Some(v) = self.offer_mut(offer.id) {
                v.toasted = true;
            }
            let workspace_now = Timestamp((now.0 as i64 + self.state.clock_offset_ms).max(0) as u64);
            let t = toast_for(offer, &self.state.settings, self.state.language, self.icon.as_deref(), workspace_now);
            // R14: a toast with buttons goes at the deadline; an informational one by itself.
            if let Some(left) = t.expire.filter(|_| !t.actions.is_empty()) {
                let at = Timestamp(now.0.saturating_add(left.as_millis() as u64).saturating_add(EXPIRY_GRACE_MS));
                self.expiries.push((at, offer.id));
            }
            fx.push(Effect::ShowToast(t));
        }
        if pending && (toast || focus.visible()) && self.receipted.insert(offer.id) {
            fx.push(Effect::Call(Call::Displayed(offer.id), Origin::Background));
        }
    }

    /// The newest offer waiting for the agent's answer whose sound is on rings (until answered
    /// or once), while its deadline has not passed; nothing rings with sound off.
    fn ring_wanted(&self, now: Timestamp) -> Option<crate::sound::Ring> {
        let settings = &self.state.settings;
        if !settings.sound {
            return None;
        }
        let workspace_now = Timestamp((now.0 as i64 + self.state.clock_offset_ms).max(0) as u64);
        let ring = &settings.ring;
        self.state.offers.iter().rev().find_map(|v| {
            let o = &v.offer;
            let sound = crate::sound::Sound::of(o);
            let live = o.state == OfferState::Pending && o.deadline.is_none_or(|d| d > workspace_now);
            (live && crate::sound::wants_answer(o) && ring.plays(sound)).then(|| crate::sound::Ring {
                offer: Some(o.id),
                sound,
                volume: ring.volume.min(100),
                repeat: ring.until_answered,
            })
        })
    }

    /// The offer ended (or is gone): out of the view, its toast closed.
    fn end_offer(&mut self, offer: OfferId, fx: &mut Vec<Effect>) {
        if let Some(i) = self.state.offers.iter().position(|v| v.offer.id == offer) {
            let v = self.state.offers.remove(i);
            if v.toasted {
                fx.push(Effect::WithdrawToast(offer));
            }
        }
        self.expiries.retain(|(_, o)| *o != offer);
        if self.state.focused_offer == Some(offer) {
            self.state.focused_offer = None;
        }
    }
}

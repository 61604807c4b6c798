//! What the window shows and what it may ask for: the contract between herald-app and ui/.
//!
//! The app pushes the whole [`DesktopState`] to the webview (Tauri event [`STATE_EVENT`]) after
//! every change, and the webview asks for it once with the `get_state` command when it starts.
//! Sending the whole state keeps one reducer (here, in Rust); the state is small (a handful of
//! offers and sessions). The TypeScript of these types is generated into `ui/src/generated/`.

use herald_protocol::{
    AgentId, AgentSummary, CallAction, Direction, ErrorCode, Message, Offer, OfferId, OfferTimeline, Presence, QueueBoard, Session,
    SessionId, WaitingItem, WorkItemId,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The Tauri event carrying a [`DesktopState`].
pub const STATE_EVENT: &str = "herald://state";

/// Everything the window draws.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct DesktopState {
    /// Increases with every published change: of two states, the higher revision is newer.
    #[ts(type = "number")]
    pub revision: u64,
    pub connection: Connection,
    /// The signed-in agent; `None` until the first answer from the workspace.
    #[ts(optional)]
    pub me: Option<AgentSummary>,
    /// Pending offers, oldest first: alerts and popups (R17).
    pub offers: Vec<OfferView>,
    /// Assigned and open sessions, side by side (R10).
    pub sessions: Vec<Session>,
    /// The messages of the sessions' conversations (chat, SMS, bot hand-overs), by conversation.
    pub transcripts: Vec<TranscriptView>,
    /// The session shown on the active conversation view.
    #[ts(optional)]
    pub active_session: Option<SessionId>,
    /// R13: the offer whose toast body was clicked; the window shows it first.
    #[ts(optional)]
    pub focused_offer: Option<OfferId>,
    /// Supervisors and admins: the team with presence and counts (R30, R34). Empty otherwise.
    pub team: Vec<AgentSummary>,
    /// Supervisors and admins: every queue's line on the board and who waits in it. Empty
    /// otherwise.
    pub board: Vec<QueueView>,
    /// The agent's latest offer that timed out: the Inactive banner offers "Why was it missed?".
    #[ts(optional)]
    pub missed_offer: Option<OfferId>,
    /// The offer timeline the window shows, when the person asked for one.
    #[ts(optional)]
    pub timeline: Option<OfferTimeline>,
    pub settings: DesktopSettings,
    /// The language in use: the one chosen in Settings, else the operating system's.
    pub language: crate::i18n::Language,
    /// Messages for the person, newest last, until dismissed.
    pub notices: Vec<Notice>,
    pub toasts: ToastSupport,
    /// Where Herald's window is for the person, as it counts for R11 (debounced): focused,
    /// behind another window, minimised, or hidden in the tray.
    pub window: crate::focus::Focus,
    /// Workspace clock minus local clock, in ms, to draw countdowns against offer deadlines.
    #[ts(type = "number")]
    pub clock_offset_ms: i64,
}

/// A queue on the supervisor's board: its line and the customers waiting, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct QueueView {
    pub line: QueueBoard,
    pub waiting: Vec<WaitingItem>,
}

/// One conversation's messages, oldest first (merged by id from the transcript and events).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TranscriptView {
    /// The conversation: its first work item (`Session::conversation_id`, `Message::work_item`).
    pub work_item: WorkItemId,
    pub messages: Vec<Message>,
}

/// A pending offer as the app handles it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct OfferView {
    pub offer: Offer,
    /// An OS toast is up for it.
    pub toasted: bool,
}

/// Where the link to the workspace is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// Starting the embedded workspace or reaching the configured one.
    Connecting,
    /// Events arrive as they happen (SSE).
    Live,
    /// Events arrive by long polling (the stream could not be held).
    Polling,
    /// The workspace cannot be reached; retrying with backoff.
    Reconnecting,
    /// The workspace refused the token: sign in again in Settings.
    Unauthorized,
    /// A workspace URL is set but no token: sign in in Settings.
    NeedsToken,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Connection {
    pub status: ConnectionStatus,
    /// The workspace's base URL (the embedded one's loopback address too).
    pub workspace_url: String,
    /// The workspace runs inside the app (no URL configured).
    pub embedded: bool,
    /// Where the app keeps its data (settings, embedded database).
    pub data_dir: String,
    /// Words for the person about the status.
    #[ts(optional)]
    pub detail: Option<String>,
}

/// R11: when an offer raises an OS-native toast.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum NotificationMode {
    /// Use the mode the administrator set in the offer's template (R20).
    #[default]
    Workspace,
    Always,
    /// Only when Herald is not the focused window (minimised, hidden, or another window in front).
    Background,
    Off,
}

/// The agent's own settings, kept in `settings.json` in the data dir.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct DesktopSettings {
    /// The workspace to connect to; empty runs the embedded workspace with a demo team.
    pub workspace_url: String,
    pub notifications: NotificationMode,
    /// Play the channel's sound with toasts.
    pub sound: bool,
    /// Keep customer details out of OS toasts (they show on the lock screen and in screenshots).
    pub privacy: bool,
    /// Embedded workspace only: generate demo customer traffic.
    pub demo_traffic: bool,
    /// Embedded workspace only: whom the person signs in as (the supervisor sees the team pane).
    pub demo_as: DemoRole,
    /// Start Herald when the person logs in.
    pub autostart: bool,
    /// The email the person signed in to `workspace_url` with; empty when the token was pasted
    /// (or nobody signed in).
    pub account: String,
    /// What a locked screen or the desktop's do-not-disturb does (the agent cannot see toasts then).
    pub screen_lock: ScreenLockMode,
    /// Keys that answer from anywhere on the desktop.
    pub shortcuts: Shortcuts,
    /// How requests ring (with `sound` on).
    pub ring: RingSettings,
    /// The language of the window, toasts and tray; `None`: the operating system's.
    #[ts(optional)]
    pub language: Option<crate::i18n::Language>,
}

/// How requests ring ([`crate::sound`]): the sound of each kind on or off, the volume, and
/// whether it repeats until the request is answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct RingSettings {
    pub until_answered: bool,
    /// 0–100.
    pub volume: u8,
    pub chat: bool,
    pub sms: bool,
    pub voice: bool,
    /// Cases and other work items.
    pub case: bool,
    /// Transfers and escalations.
    pub transfer: bool,
}

impl Default for RingSettings {
    fn default() -> Self {
        Self { until_answered: true, volume: 80, chat: true, sms: true, voice: true, case: true, transfer: true }
    }
}

impl RingSettings {
    /// Whether `sound` is on.
    pub fn plays(&self, sound: crate::sound::Sound) -> bool {
        use crate::sound::Sound;
        match sound {
            Sound::Chat => self.chat,
            Sound::Sms => self.sms,
            Sound::Phone => self.voice,
            Sound::Case => self.case,
            Sound::Transfer => self.transfer,
        }
    }
}

/// Global keyboard shortcuts, as the desktop writes them (`Ctrl+Alt+A`); empty: none.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct Shortcuts {
    /// Accept the newest request waiting for an answer.
    pub accept: String,
    /// Reject it.
    pub reject: String,
    /// Show Herald.
    pub show: String,
}

impl Default for Shortcuts {
    fn default() -> Self {
        Self { accept: "Ctrl+Alt+A".into(), reject: "Ctrl+Alt+R".into(), show: "Ctrl+Alt+H".into() }
    }
}

/// What Herald does when the screen locks or the desktop's do-not-disturb is on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ScreenLockMode {
    /// Set the agent Away while locked (no new offers), and back to what they were on unlock.
    #[default]
    SetAway,
    /// Keep the presence; only note the lock in the timelines of offers pending then.
    NoteOnly,
    Ignore,
}

impl Default for DesktopSettings {
    fn default() -> Self {
        Self {
            workspace_url: String::new(),
            notifications: NotificationMode::Workspace,
            sound: true,
            privacy: false,
            demo_traffic: true,
            demo_as: DemoRole::Agent,
            autostart: false,
            account: String::new(),
            screen_lock: ScreenLockMode::SetAway,
            shortcuts: Shortcuts::default(),
            ring: RingSettings::default(),
            language: None,
        }
    }
}

/// Whom the person at the keyboard is in the embedded demo.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DemoRole {
    /// "You (demo agent)", in the demo queue.
    #[default]
    Agent,
    /// "Sam Supervisor": the team pane with the demo colleagues (R30, R34).
    Supervisor,
}

/// `save_settings`: new settings, and a token when the person entered one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SettingsInput {
    pub settings: DesktopSettings,
    /// A new bearer token for the workspace; `None` keeps the stored one.
    #[serde(default)]
    #[ts(optional)]
    pub token: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum NoticeLevel {
    Info,
    Warning,
    Error,
}

/// A message for the person (an error from the workspace in words, a setting that was ignored…).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Notice {
    #[ts(type = "number")]
    pub id: u64,
    pub level: NoticeLevel,
    pub text: String,
    /// The workspace's error code, when the notice is one of its errors.
    #[ts(optional)]
    pub code: Option<ErrorCode>,
}

/// R16: can the app raise OS toasts, and with buttons?
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ToastSupport {
    pub available: bool,
    /// Toasts carry Accept/Reject buttons; without them a toast only informs.
    pub actions: bool,
    /// The notification server, e.g. "Xfce Notify Daemon Xfce 0.8.2".
    #[ts(optional)]
    pub server: Option<String>,
    /// Why toasts are unavailable, in words.
    #[ts(optional)]
    pub detail: Option<String>,
}

/// The error every command answers with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct CommandError {
    /// The workspace's error code, when the workspace refused.
    #[ts(optional)]
    pub code: Option<ErrorCode>,
    pub message: String,
    /// The offending field, when the workspace or the settings check named one.
    #[ts(optional)]
    pub field: Option<String>,
}

impl CommandError {
    /// An error of the app itself (no workspace code).
    pub fn app(message: impl Into<String>) -> Self {
        Self { code: None, message: message.into(), field: None }
    }
}

/// What the window can ask the app to do, through herald-desktop's single `command` Tauri
/// command; the same enum lets tests drive the app without a window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Command {
    AcceptOffer {
        offer: OfferId,
    },
    RejectOffer {
        offer: OfferId,
    },
    SelectSession {
        session: Option<SessionId>,
    },
    CloseSession {
        session: SessionId,
    },
    /// R19: open a session assigned to the agent (a case), also after its notification ended.
    OpenSession {
        session: SessionId,
    },
    CallControl {
        session: SessionId,
        action: CallAction,
    },
    /// R10: write to the customer in a chat or SMS session.
    SendMessage {
        session: SessionId,
        body: String,
    },
    SetPresence {
        presence: Presence,
    },
    ResetPresence,
    /// Supervisors: R30.
    ResetAgentPresence {
        agent: AgentId,
    },
    SaveSettings(SettingsInput),
    DismissNotice {
        id: u64,
    },
    /// Sign in to a workspace with an email and a password: the app checks the address, signs
    /// in, and keeps only the token it gets (in the keyring), never the password.
    SignIn {
        workspace_url: String,
        email: String,
        password: Password,
    },
    /// Sign out: the token is revoked at the workspace and forgotten here.
    SignOut,
    /// The keyboard (a global shortcut): accept the newest request waiting for an answer.
    AcceptNewest,
    /// The keyboard: reject the newest request waiting for an answer.
    RejectNewest,
    /// Settings' test button: play one cycle of a sound at this volume (0–100).
    TestSound {
        sound: crate::sound::Sound,
        volume: u8,
    },
    /// Show why an offer went as it did: its timeline (one's own offers; supervisors anyone's).
    ShowTimeline {
        offer: OfferId,
    },
    CloseTimeline,
    /// Supervisors: send a waiting customer to a chosen agent, as an offer or assigned.
    Direct {
        item: WorkItemId,
        agent: AgentId,
        how: Direction,
    },
}

/// A password the person typed: passed to the workspace once, never stored, and never in a log
/// (its `Debug` is `***`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(transparent)]
#[ts(type = "string")]
pub struct Password(pub String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// Writes the TypeScript of the app's types into `dir`.
pub fn export_typescript(dir: &std::path::Path) -> Result<(), ts_rs::ExportError> {
    let cfg = ts_rs::Config::new().with_out_dir(dir).with_large_int("number");
    <DesktopState as TS>::export_all(&cfg)?;
    <SettingsInput as TS>::export_all(&cfg)?;
    <CommandError as TS>::export_all(&cfg)?;
    <Command as TS>::export_all(&cfg)?;
    Ok(())
}

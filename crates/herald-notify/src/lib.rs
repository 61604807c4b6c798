//! # herald-notify — OS-native offer toasts behind one trait
//!
//! An agent must see an offer even when Herald is not the window in front. This crate raises the
//! operating system's own notification ("toast") for an offer, with the buttons the offer allows,
//! withdraws it when the offer ends, and reports what the person did with it.
//!
//! # Layout
//! - [`Notifier`]: show a [`Toast`], withdraw it by its key (the offer id), read the server's
//!   [`Capabilities`]. What the person did arrives on the [`Actions`] receiver handed out by the
//!   backend's constructor, as [`UserAction`]s carrying the same key.
//! - `linux`: the freedesktop notification spec over D-Bus (zbus), one long-lived connection for
//!   the life of the app, listening to `ActionInvoked` and `NotificationClosed`.
//! - `windows`: WinRT toasts under Herald's own AppUserModelID, one per offer (tagged with its
//!   key), buttons and body clicks reported through the toast's `Activated` event; the toast's
//!   XML and the reading of its activation arguments are in `winrt` (plain Rust, tested on every
//!   platform).
//! - `macos`: `UNUserNotificationCenter`, a category per button set, answers through the
//!   centre's delegate; the identifiers and answers are in `usernotifications` (plain Rust,
//!   tested on every platform).
//! - **The Windows and macOS glue is only type-checked on our machines** (only the Linux target
//!   exists there; `scripts/check-platforms.sh` runs clippy for both with std checked from
//!   source): GitHub's runners build and test it (`.github/workflows/ci.yml`).
//! - [`conformance`]: the behaviour every backend owes, written once; each platform's tests run
//!   it against its backend (Linux: the real xfce4-notifyd, clicked with the pointer).
//! - [`Recorder`]: a notifier that remembers what it was asked to show, for tests of the layers
//!   above that are about *whether* to toast, not *how*.
//!
//! # Deliberately not here
//! Whether an offer should raise a toast at all (the R11 mode × focus decision) is the desktop
//! layer's; this crate shows what it is told to show. It knows nothing of Tauri or of the
//! workspace protocol: a toast is plain text and a list of actions.

use futures_util::future::BoxFuture;
use std::time::Duration;
use tokio::sync::mpsc;

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub use linux::LinuxNotifier;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::WindowsNotifier;
// The toast XML and activation arguments: plain Rust, compiled and tested everywhere.
#[cfg_attr(not(windows), allow(dead_code))]
mod winrt;

#[cfg(target_os = "macos")]
mod macos;
#[cfg(target_os = "macos")]
pub use macos::MacNotifier;
// Categories, identifiers and answers of UNUserNotificationCenter: plain Rust, tested everywhere.
#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
mod usernotifications;

#[doc(hidden)]
pub mod conformance;
mod recorder;
pub use recorder::{Log as RecorderLog, Recorder};

/// What the person did with a toast, by the toast's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UserAction {
    /// The Accept button.
    Accepted(u64),
    /// The Reject button.
    Rejected(u64),
    /// The body of the toast (not a button) or the "Open item" button (R13, R19).
    Opened(u64),
    /// Closed by the person without choosing (the offer is still pending in the app).
    Dismissed(u64),
}

impl UserAction {
    pub fn key(&self) -> u64 {
        match *self {
            UserAction::Accepted(k) | UserAction::Rejected(k) | UserAction::Opened(k) | UserAction::Dismissed(k) => k,
        }
    }
}

/// The receiving end of what people did with toasts.
pub type Actions = mpsc::UnboundedReceiver<UserAction>;

/// A button on a toast.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ToastAction {
    Accept,
    Reject,
    /// R19: the item is already assigned; this opens it.
    OpenItem,
}

impl ToastAction {
    /// The action key on the wire (freedesktop action identifier).
    pub fn id(&self) -> &'static str {
        match self {
            ToastAction::Accept => "accept",
            ToastAction::Reject => "reject",
            ToastAction::OpenItem => "open",
        }
    }
}

/// The words on a toast's buttons, in the person's language (English by default).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ButtonLabels {
    pub accept: String,
    pub reject: String,
    pub open_item: String,
}

impl Default for ButtonLabels {
    fn default() -> Self {
        Self { accept: "Accept".into(), reject: "Reject".into(), open_item: "Open item".into() }
    }
}

impl ButtonLabels {
    /// The label of `action`'s button.
    pub fn of(&self, action: ToastAction) -> &str {
        match action {
            ToastAction::Accept => &self.accept,
            ToastAction::Reject => &self.reject,
            ToastAction::OpenItem => &self.open_item,
        }
    }
}

/// How insistent the toast is. `Critical` toasts stay until acted upon on most desktops.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Urgency {
    Low,
    #[default]
    Normal,
    Critical,
}

/// One offer toast.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toast {
    /// Identifies the toast for [`Notifier::withdraw`] and in [`UserAction`]s (the offer id).
    pub key: u64,
    pub title: String,
    /// Free text shown above the fields (may be empty).
    pub body: String,
    /// Up to four label/value lines from the template (R9); more are dropped.
    pub fields: Vec<(String, String)>,
    /// The buttons, in order. Empty: an informational toast (clicking it still opens the app).
    pub actions: Vec<ToastAction>,
    /// What the buttons say.
    pub labels: ButtonLabels,
    pub urgency: Urgency,
    /// A freedesktop sound-naming-spec name (e.g. `message-new-instant`, `phone-incoming-call`);
    /// `None` for silence.
    pub sound: Option<String>,
    /// An icon name from the theme or an absolute path to an image.
    pub icon: Option<String>,
    /// Let the OS remove the toast after this long; `None` keeps it until withdrawn.
    pub expire: Option<Duration>,
    /// An incoming phone call (the voice scenario): Windows shows it in its incoming-call
    /// layout; elsewhere it changes nothing.
    pub call: bool,
}

impl Toast {
    /// The body text as shown: the free text, then one `label: value` line per field (at most 4).
    pub fn body_text(&self) -> String {
        let mut lines: Vec<String> = Vec::new();
        if !self.body.is_empty() {
            lines.push(self.body.clone());
        }
        lines.extend(self.fields.iter().take(4).map(|(l, v)| if l.is_empty() { v.clone() } else { format!("{l}: {v}") }));
        lines.join("\n")
    }
}

/// What the notification server can do, read once at start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// Buttons on toasts. Without it a toast only informs; clicking it opens the app (R13).
    pub actions: bool,
    /// Toasts stay until closed (no need to re-raise).
    pub persistence: bool,
    /// The server plays `sound-name`.
    pub sound: bool,
    /// The server renders simple markup in the body (we send plain text either way).
    pub body_markup: bool,
    /// Name, vendor and version of the server, for the log and the settings pane.
    pub server: Option<String>,
}

/// Why a toast could not be shown or withdrawn.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// No notification service is reachable (no session bus, no daemon, no permission — R16).
    #[error("desktop notifications are unavailable: {0}")]
    Unavailable(String),
    /// The service answered with an error.
    #[error("the notification service refused: {0}")]
    Refused(String),
}

/// Shows and withdraws offer toasts. Implementations are cheap to share (`Arc<dyn Notifier>`).
pub trait Notifier: Send + Sync + std::fmt::Debug + 'static {
    /// What the notification server supports.
    fn capabilities(&self) -> Capabilities;

    /// Raises the toast, replacing one already shown with the same key.
    fn show(&self, toast: Toast) -> BoxFuture<'_, Result<(), NotifyError>>;

    /// Closes the toast with this key if it is still shown (offer ended, deadline passed).
    /// Withdrawing an unknown key is not an error.
    fn withdraw(&self, key: u64) -> BoxFuture<'_, Result<(), NotifyError>>;

    /// Asks the person for permission to show toasts, where the system asks (macOS); called
    /// when the person signs in, not at start, so the question comes when they expect it.
    /// Elsewhere there is nothing to ask.
    fn request_permission(&self) -> BoxFuture<'_, Result<(), NotifyError>> {
        Box::pin(async { Ok(()) })
    }
}

/// Connects to the platform's notification service: returns the notifier and the receiver of
/// what people do with its toasts.
pub async fn connect(app_name: &str) -> Result<(std::sync::Arc<dyn Notifier>, Actions), NotifyError> {
    #[cfg(target_os = "linux")]
    {
        let (n, a) = LinuxNotifier::connect(app_name).await?;
        Ok((std::sync::Arc::new(n), a))
    }
    #[cfg(windows)]
    {
        let (n, a) = WindowsNotifier::connect(app_name)?;
        Ok((std::sync::Arc::new(n), a))
    }
    #[cfg(target_os = "macos")]
    {
        let (n, a) = MacNotifier::connect(app_name)?;
        Ok((std::sync::Arc::new(n), a))
    }
    #[cfg(not(any(target_os = "linux", windows, target_os = "macos")))]
    {
        Err(NotifyError::Unavailable(format!("no notification backend for {} (app {app_name})", std::env::consts::OS)))
    }
}

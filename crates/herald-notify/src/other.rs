//! Windows and macOS through notify-rust: **informational toasts only**.
//!
//! Not compiled or tested on our machines (only the Linux target is installed there), so this is
//! kept as small as it can be:
//! - A toast shows the title and [`Toast::body_text`], the icon (Windows) and a sound. Sound names
//!   follow the freedesktop naming spec, which neither system knows, so any sound becomes the
//!   system's default notification sound and `None` stays silent.
//! - **No buttons and no clicks are wired.** notify-rust only reports a person's answer by blocking
//!   a thread per toast until it is answered (`wait_for_action`), and on macOS shows several
//!   actions as one "Options" drop-down. [`Capabilities::actions`] is `false`, so the app knows an
//!   offer must be answered in its own window; the [`Actions`] receiver stays open and quiet.
//! - `withdraw` does nothing: notify-rust cannot close a toast on these systems. Toasts are shown
//!   with the offer's `expire`, so they go away on their own where the system honours it.
//! - On Windows the toast carries PowerShell's identity unless the app is installed with an
//!   AppUserModelID (notify-rust's `app_id`); on macOS it shows under the app's bundle.

use crate::{Actions, Capabilities, Notifier, NotifyError, Toast, UserAction};
use futures_util::future::BoxFuture;
use tokio::sync::mpsc;

#[cfg(target_os = "windows")]
const DEFAULT_SOUND: &str = "Default";
#[cfg(not(target_os = "windows"))]
const DEFAULT_SOUND: &str = "NSUserNotificationDefaultSoundName";

/// Informational toasts through notify-rust (see the module docs).
#[derive(Debug)]
pub struct OtherNotifier {
    app_name: String,
    /// Kept so the receiver handed out by [`OtherNotifier::new`] does not end.
    _actions: mpsc::UnboundedSender<UserAction>,
}

impl OtherNotifier {
    pub fn new(app_name: &str) -> (Self, Actions) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self { app_name: app_name.to_owned(), _actions: tx }, rx)
    }
}

impl Notifier for OtherNotifier {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            actions: false,
            persistence: true,
            sound: true,
            body_markup: false,
            server: Some(format!("notify-rust ({})", std::env::consts::OS)),
        }
    }

    fn show(&self, toast: Toast) -> BoxFuture<'_, Result<(), NotifyError>> {
        let app_name = self.app_name.clone();
        Box::pin(async move {
            // Showing talks to the OS synchronously (and on macOS may wait for it).
            let shown = tokio::task::spawn_blocking(move || {
                let mut n = notify_rust::Notification::new();
                n.appname(&app_name).summary(&toast.title).body(&toast.body_text());
                if let Some(icon) = &toast.icon {
                    n.icon(icon);
                }
                if toast.sound.is_some() {
                    n.sound_name(DEFAULT_SOUND);
                }
                n.timeout(toast.expire.map_or(notify_rust::Timeout::Never, notify_rust::Timeout::from));
                // Dropping the handle leaves the toast to the OS (macOS sends it on drop).
                n.show().map(drop).map_err(|e| NotifyError::Refused(e.to_string()))
            })
            .await;
            shown.map_err(|e| NotifyError::Refused(format!("toast task failed: {e}")))?
        })
    }

    fn withdraw(&self, _key: u64) -> BoxFuture<'_, Result<(), NotifyError>> {
        Box::pin(async { Ok(()) })
    }
}

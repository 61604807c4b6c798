//! WinRT toast notifications (`Windows.UI.Notifications`) under Herald's own AppUserModelID.
//!
//! **Only type-checked on the development machines** (Linux only; `scripts/check-platforms.sh`
//! runs clippy for `x86_64-pc-windows-msvc`), never linked or run there: written against the
//! `windows` 0.62 sources and proven only by the GitHub workflow (`.github/workflows/ci.yml`),
//! whose Windows runner builds it and runs its tests. The XML, the activation arguments and the
//! bookkeeping are in `winrt` (plain Rust, tested everywhere).
//!
//! # Choices
//! - **Herald's own AppUserModelID** ([`APP_ID`], the Tauri bundle identifier, which the MSI and
//!   NSIS installers also give the Start-menu shortcut). Windows shows toasts only for an app it
//!   knows, so [`WindowsNotifier::connect`] registers the ID for the current user under
//!   `HKEY_CURRENT_USER\Software\Classes\AppUserModelId\org.herald.desktop` (`DisplayName`, and
//!   `IconUri` when an icon lies beside the executable): toasts say "Herald" even without an
//!   installer (a developer build, the CI runner). `CreateToastNotifierWithId` names the ID, so
//!   the unsafe `SetCurrentProcessExplicitAppUserModelID` is not needed. A failed registry write
//!   is only logged: an installed Herald is known to Windows through its shortcut.
//! - **One toast per offer**, tagged with its key in the group `offers`: showing a key again
//!   removes the old toast first; withdrawing removes it from the Action Center by tag.
//! - **Answers come through the toast's own events**: `Activated` carries the clicked button's
//!   arguments (`accept:41`), `Dismissed` its reason; the `winrt` registry makes at most one
//!   [`UserAction`] of them per toast. The toast objects are kept by key while shown, so their
//!   handlers stay alive (`ToastNotification` and `ToastNotifier` are `Send + Sync` in `windows`
//!   0.62: no dedicated thread). WinRT calls run on tokio's blocking pool; `windows` joins the
//!   multithreaded apartment by itself on a thread without COM.
//! - **Known limit:** a click reaches Herald through the in-process `Activated` event, so only
//!   while Herald runs (it always runs, in the tray). A click on a toast left in the Action Center
//!   after Herald exited would need a registered COM activator, which is not built.
//! - **Errors:** no notifier for the ID → [`NotifyError::Unavailable`]; a WinRT error while
//!   showing or withdrawing → [`NotifyError::Refused`] with its message.

use crate::winrt::{self, GROUP, Registry};
use crate::{Actions, Capabilities, Notifier, NotifyError, Toast, UserAction};
use ::windows::Data::Xml::Dom::XmlDocument;
use ::windows::Foundation::{DateTime, IReference, PropertyValue, TypedEventHandler};
use ::windows::UI::Notifications::{
    NotificationSetting, ToastActivatedEventArgs, ToastDismissalReason, ToastDismissedEventArgs, ToastNotification,
    ToastNotificationManager, ToastNotifier,
};
use ::windows::core::{HSTRING, IInspectable, Interface};
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;

/// Herald's AppUserModelID: the Tauri bundle identifier.
pub const APP_ID: &str = "org.herald.desktop";

/// Where the AppUserModelID is registered, under `HKEY_CURRENT_USER`.
const APP_ID_KEY: &str = r"Software\Classes\AppUserModelId\org.herald.desktop";

/// Icons looked for beside the executable, in this order, for the toast's `IconUri`.
const ICON_NAMES: [&str; 3] = ["herald.png", "icon.png", "icon.ico"];

/// Toasts through WinRT (see the module docs).
pub struct WindowsNotifier {
    shared: Shared,
}

/// The notifier's state: reference-counted handles, cloned into each blocking task.
#[derive(Clone)]
struct Shared {
    app_id: HSTRING,
    notifier: ToastNotifier,
    registry: Arc<Mutex<Registry>>,
    actions: mpsc::UnboundedSender<UserAction>,
    /// The toasts shown, by key: holding them keeps their event handlers alive.
    toasts: Arc<Mutex<HashMap<u64, ToastNotification>>>,
}

impl std::fmt::Debug for WindowsNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = lock(&self.shared.registry).shown_keys();
        f.debug_struct("WindowsNotifier")
            .field("app_id", &self.shared.app_id.to_string_lossy())
            .field("shown", &shown)
            .finish_non_exhaustive()
    }
}

impl WindowsNotifier {
    /// Registers Herald's AppUserModelID for the current user (shown as `app_name`) and opens a
    /// toast notifier for it.
    pub fn connect(app_name: &str) -> Result<(Self, Actions), NotifyError> {
        if let Err(e) = register_app_id(app_name) {
            tracing::warn!(error = %e, key = APP_ID_KEY, "cannot register the AppUserModelID; toasts rely on the installer's shortcut");
        }
        let notifier = ToastNotificationManager::CreateToastNotifierWithId(&HSTRING::from(APP_ID))
            .map_err(|e| NotifyError::Unavailable(format!("no toast notifier for {APP_ID}: {}", e.message())))?;
        let setting = notifier.Setting();
        if !matches!(setting, Ok(NotificationSetting::Enabled)) {
            tracing::warn!(app_id = APP_ID, ?setting, "Windows toasts are turned off for Herald (or their setting is unreadable)");
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Shared {
            app_id: HSTRING::from(APP_ID),
            notifier,
            registry: Arc::new(Mutex::new(Registry::new())),
            actions: tx,
            toasts: Arc::new(Mutex::new(HashMap::new())),
        };
        Ok((Self { shared }, rx))
    }

    /// Runs what the OS's `Activated` event runs, as if the toast had been clicked with these
    /// arguments: GitHub's Windows runner has nobody to click a real toast.
    #[cfg(test)]
    pub(crate) fn activate(&self, arguments: &str) {
        on_activated(&self.shared.registry, &self.shared.actions, arguments);
    }
}

impl Notifier for WindowsNotifier {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            actions: true,
            persistence: true,
            sound: true,
            body_markup: false,
            server: Some("Windows toast notifications (WinRT)".into()),
        }
    }

    fn show(&self, toast: Toast) -> BoxFuture<'_, Result<(), NotifyError>> {
        let shared = self.shared.clone();
        Box::pin(blocking(move || shared.show(&toast)))
    }

    fn withdraw(&self, key: u64) -> BoxFuture<'_, Result<(), NotifyError>> {
        let shared = self.shared.clone();
        Box::pin(blocking(move || shared.withdraw(key)))
    }
}

impl Shared {
    fn show(&self, toast: &Toast) -> Result<(), NotifyError> {
        let key = toast.key;
        let notification = self.build(toast).map_err(refused)?;
        let (tag, group) = (HSTRING::from(winrt::tag(key)), HSTRING::from(GROUP));
        // Replacement: the old toast goes first (its `Dismissed` says "application hidden",
        // which reports nothing). Nothing to remove is not an error.
        if let Err(e) = ToastNotificationManager::History().and_then(|h| h.RemoveGroupedTagWithId(&tag, &group, &self.app_id)) {
            tracing::debug!(key, error = %e, "no earlier toast removed");
        }
        lock(&self.registry).shown(key);
        self.keep(key, notification.clone());
        if let Err(e) = self.notifier.Show(&notification) {
            lock(&self.registry).withdrawn(key);
            lock(&self.toasts).remove(&key);
            return Err(refused(e));
        }
        tracing::debug!(key, "toast shown");
        Ok(())
    }

    /// The toast object: its XML, tag, group, expiry and event handlers.
    fn build(&self, toast: &Toast) -> ::windows::core::Result<ToastNotification> {
        let doc = XmlDocument::new()?;
        doc.LoadXml(&HSTRING::from(winrt::toast_xml(toast)))?;
        let notification = ToastNotification::CreateToastNotification(&doc)?;
        notification.SetTag(&HSTRING::from(winrt::tag(toast.key)))?;
        notification.SetGroup(&HSTRING::from(GROUP))?;
        if let Some(expire) = toast.expire {
            notification.SetExpirationTime(&expiration_time(expire)?)?;
        }
        let (registry, actions) = (self.registry.clone(), self.actions.clone());
        let activated = TypedEventHandler::<ToastNotification, IInspectable>::new(move |_, args| {
            match activation_arguments(args.as_ref()) {
                Some(arguments) => on_activated(&registry, &actions, &arguments),
                None => tracing::debug!("toast activated without arguments"),
            }
            Ok(())
        });
        notification.Activated(&activated)?;
        let (registry, actions, key) = (self.registry.clone(), self.actions.clone(), toast.key);
        let dismissed = TypedEventHandler::<ToastNotification, ToastDismissedEventArgs>::new(move |_, args| {
            let reason = args.as_ref().and_then(|a| a.Reason().ok());
            tracing::debug!(key, ?reason, "toast dismissed");
            let by_user = reason == Some(ToastDismissalReason::UserCanceled);
            if let Some(action) = lock(&registry).dismissed(key, by_user) {
                let _ = actions.send(action);
            }
            Ok(())
        });
        notification.Dismissed(&dismissed)?;
        Ok(notification)
    }

    /// Keeps `notification` for `key`, and lets go of the toasts that are no longer shown.
    fn keep(&self, key: u64, notification: ToastNotification) {
        let shown = lock(&self.registry).shown_keys();
        let mut toasts = lock(&self.toasts);
        toasts.retain(|k, _| shown.binary_search(k).is_ok());
        toasts.insert(key, notification);
    }

    fn withdraw(&self, key: u64) -> Result<(), NotifyError> {
        let was_shown = lock(&self.registry).withdrawn(key);
        let (tag, group) = (HSTRING::from(winrt::tag(key)), HSTRING::from(GROUP));
        let removed = ToastNotificationManager::History().and_then(|h| h.RemoveGroupedTagWithId(&tag, &group, &self.app_id));
        lock(&self.toasts).remove(&key);
        tracing::debug!(key, was_shown, error = ?removed.as_ref().err(), "toast withdrawn");
        match removed {
            Err(e) if was_shown => Err(refused(e)),
            // A key never shown (or already withdrawn) has nothing to remove.
            _ => Ok(()),
        }
    }
}

/// What the `Activated` event (or the test hook) does with a click's arguments.
fn on_activated(registry: &Mutex<Registry>, actions: &mpsc::UnboundedSender<UserAction>, arguments: &str) {
    let action = lock(registry).activated(arguments);
    tracing::debug!(arguments, ?action, "toast activated");
    if let Some(action) = action {
        // Nobody listening any more is not an error of ours.
        let _ = actions.send(action);
    }
}

/// The `Activated` event's arguments, as `ToastActivatedEventArgs` (empty is none).
fn activation_arguments(args: Option<&IInspectable>) -> Option<String> {
    let args = args?.cast::<ToastActivatedEventArgs>().ok()?;
    let arguments = args.Arguments().ok()?;
    (!arguments.is_empty()).then(|| arguments.to_string_lossy())
}

/// `expire` from now, as the boxed `DateTime` `SetExpirationTime` takes.
fn expiration_time(expire: Duration) -> ::windows::core::Result<IReference<DateTime>> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let at = DateTime { UniversalTime: winrt::expiration_ticks(now, expire) };
    PropertyValue::CreateDateTime(at)?.cast()
}

/// Registers the AppUserModelID under `HKEY_CURRENT_USER` (see the module docs).
fn register_app_id(app_name: &str) -> windows_registry::Result<()> {
    let key = windows_registry::CURRENT_USER.create(APP_ID_KEY)?;
    key.set_string("DisplayName", app_name)?;
    if let Some(icon) = sibling_icon() {
        key.set_string("IconUri", icon.to_string_lossy())?;
    }
    Ok(())
}

/// The first of [`ICON_NAMES`] present beside the executable.
fn sibling_icon() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    ICON_NAMES.iter().map(|name| dir.join(name)).find(|path| path.is_file())
}

/// Runs a WinRT call on tokio's blocking pool (COM calls may block).
async fn blocking(call: impl FnOnce() -> Result<(), NotifyError> + Send + 'static) -> Result<(), NotifyError> {
    tokio::task::spawn_blocking(call).await.map_err(|e| NotifyError::Refused(format!("the toast task failed: {e}")))?
}

fn refused(e: ::windows::core::Error) -> NotifyError {
    NotifyError::Refused(e.message())
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Plain maps and sets: a panic elsewhere cannot leave them in a state worse than a lost
    // toast, so a poisoned lock is used as is.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// herald-notify's [`conformance`](crate::conformance) checks against real WinRT toasts. They
/// run only on Windows (GitHub's `windows-latest` runner). What is on screen is read from the
/// Action Center (`ToastNotificationManager::History`); a person's click is simulated by
/// [`WindowsNotifier::activate`], the code the OS's `Activated` event runs, followed by the
/// removal Windows does after a click. The tests share the Action Center, so they run one at a
/// time.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::{Desk, Press, Rig};
    use ::windows::Data::Xml::Dom::XmlElement;

    static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

    /// A Herald toast as the Action Center holds it.
    #[derive(Debug)]
    struct Held {
        tag: String,
        /// The buttons' labels and arguments, left to right.
        buttons: Vec<(String, String)>,
    }

    fn held() -> ::windows::core::Result<Vec<Held>> {
        let history = ToastNotificationManager::History()?.GetHistoryWithId(&HSTRING::from(APP_ID))?;
        let mut all = Vec::new();
        for i in 0..history.Size()? {
            let toast = history.GetAt(i)?;
            let actions = toast.Content()?.GetElementsByTagName(&HSTRING::from("action"))?;
            let mut buttons = Vec::new();
            for j in 0..actions.Length()? {
                let action: XmlElement = actions.Item(j)?.cast()?;
                let attribute = |name: &str| action.GetAttribute(&HSTRING::from(name)).map(|v| v.to_string_lossy());
                buttons.push((attribute("content")?, attribute("arguments")?));
            }
            all.push(Held { tag: toast.Tag()?.to_string_lossy(), buttons });
        }
        Ok(all)
    }

    struct WindowsDesk<'a> {
        notifier: &'a WindowsNotifier,
    }

    impl WindowsDesk<'_> {
        /// Polls the Action Center every 50 ms until `done` holds, within [`Desk::wait`].
        async fn until(&self, what: &str, done: impl Fn(&[Held]) -> bool) -> Vec<Held> {
            let deadline = tokio::time::Instant::now() + self.wait();
            loop {
                // Only plain text is kept across the sleep (WinRT errors need not be `Send`).
                let last = match held() {
                    Ok(toasts) if done(toasts.as_slice()) => return toasts,
                    Ok(toasts) => format!("{toasts:?}"),
                    Err(e) => format!("error {e}"),
                };
                assert!(tokio::time::Instant::now() < deadline, "{what} within {:?}; the Action Center holds {last}", self.wait());
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }

    impl Desk for WindowsDesk<'_> {
        fn wait_shown<'a>(&'a self, key: u64, buttons: &'a [String]) -> BoxFuture<'a, ()> {
            Box::pin(async move {
                let tag = winrt::tag(key);
                self.until(&format!("toast {key} with {buttons:?}"), |toasts| {
                    toasts.iter().any(|t| t.tag == tag && t.buttons.iter().map(|(label, _)| label).eq(buttons.iter()))
                })
                .await;
            })
        }

        fn wait_count(&self, n: usize) -> BoxFuture<'_, ()> {
            Box::pin(async move {
                self.until(&format!("{n} toasts"), |toasts| toasts.len() == n).await;
            })
        }

        fn press(&self, key: u64, press: Press) -> BoxFuture<'_, ()> {
            Box::pin(async move {
                let tag = winrt::tag(key);
                let arguments = match press {
                    Press::Body => winrt::body_arguments(key),
                    // What a click hands to `Activated`: the button's arguments as Windows holds them.
                    Press::Button(i) => {
                        let toasts = self
                            .until(&format!("toast {key} with a button {i}"), |t| t.iter().any(|t| t.tag == tag && t.buttons.len() > i))
                            .await;
                        let toast = toasts.into_iter().find(|t| t.tag == tag).expect("the toast just seen");
                        toast.buttons[i].1.clone()
                    }
                };
                self.notifier.activate(&arguments);
                ToastNotificationManager::History()
                    .and_then(|h| h.RemoveGroupedTagWithId(&HSTRING::from(tag), &HSTRING::from(GROUP), &HSTRING::from(APP_ID)))
                    .expect("a clicked toast leaves the Action Center");
            })
        }
    }

    macro_rules! conformance {
        ($($check:ident),* $(,)?) => {$(
            #[tokio::test]
            async fn $check() {
                let _serial = SERIAL.lock().await;
                let (notifier, mut actions) = WindowsNotifier::connect("Herald").expect("toast notifier");
                let history = ToastNotificationManager::History().expect("the Action Center");
                history.ClearWithId(&HSTRING::from(APP_ID)).expect("no toasts left from earlier tests");
                let desk = WindowsDesk { notifier: &notifier };
                let mut rig = Rig { notifier: &notifier, actions: &mut actions, desk: &desk };
                rig.$check().await;
            }
        )*};
    }

    crate::each_check!(conformance);

    #[tokio::test]
    async fn says_it_draws_buttons() {
        let (notifier, mut actions) = WindowsNotifier::connect("Herald").expect("toast notifier");
        let desk = WindowsDesk { notifier: &notifier };
        let rig = Rig { notifier: &notifier, actions: &mut actions, desk: &desk };
        rig.says_it_draws_buttons();
    }
}

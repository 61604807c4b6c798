//! The freedesktop Desktop Notifications spec over D-Bus, with zbus 5 on tokio.
//!
//! # Choices
//! - **One connection for the life of the notifier.** [`LinuxNotifier::connect`] opens the
//!   session bus once; every `Notify`, `CloseNotification` and the signal subscription use it.
//!   (notify-rust opens a connection per toast and one more thread per toast waiting for its
//!   answer; an agent sees hundreds of offers a day.) Tests hand in their own connection to a
//!   private bus with [`LinuxNotifier::connect_to`].
//! - **Capabilities are read once**, at connect (`GetCapabilities`, `GetServerInformation`), and
//!   logged. Without `actions` a toast is sent without buttons: it only informs.
//! - **Subscribed before the first toast.** The signal stream (`ActionInvoked` and
//!   `NotificationClosed`) is registered with the bus inside `connect`, so nothing about our first
//!   toast can be missed. Both signals come through *one* ordered stream (one match rule on the
//!   interface): daemons send `ActionInvoked` and then `NotificationClosed(reason 2)` for a
//!   button, and the order decides what the person did. One task reads it, never blocks on
//!   anything but a short mutex, so zbus's queue never fills up.
//! - **Keys ↔ ids.** The [`Registry`] maps our key (the offer id) to the server's notification id.
//!   Showing a key again sends `replaces_id`, so the old toast is replaced in place, not doubled.
//!   `withdraw` sends `CloseNotification` and forgets the key; an unknown key is not an error.
//!   Shows and withdraws are serialised (an async lock held across the D-Bus call), so a withdraw
//!   that races a show of the same key always sees the id and closes it.
//!   Signals are only acted on for ids we created. A signal that arrives before the `Notify`
//!   reply has been recorded (a server that closes a toast at once, e.g. in do-not-disturb mode)
//!   is kept for a moment and replayed when the id becomes known.
//! - **What the person did**: action `accept` → [`UserAction::Accepted`], `reject` →
//!   [`UserAction::Rejected`], `open` or `default` (the body) → [`UserAction::Opened`]; at most one
//!   answer per toast. `NotificationClosed` with reason 2 (closed by the user) → [`UserAction::Dismissed`]
//!   unless an action was already reported for that toast (most daemons close a toast after a
//!   button, with reason 2). Reasons 1 (expired) and 3 (our `CloseNotification`) report nothing.
//! - **xfce4-notifyd never sends the `default` action.** A click on the body of an
//!   xfce4-notifyd toast closes it with reason 2 and nothing else (checked in its source and on
//!   0.7.3), and it has no close button: on that server reason 2 without an action *is* the body
//!   click, so it is reported as [`UserAction::Opened`] (R13). Other servers (GNOME Shell, KDE,
//!   dunst, mako) send `ActionInvoked("default")` for the body and reason 2 for the close button.
//!   The server is recognised by the name in `GetServerInformation`.
//! - **Body text**: [`Toast::body_text`]; `&`, `<` and `>` are escaped when the server renders
//!   `body-markup`, so a customer's "<b>" stays text. The summary is plain text by the spec.
//! - **Hints**: `urgency` (byte 0/1/2), `sound-name` when the toast has a sound, otherwise
//!   `suppress-sound`; `desktop-entry` = `herald`; `category` = `im.received`. Not `transient`
//!   (an offer toast belongs in the server's history) and not `resident` (a button should close it).
//! - **Timeout**: the toast's `expire` in milliseconds, or 0 (never). The spec's -1 (the server's
//!   default) is never sent: an offer toast must stay until the offer ends.
//! - **Errors**: no session bus, nobody owning `org.freedesktop.Notifications`, or no answer
//!   within 5 s (zbus would wait forever, and shows are serialised) →
//!   [`NotifyError::Unavailable`]; any other error from the server → [`NotifyError::Refused`].

use crate::{Actions, Capabilities, Notifier, NotifyError, Toast, Urgency, UserAction};
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::mpsc;
use zbus::zvariant::Value;

const SERVICE: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";
const DESKTOP_ENTRY: &str = "herald";
const CATEGORY: &str = "im.received";

/// `NotificationClosed` reasons (spec 1.2).
const CLOSED_EXPIRED: u32 = 1;
const CLOSED_BY_USER: u32 = 2;
const CLOSED_BY_CALL: u32 = 3;

/// How long the server may take to answer one call (zbus itself waits forever).
const CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// How many signals about ids we do not know (yet) are kept for a late `Notify` reply.
const EARLY_SIGNALS: usize = 32;

#[zbus::proxy(
    interface = "org.freedesktop.Notifications",
    default_service = "org.freedesktop.Notifications",
    default_path = "/org/freedesktop/Notifications",
    gen_blocking = false
)]
trait Notifications {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: &str,
        replaces_id: u32,
        app_icon: &str,
        summary: &str,
        body: &str,
        actions: &[&str],
        hints: HashMap<&str, Value<'_>>,
        expire_timeout: i32,
    ) -> zbus::Result<u32>;

    fn close_notification(&self, id: u32) -> zbus::Result<()>;

    fn get_capabilities(&self) -> zbus::Result<Vec<String>>;

    fn get_server_information(&self) -> zbus::Result<(String, String, String, String)>;
}

/// Toasts through the session's notification server (see the module docs).
pub struct LinuxNotifier {
    app_name: String,
    proxy: NotificationsProxy<'static>,
    capabilities: Capabilities,
    registry: Arc<Mutex<Registry>>,
    actions: mpsc::UnboundedSender<UserAction>,
    /// Serialises shows and withdraws (held across the D-Bus call, never by the listener).
    calls: tokio::sync::Mutex<()>,
    listener: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for LinuxNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinuxNotifier").field("app_name", &self.app_name).field("capabilities", &self.capabilities).finish_non_exhaustive()
    }
}

impl Drop for LinuxNotifier {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl LinuxNotifier {
    /// Connects to the session bus (`DBUS_SESSION_BUS_ADDRESS`) and its notification server.
    pub async fn connect(app_name: &str) -> Result<(Self, Actions), NotifyError> {
        let connection = zbus::Connection::session().await.map_err(|e| NotifyError::Unavailable(format!("no session bus: {e}")))?;
        Self::connect_to(connection, app_name).await
    }

    /// Uses an open connection (for instance to a private test bus). The connection is kept for
    /// the life of the notifier.
    pub async fn connect_to(connection: zbus::Connection, app_name: &str) -> Result<(Self, Actions), NotifyError> {
        let proxy = NotificationsProxy::builder(&connection)
            .cache_properties(zbus::proxy::CacheProperties::No)
            .build()
            .await
            .map_err(|e| NotifyError::Unavailable(e.to_string()))?;

        // Subscribe first: from here on no signal about our toasts can be lost.
        let rule = zbus::MatchRule::builder()
            .msg_type(zbus::message::Type::Signal)
            .sender(SERVICE)
            .and_then(|b| b.interface(SERVICE))
            .and_then(|b| b.path(PATH))
            .map_err(|e| NotifyError::Unavailable(format!("match rule: {e}")))?
            .build();
        let signals = zbus::MessageStream::for_match_rule(rule, &connection, Some(256))
            .await
            .map_err(|e| NotifyError::Unavailable(format!("cannot subscribe to notification signals: {e}")))?;

        let caps = answer(proxy.get_capabilities()).await.map_err(|e| match e {
            NotifyError::Refused(why) => NotifyError::Unavailable(why),
            unavailable => unavailable,
        })?;
        let info = match answer(proxy.get_server_information()).await {
            Ok(info) => Some(info),
            Err(e) => {
                tracing::warn!(error = %e, "GetServerInformation failed");
                None
            }
        };
        let has = |c: &str| caps.iter().any(|x| x == c);
        let capabilities = Capabilities {
            actions: has("actions"),
            persistence: has("persistence"),
            sound: has("sound"),
            body_markup: has("body-markup"),
            server: info.as_ref().map(|(name, vendor, version, _spec)| format!("{name} {vendor} {version}")),
        };
        let user_close = match &info {
            Some((name, ..)) if name == "Xfce Notify Daemon" => UserClose::IsBodyClick,
            _ => UserClose::IsDismiss,
        };
        tracing::info!(
            server = capabilities.server.as_deref().unwrap_or("unknown"),
            spec = info.as_ref().map(|i| i.3.as_str()).unwrap_or("unknown"),
            capabilities = ?caps,
            ?user_close,
            "desktop notifications connected"
        );
        if !capabilities.actions {
            tracing::warn!("the notification server has no buttons: offer toasts only inform");
        }

        let registry = Arc::new(Mutex::new(Registry::new(user_close)));
        let (tx, rx) = mpsc::unbounded_channel();
        let listener = tokio::spawn(listen(signals, registry.clone(), tx.clone()));
        let notifier = Self {
            app_name: app_name.to_owned(),
            proxy,
            capabilities,
            registry,
            actions: tx,
            calls: tokio::sync::Mutex::new(()),
            listener,
        };
        Ok((notifier, rx))
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        lock(&self.registry)
    }

    async fn show_toast(&self, toast: Toast) -> Result<(), NotifyError> {
        let _serial = self.calls.lock().await;
        let (replaces, since) = {
            let r = self.registry();
            (r.id_of(toast.key).unwrap_or(0), r.seen)
        };

        let mut actions: Vec<&str> = Vec::new();
        if self.capabilities.actions {
            actions.extend(["default", ""]);
            for a in &toast.actions {
                actions.extend([a.id(), toast.labels.of(*a)]);
            }
        }
        let mut hints: HashMap<&str, Value<'_>> = HashMap::new();
        let urgency: u8 = match toast.urgency {
            Urgency::Low => 0,
            Urgency::Normal => 1,
            Urgency::Critical => 2,
        };
        hints.insert("urgency", Value::U8(urgency));
        match toast.sound.as_deref() {
            Some(sound) => hints.insert("sound-name", Value::from(sound)),
            None => hints.insert("suppress-sound", Value::Bool(true)),
        };
        hints.insert("desktop-entry", Value::from(DESKTOP_ENTRY));
        hints.insert("category", Value::from(CATEGORY));
        let body = toast.body_text();
        let body = if self.capabilities.body_markup { escape_markup(&body) } else { body };
        let timeout = expire_timeout(toast.expire);

        let icon = toast.icon.as_deref().unwrap_or("");
        let id = answer(self.proxy.notify(&self.app_name, replaces, icon, &toast.title, &body, &actions, hints, timeout)).await?;
        tracing::debug!(key = toast.key, id, replaces, "toast shown");
        let early = self.registry().shown(toast.key, id, since);
        for action in early {
            let _ = self.actions.send(action);
        }
        Ok(())
    }

    async fn withdraw_toast(&self, key: u64) -> Result<(), NotifyError> {
        let _serial = self.calls.lock().await;
        let Some(id) = self.registry().withdrawn(key) else {
            return Ok(());
        };
        match answer(self.proxy.close_notification(id)).await {
            Ok(()) => {
                tracing::debug!(key, id, "toast withdrawn");
                Ok(())
            }
            // The spec answers an empty error when the toast is already gone.
            Err(NotifyError::Refused(why)) => {
                tracing::debug!(key, id, why, "toast was already closed");
                Ok(())
            }
            Err(unavailable) => Err(unavailable),
        }
    }
}

impl Notifier for LinuxNotifier {
    fn capabilities(&self) -> Capabilities {
        self.capabilities.clone()
    }

    fn show(&self, toast: Toast) -> BoxFuture<'_, Result<(), NotifyError>> {
        Box::pin(self.show_toast(toast))
    }

    fn withdraw(&self, key: u64) -> BoxFuture<'_, Result<(), NotifyError>> {
        Box::pin(self.withdraw_toast(key))
    }
}

/// Reads the signal stream until the connection ends or the notifier is dropped.
async fn listen(mut signals: zbus::MessageStream, registry: Arc<Mutex<Registry>>, tx: mpsc::UnboundedSender<UserAction>) {
    while let Some(message) = signals.next().await {
        let message = match message {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "bad message on the notification signal stream");
                continue;
            }
        };
        let Some(signal) = Signal::parse(&message) else { continue };
        tracing::debug!(?signal, "notification signal");
        let action = lock(&registry).signal(signal);
        if let Some(action) = action {
            tracing::debug!(?action, "user action");
            // Nobody listening any more is not an error of ours.
            let _ = tx.send(action);
        }
    }
    tracing::info!("the notification signal stream ended");
}

fn lock(registry: &Mutex<Registry>) -> MutexGuard<'_, Registry> {
    // The registry holds plain maps; a panic elsewhere cannot leave it half-updated in a way that
    // matters more than losing toasts, so a poisoned lock is used as is.
    registry.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The server's answer to a call, within [`CALL_TIMEOUT`].
async fn answer<T>(call: impl std::future::Future<Output = zbus::Result<T>>) -> Result<T, NotifyError> {
    match tokio::time::timeout(CALL_TIMEOUT, call).await {
        Ok(result) => result.map_err(error),
        Err(_) => Err(NotifyError::Unavailable(format!("the notification server did not answer within {CALL_TIMEOUT:?}"))),
    }
}

fn error(e: zbus::Error) -> NotifyError {
    const GONE: [&str; 4] = [
        "org.freedesktop.DBus.Error.ServiceUnknown",
        "org.freedesktop.DBus.Error.NameHasNoOwner",
        "org.freedesktop.DBus.Error.NoReply",
        "org.freedesktop.DBus.Error.Disconnected",
    ];
    let unavailable = match &e {
        zbus::Error::MethodError(name, ..) => GONE.contains(&name.as_str()),
        zbus::Error::FDO(f) => matches!(
            **f,
            zbus::fdo::Error::ServiceUnknown(_)
                | zbus::fdo::Error::NameHasNoOwner(_)
                | zbus::fdo::Error::NoReply(_)
                | zbus::fdo::Error::Disconnected(_)
        ),
        zbus::Error::InputOutput(_) => true,
        _ => false,
    };
    if unavailable { NotifyError::Unavailable(e.to_string()) } else { NotifyError::Refused(e.to_string()) }
}

/// Milliseconds for `Notify`: 0 keeps the toast until it is closed.
fn expire_timeout(expire: Option<std::time::Duration>) -> i32 {
    match expire {
        None => 0,
        Some(d) => i32::try_from(d.as_millis()).unwrap_or(i32::MAX).max(1),
    }
}

/// Escapes the characters the spec's body markup gives a meaning to.
fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// What `NotificationClosed` with reason 2, without an action before it, means on this server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UserClose {
    /// The person closed the toast (the close button): [`UserAction::Dismissed`].
    IsDismiss,
    /// The server closes a toast when its body is clicked and sends nothing else
    /// (xfce4-notifyd): [`UserAction::Opened`].
    IsBodyClick,
}

/// One signal of the notification interface.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Signal {
    Action { id: u32, action: String },
    Closed { id: u32, reason: u32 },
}

impl Signal {
    fn parse(message: &zbus::Message) -> Option<Signal> {
        let header = message.header();
        let member = header.member()?;
        let parsed = match member.as_str() {
            "ActionInvoked" => message.body().deserialize::<(u32, String)>().map(|(id, action)| Signal::Action { id, action }),
            "NotificationClosed" => message.body().deserialize::<(u32, u32)>().map(|(id, reason)| Signal::Closed { id, reason }),
            _ => return None,
        };
        match parsed {
            Ok(signal) => Some(signal),
            Err(e) => {
                tracing::warn!(member = member.as_str(), error = %e, "malformed notification signal");
                None
            }
        }
    }

    fn id(&self) -> u32 {
        match *self {
            Signal::Action { id, .. } | Signal::Closed { id, .. } => id,
        }
    }
}

/// Which toast is which, and what has been answered. No I/O: the listener and the notifier feed
/// it and send what it returns.
#[derive(Debug)]
struct Registry {
    by_key: HashMap<u64, u32>,
    by_id: HashMap<u32, Shown>,
    /// Signals about ids we do not know, numbered, for a `Notify` reply recorded late.
    early: VecDeque<(u64, Signal)>,
    /// Signals seen so far.
    seen: u64,
    user_close: UserClose,
}

#[derive(Clone, Copy, Debug)]
struct Shown {
    key: u64,
    /// An action was reported for this toast: nothing more will be.
    answered: bool,
}

impl Registry {
    fn new(user_close: UserClose) -> Self {
        Self { by_key: HashMap::new(), by_id: HashMap::new(), early: VecDeque::new(), seen: 0, user_close }
    }

    fn id_of(&self, key: u64) -> Option<u32> {
        self.by_key.get(&key).copied()
    }

    /// `Notify` answered `id` for `key`; it was sent when `since` signals had been seen. Returns
    /// what signals received meanwhile about `id` mean.
    fn shown(&mut self, key: u64, id: u32, since: u64) -> Vec<UserAction> {
        match self.by_key.insert(key, id) {
            Some(old) if old != id => {
                self.by_id.remove(&old);
            }
            _ => {}
        }
        self.by_id.insert(id, Shown { key, answered: false });
        let (mine, rest): (VecDeque<_>, VecDeque<_>) =
            std::mem::take(&mut self.early).into_iter().partition(|(n, s)| s.id() == id && *n >= since);
        self.early = rest;
        mine.into_iter().filter_map(|(_, s)| self.apply(s)).collect()
    }

    /// Forgets `key`; returns the id to close.
    fn withdrawn(&mut self, key: u64) -> Option<u32> {
        let id = self.by_key.remove(&key)?;
        self.by_id.remove(&id);
        Some(id)
    }

    /// A signal from the server; returns what to report.
    fn signal(&mut self, signal: Signal) -> Option<UserAction> {
        let n = self.seen;
        self.seen += 1;
        if !self.by_id.contains_key(&signal.id()) {
            if self.early.len() == EARLY_SIGNALS {
                self.early.pop_front();
            }
            self.early.push_back((n, signal));
            return None;
        }
        self.apply(signal)
    }

    fn apply(&mut self, signal: Signal) -> Option<UserAction> {
        match signal {
            Signal::Action { id, action } => {
                let shown = self.by_id.get_mut(&id)?;
                if shown.answered {
                    return None;
                }
                let reported = match action.as_str() {
                    "accept" => UserAction::Accepted(shown.key),
                    "reject" => UserAction::Rejected(shown.key),
                    "open" | "default" => UserAction::Opened(shown.key),
                    other => {
                        tracing::debug!(id, action = other, "unknown action ignored");
                        return None;
                    }
                };
                shown.answered = true;
                Some(reported)
            }
            Signal::Closed { id, reason } => {
                let shown = self.by_id.remove(&id)?;
                if self.by_key.get(&shown.key) == Some(&id) {
                    self.by_key.remove(&shown.key);
                }
                match reason {
                    CLOSED_BY_USER if !shown.answered => Some(match self.user_close {
                        UserClose::IsDismiss => UserAction::Dismissed(shown.key),
                        UserClose::IsBodyClick => UserAction::Opened(shown.key),
                    }),
                    CLOSED_BY_USER | CLOSED_EXPIRED | CLOSED_BY_CALL => None,
                    other => {
                        tracing::debug!(id, reason = other, "toast closed for an undefined reason");
                        None
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(id: u32, a: &str) -> Signal {
        Signal::Action { id, action: a.into() }
    }

    fn closed(id: u32, reason: u32) -> Signal {
        Signal::Closed { id, reason }
    }

    #[test]
    fn buttons_map_to_actions_and_the_close_after_them_is_silent() {
        let mut r = Registry::new(UserClose::IsDismiss);
        r.shown(7, 1, 0);
        r.shown(8, 2, 0);
        r.shown(9, 3, 0);
        assert_eq!(r.signal(action(1, "accept")), Some(UserAction::Accepted(7)));
        assert_eq!(r.signal(closed(1, CLOSED_BY_USER)), None);
        assert_eq!(r.signal(action(2, "reject")), Some(UserAction::Rejected(8)));
        assert_eq!(r.signal(action(2, "accept")), None, "one answer per toast");
        assert_eq!(r.signal(closed(2, CLOSED_BY_USER)), None);
        assert_eq!(r.signal(action(3, "default")), Some(UserAction::Opened(9)));
        assert_eq!(r.id_of(7), None, "closed toasts are forgotten");
        assert_eq!(r.id_of(9), Some(3));
    }

    #[test]
    fn closing_without_an_action_is_a_dismissal_or_a_body_click() {
        let mut r = Registry::new(UserClose::IsDismiss);
        r.shown(7, 1, 0);
        assert_eq!(r.signal(closed(1, CLOSED_BY_USER)), Some(UserAction::Dismissed(7)));
        let mut r = Registry::new(UserClose::IsBodyClick);
        r.shown(7, 1, 0);
        assert_eq!(r.signal(closed(1, CLOSED_BY_USER)), Some(UserAction::Opened(7)));
    }

    #[test]
    fn expiry_withdrawal_and_foreign_toasts_report_nothing() {
        let mut r = Registry::new(UserClose::IsDismiss);
        r.shown(7, 1, 0);
        r.shown(8, 2, 0);
        assert_eq!(r.signal(closed(1, CLOSED_EXPIRED)), None);
        assert_eq!(r.withdrawn(8), Some(2));
        assert_eq!(r.withdrawn(8), None);
        assert_eq!(r.signal(closed(2, CLOSED_BY_CALL)), None);
        assert_eq!(r.signal(action(99, "accept")), None, "not ours");
        assert_eq!(r.signal(closed(98, CLOSED_BY_USER)), None, "not ours");
    }

    #[test]
    fn showing_a_key_again_replaces_its_toast() {
        let mut r = Registry::new(UserClose::IsDismiss);
        r.shown(7, 1, 0);
        assert_eq!(r.id_of(7), Some(1));
        // Same id back (replaced in place): a fresh toast, answerable again.
        r.signal(action(1, "accept"));
        r.shown(7, 1, r.seen);
        assert_eq!(r.signal(action(1, "reject")), Some(UserAction::Rejected(7)));
        // A new id (the old toast was gone): the old id is forgotten.
        r.shown(7, 5, r.seen);
        assert_eq!(r.signal(action(1, "accept")), None);
        assert_eq!(r.signal(action(5, "accept")), Some(UserAction::Accepted(7)));
    }

    #[test]
    fn signals_before_the_notify_reply_are_replayed_once() {
        let mut r = Registry::new(UserClose::IsDismiss);
        let since = r.seen;
        assert_eq!(r.signal(closed(4, CLOSED_BY_USER)), None);
        assert_eq!(r.shown(7, 4, since), vec![UserAction::Dismissed(7)]);
        assert_eq!(r.id_of(7), None);
        // An old signal about an id (from before this Notify was sent) is not replayed.
        assert_eq!(r.signal(closed(6, CLOSED_BY_CALL)), None);
        let since = r.seen;
        assert_eq!(r.shown(8, 6, since), vec![]);
        assert_eq!(r.id_of(8), Some(6));
    }

    #[test]
    fn markup_and_timeouts() {
        assert_eq!(escape_markup("a<b>&c"), "a&lt;b&gt;&amp;c");
        assert_eq!(expire_timeout(None), 0);
        assert_eq!(expire_timeout(Some(std::time::Duration::ZERO)), 1);
        assert_eq!(expire_timeout(Some(std::time::Duration::from_secs(30))), 30_000);
        assert_eq!(expire_timeout(Some(std::time::Duration::from_secs(u64::MAX))), i32::MAX);
    }
}

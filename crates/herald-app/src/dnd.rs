//! The desktop's do-not-disturb (the never-miss issue, item 2): while it is on, the notification
//! server draws no toasts, so the agent cannot see an offer arrive. Two desktops say so on the
//! session bus:
//! - Xfce: xfce4-notifyd's `/do-not-disturb` setting in xfconf, announced by xfconfd's
//!   `org.xfce.Xfconf.PropertyChanged(channel, property, value)`;
//! - KDE Plasma (and other servers that follow it): the `Inhibited` property of
//!   `org.freedesktop.Notifications`, announced by `PropertiesChanged`.
//!
//! GNOME keeps its switch (`show-banners`) in dconf, which announces changes only as dconf's own
//! binary change lists: not heard here yet. [`watch`] turns what it hears into a stream of on/off;
//! the model decides what it means for the agent's presence (the same setting as the screen lock).

use futures_util::StreamExt;
use tokio::sync::mpsc;
use zbus::zvariant::OwnedValue;

const XFCONF: &str = "org.xfce.Xfconf";
const XFCE_CHANNEL: &str = "xfce4-notifyd";
const XFCE_PROPERTY: &str = "/do-not-disturb";
const NOTIFICATIONS: &str = "org.freedesktop.Notifications";
const NOTIFICATIONS_PATH: &str = "/org/freedesktop/Notifications";

/// Do-not-disturb on (`true`) and off (`false`), as the desktop on the bus at `address` (the
/// session bus when `None`) reports it, deduplicated; the first item is the state at start when
/// it is on. The channel closes when the bus does.
pub async fn watch(address: Option<&str>) -> zbus::Result<mpsc::Receiver<bool>> {
    let conn = match address {
        Some(a) => zbus::connection::Builder::address(a)?.build().await?,
        None => zbus::Connection::session().await?,
    };
    let xfce_rule = zbus::MatchRule::builder().msg_type(zbus::message::Type::Signal).interface(XFCONF)?.build();
    let kde_rule = zbus::MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .interface("org.freedesktop.DBus.Properties")?
        .member("PropertiesChanged")?
        .path(NOTIFICATIONS_PATH)?
        .build();
    let xfce = zbus::MessageStream::for_match_rule(xfce_rule, &conn, Some(16)).await?;
    let kde = zbus::MessageStream::for_match_rule(kde_rule, &conn, Some(16)).await?;
    // Subscribed first, then asked: a change in between is heard, not lost.
    let mut state = Sources { xfce: xfce_now(&conn).await, kde: kde_now(&conn).await };
    let (tx, rx) = mpsc::channel(16);
    let mut last = state.on();
    if last {
        tracing::info!(?state, "the desktop's do-not-disturb is on");
        let _ = tx.send(true).await;
    }
    tokio::spawn(async move {
        let _conn = conn; // the streams live as long as their connection
        let mut both = futures_util::stream::select(xfce, kde);
        while let Some(Ok(msg)) = both.next().await {
            if !state.hear(&msg) {
                continue;
            }
            let on = state.on();
            if on == last {
                continue;
            }
            last = on;
            tracing::info!(on, ?state, "the desktop's do-not-disturb changed");
            if tx.send(on).await.is_err() {
                return;
            }
        }
    });
    Ok(rx)
}

/// What each desktop's switch says.
#[derive(Clone, Copy, Debug, Default)]
struct Sources {
    xfce: bool,
    kde: bool,
}

impl Sources {
    fn on(self) -> bool {
        self.xfce || self.kde
    }

    /// Takes in a signal; whether it was about do-not-disturb.
    fn hear(&mut self, msg: &zbus::Message) -> bool {
        let header = msg.header();
        let (Some(interface), Some(member)) = (header.interface(), header.member()) else { return false };
        match (interface.as_str(), member.as_str()) {
            (XFCONF, "PropertyChanged") => match msg.body().deserialize::<(String, String, OwnedValue)>() {
                Ok((channel, property, value)) if channel == XFCE_CHANNEL && property == XFCE_PROPERTY => {
                    self.xfce = bool::try_from(value).unwrap_or(false);
                    true
                }
                _ => false,
            },
            (XFCONF, "PropertyRemoved") => match msg.body().deserialize::<(String, String)>() {
                Ok((channel, property)) if channel == XFCE_CHANNEL && property == XFCE_PROPERTY => {
                    self.xfce = false;
                    true
                }
                _ => false,
            },
            ("org.freedesktop.DBus.Properties", "PropertiesChanged") => {
                type Changed = (String, std::collections::HashMap<String, OwnedValue>, Vec<String>);
                match msg.body().deserialize::<Changed>() {
                    Ok((iface, changed, invalidated)) if iface == NOTIFICATIONS => {
                        if let Some(v) = changed.get("Inhibited") {
                            self.kde = v.try_clone().ok().and_then(|v| bool::try_from(v).ok()).unwrap_or(false);
                            true
                        } else if invalidated.iter().any(|p| p == "Inhibited") {
                            self.kde = false;
                            true
                        } else {
                            false
                        }
                    }
                    _ => false,
                }
            }
            _ => false,
        }
    }
}

/// Xfce's setting now; off when xfconfd is not on the bus or the setting was never made.
async fn xfce_now(conn: &zbus::Connection) -> bool {
    let reply = conn.call_method(Some(XFCONF), "/org/xfce/Xfconf", Some(XFCONF), "GetProperty", &(XFCE_CHANNEL, XFCE_PROPERTY)).await;
    reply.ok().and_then(|m| m.body().deserialize::<OwnedValue>().ok()).and_then(|v| bool::try_from(v).ok()).unwrap_or(false)
}

/// The notification server's `Inhibited` now; off when it has none (most servers).
async fn kde_now(conn: &zbus::Connection) -> bool {
    let reply = conn
        .call_method(Some(NOTIFICATIONS), NOTIFICATIONS_PATH, Some("org.freedesktop.DBus.Properties"), "Get", &(NOTIFICATIONS, "Inhibited"))
        .await;
    reply.ok().and_then(|m| m.body().deserialize::<OwnedValue>().ok()).and_then(|v| bool::try_from(v).ok()).unwrap_or(false)
}

/// Feeds the desktop's do-not-disturb into `app` for as long as the bus lasts. Without a session
/// bus nothing happens; that is said once, in the log.
pub fn follow(app: crate::App) {
    tokio::spawn(async move {
        match watch(None).await {
            Ok(mut rx) => {
                while let Some(on) = rx.recv().await {
                    app.do_not_disturb(on).await;
                }
            }
            Err(e) => tracing::info!(error = %e, "no session bus to hear the desktop's do-not-disturb on"),
        }
    });
}

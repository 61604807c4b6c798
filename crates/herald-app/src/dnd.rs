//! The desktop's do-not-disturb (the never-miss issue, item 2): while it is on, the notification
//! server draws no toasts, so the agent cannot see an offer arrive. Two desktops say so on the
//! session bus:
//! - Xfce: xfce4-notifyd's `/do-not-disturb` setting in xfconf, announced by xfconfd's
//!   `org.xfce.Xfconf.PropertyChanged(channel, property, value)`;
//! - KDE Plasma (and other servers that follow it): the `Inhibited` property of
//!   `org.freedesktop.Notifications`, announced by `PropertiesChanged`;
//! - GNOME: `show-banners` off in the `org.gnome.desktop.notifications` settings. GNOME keeps
//!   them in dconf, whose writer announces which keys changed (`ca.desrt.dconf.Writer.Notify`)
//!   but not their values: the value is then read with `gsettings` (GLib's tool, on every GNOME
//!   desktop), the way every GSettings client reads dconf.
//!
//! [`watch`] turns what it hears into a stream of on/off; the model decides what it means for the
//! agent's presence (the same setting as the screen lock).

use futures_util::StreamExt;
use tokio::sync::mpsc;
use zbus::zvariant::OwnedValue;

const XFCONF: &str = "org.xfce.Xfconf";
const XFCE_CHANNEL: &str = "xfce4-notifyd";
const XFCE_PROPERTY: &str = "/do-not-disturb";
const NOTIFICATIONS: &str = "org.freedesktop.Notifications";
const NOTIFICATIONS_PATH: &str = "/org/freedesktop/Notifications";
const DCONF_WRITER: &str = "ca.desrt.dconf.Writer";
const GNOME_SCHEMA: &str = "org.gnome.desktop.notifications";
const GNOME_KEY: &str = "show-banners";
/// Where dconf keeps [`GNOME_KEY`].
const GNOME_PATH: &str = "/org/gnome/desktop/notifications/show-banners";

/// Do-not-disturb on (`true`) and off (`false`), as the desktop on the bus at `address` (the
/// session bus when `None`) reports it, deduplicated; the first item is the state at start when
/// it is on. The channel closes when the bus does.
pub async fn watch(address: Option<&str>) -> zbus::Result<mpsc::Receiver<bool>> {
    watch_with(address, Vec::new()).await
}

/// As [`watch`], with `gsettings` run with `gsettings_env` added to this process's environment
/// (tests: the private desktop's dconf).
pub async fn watch_with(address: Option<&str>, gsettings_env: Vec<(String, String)>) -> zbus::Result<mpsc::Receiver<bool>> {
    let mut gsettings_env = gsettings_env;
    if let Some(a) = address {
        gsettings_env.push(("DBUS_SESSION_BUS_ADDRESS".into(), a.into()));
    }
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
    let gnome_rule = zbus::MatchRule::builder().msg_type(zbus::message::Type::Signal).interface(DCONF_WRITER)?.member("Notify")?.build();
    let xfce = zbus::MessageStream::for_match_rule(xfce_rule, &conn, Some(16)).await?;
    let kde = zbus::MessageStream::for_match_rule(kde_rule, &conn, Some(16)).await?;
    let gnome = zbus::MessageStream::for_match_rule(gnome_rule, &conn, Some(16)).await?;
    // Subscribed first, then asked: a change in between is heard, not lost.
    let mut state = Sources { xfce: xfce_now(&conn).await, kde: kde_now(&conn).await, gnome: gnome_now(&gsettings_env).await };
    let (tx, rx) = mpsc::channel(16);
    let mut last = state.on();
    if last {
        tracing::info!(?state, "the desktop's do-not-disturb is on");
        let _ = tx.send(true).await;
    }
    tokio::spawn(async move {
        let _conn = conn; // the streams live as long as their connection
        let mut all = futures_util::stream::select(futures_util::stream::select(xfce, kde), gnome);
        while let Some(Ok(msg)) = all.next().await {
            if dconf_touches_gnome_key(&msg) {
                // dconf names the key, not its value: read it.
                state.gnome = gnome_now(&gsettings_env).await;
            } else if !state.hear(&msg) {
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
    gnome: bool,
}

/// Whether `msg` is dconf's notice of a change to GNOME's key.
fn dconf_touches_gnome_key(msg: &zbus::Message) -> bool {
    let header = msg.header();
    if header.interface().is_none_or(|i| i.as_str() != DCONF_WRITER) || header.member().is_none_or(|m| m.as_str() != "Notify") {
        return false;
    }
    msg.body().deserialize::<(String, Vec<String>, String)>().is_ok_and(|(prefix, changes, _tag)| touches_gnome_key(&prefix, &changes))
}

/// Whether dconf's change list (`prefix` and the paths under it) touches GNOME's key: the key
/// itself, or a folder above it (a reset of the whole folder).
fn touches_gnome_key(prefix: &str, changes: &[String]) -> bool {
    changes.iter().any(|c| {
        let path = format!("{prefix}{c}");
        path == GNOME_PATH || (path.ends_with('/') && GNOME_PATH.starts_with(&path))
    })
}

impl Sources {
    fn on(self) -> bool {
        self.xfce || self.kde || self.gnome
    }

    /// Takes in Xfce's and KDE's signals, which carry the new value; whether it was about
    /// do-not-disturb.
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

/// GNOME's do-not-disturb now: `show-banners` is false. Off where `gsettings` or GNOME's
/// schema is missing (not a GNOME desktop).
async fn gnome_now(env: &[(String, String)]) -> bool {
    let mut cmd = tokio::process::Command::new("gsettings");
    cmd.args(["get", GNOME_SCHEMA, GNOME_KEY]).envs(env.iter().map(|(k, v)| (k, v))).kill_on_drop(true);
    match tokio::time::timeout(std::time::Duration::from_secs(5), cmd.output()).await {
        Ok(Ok(out)) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim() == "false",
        Ok(Ok(out)) => {
            tracing::debug!(stderr = %String::from_utf8_lossy(&out.stderr).trim(), "no GNOME notification settings here");
            false
        }
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "no gsettings here: GNOME's do-not-disturb is not heard");
            false
        }
        Err(_) => {
            tracing::warn!("gsettings did not answer within 5 s: GNOME's do-not-disturb taken as off");
            false
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dconf_change_list_touches_gnomes_key_when_it_names_it_or_a_folder_above_it() {
        let list = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(touches_gnome_key("/org/gnome/desktop/notifications/show-banners", &list(&[""])));
        assert!(touches_gnome_key("/org/gnome/desktop/notifications/", &list(&["show-banners", "show-in-lock-screen"])));
        assert!(touches_gnome_key("/org/gnome/desktop/", &list(&["notifications/"])), "a reset of the folder");
        assert!(touches_gnome_key("/", &list(&[""])), "a reset of everything");
        assert!(!touches_gnome_key("/org/gnome/desktop/notifications/", &list(&["show-in-lock-screen"])));
        assert!(!touches_gnome_key("/org/gnome/desktop/notifications/show-banners-x", &list(&[""])));
        assert!(!touches_gnome_key("/org/gnome/desktop/interface/", &list(&["clock-format"])));
    }
}

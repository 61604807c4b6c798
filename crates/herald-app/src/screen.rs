//! When the agent cannot see a toast (the never-miss issue, item 2): the screen locked. On Linux
//! the screensavers say so on the session bus with an `ActiveChanged(bool)` signal — the
//! freedesktop interface (KDE, Xfce) and the desktops' own (GNOME, MATE, Cinnamon), all the
//! same shape. [`watch`] turns them into a stream of locked/unlocked; the model decides what it
//! means for the agent's presence (settings: set Away, only note it, or ignore).
//!
//! Windows and macOS (session lock notifications) are not here yet: there the stream never
//! yields.

use futures_util::StreamExt;
use tokio::sync::mpsc;

/// The screensaver interfaces whose `ActiveChanged` is heard.
pub const INTERFACES: [&str; 5] =
    ["org.freedesktop.ScreenSaver", "org.gnome.ScreenSaver", "org.mate.ScreenSaver", "org.cinnamon.ScreenSaver", "org.xfce.ScreenSaver"];

/// Locked (`true`) and unlocked (`false`), as the screensaver on the bus at `address` (the
/// session bus when `None`) reports them, deduplicated. The channel closes when the bus does.
pub async fn watch(address: Option<&str>) -> zbus::Result<mpsc::Receiver<bool>> {
    let conn = match address {
        Some(a) => zbus::connection::Builder::address(a)?.build().await?,
        None => zbus::Connection::session().await?,
    };
    let rule = zbus::MatchRule::builder().msg_type(zbus::message::Type::Signal).member("ActiveChanged")?.build();
    let mut stream = zbus::MessageStream::for_match_rule(rule, &conn, Some(16)).await?;
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        let _conn = conn; // the stream lives as long as its connection
        let mut last = None;
        while let Some(Ok(msg)) = stream.next().await {
            let header = msg.header();
            let ours = header.interface().is_some_and(|i| INTERFACES.contains(&i.as_str()));
            let Ok(active) = msg.body().deserialize::<bool>() else { continue };
            if !ours || last == Some(active) {
                continue;
            }
            last = Some(active);
            tracing::info!(locked = active, interface = ?header.interface().map(|i| i.to_string()), "the screen lock changed");
            if tx.send(active).await.is_err() {
                return;
            }
        }
    });
    Ok(rx)
}

/// Feeds the session bus's screen lock into `app` for as long as the bus lasts. Without a
/// session bus (or a screensaver on it) nothing happens; that is said once, in the log.
pub fn follow(app: crate::App) {
    tokio::spawn(async move {
        match watch(None).await {
            Ok(mut rx) => {
                while let Some(locked) = rx.recv().await {
                    app.screen_locked(locked).await;
                }
            }
            Err(e) => tracing::info!(error = %e, "no session bus to hear the screen lock on; Herald will not know when the screen locks"),
        }
    });
}

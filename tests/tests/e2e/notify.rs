//! herald-notify's Linux backend against a real notification server: xfce4-notifyd on Xvfb, on a
//! private session bus, clicked with the real pointer (xdotool). The checks are herald-notify's
//! [`conformance`] module, the same ones the Windows and macOS backends run on their platforms;
//! this file supplies the Linux [`Desk`]. Each test starts its own [`DesktopSession`].
//! Screenshots go to `target/test-artifacts/notify/`.

use futures_util::future::BoxFuture;
use herald_e2e::WAIT;
use herald_e2e::desktop::{DesktopSession, Options, artifacts_dir, wait_for, wait_until};
use herald_notify::conformance::{Desk, Press, Rig};
use herald_notify::{Actions, LinuxNotifier, NotifyError};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// xfce4-notifyd's toasts: which X window shows which key, found by their buttons.
struct LinuxDesk {
    desk: DesktopSession,
    windows: Mutex<HashMap<u64, u64>>,
}

impl LinuxDesk {
    fn window_of(&self, key: u64) -> u64 {
        *self.windows.lock().unwrap().get(&key).unwrap_or_else(|| panic!("no toast window known for {key}"))
    }

    /// A toast window with `n` buttons that shows `key`: the one it had, or one no other key has.
    async fn find(&self, key: u64, n: usize) -> Option<u64> {
        let mut free = Vec::new();
        for w in self.desk.notification_windows().await.ok()? {
            if !self.desk.toast_buttons(w).await.is_ok_and(|b| b.len() == n) {
                continue;
            }
            let owner = self.windows.lock().unwrap().iter().find(|(_, win)| **win == w).map(|(k, _)| *k);
            match owner {
                Some(k) if k == key => return Some(w),
                Some(_) => {}
                None => free.push(w),
            }
        }
        free.first().copied()
    }
}

impl Desk for LinuxDesk {
    fn wait(&self) -> Duration {
        WAIT
    }

    fn wait_shown<'a>(&'a self, key: u64, buttons: &'a [String]) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let w = wait_for(WAIT, || self.find(key, buttons.len()))
                .await
                .unwrap_or_else(|e| panic!("no toast for {key} with {} buttons: {e}", buttons.len()));
            assert!(self.desk.wm_class(w).await.unwrap().contains("xfce4-notifyd"), "drawn by the notification server");
            let geometry = self.desk.toast_buttons(w).await.unwrap();
            assert!(geometry.windows(2).all(|p| p[0].x < p[1].x), "buttons left to right, in order: {geometry:?}");
            self.windows.lock().unwrap().insert(key, w);
            let path = artifacts_dir("notify").join(format!("toast-{key}-{}-buttons.png", buttons.len()));
            self.desk.screenshot(&path).await.expect("screenshot");
        })
    }

    fn wait_count(&self, n: usize) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            wait_until(WAIT, || async { self.desk.notification_windows().await.is_ok_and(|w| w.len() == n) })
                .await
                .unwrap_or_else(|e| panic!("not {n} toast windows: {e}"));
        })
    }

    fn press(&self, key: u64, press: Press) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let w = self.window_of(key);
            let (x, y) = match press {
                Press::Body => self.desk.toast_body_point(w).await.expect("body point"),
                Press::Button(i) => self.desk.toast_buttons(w).await.expect("buttons")[i].center(),
            };
            self.desk.click(x, y).await.expect("click");
            self.windows.lock().unwrap().remove(&key);
        })
    }
}

struct Setup {
    notifier: LinuxNotifier,
    actions: Actions,
    /// Last: ended after the notifier's connection.
    desk: LinuxDesk,
}

async fn setup() -> Setup {
    let desk = DesktopSession::start().await.expect("desktop session starts");
    let bus = desk.bus().await.expect("private session bus");
    let (notifier, actions) = LinuxNotifier::connect_to(bus, "Herald").await.expect("notifier connects");
    Setup { notifier, actions, desk: LinuxDesk { desk, windows: Mutex::default() } }
}

/// Runs one conformance check on a fresh desktop.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let mut s = setup().await;
            Rig { notifier: &s.notifier, actions: &mut s.actions, desk: &s.desk }.$name().await;
        }
    )*};
}

// R12 Accept and Reject buttons, R13 body click, R19 "Open item", withdrawal and replacement.
herald_notify::each_check!(conformance);

// R12, R15: what the app relies on is read once at start — the server draws buttons.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capabilities_are_read_at_start() {
    let mut s = setup().await;
    Rig { notifier: &s.notifier, actions: &mut s.actions, desk: &s.desk }.says_it_draws_buttons();
    let caps = herald_notify::Notifier::capabilities(&s.notifier);
    assert!(caps.body_markup, "{caps:?}");
    let server = caps.server.expect("server information");
    assert!(server.starts_with("Xfce Notify Daemon Xfce "), "{server}");
}

// R16: nobody owns org.freedesktop.Notifications → Unavailable, so the app can say so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_notification_server_is_unavailable() {
    let desk = DesktopSession::start_with(Options { notification_daemon: false, ..Default::default() }).await.expect("desktop");
    let bus = desk.bus().await.unwrap();
    match LinuxNotifier::connect_to(bus, "Herald").await {
        Err(NotifyError::Unavailable(_)) => {}
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

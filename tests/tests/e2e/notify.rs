//! herald-notify's Linux backend against a real notification server: xfce4-notifyd on Xvfb, on a
//! private session bus, clicked with the real pointer (xdotool). Each test starts its own
//! [`DesktopSession`]. Screenshots go to `target/test-artifacts/notify/`.
//!
//! Waiting is for conditions (a window appears or goes, an action arrives), bounded by [`WAIT`].
//! A "no other action was reported" check uses a sentinel: a second toast is clicked and its
//! action must be the next one on the channel — signals are handled in order, so anything wrongly
//! reported about the first toast would have come before it.

use herald_e2e::WAIT;
use herald_e2e::desktop::{DesktopSession, Geometry, Options, artifacts_dir, wait_for, wait_until};
use herald_notify::{Actions, LinuxNotifier, Notifier, NotifyError, Toast, ToastAction, Urgency, UserAction};

struct Rig {
    notifier: LinuxNotifier,
    actions: Actions,
    /// Last: ended after the notifier's connection.
    desk: DesktopSession,
}

async fn rig() -> Rig {
    let desk = DesktopSession::start().await.expect("desktop session starts");
    let bus = desk.bus().await.expect("private session bus");
    let (notifier, actions) = LinuxNotifier::connect_to(bus, "Herald").await.expect("notifier connects");
    Rig { notifier, actions, desk }
}

fn offer(key: u64, actions: &[ToastAction]) -> Toast {
    Toast {
        key,
        title: format!("New chat from Alice #{key}"),
        body: "Hello, I need help with my bill <urgent> & more".into(),
        fields: vec![("Queue".into(), "Billing".into()), ("Channel".into(), "Web chat".into())],
        actions: actions.to_vec(),
        labels: Default::default(),
        urgency: Urgency::Critical,
        sound: Some("message-new-instant".into()),
        icon: None,
        expire: None,
    }
}

const ACCEPT_REJECT: &[ToastAction] = &[ToastAction::Accept, ToastAction::Reject];

impl Rig {
    async fn show(&self, toast: Toast) {
        self.notifier.show(toast).await.expect("toast shown");
    }

    /// The one toast window with `buttons` buttons, once it is drawn.
    async fn toast_with(&self, buttons: usize) -> (u64, Vec<Geometry>) {
        wait_for(WAIT, || async {
            for w in self.desk.notification_windows().await.ok()? {
                match self.desk.toast_buttons(w).await {
                    Ok(b) if b.len() == buttons => return Some((w, b)),
                    _ => {}
                }
            }
            None
        })
        .await
        .unwrap_or_else(|e| panic!("no toast with {buttons} buttons: {e}"))
    }

    async fn wait_windows(&self, n: usize) {
        wait_until(WAIT, || async { self.desk.notification_windows().await.is_ok_and(|w| w.len() == n) })
            .await
            .unwrap_or_else(|e| panic!("not {n} toast windows: {e}"));
    }

    async fn click(&self, (x, y): (i32, i32)) {
        self.desk.click(x, y).await.expect("click");
    }

    async fn next_action(&mut self) -> UserAction {
        tokio::time::timeout(WAIT, self.actions.recv()).await.expect("an action within WAIT").expect("actions channel open")
    }

    /// Shows a sentinel toast, clicks its body, and checks that its Opened is the next action.
    async fn nothing_else_reported(&mut self, sentinel: u64) {
        self.show(offer(sentinel, ACCEPT_REJECT)).await;
        let (w, _) = self.toast_with(2).await;
        let body = self.desk.toast_body_point(w).await.expect("body point");
        self.click(body).await;
        assert_eq!(self.next_action().await, UserAction::Opened(sentinel), "nothing reported before the sentinel's click");
    }

    async fn screenshot(&self, name: &str) {
        let path = artifacts_dir("notify").join(format!("{name}.png"));
        self.desk.screenshot(&path).await.expect("screenshot");
    }
}

// R12, R15: what the app relies on is read once at start — the server draws buttons.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capabilities_are_read_at_start() {
    let rig = rig().await;
    let caps = rig.notifier.capabilities();
    assert!(caps.actions, "{caps:?}");
    assert!(caps.body_markup, "{caps:?}");
    let server = caps.server.expect("server information");
    assert!(server.starts_with("Xfce Notify Daemon Xfce "), "{server}");
}

// R12 Accept button, R15 native look: the toast is the daemon's own window with two buttons, and
// a real pointer click on the first one comes back as Accepted — once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clicking_accept_reports_accepted() {
    let mut rig = rig().await;
    rig.show(offer(41, ACCEPT_REJECT)).await;
    let (window, buttons) = rig.toast_with(2).await;
    assert!(rig.desk.wm_class(window).await.unwrap().contains("xfce4-notifyd"), "drawn by the notification server");
    assert!(buttons[0].x < buttons[1].x, "Accept left of Reject: {buttons:?}");
    rig.screenshot("accept-reject-toast").await;

    rig.click(buttons[0].center()).await;
    assert_eq!(rig.next_action().await, UserAction::Accepted(41));
    rig.wait_windows(0).await;
    // The daemon closes the toast after the button (reason 2): not reported as anything.
    rig.nothing_else_reported(42).await;
}

// R12 Reject button.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clicking_reject_reports_rejected() {
    let mut rig = rig().await;
    rig.show(offer(51, ACCEPT_REJECT)).await;
    let (_, buttons) = rig.toast_with(2).await;
    rig.click(buttons[1].center()).await;
    assert_eq!(rig.next_action().await, UserAction::Rejected(51));
    rig.wait_windows(0).await;
    rig.nothing_else_reported(52).await;
}

// R13: a click on the body of the toast (not a button) opens the item.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clicking_the_body_reports_opened() {
    let mut rig = rig().await;
    rig.show(offer(61, ACCEPT_REJECT)).await;
    let (window, _) = rig.toast_with(2).await;
    let body = rig.desk.toast_body_point(window).await.unwrap();
    rig.click(body).await;
    assert_eq!(rig.next_action().await, UserAction::Opened(61));
    rig.wait_windows(0).await;
}

// R19: an item that is already assigned gets a single "Open item" button, which opens it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_item_toast_has_one_button_that_opens() {
    let mut rig = rig().await;
    rig.show(offer(71, &[ToastAction::OpenItem])).await;
    let (_, buttons) = rig.toast_with(1).await;
    rig.screenshot("open-item-toast").await;
    rig.click(buttons[0].center()).await;
    assert_eq!(rig.next_action().await, UserAction::Opened(71));
    rig.wait_windows(0).await;
    rig.nothing_else_reported(72).await;
}

// R12: when the offer ends the toast goes away, and that is not reported as the person's doing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdraw_closes_the_toast_without_reporting() {
    let mut rig = rig().await;
    rig.show(offer(81, ACCEPT_REJECT)).await;
    rig.toast_with(2).await;
    rig.notifier.withdraw(81).await.expect("withdrawn");
    rig.wait_windows(0).await;
    // Again, and a key never shown: not errors.
    rig.notifier.withdraw(81).await.expect("withdrawing twice is fine");
    rig.notifier.withdraw(9999).await.expect("withdrawing an unknown key is fine");
    rig.nothing_else_reported(82).await;
}

// R12: showing the same offer again replaces its toast instead of adding one; another offer gets
// its own toast.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn showing_a_key_again_replaces_its_toast() {
    let mut rig = rig().await;
    rig.show(offer(91, ACCEPT_REJECT)).await;
    rig.toast_with(2).await;
    // Same key, now with one button: that window is redrawn in place.
    rig.show(offer(91, &[ToastAction::OpenItem])).await;
    let (replaced, buttons) = rig.toast_with(1).await;
    assert_eq!(rig.desk.notification_windows().await.unwrap(), vec![replaced], "one toast for one key");
    // Another key: a second toast.
    rig.show(offer(92, ACCEPT_REJECT)).await;
    rig.wait_windows(2).await;
    rig.screenshot("two-toasts").await;
    // The replaced toast still answers for its key.
    rig.click(buttons[0].center()).await;
    assert_eq!(rig.next_action().await, UserAction::Opened(91));
    rig.wait_windows(1).await;
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

//! The behaviour every backend owes, written once and run by each platform's tests against its
//! own backend: Linux against the real xfce4-notifyd on Xvfb, clicked with the real pointer
//! (`tests/tests/e2e/notify.rs`); Windows and macOS in their modules' tests on GitHub's runners.
//!
//! A platform supplies a [`Desk`]: what is on its screen, and how a person acts on a toast there.
//! Each check waits for conditions (a toast shown or gone, an action reported) bounded by the
//! desk's [`Desk::wait`]; nothing waits for time alone. A "nothing else was reported" check uses
//! a sentinel: a second toast's body is pressed and its `Opened` must be the next action, so
//! anything wrongly reported about the first toast would have come before it.

use crate::{Actions, ButtonLabels, Notifier, Toast, ToastAction, Urgency, UserAction};
use futures_util::future::BoxFuture;
use std::time::Duration;

/// Calls the caller's macro `$m!` with the name of every asynchronous check of a [`Rig`], so each
/// platform's tests run all of them from this one list, and a check added here reaches every
/// platform: `herald_notify::each_check!(conformance);` with a local `conformance!` that makes
/// one test of each name on that platform's desk.
#[macro_export]
macro_rules! each_check {
    ($m:ident) => {
        $m!(
            accept_reports_accepted,
            reject_reports_rejected,
            body_reports_opened,
            open_item_has_one_button_that_opens,
            withdraw_removes_without_a_report,
            showing_a_key_again_replaces_its_toast,
        );
    };
}

/// What a person does to a toast.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Press {
    /// The button at this position, left to right.
    Button(usize),
    /// The toast's body (not a button).
    Body,
}

/// A platform under test: its screen, and a person in front of it.
pub trait Desk: Send + Sync {
    /// How long a condition may take to come true.
    fn wait(&self) -> Duration {
        Duration::from_secs(20)
    }

    /// Waits until the toast shown for `key` carries `buttons` (their labels, left to right).
    fn wait_shown<'a>(&'a self, key: u64, buttons: &'a [String]) -> BoxFuture<'a, ()>;

    /// Waits until exactly `n` of the app's toasts are shown.
    fn wait_count(&self, n: usize) -> BoxFuture<'_, ()>;

    /// Acts on the toast shown for `key` as a person would.
    fn press(&self, key: u64, press: Press) -> BoxFuture<'_, ()>;
}

/// An offer's toast with these buttons, as the app shows them.
pub fn offer(key: u64, actions: &[ToastAction]) -> Toast {
    Toast {
        key,
        title: format!("New chat from Alice #{key}"),
        body: "Hello, I need help with my bill <urgent> & more".into(),
        fields: vec![("Queue".into(), "Billing".into()), ("Channel".into(), "Web chat".into())],
        actions: actions.to_vec(),
        labels: ButtonLabels::default(),
        urgency: Urgency::Critical,
        sound: Some("message-new-instant".into()),
        icon: None,
        expire: None,
        call: false,
    }
}

pub const ACCEPT_REJECT: &[ToastAction] = &[ToastAction::Accept, ToastAction::Reject];

/// The labels of `actions`' buttons, as [`offer`] shows them.
pub fn labels(actions: &[ToastAction]) -> Vec<String> {
    let l = ButtonLabels::default();
    actions.iter().map(|a| l.of(*a).to_string()).collect()
}

/// A backend, the receiver of its actions, and its platform's desk.
pub struct Rig<'a, D: Desk> {
    pub notifier: &'a dyn Notifier,
    pub actions: &'a mut Actions,
    pub desk: &'a D,
}

impl<D: Desk> std::fmt::Debug for Rig<'_, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rig").field("notifier", &self.notifier).finish_non_exhaustive()
    }
}

impl<D: Desk> Rig<'_, D> {
    async fn show(&self, key: u64, actions: &[ToastAction]) {
        self.notifier.show(offer(key, actions)).await.unwrap_or_else(|e| panic!("toast {key} shown: {e}"));
        self.desk.wait_shown(key, &labels(actions)).await;
    }

    async fn next_action(&mut self) -> UserAction {
        let wait = self.desk.wait();
        tokio::time::timeout(wait, self.actions.recv())
            .await
            .unwrap_or_else(|_| panic!("an action within {wait:?}"))
            .expect("the actions channel stays open")
    }

    /// Shows a sentinel toast, presses its body, and checks that its `Opened` is the next action.
    async fn nothing_else_reported(&mut self, sentinel: u64) {
        self.show(sentinel, ACCEPT_REJECT).await;
        self.desk.press(sentinel, Press::Body).await;
        assert_eq!(self.next_action().await, UserAction::Opened(sentinel), "nothing reported before the sentinel's press");
        self.desk.wait_count(0).await;
    }

    /// R12 Accept: the first button is reported as Accepted, once, and the toast goes.
    pub async fn accept_reports_accepted(&mut self) {
        self.show(41, ACCEPT_REJECT).await;
        self.desk.press(41, Press::Button(0)).await;
        assert_eq!(self.next_action().await, UserAction::Accepted(41));
        self.desk.wait_count(0).await;
        self.nothing_else_reported(42).await;
    }

    /// R12 Reject: the second button.
    pub async fn reject_reports_rejected(&mut self) {
        self.show(51, ACCEPT_REJECT).await;
        self.desk.press(51, Press::Button(1)).await;
        assert_eq!(self.next_action().await, UserAction::Rejected(51));
        self.desk.wait_count(0).await;
        self.nothing_else_reported(52).await;
    }

    /// R13: the body (not a button) opens the item.
    pub async fn body_reports_opened(&mut self) {
        self.show(61, ACCEPT_REJECT).await;
        self.desk.press(61, Press::Body).await;
        assert_eq!(self.next_action().await, UserAction::Opened(61));
        self.desk.wait_count(0).await;
    }

    /// R19: an item already assigned has one "Open item" button, which opens it.
    pub async fn open_item_has_one_button_that_opens(&mut self) {
        self.show(71, &[ToastAction::OpenItem]).await;
        self.desk.press(71, Press::Button(0)).await;
        assert_eq!(self.next_action().await, UserAction::Opened(71));
        self.desk.wait_count(0).await;
        self.nothing_else_reported(72).await;
    }

    /// R12: when the offer ends its toast goes, and that is not reported as the person's doing;
    /// withdrawing twice, or a key never shown, is not an error.
    pub async fn withdraw_removes_without_a_report(&mut self) {
        self.show(81, ACCEPT_REJECT).await;
        self.notifier.withdraw(81).await.expect("withdrawn");
        self.desk.wait_count(0).await;
        self.notifier.withdraw(81).await.expect("withdrawing twice is fine");
        self.notifier.withdraw(9999).await.expect("withdrawing an unknown key is fine");
        self.nothing_else_reported(82).await;
    }

    /// R12: showing an offer again replaces its toast; another offer gets its own; the replaced
    /// toast still answers for its key.
    pub async fn showing_a_key_again_replaces_its_toast(&mut self) {
        self.show(91, ACCEPT_REJECT).await;
        self.show(91, &[ToastAction::OpenItem]).await;
        self.desk.wait_count(1).await;
        self.show(92, ACCEPT_REJECT).await;
        self.desk.wait_count(2).await;
        self.desk.press(91, Press::Button(0)).await;
        assert_eq!(self.next_action().await, UserAction::Opened(91));
        self.desk.wait_count(1).await;
        self.notifier.withdraw(92).await.expect("withdrawn");
        self.desk.wait_count(0).await;
    }

    /// R12: a backend that draws buttons says so, so the app offers Accept and Reject there.
    pub fn says_it_draws_buttons(&self) {
        let caps = self.notifier.capabilities();
        assert!(caps.actions, "buttons on toasts: {caps:?}");
        assert!(caps.server.is_some(), "names the notification service: {caps:?}");
    }
}

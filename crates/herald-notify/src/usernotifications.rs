//! What the macOS backend (`macos`) says to and hears from `UNUserNotificationCenter`, as plain
//! Rust: category and action identifiers, request identifiers, what a response means, and the
//! [`Registry`] of shown toasts. It is compiled and unit-tested on every platform, because the
//! Objective-C glue around it is only ever built on GitHub's macOS runner.
//!
//! # The shape of the conversation
//! - **Buttons live in categories.** A macOS notification does not carry its buttons; it names a
//!   category registered beforehand, and the category carries the buttons. Herald uses five
//!   button sets, so there are five categories ([`categories`]), registered once at start (and
//!   again when the button words change language). A toast names one with [`category`].
//! - **Each offer is one request**, identified by [`request_id`]. Adding a request with an
//!   identifier already shown replaces that notification, which is how a toast is updated.
//! - **The answer is an action identifier** on the response: one of our button ids
//!   ([`ToastAction::id`]), or Apple's identifiers for a click on the body ([`DEFAULT_ACTION`])
//!   and for a dismissal ([`DISMISS_ACTION`], only sent for categories registered with the
//!   custom-dismiss option, which ours are). [`answer`] turns it into a [`UserAction`].
//! - **Plumbing without Objective-C**: [`Answers`] carries responses from the delegate to the
//!   app; [`Reply`] and [`confirmed`] bridge a completion block to async code.

use crate::{Actions, NotifyError, ToastAction, UserAction};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// The action identifier of a click on the notification's body: the value of Apple's
/// `UNNotificationDefaultActionIdentifier` (the macOS tests compare it with the framework's).
pub(crate) const DEFAULT_ACTION: &str = "com.apple.UNNotificationDefaultActionIdentifier";
/// The action identifier of a dismissal: the value of `UNNotificationDismissActionIdentifier`.
pub(crate) const DISMISS_ACTION: &str = "com.apple.UNNotificationDismissActionIdentifier";

/// The domain of the framework's own errors: the value of `UNErrorDomain`.
pub(crate) const ERROR_DOMAIN: &str = "UNErrorDomain";
/// `UNErrorCodeNotificationsNotAllowed`: the person has not allowed Herald's notifications.
pub(crate) const NOT_ALLOWED: isize = 1;
/// What the person is told when notifications are off for Herald (R16).
pub(crate) const TURNED_OFF: &str = "notifications are turned off for Herald in System Settings";

const ACCEPT_REJECT: &str = "herald.accept-reject";
const ACCEPT: &str = "herald.accept";
const REJECT: &str = "herald.reject";
const OPEN_ITEM: &str = "herald.open-item";
const INFO: &str = "herald.info";

/// Every category Herald registers, with its buttons left to right.
const CATEGORIES: [(&str, &[ToastAction]); 5] = [
    (ACCEPT_REJECT, &[ToastAction::Accept, ToastAction::Reject]),
    (ACCEPT, &[ToastAction::Accept]),
    (REJECT, &[ToastAction::Reject]),
    (OPEN_ITEM, &[ToastAction::OpenItem]),
    (INFO, &[]),
];

/// The request identifiers of Herald's toasts start with this, then the key in decimal.
const REQUEST_PREFIX: &str = "herald.offer.";

/// The category of a toast with these buttons.
///
/// Herald only asks for the five sets in [`categories`]. Anything else (another order, a
/// repeat, a mix with "Open item") gets the registered category with the buttons it asked for
/// that matter most: Accept and Reject decide an offer, so they win over "Open item". The
/// result never shows a button that was not asked for, and always shows Accept left of Reject.
pub(crate) fn category(actions: &[ToastAction]) -> &'static str {
    let has = |a: ToastAction| actions.contains(&a);
    match (has(ToastAction::Accept), has(ToastAction::Reject), has(ToastAction::OpenItem)) {
        (true, true, _) => ACCEPT_REJECT,
        (true, false, _) => ACCEPT,
        (false, true, _) => REJECT,
        (false, false, true) => OPEN_ITEM,
        (false, false, false) => INFO,
    }
}

/// Every (category id, buttons) pair, to register with the centre at start.
pub(crate) fn categories() -> &'static [(&'static str, &'static [ToastAction])] {
    &CATEGORIES
}

/// The buttons of a registered category, left to right.
#[cfg(test)]
pub(crate) fn buttons_of(category_id: &str) -> Option<&'static [ToastAction]> {
    CATEGORIES.iter().find(|(id, _)| *id == category_id).map(|(_, actions)| *actions)
}

/// The request identifier of the toast for `key` (the offer id).
pub(crate) fn request_id(key: u64) -> String {
    format!("{REQUEST_PREFIX}{key}")
}

/// The key of one of our request identifiers; `None` for anything else (another app's, a
/// malformed one, or one from a future format).
pub(crate) fn key_of(request_id: &str) -> Option<u64> {
    let digits = request_id.strip_prefix(REQUEST_PREFIX)?;
    let key: u64 = digits.parse().ok()?;
    // Only the exact form we write: no sign, no leading zeros, no spaces.
    (digits == key.to_string()).then_some(key)
}

/// What the person did, from a response's request and action identifiers; `None` when either is
/// not one of ours.
pub(crate) fn answer(request_id: &str, action_identifier: &str) -> Option<UserAction> {
    let key = key_of(request_id)?;
    let action = match action_identifier {
        id if id == ToastAction::Accept.id() => UserAction::Accepted(key),
        id if id == ToastAction::Reject.id() => UserAction::Rejected(key),
        id if id == ToastAction::OpenItem.id() => UserAction::Opened(key),
        DEFAULT_ACTION => UserAction::Opened(key),
        DISMISS_ACTION => UserAction::Dismissed(key),
        _ => return None,
    };
    Some(action)
}

/// Whether the process is an app bundle, from `NSBundle.mainBundle`'s path and identifier.
///
/// `UNUserNotificationCenter` raises an Objective-C exception, which aborts the process, when
/// asked for outside an app bundle (a test binary, `cargo run`). A bare executable can still
/// carry an identifier (an embedded Info.plist), so both must hold.
pub(crate) fn is_app_bundle(bundle_path: &str, bundle_identifier: Option<&str>) -> bool {
    let app = std::path::Path::new(bundle_path).extension().is_some_and(|ext| ext == "app");
    app && bundle_identifier.is_some_and(|id| !id.is_empty())
}

/// The outcome of asking for authorisation: granted, or why not.
pub(crate) fn permission(granted: bool, error: Option<String>) -> Result<(), NotifyError> {
    match (granted, error) {
        (true, _) => Ok(()),
        (false, None) => Err(NotifyError::Unavailable(TURNED_OFF.into())),
        (false, Some(why)) => Err(NotifyError::Unavailable(format!("{TURNED_OFF} ({why})"))),
    }
}

/// The error of a failed `addNotificationRequest`: "not allowed" means the person turned
/// notifications off (unavailable, R16); anything else is a refusal.
pub(crate) fn add_error(domain: &str, code: isize, description: String) -> NotifyError {
    if domain == ERROR_DOMAIN && code == NOT_ALLOWED {
        NotifyError::Unavailable(TURNED_OFF.into())
    } else {
        NotifyError::Refused(format!("{description} ({domain} {code})"))
    }
}

/// How long the centre may take to confirm that it took a request.
pub(crate) const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// What the centre answers to a request, through a completion block.
pub(crate) type Answer = oneshot::Receiver<Result<(), NotifyError>>;

/// The centre's answer to a request, within `within`: a block dropped unanswered, or no answer
/// in time, means the centre is not working.
pub(crate) async fn confirmed(answer: Answer, within: Duration) -> Result<(), NotifyError> {
    match tokio::time::timeout(within, answer).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(NotifyError::Unavailable("the notification centre dropped the request unanswered".into())),
        Err(_) => Err(NotifyError::Unavailable(format!("the notification centre did not answer within {within:?}"))),
    }
}

/// The sending half of an [`Answer`], for a completion block, which Objective-C may call on any
/// thread and (for all Rust knows) more than once: the first reply is kept.
#[derive(Debug)]
pub(crate) struct Reply(Mutex<Option<oneshot::Sender<Result<(), NotifyError>>>>);

pub(crate) fn reply() -> (Reply, Answer) {
    let (tx, rx) = oneshot::channel();
    (Reply(Mutex::new(Some(tx))), rx)
}

impl Reply {
    pub(crate) fn send(&self, result: Result<(), NotifyError>) {
        if let Some(tx) = lock(&self.0).take() {
            let _ = tx.send(result);
        }
    }
}

/// Where responses go: the [`Registry`] decides what they mean, the channel carries it to the
/// app. Shared by the notifier and the centre's delegate, which may call from any thread.
#[derive(Clone, Debug)]
pub(crate) struct Answers {
    pub(crate) registry: Arc<Mutex<Registry>>,
    actions: mpsc::UnboundedSender<UserAction>,
}

impl Answers {
    pub(crate) fn new() -> (Self, Actions) {
        let (actions, rx) = mpsc::unbounded_channel();
        (Self { registry: Arc::default(), actions }, rx)
    }

    /// A response from the centre (or from a test, as if from the centre).
    pub(crate) fn deliver(&self, request_id: &str, action_identifier: &str) {
        let action = lock(&self.registry).respond(request_id, action_identifier);
        tracing::debug!(request_id, action_identifier, ?action, "response (none: not ours, answered or withdrawn)");
        if let Some(action) = action {
            // Nobody listening any more is not an error of ours.
            let _ = self.actions.send(action);
        }
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Plain data behind these locks; a panic elsewhere leaves nothing half-updated that matters
    // more than a toast, so a poisoned lock is used as is.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The keys whose toasts are shown and not yet answered. No I/O: the notifier and the centre's
/// delegate feed it and send what it returns.
///
/// A toast is answered at most once: the first response forgets its key. A response about a
/// key that was withdrawn (the offer ended while the person's click was on its way), or shown
/// by an earlier run of Herald, reports nothing.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    shown: HashSet<u64>,
}

impl Registry {
    /// The toast for `key` was sent to the centre (again). Returns whether it is new.
    pub(crate) fn shown(&mut self, key: u64) -> bool {
        self.shown.insert(key)
    }

    /// The toast for `key` was withdrawn. Returns whether it was shown.
    pub(crate) fn withdrawn(&mut self, key: u64) -> bool {
        self.shown.remove(&key)
    }

    /// A response from the centre; returns what to report, at most once per shown toast.
    /// An unknown action identifier is ignored and leaves the toast answerable.
    pub(crate) fn respond(&mut self, request_id: &str, action_identifier: &str) -> Option<UserAction> {
        let action = answer(request_id, action_identifier)?;
        self.shown.remove(&action.key()).then_some(action)
    }

    /// The keys shown and not yet answered or withdrawn, smallest first.
    #[cfg(test)]
    pub(crate) fn shown_keys(&self) -> Vec<u64> {
        let mut keys: Vec<u64> = self.shown.iter().copied().collect();
        keys.sort_unstable();
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ToastAction::{Accept, OpenItem, Reject};

    #[test]
    fn each_button_set_has_its_own_category_and_every_category_is_registered() {
        let sets: [&[ToastAction]; 5] = [&[Accept, Reject], &[Accept], &[Reject], &[OpenItem], &[]];
        let ids: Vec<&str> = sets.iter().map(|s| category(s)).collect();
        assert_eq!(ids, ["herald.accept-reject", "herald.accept", "herald.reject", "herald.open-item", "herald.info"]);
        let registered: HashSet<&str> = categories().iter().map(|(id, _)| *id).collect();
        assert_eq!(registered.len(), categories().len(), "category ids are unique");
        for (set, id) in sets.iter().zip(&ids) {
            assert!(registered.contains(id), "{id} is registered");
            assert_eq!(buttons_of(id), Some(*set), "{id} carries exactly the buttons asked for");
        }
        for (id, actions) in categories() {
            assert_eq!(category(actions), *id, "a registered category is chosen for its own buttons");
        }
        assert_eq!(buttons_of("herald.nope"), None);
    }

    #[test]
    fn other_combinations_fall_back_without_inventing_buttons() {
        let all = [Accept, Reject, OpenItem];
        // Every sequence of up to three buttons, repeats included.
        let mut combos: Vec<Vec<ToastAction>> = vec![vec![]];
        for _ in 0..3 {
            let longer: Vec<Vec<ToastAction>> =
                combos.iter().flat_map(|c| all.iter().map(move |a| [c.clone(), vec![*a]].concat())).collect();
            combos.extend(longer);
        }
        for combo in &combos {
            let id = category(combo);
            let buttons = buttons_of(id).unwrap_or_else(|| panic!("{id} is registered"));
            assert!(buttons.iter().all(|b| combo.contains(b)), "{combo:?} → {id} adds no button");
            assert_eq!(buttons.is_empty(), combo.is_empty(), "{combo:?} → {id} keeps some button");
        }
        assert_eq!(category(&[Reject, Accept]), "herald.accept-reject", "Accept stays on the left");
        assert_eq!(category(&[OpenItem, Accept]), "herald.accept", "Accept wins over Open item");
    }

    #[test]
    fn request_identifiers_round_trip_and_strangers_are_not_ours() {
        for key in [0, 7, 41, u64::MAX] {
            assert_eq!(key_of(&request_id(key)), Some(key));
        }
        assert_eq!(request_id(41), "herald.offer.41");
        for stranger in [
            "",
            "41",
            "herald.offer.",
            "herald.offer.x",
            "herald.offer.+4",
            "herald.offer.041",
            "herald.offer. 4",
            "other.offer.4",
            "herald.offer.18446744073709551616",
        ] {
            assert_eq!(key_of(stranger), None, "{stranger:?}");
        }
    }

    #[test]
    fn action_identifiers_are_the_button_ids() {
        assert_eq!([Accept.id(), Reject.id(), OpenItem.id()], ["accept", "reject", "open"]);
        assert_eq!(answer("herald.offer.5", "accept"), Some(UserAction::Accepted(5)));
        assert_eq!(answer("herald.offer.5", "reject"), Some(UserAction::Rejected(5)));
        assert_eq!(answer("herald.offer.5", "open"), Some(UserAction::Opened(5)));
    }

    #[test]
    fn a_click_on_the_body_opens_and_a_dismissal_dismisses() {
        assert_eq!(answer("herald.offer.5", DEFAULT_ACTION), Some(UserAction::Opened(5)));
        assert_eq!(answer("herald.offer.5", DISMISS_ACTION), Some(UserAction::Dismissed(5)));
        assert_eq!(DEFAULT_ACTION, "com.apple.UNNotificationDefaultActionIdentifier");
        assert_eq!(DISMISS_ACTION, "com.apple.UNNotificationDismissActionIdentifier");
    }

    #[test]
    fn garbage_is_ignored() {
        assert_eq!(answer("herald.offer.5", "Accept"), None, "identifiers are exact");
        assert_eq!(answer("herald.offer.5", ""), None);
        assert_eq!(answer("someone.else", "accept"), None);
        let mut r = Registry::default();
        r.shown(5);
        assert_eq!(r.respond("herald.offer.5", "com.apple.Other"), None);
        assert_eq!(r.respond("herald.offer.x", "accept"), None);
        assert_eq!(r.shown_keys(), [5], "an unknown answer leaves the toast answerable");
        assert_eq!(r.respond("herald.offer.5", "accept"), Some(UserAction::Accepted(5)));
    }

    #[test]
    fn each_toast_is_reported_once() {
        let mut r = Registry::default();
        assert!(r.shown(5));
        assert!(r.shown(6));
        assert!(!r.shown(5), "showing again replaces");
        assert_eq!(r.shown_keys(), [5, 6]);
        assert_eq!(r.respond("herald.offer.5", "accept"), Some(UserAction::Accepted(5)));
        assert_eq!(r.respond("herald.offer.5", DISMISS_ACTION), None, "already answered");
        assert_eq!(r.respond("herald.offer.5", "reject"), None);
        assert_eq!(r.shown_keys(), [6]);
        // Shown again after its answer: a new toast, answerable again.
        r.shown(5);
        assert_eq!(r.respond("herald.offer.5", DEFAULT_ACTION), Some(UserAction::Opened(5)));
    }

    #[test]
    fn a_late_answer_after_withdrawal_is_silent() {
        let mut r = Registry::default();
        r.shown(8);
        assert!(r.withdrawn(8));
        assert!(!r.withdrawn(8), "withdrawing twice is fine");
        assert!(!r.withdrawn(9999), "so is a key never shown");
        assert_eq!(r.respond("herald.offer.8", "accept"), None);
        assert_eq!(r.respond("herald.offer.3", "accept"), None, "a toast of an earlier run");
        assert!(r.shown_keys().is_empty());
    }

    #[test]
    fn answers_reach_the_app_once() {
        let (answers, mut rx) = Answers::new();
        lock(&answers.registry).shown(5);
        answers.deliver("herald.offer.5", "reject");
        answers.deliver("herald.offer.5", "accept");
        answers.deliver("herald.offer.6", "accept");
        assert_eq!(rx.try_recv().ok(), Some(UserAction::Rejected(5)));
        assert!(rx.try_recv().is_err(), "nothing else");
        drop(rx);
        lock(&answers.registry).shown(7);
        answers.deliver("herald.offer.7", "accept"); // nobody listening: no panic
    }

    #[tokio::test]
    async fn the_centres_confirmation() {
        let (tx, rx) = reply();
        tx.send(Ok(()));
        tx.send(Err(NotifyError::Refused("a second call".into())));
        assert!(confirmed(rx, CALL_TIMEOUT).await.is_ok(), "the first reply is kept");
        let (tx, rx) = reply();
        tx.send(Err(add_error(ERROR_DOMAIN, NOT_ALLOWED, "x".into())));
        assert!(matches!(confirmed(rx, CALL_TIMEOUT).await, Err(NotifyError::Unavailable(m)) if m == TURNED_OFF));
        let (tx, rx) = reply();
        drop(tx);
        assert!(matches!(confirmed(rx, CALL_TIMEOUT).await, Err(NotifyError::Unavailable(m)) if m.contains("unanswered")));
        let (_tx, rx) = reply();
        assert!(matches!(confirmed(rx, Duration::from_millis(1)).await, Err(NotifyError::Unavailable(m)) if m.contains("within")));
    }

    #[test]
    fn only_an_app_bundle_may_ask_for_the_centre() {
        assert!(is_app_bundle("/Applications/Herald.app", Some("com.herald.desktop")));
        assert!(!is_app_bundle("/Applications/Herald.app", None));
        assert!(!is_app_bundle("/Applications/Herald.app", Some("")));
        assert!(!is_app_bundle("/Users/ci/work/target/debug/deps", None));
        assert!(!is_app_bundle("/Users/ci/work/target/debug/deps", Some("com.herald.desktop")));
        assert!(!is_app_bundle("/Users/ci/Herald.apps", Some("com.herald.desktop")));
    }

    #[test]
    fn refusals_and_permissions() {
        assert!(permission(true, None).is_ok());
        assert!(matches!(permission(false, None), Err(NotifyError::Unavailable(m)) if m == TURNED_OFF));
        assert!(matches!(permission(false, Some("boom".into())), Err(NotifyError::Unavailable(m)) if m.contains("boom")));
        assert!(matches!(add_error(ERROR_DOMAIN, NOT_ALLOWED, "x".into()), NotifyError::Unavailable(m) if m == TURNED_OFF));
        assert!(matches!(add_error(ERROR_DOMAIN, 1401, "no content".into()), NotifyError::Refused(m) if m.contains("no content")));
        assert!(matches!(add_error("NSCocoaErrorDomain", NOT_ALLOWED, "x".into()), NotifyError::Refused(_)));
    }
}

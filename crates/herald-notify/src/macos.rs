#![allow(unsafe_code)]
//! macOS: `UNUserNotificationCenter` through objc2; Objective-C glue, the one module allowed unsafe
//! code (every unsafe block says why it is sound). **Only type-checked on the development
//! machines** (Linux only; `scripts/check-platforms.sh` runs clippy for `aarch64-apple-darwin`),
//! never linked or run there: written against the sources of objc2 0.6, objc2-foundation 0.3,
//! objc2-user-notifications 0.3 and block2 0.6, and proven only by GitHub's `macos-latest` runner.
//! The plain-Rust half (identifiers, categories, answers, registry) is `usernotifications`.
//!
//! # Choices
//! - **Only inside an app bundle.** Elsewhere (a test binary, `cargo run`) the centre raises an
//!   Objective-C exception, which aborts the process, so [`MacNotifier::connect`] checks
//!   `NSBundle.mainBundle` first and answers [`NotifyError::Unavailable`] instead.
//! - **Authorisation is asked at sign-in** ([`Notifier::request_permission`]), never in `connect`,
//!   so macOS's "Allow notifications?" comes when expected. `connect` asks nothing and should run
//!   early: a click on a toast that launched Herald reaches the delegate once it is set.
//! - **Buttons come from categories**, one per button set, registered at connect and again when a
//!   toast's words differ (a new language; `setNotificationCategories` replaces the set). Accept
//!   and "Open item" bring Herald to the front. The custom-dismiss option reports dismissals.
//! - **One request per offer**, named by its key; adding it again replaces the toast (Apple's
//!   documented behaviour); `withdraw` removes it. `connect` removes an earlier run's toasts.
//! - **Answers come through the delegate**, held weakly by the centre and so owned by the notifier;
//!   it feeds the registry (one answer per toast, none after a withdrawal). With Herald in front
//!   it still asks for banner, list and sound. Sound is the default one; `Critical` is
//!   time-sensitive on macOS 12+ (past a Focus only with the time-sensitive entitlement).
//!
//! # What the tests here prove
//! The runner cannot click a notification and a test binary is not a bundle: `connect` must
//! refuse there, not crash (tested). The conformance checks use a notifier without the centre
//! ([`MacNotifier::detached`]): `show`/`withdraw` only update the registry and record each
//! request's category, and the desk presses through the delegate's own code. They prove the
//! registry, the delegate's path, the identifiers and the buttons, **not** that macOS draws the
//! toast. Another test compares our identifiers with the framework's and reads back our objects.

use crate::usernotifications::{self as un, Answer, Answers, lock};
use crate::{Actions, ButtonLabels, Capabilities, Notifier, NotifyError, Toast, ToastAction, Urgency};
use block2::{DynBlock, RcBlock};
use futures_util::future::BoxFuture;
use objc2::rc::Retained;
use objc2::runtime::{Bool, ProtocolObject};
use objc2::{AnyThread, DefinedClass, available, define_class, msg_send};
use objc2_foundation::{NSArray, NSBundle, NSError, NSObject, NSObjectProtocol, NSSet, NSString};
use objc2_user_notifications::{
    UNAuthorizationOptions, UNMutableNotificationContent, UNNotification, UNNotificationAction, UNNotificationActionOptions,
    UNNotificationCategory, UNNotificationCategoryOptions, UNNotificationInterruptionLevel, UNNotificationPresentationOptions,
    UNNotificationRequest, UNNotificationResponse, UNNotificationSound, UNUserNotificationCenter, UNUserNotificationCenterDelegate,
};
use std::sync::Mutex;

define_class!(
    // SAFETY: NSObject has no subclassing requirements; `Delegate` does not implement `Drop`; its
    // ivars are `Send + Sync` and it is not main-thread-only (the centre calls on its own queue).
    #[unsafe(super(NSObject))]
    #[ivars = Answers]
    struct Delegate;

    // SAFETY: NSObjectProtocol asks nothing beyond what NSObject already implements.
    unsafe impl NSObjectProtocol for Delegate {}

    // SAFETY: selectors and argument types as declared in objc2-user-notifications 0.3.2; each
    // completion handler is called once, before returning, as the protocol requires.
    unsafe impl UNUserNotificationCenterDelegate for Delegate {
        #[unsafe(method(userNotificationCenter:willPresentNotification:withCompletionHandler:))]
        fn will_present(
            &self,
            _center: &UNUserNotificationCenter,
            _notification: &UNNotification,
            handler: &DynBlock<dyn Fn(UNNotificationPresentationOptions)>,
        ) {
            handler.call((in_front(),));
        }

        #[unsafe(method(userNotificationCenter:didReceiveNotificationResponse:withCompletionHandler:))]
        fn did_receive(&self, _center: &UNUserNotificationCenter, response: &UNNotificationResponse, handler: &DynBlock<dyn Fn()>) {
            let request_id = response.notification().request().identifier().to_string();
            let action_identifier = response.actionIdentifier().to_string();
            self.ivars().deliver(&request_id, &action_identifier);
            handler.call(());
        }
    }
);

impl Delegate {
    fn new(answers: Answers) -> Retained<Self> {
        let this = Self::alloc().set_ivars(answers);
        // SAFETY: NSObject's designated initialiser, once, on a fresh object whose ivars are set.
        unsafe { msg_send![super(this), init] }
    }
}

/// How a toast is presented while Herald is the app in front: as when it is not.
#[allow(deprecated)] // `Alert` is what macOS 10.15 and earlier understand.
fn in_front() -> UNNotificationPresentationOptions {
    if available!(macos = 11.0) {
        UNNotificationPresentationOptions::Banner | UNNotificationPresentationOptions::List | UNNotificationPresentationOptions::Sound
    } else {
        UNNotificationPresentationOptions::Alert | UNNotificationPresentationOptions::Sound
    }
}

/// Where toasts go.
enum Centre {
    /// The process's centre, with this delegate set; it holds it weakly, so the notifier owns it.
    System { _delegate: Retained<Delegate> },
    /// Tests only (no bundle, no centre): the category each shown key's request would carry.
    #[cfg(test)]
    Detached { requests: Mutex<std::collections::HashMap<u64, &'static str>> },
}

/// Toasts through `UNUserNotificationCenter` (see the module docs).
pub struct MacNotifier {
    answers: Answers,
    /// The button words the registered categories carry.
    labels: Mutex<ButtonLabels>,
    /// Serialises shows and withdraws, so a withdraw racing a show of its key comes after it.
    calls: tokio::sync::Mutex<()>,
    centre: Centre,
}

impl std::fmt::Debug for MacNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MacNotifier").field("answers", &self.answers).field("draws", &self.draws()).finish_non_exhaustive()
    }
}

impl MacNotifier {
    /// Sets up the centre: delegate, categories, no toasts of an earlier run. Asks the person
    /// nothing (see [`Notifier::request_permission`]). Outside an app bundle: `Unavailable`.
    pub fn connect(app_name: &str) -> Result<(Self, Actions), NotifyError> {
        let bundle = NSBundle::mainBundle();
        let path = bundle.bundlePath().to_string();
        let identifier = bundle.bundleIdentifier().map(|id| id.to_string());
        if !un::is_app_bundle(&path, identifier.as_deref()) {
            return Err(NotifyError::Unavailable(format!(
                "macOS shows notifications only for an app bundle (Herald.app); running unbundled from {path}, {app_name} shows no toasts"
            )));
        }
        let (answers, rx) = Answers::new();
        let delegate = Delegate::new(answers.clone());
        let centre = UNUserNotificationCenter::currentNotificationCenter();
        centre.setDelegate(Some(ProtocolObject::from_ref(&*delegate)));
        let labels = ButtonLabels::default();
        register_categories(&centre, &labels);
        centre.removeAllDeliveredNotifications();
        centre.removeAllPendingNotificationRequests();
        tracing::info!(bundle = identifier.as_deref(), app_name, "connected to the macOS notification centre");
        let notifier = Self::with(answers, labels, Centre::System { _delegate: delegate });
        Ok((notifier, rx))
    }

    fn with(answers: Answers, labels: ButtonLabels, centre: Centre) -> Self {
        Self { answers, labels: Mutex::new(labels), calls: tokio::sync::Mutex::new(()), centre }
    }

    /// Whether toasts reach the system centre (always, outside tests).
    fn draws(&self) -> bool {
        match self.centre {
            Centre::System { .. } => true,
            #[cfg(test)]
            Centre::Detached { .. } => false,
        }
    }

    /// Registers the categories again when `labels` are not the words they carry.
    fn use_labels(&self, labels: &ButtonLabels) {
        let mut registered = lock(&self.labels);
        if *registered == *labels {
            return;
        }
        if self.draws() {
            register_categories(&UNUserNotificationCenter::currentNotificationCenter(), labels);
            tracing::debug!(?labels, "toast categories registered again with new button words");
        }
        *registered = labels.clone();
    }

    async fn show_toast(&self, toast: Toast) -> Result<(), NotifyError> {
        let _serial = self.calls.lock().await;
        self.use_labels(&toast.labels);
        // Known before the centre has it, so a very quick answer is not lost.
        let new = lock(&self.answers.registry).shown(toast.key);
        let answer = match &self.centre {
            Centre::System { .. } => post(&toast),
            #[cfg(test)]
            Centre::Detached { requests } => {
                lock(requests).insert(toast.key, un::category(&toast.actions));
                return Ok(());
            }
        };
        let result = un::confirmed(answer, un::CALL_TIMEOUT).await;
        tracing::debug!(key = toast.key, ?result, "toast handed to the centre");
        if result.is_err() && new {
            lock(&self.answers.registry).withdrawn(toast.key);
        }
        result
    }

    async fn withdraw_toast(&self, key: u64) -> Result<(), NotifyError> {
        let _serial = self.calls.lock().await;
        let was_shown = lock(&self.answers.registry).withdrawn(key);
        match &self.centre {
            // Removed even when answered: the toast may still be in the notification list.
            Centre::System { .. } => remove(key),
            #[cfg(test)]
            Centre::Detached { requests } => {
                lock(requests).remove(&key);
            }
        }
        tracing::debug!(key, was_shown, "toast withdrawn");
        Ok(())
    }

    async fn ask_permission(&self) -> Result<(), NotifyError> {
        if !self.draws() {
            return Ok(());
        }
        // No deadline: the person may take their time over the question.
        request_authorization().await.unwrap_or_else(|_| Err(NotifyError::Unavailable("the notification centre never answered".into())))
    }
}

impl Notifier for MacNotifier {
    fn capabilities(&self) -> Capabilities {
        // Not persistent: banners go away by themselves; the "Alerts" style is the person's choice.
        Capabilities { actions: true, persistence: false, sound: true, body_markup: false, server: Some("macOS User Notifications".into()) }
    }

    fn show(&self, toast: Toast) -> BoxFuture<'_, Result<(), NotifyError>> {
        Box::pin(self.show_toast(toast))
    }

    fn withdraw(&self, key: u64) -> BoxFuture<'_, Result<(), NotifyError>> {
        Box::pin(self.withdraw_toast(key))
    }

    fn request_permission(&self) -> BoxFuture<'_, Result<(), NotifyError>> {
        Box::pin(self.ask_permission())
    }
}

/// Replaces the centre's categories with ours, their buttons titled with `labels`.
fn register_categories(centre: &UNUserNotificationCenter, labels: &ButtonLabels) {
    let categories: Vec<Retained<UNNotificationCategory>> =
        un::categories().iter().map(|(id, actions)| category(id, actions, labels)).collect();
    centre.setNotificationCategories(&NSSet::from_retained_slice(&categories));
}

fn category(id: &str, actions: &[ToastAction], labels: &ButtonLabels) -> Retained<UNNotificationCategory> {
    let buttons: Vec<Retained<UNNotificationAction>> = actions.iter().map(|a| button(*a, labels)).collect();
    UNNotificationCategory::categoryWithIdentifier_actions_intentIdentifiers_options(
        &NSString::from_str(id),
        &NSArray::from_retained_slice(&buttons),
        &NSArray::<NSString>::new(),
        UNNotificationCategoryOptions::CustomDismissAction,
    )
}

fn button(action: ToastAction, labels: &ButtonLabels) -> Retained<UNNotificationAction> {
    let options = match action {
        ToastAction::Accept | ToastAction::OpenItem => UNNotificationActionOptions::Foreground,
        ToastAction::Reject => UNNotificationActionOptions::empty(),
    };
    UNNotificationAction::actionWithIdentifier_title_options(
        &NSString::from_str(action.id()),
        &NSString::from_str(labels.of(action)),
        options,
    )
}

/// The request for `toast`: its text, its category, its sound and urgency; no trigger (now).
fn request(toast: &Toast) -> Retained<UNNotificationRequest> {
    let content = UNMutableNotificationContent::new();
    content.setTitle(&NSString::from_str(&toast.title));
    content.setBody(&NSString::from_str(&toast.body_text()));
    content.setCategoryIdentifier(&NSString::from_str(un::category(&toast.actions)));
    if toast.sound.is_some() {
        content.setSound(Some(&*UNNotificationSound::defaultSound()));
    }
    if toast.urgency == Urgency::Critical && available!(macos = 12.0) {
        content.setInterruptionLevel(UNNotificationInterruptionLevel::TimeSensitive);
    }
    UNNotificationRequest::requestWithIdentifier_content_trigger(&NSString::from_str(&un::request_id(toast.key)), &content, None)
}

/// Hands `toast` to the centre; the answer comes through the completion block. Every Objective-C
/// object is dropped before this returns, so the caller's future stays `Send`.
fn post(toast: &Toast) -> Answer {
    let (reply, rx) = un::reply();
    let added = RcBlock::new(move |error: *mut NSError| {
        // SAFETY: the centre passes nil or a valid NSError that lives for this call.
        reply.send(match unsafe { error.as_ref() } {
            None => Ok(()),
            Some(e) => Err(un::add_error(&e.domain().to_string(), e.code(), e.localizedDescription().to_string())),
        });
    });
    UNUserNotificationCenter::currentNotificationCenter().addNotificationRequest_withCompletionHandler(&request(toast), Some(&*added));
    rx
}

/// Removes the toast for `key`, whether delivered or still pending.
fn remove(key: u64) {
    let ids = NSArray::from_retained_slice(&[NSString::from_str(&un::request_id(key))]);
    let centre = UNUserNotificationCenter::currentNotificationCenter();
    centre.removeDeliveredNotificationsWithIdentifiers(&ids);
    centre.removePendingNotificationRequestsWithIdentifiers(&ids);
}

/// Asks for alerts, sounds and badges; macOS shows its question the first time only.
fn request_authorization() -> Answer {
    let (reply, rx) = un::reply();
    let answered = RcBlock::new(move |granted: Bool, error: *mut NSError| {
        // SAFETY: the centre passes nil or a valid NSError that lives for this call.
        let why = unsafe { error.as_ref() }.map(|e| e.localizedDescription().to_string());
        reply.send(un::permission(granted.as_bool(), why));
    });
    let options = UNAuthorizationOptions::Alert | UNAuthorizationOptions::Sound | UNAuthorizationOptions::Badge;
    UNUserNotificationCenter::currentNotificationCenter().requestAuthorizationWithOptions_completionHandler(options, &answered);
    rx
}

#[cfg(test)]
impl MacNotifier {
    /// A notifier without the centre (see the module docs): shows and withdraws only update the
    /// registry and the recorded requests.
    pub(crate) fn detached() -> (Self, Actions) {
        let (answers, rx) = Answers::new();
        let centre = Centre::Detached { requests: Mutex::default() };
        (Self::with(answers, ButtonLabels::default(), centre), rx)
    }

    /// A response as the centre would send it, through the delegate's own code.
    pub(crate) fn respond(&self, request_id: &str, action_identifier: &str) {
        self.answers.deliver(request_id, action_identifier);
    }

    /// The buttons of the toast shown for `key`, from the category its request carries.
    fn buttons(&self, key: u64) -> &'static [ToastAction] {
        let Centre::Detached { requests } = &self.centre else { panic!("a detached notifier") };
        let category = lock(requests).get(&key).copied().unwrap_or_else(|| panic!("toast {key} requested"));
        un::buttons_of(category).unwrap_or_else(|| panic!("{category} registered"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::{self, Desk, Press, Rig};

    /// The screen, as far as a detached notifier knows it, and a person pressing on it.
    struct MacDesk<'a> {
        notifier: &'a MacNotifier,
    }

    impl Desk for MacDesk<'_> {
        fn wait_shown<'a>(&'a self, key: u64, buttons: &'a [String]) -> BoxFuture<'a, ()> {
            Box::pin(async move {
                assert!(lock(&self.notifier.answers.registry).shown_keys().contains(&key), "toast {key} shown");
                let labels = lock(&self.notifier.labels).clone();
                let drawn: Vec<String> = self.notifier.buttons(key).iter().map(|a| labels.of(*a).to_string()).collect();
                assert_eq!(drawn, buttons, "the buttons of toast {key}");
            })
        }

        fn wait_count(&self, n: usize) -> BoxFuture<'_, ()> {
            Box::pin(async move { assert_eq!(lock(&self.notifier.answers.registry).shown_keys().len(), n, "toasts shown") })
        }

        fn press(&self, key: u64, press: Press) -> BoxFuture<'_, ()> {
            Box::pin(async move {
                let action = match press {
                    Press::Button(i) => self.notifier.buttons(key)[i].id(),
                    Press::Body => un::DEFAULT_ACTION,
                };
                self.notifier.respond(&un::request_id(key), action);
            })
        }
    }

    macro_rules! check {
        ($($check:ident),* $(,)?) => {$(
            #[tokio::test]
            async fn $check() {
                let (notifier, mut actions) = MacNotifier::detached();
                let desk = MacDesk { notifier: &notifier };
                Rig { notifier: &notifier, actions: &mut actions, desk: &desk }.$check().await;
            }
        )*};
    }

    crate::each_check!(check);

    #[tokio::test]
    async fn says_it_draws_buttons() {
        let (notifier, mut actions) = MacNotifier::detached();
        let desk = MacDesk { notifier: &notifier };
        Rig { notifier: &notifier, actions: &mut actions, desk: &desk }.says_it_draws_buttons();
    }

    #[tokio::test]
    async fn new_button_words_are_registered() {
        let (notifier, _actions) = MacNotifier::detached();
        let mut toast = conformance::offer(5, conformance::ACCEPT_REJECT);
        toast.labels.accept = "Annehmen".into();
        notifier.show(toast).await.expect("shown");
        assert_eq!(lock(&notifier.labels).accept, "Annehmen");
    }

    #[test]
    fn connect_refuses_cleanly_outside_a_bundle() {
        match MacNotifier::connect("Herald") {
            Err(NotifyError::Unavailable(why)) => assert!(why.contains("app bundle"), "{why}"),
            other => panic!("a test binary is not Herald.app: {other:?}"),
        }
    }

    #[test]
    fn the_frameworks_identifiers_and_our_objects_agree_with_ours() {
        use objc2_user_notifications::{UNErrorDomain, UNNotificationDefaultActionIdentifier, UNNotificationDismissActionIdentifier};
        // SAFETY: constant NSStrings exported by UserNotifications.framework, never written.
        let (default, dismiss, domain) =
            unsafe { (UNNotificationDefaultActionIdentifier, UNNotificationDismissActionIdentifier, UNErrorDomain) };
        assert_eq!(default.to_string(), un::DEFAULT_ACTION);
        assert_eq!(dismiss.to_string(), un::DISMISS_ACTION);
        assert_eq!(domain.map(|d| d.to_string()).as_deref(), Some(un::ERROR_DOMAIN));
        let labels = ButtonLabels { accept: "Annehmen".into(), ..ButtonLabels::default() };
        for (id, actions) in un::categories() {
            let c = category(id, actions, &labels);
            assert_eq!(c.identifier().to_string(), *id);
            assert!(c.options().contains(UNNotificationCategoryOptions::CustomDismissAction));
            let drawn: Vec<(String, String)> =
                c.actions().to_vec().iter().map(|b| (b.identifier().to_string(), b.title().to_string())).collect();
            let wanted: Vec<(String, String)> = actions.iter().map(|a| (a.id().to_string(), labels.of(*a).to_string())).collect();
            assert_eq!(drawn, wanted, "{id}");
        }
        let toast = conformance::offer(41, &[ToastAction::OpenItem]);
        let r = request(&toast);
        assert_eq!(r.identifier().to_string(), "herald.offer.41");
        assert_eq!(r.content().categoryIdentifier().to_string(), "herald.open-item");
        assert_eq!(r.content().title().to_string(), toast.title);
        assert_eq!(r.content().body().to_string(), toast.body_text());
    }
}

//! The platform-independent half of the Windows backend: the toast's XML, the activation
//! arguments its buttons carry, and the bookkeeping that turns WinRT's events into at most one
//! [`UserAction`] per toast. Plain Rust, so it is compiled and unit-tested on every platform; the
//! WinRT calls that use it are in `windows` (compiled only on Windows).
//!
//! # Choices
//! - **One toast per offer, found by tag.** Every toast is in the group [`GROUP`] with the tag
//!   [`tag`]`(key)`, so withdrawing or replacing it needs nothing but its key.
//! - **The arguments say everything.** A button's `arguments` (and the body's `launch`) is
//!   `verb:key` ([`button_arguments`], [`body_arguments`]): the `Activated` event hands back only
//!   that string, and [`parse_arguments`] turns it into the action without any lookup.
//! - **Scenarios need buttons.** `incomingCall` (a call) and `reminder` (a critical offer) keep the
//!   toast on screen until answered, but Windows only honours them on a toast with at least one
//!   button, so an informational toast never asks for one.
//! - **XML is written as text, escaped here.** Customers' words reach the title and body, so every
//!   text and attribute value goes through [`escape`].

use crate::{Toast, ToastAction, Urgency, UserAction};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

/// The group every Herald offer toast belongs to.
pub(crate) const GROUP: &str = "offers";

/// 100-nanosecond ticks between 1601-01-01 (WinRT's `DateTime` epoch) and 1970-01-01 (Unix's).
const TICKS_TO_UNIX_EPOCH: i64 = 116_444_736_000_000_000;

/// The toast's tag for `key`. WinRT tags are at most 64 characters; a `u64` is at most 20 digits.
pub(crate) fn tag(key: u64) -> String {
    key.to_string()
}

/// What a click on `action`'s button hands to the `Activated` event.
pub(crate) fn button_arguments(key: u64, action: ToastAction) -> String {
    format!("{}:{key}", action.id())
}

/// What a click on the toast's body hands to the `Activated` event (the toast's `launch`).
pub(crate) fn body_arguments(key: u64) -> String {
    button_arguments(key, ToastAction::OpenItem)
}

/// Reads the arguments of an activation: `accept:41`, `reject:41` or `open:41`. Anything else
/// (empty, another verb, a key that is not a plain decimal number) is not ours: `None`.
pub(crate) fn parse_arguments(arguments: &str) -> Option<UserAction> {
    let (verb, key) = arguments.split_once(':')?;
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let key: u64 = key.parse().ok()?;
    match verb {
        "accept" => Some(UserAction::Accepted(key)),
        "reject" => Some(UserAction::Rejected(key)),
        "open" => Some(UserAction::Opened(key)),
        _ => None,
    }
}

/// The toast's XML (Windows toast schema, `ToastGeneric` binding). See the module docs.
pub(crate) fn toast_xml(toast: &Toast) -> String {
    let key = toast.key;
    let scenario = scenario(toast);
    let mut xml = format!(r#"<toast launch="{}" activationType="foreground""#, escape(&body_arguments(key)));
    if let Some(scenario) = scenario {
        xml.push_str(&format!(r#" scenario="{scenario}""#));
    }
    xml.push_str(r#"><visual><binding template="ToastGeneric">"#);
    xml.push_str(&format!("<text>{}</text>", escape(&toast.title)));
    let body = toast.body_text();
    if !body.is_empty() {
        xml.push_str(&format!("<text>{}</text>", escape(&body)));
    }
    if let Some(icon) = toast.icon.as_deref().filter(|i| Path::new(i).is_absolute()) {
        let src = format!("file:///{}", icon.trim_start_matches('/'));
        xml.push_str(&format!(r#"<image placement="appLogoOverride" src="{}"/>"#, escape(&src)));
    }
    xml.push_str("</binding></visual>");
    if !toast.actions.is_empty() {
        xml.push_str("<actions>");
        for action in &toast.actions {
            xml.push_str(&format!(
                r#"<action content="{}" arguments="{}" activationType="foreground"/>"#,
                escape(toast.labels.of(*action)),
                escape(&button_arguments(key, *action)),
            ));
        }
        xml.push_str("</actions>");
    }
    xml.push_str(audio(toast, scenario));
    xml.push_str("</toast>");
    xml
}

/// `incomingCall` for a call, `reminder` for a critical offer; only on a toast with buttons.
fn scenario(toast: &Toast) -> Option<&'static str> {
    if toast.actions.is_empty() {
        None
    } else if toast.call {
        Some("incomingCall")
    } else if toast.urgency == Urgency::Critical {
        Some("reminder")
    } else {
        None
    }
}

/// Silence, the ringtone, or the default notification sound. The looping ringtone goes only with
/// the `incomingCall` scenario: a looping sound on any other toast needs `duration="long"` and
/// would stop when the toast leaves the screen anyway, so a call without buttons (no scenario)
/// rings once, like any toast.
fn audio(toast: &Toast, scenario: Option<&str>) -> &'static str {
    if toast.sound.is_none() {
        r#"<audio silent="true"/>"#
    } else if toast.call && scenario == Some("incomingCall") {
        r#"<audio src="ms-winsoundevent:Notification.Looping.Call" loop="true"/>"#
    } else {
        r#"<audio src="ms-winsoundevent:Notification.Default"/>"#
    }
}

/// Escapes text and attribute values for XML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// `Windows.Foundation.DateTime` ticks (100 ns since 1601) for `expire` after `now` (the time
/// since the Unix epoch); saturates rather than overflowing.
pub(crate) fn expiration_ticks(now: Duration, expire: Duration) -> i64 {
    let at = now.saturating_add(expire);
    let ticks = at.as_secs().saturating_mul(10_000_000).saturating_add(u64::from(at.subsec_nanos() / 100));
    i64::try_from(ticks).unwrap_or(i64::MAX).saturating_add(TICKS_TO_UNIX_EPOCH)
}

/// Which offers have a toast on screen or in the Action Center. No I/O: the event handlers and
/// the notifier feed it and send what it returns. A toast answered once is forgotten, so it
/// cannot be answered twice (a button click and a late dismissal, or a click that races a
/// withdraw).
#[derive(Debug, Default)]
pub(crate) struct Registry {
    shown: BTreeSet<u64>,
}

impl Registry {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A toast for `key` was (or is about to be) shown; showing a key again changes nothing.
    pub(crate) fn shown(&mut self, key: u64) {
        self.shown.insert(key);
    }

    /// Forgets `key`; whether it was shown.
    pub(crate) fn withdrawn(&mut self, key: u64) -> bool {
        self.shown.remove(&key)
    }

    /// The `Activated` event's arguments: the action to report, if they are ours and the toast is
    /// still shown.
    pub(crate) fn activated(&mut self, arguments: &str) -> Option<UserAction> {
        let action = parse_arguments(arguments)?;
        self.shown.remove(&action.key()).then_some(action)
    }

    /// The `Dismissed` event. Only the person's dismissal is reported (and forgets the toast).
    /// Hidden by the app (our own withdraw or replacement, already accounted for) or timed out
    /// (the popup faded into the Action Center, where it can still be clicked) reports nothing
    /// and keeps the toast.
    pub(crate) fn dismissed(&mut self, key: u64, by_user: bool) -> Option<UserAction> {
        (by_user && self.shown.remove(&key)).then_some(UserAction::Dismissed(key))
    }

    /// The keys shown, in order.
    pub(crate) fn shown_keys(&self) -> Vec<u64> {
        self.shown.iter().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::ACCEPT_REJECT;

    /// The toast every backend's conformance checks show (key 41).
    fn toast(actions: &[ToastAction]) -> Toast {
        crate::conformance::offer(41, actions)
    }

    #[test]
    fn accept_reject_toast() {
        let xml = toast_xml(&toast(ACCEPT_REJECT));
        assert_eq!(
            xml,
            concat!(
                r#"<toast launch="open:41" activationType="foreground" scenario="reminder">"#,
                r#"<visual><binding template="ToastGeneric"><text>New chat from Alice #41</text>"#,
                "<text>Hello, I need help with my bill &lt;urgent&gt; &amp; more\nQueue: Billing\nChannel: Web chat</text>",
                "</binding></visual>",
                r#"<actions><action content="Accept" arguments="accept:41" activationType="foreground"/>"#,
                r#"<action content="Reject" arguments="reject:41" activationType="foreground"/></actions>"#,
                r#"<audio src="ms-winsoundevent:Notification.Default"/></toast>"#,
            )
        );
    }

    #[test]
    fn labels_and_attributes_are_escaped() {
        let mut t = toast(&[ToastAction::Accept]);
        t.labels.accept = r#"Take "it" & go"#.into();
        t.title = "O'Brien <b>".into();
        let xml = toast_xml(&t);
        assert!(xml.contains(r#"content="Take &quot;it&quot; &amp; go""#), "{xml}");
        assert!(xml.contains("<text>O&apos;Brien &lt;b&gt;</text>"), "{xml}");
    }

    #[test]
    fn a_call_rings_in_the_incoming_call_layout() {
        let mut t = toast(ACCEPT_REJECT);
        t.call = true;
        let xml = toast_xml(&t);
        assert!(xml.contains(r#"scenario="incomingCall""#), "{xml}");
        assert!(xml.ends_with(r#"<audio src="ms-winsoundevent:Notification.Looping.Call" loop="true"/></toast>"#), "{xml}");
        t.sound = None;
        assert!(toast_xml(&t).ends_with(r#"<audio silent="true"/></toast>"#));
    }

    #[test]
    fn silence_and_the_plain_sound() {
        let mut t = toast(ACCEPT_REJECT);
        t.sound = None;
        assert!(toast_xml(&t).ends_with(r#"<audio silent="true"/></toast>"#));
        t.urgency = Urgency::Normal;
        t.sound = Some("message-new-instant".into());
        let xml = toast_xml(&t);
        assert!(!xml.contains("scenario="), "only critical offers insist: {xml}");
        assert!(xml.ends_with(r#"<audio src="ms-winsoundevent:Notification.Default"/></toast>"#));
    }

    #[test]
    fn open_item_toast_has_one_button() {
        let xml = toast_xml(&toast(&[ToastAction::OpenItem]));
        assert!(
            xml.contains(r#"<actions><action content="Open item" arguments="open:41" activationType="foreground"/></actions>"#),
            "{xml}"
        );
        assert_eq!(xml.matches("<action ").count(), 1);
    }

    #[test]
    fn informational_toast_has_no_actions_and_no_scenario() {
        let mut t = toast(&[]);
        t.call = true;
        let xml = toast_xml(&t);
        assert!(!xml.contains("<actions"), "{xml}");
        assert!(!xml.contains("scenario="), "{xml}");
        assert!(!xml.contains("Looping"), "{xml}");
        assert!(xml.starts_with(r#"<toast launch="open:41" activationType="foreground">"#), "{xml}");
    }

    #[test]
    fn an_absolute_icon_is_the_app_logo() {
        let mut t = toast(&[]);
        t.icon = Some("dialog-information".into());
        assert!(!toast_xml(&t).contains("<image"), "a theme name is not a file");
        let path = std::env::temp_dir().join("herald.png");
        let path = path.to_string_lossy().into_owned();
        t.icon = Some(path.clone());
        let src = escape(&format!("file:///{}", path.trim_start_matches('/')));
        assert!(toast_xml(&t).contains(&format!(r#"<image placement="appLogoOverride" src="{src}"/></binding>"#)));
    }

    #[test]
    fn arguments_round_trip() {
        for (action, reported) in [
            (ToastAction::Accept, UserAction::Accepted(41)),
            (ToastAction::Reject, UserAction::Rejected(41)),
            (ToastAction::OpenItem, UserAction::Opened(41)),
        ] {
            assert_eq!(parse_arguments(&button_arguments(41, action)), Some(reported));
        }
        assert_eq!(parse_arguments(&body_arguments(u64::MAX)), Some(UserAction::Opened(u64::MAX)));
        for garbage in [
            "",
            "accept",
            "accept:",
            "accept:x",
            "accept:+4",
            "accept:-4",
            "accept:4 ",
            "dismiss:4",
            "Accept:4",
            "accept:99999999999999999999",
        ] {
            assert_eq!(parse_arguments(garbage), None, "{garbage:?}");
        }
        assert!(tag(u64::MAX).len() <= 64);
    }

    #[test]
    fn expiration_in_winrt_ticks() {
        assert_eq!(expiration_ticks(Duration::ZERO, Duration::ZERO), TICKS_TO_UNIX_EPOCH);
        assert_eq!(expiration_ticks(Duration::from_secs(1), Duration::from_micros(1)), TICKS_TO_UNIX_EPOCH + 10_000_010);
        assert_eq!(expiration_ticks(Duration::MAX, Duration::MAX), i64::MAX);
    }

    #[test]
    fn one_report_per_toast() {
        let mut r = Registry::new();
        r.shown(41);
        r.shown(42);
        assert_eq!(r.activated("accept:41"), Some(UserAction::Accepted(41)));
        assert_eq!(r.activated("reject:41"), None, "answered once");
        assert_eq!(r.dismissed(41, true), None, "answered once");
        assert_eq!(r.activated("accept:99"), None, "not shown");
        assert_eq!(r.activated("garbage"), None);
        assert_eq!(r.shown_keys(), vec![42]);
    }

    #[test]
    fn a_late_activation_after_withdraw_reports_nothing() {
        let mut r = Registry::new();
        r.shown(41);
        assert!(r.withdrawn(41));
        assert!(!r.withdrawn(41));
        assert_eq!(r.activated("accept:41"), None);
        r.shown(41);
        r.shown(41);
        assert_eq!(r.activated("open:41"), Some(UserAction::Opened(41)), "shown again: answerable again");
    }

    #[test]
    fn dismissal_by_the_user_or_by_the_app() {
        let mut r = Registry::new();
        r.shown(41);
        assert_eq!(r.dismissed(41, false), None, "hidden by us or timed out");
        assert_eq!(r.shown_keys(), vec![41], "still in the Action Center");
        assert_eq!(r.dismissed(41, true), Some(UserAction::Dismissed(41)));
        assert_eq!(r.dismissed(41, true), None);
        assert_eq!(r.activated("accept:41"), None);
        assert!(r.shown_keys().is_empty());
    }
}

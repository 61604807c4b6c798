//! The model without a workspace, a notifier or a window: events in, effects out, made-up
//! times. `NOW` is local time and the workspace's clock agrees with it unless a test says not.

use super::*;
use crate::fixtures::{self, agent, offer, session};
use crate::view::{NotificationMode, SettingsInput};
use herald_protocol::{AgentEvent, BasePresence, OfferAction, Scenario, WorkItemId};

mod ringing;
mod unseen;
use ringing::rings;

const NOW: Timestamp = Timestamp(1_000);
const BACKGROUND: Focus = Focus::Unfocused;

/// A model linked to its workspace, the agent known, the event log at 10.
fn linked(mode: NotificationMode) -> Model {
    let mut m = fixtures::model(mode);
    m.apply(NOW, Focus::Hidden, Event::Relink);
    let link = m.link();
    let base = "https://herald.example.com/".to_string();
    m.apply(NOW, Focus::Hidden, Event::Link { link, change: LinkChange::Connecting { url: base.clone(), base } });
    let me = Me { agent: agent("Ada", BasePresence::Available), sessions: Vec::new(), offers: Vec::new(), last_seq: 10 };
    m.apply(NOW, Focus::Hidden, Event::Snapshot { link, me });
    m
}

fn entry(m: &Model, seq: u64, event: AgentEvent) -> Event {
    Event::Entry { link: m.link(), entry: EventEnvelope { seq, agent: AgentId(1), at: NOW, event } }
}

/// The effects other than publishing the state and ringing (checked on their own).
fn acts(fx: Vec<Effect>) -> Vec<Effect> {
    fx.into_iter().filter(|e| !matches!(e, Effect::Publish(_) | Effect::Ring(_)) && !is_sound_note(e)).collect()
}

/// A ring's note on the offer's timeline (checked with the rings).
fn is_sound_note(e: &Effect) -> bool {
    matches!(e, Effect::Call(Call::Note { kind: herald_protocol::NoteKind::SoundPlayed, .. }, _))
}

/// The effects other than the notes for the offer's timeline (checked on their own).
fn unnoted(fx: Vec<Effect>) -> Vec<Effect> {
    fx.into_iter().filter(|e| !matches!(e, Effect::Call(Call::Note { .. }, _))).collect()
}

fn toasts(fx: &[Effect]) -> Vec<OfferId> {
    fx.iter().filter_map(|e| if let Effect::ShowToast(t) = e { Some(OfferId(t.key)) } else { None }).collect()
}

/// Offer `id` arrives as entry `seq`.
fn arrives(m: &mut Model, focus: Focus, seq: u64, id: u64) -> Vec<Effect> {
    let e = entry(m, seq, AgentEvent::OfferCreated(offer(id)));
    acts(m.apply(NOW, focus, e))
}

#[test]
fn r11_an_offer_in_the_background_toasts_and_is_receipted() {
    let mut m = linked(NotificationMode::Background);
    let fx = arrives(&mut m, BACKGROUND, 11, 7);
    assert_eq!(toasts(&fx), vec![OfferId(7)]);
    let Effect::ShowToast(t) = &fx[0] else { panic!("{fx:?}") };
    assert_eq!(t.title, "Chat with Ada");
    // R14: the toast goes by itself at the deadline (91 s on the workspace's clock).
    assert_eq!(t.expire, Some(std::time::Duration::from_secs(90)));
    // R26: shown, so the workspace hears it was displayed.
    assert_eq!(fx[1], Effect::Call(Call::Displayed(OfferId(7)), Origin::Background));
    assert!(m.state().offers[0].toasted);
}

#[test]
fn r11_an_offer_while_herald_is_focused_shows_in_the_window_only() {
    let mut m = linked(NotificationMode::Background);
    let fx = arrives(&mut m, Focus::Focused, 11, 7);
    assert_eq!(fx, vec![Effect::Call(Call::Displayed(OfferId(7)), Origin::Background)], "in-app alert seen: receipt, no toast");
    assert!(!m.state().offers[0].toasted);
    assert_eq!(m.next_deadline(), Some(Timestamp(91_000)), "no toast to close: only the ring stops at the deadline");
}

#[test]
fn r11_hidden_with_toasts_off_is_neither_toasted_nor_receipted() {
    let mut m = linked(NotificationMode::Off);
    assert_eq!(arrives(&mut m, Focus::Hidden, 11, 7), vec![], "nobody saw it: R26 keeps it unreceipted");
    assert_eq!(m.state().offers.len(), 1);
    let mut m = linked(NotificationMode::Always);
    assert_eq!(toasts(&arrives(&mut m, Focus::Focused, 11, 7)), vec![OfferId(7)], "Always toasts in front too");
}

#[test]
fn r11_r33_going_to_the_background_toasts_a_pending_offer_once() {
    let mut m = linked(NotificationMode::Background);
    arrives(&mut m, Focus::Focused, 11, 7);
    let fx = m.apply(NOW, Focus::Unfocused, Event::FocusChanged);
    assert!(matches!(&fx[0], Effect::Publish(s) if s.window == Focus::Unfocused && s.offers[0].toasted), "{fx:?}");
    assert_eq!(toasts(&fx), vec![OfferId(7)]);
    for f in [Focus::Hidden, Focus::Focused, Focus::Minimized] {
        assert!(toasts(&m.apply(NOW, f, Event::FocusChanged)).is_empty(), "R33: one toast per offer ({f:?})");
    }
}

#[test]
fn r14_the_offer_ending_withdraws_its_toast() {
    let mut m = linked(NotificationMode::Always);
    arrives(&mut m, Focus::Hidden, 11, 7);
    m.apply(NOW, Focus::Hidden, Event::Toast(UserAction::Opened(7)));
    assert_eq!(m.state().focused_offer, Some(OfferId(7)));
    let ended = entry(&m, 12, AgentEvent::OfferEnded { offer: OfferId(7), work_item: WorkItemId(107), state: OfferState::Withdrawn });
    let fx = m.apply(NOW, Focus::Hidden, ended);
    assert!(matches!(&fx[0], Effect::Publish(s) if s.offers.is_empty() && s.focused_offer.is_none()), "{fx:?}");
    assert_eq!(acts(fx), vec![Effect::WithdrawToast(OfferId(7))]);
    assert_eq!(m.next_deadline(), None, "nothing left to close at the deadline");
}

#[test]
fn r14_at_the_deadline_the_app_closes_the_toast_itself() {
    let mut m = linked(NotificationMode::Always);
    arrives(&mut m, Focus::Hidden, 11, 7);
    // The deadline is 90 s away: the ring stops there, and the app closes the toast half a
    // second after it.
    assert_eq!(m.next_deadline(), Some(Timestamp(NOW.0 + 90_000)));
    assert_eq!(rings(&m.apply(Timestamp(NOW.0 + 90_000), Focus::Hidden, Event::Tick)), vec![None]);
    let at = Timestamp(NOW.0 + 90_000 + EXPIRY_GRACE_MS);
    assert_eq!(m.next_deadline(), Some(at));
    assert_eq!(m.apply(Timestamp(at.0 - 1), Focus::Hidden, Event::Tick), vec![], "not yet");
    assert_eq!(m.apply(at, Focus::Hidden, Event::Tick), vec![Effect::WithdrawToast(OfferId(7))]);
    assert_eq!(m.next_deadline(), None);
    assert_eq!(m.apply(Timestamp(at.0 + 10_000), Focus::Hidden, Event::Tick), vec![], "once");
}

#[test]
fn r14_the_deadline_counts_on_the_workspace_clock() {
    let mut m = linked(NotificationMode::Always);
    // The workspace's clock is 30 s ahead of ours: 60 s are left of the offer's 90.
    let ahead = Event::Entry {
        link: m.link(),
        entry: EventEnvelope { seq: 11, agent: AgentId(1), at: Timestamp(NOW.0 + 30_000), event: AgentEvent::BannerCleared },
    };
    m.apply(NOW, Focus::Hidden, ahead);
    assert_eq!(m.state().clock_offset_ms, 30_000);
    let fx = arrives(&mut m, Focus::Hidden, 12, 7);
    let Effect::ShowToast(t) = &fx[0] else { panic!("{fx:?}") };
    assert_eq!(t.expire, Some(std::time::Duration::from_secs(60)));
    assert_eq!(m.next_deadline(), Some(Timestamp(NOW.0 + 60_000)), "the ring stops at the deadline");
    m.apply(Timestamp(NOW.0 + 60_000), Focus::Hidden, Event::Tick);
    assert_eq!(m.next_deadline(), Some(Timestamp(NOW.0 + 60_000 + EXPIRY_GRACE_MS)));
}

#[test]
fn r14_a_dismissed_toast_is_not_closed_again_nor_raised_again() {
    let mut m = linked(NotificationMode::Always);
    arrives(&mut m, Focus::Hidden, 11, 7);
    let fx = m.apply(NOW, Focus::Hidden, Event::Toast(UserAction::Dismissed(7)));
    assert!(matches!(&fx[0], Effect::Publish(s) if !s.offers[0].toasted && s.offers.len() == 1), "the offer stays pending");
    assert!(toasts(&m.apply(NOW, Focus::Hidden, Event::FocusChanged)).is_empty(), "R33");
    assert_eq!(acts(m.apply(Timestamp(NOW.0 + 100_000), Focus::Hidden, Event::Tick)), vec![]);
}

#[test]
fn r12_accept_on_the_toast_accepts_then_brings_the_session_to_the_front() {
    let mut m = linked(NotificationMode::Background);
    arrives(&mut m, Focus::Hidden, 11, 7);
    let fx = m.apply(NOW, Focus::Hidden, Event::Toast(UserAction::Accepted(7)));
    let note = Call::Note { offer: OfferId(7), kind: herald_protocol::NoteKind::ToastClicked, detail: "Accept".into() };
    assert_eq!(fx.last(), Some(&Effect::Call(note, Origin::Background)), "the timeline hears of the click");
    assert_eq!(unnoted(fx), vec![Effect::Call(Call::Accept(OfferId(7)), Origin::Toast)], "nothing changes before the workspace agrees");
    let s = session(20, 107);
    let fx = m.apply(NOW, Focus::Hidden, Event::Answered(Answer::Accepted { offer: OfferId(7), session: s.clone() }));
    assert!(matches!(&fx[0], Effect::Publish(st) if st.active_session == Some(s.id) && st.offers.is_empty()), "{fx:?}");
    assert_eq!(
        acts(fx),
        vec![Effect::BringToFront, Effect::Call(Call::Transcript(s.id), Origin::Background), Effect::WithdrawToast(OfferId(7)),]
    );
    // R28: reject from the toast only asks the workspace.
    arrives(&mut m, Focus::Hidden, 12, 8);
    assert_eq!(
        unnoted(m.apply(NOW, Focus::Hidden, Event::Toast(UserAction::Rejected(8)))),
        vec![Effect::Call(Call::Reject(OfferId(8)), Origin::Toast)]
    );
}

#[test]
fn r13_the_toast_body_brings_herald_to_the_front_with_the_offer_and_r19_open_item_opens_the_case() {
    let mut m = linked(NotificationMode::Always);
    arrives(&mut m, Focus::Hidden, 11, 7);
    let fx = m.apply(NOW, Focus::Hidden, Event::Toast(UserAction::Opened(7)));
    assert!(matches!(&fx[0], Effect::Publish(s) if s.focused_offer == Some(OfferId(7)) && s.offers.len() == 1), "{fx:?}");
    assert_eq!(unnoted(acts(fx)), vec![Effect::BringToFront]);
    let mut case = offer(8);
    case.scenario = Scenario::Case;
    case.actions = vec![OfferAction::OpenItem];
    let e = entry(&m, 12, AgentEvent::OfferCreated(case));
    m.apply(NOW, Focus::Hidden, e);
    assert_eq!(
        unnoted(m.apply(NOW, Focus::Hidden, Event::Toast(UserAction::Opened(8)))),
        vec![Effect::Call(Call::Accept(OfferId(8)), Origin::Toast)]
    );
    // An offer that already ended (or an informational toast): just the window, and no note.
    assert_eq!(m.apply(NOW, Focus::Hidden, Event::Toast(UserAction::Opened(99))), vec![Effect::BringToFront]);
}

#[test]
fn r33_an_entry_seen_before_changes_nothing() {
    let mut m = linked(NotificationMode::Always);
    assert_eq!(toasts(&arrives(&mut m, Focus::Hidden, 11, 7)).len(), 1);
    let ended = entry(&m, 12, AgentEvent::OfferEnded { offer: OfferId(7), work_item: WorkItemId(107), state: OfferState::TimedOut });
    m.apply(NOW, Focus::Hidden, ended);
    // The stream reconnects and replays entries 11 and 12.
    assert_eq!(m.apply(NOW, Focus::Hidden, entry(&m, 11, AgentEvent::OfferCreated(offer(7)))), vec![]);
    assert_eq!(m.apply(NOW, Focus::Hidden, entry(&m, 10, AgentEvent::BannerCleared)), vec![], "the snapshot's position counts too");
    assert!(m.state().offers.is_empty(), "the ended offer does not come back");
}

#[test]
fn r33_a_pending_offer_seen_again_after_reconnecting_is_not_toasted_twice() {
    let mut m = linked(NotificationMode::Always);
    arrives(&mut m, Focus::Hidden, 11, 7);
    arrives(&mut m, Focus::Hidden, 12, 8);
    // The workspace restarts; the same workspace, so nothing is forgotten. 7 ended meanwhile.
    let fx = m.apply(NOW, Focus::Hidden, Event::Relink);
    assert!(matches!(&fx[0], Effect::Publish(s) if s.connection.status == ConnectionStatus::Connecting && s.offers.len() == 2));
    assert!(matches!(&fx[1], Effect::Connect { link, .. } if *link == m.link()));
    let me = Me { agent: agent("Ada", BasePresence::Available), sessions: Vec::new(), offers: vec![offer(8)], last_seq: 20 };
    let fx = acts(m.apply(NOW, Focus::Hidden, Event::Snapshot { link: m.link(), me }));
    assert_eq!(fx, vec![Effect::WithdrawToast(OfferId(7))], "no second toast for 8");
    assert_eq!(m.state().offers.len(), 1);
    assert_eq!(m.apply(NOW, Focus::Hidden, entry(&m, 20, AgentEvent::OfferCreated(offer(9)))), vec![], "before the snapshot");
    assert_eq!(toasts(&arrives(&mut m, Focus::Hidden, 21, 9)), vec![OfferId(9)]);
}

/// The workspace was restored from an older backup: its log ends at 5 while the app stood at
/// 12. The resync reloads the snapshot (issue 11); the entries that follow apply from the
/// snapshot's position on, though their numbers are below what the app had seen.
#[test]
fn r33_a_resync_reloads_the_snapshot_and_continues_from_its_position() {
    let mut m = linked(NotificationMode::Always);
    arrives(&mut m, Focus::Hidden, 11, 7);
    arrives(&mut m, Focus::Hidden, 12, 8);
    let link = m.link();
    let resync = Resync { after: 12, first_seq: 1, last_seq: 5 };
    let fx = acts(m.apply(NOW, Focus::Hidden, Event::Resync { link, resync }));
    assert_eq!(fx, vec![Effect::LoadSnapshot { link }], "the agent is read again");
    // The log's retained entries replay; what the snapshot will cover changes nothing.
    assert_eq!(m.apply(NOW, Focus::Hidden, entry(&m, 3, AgentEvent::OfferCreated(offer(3)))), vec![]);
    // The restored workspace knows offer 8 and a new 9, not 7.
    let me = Me { agent: agent("Ada", BasePresence::Available), sessions: Vec::new(), offers: vec![offer(8), offer(9)], last_seq: 6 };
    let fx = acts(m.apply(NOW, Focus::Hidden, Event::Snapshot { link, me }));
    assert!(fx.contains(&Effect::WithdrawToast(OfferId(7))), "{fx:?}");
    assert_eq!(toasts(&fx), vec![OfferId(9)], "8 was toasted already");
    let ids: Vec<OfferId> = m.state().offers.iter().map(|v| v.offer.id).collect();
    assert_eq!(ids, vec![OfferId(8), OfferId(9)]);
    assert_eq!(m.apply(NOW, Focus::Hidden, entry(&m, 6, AgentEvent::OfferCreated(offer(6)))), vec![], "in the snapshot");
    // The restored workspace hands out 7 again, to a new offer: it toasts.
    assert_eq!(toasts(&arrives(&mut m, Focus::Hidden, 7, 7)), vec![OfferId(7)], "continues after the snapshot's last_seq");
    // A resync of an older link is not heard.
    m.apply(NOW, Focus::Hidden, Event::Relink);
    assert_eq!(m.apply(NOW, Focus::Hidden, Event::Resync { link, resync }), vec![]);
}

#[test]
fn an_older_link_is_not_heard() {
    let mut m = linked(NotificationMode::Always);
    let old = m.link();
    m.apply(NOW, Focus::Hidden, Event::Relink);
    let late =
        Event::Entry { link: old, entry: EventEnvelope { seq: 50, agent: AgentId(1), at: NOW, event: AgentEvent::OfferCreated(offer(7)) } };
    assert_eq!(m.apply(NOW, Focus::Hidden, late), vec![]);
    assert_eq!(m.apply(NOW, Focus::Hidden, Event::Link { link: old, change: LinkChange::Refused }), vec![]);
    assert_eq!(m.state().connection.status, ConnectionStatus::Connecting);
}

#[test]
fn switching_workspaces_starts_from_nothing_and_closes_the_old_toasts() {
    let mut m = linked(NotificationMode::Always);
    arrives(&mut m, Focus::Hidden, 11, 7);
    let settings = DesktopSettings { workspace_url: "https://other.example.com/".into(), ..m.state().settings.clone() };
    let input = SettingsInput { settings, token: Some(" secret ".into()) };
    let fx = m.apply(NOW, Focus::Hidden, Event::Command(Command::SaveSettings(input)));
    let [Effect::SaveSettings(plan)] = fx.as_slice() else { panic!("{fx:?}") };
    assert_eq!(plan.settings.workspace_url, "https://other.example.com", "trimmed");
    assert_eq!(plan.token.as_deref(), Some("secret"));
    assert_eq!(plan.autostart, None);
    let fx = acts(m.apply(NOW, Focus::Hidden, Event::SettingsSaved(plan.clone())));
    assert_eq!(fx[0], Effect::WithdrawToast(OfferId(7)));
    assert!(matches!(&fx[1], Effect::Connect { settings, .. } if settings.workspace_url == "https://other.example.com"));
    assert!(m.state().offers.is_empty() && m.state().me.is_none());
    // The new workspace's offer 7 is another offer: it toasts.
    let me = Me { agent: agent("Ada", BasePresence::Available), sessions: Vec::new(), offers: vec![offer(7)], last_seq: 3 };
    assert_eq!(toasts(&m.apply(NOW, Focus::Hidden, Event::Snapshot { link: m.link(), me })), vec![OfferId(7)]);
}

#[test]
fn settings_are_checked_before_anything_is_stored() {
    let mut m = linked(NotificationMode::Always);
    let bad = SettingsInput { settings: DesktopSettings { workspace_url: "not a url".into(), ..Default::default() }, token: None };
    let fx = m.apply(NOW, Focus::Hidden, Event::Command(Command::SaveSettings(bad)));
    assert!(matches!(&fx[..], [Effect::Refuse(e)] if e.field.as_deref() == Some("workspace_url")), "{fx:?}");
    let embedded = SettingsInput { settings: DesktopSettings::default(), token: Some("t".into()) };
    let fx = m.apply(NOW, Focus::Hidden, Event::Command(Command::SaveSettings(embedded)));
    assert!(matches!(&fx[..], [Effect::Refuse(e)] if e.field.as_deref() == Some("token")), "{fx:?}");
    // R11: a new mode applies to the offers still pending; the demo traffic switch needs no relink.
    let mut m = linked(NotificationMode::Off);
    arrives(&mut m, Focus::Hidden, 11, 7);
    let settings = DesktopSettings { notifications: NotificationMode::Always, demo_traffic: false, ..m.state().settings.clone() };
    let fx =
        acts(m.apply(NOW, Focus::Hidden, Event::SettingsSaved(SettingsPlan { settings, token: None, autostart: None, signed_out: false })));
    assert_eq!(fx[0], Effect::DemoTraffic(false));
    assert_eq!(toasts(&fx), vec![OfferId(7)]);
}

#[test]
fn a_refused_answer_to_an_ended_offer_drops_it_and_says_why() {
    let gone = Failure {
        error: CommandError { code: Some(ErrorCode::OfferNotPending), ..CommandError::app("no longer available") },
        status: Some(409),
    };
    let mut m = linked(NotificationMode::Always);
    arrives(&mut m, Focus::Hidden, 11, 7);
    let fx =
        acts(m.apply(NOW, Focus::Hidden, Event::Failed { call: Call::Accept(OfferId(7)), origin: Origin::Window, failure: gone.clone() }));
    assert_eq!(fx, vec![Effect::WithdrawToast(OfferId(7)), Effect::Refuse(gone.error.clone())]);
    assert!(m.state().offers.is_empty());
    // From a toast nobody waits for the answer: it becomes a notice.
    arrives(&mut m, Focus::Hidden, 12, 8);
    let fx = acts(m.apply(NOW, Focus::Hidden, Event::Failed { call: Call::Reject(OfferId(8)), origin: Origin::Toast, failure: gone }));
    assert_eq!(fx, vec![Effect::WithdrawToast(OfferId(8))]);
    assert_eq!(m.state().notices.last().map(|n| n.text.as_str()), Some("no longer available"));
    // A receipt that could not be sent is not the person's business.
    let fx = m.apply(
        NOW,
        Focus::Hidden,
        Event::Failed {
            call: Call::Displayed(OfferId(9)),
            origin: Origin::Background,
            failure: Failure { error: CommandError::app("x"), status: None },
        },
    );
    assert_eq!(fx, vec![]);
}

#[test]
fn r16_a_toast_the_daemon_did_not_show_leaves_the_offer_in_the_window() {
    let mut m = linked(NotificationMode::Always);
    arrives(&mut m, Focus::Hidden, 11, 7);
    m.apply(NOW, Focus::Hidden, Event::ToastFailed { offer: OfferId(7), error: "no daemon".into() });
    let s = m.state();
    assert!(!s.offers[0].toasted);
    assert_eq!(s.toasts.detail.as_deref(), Some("no daemon"));
    assert_eq!(s.notices.last().map(|n| n.text.as_str()), Some("no daemon. The request is shown in Herald."));
    assert_eq!(m.next_deadline(), Some(Timestamp(91_000)), "no toast to close: only the ring stops at the deadline");
    let mut no_toasts = linked(NotificationMode::Always);
    no_toasts.state.toasts.available = false;
    assert!(toasts(&arrives(&mut no_toasts, Focus::Hidden, 11, 7)).is_empty(), "no notifier: in-app only");
}

#[test]
fn r33_the_connection_status_in_words() {
    let mut m = linked(NotificationMode::Off);
    let link = m.link();
    let mut status = |change| {
        m.apply(NOW, Focus::Hidden, Event::Link { link, change });
        (m.state().connection.status, m.state().connection.detail.clone().unwrap_or_default())
    };
    assert_eq!(status(LinkChange::Transport(Transport::Streaming)), (ConnectionStatus::Live, String::new()));
    let (s, d) = status(LinkChange::Transport(Transport::Polling));
    assert!(s == ConnectionStatus::Polling && d.contains("polling"), "{d}");
    let (s, d) = status(LinkChange::Transport(Transport::Backoff));
    assert_eq!((s, d.as_str()), (ConnectionStatus::Reconnecting, "Reconnecting to https://herald.example.com/…"));
    let (s, d) = status(LinkChange::Unreachable);
    assert_eq!((s, d.as_str()), (ConnectionStatus::Reconnecting, "Cannot reach the workspace at https://herald.example.com/; retrying."));
    let (s, d) = status(LinkChange::Refused);
    assert!(s == ConnectionStatus::Unauthorized && d.contains("Sign in again"), "{d}");
    let (s, _) = status(LinkChange::EmbeddedFailed("port taken".into()));
    assert_eq!(s, ConnectionStatus::Reconnecting);
    assert_eq!(m.state().notices.last().map(|n| n.text.as_str()), Some("The embedded workspace could not start: port taken"));
}

#[test]
fn every_change_is_published_once_with_a_higher_revision_and_no_change_is_not() {
    let mut m = linked(NotificationMode::Off);
    let r = m.state().revision;
    let fx = m.apply(NOW, Focus::Hidden, Event::Notice { level: NoticeLevel::Info, text: "hi".into(), code: None });
    assert!(matches!(&fx[..], [Effect::Publish(s)] if s.revision == r + 1 && s.notices.len() == 1));
    assert_eq!(m.apply(NOW, Focus::Hidden, Event::FocusChanged), vec![], "hidden already: nothing to draw");
    let id = m.state().notices[0].id;
    let fx = m.apply(NOW, Focus::Hidden, Event::Command(Command::DismissNotice { id }));
    assert!(matches!(&fx[..], [Effect::Publish(s)] if s.revision == r + 2 && s.notices.is_empty()));
    for i in 0..(MAX_NOTICES + 5) {
        m.apply(NOW, Focus::Hidden, Event::Notice { level: NoticeLevel::Info, text: format!("{i}"), code: None });
    }
    assert_eq!(m.state().notices.len(), MAX_NOTICES, "the oldest go");
}

#[test]
fn r10_commands_become_calls_and_answers_change_the_view() {
    let mut m = linked(NotificationMode::Off);
    let empty = Command::SendMessage { session: SessionId(20), body: "  ".into() };
    assert!(matches!(&m.apply(NOW, Focus::Focused, Event::Command(empty))[..], [Effect::Refuse(e)] if e.field.as_deref() == Some("body")));
    let say = Command::SendMessage { session: SessionId(20), body: " Hello ".into() };
    assert_eq!(
        m.apply(NOW, Focus::Focused, Event::Command(say)),
        vec![Effect::Call(Call::SendMessage { session: SessionId(20), body: "Hello".into() }, Origin::Window)]
    );
    m.apply(NOW, Focus::Focused, Event::Answered(Answer::SessionOpened(session(20, 107))));
    m.apply(NOW, Focus::Focused, Event::Answered(Answer::SessionOpened(session(21, 108))));
    assert_eq!(m.state().active_session, Some(SessionId(21)));
    m.apply(NOW, Focus::Focused, Event::Command(Command::SelectSession { session: Some(SessionId(99)) }));
    assert_eq!(m.state().active_session, None, "an unknown session selects nothing");
    m.apply(NOW, Focus::Focused, Event::Answered(Answer::SessionClosed(SessionId(21))));
    assert_eq!(m.state().sessions.len(), 1);
    m.apply(NOW, Focus::Focused, Event::Answered(Answer::Me(agent("Ada", BasePresence::Away))));
    assert_eq!(m.state().me.as_ref().map(|a| a.presence.base), Some(BasePresence::Away));
}

fn sign_in(url: &str, email: &str, password: &str) -> Event {
    Event::Command(Command::SignIn { workspace_url: url.into(), email: email.into(), password: crate::view::Password(password.into()) })
}

#[test]
fn a_sign_in_is_checked_before_the_workspace_is_asked_and_never_shows_the_password() {
    let mut m = fixtures::model(NotificationMode::Always);
    for (url, email, password, field) in [
        ("", "ada@example.com", "pw", "workspace_url"),
        ("not a url", "ada@example.com", "pw", "workspace_url"),
        ("https://herald.example.com", "ada", "pw", "email"),
        ("https://herald.example.com", "ada@example.com", "", "password"),
    ] {
        let fx = m.apply(NOW, Focus::Hidden, sign_in(url, email, password));
        assert!(matches!(&fx[..], [Effect::Refuse(e)] if e.field.as_deref() == Some(field)), "{url:?} {email:?}: {fx:?}");
    }
    let fx = m.apply(NOW, Focus::Hidden, sign_in(" https://herald.example.com/ ", " ada@example.com ", "correct horse"));
    let [Effect::SignIn(plan)] = fx.as_slice() else { panic!("{fx:?}") };
    assert_eq!((plan.settings.workspace_url.as_str(), plan.settings.account.as_str()), ("https://herald.example.com", "ada@example.com"));
    assert_eq!(plan.password.0, "correct horse");
    let logged = format!("{fx:?} {:?}", sign_in("https://h.example", "a@b", "correct horse"));
    assert!(!logged.contains("correct horse"), "the password never reaches a log: {logged}");
}

#[test]
fn signing_out_forgets_the_account_and_links_again_and_a_pasted_token_is_nobody_s_account() {
    let mut m = linked(NotificationMode::Always);
    let embedded = SettingsPlan { settings: DesktopSettings::default(), token: None, autostart: None, signed_out: false };
    m.apply(NOW, Focus::Hidden, Event::SettingsSaved(embedded));
    let fx = m.apply(NOW, Focus::Hidden, Event::Command(Command::SignOut));
    assert!(matches!(&fx[..], [Effect::Refuse(_)]), "embedded: nothing to sign out of: {fx:?}");
    let signed =
        DesktopSettings { workspace_url: "https://herald.example.com".into(), account: "ada@example.com".into(), ..Default::default() };
    let plan = SettingsPlan { settings: signed.clone(), token: Some("t".into()), autostart: None, signed_out: false };
    m.apply(NOW, Focus::Hidden, Event::SettingsSaved(plan));
    assert_eq!(m.state().settings.account, "ada@example.com");
    // Saving other settings keeps the account; a pasted token replaces it.
    let keep = SettingsInput { settings: DesktopSettings { sound: false, account: String::new(), ..signed.clone() }, token: None };
    let fx = m.apply(NOW, Focus::Hidden, Event::Command(Command::SaveSettings(keep)));
    let [Effect::SaveSettings(p)] = fx.as_slice() else { panic!("{fx:?}") };
    assert_eq!(p.settings.account, "ada@example.com");
    let pasted = SettingsInput { settings: signed.clone(), token: Some("other".into()) };
    let fx = m.apply(NOW, Focus::Hidden, Event::Command(Command::SaveSettings(pasted)));
    let [Effect::SaveSettings(p)] = fx.as_slice() else { panic!("{fx:?}") };
    assert_eq!(p.settings.account, "");

    let fx = m.apply(NOW, Focus::Hidden, Event::Command(Command::SignOut));
    let [Effect::SignOut(plan)] = fx.as_slice() else { panic!("{fx:?}") };
    assert!(plan.signed_out && plan.token.is_none() && plan.settings.account.is_empty());
    assert_eq!(plan.settings.workspace_url, "https://herald.example.com", "the address stays for the next sign-in");
    let fx = acts(m.apply(NOW, Focus::Hidden, Event::SettingsSaved(plan.clone())));
    assert!(fx.iter().any(|e| matches!(e, Effect::Connect { .. })), "links again, without the token: {fx:?}");
}

fn board_line(waiting: u32) -> crate::view::QueueView {
    let line = herald_protocol::QueueBoard {
        queue: herald_protocol::QueueId(5),
        name: "Support".into(),
        waiting,
        longest_wait_secs: 0,
        offers_out: 0,
        agents: Vec::new(),
        connected: 0,
    };
    crate::view::QueueView { line, waiting: Vec::new() }
}

#[test]
fn a_supervisor_s_board_is_read_live_one_read_at_a_time() {
    let mut m = fixtures::model(NotificationMode::Always);
    m.apply(NOW, Focus::Hidden, Event::Relink);
    let link = m.link();
    let base = "https://herald.example.com/".to_string();
    m.apply(NOW, Focus::Hidden, Event::Link { link, change: LinkChange::Connecting { url: base.clone(), base } });
    let sue = AgentSummary { role: herald_protocol::Role::Supervisor, ..agent("Sue", BasePresence::Available) };
    let me = Me { agent: sue, sessions: Vec::new(), offers: Vec::new(), last_seq: 10 };
    let load = Effect::Call(Call::LoadBoard, Origin::Background);
    assert_eq!(acts(m.apply(NOW, Focus::Hidden, Event::Snapshot { link, me })), vec![load.clone()], "read when the link comes up");
    // Changes while reading: one more read after the answer, not one per change.
    let changed = |m: &Model, seq| entry(m, seq, AgentEvent::QueueChanged { queue: herald_protocol::QueueId(5), waiting: 1 });
    assert_eq!(acts(m.apply(NOW, Focus::Hidden, changed(&m, 11))), vec![]);
    assert_eq!(acts(m.apply(NOW, Focus::Hidden, changed(&m, 12))), vec![]);
    let fx = acts(m.apply(NOW, Focus::Hidden, Event::Answered(Answer::Board(vec![board_line(1)]))));
    assert_eq!(fx, vec![load.clone()], "stale: read again");
    assert_eq!(m.state().board[0].line.waiting, 1);
    assert_eq!(acts(m.apply(NOW, Focus::Hidden, Event::Answered(Answer::Board(vec![board_line(0)])))), vec![]);
    assert_eq!(m.state().board[0].line.waiting, 0);
    // A failed read keeps the last board and does not block the next change.
    assert_eq!(acts(m.apply(NOW, Focus::Hidden, changed(&m, 13))), vec![load.clone()]);
    let failed = Failure { error: CommandError::app("down"), status: None };
    m.apply(NOW, Focus::Hidden, Event::Failed { call: Call::LoadBoard, origin: Origin::Background, failure: failed });
    assert_eq!(m.state().board.len(), 1);
    assert_eq!(acts(m.apply(NOW, Focus::Hidden, changed(&m, 14))), vec![load]);

    // An agent has no board.
    let mut a = linked(NotificationMode::Always);
    assert_eq!(acts(a.apply(NOW, Focus::Hidden, changed(&a, 11))), vec![]);
    assert!(a.state().board.is_empty());
}

#[test]
fn a_missed_offer_can_be_explained_from_its_timeline() {
    let mut m = linked(NotificationMode::Always);
    arrives(&mut m, Focus::Hidden, 11, 7);
    let e = entry(&m, 12, AgentEvent::OfferEnded { offer: OfferId(7), work_item: WorkItemId(107), state: OfferState::TimedOut });
    m.apply(NOW, Focus::Hidden, e);
    assert_eq!(m.state().missed_offer, Some(OfferId(7)), "the banner can ask why");
    // Another agent's offer ending (a supervisor's view) or an accepted one is no miss.
    let e = entry(&m, 13, AgentEvent::OfferEnded { offer: OfferId(8), work_item: WorkItemId(108), state: OfferState::TimedOut });
    m.apply(NOW, Focus::Hidden, e);
    assert_eq!(m.state().missed_offer, Some(OfferId(7)));

    let fx = acts(m.apply(NOW, Focus::Hidden, Event::Command(Command::ShowTimeline { offer: OfferId(7) })));
    assert_eq!(fx, vec![Effect::Call(Call::Timeline(OfferId(7)), Origin::Window)]);
    let t = herald_protocol::OfferTimeline { offer: offer(7), steps: Vec::new() };
    m.apply(NOW, Focus::Hidden, Event::Answered(Answer::Timeline(Box::new(t.clone()))));
    assert_eq!(m.state().timeline, Some(t));
    m.apply(NOW, Focus::Hidden, Event::Command(Command::CloseTimeline));
    assert_eq!(m.state().timeline, None);
}

#[test]
fn the_keyboard_answers_the_newest_request() {
    let mut m = linked(NotificationMode::Always);
    let fx = acts(m.apply(NOW, Focus::Hidden, Event::Command(Command::AcceptNewest)));
    assert_eq!(fx, vec![], "nothing waits: a notice says so");
    assert!(m.state().notices.last().unwrap().text.contains("No request"));
    arrives(&mut m, Focus::Hidden, 11, 7);
    arrives(&mut m, Focus::Hidden, 12, 8);
    let fx = acts(m.apply(NOW, Focus::Hidden, Event::Command(Command::AcceptNewest)));
    assert_eq!(fx, vec![Effect::Call(Call::Accept(OfferId(8)), Origin::Toast)], "the newest; a refusal becomes a notice");
    let fx = acts(m.apply(NOW, Focus::Hidden, Event::Command(Command::RejectNewest)));
    assert_eq!(fx, vec![Effect::Call(Call::Reject(OfferId(8)), Origin::Toast)]);
    // Reject only where the template allows it: a case (Open item only) is skipped.
    let mut case = offer(9);
    case.actions = vec![OfferAction::OpenItem];
    let e = entry(&m, 13, AgentEvent::OfferCreated(case));
    m.apply(NOW, Focus::Hidden, e);
    let fx = acts(m.apply(NOW, Focus::Hidden, Event::Command(Command::RejectNewest)));
    assert_eq!(fx, vec![Effect::Call(Call::Reject(OfferId(8)), Origin::Toast)]);
    let fx = acts(m.apply(NOW, Focus::Hidden, Event::Command(Command::AcceptNewest)));
    assert_eq!(fx, vec![Effect::Call(Call::Accept(OfferId(9)), Origin::Toast)], "accepting a case opens it");
}

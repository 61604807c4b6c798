//! When an offer raises an OS toast, and what the toast says. Pure functions of their inputs,
//! tested without a window or a daemon.

use crate::focus::Focus;
use crate::i18n::{Language, text};
use crate::view::{DesktopSettings, NotificationMode};
use herald_notify::{ButtonLabels, Toast, ToastAction, Urgency};
use herald_protocol::{DesktopMode, NotificationKind, Offer, OfferAction, OfferState, Scenario, Timestamp};
use std::time::Duration;

/// The mode that applies to this offer: the agent's own choice, or the template's default (R20).
pub fn effective_mode(setting: NotificationMode, offer: &Offer) -> DesktopMode {
    match setting {
        NotificationMode::Workspace => offer.desktop_mode,
        NotificationMode::Always => DesktopMode::Always,
        NotificationMode::Background => DesktopMode::Background,
        NotificationMode::Off => DesktopMode::Off,
    }
}

/// R11: should this offer raise an OS-native toast now?
///
/// "Background" means Herald is not the focused window: minimised, hidden in the tray, or
/// another window (or screen) in front. Offers that already ended never toast; offers the
/// workspace accepted for the agent (R18 auto-accept) toast as information like any other.
pub fn should_toast(setting: NotificationMode, focus: Focus, offer: &Offer) -> bool {
    let live = match offer.state {
        OfferState::Pending => true,
        // R18: accepted for the agent the moment it was created — worth telling.
        OfferState::Accepted => offer.ended_at == Some(offer.created_at),
        OfferState::Rejected | OfferState::TimedOut | OfferState::Withdrawn => false,
    };
    if !live {
        return false;
    }
    match effective_mode(setting, offer) {
        DesktopMode::Always => true,
        DesktopMode::Background => match focus {
            Focus::Focused => false,
            Focus::Unfocused | Focus::Minimized | Focus::Hidden => true,
        },
        DesktopMode::Off => false,
    }
}

/// The freedesktop sound name for a channel.
pub fn sound_for(scenario: Scenario) -> &'static str {
    match scenario {
        Scenario::Voice => "phone-incoming-call",
        Scenario::Chat | Scenario::Sms | Scenario::BotEscalation => "message-new-instant",
        Scenario::Case | Scenario::WorkItem | Scenario::Transfer | Scenario::Escalation => "dialog-information",
    }
}

/// A short name of the kind of work, for private toasts, in `lang`.
pub fn scenario_label(lang: Language, scenario: Scenario) -> String {
    let id = match scenario {
        Scenario::Chat => "scenario-chat",
        Scenario::Sms => "scenario-sms",
        Scenario::Voice => "scenario-voice",
        Scenario::Case => "scenario-case",
        Scenario::WorkItem => "scenario-work-item",
        Scenario::Transfer => "scenario-transfer",
        Scenario::Escalation => "scenario-escalation",
        Scenario::BotEscalation => "scenario-bot-escalation",
    };
    text(lang, id)
}

/// The toast for an offer. `now` is on the workspace's clock (for the time left).
pub fn toast_for(offer: &Offer, settings: &DesktopSettings, lang: Language, icon: Option<&str>, now: Timestamp) -> Toast {
    let pending = offer.state == OfferState::Pending;
    let actions = if pending {
        offer
            .actions
            .iter()
            .map(|a| match a {
                OfferAction::Accept => ToastAction::Accept,
                OfferAction::Reject => ToastAction::Reject,
                OfferAction::OpenItem => ToastAction::OpenItem,
            })
            .collect()
    } else {
        Vec::new()
    };
    let (title, body, fields) = if settings.privacy {
        (scenario_label(lang, offer.scenario), text(lang, "toast-private-body"), Vec::new())
    } else {
        let fields: Vec<(String, String)> = offer.fields.iter().take(4).map(|f| (f.label.clone(), f.value.clone())).collect();
        let body = if fields.is_empty() { offer.customer.name.clone() } else { String::new() };
        (offer.title.clone(), body, fields)
    };
    let body = if pending || !body.is_empty() { body } else { text(lang, "toast-auto-accepted") };
    let expire = match (pending, offer.deadline) {
        (true, Some(d)) => Some(Duration::from_millis(d.0.saturating_sub(now.0).max(1))),
        (true, None) => None,
        (false, _) => Some(Duration::from_secs(10)),
    };
    Toast {
        key: offer.id.0,
        title,
        body,
        fields,
        actions,
        labels: ButtonLabels {
            accept: text(lang, "button-accept"),
            reject: text(lang, "button-reject"),
            open_item: text(lang, "button-open-item"),
        },
        urgency: match offer.kind {
            NotificationKind::Alert => Urgency::Critical,
            NotificationKind::Popup => Urgency::Normal,
        },
        // The app rings an offer waiting for an answer itself (`crate::sound`): the daemon's
        // sound would play beside it (GNOME plays `sound-name`), so the toast asks for silence
        // then. An informational toast gets the daemon's sound, if its kind's sound is on.
        sound: (settings.sound && settings.ring.plays(crate::sound::Sound::of(offer)) && !(pending && crate::sound::wants_answer(offer)))
            .then(|| sound_for(offer.scenario).to_string()),
        icon: icon.map(str::to_string),
        expire,
        call: offer.scenario == Scenario::Voice,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald_protocol::{AgentId, Customer, OfferField, OfferId, WorkItemId};

    fn offer(mode: DesktopMode) -> Offer {
        Offer {
            id: OfferId(7),
            work_item: WorkItemId(3),
            agent: AgentId(1),
            scenario: Scenario::Chat,
            channel: herald_protocol::Channel::Chat,
            kind: NotificationKind::Alert,
            title: "Chat with Ada".into(),
            fields: vec![
                OfferField { label: "Customer".into(), value: "Ada Lovelace".into() },
                OfferField { label: "Question".into(), value: "Where is my order?".into() },
            ],
            actions: vec![OfferAction::Accept, OfferAction::Reject],
            customer: Customer { name: "Ada Lovelace".into(), phone: None, contact: None },
            created_at: Timestamp(1_000),
            deadline: Some(Timestamp(91_000)),
            show_timeout: true,
            desktop_mode: mode,
            displayed_at: None,
            hold_until: None,
            state: OfferState::Pending,
            ended_at: None,
        }
    }

    const FOCI: [Focus; 4] = [Focus::Focused, Focus::Unfocused, Focus::Minimized, Focus::Hidden];

    #[test]
    fn always_toasts_whatever_the_focus() {
        // R11
        for f in FOCI {
            assert!(should_toast(NotificationMode::Always, f, &offer(DesktopMode::Off)), "{f:?}");
        }
    }

    #[test]
    fn background_toasts_only_when_herald_is_not_the_focused_window() {
        // R11: minimised, another window in front, hidden in the tray.
        let o = offer(DesktopMode::Always);
        assert!(!should_toast(NotificationMode::Background, Focus::Focused, &o));
        assert!(should_toast(NotificationMode::Background, Focus::Unfocused, &o));
        assert!(should_toast(NotificationMode::Background, Focus::Minimized, &o));
        assert!(should_toast(NotificationMode::Background, Focus::Hidden, &o));
    }

    #[test]
    fn off_never_toasts() {
        for f in FOCI {
            assert!(!should_toast(NotificationMode::Off, f, &offer(DesktopMode::Always)));
        }
    }

    #[test]
    fn the_workspace_setting_follows_the_template_default() {
        // R20: the template carries the desktop mode default.
        assert!(!should_toast(NotificationMode::Workspace, Focus::Focused, &offer(DesktopMode::Background)));
        assert!(should_toast(NotificationMode::Workspace, Focus::Hidden, &offer(DesktopMode::Background)));
        assert!(should_toast(NotificationMode::Workspace, Focus::Focused, &offer(DesktopMode::Always)));
        assert!(!should_toast(NotificationMode::Workspace, Focus::Hidden, &offer(DesktopMode::Off)));
    }

    #[test]
    fn ended_offers_never_toast_but_auto_accepted_ones_inform() {
        let mut o = offer(DesktopMode::Always);
        for s in [OfferState::Rejected, OfferState::TimedOut, OfferState::Withdrawn] {
            o.state = s;
            assert!(!should_toast(NotificationMode::Always, Focus::Hidden, &o), "{s:?}");
        }
        o.state = OfferState::Accepted;
        o.ended_at = Some(Timestamp(5_000));
        assert!(!should_toast(NotificationMode::Always, Focus::Hidden, &o), "accepted later: nothing to tell");
        o.ended_at = Some(o.created_at);
        assert!(should_toast(NotificationMode::Always, Focus::Hidden, &o), "R18 auto-accept informs");
        let t = toast_for(&o, &DesktopSettings::default(), Language::En, None, Timestamp(1_000));
        assert!(t.actions.is_empty(), "an informational toast has no buttons");
        assert_eq!(t.sound.as_deref(), Some("message-new-instant"), "the app does not ring it: the daemon's sound");
        let mut quiet = DesktopSettings::default();
        quiet.ring.chat = false;
        assert_eq!(toast_for(&o, &quiet, Language::En, None, Timestamp(1_000)).sound, None, "chat sounds off");
    }

    #[test]
    fn the_toast_carries_the_offer_buttons_fields_sound_and_time_left() {
        // R9, R12, R14
        let t = toast_for(&offer(DesktopMode::Always), &DesktopSettings::default(), Language::En, Some("/i.png"), Timestamp(31_000));
        assert_eq!(t.key, 7);
        assert_eq!(t.title, "Chat with Ada");
        assert_eq!(t.actions, vec![ToastAction::Accept, ToastAction::Reject]);
        assert_eq!(t.body_text(), "Customer: Ada Lovelace\nQuestion: Where is my order?");
        assert_eq!(t.urgency, Urgency::Critical);
        assert_eq!(t.sound, None, "the app rings it itself: the daemon stays silent");
        assert_eq!(t.expire, Some(Duration::from_secs(60)));
        assert_eq!(t.icon.as_deref(), Some("/i.png"));
    }

    #[test]
    fn reject_is_missing_where_the_template_forbids_it_and_cases_only_open() {
        // R18, R19
        let mut o = offer(DesktopMode::Always);
        o.actions = vec![OfferAction::Accept];
        assert_eq!(toast_for(&o, &DesktopSettings::default(), Language::En, None, o.created_at).actions, vec![ToastAction::Accept]);
        o.actions = vec![OfferAction::OpenItem];
        o.scenario = Scenario::Case;
        assert_eq!(toast_for(&o, &DesktopSettings::default(), Language::En, None, o.created_at).actions, vec![ToastAction::OpenItem]);
    }

    #[test]
    fn privacy_mode_keeps_customer_details_out_of_the_toast() {
        let settings = DesktopSettings { privacy: true, sound: false, ..Default::default() };
        let t = toast_for(&offer(DesktopMode::Always), &settings, Language::En, None, Timestamp(1_000));
        let all = format!("{} {}", t.title, t.body_text());
        assert!(!all.contains("Ada") && !all.contains("order"), "{all}");
        assert_eq!(t.title, "Chat request");
        assert_eq!(t.sound, None);
        assert_eq!(t.actions, vec![ToastAction::Accept, ToastAction::Reject], "buttons stay");
    }

    #[test]
    fn an_offer_without_deadline_keeps_its_toast_until_withdrawn() {
        let mut o = offer(DesktopMode::Always);
        o.deadline = None;
        assert_eq!(toast_for(&o, &DesktopSettings::default(), Language::En, None, Timestamp(1_000)).expire, None);
    }
}

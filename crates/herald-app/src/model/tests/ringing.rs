//! Ringing (the never-miss issue, item 1): which offer rings, when it stops, and its note.

use super::*;

/// The ring effects.
pub(super) fn rings(fx: &[Effect]) -> Vec<Option<crate::sound::Ring>> {
    fx.iter().filter_map(|e| if let Effect::Ring(r) = e { Some(r.clone()) } else { None }).collect()
}

fn ring(offer: u64, sound: crate::sound::Sound) -> Option<crate::sound::Ring> {
    Some(crate::sound::Ring { offer: Some(OfferId(offer)), sound, volume: 80, repeat: true })
}

#[test]
fn a_waiting_offer_rings_until_it_is_answered_and_stops_at_once() {
    let mut m = linked(NotificationMode::Always);
    let e = entry(&m, 11, AgentEvent::OfferCreated(offer(7)));
    let fx = m.apply(NOW, Focus::Hidden, e);
    assert_eq!(rings(&fx), vec![ring(7, crate::sound::Sound::Chat)]);
    // When the device plays it, the offer's timeline hears that it rang (never-miss, item 4).
    assert!(!fx.iter().any(is_sound_note), "not before it plays");
    let fx = m.apply(NOW, Focus::Hidden, Event::Rang(ring(7, crate::sound::Sound::Chat).unwrap()));
    let notes: Vec<_> = fx.iter().filter(|e| is_sound_note(e)).collect();
    assert!(
        matches!(notes[..], [Effect::Call(Call::Note { offer: OfferId(7), detail, .. }, Origin::Background)] if detail == "Chat, until answered, volume 80 %"),
        "{notes:?}"
    );
    // A voice call arriving after it rings like a phone (the newest rings).
    let mut call = offer(8);
    call.scenario = Scenario::Voice;
    call.channel = herald_protocol::Channel::Voice;
    let e = entry(&m, 12, AgentEvent::OfferCreated(call));
    assert_eq!(rings(&m.apply(NOW, Focus::Hidden, e)), vec![ring(8, crate::sound::Sound::Phone)]);
    // Nothing changes: nothing new to play.
    assert_eq!(rings(&m.apply(NOW, Focus::Hidden, Event::Tick)), vec![]);
    let ended = entry(&m, 13, AgentEvent::OfferEnded { offer: OfferId(8), work_item: WorkItemId(108), state: OfferState::Accepted });
    assert_eq!(rings(&m.apply(NOW, Focus::Hidden, ended)), vec![ring(7, crate::sound::Sound::Chat)], "back to the chat");
    // Its deadline passed (the workspace has not said so yet): silence.
    assert_eq!(rings(&m.apply(Timestamp(NOW.0 + 91_000), Focus::Hidden, Event::Tick)), vec![None]);
}

#[test]
fn sound_off_or_its_kind_off_or_an_informational_offer_does_not_ring() {
    let mut m = linked(NotificationMode::Always);
    let mut info = offer(6);
    info.actions = Vec::new();
    let e = entry(&m, 11, AgentEvent::OfferCreated(info));
    assert_eq!(rings(&m.apply(NOW, Focus::Hidden, e)), vec![], "nothing to answer");
    let mut settings = m.state().settings.clone();
    settings.ring.chat = false;
    settings.ring.until_answered = false;
    let plan = SettingsPlan { settings: settings.clone(), token: None, autostart: None, signed_out: false };
    m.apply(NOW, Focus::Hidden, Event::SettingsSaved(plan));
    let e = entry(&m, 12, AgentEvent::OfferCreated(offer(7)));
    assert_eq!(rings(&m.apply(NOW, Focus::Hidden, e)), vec![], "chats are off");
    let mut sms = offer(8);
    sms.scenario = Scenario::Sms;
    let e = entry(&m, 13, AgentEvent::OfferCreated(sms));
    let once = Some(crate::sound::Ring { offer: Some(OfferId(8)), sound: crate::sound::Sound::Sms, volume: 80, repeat: false });
    assert_eq!(rings(&m.apply(NOW, Focus::Hidden, e)), vec![once]);
    settings.sound = false;
    let plan = SettingsPlan { settings, token: None, autostart: None, signed_out: false };
    assert_eq!(rings(&m.apply(NOW, Focus::Hidden, Event::SettingsSaved(plan))), vec![None], "sound off: silence at once");
}

#[test]
fn the_test_button_plays_one_cycle() {
    let mut m = linked(NotificationMode::Always);
    let fx = m.apply(NOW, Focus::Hidden, Event::Command(Command::TestSound { sound: crate::sound::Sound::Phone, volume: 150 }));
    let once = Some(crate::sound::Ring { offer: None, sound: crate::sound::Sound::Phone, volume: 100, repeat: false });
    assert_eq!(rings(&fx), vec![once]);
}

//! The agent cannot see toasts (the never-miss issue, item 2): the screen locked, the desktop's
//! do-not-disturb on.

use super::*;

#[test]
fn a_locked_screen_sets_away_and_unlocking_restores_only_what_the_lock_changed() {
    let away = Presence { base: BasePresence::Away, custom: None };
    let mut m = linked(NotificationMode::Always);
    arrives(&mut m, Focus::Hidden, 11, 7);
    let fx = acts(m.apply(NOW, Focus::Hidden, Event::ScreenLock(true)));
    let note = |kind, detail: &str| Effect::Call(Call::Note { offer: OfferId(7), kind, detail: detail.into() }, Origin::Background);
    assert_eq!(
        fx,
        vec![
            note(herald_protocol::NoteKind::ScreenLocked, "the screen locked"),
            Effect::Call(Call::SetPresence(away.clone()), Origin::Background)
        ]
    );
    // The workspace agrees: the agent is Away. Unlocking brings back what was before.
    m.apply(NOW, Focus::Hidden, Event::Answered(Answer::Me(agent("Ada", BasePresence::Away))));
    let fx = acts(m.apply(NOW, Focus::Hidden, Event::ScreenLock(false)));
    let available = Presence { base: BasePresence::Available, custom: None };
    assert_eq!(fx[1], Effect::Call(Call::SetPresence(available), Origin::Background));

    m.apply(NOW, Focus::Hidden, Event::Answered(Answer::Me(agent("Ada", BasePresence::Available))));
    let fx = acts(m.apply(NOW, Focus::Hidden, Event::ScreenLock(true)));
    assert!(fx.iter().any(|e| matches!(e, Effect::Call(Call::SetPresence(_), _))), "locked again: Away again");
    m.apply(NOW, Focus::Hidden, Event::Answered(Answer::Me(agent("Ada", BasePresence::Away))));
    // Someone changed it meanwhile (a supervisor reset to Busy): the unlock leaves it.
    m.apply(NOW, Focus::Hidden, Event::Answered(Answer::Me(agent("Ada", BasePresence::Busy))));
    let fx = acts(m.apply(NOW, Focus::Hidden, Event::ScreenLock(false)));
    assert!(!fx.iter().any(|e| matches!(e, Effect::Call(Call::SetPresence(_), _))), "{fx:?}");

    // Locked while Away already (or DND, Inactive…): nothing to put aside, nothing to restore.
    m.apply(NOW, Focus::Hidden, Event::Answered(Answer::Me(agent("Ada", BasePresence::Away))));
    let fx = acts(m.apply(NOW, Focus::Hidden, Event::ScreenLock(true)));
    assert!(!fx.iter().any(|e| matches!(e, Effect::Call(Call::SetPresence(_), _))), "{fx:?}");
    let fx = acts(m.apply(NOW, Focus::Hidden, Event::ScreenLock(false)));
    assert!(!fx.iter().any(|e| matches!(e, Effect::Call(Call::SetPresence(_), _))), "{fx:?}");

    // Only noting, or ignoring, as the person chose.
    let mut m = linked(NotificationMode::Always);
    let mut s = m.state().settings.clone();
    s.screen_lock = crate::view::ScreenLockMode::Ignore;
    m.apply(NOW, Focus::Hidden, Event::SettingsSaved(SettingsPlan { settings: s, token: None, autostart: None, signed_out: false }));
    arrives(&mut m, Focus::Hidden, 11, 7);
    assert_eq!(acts(m.apply(NOW, Focus::Hidden, Event::ScreenLock(true))), vec![]);
}

#[test]
fn the_desktops_do_not_disturb_sets_away_like_the_lock_and_presence_returns_when_neither_holds() {
    let away = Presence { base: BasePresence::Away, custom: None };
    let available = Presence { base: BasePresence::Available, custom: None };
    let set = |fx: &[Effect]| -> Vec<Presence> {
        fx.iter().filter_map(|e| if let Effect::Call(Call::SetPresence(p), _) = e { Some(p.clone()) } else { None }).collect()
    };
    let mut m = linked(NotificationMode::Always);
    arrives(&mut m, Focus::Hidden, 11, 7);
    let fx = m.apply(NOW, Focus::Hidden, Event::DoNotDisturb(true));
    assert_eq!(set(&fx), vec![away.clone()]);
    let note = Effect::Call(
        Call::Note {
            offer: OfferId(7),
            kind: herald_protocol::NoteKind::DoNotDisturbOn,
            detail: "the desktop's do-not-disturb turned on".into(),
        },
        Origin::Background,
    );
    assert!(fx.contains(&note), "the pending offer's timeline hears it: {fx:?}");
    assert!(m.state().notices.last().unwrap().text.contains("do-not-disturb is on"));
    m.apply(NOW, Focus::Hidden, Event::Answered(Answer::Me(agent("Ada", BasePresence::Away))));
    // Said again: nothing new.
    assert_eq!(m.apply(NOW, Focus::Hidden, Event::DoNotDisturb(true)).len(), 0);
    // The screen locks too, then unlocks: still unseen (do-not-disturb), still Away.
    assert_eq!(set(&m.apply(NOW, Focus::Hidden, Event::ScreenLock(true))), vec![]);
    assert_eq!(set(&m.apply(NOW, Focus::Hidden, Event::ScreenLock(false))), vec![]);
    // Do-not-disturb off: back to what it was before either.
    assert_eq!(set(&m.apply(NOW, Focus::Hidden, Event::DoNotDisturb(false))), vec![available]);
}

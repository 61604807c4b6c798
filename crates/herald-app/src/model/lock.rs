//! When the agent cannot see a toast (the never-miss issue, item 2): the screen locked, or the
//! desktop's do-not-disturb is on (the notification server draws nothing). By default the agent
//! goes Away while either holds — no offer is sent to a screen nobody reads — and back to the
//! presence they had when neither holds any more, unless it changed meanwhile. Offers pending
//! at each change note it in their timeline ("why was it missed?").

use super::{Call, Effect, Model, Origin};
use crate::view::{NoticeLevel, ScreenLockMode};
use herald_protocol::{BasePresence, NoteKind, Presence};

/// Why toasts go unseen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unseen {
    ScreenLock,
    DoNotDisturb,
}

/// Which of [`Unseen`] hold now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Blinds {
    locked: bool,
    do_not_disturb: bool,
}

impl Blinds {
    fn any(self) -> bool {
        self.locked || self.do_not_disturb
    }

    fn slot(&mut self, why: Unseen) -> &mut bool {
        match why {
            Unseen::ScreenLock => &mut self.locked,
            Unseen::DoNotDisturb => &mut self.do_not_disturb,
        }
    }
}

impl Model {
    /// `why` began (`on`) or ended. The setting "when the screen locks" decides for both.
    pub(super) fn on_unseen(&mut self, why: Unseen, on: bool, fx: &mut Vec<Effect>) {
        let was = self.blinds.any();
        if std::mem::replace(self.blinds.slot(why), on) == on {
            return;
        }
        let mode = self.state.settings.screen_lock;
        if mode == ScreenLockMode::Ignore {
            return;
        }
        let (kind, detail) = match (why, on) {
            (Unseen::ScreenLock, true) => (NoteKind::ScreenLocked, "the screen locked"),
            (Unseen::ScreenLock, false) => (NoteKind::ScreenUnlocked, "the screen unlocked"),
            (Unseen::DoNotDisturb, true) => (NoteKind::DoNotDisturbOn, "the desktop's do-not-disturb turned on"),
            (Unseen::DoNotDisturb, false) => (NoteKind::DoNotDisturbOff, "the desktop's do-not-disturb turned off"),
        };
        for v in &self.state.offers {
            fx.push(Effect::Call(Call::Note { offer: v.offer.id, kind, detail: detail.into() }, Origin::Background));
        }
        if mode != ScreenLockMode::SetAway {
            return;
        }
        let Some(me) = self.state.me.as_ref() else { return };
        let now = self.blinds.any();
        if now && !was {
            // Only a presence that takes work is put aside; Away, DND, Inactive or Offline stay.
            if matches!(me.presence.base, BasePresence::Available | BasePresence::Busy) && self.before_lock.is_none() {
                self.before_lock = Some(me.presence.clone());
                fx.push(Effect::Call(Call::SetPresence(Presence { base: BasePresence::Away, custom: None }), Origin::Background));
                let id = match why {
                    Unseen::ScreenLock => "notice-locked-away",
                    Unseen::DoNotDisturb => "notice-dnd-away",
                };
                self.notice(NoticeLevel::Info, crate::i18n::text(self.state.language, id), None);
                self.lock_notice = self.state.notices.last().map(|n| n.id);
            }
        } else if !now && was {
            // The person can see again: the notice that said why they were Away goes.
            if let Some(id) = self.lock_notice.take() {
                self.state.notices.retain(|n| n.id != id);
            }
            // Back only from the Away it set (a supervisor or the person may have changed it).
            if let Some(before) = self.before_lock.take()
                && me.presence.base == BasePresence::Away
                && me.presence.custom.is_none()
            {
                fx.push(Effect::Call(Call::SetPresence(before), Origin::Background));
            }
        }
    }
}

//! The screen locked: the agent cannot see a toast (the never-miss issue, item 2). By default
//! the agent goes Away while locked — no offer is sent to a screen nobody reads — and back to
//! the presence they had when it unlocks, unless it changed meanwhile. Offers pending at that
//! moment note the lock in their timeline ("why was it missed?").

use super::{Call, Effect, Model, Origin};
use crate::view::{NoticeLevel, ScreenLockMode};
use herald_protocol::{BasePresence, NoteKind, Presence};

impl Model {
    pub(super) fn on_screen_lock(&mut self, locked: bool, fx: &mut Vec<Effect>) {
        let mode = self.state.settings.screen_lock;
        if mode == ScreenLockMode::Ignore {
            return;
        }
        let (kind, detail) =
            if locked { (NoteKind::ScreenLocked, "the screen locked") } else { (NoteKind::ScreenUnlocked, "the screen unlocked") };
        for v in &self.state.offers {
            fx.push(Effect::Call(Call::Note { offer: v.offer.id, kind, detail: detail.into() }, Origin::Background));
        }
        if mode != ScreenLockMode::SetAway {
            return;
        }
        let Some(me) = self.state.me.as_ref() else { return };
        if locked {
            // Only a presence that takes work is put aside; Away, DND, Inactive or Offline stay.
            if matches!(me.presence.base, BasePresence::Available | BasePresence::Busy) && self.before_lock.is_none() {
                self.before_lock = Some(me.presence.clone());
                fx.push(Effect::Call(Call::SetPresence(Presence { base: BasePresence::Away, custom: None }), Origin::Background));
                self.notice(NoticeLevel::Info, "The screen locked: you are Away until it unlocks.".into(), None);
            }
        } else if let Some(before) = self.before_lock.take() {
            // Back only from the Away the lock set (a supervisor or the person may have changed it).
            if me.presence.base == BasePresence::Away && me.presence.custom.is_none() {
                fx.push(Effect::Call(Call::SetPresence(before), Origin::Background));
            }
        }
    }
}

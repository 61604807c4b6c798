//! Time: `Input::Tick` fires every due timer — offer deadlines (R14; R19 for assignments), the
//! redirect of offers the agent never saw (R26), missed offers (R24, R25) and the disconnect grace.

use super::{Key, Router, Timer};
use crate::ids::{OfferId, Timestamp};
use crate::model::OfferState;
use crate::presence::BlockReason;

impl Router {
    pub(super) fn tick(&mut self, now: Timestamp) {
        while let Some(&(at, timer)) = self.timers.first() {
            if at > now {
                break;
            }
            self.timers.pop_first();
            self.timer_at.remove(&timer);
            match timer {
                Timer::Offer(id) => self.offer_due(now, id),
                Timer::Disconnect(agent) => self.disconnect_expired(now, agent),
            }
        }
    }

    fn offer_due(&mut self, now: Timestamp, id: OfferId) {
        let Some(o) = self.offers.get(&id) else { return };
        if o.is_assignment() {
            // R19: the item stays assigned whatever happens to the notification.
            self.end_offer(now, id, OfferState::TimedOut);
            return;
        }
        let unseen = o.displayed_at.is_none() && o.hold_until.is_none() && !self.connected(o.agent);
        if unseen && !self.settings.reroute_unseen_immediately && self.settings.unseen_redirect_secs > 0 {
            // R26: the agent never saw it and is gone; the item is redirected later.
            let base = o.deadline.unwrap_or(now);
            let hold = base.plus_secs(u64::from(self.settings.unseen_redirect_secs));
            if let Some(o) = self.offers.get_mut(&id) {
                o.hold_until = Some(hold);
            }
            self.dirty.insert(Key::Offer(id));
            self.set_timer(Timer::Offer(id), hold);
            return;
        }
        self.expire_offer(now, id);
    }

    /// R24 + R25: the offer timed out; the agent may go Inactive; the item routes on.
    pub(super) fn expire_offer(&mut self, now: Timestamp, id: OfferId) {
        let Some(offer) = self.end_offer(now, id, OfferState::TimedOut) else { return };
        let agent = offer.agent;
        if let Some(a) = self.agents.get_mut(&agent) {
            a.missed_count += 1;
        }
        self.touch_agent(agent);
        if self.settings.missed_notifications {
            self.block(agent, BlockReason::Missed);
        }
        self.requeue(now, offer.work_item, agent);
        self.drain_for(now, agent);
    }
}

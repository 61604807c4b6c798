//! Time: `Input::Tick` fires every due timer — offer deadlines (R14; R19 for assignments), the
//! redirect of offers the agent never saw (R26), missed offers (R24, R25), the re-offer of items
//! everyone declined (R25) and the disconnect grace.

use super::routing::Routing;
use super::{Key, Router, Timer};
use crate::ids::{OfferId, Timestamp, WorkItemId};
use crate::model::{OfferState, WorkItemState};
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
                Timer::Reoffer(item) => self.reoffer_due(now, item),
            }
        }
    }

    /// R25: a waiting item that agents rejected or let time out is theirs to have again
    /// `reoffer_after_secs` after it went back to the queue, unless someone else took it first.
    /// Armed whenever routing leaves such an item waiting (the time does not move while it
    /// waits); cleared when nobody declined it.
    pub(super) fn arm_reoffer(&mut self, id: WorkItemId) {
        let Some(i) = self.items.get(&id) else { return };
        if i.declined_by().next().is_none() {
            self.clear_timer(Timer::Reoffer(id));
            return;
        }
        let since = i.queued_since.unwrap_or(i.created_at);
        self.set_timer(Timer::Reoffer(id), since.plus_secs(u64::from(self.settings.reoffer_after_secs)));
    }

    /// The cool-down is over and the item still waits: forget who declined it (the agent who
    /// handed it on stays excluded) and route it again. An agent whose presence does not allow
    /// work (R24, R28 → R29) or who is at the maximum (R27) is still passed over; the item then
    /// waits for them like any other.
    fn reoffer_due(&mut self, now: Timestamp, id: WorkItemId) {
        let Some(i) = self.items.get_mut(&id) else { return };
        if i.state != WorkItemState::Queued {
            return;
        }
        let keep = i.from_agent;
        i.excluded.retain(|a| Some(*a) == keep);
        self.dirty.insert(Key::Item(id));
        self.route(now, id, Routing::Retrying);
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

//! The invariants the property tests check after every input: one live session per item, one
//! pending decision offer per agent (held offers match their items), blocks match presence (R29),
//! custom presences exist (R31), queued items are where the queue lists them and those someone
//! declined have their re-offer armed (R25).

use super::Router;
use crate::model::{OfferState, WorkItemState};
use std::collections::BTreeSet;

impl Router {
    /// Checks the invariants the property tests rely on; returns the first broken one.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut assigned_items = BTreeSet::new();
        for s in self.sessions.values() {
            if !assigned_items.insert(s.work_item) {
                return Err(format!("{} has two live sessions", s.work_item));
            }
            match self.items.get(&s.work_item).map(|i| &i.state) {
                Some(WorkItemState::Assigned { session, agent }) if *session == s.id && *agent == s.agent => {}
                other => return Err(format!("{} of {} but item state {other:?}", s.id, s.work_item)),
            }
        }
        for (agent, offer) in &self.agent_offer {
            match self.offers.get(offer) {
                Some(o) if o.agent == *agent && o.state == OfferState::Pending => {}
                other => return Err(format!("{agent} holds {offer} which is {other:?}")),
            }
        }
        for o in self.offers.values() {
            if o.state != OfferState::Pending {
                return Err(format!("{} kept while {:?}", o.id, o.state));
            }
            if !o.is_assignment() {
                match self.items.get(&o.work_item).map(|i| &i.state) {
                    Some(WorkItemState::Offered { offer, agent }) if *offer == o.id && *agent == o.agent => {}
                    other => return Err(format!("{} pending but item state {other:?}", o.id)),
                }
            }
        }
        for a in self.agents.values() {
            if let Some(c) = &a.presence.custom {
                if !self.settings.custom_presences.iter().any(|p| &p.name == c && p.base == a.presence.base) {
                    return Err(format!("{} has unknown custom presence {c}", a.id));
                }
            }
            if let Some(b) = &a.block {
                if a.presence.base != b.reason.presence() {
                    return Err(format!("{} blocked for {:?} but {:?}", a.id, b.reason, a.presence.base));
                }
            }
        }
        for (q, items) in &self.queued {
            for i in items {
                match self.items.get(i) {
                    Some(item) if item.state == WorkItemState::Queued && item.queue == *q => {
                        // R25: nobody is stranded by having declined it.
                        if item.declined_by().next().is_some() && self.reoffer_at(*i).is_none() {
                            return Err(format!("{i} waits, declined by {:?}, with no re-offer", item.excluded));
                        }
                    }
                    other => return Err(format!("{i} listed as queued but {other:?}")),
                }
            }
        }
        Ok(())
    }
}

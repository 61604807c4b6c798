//! Presence: the agent's own choice (R31), the system's blocks and their banners (R24, R27, R28),
//! going back after a block (R29), a supervisor's reset (R30), and connections coming and going
//! (R26: an agent gone longer than the grace is taken out of routing).

use super::{CoreError, Reply, Router, Timer};
use crate::config::Invalid;
use crate::ids::{AgentId, Timestamp};
use crate::model::{AgentEvent, PresenceReason};
use crate::presence::{BasePresence, Block, BlockReason, Presence};

impl Router {
    fn change_presence(&mut self, agent: AgentId, presence: Presence, reason: PresenceReason) {
        let Some(a) = self.agents.get_mut(&agent) else { return };
        if a.presence == presence {
            return;
        }
        a.presence = presence.clone();
        self.touch_agent(agent);
        self.emit(agent, AgentEvent::PresenceChanged { presence, reason });
    }

    /// The system takes the agent out of routing (R24, R27, R28, disconnect). An agent already
    /// held keeps the first reason and the presence to go back to.
    pub(super) fn block(&mut self, agent: AgentId, reason: BlockReason) {
        let Some(a) = self.agents.get_mut(&agent) else { return };
        if a.block.is_some() {
            return;
        }
        a.block = Some(Block { reason, restore_to: a.presence.clone() });
        let banner = a.banner();
        self.touch_agent(agent);
        let reason_kind = if reason == BlockReason::Disconnected { PresenceReason::Connection } else { PresenceReason::System };
        self.change_presence(agent, Presence::base(reason.presence()), reason_kind);
        if let Some(b) = banner {
            self.emit(agent, AgentEvent::BannerRaised(b));
        }
    }

    /// Ends a block: back to the presence from before it (R29).
    fn unblock(&mut self, now: Timestamp, agent: AgentId, reason: PresenceReason) {
        let Some(a) = self.agents.get_mut(&agent) else { return };
        let Some(block) = a.block.take() else { return };
        self.touch_agent(agent);
        if block.reason.banner_message().is_some() {
            self.emit(agent, AgentEvent::BannerCleared);
        }
        self.change_presence(agent, block.restore_to, reason);
        self.drain_for(now, agent);
    }

    pub(super) fn set_presence(&mut self, now: Timestamp, agent: AgentId, presence: Presence) -> Result<Reply, CoreError> {
        self.agent_ref(agent)?;
        let presence = self.check_presence(presence)?;
        let a = self.agents.get_mut(&agent).ok_or(CoreError::UnknownAgent(agent))?;
        if let Some(block) = a.block.take() {
            self.touch_agent(agent);
            if block.reason.banner_message().is_some() {
                self.emit(agent, AgentEvent::BannerCleared);
            }
        }
        self.change_presence(agent, presence, PresenceReason::Agent);
        self.drain_for(now, agent);
        Ok(Reply::Done)
    }

    /// A custom presence must exist; its base comes from its definition (R31).
    fn check_presence(&self, p: Presence) -> Result<Presence, CoreError> {
        match &p.custom {
            None => Ok(p),
            Some(name) => self
                .settings
                .custom_presences
                .iter()
                .find(|c| &c.name == name)
                .map(|c| Presence { base: c.base, custom: Some(c.name.clone()) })
                .ok_or_else(|| Invalid::new("presence.custom", format!("no custom presence named {name:?}")).into()),
        }
    }

    pub(super) fn reset_presence(&mut self, now: Timestamp, agent: AgentId, by: AgentId) -> Result<Reply, CoreError> {
        let actor = self.agent_ref(by)?;
        if by != agent && !actor.role.supervises() {
            return Err(CoreError::NotSupervisor);
        }
        let target = self.agent_ref(agent)?;
        if target.block.is_none() {
            return Ok(Reply::Unchanged);
        }
        self.unblock(now, agent, PresenceReason::Reset);
        Ok(Reply::Done)
    }

    pub(super) fn on_connected(&mut self, now: Timestamp, agent: AgentId) -> Result<Reply, CoreError> {
        self.agent_ref(agent)?;
        let n = self.connections.entry(agent).or_insert(0);
        *n += 1;
        // Connection flaps (every poll is one) are not worth a log entry for supervisors; the
        // team view reads `connected` when it is fetched, and going Offline is an event.
        self.clear_timer(Timer::Disconnect(agent));
        let was_disconnected =
            self.agents.get(&agent).and_then(|a| a.block.as_ref()).is_some_and(|b| b.reason == BlockReason::Disconnected);
        if was_disconnected {
            self.unblock(now, agent, PresenceReason::Connection);
        }
        Ok(Reply::Done)
    }

    pub(super) fn on_disconnected(&mut self, now: Timestamp, agent: AgentId) -> Result<Reply, CoreError> {
        self.agent_ref(agent)?;
        let n = self.connections.entry(agent).or_insert(0);
        *n = n.saturating_sub(1);
        if *n == 0 {
            self.connections.remove(&agent);
            let grace = u64::from(self.settings.disconnect_grace_secs);
            self.set_timer(Timer::Disconnect(agent), now.plus_secs(grace));
        }
        Ok(Reply::Done)
    }

    /// The disconnect grace ran out: the system marks the agent unavailable (R26).
    pub(super) fn disconnect_expired(&mut self, now: Timestamp, agent: AgentId) {
        if self.connected(agent) {
            return;
        }
        let offline = self.agents.get(&agent).is_none_or(|a| a.presence.base == BasePresence::Offline);
        if !offline {
            self.block(agent, BlockReason::Disconnected);
        }
        if self.settings.reroute_unseen_immediately {
            if let Some(offer) = self.agent_offer.get(&agent).copied() {
                if self.offers.get(&offer).is_some_and(|o| o.displayed_at.is_none()) {
                    self.expire_offer(now, offer);
                }
            }
        }
    }
}

//! The link to the workspace: (re)connecting, the connection status in words, the snapshot on
//! connecting and the agent's event log (R33).

use super::state::{merge_message, remove_session, upsert_session};
use super::{Call, Effect, LinkChange, Model, Origin};
use crate::focus::Focus;
use crate::view::{ConnectionStatus, NoticeLevel, OfferView};
use herald_client::Transport;
use herald_protocol::{AgentEvent, EventEnvelope, Me, OfferId, OfferState, Resync, SessionState, Timestamp};
use std::collections::HashSet;

const REFUSED: &str = "The workspace refused the token. Sign in again in Settings.";

impl Model {
    /// Starts a new link per the settings. Another workspace than the last one: its ids mean
    /// other things, so the offers, sessions and toasts of the old one go.
    pub(super) fn relink(&mut self, fx: &mut Vec<Effect>) {
        self.link += 1;
        let configured = self.state.settings.workspace_url.clone();
        if self.linked_to.as_ref().is_some_and(|l| *l != configured) {
            fx.extend(self.state.offers.iter().filter(|v| v.toasted).map(|v| Effect::WithdrawToast(v.offer.id)));
            self.state.offers.clear();
            self.state.sessions.clear();
            self.state.transcripts.clear();
            self.state.active_session = None;
            self.state.focused_offer = None;
            self.toasted.clear();
            self.receipted.clear();
            self.expiries.clear();
        }
        self.linked_to = Some(configured.clone());
        self.offset = None;
        self.seq = 0;
        self.base.clear();
        self.state.me = None;
        self.state.team.clear();
        self.state.board.clear();
        self.state.missed_offer = None;
        self.state.timeline = None;
        self.board_read = super::board::BoardRead::Idle;
        self.state.connection.status = ConnectionStatus::Connecting;
        self.state.connection.embedded = configured.is_empty();
        self.state.connection.workspace_url = configured;
        self.state.connection.detail = None;
        fx.push(Effect::Connect { link: self.link, settings: self.state.settings.clone() });
    }

    pub(super) fn on_link(&mut self, change: LinkChange) {
        let (status, detail) = match change {
            LinkChange::Connecting { url, base } => {
                self.state.connection.workspace_url = url;
                self.base = base;
                return;
            }
            LinkChange::Unreachable => {
                (ConnectionStatus::Reconnecting, Some(format!("Cannot reach the workspace at {}; retrying.", self.base)))
            }
            LinkChange::Refused => (ConnectionStatus::Unauthorized, Some(REFUSED.to_string())),
            LinkChange::Transport(t) => match t {
                Transport::Streaming => (ConnectionStatus::Live, None),
                Transport::Polling => {
                    (ConnectionStatus::Polling, Some("Events arrive by polling: the live stream could not be held.".to_string()))
                }
                Transport::Connecting | Transport::Backoff => {
                    (ConnectionStatus::Reconnecting, Some(format!("Reconnecting to {}…", self.base)))
                }
                Transport::Unauthorized => (ConnectionStatus::Unauthorized, Some(REFUSED.to_string())),
            },
            LinkChange::NeedsToken => {
                (ConnectionStatus::NeedsToken, Some("Enter the token your administrator gave you in Settings.".to_string()))
            }
            LinkChange::TokenUnreadable(e) => {
                self.notice(NoticeLevel::Error, e.clone(), None);
                (ConnectionStatus::NeedsToken, Some(e))
            }
            LinkChange::EmbeddedFailed(e) => {
                let msg = format!("The embedded workspace could not start: {e}");
                self.notice(NoticeLevel::Error, msg.clone(), None);
                (ConnectionStatus::Reconnecting, Some(msg))
            }
            LinkChange::InvalidUrl(e) => (ConnectionStatus::Reconnecting, Some(e)),
        };
        self.state.connection.status = status;
        self.state.connection.detail = detail;
    }

    /// The agent as the workspace sees it on (re)connecting: sessions, pending offers, and the
    /// event log's position. A pending offer that was toasted before is not toasted again and
    /// offers that ended while the link was down lose their toasts (R33).
    pub(super) fn on_snapshot(&mut self, now: Timestamp, focus: Focus, me: Me, fx: &mut Vec<Effect>) {
        self.seq = me.last_seq;
        self.state.me = Some(me.agent);
        self.state.sessions = me.sessions.into_iter().filter(|s| s.state != SessionState::Closed).collect();
        let items: HashSet<_> = self.state.sessions.iter().map(|s| s.conversation_id()).collect();
        self.state.transcripts.retain(|t| items.contains(&t.work_item));
        fx.extend(self.state.sessions.iter().map(|s| Effect::Call(Call::Transcript(s.id), Origin::Background)));
        if self.state.active_session.is_none_or(|a| !self.state.sessions.iter().any(|s| s.id == a)) {
            self.state.active_session = self.state.sessions.iter().find(|s| s.state == SessionState::Open).map(|s| s.id);
        }
        let pending: HashSet<OfferId> = me.offers.iter().map(|o| o.id).collect();
        // Offers that ended are forgotten: a workspace never offers their ids again — except one
        // restored from an older backup (a resync), whose new offers reuse the numbers and must
        // toast like any new offer.
        self.toasted.retain(|o| pending.contains(o));
        self.receipted.retain(|o| pending.contains(o));
        let gone: Vec<OfferView> = self.state.offers.iter().filter(|v| !pending.contains(&v.offer.id)).cloned().collect();
        for v in gone {
            self.end_offer(v.offer.id, fx);
        }
        for o in me.offers {
            self.offer_arrived(now, focus, o, fx);
        }
        self.want_board(fx);
    }

    /// The workspace's log cannot continue where this link stands: it was pruned past it, or the
    /// workspace was restored from an older backup (its numbers start again below ours). What
    /// the app holds may be stale, so the agent is read again ([`Effect::LoadSnapshot`]); the
    /// snapshot's `last_seq` then says which of the entries that follow are new. Until it
    /// arrives only entries past the log's end apply.
    pub(super) fn on_resync(&mut self, resync: Resync, fx: &mut Vec<Effect>) {
        self.seq = resync.last_seq;
        fx.push(Effect::LoadSnapshot { link: self.link });
    }

    /// One entry of the agent's event log. An entry seen already on this link (a replay after
    /// the stream reconnected) changes nothing (R33).
    pub(super) fn on_entry(&mut self, now: Timestamp, focus: Focus, entry: EventEnvelope, fx: &mut Vec<Effect>) {
        if entry.seq <= self.seq {
            return;
        }
        self.seq = entry.seq;
        let sample = entry.at.0 as i64 - now.0 as i64;
        // Delivery delay only makes samples smaller; the largest is the best estimate. A
        // replayed backlog gives very old samples, which never win.
        if self.offset.is_none_or(|o| sample > o) {
            self.offset = Some(sample);
            self.state.clock_offset_ms = sample;
        }
        match entry.event {
            AgentEvent::OfferCreated(o) => self.offer_arrived(now, focus, o, fx),
            AgentEvent::OfferEnded { offer, state, .. } => {
                if state == OfferState::TimedOut && self.state.offers.iter().any(|v| v.offer.id == offer) {
                    // R24: a miss; the banner can say why ("Why was it missed?").
                    self.state.missed_offer = Some(offer);
                }
                self.end_offer(offer, fx);
            }
            AgentEvent::SessionOpened(s) | AgentEvent::SessionUpdated(s) => {
                if !self.state.sessions.iter().any(|x| x.id == s.id) {
                    fx.push(Effect::Call(Call::Transcript(s.id), Origin::Background));
                }
                upsert_session(&mut self.state, s);
            }
            AgentEvent::MessageAdded(msg) | AgentEvent::MessageUpdated(msg) => merge_message(&mut self.state, msg),
            AgentEvent::SessionClosed { session, .. } => remove_session(&mut self.state, session),
            AgentEvent::PresenceChanged { presence, .. } => {
                if let Some(me) = self.state.me.as_mut() {
                    me.presence = presence;
                }
            }
            AgentEvent::BannerRaised(b) => {
                if let Some(me) = self.state.me.as_mut() {
                    me.banner = Some(b);
                }
            }
            AgentEvent::BannerCleared => {
                if let Some(me) = self.state.me.as_mut() {
                    me.banner = None;
                }
            }
            AgentEvent::TeamAgentChanged(a) => {
                match self.state.team.iter_mut().find(|t| t.id == a.id) {
                    Some(t) => *t = a,
                    None => self.state.team.push(a),
                }
                self.want_board(fx);
            }
            AgentEvent::QueueChanged { .. } => self.want_board(fx),
        }
    }
}

//! What the person asks for — from the window ([`Command`]) or a toast's buttons
//! ([`UserAction`]) — and what the workspace answers.

use super::state::{merge_message, remove_session, upsert_session};
use super::{Answer, Call, Effect, Failure, Model, Origin, SettingsPlan, SignInPlan};
use crate::focus::Focus;
use crate::settings;
use crate::view::{Command, CommandError, DesktopSettings, NoticeLevel, Password, SettingsInput};
use herald_notify::UserAction;
use herald_protocol::{NoteKind, OfferAction, OfferId, Timestamp};

impl Model {
    /// A click on a toast.
    pub(super) fn on_toast(&mut self, action: UserAction, fx: &mut Vec<Effect>) {
        let offer = OfferId(action.key());
        // The offer's timeline hears what the person did with the toast ("why was it missed?").
        let (kind, detail) = match action {
            UserAction::Accepted(_) => (NoteKind::ToastClicked, "Accept"),
            UserAction::Rejected(_) => (NoteKind::ToastClicked, "Reject"),
            UserAction::Opened(_) => (NoteKind::ToastClicked, "the toast's body"),
            UserAction::Dismissed(_) => (NoteKind::ToastDismissed, "closed without choosing"),
        };
        let note = self.state.offers.iter().any(|v| v.offer.id == offer).then(|| Call::Note { offer, kind, detail: detail.into() });
        match action {
            // R12
            UserAction::Accepted(_) => fx.push(Effect::Call(Call::Accept(offer), Origin::Toast)),
            UserAction::Rejected(_) => fx.push(Effect::Call(Call::Reject(offer), Origin::Toast)),
            UserAction::Opened(_) => {
                let known = self.state.offers.iter().find(|v| v.offer.id == offer).map(|v| v.offer.actions == [OfferAction::OpenItem]);
                match known {
                    // R19: "Open item" opens the assigned case.
                    Some(true) => fx.push(Effect::Call(Call::Accept(offer), Origin::Toast)),
                    // R13: the body brings Herald to the front with the offer shown.
                    Some(false) => {
                        self.state.focused_offer = Some(offer);
                        fx.push(Effect::BringToFront);
                    }
                    // An informational toast (auto-accepted) or an offer that already ended.
                    None => fx.push(Effect::BringToFront),
                }
            }
            // The offer stays pending in the app; it is not toasted again (R33).
            UserAction::Dismissed(_) => {
                if let Some(v) = self.offer_mut(offer) {
                    v.toasted = false;
                }
            }
        }
        if let Some(note) = note {
            fx.push(Effect::Call(note, Origin::Background));
        }
    }

    /// A command from the window.
    pub(super) fn on_command(&mut self, cmd: Command, fx: &mut Vec<Effect>) {
        let call = match cmd {
            Command::AcceptOffer { offer } => Call::Accept(offer),
            Command::RejectOffer { offer } => Call::Reject(offer),
            Command::SelectSession { session } => {
                self.state.active_session = session.filter(|s| self.state.sessions.iter().any(|x| x.id == *s));
                return;
            }
            Command::CloseSession { session } => Call::CloseSession(session),
            Command::OpenSession { session } => Call::OpenSession(session),
            Command::CallControl { session, action } => Call::CallControl { session, action },
            Command::SendMessage { session, body } => {
                let body = body.trim().to_string();
                if body.is_empty() {
                    let e = CommandError { field: Some("body".into()), ..CommandError::app("Write a message first.") };
                    fx.push(Effect::Refuse(e));
                    return;
                }
                Call::SendMessage { session, body }
            }
            Command::SetPresence { presence } => Call::SetPresence(presence),
            Command::ResetPresence => Call::ResetPresence,
            Command::ResetAgentPresence { agent } => Call::ResetAgentPresence(agent),
            Command::Direct { item, agent, how } => Call::Direct { item, agent, how },
            Command::ShowTimeline { offer } => Call::Timeline(offer),
            Command::TestSound { sound, volume } => {
                fx.push(Effect::Ring(Some(crate::sound::Ring { offer: None, sound, volume: volume.min(100), repeat: false })));
                // Decided again after this command: while a request waits, its ring goes on
                // (the test plays in silence only).
                self.ringing = None;
                return;
            }
            c @ (Command::AcceptNewest | Command::RejectNewest) => {
                let accept = c == Command::AcceptNewest;
                // The newest offer that takes this answer (a case only opens: Accept does that).
                let newest = self.state.offers.iter().rev().find(|v| {
                    let a = &v.offer.actions;
                    if accept {
                        a.contains(&OfferAction::Accept) || a.contains(&OfferAction::OpenItem)
                    } else {
                        a.contains(&OfferAction::Reject)
                    }
                });
                match newest.map(|v| v.offer.id) {
                    // As from a toast: a refusal becomes a notice (nobody waits on a key press).
                    Some(offer) => {
                        fx.push(Effect::Call(if accept { Call::Accept(offer) } else { Call::Reject(offer) }, Origin::Toast));
                    }
                    None => {
                        let id = if accept { "notice-nothing-to-accept" } else { "notice-nothing-to-reject" };
                        self.notice(NoticeLevel::Info, crate::i18n::text(self.state.language, id), None);
                    }
                }
                return;
            }
            Command::CloseTimeline => {
                self.state.timeline = None;
                return;
            }
            Command::SaveSettings(input) => {
                fx.push(match self.plan_settings(input) {
                    Ok(plan) => Effect::SaveSettings(plan),
                    Err(e) => Effect::Refuse(e),
                });
                return;
            }
            Command::DismissNotice { id } => {
                self.state.notices.retain(|n| n.id != id);
                return;
            }
            Command::SignIn { workspace_url, email, password } => {
                fx.push(match self.plan_sign_in(workspace_url, email, password) {
                    Ok(plan) => Effect::SignIn(plan),
                    Err(e) => Effect::Refuse(e),
                });
                return;
            }
            Command::SignOut => {
                if self.state.settings.workspace_url.is_empty() {
                    fx.push(Effect::Refuse(CommandError::app(
                        "The embedded workspace signs you in by itself: there is nothing to sign out of.",
                    )));
                    return;
                }
                let settings = DesktopSettings { account: String::new(), ..self.state.settings.clone() };
                fx.push(Effect::SignOut(SettingsPlan { settings, token: None, autostart: None, signed_out: true }));
                return;
            }
        };
        fx.push(Effect::Call(call, Origin::Window));
    }

    /// Checks new settings against the current ones.
    fn plan_settings(&self, input: SettingsInput) -> Result<SettingsPlan, CommandError> {
        let mut new = input.settings;
        new.workspace_url = new.workspace_url.trim().trim_end_matches('/').to_string();
        settings::check_url(&new.workspace_url)
            .map_err(|m| CommandError { field: Some("workspace_url".into()), ..CommandError::app(m) })?;
        let token = input.token.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        if token.is_some() && new.workspace_url.is_empty() {
            return Err(CommandError {
                field: Some("token".into()),
                ..CommandError::app("A token is for a workspace URL; the embedded workspace signs you in by itself.")
            });
        }
        if token.is_some() || new.workspace_url != self.state.settings.workspace_url {
            // A pasted token, or another workspace: not (or no longer) the signed-in account.
            new.account = String::new();
        } else {
            new.account = self.state.settings.account.clone();
        }
        let autostart = (new.autostart != self.state.settings.autostart).then_some(new.autostart);
        Ok(SettingsPlan { settings: new, token, autostart, signed_out: false })
    }

    /// Checks a sign-in before the workspace is asked: an address, an email, a password.
    fn plan_sign_in(&self, url: String, email: String, password: Password) -> Result<SignInPlan, CommandError> {
        let field = |f: &str, m: &str| CommandError { field: Some(f.into()), ..CommandError::app(m) };
        let url = url.trim().trim_end_matches('/').to_string();
        if url.is_empty() {
            return Err(field("workspace_url", "Enter your workspace's address, e.g. https://herald.example.com."));
        }
        settings::check_url(&url).map_err(|m| field("workspace_url", &m))?;
        let email = email.trim().to_string();
        if !email.contains('@') {
            return Err(field("email", "Enter the email address you were invited with."));
        }
        if password.0.is_empty() {
            return Err(field("password", "Enter your password."));
        }
        let settings = DesktopSettings { workspace_url: url, account: email.clone(), ..self.state.settings.clone() };
        Ok(SignInPlan { settings, email, password })
    }

    /// The settings are stored: apply them. Another workspace, a new token or another demo
    /// role relinks; a new notification mode applies to offers still pending (R11).
    pub(super) fn on_settings_saved(&mut self, now: Timestamp, focus: Focus, plan: SettingsPlan, fx: &mut Vec<Effect>) {
        let (old, new) = (&self.state.settings, &plan.settings);
        let relink = new.workspace_url != old.workspace_url
            || plan.token.is_some()
            || plan.signed_out
            || (new.workspace_url.is_empty() && new.demo_as != old.demo_as);
        let traffic = (new.demo_traffic != old.demo_traffic).then_some(new.demo_traffic);
        self.state.settings = plan.settings;
        self.state.language = self.state.settings.language.unwrap_or(self.system_language);
        self.state.window = focus;
        if relink {
            self.relink(fx);
        } else if let Some(on) = traffic {
            fx.push(Effect::DemoTraffic(on));
        }
        self.reconsider(now, focus, fx);
    }

    /// The workspace answered.
    pub(super) fn on_answer(&mut self, answer: Answer, fx: &mut Vec<Effect>) {
        match answer {
            // R12: Accept brings the app to the front and starts the session (R10).
            Answer::Accepted { offer, session } => {
                fx.push(Effect::BringToFront);
                fx.push(Effect::Call(Call::Transcript(session.id), Origin::Background));
                self.end_offer(offer, fx);
                self.state.active_session = Some(session.id);
                upsert_session(&mut self.state, session);
            }
            Answer::Rejected(offer) => self.end_offer(offer, fx),
            Answer::Displayed(_) => {}
            Answer::Transcript(t) => {
                for msg in t.messages {
                    merge_message(&mut self.state, msg);
                }
            }
            Answer::SessionClosed(session) => remove_session(&mut self.state, session),
            Answer::SessionOpened(s) => {
                self.state.active_session = Some(s.id);
                upsert_session(&mut self.state, s);
            }
            Answer::CallControlled(s) => upsert_session(&mut self.state, s),
            Answer::MessageSent(msg) => merge_message(&mut self.state, msg),
            Answer::Me(me) => self.state.me = Some(me),
            Answer::AgentReset(a) => {
                if let Some(t) = self.state.team.iter_mut().find(|t| t.id == a.id) {
                    *t = a;
                }
            }
            Answer::Board(b) => self.on_board(Some(b), fx),
            // The queue's change comes over the stream and reads the board again.
            Answer::Directed(_) | Answer::Noted => {}
            Answer::Timeline(t) => self.state.timeline = Some(*t),
        }
    }

    /// The workspace refused, or could not be asked. An answer to an offer that no longer
    /// exists drops the offer from the view.
    pub(super) fn on_failure(&mut self, call: Call, origin: Origin, failure: Failure, fx: &mut Vec<Effect>) {
        match call {
            Call::Accept(offer) | Call::Reject(offer) => {
                if failure.gone() {
                    self.end_offer(offer, fx);
                }
            }
            Call::Displayed(_)
            | Call::Transcript(_)
            | Call::CloseSession(_)
            | Call::OpenSession(_)
            | Call::CallControl { .. }
            | Call::SendMessage { .. }
            | Call::SetPresence(_)
            | Call::ResetPresence
            | Call::ResetAgentPresence(_)
            | Call::Note { .. }
            | Call::Timeline(_)
            | Call::Direct { .. } => {}
            Call::LoadBoard => self.on_board(None, fx),
        }
        match origin {
            Origin::Window => fx.push(Effect::Refuse(failure.error)),
            Origin::Toast => self.notice(NoticeLevel::Error, failure.error.message, failure.error.code),
            Origin::Background => {}
        }
    }
}

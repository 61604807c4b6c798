//! The app without a window, against a real workspace on 127.0.0.1:0 through the real client.
//! The toast daemon is replaced by herald-notify's `Recorder` here (these tests are about *when*
//! the app toasts and what a click does); the real daemon is exercised in herald-e2e.

mod board;
mod screen;
mod signin;
mod sound;
mod typescript;

use herald_app::secrets::Secrets;
use herald_app::view::*;
use herald_app::{App, Focus, Host, Options};
use herald_e2e::{TestWorkspace, WAIT};
use herald_notify::{Capabilities, Recorder, ToastAction, UserAction};
use herald_protocol::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

#[derive(Debug)]
struct TestHost {
    state: watch::Sender<Option<DesktopState>>,
    fronts: AtomicUsize,
    autostart: Mutex<Vec<bool>>,
}

impl TestHost {
    fn new() -> Arc<Self> {
        Arc::new(Self { state: watch::channel(None).0, fronts: AtomicUsize::new(0), autostart: Mutex::new(Vec::new()) })
    }

    async fn wait(&self, what: &str, pred: impl Fn(&DesktopState) -> bool) -> DesktopState {
        let mut rx = self.state.subscribe();
        let r = tokio::time::timeout(WAIT, rx.wait_for(|s| s.as_ref().is_some_and(&pred))).await;
        match r {
            Ok(Ok(s)) => s.clone().expect("state"),
            _ => panic!("timed out waiting for {what}; last state: {:#?}", self.state.borrow()),
        }
    }
}

impl Host for TestHost {
    fn publish(&self, state: &DesktopState) {
        self.state.send_replace(Some(state.clone()));
    }
    fn bring_to_front(&self) {
        self.fronts.fetch_add(1, Ordering::SeqCst);
    }
    fn set_autostart(&self, on: bool) -> Result<(), String> {
        self.autostart.lock().unwrap().push(on);
        Ok(())
    }
}

struct Rig {
    app: App,
    host: Arc<TestHost>,
    toasts: Recorder,
    _dir: tempfile::TempDir,
}

/// The app signed in as `token` on `ws`, with the given notification mode.
async fn rig(ws: &TestWorkspace, token: &str, mode: NotificationMode) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let settings = DesktopSettings { workspace_url: ws.url.clone(), notifications: mode, ..Default::default() };
    herald_app::settings::save(&herald_app::settings::file_in(dir.path()), &settings).unwrap();
    let secrets = Secrets::File(dir.path().join("tokens.json"));
    secrets.set(&ws.url, token).unwrap();
    let host = TestHost::new();
    let (toasts, actions) = Recorder::new(Capabilities { actions: true, ..Default::default() });
    let app = App::start(
        Options { data_dir: dir.path().to_path_buf(), icon: None, secrets: Some(secrets), demo_rate: None },
        host.clone(),
        Ok((Arc::new(toasts.clone()), actions)),
    )
    .await;
    host.wait("the live link", |s| s.connection.status == ConnectionStatus::Live && s.me.is_some()).await;
    Rig { app, host, toasts, _dir: dir }
}

/// R19: a case routed to the queue.
async fn case(ws: &TestWorkspace, queue: QueueId, id: &str) {
    let context = [("caseId".to_string(), id.to_string()), ("caseTitle".to_string(), "Broken order".to_string())];
    ws.admin
        .new_conversation(&NewConversation {
            scenario: Scenario::Case,
            channel: None,
            queue,
            customer_name: "Ada".into(),
            phone: None,
            context: context.into(),
            target_agent: None,
        })
        .await
        .unwrap();
}

async fn toast_count(toasts: &Recorder, n: usize) -> herald_notify::RecorderLog {
    tokio::time::timeout(WAIT, toasts.wait_for(|l| l.shown.len() >= n)).await.expect("toast")
}

#[tokio::test]
async fn r11_r12_hidden_app_toasts_and_accept_on_the_toast_opens_the_session_in_front() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    ws.template(Scenario::Chat, |t| t.reject_allowed = true).await;
    let r = rig(&ws, &a.token, NotificationMode::Background).await;
    r.app.set_focus(Focus::Hidden);
    let item = ws.request(team.queue, Scenario::Chat, "Ada Lovelace").await;
    let log = toast_count(&r.toasts, 1).await;
    let t = &log.shown[0];
    assert_eq!(t.actions, vec![ToastAction::Accept, ToastAction::Reject]);
    assert!(t.body_text().contains("Ada Lovelace"), "{t:?}");
    let offer = OfferId(t.key);
    // R26: the app confirms it showed the offer.
    let me = herald_e2e::within(async {
        loop {
            let me = a.client.me().await.unwrap();
            if me.offers.iter().any(|o| o.id == offer && o.displayed_at.is_some()) {
                break me;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert_eq!(me.offers.len(), 1);

    r.toasts.click(UserAction::Accepted(offer.0));
    let s = r.host.wait("the session", |s| s.offers.is_empty() && s.active_session.is_some()).await;
    let session = s.sessions.iter().find(|x| Some(x.id) == s.active_session).unwrap();
    assert_eq!(session.work_item, item.id);
    assert_eq!(session.customer.name, "Ada Lovelace");
    assert!(r.host.fronts.load(Ordering::SeqCst) >= 1, "R12: Accept brings the app to the front");
    let me = a.client.me().await.unwrap();
    assert!(me.sessions.iter().any(|x| x.work_item == item.id && x.state == SessionState::Open));
    r.toasts.wait_for(|l| l.withdrawn.contains(&offer.0)).await;
}

#[tokio::test]
async fn r11_background_mode_with_herald_in_front_shows_no_toast_until_herald_goes_to_the_background() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let r = rig(&ws, &team.agents[0].token, NotificationMode::Background).await;
    r.app.set_focus(Focus::Focused);
    ws.request(team.queue, Scenario::Chat, "Grace").await;
    let s = r.host.wait("the in-app alert", |s| s.offers.len() == 1).await;
    assert!(!s.offers[0].toasted);
    assert!(r.toasts.log().shown.is_empty(), "no OS toast while Herald is focused");
    // The person switches to another window: the pending offer now raises its toast, once.
    r.app.set_focus(Focus::Unfocused);
    let log = toast_count(&r.toasts, 1).await;
    assert_eq!(log.shown[0].key, s.offers[0].offer.id.0);
    r.app.set_focus(Focus::Hidden);
    r.app.set_focus(Focus::Focused);
    r.app.set_focus(Focus::Minimized);
    r.host.wait("still one offer", |s| s.offers.len() == 1 && s.offers[0].toasted).await;
    assert_eq!(r.toasts.log().shown.len(), 1, "R33: one toast per offer");
}

#[tokio::test]
async fn r11_always_toasts_in_front_and_off_never_toasts() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(2).await;
    let always = rig(&ws, &team.agents[0].token, NotificationMode::Always).await;
    always.app.set_focus(Focus::Focused);
    let off = rig(&ws, &team.agents[1].token, NotificationMode::Off).await;
    off.app.set_focus(Focus::Hidden);
    ws.request(team.queue, Scenario::Sms, "One").await;
    ws.request(team.queue, Scenario::Sms, "Two").await;
    always.host.wait("an offer", |s| s.offers.len() == 1).await;
    off.host.wait("an offer", |s| s.offers.len() == 1).await;
    toast_count(&always.toasts, 1).await;
    assert!(off.toasts.log().shown.is_empty());
}

#[tokio::test]
async fn r13_the_toast_body_brings_the_offer_to_the_front_and_r28_reject_from_the_toast() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    ws.settings(|s| s.agent_reject = true).await;
    ws.template(Scenario::Chat, |t| t.reject_allowed = true).await;
    let r = rig(&ws, &team.agents[0].token, NotificationMode::Always).await;
    ws.request(team.queue, Scenario::Chat, "Ada").await;
    let key = toast_count(&r.toasts, 1).await.shown[0].key;
    r.toasts.click(UserAction::Opened(key));
    let s = r.host.wait("the focused offer", |s| s.focused_offer == Some(OfferId(key))).await;
    assert_eq!(s.offers.len(), 1, "the offer stays for a decision in the app");
    assert_eq!(r.host.fronts.load(Ordering::SeqCst), 1);

    r.toasts.click(UserAction::Rejected(key));
    let s = r
        .host
        .wait("DND with its banner", |s| {
            s.offers.is_empty() && s.me.as_ref().is_some_and(|m| m.presence.base == BasePresence::BusyDnd && m.banner.is_some())
        })
        .await;
    assert_eq!(s.focused_offer, None);
    r.toasts.wait_for(|l| l.withdrawn.contains(&key)).await;
    // The banner's Reset presence puts the agent back where they were (R29).
    r.app.command(Command::ResetPresence).await.unwrap();
    r.host.wait("reset", |s| s.me.as_ref().is_some_and(|m| m.presence.base == BasePresence::Available && m.banner.is_none())).await;
}

#[tokio::test]
async fn r14_r24_r25_an_unanswered_offer_closes_its_toast_at_the_deadline_and_sets_inactive() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(2).await;
    ws.settings(|s| s.missed_notifications = true).await;
    ws.template(Scenario::Chat, |t| {
        t.timeout_secs = TimeoutSecs::parse(1).unwrap();
        t.show_timeout = false;
    })
    .await;
    let r = rig(&ws, &team.agents[0].token, NotificationMode::Always).await;
    let other = rig(&ws, &team.agents[1].token, NotificationMode::Always).await;
    ws.request(team.queue, Scenario::Chat, "Ada").await;
    // Whoever got it first lets it time out; it goes to the other (R25).
    let (first, second) = tokio::select! {
        l = r.toasts.wait_for(|l| !l.shown.is_empty()) => (l, &other),
        l = other.toasts.wait_for(|l| !l.shown.is_empty()) => (l, &r),
    };
    let key = first.shown[0].key;
    let missed = if second.app.state().me.unwrap().id == r.app.state().me.unwrap().id { &other } else { &r };
    missed.toasts.wait_for(|l| l.withdrawn.contains(&key)).await;
    missed
        .host
        .wait("Inactive with the missed banner", |s| {
            s.offers.is_empty()
                && s.me.as_ref().is_some_and(|m| {
                    m.presence.base == BasePresence::Inactive && m.banner.as_ref().is_some_and(|b| b.reason == BlockReason::Missed)
                })
        })
        .await;
    let rerouted = toast_count(&second.toasts, 1).await;
    assert_ne!(rerouted.shown[0].key, key, "a new offer to the next agent");
}

#[tokio::test]
async fn r19_a_case_toast_only_opens_the_item_and_opening_it_opens_the_session() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let r = rig(&ws, &team.agents[0].token, NotificationMode::Always).await;
    case(&ws, team.queue, "CAS-1234").await;
    let t = toast_count(&r.toasts, 1).await.shown[0].clone();
    assert_eq!(t.actions, vec![ToastAction::OpenItem]);
    let s = r.host.wait("the assigned case", |s| s.sessions.len() == 1).await;
    assert_eq!(s.sessions[0].state, SessionState::Assigned, "assigned whatever the toast does");
    r.toasts.click(UserAction::Opened(t.key));
    r.host.wait("the open case", |s| s.sessions.len() == 1 && s.sessions[0].state == SessionState::Open && s.offers.is_empty()).await;
    assert!(r.host.fronts.load(Ordering::SeqCst) >= 1);
}

#[tokio::test]
async fn r19_a_case_whose_notification_timed_out_is_opened_from_the_session() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    ws.template(Scenario::Case, |t| t.timeout_secs = TimeoutSecs::parse(1).unwrap()).await;
    let r = rig(&ws, &team.agents[0].token, NotificationMode::Off).await;
    case(&ws, team.queue, "CAS-9").await;
    let s = r.host.wait("the case, its notification gone", |s| s.sessions.len() == 1 && s.offers.is_empty()).await;
    assert_eq!(s.sessions[0].state, SessionState::Assigned);
    r.app.command(Command::OpenSession { session: s.sessions[0].id }).await.unwrap();
    let s = r.host.wait("the open case", |s| s.sessions.len() == 1 && s.sessions[0].state == SessionState::Open).await;
    assert_eq!(s.active_session, Some(s.sessions[0].id));
}

#[tokio::test]
async fn a_stale_accept_is_explained_in_words_and_the_offer_leaves_the_view() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let r = rig(&ws, &team.agents[0].token, NotificationMode::Off).await;
    let item = ws.request(team.queue, Scenario::Chat, "Ada").await;
    let s = r.host.wait("an offer", |s| s.offers.len() == 1).await;
    // The customer leaves; the accept that crosses it meets 409.
    let offer = s.offers[0].offer.id;
    ws.admin.close_conversation(item.id).await.unwrap();
    let e = r.app.command(Command::AcceptOffer { offer }).await.unwrap_err();
    assert_eq!(e.code, Some(ErrorCode::OfferNotPending));
    assert!(e.message.contains("no longer available"), "{e:?}");
    r.host.wait("the offer gone", |s| s.offers.is_empty()).await;
}

#[tokio::test]
async fn r21_voice_call_controls_and_closing_the_session() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let r = rig(&ws, &team.agents[0].token, NotificationMode::Off).await;
    ws.request(team.queue, Scenario::Voice, "Caller").await;
    let s = r.host.wait("a call", |s| s.offers.len() == 1).await;
    r.app.command(Command::AcceptOffer { offer: s.offers[0].offer.id }).await.unwrap();
    let s = r.host.wait("the call session", |s| s.sessions.len() == 1).await;
    let id = s.sessions[0].id;
    assert_eq!(s.sessions[0].call, Some(CallState::Connected));
    r.app.command(Command::CallControl { session: id, action: CallAction::Hold }).await.unwrap();
    r.host.wait("on hold", |s| s.sessions[0].call == Some(CallState::OnHold)).await;
    r.app.command(Command::CallControl { session: id, action: CallAction::Resume }).await.unwrap();
    r.host.wait("resumed", |s| s.sessions[0].call == Some(CallState::Connected)).await;
    r.app.command(Command::CloseSession { session: id }).await.unwrap();
    let s = r.host.wait("no sessions", |s| s.sessions.is_empty()).await;
    assert_eq!(s.active_session, None);
}

#[tokio::test]
async fn r30_r34_a_supervisor_sees_the_team_live_and_resets_an_agent() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    ws.settings(|s| s.agent_reject = true).await;
    ws.template(Scenario::Chat, |t| t.reject_allowed = true).await;
    let sup = rig(&ws, &team.supervisor.token, NotificationMode::Off).await;
    let agent = &team.agents[0];
    sup.host.wait("the team", |s| s.team.iter().any(|a| a.id == agent.id)).await;
    let mut sub = agent.subscribe().await;
    ws.request(team.queue, Scenario::Chat, "Ada").await;
    let offer = herald_e2e::next_offer(&mut sub).await;
    agent.client.reject(offer.id).await.unwrap();
    sup.host
        .wait("the agent in DND", |s| {
            s.team.iter().any(|a| a.id == agent.id && a.presence.base == BasePresence::BusyDnd && a.rejected_count == 1)
        })
        .await;
    sup.app.command(Command::ResetAgentPresence { agent: agent.id }).await.unwrap();
    sup.host.wait("the agent reset", |s| s.team.iter().any(|a| a.id == agent.id && a.presence.base == BasePresence::Available)).await;
    assert_eq!(agent.client.me().await.unwrap().agent.presence.base, BasePresence::Available);
    // An agent has no team and may not reset others.
    let a = rig(&ws, &agent.token, NotificationMode::Off).await;
    assert!(a.app.state().team.is_empty());
    let e = a.app.command(Command::ResetAgentPresence { agent: team.supervisor.id }).await.unwrap_err();
    assert_eq!(e.code, Some(ErrorCode::Forbidden));
}

#[tokio::test]
async fn r33_a_workspace_restart_loses_and_duplicates_nothing() {
    let mut ws = TestWorkspace::spawn_process().await;
    let team = ws.team(1).await;
    let r = rig(&ws, &team.agents[0].token, NotificationMode::Always).await;
    ws.request(team.queue, Scenario::Chat, "Before").await;
    toast_count(&r.toasts, 1).await;
    ws.kill().await;
    r.host.wait("reconnecting", |s| s.connection.status == ConnectionStatus::Reconnecting).await;
    ws.restart().await;
    r.host.wait("live again", |s| s.connection.status == ConnectionStatus::Live).await;
    // The offer survived the restart and is still shown, without a second toast.
    let s = r.host.wait("the pending offer", |s| s.offers.len() == 1).await;
    assert_eq!(r.toasts.log().shown.len(), 1, "the pending offer is not toasted again");
    assert_eq!(s.offers[0].offer.id.0, r.toasts.log().shown[0].key);
    r.app.command(Command::AcceptOffer { offer: s.offers[0].offer.id }).await.unwrap();
    ws.request(team.queue, Scenario::Sms, "After").await;
    let log = toast_count(&r.toasts, 2).await;
    assert_eq!(log.shown.len(), 2);
    assert_ne!(log.shown[0].key, log.shown[1].key);
}

#[tokio::test]
async fn settings_a_bad_file_gives_defaults_and_notices_and_saving_applies_and_persists() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let dir = tempfile::tempdir().unwrap();
    let url = ws.url.clone();
    std::fs::write(
        herald_app::settings::file_in(dir.path()),
        format!(r#"{{"workspace_url": "{url}", "notifications": "loud", "volume": 11}}"#),
    )
    .unwrap();
    let host = TestHost::new();
    let (toasts, actions) = Recorder::new(Capabilities { actions: true, ..Default::default() });
    let secrets = Secrets::File(dir.path().join("tokens.json"));
    let app = App::start(
        Options { data_dir: dir.path().to_path_buf(), icon: None, secrets: Some(secrets.clone()), demo_rate: None },
        host.clone(),
        Ok((Arc::new(toasts), actions)),
    )
    .await;
    let s = host.wait("no token yet", |s| s.connection.status == ConnectionStatus::NeedsToken).await;
    assert_eq!(s.settings.workspace_url, url, "the good part of the file is kept");
    assert_eq!(s.settings.notifications, NotificationMode::Workspace);
    let texts: Vec<&str> = s.notices.iter().map(|n| n.text.as_str()).collect();
    assert!(texts.iter().any(|t| t.contains("`notifications`")) && texts.iter().any(|t| t.contains("`volume`")), "{texts:?}");

    let bad = app
        .command(Command::SaveSettings(SettingsInput {
            settings: DesktopSettings { workspace_url: "not a url".into(), ..s.settings.clone() },
            token: None,
        }))
        .await
        .unwrap_err();
    assert!(bad.message.contains("not a url"), "{bad:?}");

    let new = DesktopSettings { notifications: NotificationMode::Background, autostart: true, ..s.settings.clone() };
    app.command(Command::SaveSettings(SettingsInput { settings: new.clone(), token: Some(team.agents[0].token.clone()) })).await.unwrap();
    host.wait("signed in", |s| s.connection.status == ConnectionStatus::Live && s.me.is_some()).await;
    assert_eq!(secrets.get(&url).unwrap().as_deref(), Some(team.agents[0].token.as_str()));
    // Off at start (the entry follows the setting from the start), on once saved.
    assert_eq!(*host.autostart.lock().unwrap(), vec![false, true]);
    let reread = herald_app::settings::load(&herald_app::settings::file_in(dir.path()));
    assert_eq!(reread.settings, new);
    assert!(reread.problems.is_empty());
    let n = app.state().notices[0].id;
    app.command(Command::DismissNotice { id: n }).await.unwrap();
    assert!(app.state().notices.iter().all(|x| x.id != n));
}

#[tokio::test]
async fn a_refused_token_says_sign_in_again() {
    let ws = TestWorkspace::start().await;
    let r = async {
        let dir = tempfile::tempdir().unwrap();
        let settings = DesktopSettings { workspace_url: ws.url.clone(), ..Default::default() };
        herald_app::settings::save(&herald_app::settings::file_in(dir.path()), &settings).unwrap();
        let secrets = Secrets::File(dir.path().join("tokens.json"));
        secrets.set(&ws.url, "not-a-token").unwrap();
        let host = TestHost::new();
        let app = App::start(
            Options { data_dir: dir.path().to_path_buf(), icon: None, secrets: Some(secrets), demo_rate: None },
            host.clone(),
            Err(herald_notify::NotifyError::Unavailable("no session bus".into())),
        )
        .await;
        (app, host, dir)
    }
    .await;
    let s = r.1.wait("unauthorized", |s| s.connection.status == ConnectionStatus::Unauthorized).await;
    assert!(s.connection.detail.unwrap().contains("Sign in again"));
    // R16: no notification service — said plainly; in-app alerts still work.
    assert!(!s.toasts.available);
    assert!(s.toasts.detail.unwrap().contains("no session bus"));
}

#[tokio::test]
async fn the_embedded_workspace_runs_the_demo_and_its_offers_toast() {
    let dir = tempfile::tempdir().unwrap();
    let host = TestHost::new();
    let (toasts, actions) = Recorder::new(Capabilities { actions: true, ..Default::default() });
    let app = App::start(
        Options {
            data_dir: dir.path().to_path_buf(),
            icon: None,
            secrets: Some(Secrets::File(dir.path().join("tokens.json"))),
            demo_rate: Some(600.0),
        },
        host.clone(),
        Ok((Arc::new(toasts.clone()), actions)),
    )
    .await;
    let s = host.wait("the embedded link", |s| s.connection.status == ConnectionStatus::Live && s.me.is_some()).await;
    assert!(s.connection.embedded);
    assert!(s.connection.workspace_url.starts_with("http://127.0.0.1:"));
    assert!(dir.path().join("workspace.db").exists(), "SQLite in the data dir");
    // The demo agent starts Available? The person chooses; make them available.
    app.command(Command::SetPresence { presence: Presence { base: BasePresence::Available, custom: None } }).await.unwrap();
    app.set_focus(Focus::Hidden);
    let log = toast_count(&toasts, 1).await;
    assert!(!log.shown[0].title.is_empty());
    // Demo traffic off: saved, and the embedded workspace keeps running.
    let settings = DesktopSettings { demo_traffic: false, ..s.settings.clone() };
    app.command(Command::SaveSettings(SettingsInput { settings, token: None })).await.unwrap();
    assert!(!app.state().settings.demo_traffic);
    assert_eq!(app.state().connection.status, ConnectionStatus::Live);
    // The person looks at the demo as its supervisor: the team pane fills (R30, R34).
    let settings = DesktopSettings { demo_as: DemoRole::Supervisor, ..app.state().settings };
    app.command(Command::SaveSettings(SettingsInput { settings, token: None })).await.unwrap();
    let s = host
        .wait("the supervisor's team", |s| {
            s.me.as_ref().is_some_and(|m| m.role == Role::Supervisor) && s.team.iter().any(|a| a.name == "You (demo agent)")
        })
        .await;
    assert!(s.connection.embedded);
    app.shutdown().await;
}

#[tokio::test]
async fn r10_the_chat_session_shows_the_transcript_and_sends_messages() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let r = rig(&ws, &team.agents[0].token, NotificationMode::Off).await;
    ws.request(team.queue, Scenario::Chat, "Ada").await;
    let s = r.host.wait("a chat", |s| s.offers.len() == 1).await;
    r.app.command(Command::AcceptOffer { offer: s.offers[0].offer.id }).await.unwrap();
    let s = r.host.wait("the session", |s| s.sessions.len() == 1).await;
    let session = s.sessions[0].clone();
    let e = r.app.command(Command::SendMessage { session: session.id, body: "   ".into() }).await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("body"));
    r.app.command(Command::SendMessage { session: session.id, body: "Hello Ada, how can I help?".into() }).await.unwrap();
    r.app.command(Command::SendMessage { session: session.id, body: "Let me look.".into() }).await.unwrap();
    let s = r
        .host
        .wait("two messages", |s| s.transcripts.iter().any(|t| t.work_item == session.conversation_id() && t.messages.len() == 2))
        .await;
    let t = s.transcripts.iter().find(|t| t.work_item == session.work_item).unwrap();
    assert_eq!(t.messages[0].body, "Hello Ada, how can I help?");
    assert_eq!(t.messages[0].author, Author::Agent);
    assert!(t.messages[0].id < t.messages[1].id, "ordered");
    // Another app signed in as the same agent loads the transcript on connect (survives a restart of the app).
    let again = rig(&ws, &team.agents[0].token, NotificationMode::Off).await;
    let s = again
        .host
        .wait("the transcript", |s| s.transcripts.iter().any(|t| t.work_item == session.work_item && t.messages.len() == 2))
        .await;
    assert_eq!(s.sessions.len(), 1);
    // Closing the session drops its transcript from the view.
    r.app.command(Command::CloseSession { session: session.id }).await.unwrap();
    let s = r.host.wait("closed", |s| s.sessions.is_empty()).await;
    assert!(s.transcripts.is_empty());
}

#[tokio::test]
async fn r06_r10_a_transferred_conversation_brings_its_messages_to_the_next_agent() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(2).await;
    let (a, b) = (&team.agents[0], &team.agents[1]);
    let rb = rig(&ws, &b.token, NotificationMode::Off).await;
    rb.app.command(Command::SetPresence { presence: Presence { base: BasePresence::Busy, custom: None } }).await.unwrap();
    let ra = rig(&ws, &a.token, NotificationMode::Off).await;
    ws.request(team.queue, Scenario::Chat, "Ada").await;
    let s = ra.host.wait("a chat", |s| s.offers.len() == 1).await;
    ra.app.command(Command::AcceptOffer { offer: s.offers[0].offer.id }).await.unwrap();
    let s = ra.host.wait("the session", |s| s.sessions.len() == 1).await;
    let first = s.sessions[0].clone();
    ra.app.command(Command::SendMessage { session: first.id, body: "I'll pass you to a colleague.".into() }).await.unwrap();
    rb.app.command(Command::SetPresence { presence: Presence { base: BasePresence::Available, custom: None } }).await.unwrap();
    a.client.transfer(first.id, &TransferRequest { to_queue: None, to_agent: Some(b.id), escalate: false }).await.unwrap();
    let s = rb.host.wait("the transfer", |s| s.offers.len() == 1).await;
    rb.app.command(Command::AcceptOffer { offer: s.offers[0].offer.id }).await.unwrap();
    let s = rb
        .host
        .wait("the conversation's messages", |s| {
            s.sessions.len() == 1 && s.transcripts.iter().any(|t| t.messages.iter().any(|m| m.body.contains("colleague")))
        })
        .await;
    assert_eq!(s.sessions[0].conversation_id(), first.conversation_id(), "the same conversation goes on");
    assert_ne!(s.sessions[0].work_item, first.work_item, "in a new work item");
}

#[tokio::test]
async fn r01_r10_the_agent_app_and_a_web_chat_customer_exchange_messages() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let r = rig(&ws, &team.agents[0].token, NotificationMode::Off).await;
    // The customer, speaking to the workspace's web chat API like the chat page does.
    let http = reqwest::Client::new();
    let res = http
        .post(format!("{}/webchat/default/conversations", ws.url))
        .json(&serde_json::json!({ "name": "Ada", "answers": { "topic": "My bill", "email": "ada@example.org" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let chat: ChatStarted = res.json().await.unwrap();
    let s = r.host.wait("the chat offer", |s| s.offers.len() == 1).await;
    r.app.command(Command::AcceptOffer { offer: s.offers[0].offer.id }).await.unwrap();
    let s = r.host.wait("the session", |s| s.sessions.len() == 1).await;
    let session = s.sessions[0].clone();
    let said = http
        .post(format!("{}/webchat/conversations/{}/messages", ws.url, chat.conversation.0))
        .bearer_auth(&chat.token)
        .json(&serde_json::json!({ "body": "Hi, I was charged twice" }))
        .send()
        .await
        .unwrap();
    assert_eq!(said.status(), 201);
    r.host
        .wait("the customer's message in the app", |s| {
            s.transcripts.iter().any(|t| t.messages.iter().any(|m| m.author == Author::Customer && m.body == "Hi, I was charged twice"))
        })
        .await;
    r.app.command(Command::SendMessage { session: session.id, body: "Sorry, Ada. Let me look.".into() }).await.unwrap();
    let view: ChatView = http
        .get(format!("{}/webchat/conversations/{}?after=0", ws.url, chat.conversation.0))
        .bearer_auth(&chat.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(view.lines.iter().any(|l| l.from == ChatParty::Agent && l.body == "Sorry, Ada. Let me look."), "{view:?}");
}

#[tokio::test]
async fn switching_workspaces_starts_from_nothing_and_closes_the_old_toasts() {
    let one = TestWorkspace::start().await;
    let two = TestWorkspace::start().await;
    let team1 = one.team(1).await;
    let team2 = two.team(1).await;
    let r = rig(&one, &team1.agents[0].token, NotificationMode::Always).await;
    one.request(team1.queue, Scenario::Chat, "From one").await;
    let key = toast_count(&r.toasts, 1).await.shown[0].key;
    let settings = DesktopSettings { workspace_url: two.url.clone(), ..r.app.state().settings };
    r.app.command(Command::SaveSettings(SettingsInput { settings, token: Some(team2.agents[0].token.clone()) })).await.unwrap();
    r.toasts.wait_for(|l| l.withdrawn.contains(&key)).await;
    let s = r.host.wait("linked to the second workspace", |s| s.connection.status == ConnectionStatus::Live && s.me.is_some()).await;
    assert!(s.offers.is_empty() && s.sessions.is_empty(), "nothing of the first workspace remains");
    // The second workspace's first offer may carry the same id as the first one's: it still toasts.
    two.request(team2.queue, Scenario::Chat, "From two").await;
    let log = toast_count(&r.toasts, 2).await;
    assert!(log.shown[1].body_text().contains("From two"), "{:?}", log.shown[1]);
}

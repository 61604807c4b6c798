//! The promises agents care about, proven on a real desktop: the real `herald-desktop` binary on
//! Xvfb with openbox, trayer and xfce4-notifyd on a private session bus, signed in to a real
//! `herald-workspace serve`, driven through WebKitWebDriver and real pointer clicks
//! on the toasts the daemon draws. See `herald_e2e::herald` for the harness.
//!
//! Each test is one scenario of issue 4, named with its requirement. Screenshots of every
//! scenario go to `target/test-artifacts/desktop-app/<scenario>/`.

use herald_app::focus::Focus;
use herald_app::view::NotificationMode;
use herald_e2e::desktop::{wait_for, wait_until};
use herald_e2e::herald::{APP_WAIT, AgentDesk, Launch, Stage, settings};
use herald_protocol::*;
use std::path::Path;
use std::time::Duration;

const APP: &str = env!("CARGO_BIN_EXE_herald-desktop");

/// The badge colours of the tray icon (src-tauri `badge_colour`).
const GREEN: [u8; 3] = [0x2e, 0xa0, 0x43];
const RED: [u8; 3] = [0xd1, 0x34, 0x38];

async fn desk(name: &str, stage: &Stage, agent: usize, mode: NotificationMode, launch: Launch) -> AgentDesk {
    AgentDesk::start(name, Path::new(APP), &stage.ws, stage.agent(agent), settings(mode), launch).await
}

/// An agent that takes no work until the test says so.
/// Chats may be rejected (the template's default is Accept only).
async fn chats_may_be_rejected(stage: &Stage) {
    stage.ws.template(Scenario::Chat, |t| t.reject_allowed = true).await;
}

async fn away(p: &herald_e2e::Person) {
    p.client.set_presence(Presence { base: BasePresence::Away, custom: None }).await.unwrap();
}

async fn available(p: &herald_e2e::Person) {
    p.client.set_presence(Presence { base: BasePresence::Available, custom: None }).await.unwrap();
}

/// The in-app alert of an offer.
fn alert_of(offer: &Offer) -> String {
    format!("[data-testid=offer-alert][data-offer-id='{}']", offer.id.0)
}

/// The presence the window's presence select shows.
async fn shown_presence(desk: &AgentDesk) -> Option<String> {
    desk.find("[data-testid=presence-select]").await.prop("value").await.ok().flatten()
}

/// Waits until the workspace has `item`'s session open for agent `i`.
async fn session_open(stage: &Stage, i: usize, item: &WorkItem) -> Me {
    stage
        .wait_me(stage.agent(i), "the session is open", |m| {
            m.sessions.iter().any(|s| s.work_item == item.id && s.state == SessionState::Open)
        })
        .await
}

/// The pending offer of the app for this work item, from its state.
async fn app_offer(desk: &AgentDesk, item: &WorkItem) -> Offer {
    desk.wait_state("has the offer", |s| s.offers.iter().any(|o| o.offer.work_item == item.id))
        .await
        .offers
        .into_iter()
        .find(|o| o.offer.work_item == item.id)
        .unwrap()
        .offer
}

// 1. R11: "Only in background", the window focused → the in-app alert, no OS toast.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r11_background_mode_with_the_window_focused_shows_the_alert_and_no_toast() {
    let stage = Stage::start(1).await;
    let desk = desk("r11-background-focused", &stage, 0, NotificationMode::Background, Launch::WebDriver).await;
    let window = desk.wait_app_in_front().await;
    desk.wait_state("the window counts as focused", |s| s.window == Focus::Focused).await;

    let item = stage.request(Scenario::Chat, "Ada Lovelace", &[]).await;
    let offer = app_offer(&desk, &item).await;
    let alert = alert_of(&offer);
    assert!(desk.text(&alert).await.contains("Ada Lovelace"), "the alert names the customer");
    desk.shot("alert-in-app").await;
    assert_eq!(desk.active_window().await, Some(window), "Herald stayed in front");
    let state = desk.state().await.unwrap();
    assert!(!state.offers.iter().any(|o| o.toasted), "the app decided against a toast: {state:#?}");

    // Answering in the app is the end of it: still no toast was ever sent or drawn.
    desk.press(&format!("{alert} [data-testid=accept]")).await;
    assert!(desk.text("[data-testid=session-view] [data-testid=customer-name]").await.contains("Ada Lovelace"));
    session_open(&stage, 0, &item).await;
    assert!(desk.bus.toasts().is_empty(), "no Notify on the bus: {:#?}", desk.bus.toasts());
    assert!(desk.desktop.notification_windows().await.unwrap().is_empty(), "no toast drawn");
    desk.shot("accepted-in-app").await;
    desk.finish().await;
}

// 2. R10, R12: "Only in background", hidden in the tray → a toast with Accept and Reject; a real
// click on Accept brings the window up, active, with the customer's session open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r10_r12_hidden_in_the_tray_accept_on_the_toast_opens_the_session_in_front() {
    let stage = Stage::start(1).await;
    chats_may_be_rejected(&stage).await;
    let desk = desk("r10-r12-accept-from-toast", &stage, 0, NotificationMode::Background, Launch::WebDriver).await;
    desk.close_window().await;
    desk.shot("hidden-in-tray").await;

    let item = stage.request(Scenario::Chat, "Grace Hopper", &[]).await;
    let toast = desk.bus.wait_toast("Grace Hopper").await;
    assert_eq!(toast.actions, ["default", "accept", "reject"], "Accept and Reject (and the body): {toast:#?}");
    let (_, buttons) = desk.toast_window(2).await;
    desk.shot("toast").await;
    desk.click(buttons[0].center()).await;

    let window = desk.wait_app_in_front().await;
    desk.bus.wait_for(toast.id, "Accept reached the app", |t| t.invoked == ["accept"]).await;
    desk.attach().await;
    let session = desk.find("[data-testid=session-view]").await;
    assert_eq!(session.attr("data-state").await.unwrap().as_deref(), Some("open"));
    assert!(desk.text("[data-testid=customer-name]").await.contains("Grace Hopper"));
    assert!(desk.has("[data-testid=message-panel]").await, "a chat opens its message panel");
    desk.shot("session-in-front").await;
    let me = stage
        .wait_me(stage.agent(0), "the offer is accepted", |m| m.offers.is_empty() && m.sessions.iter().any(|s| s.work_item == item.id))
        .await;
    assert_eq!(me.sessions[0].state, SessionState::Open);
    assert_eq!(desk.active_window().await, Some(window));
    desk.wait_no_toast_window().await;
    desk.finish().await;
}

// 3. R11: "Always", the window focused → the toast is drawn as well as the alert.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r11_always_mode_toasts_even_with_the_window_focused() {
    let stage = Stage::start(1).await;
    chats_may_be_rejected(&stage).await;
    let desk = desk("r11-always-focused", &stage, 0, NotificationMode::Always, Launch::WebDriver).await;
    let window = desk.wait_app_in_front().await;
    desk.wait_state("the window counts as focused", |s| s.window == Focus::Focused).await;

    let item = stage.request(Scenario::Chat, "Alan Turing", &[]).await;
    let toast = desk.bus.wait_toast("Alan Turing").await;
    let (toast_window, buttons) = desk.toast_window(2).await;
    assert!(desk.desktop.wm_class(toast_window).await.unwrap().contains("xfce4-notifyd"));
    assert!(buttons[0].x < buttons[1].x);
    let offer = app_offer(&desk, &item).await;
    desk.find(&alert_of(&offer)).await;
    desk.shot("toast-and-alert").await;
    assert_eq!(desk.active_window().await, Some(window), "the toast takes no focus");
    assert_eq!(desk.bus.toasts_about("Alan Turing").len(), 1, "one toast: {toast:#?}");
    desk.finish().await;
}

// 1b. R11: "background" also means another window in front, or Herald minimised.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r11_background_mode_toasts_when_another_window_is_in_front_or_herald_is_minimised() {
    let stage = Stage::start(1).await;
    chats_may_be_rejected(&stage).await;
    let desk = desk("r11-background-other-window", &stage, 0, NotificationMode::Background, Launch::WebDriver).await;
    let herald = desk.wait_app_in_front().await;

    // The agent works in another program: its window takes the focus.
    let mut other = desk.desktop.command("xmessage");
    other.args(["-geometry", "+200+200", "The agent's other program"]);
    desk.desktop.spawn("xmessage", other).unwrap();
    let other = herald_e2e::desktop::wait_for(herald_e2e::herald::APP_WAIT, || async {
        let w = *desk.desktop.windows_by_class("Xmessage").await.ok()?.first()?;
        (desk.active_window().await == Some(w)).then_some(w)
    })
    .await
    .expect("the other program's window is active");
    desk.wait_state("Herald counts as behind another window", |s| s.window == Focus::Unfocused).await;
    stage.request(Scenario::Chat, "Katherine Johnson", &[]).await;
    desk.bus.wait_toast("Katherine Johnson").await;
    let (_, buttons) = desk.toast_window(2).await;
    assert_eq!(desk.active_window().await, Some(other), "the toast takes no focus");
    desk.shot("toast-over-another-window").await;
    desk.click(buttons[0].center()).await;
    assert_eq!(desk.wait_app_in_front().await, herald, "Accept brings Herald in front of the other program");
    assert!(desk.text("[data-testid=session-view] [data-testid=customer-name]").await.contains("Katherine Johnson"));

    // Minimised.
    desk.desktop.xdotool(&["windowminimize", &herald.to_string()]).await.unwrap();
    desk.wait_state("Herald counts as minimised", |s| s.window == Focus::Minimized).await;
    stage.request(Scenario::Chat, "Dorothy Vaughan", &[]).await;
    desk.bus.wait_toast("Dorothy Vaughan").await;
    desk.toast_window(2).await;
    desk.shot("toast-while-minimised").await;
    desk.finish().await;
}

// R16: with no notification server on the desktop, Herald says so and its in-app alerts work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r16_without_a_notification_server_the_app_says_so_and_alerts_still_work() {
    let stage = Stage::start(1).await;
    let no_daemon = herald_e2e::desktop::Options { notification_daemon: false, ..Default::default() };
    let desk = AgentDesk::start_on(
        no_daemon,
        "r16-no-notification-server",
        Path::new(APP),
        &stage.ws,
        stage.agent(0),
        settings(NotificationMode::Always),
        Launch::WebDriver,
    )
    .await;
    let note = desk.text("[data-testid=toast-unavailable]").await;
    assert!(note.to_lowercase().contains("notification"), "the window says why there are no toasts: {note:?}");
    let state = desk.state().await.unwrap();
    assert!(!state.toasts.available, "{:?}", state.toasts);

    let item = stage.request(Scenario::Chat, "Mary Jackson", &[]).await;
    let offer = app_offer(&desk, &item).await;
    let alert = alert_of(&offer);
    assert!(desk.text(&alert).await.contains("Mary Jackson"));
    desk.shot("alert-without-toasts").await;
    desk.press(&format!("{alert} [data-testid=accept]")).await;
    session_open(&stage, 0, &item).await;
    assert!(desk.bus.toasts().is_empty(), "nothing sent to a server that is not there");
    desk.finish().await;
}

// 4. R28: Reject on the toast with agent reject enabled → rejected, DND banner, DND in the tray.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r28_reject_on_the_toast_sets_do_not_disturb_with_a_banner_and_in_the_tray() {
    let stage = Stage::start(1).await;
    stage.ws.settings(|s| s.agent_reject = true).await;
    stage.ws.template(Scenario::Chat, |t| t.reject_allowed = true).await;
    let desk = desk("r28-reject-from-toast", &stage, 0, NotificationMode::Always, Launch::WebDriver).await;
    desk.wait_tray_badge("Available (green)", GREEN).await;

    let item = stage.request(Scenario::Chat, "Edsger Dijkstra", &[]).await;
    let toast = desk.bus.wait_toast("Edsger Dijkstra").await;
    let (_, buttons) = desk.toast_window(2).await;
    desk.click(buttons[1].center()).await;

    desk.bus.wait_for(toast.id, "Reject reached the app", |t| t.invoked == ["reject"]).await;
    let me = stage.wait_me(stage.agent(0), "rejected and DND", |m| m.agent.presence.base == BasePresence::BusyDnd).await;
    assert!(me.offers.is_empty() && me.sessions.iter().all(|s| s.work_item != item.id), "the offer is gone: {me:#?}");
    assert_eq!(me.agent.rejected_count, 1);
    let banner = desk.find("[data-testid=banner]").await;
    assert_eq!(banner.attr("data-reason").await.unwrap().as_deref(), Some("rejected"));
    assert_eq!(shown_presence(&desk).await.as_deref(), Some("busy_dnd"));
    desk.wait_tray_badge("Do Not Disturb (red)", RED).await;
    assert!(desk.tray_pixels_like(GREEN).await < 4, "no green left in the tray icon");
    desk.shot("dnd-banner-and-tray").await;
    desk.finish().await;
}

// 5. R14, R24, R25: show-timeout off, 5 s, missed notifications on, nobody answers → no countdown,
// the toast closes at the deadline, Inactive banner, the work goes to the next agent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r14_r24_r25_an_unanswered_toast_closes_at_the_deadline_and_the_work_moves_on() {
    let stage = Stage::start(2).await;
    stage.ws.settings(|s| s.missed_notifications = true).await;
    stage
        .ws
        .template(Scenario::Chat, |t| {
            t.show_timeout = false;
            t.reject_allowed = true;
            t.timeout_secs = TimeoutSecs::parse(5).unwrap();
        })
        .await;
    let next = stage.agent(1);
    away(next).await;
    let desk = desk("r14-r24-r25-missed", &stage, 0, NotificationMode::Always, Launch::WebDriver).await;

    let item = stage.request(Scenario::Chat, "Barbara Liskov", &[]).await;
    let toast = desk.bus.wait_toast("Barbara Liskov").await;
    let offer = app_offer(&desk, &item).await;
    let alert = alert_of(&offer);
    desk.find(&alert).await;
    desk.toast_window(2).await;
    assert!(!desk.has(&format!("{alert} [data-testid=countdown]")).await, "R14: no countdown when show-timeout is off");
    assert!((1..=5_000).contains(&toast.expire_timeout), "R14: the toast expires with the offer: {toast:#?}");
    desk.shot("offer-without-countdown").await;
    // The next agent becomes available while the offer waits.
    let mut next_sub = next.subscribe().await;
    available(next).await;

    let closed = desk.bus.wait_for(toast.id, "closed by the app at the deadline", |t| t.close_called.is_some()).await;
    let after = closed.close_called.unwrap() - closed.shown_at.unwrap();
    assert!(after >= Duration::from_secs(4), "closed {after:?} after it was shown, not at the 5 s deadline");
    desk.wait_no_toast_window().await;
    let banner = desk.find("[data-testid=banner]").await;
    assert_eq!(banner.attr("data-reason").await.unwrap().as_deref(), Some("missed"));
    assert_eq!(shown_presence(&desk).await.as_deref(), Some("inactive"));
    desk.gone(&alert).await;
    desk.shot("inactive-banner").await;
    let rerouted = herald_e2e::next_offer(&mut next_sub).await;
    assert_eq!(rerouted.work_item, item.id, "R25: the work item went to the next agent");
    stage.wait_me(stage.agent(0), "Inactive", |m| m.agent.presence.base == BasePresence::Inactive && m.agent.missed_count == 1).await;
    desk.finish().await;
}

// 6. R13: a click on the toast's body brings the app up with the offer in front; the agent
// accepts it there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r13_clicking_the_toast_body_shows_the_offer_in_the_app() {
    let stage = Stage::start(1).await;
    chats_may_be_rejected(&stage).await;
    let desk = desk("r13-toast-body", &stage, 0, NotificationMode::Background, Launch::WebDriver).await;
    desk.close_window().await;

    let item = stage.request(Scenario::Chat, "Margaret Hamilton", &[]).await;
    desk.bus.wait_toast("Margaret Hamilton").await;
    let (toast_window, _) = desk.toast_window(2).await;
    desk.shot("toast").await;
    let body = desk.desktop.toast_body_point(toast_window).await.unwrap();
    desk.click(body).await;

    desk.wait_app_in_front().await;
    desk.attach().await;
    let alert = desk.find("[data-testid=offer-alert][data-focused=true]").await;
    assert!(alert.text().await.unwrap().contains("Margaret Hamilton"));
    assert!(stage.agent(0).client.me().await.unwrap().sessions.is_empty(), "not accepted by the body click");
    desk.shot("offer-in-app").await;
    desk.press("[data-testid=offer-alert][data-focused=true] [data-testid=accept]").await;
    assert!(desk.text("[data-testid=session-view] [data-testid=customer-name]").await.contains("Margaret Hamilton"));
    session_open(&stage, 0, &item).await;
    desk.shot("accepted-in-app").await;
    desk.finish().await;
}

// 7. R19: a case assignment offers "Open item" only, and is assigned even when ignored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r19_a_case_toast_offers_open_item_only_and_is_assigned_when_ignored() {
    let stage = Stage::start(1).await;
    stage.ws.template(Scenario::Case, |t| t.timeout_secs = TimeoutSecs::parse(3).unwrap()).await;
    stage.ws.settings(|s| s.missed_notifications = true).await;
    let desk = desk("r19-case-open-item", &stage, 0, NotificationMode::Background, Launch::WebDriver).await;
    desk.close_window().await;

    let item = stage.request(Scenario::Case, "Frances Allen", &[("caseId", "CAS-42"), ("caseTitle", "Refund")]).await;
    let toast = desk.bus.wait_toast("Frances Allen").await;
    assert_eq!(toast.actions, ["default", "open"], "Open item only: {toast:#?}");
    let (_, buttons) = desk.toast_window(1).await;
    assert_eq!(buttons.len(), 1);
    desk.shot("open-item-toast").await;

    // Ignored: the deadline passes, the toast goes, the case stays assigned.
    desk.bus.wait_for(toast.id, "closed at the deadline", |t| t.close_called.is_some() || t.closed.is_some()).await;
    desk.wait_no_toast_window().await;
    let me = stage
        .wait_me(stage.agent(0), "the case is assigned", |m| m.offers.is_empty() && m.sessions.iter().any(|s| s.work_item == item.id))
        .await;
    assert_eq!(me.sessions[0].state, SessionState::Assigned);
    assert_eq!(me.agent.presence.base, BasePresence::Available, "a case is not a missed offer");
    assert!(toast.invoked.is_empty());
    desk.shot("after-the-deadline").await;
    desk.finish().await;
}

// 8. R27: an eleventh work item while ten sessions are open → DND banner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r27_an_eleventh_item_with_ten_sessions_open_sets_dnd_with_a_banner() {
    let stage = Stage::start(1).await;
    let agent = stage.agent(0);
    let desk = desk("r27-max-sessions", &stage, 0, NotificationMode::Background, Launch::WebDriver).await;
    desk.wait_state("the window counts as focused", |s| s.window == Focus::Focused).await;
    let mut sub = agent.subscribe().await;
    for i in 0..10 {
        stage.request(Scenario::Chat, &format!("Customer {i}"), &[]).await;
        let o = herald_e2e::next_offer(&mut sub).await;
        agent.client.accept(o.id).await.unwrap();
    }
    desk.wait_state("ten sessions", |s| s.sessions.len() == 10).await;
    assert_eq!(desk.text("[data-testid=session-count]").await.trim(), "10");
    stage.request(Scenario::Chat, "Customer 10", &[]).await;

    let banner = desk.find("[data-testid=banner]").await;
    assert_eq!(banner.attr("data-reason").await.unwrap().as_deref(), Some("max_sessions"));
    assert_eq!(shown_presence(&desk).await.as_deref(), Some("busy_dnd"));
    let me = stage.wait_me(agent, "DND", |m| m.agent.presence.base == BasePresence::BusyDnd).await;
    assert_eq!((me.sessions.len(), me.offers.len()), (10, 0));
    desk.shot("max-sessions-banner").await;
    desk.finish().await;
}

// 9. R30 (R34): the supervisor resets the agent's presence from the Team pane of their own Herald;
// the agent's Herald shows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r30_a_supervisor_resets_the_agents_presence_from_the_team_pane() {
    let stage = Stage::start(1).await;
    stage.ws.settings(|s| s.agent_reject = true).await;
    stage.ws.template(Scenario::Chat, |t| t.reject_allowed = true).await;
    let agent = desk("r30-agent", &stage, 0, NotificationMode::Off, Launch::WebDriver).await;
    let supervisor = AgentDesk::start(
        "r30-supervisor",
        Path::new(APP),
        &stage.ws,
        &stage.team.supervisor,
        settings(NotificationMode::Off),
        Launch::WebDriver,
    )
    .await;

    let item = stage.request(Scenario::Chat, "Ada Lovelace", &[]).await;
    let offer = app_offer(&agent, &item).await;
    agent.press(&format!("{} [data-testid=reject]", alert_of(&offer))).await;
    agent.find("[data-testid=banner][data-reason=rejected]").await;
    agent.shot("agent-dnd").await;

    supervisor.press("[data-testid=open-supervisor]").await;
    let row = format!("[data-testid=team-row][data-agent-id='{}']", stage.agent(0).id.0);
    supervisor.wait_text(&format!("{row} [data-testid=team-presence]"), |t| t.contains("Do Not Disturb")).await;
    assert_ne!(supervisor.text(&format!("{row} [data-testid=team-banner]")).await.trim(), "—", "the team sees the banner");
    supervisor.shot("team-pane-before").await;
    supervisor.press(&format!("{row} [data-testid=reset-agent-presence]")).await;

    agent.gone("[data-testid=banner]").await;
    herald_e2e::desktop::wait_until(herald_e2e::herald::APP_WAIT, || async {
        shown_presence(&agent).await.as_deref() == Some("available")
    })
    .await
    .expect("the agent's Herald shows Available");
    agent.shot("agent-reset").await;
    supervisor.wait_text(&format!("{row} [data-testid=team-banner]"), |t| t.trim() == "—").await;
    supervisor.wait_text(&format!("{row} [data-testid=team-presence]"), |t| t.contains("Available")).await;
    supervisor.shot("team-pane-after").await;
    let me = stage.agent(0).client.me().await.unwrap();
    assert_eq!((me.agent.presence.base, me.agent.banner.is_none()), (BasePresence::Available, true));
    agent.finish().await;
    supervisor.finish().await;
}

// 10. R33: the workspace is killed and restarted while an offer is pending, and a new request
// arrives while the app is still away → after reconnecting, exactly one toast per offer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r33_a_workspace_restart_neither_loses_nor_repeats_a_toast() {
    use herald_app::view::ConnectionStatus;
    let mut stage = Stage::start(1).await;
    chats_may_be_rejected(&stage).await;
    stage.ws.template(Scenario::Chat, |t| t.timeout_secs = TimeoutSecs::parse(300).unwrap()).await;
    let desk = desk("r33-workspace-restart", &stage, 0, NotificationMode::Always, Launch::WebDriver).await;

    stage.request(Scenario::Chat, "Before Restart", &[]).await;
    let first = desk.bus.wait_toast("Before Restart").await;
    desk.toast_window(2).await;
    stage.ws.kill().await;
    desk.wait_state("reconnecting", |s| s.connection.status == ConnectionStatus::Reconnecting).await;
    desk.find("[data-testid=connection][data-status=reconnecting]").await;
    desk.shot("workspace-down").await;
    stage.ws.restart().await;
    // The agent has an offer pending, so the new request waits in the queue for them.
    let during = stage.request(Scenario::Chat, "During Outage", &[]).await;
    desk.wait_state("live again, the pending offer kept", |s| {
        s.connection.status == ConnectionStatus::Live && s.offers.iter().any(|o| o.offer.work_item != during.id)
    })
    .await;
    stage.wait_connected(stage.agent(0)).await;

    // Accept the first on its toast (a real click); then the new request is offered.
    let (_, buttons) = desk.toast_window(2).await;
    desk.click(buttons[0].center()).await;
    let second = desk.bus.wait_toast("During Outage").await;
    desk.toast_window(2).await;
    desk.shot("second-toast").await;
    stage
        .wait_me(stage.agent(0), "the first accepted, the new one offered", |m| {
            m.sessions.len() == 1 && m.offers.iter().any(|o| o.work_item == during.id)
        })
        .await;
    let toasts = desk.bus.toasts();
    assert_eq!(desk.bus.toasts_about("Before Restart").len(), 1, "the pending offer was not toasted again: {toasts:#?}");
    assert_eq!(desk.bus.toasts_about("During Outage").len(), 1, "the new request was toasted once: {toasts:#?}");
    assert_eq!(desk.bus.toasts_about("Before Restart")[0].invoked, ["accept"]);
    assert_ne!(second.id, first.id);
    desk.finish().await;
}

// 11. R32: the tray icon is shown by the tray host; a presence chosen in its menu reaches the
// workspace; Quit ends the app cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r32_the_tray_shows_the_icon_changes_presence_and_quits() {
    let stage = Stage::start(1).await;
    let desk = desk("r32-tray", &stage, 0, NotificationMode::Always, Launch::Tray).await;
    stage.wait_connected(stage.agent(0)).await;
    desk.wait_tray_badge("Available (green)", GREEN).await;
    assert!(desk.app_window().await.is_none(), "starts hidden in the tray");
    desk.shot("tray-icon").await;

    // Menu: Available, Busy, Busy – DND, Away, Offline, Open Herald, Settings…, Quit Herald.
    desk.tray_menu_choose(2).await;
    stage.wait_me(stage.agent(0), "Busy from the tray", |m| m.agent.presence.base == BasePresence::Busy).await;
    desk.wait_tray_badge("Busy (red)", RED).await;
    desk.shot("busy").await;

    // Open Herald from the menu; starting Herald again also shows the one running (single
    // instance), and that second start ends at once.
    desk.tray_menu_choose(6).await;
    desk.wait_app_in_front().await;
    desk.shot("opened-from-the-tray").await;
    desk.close_window().await;
    let second = desk.start_again(&[]).await;
    assert!(second.success(), "the second start hands over and exits: {second}");
    desk.wait_app_in_front().await;
    assert_eq!(desk.desktop.windows_by_name("^Herald$").await.unwrap().len(), 1, "one window, one Herald");
    desk.close_window().await;

    desk.tray_menu_choose(8).await;
    let status = desk.desktop.wait_exit("herald", herald_e2e::herald::APP_WAIT).await.unwrap();
    assert!(status.success(), "Quit ends the app cleanly: {status}; log:\n{}", desk.app_log());
    assert!(desk.app_log().contains("Herald is running in the tray"));
}

// The never-miss issue, item 3: answer from the keyboard. Herald hidden in the tray, the key
// press goes to the root window: Ctrl+Alt+A (the default) accepts the newest request and brings
// Herald to the front; Ctrl+Alt+R rejects the next one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_alt_a_accepts_the_newest_request_from_anywhere_and_ctrl_alt_r_rejects() {
    let stage = Stage::start(1).await;
    chats_may_be_rejected(&stage).await;
    let desk = desk("keyboard-accept-reject", &stage, 0, NotificationMode::Always, Launch::WebDriver).await;
    desk.close_window().await;

    let item = stage.request(Scenario::Chat, "Katherine Johnson", &[]).await;
    desk.bus.wait_toast("Katherine Johnson").await;
    desk.desktop.xdotool(&["key", "--clearmodifiers", "ctrl+alt+a"]).await.unwrap();
    session_open(&stage, 0, &item).await;
    desk.wait_app_in_front().await;
    desk.shot("accepted-from-the-keyboard").await;

    // The app has the next offer once its toast is up; the key answers it.
    let next = stage.request(Scenario::Chat, "Dorothy Vaughan", &[]).await;
    desk.bus.wait_toast("Dorothy Vaughan").await;
    desk.desktop.xdotool(&["key", "--clearmodifiers", "ctrl+alt+r"]).await.unwrap();
    let me = stage.wait_me(stage.agent(0), "the offer is rejected", |m| m.offers.iter().all(|o| o.work_item != next.id)).await;
    assert!(me.sessions.iter().all(|s| s.work_item != next.id), "rejected, not accepted");
    desk.finish().await;
}

/// The sound streams the app plays now on the desk's sound server.
async fn herald_streams(desk: &AgentDesk) -> usize {
    let streams = desk.desktop.sound_streams().await.expect("pactl lists the streams");
    streams.iter().filter(|s| s.contains("application.process.binary = \"herald-desktop\"")).count()
}

// The never-miss issue, item 1: ring until answered. Herald hidden in the tray, a chat arrives:
// the app itself plays the chat's ring on the desktop's sound server (PulseAudio, a null sink
// recorded from its monitor) while the toast waits, past a whole cycle; a real click on the
// toast's Accept stops it within a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_request_rings_until_accepted_on_the_toast_and_the_ring_stops_within_a_second() {
    let stage = Stage::start(1).await;
    let with_sound = herald_e2e::desktop::Options { sound: true, ..Default::default() };
    // (The other desks keep sound off.)
    let ringing = herald_app::view::DesktopSettings { sound: true, ..settings(NotificationMode::Always) };
    let desk =
        AgentDesk::start_on(with_sound, "ring-until-answered", Path::new(APP), &stage.ws, stage.agent(0), ringing, Launch::Tray).await;
    assert_eq!(herald_streams(&desk).await, 0, "silence before any request");

    let item = stage.request(Scenario::Chat, "Hedy Lamarr", &[]).await;
    desk.bus.wait_toast("Hedy Lamarr").await;
    herald_e2e::desktop::wait_until(Duration::from_secs(10), || async { herald_streams(&desk).await == 1 })
        .await
        .expect("Herald rings while the request waits");
    // More than a whole cycle of a chat's ring (under 2 s) on the sink: tones and a pause; and
    // after it the ring goes on.
    let heard = desk.desktop.record_sound(2.5).await.unwrap();
    let loud = heard.iter().filter(|x| x.unsigned_abs() > 3_000).count();
    assert!(loud > 800 && loud < heard.len() / 2, "the ring and its pause: {loud} loud samples of {}", heard.len());
    assert_eq!(herald_streams(&desk).await, 1, "still ringing after a whole cycle");
    let (_, buttons) = desk.toast_window(1).await;
    desk.shot("ringing-toast").await;

    desk.click(buttons[0].center()).await;
    let clicked = std::time::Instant::now();
    session_open(&stage, 0, &item).await;
    herald_e2e::desktop::wait_until(Duration::from_secs(10), || async { herald_streams(&desk).await == 0 })
        .await
        .expect("the ring stops after Accept");
    let stopped = clicked.elapsed();
    eprintln!("the ring stopped {stopped:?} after the click on Accept");
    assert!(stopped < Duration::from_secs(1), "the ring stopped {stopped:?} after the click on Accept");
    desk.shot("accepted-silent").await;
    desk.finish().await;
}

// The never-miss issue, item 2: when the agent cannot see a toast. A real screensaver
// (mate-screensaver) locks the screen with its own command, and Xfce's do-not-disturb (the
// notification server's own setting, in xfconf) is switched with xfconf-query: each time the
// running app sets the agent Away at the workspace — no offer goes to a screen nobody reads —
// and brings back Available when it can be seen again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_screen_or_the_desktops_do_not_disturb_sets_the_agent_away_until_it_can_see_again() {
    let stage = Stage::start(1).await;
    let desktop = herald_e2e::desktop::Options { screensaver: true, xfconf: true, ..Default::default() };
    let desk = AgentDesk::start_on(
        desktop,
        "unseen-away",
        Path::new(APP),
        &stage.ws,
        stage.agent(0),
        settings(NotificationMode::Always),
        Launch::WebDriver,
    )
    .await;
    let agent = stage.agent(0);
    let is = |base: BasePresence| move |m: &Me| m.agent.presence.base == base;

    desk.desktop.run("mate-screensaver-command", &["--lock"]).await.unwrap();
    stage.wait_me(agent, "Away while the screen is locked", is(BasePresence::Away)).await;
    desk.shot("locked").await;
    desk.desktop.run("mate-screensaver-command", &["--deactivate"]).await.unwrap();
    stage.wait_me(agent, "Available again once unlocked", is(BasePresence::Available)).await;

    let dnd = |on: &'static str| ["-c", "xfce4-notifyd", "-p", "/do-not-disturb", "-n", "-t", "bool", "-s", on];
    desk.desktop.run("xfconf-query", &dnd("true")).await.unwrap();
    stage.wait_me(agent, "Away while do-not-disturb is on", is(BasePresence::Away)).await;
    desk.wait_state("the notice", |s| s.notices.iter().any(|n| n.text.contains("do-not-disturb is on"))).await;
    assert_eq!(shown_presence(&desk).await.as_deref(), Some("away"));
    desk.shot("do-not-disturb-away").await;
    desk.desktop.run("xfconf-query", &dnd("false")).await.unwrap();
    stage.wait_me(agent, "Available again once do-not-disturb is off", is(BasePresence::Available)).await;
    desk.finish().await;
}

// The never-miss issue, item 4: why was this missed? An offer nobody answered makes the agent
// Inactive; the banner's link opens the offer's timeline in the window: offered, shown, the
// toast's sound, nobody answered in time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inactive_banner_opens_the_missed_offers_timeline() {
    let stage = Stage::start(1).await;
    stage.ws.settings(|s| s.missed_notifications = true).await;
    stage
        .ws
        .template(Scenario::Chat, |t| {
            t.reject_allowed = true;
            t.timeout_secs = TimeoutSecs::parse(3).unwrap();
        })
        .await;
    let desk = desk("why-missed", &stage, 0, NotificationMode::Always, Launch::WebDriver).await;
    stage.request(Scenario::Chat, "Radia Perlman", &[]).await;
    desk.bus.wait_toast("Radia Perlman").await;
    desk.find("[data-testid=banner][data-reason=missed]").await;
    desk.press("[data-testid=why-missed]").await;
    let text = desk.wait_text("[data-testid=timeline]", |t| t.contains("Nobody answered in time")).await;
    for step in ["Offered", "Shown on the screen"] {
        assert!(text.contains(step), "{step:?} in the timeline: {text}");
    }
    desk.shot("timeline").await;
    desk.finish().await;
}

// The never-miss issue, item 5: Dutch. On a desktop started with LANG=nl_NL.UTF-8 and nothing
// chosen in Herald's settings, the first toast's buttons read "Accepteren" and "Weigeren", and
// the window speaks Dutch (the in-app alert's buttons, the presence).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_dutch_desktop_the_first_toast_says_accepteren_and_weigeren_and_the_window_is_dutch() {
    let stage = Stage::start(1).await;
    chats_may_be_rejected(&stage).await;
    let dutch = herald_e2e::desktop::Options { locale: Some("nl_NL.UTF-8"), ..Default::default() };
    let settings = settings(NotificationMode::Always);
    assert_eq!(settings.language, None, "the language is the system's");
    let desk = AgentDesk::start_on(dutch, "dutch", Path::new(APP), &stage.ws, stage.agent(0), settings, Launch::WebDriver).await;
    let s = desk.wait_state("Dutch", |s| s.language == herald_app::i18n::Language::Nl).await;
    assert_eq!(s.settings.language, None);

    let item = stage.request(Scenario::Chat, "Edsger Dijkstra", &[]).await;
    let toast = desk.bus.wait_toast("Edsger Dijkstra").await;
    assert_eq!(toast.actions, ["default", "accept", "reject"]);
    assert_eq!(toast.labels, ["", "Accepteren", "Weigeren"], "{toast:#?}");
    desk.toast_window(2).await;
    let offer = app_offer(&desk, &item).await;
    let alert = alert_of(&offer);
    assert_eq!(desk.text(&format!("{alert} [data-testid=accept]")).await, "Accepteren");
    assert_eq!(desk.text(&format!("{alert} [data-testid=reject]")).await, "Weigeren");
    let presence = desk.find("[data-testid=presence-select] option:checked").await.text().await.unwrap();
    assert_eq!(presence, "Beschikbaar");
    desk.shot("dutch-toast-and-window").await;
    desk.finish().await;
}

/// The processes below `pid` (children, their children, …), with their command lines.
fn descendants(pid: u32) -> Vec<(u32, String)> {
    let mut all = Vec::new();
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        let tasks = std::fs::read_dir(format!("/proc/{p}/task")).map(|d| d.flatten().collect::<Vec<_>>()).unwrap_or_default();
        for t in tasks {
            let children = std::fs::read_to_string(t.path().join("children")).unwrap_or_default();
            for c in children.split_whitespace().filter_map(|c| c.parse::<u32>().ok()) {
                let cmdline = std::fs::read(format!("/proc/{c}/cmdline")).unwrap_or_default();
                all.push((c, String::from_utf8_lossy(&cmdline).replace('\0', " ")));
                todo.push(c);
            }
        }
    }
    all
}

/// Whether process `pid` runs (not gone, not a zombie waiting for its parent).
fn alive(pid: u32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X'))
}

/// The shared libraries process `pid` has mapped whose file name contains `part`.
fn mapped(pid: u32, part: &str) -> Vec<String> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
    let mut libs: Vec<String> =
        maps.lines().filter_map(|l| l.split_whitespace().nth(5)).filter(|f| f.contains(part)).map(str::to_string).collect();
    libs.dedup();
    libs
}

/// Herald's window processes below `pid`, and the WebKit processes below it.
fn window_and_webkit(pid: u32) -> (Vec<u32>, Vec<u32>) {
    let below = descendants(pid);
    let windows = below.iter().filter(|(_, c)| c.contains("herald-window")).map(|(p, _)| *p).collect();
    let webkit = below.iter().filter(|(_, c)| c.contains("WebKit")).map(|(p, _)| *p).collect();
    (windows, webkit)
}

// The never-miss issue, item 6: the window is a process of its own. Hidden in the tray there is
// no webview at all, and the tray process has no web engine loaded (it is not a Tauri app); opening Herald starts the window process (and WebKit's below it, none below
// the tray process itself); closing the window ends them all while Herald stays in the tray; and
// a window whose tray process died goes with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_is_a_process_of_its_own_that_ends_with_the_window_or_with_herald() {
    let stage = Stage::start(1).await;
    let desk = desk("window-process", &stage, 0, NotificationMode::Background, Launch::Tray).await;
    let tray = desk.desktop.pid("herald").expect("the tray process");
    stage.wait_connected(stage.agent(0)).await;
    assert_eq!(window_and_webkit(tray), (vec![], vec![]), "hidden in the tray: no window process, no WebKit");
    assert!(!mapped(tray, "libgtk-3").is_empty(), "the reading of the tray process's libraries works");
    assert_eq!(mapped(tray, "webkit2gtk"), Vec::<String>::new(), "the tray process loads no web engine");
    assert_eq!(mapped(tray, "javascriptcore"), Vec::<String>::new());

    assert!(desk.start_again(&["--show"]).await.success(), "the second start hands over");
    desk.wait_app_in_front().await;
    let (windows, webkit) = wait_for(APP_WAIT, || async {
        let (w, k) = window_and_webkit(tray);
        (w.len() == 1 && !k.is_empty()).then_some((w, k))
    })
    .await
    .expect("one window process, with WebKit below it");
    let window = windows[0];
    let below_window: Vec<u32> = descendants(window).into_iter().map(|(p, _)| p).collect();
    assert!(webkit.iter().all(|p| below_window.contains(p)), "WebKit runs below the window process only: {webkit:?}");
    assert!(!mapped(window, "webkit2gtk").is_empty(), "the window process is the one with the web engine");
    assert_eq!(mapped(tray, "webkit2gtk"), Vec::<String>::new(), "and the tray process still has none");
    desk.shot("window-open").await;

    desk.close_window().await;
    wait_until(APP_WAIT, || async { window_and_webkit(tray) == (vec![], vec![]) })
        .await
        .expect("the window process and WebKit's end with the window");
    assert!(!alive(window), "the window process is gone");

    // Open again; then Herald itself dies: its window does not stay behind.
    assert!(desk.start_again(&["--show"]).await.success());
    desk.wait_app_in_front().await;
    let window = wait_for(APP_WAIT, || async { window_and_webkit(tray).0.first().copied() }).await.expect("a new window process");
    assert!(alive(window));
    desk.desktop.run("kill", &["-KILL", &tray.to_string()]).await.expect("kill the tray process");
    wait_until(APP_WAIT, || async { !alive(window) && desk.app_window().await.is_none() })
        .await
        .expect("the window process ends when the tray process dies");
}

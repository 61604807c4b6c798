//! The screen locks: the agent cannot see a toast (the never-miss issue, item 2). A real
//! screensaver (Debian's mate-screensaver) on a private session bus and display, locked and
//! unlocked with its own command: Herald hears it, sets the agent Away, brings them back on
//! unlock, and the pending offer's timeline notes both.

use super::*;
use herald_e2e::desktop::{DesktopSession, Options as DesktopOptions};

async fn next_lock(rx: &mut tokio::sync::mpsc::Receiver<bool>) -> bool {
    tokio::time::timeout(WAIT, rx.recv()).await.expect("the screensaver said so in time").expect("the bus is still there")
}

#[tokio::test]
async fn a_locked_screen_sets_the_agent_away_and_unlocking_brings_them_back() {
    let desktop = DesktopSession::start_with(DesktopOptions { window_manager: false, notification_daemon: false, ..Default::default() })
        .await
        .unwrap();
    let mut saver = desktop.command("mate-screensaver");
    saver.arg("--no-daemon");
    desktop.spawn("mate-screensaver", saver).unwrap();
    desktop.wait_for_name("org.mate.ScreenSaver", WAIT).await.unwrap();
    let mut locks = herald_app::screen::watch(Some(desktop.dbus_address())).await.unwrap();

    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let r = rig(&ws, &a.token, NotificationMode::Always).await;
    ws.request(team.queue, Scenario::Chat, "Ada").await;
    let s = r.host.wait("the offer", |s| s.offers.len() == 1).await;
    let offer = s.offers[0].offer.id;

    desktop.run("mate-screensaver-command", &["--lock"]).await.unwrap();
    assert!(next_lock(&mut locks).await, "locked");
    r.app.screen_locked(true).await;
    r.host.wait("Away", |s| s.me.as_ref().is_some_and(|m| m.presence.base == BasePresence::Away)).await;
    let seen = ws.admin.team().await.unwrap().into_iter().find(|t| t.id == a.id).unwrap();
    assert_eq!(seen.presence.base, BasePresence::Away, "the workspace knows: no new offers");

    desktop.run("mate-screensaver-command", &["--deactivate"]).await.unwrap();
    assert!(!next_lock(&mut locks).await, "unlocked");
    r.app.screen_locked(false).await;
    r.host.wait("Available again", |s| s.me.as_ref().is_some_and(|m| m.presence.base == BasePresence::Available)).await;

    let steps: Vec<TimelineKind> = a.client.timeline(offer).await.unwrap().steps.iter().map(|s| s.kind).collect();
    assert!(steps.contains(&TimelineKind::ScreenLocked) && steps.contains(&TimelineKind::ScreenUnlocked), "{steps:?}");
}

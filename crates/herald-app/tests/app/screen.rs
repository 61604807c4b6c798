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
    let why = herald_app::i18n::text(herald_app::i18n::Language::En, "notice-locked-away");
    let says_why = |s: &herald_app::view::DesktopState| s.notices.iter().filter(|n| n.text == why).count();
    assert_eq!(says_why(&s), 0);

    desktop.run("mate-screensaver-command", &["--lock"]).await.unwrap();
    assert!(next_lock(&mut locks).await, "locked");
    r.app.screen_locked(true).await;
    let s = r.host.wait("Away", |s| s.me.as_ref().is_some_and(|m| m.presence.base == BasePresence::Away)).await;
    assert_eq!(says_why(&s), 1, "a notice says why: {:?}", s.notices);
    let seen = ws.admin.team().await.unwrap().into_iter().find(|t| t.id == a.id).unwrap();
    assert_eq!(seen.presence.base, BasePresence::Away, "the workspace knows: no new offers");

    desktop.run("mate-screensaver-command", &["--deactivate"]).await.unwrap();
    assert!(!next_lock(&mut locks).await, "unlocked");
    r.app.screen_locked(false).await;
    r.host
        .wait("Available again, and the notice gone", |s| {
            s.me.as_ref().is_some_and(|m| m.presence.base == BasePresence::Available) && says_why(s) == 0
        })
        .await;

    let steps: Vec<TimelineKind> = a.client.timeline(offer).await.unwrap().steps.iter().map(|s| s.kind).collect();
    assert!(steps.contains(&TimelineKind::ScreenLocked) && steps.contains(&TimelineKind::ScreenUnlocked), "{steps:?}");
}

/// The round trip every desktop's do-not-disturb must make: with an offer pending, `switch(true)`
/// is heard by the watch (`watch()` makes a new one), the agent is set Away and the workspace
/// knows it; a watch started while it is on hears that at once; `switch(false)` brings the agent
/// back; the offer's timeline notes both.
async fn do_not_disturb_round_trip<W, S>(watch: impl Fn() -> W, switch: impl Fn(bool) -> S)
where
    W: std::future::Future<Output = tokio::sync::mpsc::Receiver<bool>>,
    S: std::future::Future<Output = ()>,
{
    let mut dnd = watch().await;
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let r = rig(&ws, &a.token, NotificationMode::Always).await;
    ws.request(team.queue, Scenario::Chat, "Ada").await;
    let s = r.host.wait("the offer", |s| s.offers.len() == 1).await;
    let offer = s.offers[0].offer.id;

    switch(true).await;
    assert!(next_lock(&mut dnd).await, "do-not-disturb on");
    r.app.do_not_disturb(true).await;
    r.host.wait("Away", |s| s.me.as_ref().is_some_and(|m| m.presence.base == BasePresence::Away)).await;
    let seen = ws.admin.team().await.unwrap().into_iter().find(|t| t.id == a.id).unwrap();
    assert_eq!(seen.presence.base, BasePresence::Away, "the workspace knows: no new offers");
    let mut late = watch().await;
    assert!(next_lock(&mut late).await, "a watch started meanwhile hears it is on");

    switch(false).await;
    assert!(!next_lock(&mut dnd).await, "do-not-disturb off");
    r.app.do_not_disturb(false).await;
    r.host.wait("Available again", |s| s.me.as_ref().is_some_and(|m| m.presence.base == BasePresence::Available)).await;

    let steps: Vec<TimelineKind> = a.client.timeline(offer).await.unwrap().steps.iter().map(|s| s.kind).collect();
    assert!(steps.contains(&TimelineKind::DoNotDisturbOn) && steps.contains(&TimelineKind::DoNotDisturbOff), "{steps:?}");
}

/// Xfce's do-not-disturb (xfce4-notifyd's setting in xfconf), switched with `xfconf-query` as
/// the notification area's switch does.
#[tokio::test]
async fn xfces_do_not_disturb_sets_the_agent_away_and_turning_it_off_brings_them_back() {
    let desktop = DesktopSession::start_with(DesktopOptions { window_manager: false, xfconf: true, ..Default::default() }).await.unwrap();
    let watch = async || herald_app::dnd::watch(Some(desktop.dbus_address())).await.unwrap();
    let switch = async |on: bool| {
        let on = if on { "true" } else { "false" };
        desktop.run("xfconf-query", &["-c", "xfce4-notifyd", "-p", "/do-not-disturb", "-n", "-t", "bool", "-s", on]).await.unwrap();
    };
    do_not_disturb_round_trip(watch, switch).await;
}

/// KDE Plasma's notification server exposes do-not-disturb as the `Inhibited` property of
/// `org.freedesktop.Notifications`. Plasma cannot run here: a stand-in serves that property on
/// the private bus (the only part of it Herald reads) and announces changes as Plasma does.
struct PlasmaStandIn {
    inhibited: bool,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl PlasmaStandIn {
    #[zbus(property)]
    fn inhibited(&self) -> bool {
        self.inhibited
    }
}

#[tokio::test]
async fn a_notification_servers_inhibited_property_is_heard_as_do_not_disturb() {
    let desktop = DesktopSession::start_with(DesktopOptions { window_manager: false, notification_daemon: false, ..Default::default() })
        .await
        .unwrap();
    let path = "/org/freedesktop/Notifications";
    let server = zbus::connection::Builder::address(desktop.dbus_address())
        .unwrap()
        .name("org.freedesktop.Notifications")
        .unwrap()
        .serve_at(path, PlasmaStandIn { inhibited: false })
        .unwrap()
        .build()
        .await
        .unwrap();
    let mut dnd = herald_app::dnd::watch(Some(desktop.dbus_address())).await.unwrap();
    let iface = server.object_server().interface::<_, PlasmaStandIn>(path).await.unwrap();
    for on in [true, false] {
        iface.get_mut().await.inhibited = on;
        iface.get().await.inhibited_changed(iface.signal_emitter()).await.unwrap();
        assert_eq!(next_lock(&mut dnd).await, on);
    }
}

/// GNOME's do-not-disturb: `show-banners` off in `org.gnome.desktop.notifications`, kept in dconf
/// (a real dconf-service on the private bus) and switched with `gsettings` as GNOME's
/// notification list does. Herald hears dconf's change notice and reads the value.
#[tokio::test]
async fn gnomes_do_not_disturb_sets_the_agent_away_and_turning_it_off_brings_them_back() {
    let options = DesktopOptions { window_manager: false, notification_daemon: false, dconf: true, ..Default::default() };
    let desktop = DesktopSession::start_with(options).await.unwrap();
    let watch = async || herald_app::dnd::watch_with(Some(desktop.dbus_address()), desktop.dconf_env()).await.unwrap();
    let switch = async |dnd: bool| {
        let show_banners = if dnd { "false" } else { "true" };
        let out = desktop
            .command("gsettings")
            .envs(desktop.dconf_env())
            .args(["set", "org.gnome.desktop.notifications", "show-banners", show_banners])
            .output()
            .unwrap();
        assert!(out.status.success(), "gsettings set: {}", String::from_utf8_lossy(&out.stderr));
    };
    do_not_disturb_round_trip(watch, switch).await;
}

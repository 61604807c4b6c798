//! # The real Herald app on a real desktop
//!
//! [`AgentDesk::start`] gives one person a desk: a [`DesktopSession`] (Xvfb, a private session
//! bus, openbox, xfce4-notifyd), `trayer` as the tray host, a [`BusWatch`] that records every
//! notification call and signal on that bus, and the real `herald-desktop` binary signed in to a
//! workspace as that person, in a data directory of its own. It is launched one of two ways
//! ([`Launch`]):
//!
//! - **through WebDriver**: the app is started with `--show` and WebKit's automation switched on
//!   (`TAURI_WEBVIEW_AUTOMATION`, and `WEBKIT_INSPECTOR_SERVER` on a free loopback port, which
//!   its window process inherits); Debian's `WebKitWebDriver --target` connects to that window,
//!   and the test reads and clicks it through a [`fantoccini`] session. The window is a process
//!   of its own that ends when the window is closed (the app stays in the tray); when it is
//!   opened again, [`AgentDesk::attach`] starts a new session with the new window process.
//! - **as from the tray**: the binary itself, hidden, so its exit status can be read (Quit).
//!
//! Everything is observed from outside the app, the way a person would: X windows through
//! `xdotool`, toasts through the bus and the daemon's own windows, clicks with the real pointer,
//! screenshots of the whole screen saved as artefacts. [`Stage`] is the workspace side: a
//! `herald-workspace serve` child process with an admin, a supervisor and agents.
//!
//! Dropping a desk ends every program it started (their process groups: WebKitWebDriver, and
//! the app with its window process); a failing test keeps the desk's directory (logs of
//! every program, the app's data dir) and prints its path.

use crate::desktop::{Capture, DesktopSession, Geometry, Options, POLL, artifacts_dir, wait_for, wait_until};
use crate::{Person, Team, TestWorkspace};
use anyhow::{Context, Result, anyhow, bail, ensure};
use fantoccini::{Client as WebDriver, ClientBuilder, Locator};
use herald_app::view::{DesktopSettings, DesktopState, NotificationMode};
use herald_protocol::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the app may take to start, connect, or draw something.
pub const APP_WAIT: Duration = Duration::from_secs(30);

/// How the app is started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Launch {
    /// Through WebKitWebDriver, window shown at start.
    WebDriver,
    /// The binary itself, hidden in the tray.
    Tray,
}

// ----- the workspace side -----

/// A workspace in its own process (`herald-workspace serve`) with a seeded team.
#[derive(Debug)]
pub struct Stage {
    pub ws: TestWorkspace,
    pub team: Team,
}

impl Stage {
    /// A workspace process with an admin, a supervisor and `agents` agents (Available) in one
    /// least-busy queue.
    pub async fn start(agents: usize) -> Stage {
        let ws = TestWorkspace::spawn_process().await;
        let team = ws.team(agents).await;
        Stage { ws, team }
    }

    pub fn agent(&self, i: usize) -> &Person {
        &self.team.agents[i]
    }

    /// A customer request in the queue.
    pub async fn request(&self, scenario: Scenario, customer: &str, context: &[(&str, &str)]) -> WorkItem {
        self.ws
            .admin
            .new_conversation(&NewConversation {
                scenario,
                channel: None,
                queue: self.team.queue,
                customer_name: customer.into(),
                phone: None,
                context: context.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
                target_agent: None,
            })
            .await
            .expect("request accepted by the workspace")
    }

    /// Waits until `person`'s own view in the workspace (`GET /v1/me`) satisfies `pred`.
    pub async fn wait_me(&self, person: &Person, what: &str, pred: impl Fn(&Me) -> bool) -> Me {
        let last = Mutex::new(None);
        let found = wait_for(APP_WAIT, || async {
            let me = person.client.me().await.ok()?;
            let ok = pred(&me);
            *last.lock().unwrap_or_else(|p| p.into_inner()) = Some(me.clone());
            ok.then_some(me)
        })
        .await;
        found.unwrap_or_else(|e| panic!("workspace: {what}: {e}; last seen {:#?}", last.lock().unwrap_or_else(|p| p.into_inner())))
    }

    /// Waits until the workspace sees `person`'s app connected.
    pub async fn wait_connected(&self, person: &Person) {
        wait_until(APP_WAIT, || async { self.ws.admin.team().await.is_ok_and(|t| t.iter().any(|a| a.id == person.id && a.connected)) })
            .await
            .expect("the workspace sees the app connected");
    }
}

// ----- the notification bus -----

/// One notification as seen on the bus.
#[derive(Clone, Debug, Default)]
pub struct BusToast {
    /// The id the server answered with (0 until the reply is seen).
    pub id: u32,
    pub summary: String,
    pub body: String,
    /// The action keys (`accept`, `reject`, `open`, `default`), without their labels.
    pub actions: Vec<String>,
    /// The buttons' labels, in the same order (the body's `default` has an empty one).
    pub labels: Vec<String>,
    pub expire_timeout: i32,
    pub shown_at: Option<Instant>,
    /// `CloseNotification` sent for it (by the app), and when.
    pub close_called: Option<Instant>,
    /// `NotificationClosed` from the server: its reason.
    pub closed: Option<u32>,
    /// `ActionInvoked` from the server.
    pub invoked: Vec<String>,
}

#[derive(Debug, Default)]
struct BusLog {
    /// Notify calls by their serial, until the reply gives their id.
    calls: HashMap<u32, usize>,
    toasts: Vec<BusToast>,
}

/// Records the notification traffic of a session bus (a `BecomeMonitor` connection): `Notify`
/// and `CloseNotification` calls, their replies, `ActionInvoked` and `NotificationClosed`.
#[derive(Clone, Debug)]
pub struct BusWatch {
    log: Arc<Mutex<BusLog>>,
}

impl BusWatch {
    pub async fn start(desktop: &DesktopSession) -> Result<BusWatch> {
        let conn = desktop.bus().await?;
        let rules = [
            "type='method_call',interface='org.freedesktop.Notifications'",
            "type='signal',interface='org.freedesktop.Notifications'",
            "type='method_return'",
        ];
        let rules = rules.iter().map(|r| zbus::MatchRule::try_from(*r)).collect::<Result<Vec<_>, _>>()?;
        zbus::fdo::MonitoringProxy::new(&conn).await?.become_monitor(&rules, 0).await.context("BecomeMonitor")?;
        let log = Arc::new(Mutex::new(BusLog::default()));
        let sink = log.clone();
        let mut stream = zbus::MessageStream::from(&conn);
        tokio::spawn(async move {
            use futures_util::StreamExt;
            let _keep = conn;
            while let Some(Ok(msg)) = stream.next().await {
                let mut log = sink.lock().unwrap_or_else(|p| p.into_inner());
                record(&mut log, &msg);
            }
        });
        Ok(BusWatch { log })
    }

    /// Every notification so far, in the order they were sent.
    pub fn toasts(&self) -> Vec<BusToast> {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).toasts.clone()
    }

    /// The notifications whose summary or body mentions `text`.
    pub fn toasts_about(&self, text: &str) -> Vec<BusToast> {
        self.toasts().into_iter().filter(|t| t.summary.contains(text) || t.body.contains(text)).collect()
    }

    /// Waits for a notification about `text` that the server has given an id.
    pub async fn wait_toast(&self, text: &str) -> BusToast {
        wait_for(APP_WAIT, || async { self.toasts_about(text).into_iter().find(|t| t.id != 0) })
            .await
            .unwrap_or_else(|e| panic!("no Notify about {text:?} on the bus: {e}; seen {:#?}", self.toasts()))
    }

    /// Waits until the notification `id` satisfies `pred`.
    pub async fn wait_for(&self, id: u32, what: &str, pred: impl Fn(&BusToast) -> bool) -> BusToast {
        wait_for(APP_WAIT, || async { self.toasts().into_iter().find(|t| t.id == id && pred(t)) })
            .await
            .unwrap_or_else(|e| panic!("notification {id}: {what}: {e}; seen {:#?}", self.toasts()))
    }
}

fn record(log: &mut BusLog, msg: &zbus::Message) {
    use zbus::message::Type;
    let header = msg.header();
    let member = header.member().map(|m| m.as_str().to_owned()).unwrap_or_default();
    match header.message_type() {
        Type::MethodCall if member == "Notify" => {
            type Notify = (String, u32, String, String, String, Vec<String>, HashMap<String, zbus::zvariant::OwnedValue>, i32);
            if let Ok((_, _, _, summary, body, actions, _, expire_timeout)) = msg.body().deserialize::<Notify>() {
                let keys = actions.iter().step_by(2).cloned().collect();
                let labels = actions.iter().skip(1).step_by(2).cloned().collect();
                log.toasts.push(BusToast {
                    summary,
                    body,
                    actions: keys,
                    labels,
                    expire_timeout,
                    shown_at: Some(Instant::now()),
                    ..Default::default()
                });
                log.calls.insert(header.primary().serial_num().get(), log.toasts.len() - 1);
            }
        }
        Type::MethodCall if member == "CloseNotification" => {
            if let Ok(id) = msg.body().deserialize::<u32>() {
                if let Some(t) = log.toasts.iter_mut().find(|t| t.id == id) {
                    t.close_called.get_or_insert(Instant::now());
                }
            }
        }
        Type::MethodReturn => {
            let Some(serial) = header.reply_serial() else { return };
            if let Some(i) = log.calls.remove(&serial.get()) {
                if let Ok(id) = msg.body().deserialize::<u32>() {
                    log.toasts[i].id = id;
                }
            }
        }
        Type::Signal if member == "ActionInvoked" => {
            if let Ok((id, action)) = msg.body().deserialize::<(u32, String)>() {
                if let Some(t) = log.toasts.iter_mut().find(|t| t.id == id) {
                    t.invoked.push(action);
                }
            }
        }
        Type::Signal if member == "NotificationClosed" => {
            if let Ok((id, reason)) = msg.body().deserialize::<(u32, u32)>() {
                if let Some(t) = log.toasts.iter_mut().find(|t| t.id == id) {
                    t.closed.get_or_insert(reason);
                }
            }
        }
        _ => {}
    }
}

// ----- one person's desk -----

/// One person's desktop with the Herald app on it (see the module docs).
pub struct AgentDesk {
    pub desktop: DesktopSession,
    pub bus: BusWatch,
    pub data_dir: PathBuf,
    pub launch: Launch,
    /// WebKitWebDriver's address and the session with the current window process.
    driver: Option<(String, Mutex<Option<WebDriver>>)>,
    app: PathBuf,
    app_env: Vec<(&'static str, String)>,
    artifacts: PathBuf,
    shots: AtomicU32,
}

impl std::fmt::Debug for AgentDesk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentDesk").field("desktop", &self.desktop).field("launch", &self.launch).finish_non_exhaustive()
    }
}

/// The app program's name in the desk's logs (`<dir>/<name>.log`).
const APP: &str = "herald";
const DRIVER: &str = "webkitwebdriver";

impl AgentDesk {
    /// A desk for `person` (artefacts under `target/test-artifacts/desktop-app/<name>/`), the app
    /// started with `settings` (the workspace URL is filled in) and signed in.
    ///
    /// `app` is the `herald-desktop` binary: tests in its own package get it from cargo
    /// (`CARGO_BIN_EXE_herald-desktop`), so it is built with them.
    pub async fn start(
        name: &str,
        app: &Path,
        ws: &TestWorkspace,
        person: &Person,
        settings: DesktopSettings,
        launch: Launch,
    ) -> AgentDesk {
        Self::start_on(Options::default(), name, app, ws, person, settings, launch).await
    }

    /// As [`AgentDesk::start`], on a desktop started with `desktop` (e.g. no notification
    /// server).
    pub async fn start_on(
        desktop: Options,
        name: &str,
        app: &Path,
        ws: &TestWorkspace,
        person: &Person,
        mut settings: DesktopSettings,
        launch: Launch,
    ) -> AgentDesk {
        Self::try_start(desktop, name, app, ws, person, &mut settings, launch)
            .await
            .unwrap_or_else(|e| panic!("{name}: the desk does not start: {e:#}"))
    }

    async fn try_start(
        options: Options,
        name: &str,
        app: &Path,
        ws: &TestWorkspace,
        person: &Person,
        settings: &mut DesktopSettings,
        launch: Launch,
    ) -> Result<AgentDesk> {
        let mut desktop = DesktopSession::start_with(options).await?;
        let artifacts = artifacts_dir("desktop-app").join(name);
        let _ = std::fs::remove_dir_all(&artifacts);
        std::fs::create_dir_all(&artifacts)?;
        let launched = async {
            let (bus, data_dir, driver_url, app_env) = Self::launch(&desktop, app, ws, person, settings, launch).await?;
            let driver = match driver_url {
                Some(url) => Some((url.clone(), Mutex::new(Some(session(&desktop, &url).await?)))),
                None => None,
            };
            anyhow::Ok((bus, data_dir, driver, app_env))
        }
        .await;
        match launched {
            Ok((bus, data_dir, driver, app_env)) => {
                let desk = AgentDesk {
                    desktop,
                    bus,
                    data_dir,
                    launch,
                    driver,
                    app: app.to_path_buf(),
                    app_env,
                    artifacts,
                    shots: AtomicU32::new(0),
                };
                if desk.driver.is_some() {
                    desk.wait_state("signed in and live", |s| {
                        s.me.is_some() && s.connection.status == herald_app::view::ConnectionStatus::Live
                    })
                    .await;
                }
                Ok(desk)
            }
            Err(e) => {
                let _ = desktop.command("import").args(["-window", "root"]).arg(artifacts.join("failure.png")).status();
                let kept = desktop.keep();
                Err(e.context(format!("logs kept in {}", kept.display())))
            }
        }
    }

    /// Trayer, the bus watch, the data dir, and the app (with a WebDriver session, or not).
    async fn launch(
        desktop: &DesktopSession,
        app: &Path,
        ws: &TestWorkspace,
        person: &Person,
        settings: &mut DesktopSettings,
        launch: Launch,
    ) -> Result<(BusWatch, PathBuf, Option<String>, Vec<(&'static str, String)>)> {
        let mut trayer = desktop.command("trayer");
        trayer.args([
            "--edge",
            "top",
            "--align",
            "right",
            "--widthtype",
            "request",
            "--height",
            "32",
            "--SetDockType",
            "true",
            "--transparent",
            "false",
        ]);
        desktop.spawn("trayer", trayer)?;
        wait_until(APP_WAIT, || async { desktop.windows_by_class("trayer").await.is_ok_and(|w| !w.is_empty()) })
            .await
            .context("trayer shows its panel")?;
        let bus = BusWatch::start(desktop).await?;

        let data_dir = desktop.dir().join("herald-data");
        std::fs::create_dir_all(&data_dir)?;
        settings.workspace_url = ws.url.clone();
        settings.demo_traffic = false;
        std::fs::write(data_dir.join("settings.json"), serde_json::to_string_pretty(&settings)?)?;
        let tokens: HashMap<&str, &str> = [(ws.url.as_str(), person.token.as_str())].into();
        std::fs::write(data_dir.join("tokens.json"), serde_json::to_string(&tokens)?)?;

        ensure!(app.exists(), "{} is missing", app.display());
        let env = [
            ("HERALD_DATA_DIR", data_dir.display().to_string()),
            ("HERALD_SECRETS", "file".to_string()),
            ("RUST_LOG", "info,herald_app=debug,herald_notify=debug".to_string()),
            ("NO_COLOR", "1".to_string()),
            // trayer's panel is light grey.
            ("HERALD_TRAY_THEME", "light".to_string()),
            // Under WebDriver automation on Xvfb (no GPU), WebKit's accelerated compositing
            // left the X window showing its first paint, so screenshots did not show what
            // WebDriver saw. (Started normally on the same Xvfb, the app draws correctly.)
            ("WEBKIT_DISABLE_COMPOSITING_MODE", "1".to_string()),
        ];
        let driver = match launch {
            Launch::Tray => {
                let mut cmd = desktop.command(app);
                cmd.envs(env.clone());
                desktop.spawn(APP, cmd)?;
                None
            }
            Launch::WebDriver => {
                // Every window process the app starts inherits these and listens there.
                let inspector = format!("127.0.0.1:{}", free_port()?);
                let mut cmd = desktop.command(app);
                cmd.arg("--show").envs(env.clone()).env("TAURI_WEBVIEW_AUTOMATION", "true").env("WEBKIT_INSPECTOR_SERVER", &inspector);
                desktop.spawn(APP, cmd)?;
                let port = free_port()?;
                let mut cmd = desktop.command("WebKitWebDriver");
                cmd.arg(format!("--port={port}")).arg(format!("--target={inspector}")).arg("--replace-on-new-session");
                desktop.spawn(DRIVER, cmd)?;
                let url = format!("http://127.0.0.1:{port}");
                let http = reqwest::Client::new();
                wait_until(APP_WAIT, || async { http.get(format!("{url}/status")).send().await.is_ok() })
                    .await
                    .with_context(|| format!("WebKitWebDriver answers; its log:\n{}", desktop.log(DRIVER)))?;
                wait_until(APP_WAIT, || async { tokio::net::TcpStream::connect(&inspector).await.is_ok() })
                    .await
                    .with_context(|| format!("the window process listens for automation; the app's log:\n{}", desktop.log(APP)))?;
                Some(url)
            }
        };
        Ok((bus, data_dir, driver, env.to_vec()))
    }

    /// The app's log so far (its log file).
    pub fn app_log(&self) -> String {
        std::fs::read_to_string(self.data_dir.join("logs").join("herald.log")).unwrap_or_default()
    }

    /// Starts the app a second time, as a person would from the menu, and returns how that
    /// second process ended (Herald is single-instance: it hands over to the running one).
    pub async fn start_again(&self, args: &[&str]) -> std::process::ExitStatus {
        let mut cmd = tokio::process::Command::from(self.desktop.command(&self.app));
        cmd.args(args).envs(self.app_env.iter().map(|(k, v)| (*k, v.as_str()))).kill_on_drop(true);
        cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
        let run = cmd.status();
        tokio::time::timeout(APP_WAIT, run).await.expect("the second start ends").expect("the second start runs")
    }

    /// Saves a screenshot of the whole screen as the next artefact of this scenario.
    pub async fn shot(&self, label: &str) {
        let n = self.shots.fetch_add(1, Ordering::SeqCst) + 1;
        let path = self.artifacts.join(format!("{n:02}-{label}.png"));
        self.desktop.screenshot(&path).await.unwrap_or_else(|e| panic!("screenshot {label}: {e}"));
    }

    /// Ends the WebDriver session; the desk's programs end when it is dropped.
    pub async fn finish(self) {
        let session = self.driver.as_ref().and_then(|(_, d)| d.lock().unwrap_or_else(|p| p.into_inner()).take());
        if let Some(d) = session {
            let _ = d.close().await;
        }
    }

    // ----- X windows -----

    /// Herald's main window, when one is mapped.
    pub async fn app_window(&self) -> Option<u64> {
        self.desktop.windows_by_name("^Herald$").await.ok()?.into_iter().next()
    }

    /// The window with the input focus, as the window manager says (`_NET_ACTIVE_WINDOW`).
    pub async fn active_window(&self) -> Option<u64> {
        self.desktop.xdotool(&["getactivewindow"]).await.ok()?.trim().parse().ok()
    }

    /// Waits until Herald's window is mapped and is the active window.
    pub async fn wait_app_in_front(&self) -> u64 {
        wait_for(APP_WAIT, || async {
            let w = self.app_window().await?;
            (self.active_window().await == Some(w)).then_some(w)
        })
        .await
        .unwrap_or_else(|e| panic!("Herald's window is not mapped and active: {e}"))
    }

    /// Closes Herald's window as the person would (the window manager's close), and waits until
    /// it is gone; the app keeps running in the tray.
    pub async fn close_window(&self) {
        self.desktop.run("wmctrl", &["-c", "Herald"]).await.expect("wmctrl -c Herald");
        wait_until(APP_WAIT, || async { self.app_window().await.is_none() }).await.expect("Herald's window is gone");
        if self.driver.is_some() {
            // The window process ended with its window, and the session with it.
            let d = self.driver();
            wait_until(APP_WAIT, || async { d.windows().await.map_or(true, |w| w.is_empty()) }).await.expect("WebDriver sees no window");
        }
        self.desktop.check_alive().expect("the app keeps running in the tray");
    }

    // ----- toasts drawn by xfce4-notifyd -----

    /// The one toast window with `buttons` buttons, once drawn: (window, buttons left to right).
    pub async fn toast_window(&self, buttons: usize) -> (u64, Vec<Geometry>) {
        wait_for(APP_WAIT, || async {
            for w in self.desktop.notification_windows().await.ok()? {
                if let Ok(b) = self.desktop.toast_buttons(w).await {
                    if b.len() == buttons {
                        return Some((w, b));
                    }
                }
            }
            None
        })
        .await
        .unwrap_or_else(|e| panic!("no toast with {buttons} buttons drawn: {e}"))
    }

    /// Waits until no toast window is shown.
    pub async fn wait_no_toast_window(&self) {
        wait_until(APP_WAIT, || async { self.desktop.notification_windows().await.is_ok_and(|w| w.is_empty()) })
            .await
            .expect("no toast window left");
    }

    /// A real pointer click.
    pub async fn click(&self, (x, y): (i32, i32)) {
        self.desktop.click(x, y).await.expect("pointer click");
    }

    // ----- the tray -----

    /// Herald's icon in trayer: the app's icon window (XEmbed, WM_CLASS "tray-icon tray app
    /// herald") is a child of trayer's panel, and where it is drawn.
    pub async fn tray_icon(&self) -> Geometry {
        wait_for(APP_WAIT, || async { self.tray_capture().await.map(|(icon, _)| icon) })
            .await
            .unwrap_or_else(|e| panic!("no icon drawn in the tray: {e}; app log:\n{}", self.app_log()))
    }

    /// The icon's place on the screen and its pixels, when the icon is embedded and drawn.
    async fn tray_capture(&self) -> Option<(Geometry, Capture)> {
        let panel = *self.desktop.windows_by_class("trayer").await.ok()?.first()?;
        let tree = self.desktop.run("xwininfo", &["-id", &panel.to_string(), "-tree"]).await.ok()?;
        if !tree.contains("tray-icon tray app herald") {
            return None;
        }
        let at = self.desktop.geometry(panel).await.ok()?;
        // The icon is the only thing on the panel: the bounding box of what differs from the
        // panel's tint.
        let capture = self.desktop.capture(panel).await.ok()?;
        let bg = capture.pixel(0, 0);
        let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
        for y in 0..capture.height {
            for x in 0..capture.width {
                if capture.pixel(x, y).iter().zip(bg).any(|(a, b)| a.abs_diff(b) > 24) {
                    (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
                }
            }
        }
        if x0 > x1 || x1 - x0 < 8 {
            return None;
        }
        let icon = capture.crop(x0, y0, x1 - x0 + 1, y1 - y0 + 1);
        Some((Geometry { x: at.x + x0 as i32, y: at.y + y0 as i32, width: icon.width, height: icon.height }, icon))
    }

    /// How many pixels of the tray icon are close to `rgb` (the presence badge's colour).
    pub async fn tray_pixels_like(&self, rgb: [u8; 3]) -> usize {
        let Some((_, icon)) = self.tray_capture().await else { return 0 };
        (0..icon.height)
            .flat_map(|y| (0..icon.width).map(move |x| (x, y)))
            .filter(|&(x, y)| icon.pixel(x, y).iter().zip(rgb).all(|(a, b)| a.abs_diff(b) <= 40))
            .count()
    }

    /// Waits until the tray icon shows a badge of colour `rgb`.
    pub async fn wait_tray_badge(&self, what: &str, rgb: [u8; 3]) {
        wait_until(APP_WAIT, || async { self.tray_pixels_like(rgb).await >= 4 })
            .await
            .unwrap_or_else(|e| panic!("the tray icon does not show {what}: {e}"));
    }

    /// Opens the tray menu with a real click on the icon and chooses the `n`-th enabled item
    /// (counted from 1, separators and the disabled status line skipped) with the keyboard.
    pub async fn tray_menu_choose(&self, n: usize) {
        let icon = self.tray_icon().await;
        let before = self.desktop.search(&["--class", "herald-desktop"]).await.unwrap_or_default();
        self.click(icon.center()).await;
        let menu = wait_for(APP_WAIT, || async {
            let now = self.desktop.search(&["--class", "herald-desktop"]).await.ok()?;
            now.into_iter().find(|w| !before.contains(w))
        })
        .await
        .unwrap_or_else(|e| panic!("the tray menu does not open: {e}"));
        self.shot("tray-menu").await;
        let mut keys = vec!["key", "--delay", "60"];
        keys.extend(std::iter::repeat_n("Down", n));
        keys.push("Return");
        self.desktop.xdotool(&keys).await.expect("keys to the menu");
        wait_until(APP_WAIT, || async { self.desktop.search(&["--class", "herald-desktop"]).await.is_ok_and(|w| !w.contains(&menu)) })
            .await
            .expect("the tray menu closes on the choice");
    }

    // ----- the window, through WebDriver -----

    fn driver(&self) -> WebDriver {
        let (_, session) = self.driver.as_ref().expect("this desk was launched without WebDriver");
        session.lock().unwrap_or_else(|p| p.into_inner()).clone().expect("a WebDriver session")
    }

    /// The app's whole state, as its window gets it (`get_state`).
    pub async fn state(&self) -> Result<DesktopState> {
        let script = r#"const done = arguments[arguments.length - 1];
            window.__TAURI_INTERNALS__.invoke('get_state').then(s => done({ ok: s }), e => done({ err: String(e) }));"#;
        let v = self.driver().execute_async(script, vec![]).await?;
        match v.get("ok") {
            Some(s) => Ok(serde_json::from_value(s.clone())?),
            None => bail!("get_state failed: {v}"),
        }
    }

    /// Waits until the app's state satisfies `pred`.
    pub async fn wait_state(&self, what: &str, pred: impl Fn(&DesktopState) -> bool) -> DesktopState {
        let last = Mutex::new(None);
        let r = wait_for(APP_WAIT, || async {
            let s = self.state().await.ok()?;
            let ok = pred(&s);
            *last.lock().unwrap_or_else(|p| p.into_inner()) = Some(s.clone());
            ok.then_some(s)
        })
        .await;
        r.unwrap_or_else(|e| panic!("the app: {what}: {e}; last state {:#?}", last.lock().unwrap_or_else(|p| p.into_inner())))
    }

    /// After the window was opened again (a new window process), a WebDriver session with it.
    pub async fn attach(&self) {
        let (url, session) = self.driver.as_ref().expect("this desk was launched without WebDriver");
        let d = session_with_retry(&self.desktop, url).await.expect("a WebDriver session with the new window");
        *session.lock().unwrap_or_else(|p| p.into_inner()) = Some(d.clone());
        let handle = wait_for(APP_WAIT, || async { d.windows().await.ok()?.pop() }).await.expect("a window for WebDriver");
        d.switch_to_window(handle).await.expect("switch to the new window");
    }

    /// The element with this CSS selector, once it is there.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.driver()
            .wait()
            .at_most(APP_WAIT)
            .every(POLL)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css} in the window: {e}"))
    }

    /// Waits until no element matches `css`.
    pub async fn gone(&self, css: &str) {
        wait_until(APP_WAIT, || async { self.driver().find_all(Locator::Css(css)).await.is_ok_and(|v| v.is_empty()) })
            .await
            .unwrap_or_else(|e| panic!("{css} is still in the window: {e}"));
    }

    /// Whether an element matches `css` now.
    pub async fn has(&self, css: &str) -> bool {
        self.driver().find_all(Locator::Css(css)).await.is_ok_and(|v| !v.is_empty())
    }

    /// The text of the element with this CSS selector, once it is there.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap_or_else(|e| panic!("text of {css}: {e}"))
    }

    /// Waits until the text of the element with this CSS selector satisfies `pred`.
    pub async fn wait_text(&self, css: &str, pred: impl Fn(&str) -> bool) -> String {
        let last = Mutex::new(String::new());
        let r = wait_for(APP_WAIT, || async {
            let t = self.driver().find(Locator::Css(css)).await.ok()?.text().await.ok()?;
            let ok = pred(&t);
            *last.lock().unwrap_or_else(|p| p.into_inner()) = t.clone();
            ok.then_some(t)
        })
        .await;
        r.unwrap_or_else(|e| panic!("{css}: {e}; its text was {:?}", last.lock().unwrap_or_else(|p| p.into_inner())))
    }

    /// Clicks the element with this CSS selector (a WebDriver click inside the page).
    pub async fn press(&self, css: &str) {
        self.find(css).await.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
    }
}

impl Drop for AgentDesk {
    fn drop(&mut self) {
        // A failing scenario leaves a picture of the screen as it was (the desk's directory with
        // every program's log is kept by the desktop session).
        if std::thread::panicking() {
            let path = self.artifacts.join("failure.png");
            let _ = self.desktop.command("import").args(["-window", "root"]).arg(&path).status();
            eprintln!("screen at the failure: {}", path.display());
        }
    }
}

/// A port that was free a moment ago on 127.0.0.1.
/// A WebDriver session with the window process WebKitWebDriver targets.
async fn session(desktop: &DesktopSession, url: &str) -> Result<WebDriver> {
    tokio::time::timeout(APP_WAIT, ClientBuilder::native().capabilities(serde_json::Map::new()).connect(url))
        .await
        .map_err(|_| anyhow!("no WebDriver session within {APP_WAIT:?}"))?
        .with_context(|| format!("WebDriver session; WebKitWebDriver's log:\n{}", desktop.log(DRIVER)))
}

/// A session once the new window process is there (it is still starting when its window maps).
async fn session_with_retry(desktop: &DesktopSession, url: &str) -> Result<WebDriver> {
    wait_for(APP_WAIT, || async { session(desktop, url).await.ok() }).await
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A desk's settings with this notification mode.
pub fn settings(mode: NotificationMode) -> DesktopSettings {
    DesktopSettings { notifications: mode, sound: false, ..DesktopSettings::default() }
}

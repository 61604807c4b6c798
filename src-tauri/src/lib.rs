//! # herald-desktop — the Tauri shell of the Herald tray app
//!
//! A thin shell around [`herald_app::App`]: it owns the tray icon and menu, opens the window (in
//! a process of its own, [`window`]), reports its focus, and maps the webview's two commands
//! (`get_state`, `command`) onto the app. Everything else — the link to the workspace, when to toast, what a click does, what
//! the tray menu, status line, tooltip and badge say (`herald_app::tray`) — is in herald-app and
//! tested there without a window.
//!
//! # Lifecycle
//! - Starts hidden in the tray (R32). `--show` opens the window at start.
//! - Two processes. The tray process (this one) holds the app: tray, toasts, sound, shortcuts, the
//!   link to the workspace. It never makes a webview. The window is `herald-desktop --window`,
//!   started by the tray process ([`link`]) when the window is wanted and ended when it is
//!   closed, so what WebKit holds (its network process, GL and font libraries, its heap) goes
//!   with it and the tray process stays as small as it started.
//! - The window is opened again by the tray's "Open Herald", by a toast, by a shortcut, or by
//!   starting Herald a second time (single instance). Its size and position are remembered, its
//!   visibility is not.
//! - Quit (tray) closes the window, open toasts, stops the embedded workspace and exits.

pub mod link;
pub mod window;

use herald_app::i18n::Language;
use herald_app::tray::{MenuEntry, STATUS_ID, TrayAction, TrayView};
use herald_app::view::{Command, DesktopState, NoticeLevel};
use herald_app::{App, Host, Options};
use herald_protocol::{BasePresence, Presence};
use std::sync::{Arc, Mutex};
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, RunEvent};
use tauri_plugin_global_shortcut::{GlobalShortcutExt, Shortcut, ShortcutState};

/// The tray's items that follow the state.
struct Tray {
    icon: TrayIcon,
    presences: Vec<(BasePresence, CheckMenuItem<tauri::Wry>)>,
    actions: Vec<(TrayAction, MenuItem<tauri::Wry>)>,
    status: MenuItem<tauri::Wry>,
    /// The language of the menu's words.
    language: Language,
    /// The icon without a presence badge.
    plain: Image<'static>,
    /// The presence whose badge the icon shows (`None`: no badge, not signed in).
    badge: Option<BasePresence>,
    /// The revision of the state shown: states are published from several threads and may
    /// arrive out of order; an older one must not undo a newer one.
    revision: u64,
    /// What the tray shows now.
    shown: Option<TrayView>,
}

/// The tray icon with the presence badge painted in its corner.
pub fn badged(plain: &Image<'_>, presence: BasePresence) -> Image<'static> {
    let (w, h) = (plain.width(), plain.height());
    let mut rgba = plain.rgba().to_vec();
    herald_app::tray::paint_badge(&mut rgba, w, h, presence);
    Image::new_owned(rgba, w, h)
}

/// What a global shortcut does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyAction {
    Accept,
    Reject,
    Show,
}

/// The app, once started, plus the tray and the global shortcuts in force.
#[derive(Default)]
struct Shell {
    app: Mutex<Option<App>>,
    tray: Mutex<Option<Tray>>,
    keys: Mutex<Keys>,
    /// The window process, while the window is open.
    window: Arc<link::Link>,
}

/// The shortcuts registered, and the settings they came from.
#[derive(Default)]
struct Keys {
    from: Option<herald_app::view::Shortcuts>,
    bound: Vec<(Shortcut, KeyAction)>,
}

/// Registers the shortcuts of `settings` (replacing those in force) unless they are in force
/// already. Main thread only (see `TauriHost::publish`). One that cannot be registered (taken by another application, or not a key
/// combination) is reported to the person and the others still work.
fn bind_keys(handle: &AppHandle, settings: &herald_app::view::Shortcuts) {
    let shell = handle.state::<Arc<Shell>>();
    let Ok(mut keys) = shell.keys.lock() else { return };
    if keys.from.as_ref() == Some(settings) {
        return;
    }
    let gs = handle.global_shortcut();
    if let Err(e) = gs.unregister_all() {
        tracing::debug!(error = %e, "could not release the previous shortcuts");
    }
    let mut bound = Vec::new();
    let mut problems = Vec::new();
    for (text, action, what) in [
        (&settings.accept, KeyAction::Accept, "accept"),
        (&settings.reject, KeyAction::Reject, "reject"),
        (&settings.show, KeyAction::Show, "show Herald"),
    ] {
        if text.trim().is_empty() {
            continue;
        }
        match text.parse::<Shortcut>() {
            Ok(key) => match gs.register(key) {
                Ok(()) => bound.push((key, action)),
                Err(e) => problems.push(format!("{text} (to {what}) could not be set — another application may use it: {e}")),
            },
            Err(e) => problems.push(format!("{text:?} (to {what}) is not a key combination: {e}")),
        }
    }
    tracing::info!(accept = %settings.accept, reject = %settings.reject, show = %settings.show, registered = bound.len(), "global shortcuts");
    keys.from = Some(settings.clone());
    keys.bound = bound;
    drop(keys);
    if let Some(app) = shell.app() {
        for p in problems {
            tracing::warn!(problem = %p, "global shortcut");
            app.notice(NoticeLevel::Warning, format!("Shortcut {p}. Change it in Settings."), None);
        }
    }
}

/// A global shortcut was pressed.
fn on_key(handle: &AppHandle, key: &Shortcut) {
    let shell = handle.state::<Arc<Shell>>();
    let action = shell.keys.lock().ok().and_then(|k| k.bound.iter().find(|(b, _)| b == key).map(|(_, a)| *a));
    let (Some(action), Some(app)) = (action, shell.app()) else { return };
    tracing::info!(?action, "global shortcut pressed");
    match action {
        KeyAction::Show => show_main(handle),
        KeyAction::Accept | KeyAction::Reject => {
            let cmd = if action == KeyAction::Accept { Command::AcceptNewest } else { Command::RejectNewest };
            tauri::async_runtime::spawn(async move {
                if let Err(e) = app.command(cmd).await {
                    tracing::info!(error = %e, "the shortcut's command was refused");
                }
            });
        }
    }
}

impl Shell {
    fn app(&self) -> Option<App> {
        self.app.lock().ok()?.clone()
    }
}

/// herald-app's window system.
struct TauriHost {
    handle: AppHandle,
}

impl Host for TauriHost {
    fn publish(&self, state: &DesktopState) {
        self.handle.state::<Arc<Shell>>().window.publish(state);
        update_tray(&self.handle, state);
        // Shortcuts are (re)registered on the main thread only: registering waits for it, so
        // doing it here (any thread) while the main thread waits for the key lock would hang.
        let wanted = &state.settings.shortcuts;
        let changed = self.handle.state::<Arc<Shell>>().keys.lock().is_ok_and(|k| k.from.as_ref() != Some(wanted));
        if changed {
            let (handle, wanted) = (self.handle.clone(), wanted.clone());
            if let Err(e) = self.handle.run_on_main_thread(move || bind_keys(&handle, &wanted)) {
                tracing::debug!(error = %e, "shortcuts not updated");
            }
        }
    }

    fn bring_to_front(&self) {
        show_main(&self.handle);
    }

    fn set_autostart(&self, on: bool) -> Result<(), String> {
        use tauri_plugin_autostart::ManagerExt;
        let launcher = self.handle.autolaunch();
        let r = if on { launcher.enable() } else { launcher.disable() };
        r.map_err(|e| e.to_string())
    }
}

/// Shows the state in the tray. The tray's widgets live on the main thread, and changing one from
/// another thread waits for the main thread; so the change is sent there instead of waiting
/// (a thread waiting for the main thread while the main thread waits for it hung Herald at start
/// under load).
fn update_tray(handle: &AppHandle, state: &DesktopState) {
    let (revision, view) = (state.revision, TrayView::of(state));
    let h = handle.clone();
    if let Err(e) = handle.run_on_main_thread(move || apply_tray(&h, revision, view)) {
        tracing::debug!(error = %e, "tray not updated");
    }
}

/// On the main thread: applies a tray view unless a newer one was applied already (states are
/// published from several threads and may arrive out of order) or it shows nothing new (most
/// state changes are not the tray's).
fn apply_tray(handle: &AppHandle, revision: u64, view: TrayView) {
    let shell = handle.state::<Arc<Shell>>();
    let Ok(mut tray) = shell.tray.lock() else { return };
    let Some(tray) = tray.as_mut() else { return };
    if revision < tray.revision {
        return;
    }
    tray.revision = revision;
    if tray.shown.as_ref() == Some(&view) {
        return;
    }
    if tray.badge != view.presence {
        let icon = match view.presence {
            Some(p) => badged(&tray.plain, p),
            None => tray.plain.clone(),
        };
        match tray.icon.set_icon(Some(icon)) {
            Ok(()) => tray.badge = view.presence,
            Err(e) => tracing::warn!(error = %e, "could not change the tray icon"),
        }
    }
    for (p, item) in &tray.presences {
        let _ = item.set_checked(Some(*p) == view.presence);
        let _ = item.set_enabled(view.presence.is_some());
    }
    if tray.language != view.language {
        // The person chose another language: the menu's words follow.
        for entry in herald_app::tray::menu(view.language) {
            match entry {
                MenuEntry::Presence(p, label) => tray.presences.iter().filter(|(q, _)| *q == p).for_each(|(_, i)| drop(i.set_text(&label))),
                MenuEntry::Action(a, label) => tray.actions.iter().filter(|(b, _)| *b == a).for_each(|(_, i)| drop(i.set_text(&label))),
                MenuEntry::Status | MenuEntry::Separator => {}
            }
        }
        tray.language = view.language;
    }
    let _ = tray.status.set_text(&view.status);
    let _ = tray.icon.set_tooltip(Some(&view.tooltip));
    // A failed icon change is tried again with the next state.
    if tray.badge == view.presence {
        tray.shown = Some(view);
    }
}

/// Brings the window to the front, opening it when it is closed.
pub fn show_main(handle: &AppHandle) {
    show_main_at(handle, None);
}

/// As [`show_main`], with a pane of the window open (`settings`, `team`).
pub fn show_main_at(handle: &AppHandle, pane: Option<&str>) {
    let shell = handle.state::<Arc<Shell>>();
    match shell.app() {
        Some(app) => shell.window.show(&app, pane),
        None => tracing::info!("Herald is still starting: the window was not opened; open it again in a moment"),
    }
}

fn on_tray(handle: &AppHandle, action: TrayAction) {
    tracing::info!(?action, "tray");
    let shell = handle.state::<Arc<Shell>>().inner().clone();
    match action {
        TrayAction::Open => show_main(handle),
        TrayAction::Settings => show_main_at(handle, Some("settings")),
        TrayAction::Presence(base) => {
            let Some(app) = shell.app() else { return };
            tauri::async_runtime::spawn(async move {
                if let Err(e) = app.command(Command::SetPresence { presence: Presence { base, custom: None } }).await {
                    app.notice(NoticeLevel::Error, e.message, e.code);
                }
            });
        }
        TrayAction::Quit => {
            let handle = handle.clone();
            tauri::async_runtime::spawn(async move {
                shell.window.close();
                if let Some(app) = shell.app() {
                    app.shutdown().await;
                }
                handle.exit(0);
            });
        }
    }
}

fn build_tray(handle: &AppHandle) -> tauri::Result<Tray> {
    let menu = Menu::new(handle)?;
    // The system's language until the app's first state says which one is in use.
    let language = Language::of_system();
    let status = MenuItem::with_id(handle, STATUS_ID, herald_app::tray::status_at_start(language), false, None::<&str>)?;
    let (mut presences, mut actions) = (Vec::new(), Vec::new());
    for entry in herald_app::tray::menu(language) {
        match entry {
            MenuEntry::Status => menu.append(&status)?,
            MenuEntry::Separator => menu.append(&PredefinedMenuItem::separator(handle)?)?,
            MenuEntry::Presence(p, label) => {
                let item = CheckMenuItem::with_id(handle, TrayAction::Presence(p).id(), label, false, false, None::<&str>)?;
                menu.append(&item)?;
                presences.push((p, item));
            }
            MenuEntry::Action(action, label) => {
                let item = MenuItem::with_id(handle, action.id(), label, true, None::<&str>)?;
                menu.append(&item)?;
                actions.push((action, item));
            }
        }
    }
    let dark_panel = std::env::var("HERALD_TRAY_THEME").map_or(true, |t| t != "light");
    let icon = if dark_panel {
        Image::from_bytes(include_bytes!("../../icons/tray-dark.png"))?
    } else {
        Image::from_bytes(include_bytes!("../../icons/tray-light.png"))?
    };
    let plain = icon.clone();
    let icon = TrayIconBuilder::with_id("herald")
        .icon(icon)
        .tooltip("Herald")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|handle, event| match TrayAction::parse(event.id().as_ref()) {
            Some(action) => on_tray(handle, action),
            None => tracing::debug!(id = ?event.id(), "menu item without an action"),
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click { button: MouseButton::Left, button_state: MouseButtonState::Up, .. } = event {
                show_main(tray.app_handle());
            }
        })
        .build(handle)?;
    Ok(Tray { icon, presences, actions, status, language, plain, badge: None, revision: 0, shown: None })
}

/// Command-line switches.
#[derive(Clone, Debug, Default)]
pub struct Args {
    /// Open the window at start (Herald otherwise starts hidden in the tray).
    pub show: bool,
    /// Be the window process (started by the tray process, not by people).
    pub window: bool,
    /// The window process's pane at start (`settings`, `team`).
    pub pane: Option<String>,
}

impl Args {
    pub fn parse(args: impl IntoIterator<Item = String>) -> Args {
        let mut a = Args::default();
        for arg in args {
            match arg.as_str() {
                "--show" => a.show = true,
                "--hidden" => a.show = false,
                "--window" => a.window = true,
                other if other.starts_with("--pane=") => a.pane = Some(other["--pane=".len()..].to_string()),
                other => tracing::warn!(argument = other, "ignored an unknown argument"),
            }
        }
        a
    }
}

/// The app's configuration and embedded assets (the window's pages), made once for either process.
fn context() -> tauri::Context {
    tauri::generate_context!("tauri.conf.json")
}

/// Runs the tray app until Quit, or (`--window`) the window until it is closed.
pub fn run(args: Args) -> anyhow::Result<()> {
    if args.window {
        return window::run(args.pane, context());
    }
    let data_dir = herald_app::paths::data_dir()?;
    std::fs::create_dir_all(&data_dir)?;
    // The toast icon: a file the notification daemon can read.
    let icon_path = data_dir.join("herald.png");
    if std::fs::write(&icon_path, include_bytes!("../../icons/128x128.png")).is_err() {
        tracing::warn!(path = %icon_path.display(), "could not write the notification icon");
    }
    tracing::info!(data_dir = %data_dir.display(), "Herald starting (hidden in the tray; closing the window keeps it running)");
    let shell = Arc::new(Shell::default());
    let context = context();
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|handle, argv, _cwd| {
            tracing::info!(?argv, "Herald was started again: showing the window");
            show_main(handle);
        }))
        .plugin(
            tauri_plugin_global_shortcut::Builder::new()
                .with_handler(|handle, key, event| {
                    if event.state() == ShortcutState::Pressed {
                        on_key(handle, key);
                    }
                })
                .build(),
        )
        .plugin(tauri_plugin_autostart::init(tauri_plugin_autostart::MacosLauncher::LaunchAgent, Some(vec!["--hidden"])))
        .manage(shell.clone())
        .setup(move |tauri_app| {
            let handle = tauri_app.handle().clone();
            let tray = build_tray(&handle)?;
            *shell.tray.lock().map_err(|_| anyhow::anyhow!("tray lock"))? = Some(tray);
            let host = Arc::new(TauriHost { handle: handle.clone() });
            let options =
                Options { data_dir: data_dir.clone(), icon: Some(icon_path.display().to_string()), secrets: None, demo_rate: None };
            let app = tauri::async_runtime::block_on(async move {
                let notify = herald_notify::connect("Herald").await;
                if let Err(e) = &notify {
                    tracing::warn!(error = %e, "no desktop notifications; alerts show inside Herald");
                }
                App::start(options, host, notify).await
            });
            let state = app.state();
            tracing::info!(
                workspace = %state.connection.workspace_url,
                embedded = state.connection.embedded,
                data_dir = %state.connection.data_dir,
                "Herald is running in the tray"
            );
            *shell.app.lock().map_err(|_| anyhow::anyhow!("app lock"))? = Some(app.clone());
            update_tray(&handle, &state);
            bind_keys(&handle, &state.settings.shortcuts);
            if args.show {
                show_main(&handle);
            }
            Ok(())
        })
        .build(context)?;
    app.run(|_handle, event| {
        if let RunEvent::ExitRequested { api, code, .. } = event {
            // Only Quit ends the tray process (it passes an exit code).
            if code.is_none() {
                api.prevent_exit();
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tray_icon_shows_the_presence_in_its_corner() {
        // R32: the tray shows the presence.
        let plain = Image::from_bytes(include_bytes!("../../icons/tray-dark.png")).unwrap();
        let (w, h) = (plain.width(), plain.height());
        let corner = |img: &Image<'_>| {
            let (x, y) = (w - 1 - (w as f32 * 0.24) as u32, h - 1 - (h as f32 * 0.24) as u32);
            let i = ((y * w + x) * 4) as usize;
            [img.rgba()[i], img.rgba()[i + 1], img.rgba()[i + 2]]
        };
        assert_eq!(corner(&badged(&plain, BasePresence::Available)), herald_app::tray::badge_colour(BasePresence::Available));
        assert_eq!(corner(&badged(&plain, BasePresence::Busy)), herald_app::tray::badge_colour(BasePresence::Busy));
        assert_eq!(corner(&badged(&plain, BasePresence::BusyDnd)), [0xff, 0xff, 0xff], "DND: a white bar");
        assert_eq!(plain.rgba()[..4], badged(&plain, BasePresence::Away).rgba()[..4], "the rest stays");
    }

    #[test]
    fn arguments() {
        assert!(Args::parse(["--show".to_string()]).show);
        assert!(!Args::parse(["--hidden".to_string()]).show);
        assert!(!Args::parse(Vec::<String>::new()).show);
        let w = Args::parse(["--window".to_string(), "--pane=settings".to_string()]);
        assert!(w.window && w.pane.as_deref() == Some("settings"));
    }
}

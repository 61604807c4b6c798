//! # herald-tray — Herald's tray process
//!
//! The process that runs all day: it holds [`herald_app::App`] (the link to the workspace, the
//! toasts, the ringing, the screen-lock watch) and draws the tray icon and menu, registers the
//! global shortcuts, keeps Herald to one instance and writes the autostart entry. What the tray
//! says and what a click does are decided in herald-app (`herald_app::tray`); this crate only
//! wires them to the desktop.
//!
//! # Why it is not a Tauri app
//! Nothing here makes a webview, and this process links no web engine: it is built on Tauri's
//! own building blocks (`tao` for the event loop, `tray-icon` and `muda` for the tray,
//! `global-hotkey`), without `wry`. A Tauri app links WebKitGTK on Linux whether it opens a
//! window or not, and its libraries alone (WebKit, JavaScriptCore, the speech voices WebKit
//! links, ICU, GStreamer) cost about 30 MB of memory the whole day. The window is the
//! `herald-window` program (the Tauri app in the herald-desktop package), started by
//! [`link::Link`] when the person opens Herald and ended when they close it.
//!
//! # Lifecycle
//! - Starts hidden in the tray (R32); `--show` opens the window at start.
//! - One Herald per data folder ([`instance`]): starting it again shows the window.
//! - Quit (tray) closes the window, open toasts, stops the embedded workspace and exits.

pub mod instance;
pub mod keys;
pub mod link;
pub mod logging;
pub mod menu;

use global_hotkey::{GlobalHotKeyEvent, HotKeyState};
use herald_app::tray::{TrayAction, TrayView};
use herald_app::view::{Command, DesktopState, NoticeLevel, Shortcuts};
use herald_app::{App, Host, Options};
use herald_protocol::Presence;
use keys::{KeyAction, Keys};
use std::sync::{Arc, OnceLock};
use tao::event::{Event, StartCause};
use tao::event_loop::{ControlFlow, EventLoopBuilder, EventLoopProxy};
use tray_icon::menu::MenuEvent;
use tray_icon::{MouseButton, MouseButtonState, TrayIconEvent};

/// Command-line switches of `herald-desktop`.
#[derive(Clone, Debug, Default)]
pub struct Args {
    /// Open the window at start (Herald otherwise starts hidden in the tray).
    pub show: bool,
}

impl Args {
    pub fn parse(args: impl IntoIterator<Item = String>) -> Args {
        let mut a = Args::default();
        for arg in args {
            match arg.as_str() {
                "--show" => a.show = true,
                "--hidden" => a.show = false,
                other => tracing::warn!(argument = other, "ignored an unknown argument"),
            }
        }
        a
    }
}

/// What the event loop (the main thread, which owns the tray's widgets and the shortcuts) is
/// told to do.
#[derive(Debug)]
pub enum Ui {
    /// Show this state in the tray and put its shortcuts in force.
    State { revision: u64, view: Box<TrayView>, shortcuts: Box<Shortcuts> },
    /// A tray menu item was chosen.
    Menu(MenuEvent),
    /// The tray icon was clicked (not on Linux, where a click opens the menu).
    Icon(TrayIconEvent),
    /// A global shortcut was pressed or released.
    Key(GlobalHotKeyEvent),
    /// Quit: the app has shut down.
    Exit,
}

/// What every thread of the tray process shares.
struct Shell {
    /// The app, once started.
    app: OnceLock<App>,
    /// The window process, while the window is open.
    window: Arc<link::Link>,
    runtime: tokio::runtime::Handle,
    ui: EventLoopProxy<Ui>,
}

impl Shell {
    /// Brings the window to the front (on `pane`: `settings`, `team`), opening it when closed.
    fn show(&self, pane: Option<&str>) {
        match self.app.get() {
            Some(app) => self.window.show(app, pane),
            None => tracing::info!("Herald is still starting: the window was not opened; open it again in a moment"),
        }
    }

    /// Runs an app command, reporting a refusal to the person as a notice when `notice`.
    fn command(&self, cmd: Command, notice: bool) {
        let Some(app) = self.app.get().cloned() else { return };
        self.runtime.spawn(async move {
            if let Err(e) = app.command(cmd).await {
                tracing::info!(error = %e, "the command was refused");
                if notice {
                    app.notice(NoticeLevel::Error, e.message, e.code);
                }
            }
        });
    }

    fn on_tray(&self, action: TrayAction) {
        tracing::info!(?action, "tray");
        match action {
            TrayAction::Open => self.show(None),
            TrayAction::Settings => self.show(Some("settings")),
            TrayAction::Presence(base) => self.command(Command::SetPresence { presence: Presence { base, custom: None } }, true),
            TrayAction::Quit => {
                self.window.close();
                let (app, ui) = (self.app.get().cloned(), self.ui.clone());
                self.runtime.spawn(async move {
                    if let Some(app) = app {
                        app.shutdown().await;
                    }
                    let _ = ui.send_event(Ui::Exit);
                });
            }
        }
    }

    fn on_key(&self, action: KeyAction) {
        tracing::info!(?action, "global shortcut pressed");
        match action {
            KeyAction::Show => self.show(None),
            KeyAction::Accept => self.command(Command::AcceptNewest, false),
            KeyAction::Reject => self.command(Command::RejectNewest, false),
        }
    }
}

/// herald-app's window system: the tray (through the event loop) and the window process.
struct TrayHost(Arc<Shell>);

impl Host for TrayHost {
    fn publish(&self, state: &DesktopState) {
        self.0.window.publish(state);
        // The tray's widgets live on the main thread: the change is sent there, never waited
        // for (a thread waiting for the main thread while it waits for that thread hangs).
        let ui = Ui::State {
            revision: state.revision,
            view: Box::new(TrayView::of(state)),
            shortcuts: Box::new(state.settings.shortcuts.clone()),
        };
        if self.0.ui.send_event(ui).is_err() {
            tracing::debug!("tray not updated: Herald is quitting");
        }
    }

    fn bring_to_front(&self) {
        self.0.show(None);
    }

    fn set_autostart(&self, on: bool) -> Result<(), String> {
        autostart(on).map_err(|e| format!("{e:#}"))
    }
}

/// Starts (or stops starting) Herald hidden at login: `~/.config/autostart/Herald.desktop` on
/// Linux, a launch agent on macOS, the Run key on Windows (the entry tauri-plugin-autostart
/// wrote before, so an existing one is kept and replaced alike).
fn autostart(on: bool) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    // An AppImage runs from a temporary mount: the entry must start the image itself.
    let path = std::env::var("APPIMAGE").ok().filter(|_| cfg!(target_os = "linux")).unwrap_or_else(|| exe.display().to_string());
    let launcher = auto_launch::AutoLaunchBuilder::new()
        .set_app_name("Herald")
        .set_app_path(&path)
        .set_macos_launch_mode(auto_launch::MacOSLaunchMode::LaunchAgent)
        .set_args(&["--hidden"])
        .build()?;
    if on {
        launcher.enable()?
    } else {
        launcher.disable()?
    }
    Ok(())
}

/// Runs the tray process until Quit.
pub fn run(args: Args) -> anyhow::Result<()> {
    let data_dir = herald_app::paths::data_dir()?;
    std::fs::create_dir_all(&data_dir)?;
    let instance = match instance::claim(&data_dir, &std::env::args().collect::<Vec<_>>(), instance::HAND_OVER_WAIT) {
        Ok(instance::Claim::First(i)) => Some(i),
        Ok(instance::Claim::HandedOver) => {
            tracing::info!("Herald is already running: it shows its window");
            return Ok(());
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not check for a Herald already running; starting anyway");
            None
        }
    };
    // The toast icon: a file the notification daemon can read.
    let icon_path = data_dir.join("herald.png");
    if std::fs::write(&icon_path, include_bytes!("../../../icons/128x128.png")).is_err() {
        tracing::warn!(path = %icon_path.display(), "could not write the notification icon");
    }
    tracing::info!(data_dir = %data_dir.display(), "Herald starting (hidden in the tray; closing the window keeps it running)");

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("herald").build()?;
    #[cfg_attr(not(target_os = "macos"), allow(unused_mut))]
    let mut event_loop = EventLoopBuilder::<Ui>::with_user_event().build();
    // A tray app: no Dock icon for the process that runs all day (the window process has one).
    #[cfg(target_os = "macos")]
    tao::platform::macos::EventLoopExtMacOS::set_activation_policy(&mut event_loop, tao::platform::macos::ActivationPolicy::Accessory);
    let window_program = link::Link::beside_this_program().unwrap_or_else(|_| link::WINDOW_PROGRAM.into());
    let shell = Arc::new(Shell {
        app: OnceLock::new(),
        window: Arc::new(link::Link::new(window_program, runtime.handle().clone())),
        runtime: runtime.handle().clone(),
        ui: event_loop.create_proxy(),
    });
    if let Some(instance) = instance {
        let s = shell.clone();
        instance.serve(move |argv| {
            tracing::info!(?argv, "Herald was started again: showing the window");
            s.show(None);
        })?;
    }
    let proxy = event_loop.create_proxy();
    MenuEvent::set_event_handler(Some(move |e| drop(proxy.send_event(Ui::Menu(e)))));
    let proxy = event_loop.create_proxy();
    TrayIconEvent::set_event_handler(Some(move |e| drop(proxy.send_event(Ui::Icon(e)))));
    let proxy = event_loop.create_proxy();
    GlobalHotKeyEvent::set_event_handler(Some(move |e| drop(proxy.send_event(Ui::Key(e)))));

    let (mut tray, mut keys) = (None::<menu::Tray>, None::<Keys>);
    event_loop.run(move |event, _, control_flow| {
        *control_flow = ControlFlow::Wait;
        match event {
            // Built once the loop runs: macOS wants the tray made inside it.
            Event::NewEvents(StartCause::Init) => {
                match menu::Tray::build() {
                    Ok(t) => tray = Some(t),
                    Err(e) => tracing::error!(error = %format!("{e:#}"), "no tray icon: open Herald by starting it again"),
                }
                keys = Some(Keys::new());
                let app = match start_app(&shell, &runtime, &data_dir, &icon_path) {
                    Ok(app) => app,
                    Err(e) => {
                        tracing::error!(error = %format!("{e:#}"), "Herald could not start");
                        *control_flow = ControlFlow::ExitWithCode(1);
                        return;
                    }
                };
                if args.show {
                    shell.window.show(&app, None);
                }
            }
            Event::UserEvent(Ui::State { revision, view, shortcuts }) => {
                if let Some(tray) = tray.as_mut() {
                    tray.apply(revision, *view);
                }
                if let Some(keys) = keys.as_mut().filter(|k| !k.are(&shortcuts)) {
                    for problem in keys.bind(&shortcuts) {
                        tracing::warn!(%problem, "global shortcut");
                        if let Some(app) = shell.app.get() {
                            app.notice(NoticeLevel::Warning, format!("Shortcut {problem}. Change it in Settings."), None);
                        }
                    }
                }
            }
            Event::UserEvent(Ui::Menu(e)) => match TrayAction::parse(e.id().as_ref()) {
                Some(action) => shell.on_tray(action),
                None => tracing::debug!(id = ?e.id(), "menu item without an action"),
            },
            Event::UserEvent(Ui::Icon(TrayIconEvent::Click { button: MouseButton::Left, button_state: MouseButtonState::Up, .. })) => {
                shell.show(None)
            }
            Event::UserEvent(Ui::Key(e)) if e.state() == HotKeyState::Pressed => {
                if let Some(action) = keys.as_ref().and_then(|k| k.action(e.id())) {
                    shell.on_key(action);
                }
            }
            Event::UserEvent(Ui::Exit) => *control_flow = ControlFlow::Exit,
            _ => {}
        }
    })
}

/// Starts the app (signs in, connects, starts the embedded workspace if configured).
fn start_app(
    shell: &Arc<Shell>,
    runtime: &tokio::runtime::Runtime,
    data_dir: &std::path::Path,
    icon: &std::path::Path,
) -> anyhow::Result<App> {
    let host = Arc::new(TrayHost(shell.clone()));
    let options = Options { data_dir: data_dir.to_path_buf(), icon: Some(icon.display().to_string()), secrets: None, demo_rate: None };
    let app = runtime.block_on(async move {
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
    shell.app.set(app.clone()).map_err(|_| anyhow::anyhow!("the app was started twice"))?;
    // The first state may have been published before the app was known: show it now.
    TrayHost(shell.clone()).publish(&state);
    Ok(app)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments() {
        assert!(Args::parse(["--show".to_string()]).show);
        assert!(!Args::parse(["--hidden".to_string()]).show);
        assert!(!Args::parse(Vec::<String>::new()).show);
    }
}

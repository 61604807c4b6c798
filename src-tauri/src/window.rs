//! The window process: `herald-desktop --window`, started by the tray process when the person
//! opens Herald, and gone when they close the window.
//!
//! # Why a process of its own
//! WebKitGTK keeps what a webview loaded — its network process, the GL and font libraries it
//! touched, its heap — for the life of the process that made it (Tauri keeps the web context
//! on Linux for that reason, tauri-apps/tauri#14626). In the tray process that doubled Herald's
//! memory for the rest of the day after the window was opened once. Here it all ends with the
//! window; the tray process links no web engine at all (herald-tray).
//!
//! # What it does
//! It draws the window and relays: the webview's two commands (`get_state`, `command`) go to the
//! tray process over this process's stdout, and the states the tray process publishes come in on
//! stdin (see `herald_tray::link` for the messages). It reports the window's focus, and exits when the
//! window is closed or when stdin ends (the tray process quit or died).

use herald_app::Focus;
use herald_app::view::{Command, CommandError, DesktopState, STATE_EVENT};
use herald_tray::link::{FromWindow, ToWindow};
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, Emitter, Manager, WebviewUrl, WebviewWindowBuilder, WindowEvent};
use tokio::sync::{oneshot, watch};

/// The one window's label.
pub const MAIN: &str = "main";

/// What the window process shares between its threads.
struct Relay {
    /// The latest state from the tray process (`None` until the first arrives).
    state: watch::Sender<Option<DesktopState>>,
    /// Commands sent to the tray process, waiting for their answers.
    waiting: Mutex<HashMap<u64, oneshot::Sender<Result<(), CommandError>>>>,
    next: AtomicU64,
    /// This process's stdout: one JSON message a line, to the tray process.
    out: Mutex<std::io::Stdout>,
}

impl Relay {
    fn send(&self, message: &FromWindow) {
        let Ok(line) = serde_json::to_string(message) else { return };
        let Ok(mut out) = self.out.lock() else { return };
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            tracing::debug!("the tray process is gone");
        }
    }
}

#[tauri::command]
async fn get_state(relay: tauri::State<'_, Arc<Relay>>) -> Result<DesktopState, CommandError> {
    let mut rx = relay.state.subscribe();
    let state = rx.wait_for(Option::is_some).await.map_err(|_| CommandError::app("Herald is closing."))?;
    state.clone().ok_or_else(|| CommandError::app("Herald is still starting."))
}

#[tauri::command]
async fn command(cmd: Command, relay: tauri::State<'_, Arc<Relay>>) -> Result<(), CommandError> {
    let id = relay.next.fetch_add(1, Ordering::Relaxed);
    let (tx, rx) = oneshot::channel();
    relay.waiting.lock().map_err(|_| CommandError::app("Herald is closing."))?.insert(id, tx);
    relay.send(&FromWindow::Command { id, cmd });
    rx.await.map_err(|_| CommandError::app("Herald is closing."))?
}

/// The app's configuration and embedded assets (the window's pages).
fn context() -> tauri::Context {
    tauri::generate_context!("tauri.conf.json")
}

/// Opens the window, on `pane` when given, and runs until it is closed.
pub fn run(pane: Option<String>) -> anyhow::Result<()> {
    // GTK names the window's class after the program: keep the launcher's name, so desktops
    // group the window with Herald's entry and icon.
    #[cfg(target_os = "linux")]
    glib::set_prgname(Some("herald-desktop"));
    let (state, _) = watch::channel(None);
    let relay = Arc::new(Relay { state, waiting: Mutex::default(), next: AtomicU64::new(1), out: Mutex::new(std::io::stdout()) });
    let app = tauri::Builder::default()
        .plugin(
            tauri_plugin_window_state::Builder::new()
                .with_state_flags(tauri_plugin_window_state::StateFlags::all() - tauri_plugin_window_state::StateFlags::VISIBLE)
                .build(),
        )
        .manage(relay.clone())
        .invoke_handler(tauri::generate_handler![get_state, command])
        .on_window_event(|window, event| {
            let relay = window.state::<Arc<Relay>>();
            match event {
                WindowEvent::Focused(f) => relay.send(&FromWindow::Focus { focus: focus_of(window, Some(*f)) }),
                WindowEvent::Resized(_) => relay.send(&FromWindow::Focus { focus: focus_of(window, None) }),
                // Said as early as the closing is known, so the tray process starts a new window
                // for the next "Open Herald" instead of showing this one.
                WindowEvent::CloseRequested { .. } | WindowEvent::Destroyed => relay.send(&FromWindow::Closed),
                _ => {}
            }
        })
        .setup(move |app| {
            let handle = app.handle().clone();
            // A new window reads the pane from its URL: an event could arrive before it listens.
            let url = pane.map_or_else(|| "index.html".to_string(), |p| format!("index.html#{p}"));
            let window = WebviewWindowBuilder::new(&handle, MAIN, WebviewUrl::App(url.into()))
                .title("Herald")
                .inner_size(1000.0, 700.0)
                .min_inner_size(720.0, 520.0)
                .build()?;
            bring_up(&window);
            std::thread::Builder::new().name("tray-link".into()).spawn(move || listen(&handle))?;
            Ok(())
        })
        .build(context())?;
    // Closing the window ends this process (its last window), and the tray process sees its
    // stdout end.
    app.run(|_, _| {});
    Ok(())
}

/// Reads the tray process's messages from stdin until it ends, then exits.
fn listen(handle: &AppHandle) {
    let relay = handle.state::<Arc<Relay>>().inner().clone();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        match serde_json::from_str::<ToWindow>(&line) {
            Ok(message) => apply(handle, &relay, message),
            Err(e) => tracing::warn!(error = %e, "ignored a message from the tray process"),
        }
    }
    tracing::info!("the tray process is gone: closing the window");
    handle.exit(0);
}

fn apply(handle: &AppHandle, relay: &Relay, message: ToWindow) {
    match message {
        ToWindow::State { state } => {
            if let Err(e) = handle.emit_to(MAIN, STATE_EVENT, &state) {
                tracing::debug!(error = %e, "state not delivered to the window");
            }
            relay.state.send_replace(Some(*state));
        }
        ToWindow::Answer { id, result } => {
            if let Some(tx) = relay.waiting.lock().ok().and_then(|mut w| w.remove(&id)) {
                let _ = tx.send(result);
            }
        }
        ToWindow::Show { pane } if handle.get_webview_window(MAIN).is_none() => relay.send(&FromWindow::Reopen { pane }),
        ToWindow::Show { pane } => {
            if let Some(p) = pane {
                let _ = handle.emit_to(MAIN, "herald://navigate", p);
            }
            let h = handle.clone();
            let _ = handle.run_on_main_thread(move || {
                if let Some(w) = h.get_webview_window(MAIN) {
                    bring_up(&w);
                }
            });
        }
        ToWindow::Close => {
            let h = handle.clone();
            let _ = handle.run_on_main_thread(move || h.exit(0));
        }
    }
}

/// Unminimises, shows and focuses the window.
fn bring_up(window: &tauri::WebviewWindow) {
    let _ = window.unminimize();
    let _ = window.show();
    let _ = window.set_focus();
}

fn focus_of(window: &tauri::Window, focused: Option<bool>) -> Focus {
    Focus::of_window(
        window.is_visible().unwrap_or(true),
        || window.is_minimized().unwrap_or(false),
        || focused.unwrap_or_else(|| window.is_focused().unwrap_or(false)),
    )
}

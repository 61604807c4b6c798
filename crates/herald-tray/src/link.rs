//! The tray process's side of the window process (`herald-window`, in the herald-desktop
//! package): it starts it when the window is wanted, sends it every published state, answers
//! its commands through the app, and learns the window's focus from it.
//!
//! The two talk over the child's stdin and stdout, one JSON message a line ([`ToWindow`],
//! [`FromWindow`]): private to the pair, the same on every OS, and ended by the OS when either
//! side ends — a window process whose tray process died sees stdin end and exits.

use anyhow::Context as _;
use herald_app::view::{Command, CommandError, DesktopState};
use herald_app::{App, Focus};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};

/// From the tray process to the window process.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "message", rename_all = "snake_case")]
pub enum ToWindow {
    /// The app's whole state, as the window draws it.
    State { state: Box<DesktopState> },
    /// Bring the window to the front, on this pane if given (`settings`, `team`).
    Show { pane: Option<String> },
    /// The answer to the window's command `id`.
    Answer { id: u64, result: Result<(), CommandError> },
    /// Herald quits: close the window.
    Close,
}

/// From the window process to the tray process.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "message", rename_all = "snake_case")]
pub enum FromWindow {
    /// A command of the webview (`command`), to be answered with [`ToWindow::Answer`].
    Command { id: u64, cmd: Command },
    /// Where the window now is for the person.
    Focus { focus: Focus },
    /// The window is closing: a later show must start a new window process.
    Closed,
    /// A [`ToWindow::Show`] came after the window had closed: start a new one for it.
    Reopen { pane: Option<String> },
}

/// The window process, while there is one.
#[derive(Debug)]
pub struct Link {
    running: Mutex<Option<Running>>,
    generation: AtomicU64,
    /// The window program: `herald-window` beside this program.
    program: PathBuf,
    /// Where the window's commands are carried out.
    runtime: tokio::runtime::Handle,
}

#[derive(Debug)]
struct Running {
    generation: u64,
    to_window: mpsc::Sender<ToWindow>,
}

/// The window program's file name.
pub const WINDOW_PROGRAM: &str = "herald-window";

impl Link {
    /// A link that starts `program` for the window and runs its commands on `runtime`.
    pub fn new(program: PathBuf, runtime: tokio::runtime::Handle) -> Link {
        Link { running: Mutex::default(), generation: AtomicU64::new(0), program, runtime }
    }

    /// The window program installed beside the running one (`herald-window`, `.exe` on Windows).
    pub fn beside_this_program() -> std::io::Result<PathBuf> {
        let exe = std::env::current_exe()?;
        Ok(exe.with_file_name(format!("{WINDOW_PROGRAM}{}", std::env::consts::EXE_SUFFIX)))
    }

    /// Brings the window to the front (on `pane`): tells the window process, or starts one.
    pub fn show(self: &Arc<Self>, app: &App, pane: Option<&str>) {
        let Ok(mut running) = self.running.lock() else { return };
        if let Some(r) = running.as_ref()
            && r.to_window.send(ToWindow::Show { pane: pane.map(str::to_string) }).is_ok()
        {
            return;
        }
        match self.start(app, pane) {
            Ok(r) => *running = Some(r),
            Err(e) => tracing::error!(error = %format!("{e:#}"), "could not open the Herald window"),
        }
    }

    /// Sends the state to the window, if there is one.
    pub fn publish(&self, state: &DesktopState) {
        if let Ok(Some(r)) = self.running.lock().as_deref() {
            let _ = r.to_window.send(ToWindow::State { state: Box::new(state.clone()) });
        }
    }

    /// Closes the window, if there is one (Quit).
    pub fn close(&self) {
        if let Some(r) = self.running.lock().ok().and_then(|mut r| r.take()) {
            let _ = r.to_window.send(ToWindow::Close);
        }
    }

    /// Whether a window process is running.
    pub fn is_open(&self) -> bool {
        self.running.lock().is_ok_and(|r| r.is_some())
    }

    fn start(self: &Arc<Self>, app: &App, pane: Option<&str>) -> anyhow::Result<Running> {
        let mut cmd = std::process::Command::new(&self.program);
        if let Some(p) = pane {
            cmd.arg(format!("--pane={p}"));
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("could not start {}", self.program.display()))?;
        let (stdin, stdout) = (child.stdin.take(), child.stdout.take());
        let (Some(stdin), Some(stdout)) = (stdin, stdout) else { anyhow::bail!("the window process has no pipes") };
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::info!(pid = child.id(), "window opened (its own process)");
        let (to_window, rx) = mpsc::channel();
        // The window draws the state it is sent first.
        let _ = to_window.send(ToWindow::State { state: Box::new(app.state()) });
        std::thread::Builder::new().name("window-out".into()).spawn(move || write(stdin, &rx))?;
        let (link, app, answers) = (self.clone(), app.clone(), to_window.clone());
        std::thread::Builder::new().name("window-in".into()).spawn(move || link.read(child, stdout, &app, &answers, generation))?;
        Ok(Running { generation, to_window })
    }

    /// Carries out what the window process says until its stdout ends (the window closed).
    fn read(self: &Arc<Self>, mut child: Child, stdout: ChildStdout, app: &App, answers: &mpsc::Sender<ToWindow>, generation: u64) {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            match serde_json::from_str::<FromWindow>(&line) {
                Ok(FromWindow::Focus { focus }) => app.set_focus(focus),
                Ok(FromWindow::Closed) => drop(self.forget(generation)),
                Ok(FromWindow::Reopen { pane }) => {
                    self.forget(generation);
                    self.show(app, pane.as_deref());
                }
                Ok(FromWindow::Command { id, cmd }) => {
                    let (app, answers) = (app.clone(), answers.clone());
                    self.runtime.spawn(async move {
                        let result = app.command(cmd).await;
                        let _ = answers.send(ToWindow::Answer { id, result });
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, line = %line.chars().take(200).collect::<String>(), "ignored a line from the window process")
                }
            }
        }
        let status = child.wait();
        tracing::info!(?status, "window closed: Herald keeps running in the tray");
        if self.forget(generation) || !self.is_open() {
            app.set_focus(Focus::Hidden);
        }
    }

    /// Forgets the window process `generation` (it is closing); true if it was the current one.
    fn forget(&self, generation: u64) -> bool {
        let Ok(mut running) = self.running.lock() else { return false };
        let current = running.as_ref().is_some_and(|r| r.generation == generation);
        if current {
            *running = None;
        }
        current
    }
}

/// Writes the messages for the window process to its stdin until the link drops them or the
/// process is gone; its stdin closes when this ends.
fn write(mut stdin: ChildStdin, rx: &mpsc::Receiver<ToWindow>) {
    for message in rx {
        let Ok(line) = serde_json::to_string(&message) else { continue };
        if writeln!(stdin, "{line}").and_then(|()| stdin.flush()).is_err() {
            break;
        }
        if matches!(message, ToWindow::Close) {
            break;
        }
    }
}

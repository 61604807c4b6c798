//! # herald-app — the agent app without a window
//!
//! Everything the Herald tray app does that is not drawing: the link to the workspace, the
//! state the window shows, when an offer raises an OS toast, what a click on a toast does,
//! settings and the token, what the tray says, and the workspace that runs inside the app when
//! none is configured. `src-tauri` (herald-desktop) is a thin shell around it: it implements
//! [`Host`] for Tauri's windows and tray, draws [`tray`]'s menu and badge, and maps one Tauri
//! command onto [`App::command`].
//!
//! The architecture card puts this logic in src-tauri; it lives in its own crate instead so it
//! compiles and is tested without WebKit (seconds instead of minutes) and so the shell stays a
//! handful of lines per command (the Yaak `Host`-trait habit in the style notes).
//!
//! The rules of the app are a sans-IO state machine like herald-core's router: [`Model`] takes
//! the time and the window focus as arguments and returns effects, so toast behaviour (R11–R14,
//! R33) is tested with made-up times and no workspace, notifier or window. [`App`] is the thin
//! loop around it that owns the client, the notifier, the clock and the timers.
//!
//! # Layout
//! - [`model`]: [`Model::apply`]`(now, focus, event) -> Vec<Effect>` — the state, offers and
//!   toasts, the link's status, commands and the workspace's answers. No I/O, no clock.
//! - [`controller`]: [`App`] — connects (embedded or remote), follows the event log, turns
//!   what happens into [`model::Event`]s and carries out the [`model::Effect`]s (client calls,
//!   toasts, publishing to the [`Host`]), arms the deadline timer, debounces focus.
//! - [`view`]: the contract with ui/ — [`view::DesktopState`] (pushed whole after every change)
//!   and [`view::Command`]; TypeScript generated into `ui/src/generated/`.
//! - [`policy`]: the pure R11 decision `should_toast(mode, focus, offer)` and the toast's text.
//! - [`tray`]: the tray's menu, status line, tooltip and presence badge (R32), as pure functions.
//! - [`focus`]: focused / unfocused / minimised / hidden, debounced.
//! - [`settings`]: `settings.json`, read leniently (a broken file gives defaults and says so).
//! - [`secrets`]: the token in the OS keyring, with a private file as the stated fallback.
//! - [`board`]: reading a supervisor's queue board and who waits in each queue.
//! - [`screen`]: the screen lock heard on the session bus (the agent cannot see toasts).
//! - [`dnd`]: the desktop's do-not-disturb (Xfce, KDE) heard on the session bus, likewise.
//! - [`i18n`]: Dutch and English: Fluent catalogues for toasts, tray and notices; the language.
//! - [`sound`]: ringing — each kind of request's own generated sound, until answered or once.
//! - [`signin`]: signing in with an email and a password (the address checked first), and out.
//! - [`embedded`]: the in-process workspace with the demo team.
//! - [`paths`]: the data directory.
//!
//! # Deliberately not here
//! Rules about offers and presence (they are herald-core's), and anything that needs a window.

pub mod board;
mod calls;
pub mod controller;
pub mod dnd;
pub mod embedded;
#[cfg(test)]
mod fixtures;
pub mod focus;
pub mod i18n;
pub mod model;
pub mod paths;
pub mod policy;
pub mod screen;
pub mod secrets;
pub mod settings;
pub mod signin;
pub mod sound;
pub mod tray;
pub mod view;

pub use controller::{App, Host, Options};
pub use focus::Focus;
pub use model::{Effect, Event, Model};

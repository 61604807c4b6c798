//! # herald-app — the agent app without a window
//!
//! Everything the Herald tray app does that is not drawing: the link to the workspace, the
//! state the window shows, when an offer raises an OS toast, what a click on a toast does,
//! settings and the token, and the workspace that runs inside the app when none is configured.
//! `src-tauri` (herald-desktop) is a thin shell around it: it implements [`Host`] for Tauri's
//! windows and tray and maps one Tauri command onto [`App::command`].
//!
//! The architecture card puts this logic in src-tauri; it lives in its own crate instead so it
//! compiles and is tested without WebKit (seconds instead of minutes) and so the shell stays a
//! handful of lines per command (the Yaak `Host`-trait habit in the style notes).
//!
//! # Layout
//! - [`view`]: the contract with ui/ — [`view::DesktopState`] (pushed whole after every change)
//!   and [`view::Command`]; TypeScript generated into `ui/src/generated/`.
//! - [`controller`]: [`App`] — connects (embedded or remote), follows the event log, keeps
//!   the state, raises and withdraws toasts, sends display receipts, carries out commands.
//! - [`policy`]: the pure R11 decision `should_toast(mode, focus, offer)` and the toast's text.
//! - [`focus`]: focused / unfocused / minimised / hidden, debounced.
//! - [`settings`]: `settings.json`, read leniently (a broken file gives defaults and says so).
//! - [`secrets`]: the token in the OS keyring, with a private file as the stated fallback.
//! - [`embedded`]: the in-process workspace with the demo team.
//!
//! # Deliberately not here
//! Rules about offers and presence (they are herald-core's), and anything that needs a window.

pub mod controller;
pub mod embedded;
pub mod focus;
pub mod paths;
pub mod policy;
pub mod secrets;
pub mod settings;
pub mod view;

pub use controller::{App, Host, Options};
pub use focus::Focus;

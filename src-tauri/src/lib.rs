//! # herald-desktop — the bundle: Herald's window, and the programs the installers carry
//!
//! The package the Tauri bundler turns into installers. It builds two programs:
//! - `herald-desktop` (`src/main.rs`): the tray process that runs all day, from the herald-tray
//!   crate. It links no web engine.
//! - `herald-window` (`src/bin/herald-window.rs`, this library): the window, a Tauri app,
//!   started by the tray process when the person opens Herald and ended when they close it
//!   ([`window`]).
//!
//! Everything the window shows and every command it sends is herald-app's; the window process
//! only relays them (see `herald_tray::link` for the messages).

pub mod window;

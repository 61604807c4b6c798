//! `herald-window`: Herald's window, a process of its own (see the herald-desktop library),
//! started by the tray process (`herald-desktop`) with `--pane=NAME` to open on a pane.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    if let Err(e) = herald_tray::logging::init() {
        tracing::warn!(error = %e, "no log file; logging to the terminal only");
    }
    let mut pane = None;
    for arg in std::env::args().skip(1) {
        match arg.strip_prefix("--pane=") {
            Some(p) => pane = Some(p.to_string()),
            None => tracing::warn!(argument = %arg, "ignored an unknown argument"),
        }
    }
    if let Err(e) = herald_desktop::window::run(pane) {
        tracing::error!(error = %format!("{e:#}"), "the Herald window could not open");
        std::process::exit(1);
    }
}

//! `herald-desktop`: Herald's tray process (see the herald-tray crate). The window is the
//! `herald-window` program beside it, started when the person opens Herald.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    let log = herald_tray::logging::init();
    // After the subscriber: parsing says which arguments it ignored.
    let args = herald_tray::Args::parse(std::env::args().skip(1));
    match log {
        Ok(path) => tracing::info!(log = %path.display(), "Herald writes its log here too"),
        Err(e) => tracing::warn!(error = %e, "no log file; logging to the terminal only"),
    }
    if let Err(e) = herald_tray::run(args) {
        tracing::error!(error = %format!("{e:#}"), "Herald could not start");
        std::process::exit(1);
    }
}

//! `herald-desktop`: Herald's tray app. See the library's docs.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tao=warn,wry=warn".into()),
        )
        .init();
    let args = herald_desktop::Args::parse(std::env::args().skip(1));
    if let Err(e) = herald_desktop::run(args) {
        tracing::error!(error = %format!("{e:#}"), "Herald could not start");
        std::process::exit(1);
    }
}

//! Where both of Herald's processes log: the terminal (stderr) and `<data dir>/logs/herald.log`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tracing_subscriber::prelude::*;

/// Above this size the log file is moved to `herald.log.1` at start (one old file is kept).
const LOG_LIMIT: u64 = 10 * 1024 * 1024;

/// `<data dir>/logs/herald.log`, appended to: a tray app has no console to read (none at all
/// on Windows), and support asks for this file.
fn open_log(dir: &Path) -> std::io::Result<(std::fs::File, PathBuf)> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("herald.log");
    if std::fs::metadata(&path).is_ok_and(|m| m.len() > LOG_LIMIT) {
        std::fs::rename(&path, dir.join("herald.log.1"))?;
    }
    let file = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
    Ok((file, path))
}

/// Starts logging (`RUST_LOG` filters; `info` by default). Returns the log file's path, or why
/// there is none, for the caller to say once its arguments are known.
pub fn init() -> Result<PathBuf, String> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,tao=warn,wry=warn".into());
    let log = herald_app::paths::data_dir().map_err(|e| e.to_string()).and_then(|d| open_log(&d.join("logs")).map_err(|e| e.to_string()));
    let (file_layer, note) = match log {
        Ok((file, path)) => (Some(tracing_subscriber::fmt::layer().with_ansi(false).with_writer(Mutex::new(file))), Ok(path)),
        Err(e) => (None, Err(e)),
    };
    // The window process's stdout carries its messages to the tray process: both log to stderr.
    let terminal = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    tracing_subscriber::registry().with(filter).with(terminal).with(file_layer).init();
    note
}

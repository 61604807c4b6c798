//! Where the app keeps its data: the platform's data directory for Herald (e.g.
//! `~/.local/share/herald` on Linux), or `HERALD_DATA_DIR` when set (tests, several instances).

use std::path::PathBuf;

pub fn data_dir() -> anyhow::Result<PathBuf> {
    if let Some(d) = std::env::var_os("HERALD_DATA_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d));
    }
    let dirs = directories::ProjectDirs::from("org", "Herald", "Herald")
        .ok_or_else(|| anyhow::anyhow!("no home directory for Herald's data; set HERALD_DATA_DIR"))?;
    Ok(dirs.data_dir().to_path_buf())
}

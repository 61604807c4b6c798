//! The workspace token lives in the OS keyring (Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows, through `keyring`). Where no keyring answers — a desktop
//! without a Secret Service, a CI box — it falls back to `tokens.json` in the data dir, readable
//! only by the user, and says so.
//!
//! Calls are blocking (the keyring crates block on D-Bus); callers use `spawn_blocking`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const SERVICE: &str = "herald";

/// Where tokens are kept.
#[derive(Clone, Debug)]
pub enum Secrets {
    Keyring,
    /// Fallback: a JSON file (mode 0600 on Unix).
    File(PathBuf),
}

impl Secrets {
    /// The keyring when it answers, else the file in `data_dir`, with a sentence saying why.
    /// `HERALD_SECRETS=file` chooses the file outright.
    pub fn open(data_dir: &Path) -> (Secrets, Option<String>) {
        if std::env::var("HERALD_SECRETS").is_ok_and(|v| v == "file") {
            return (Secrets::File(data_dir.join("tokens.json")), None);
        }
        Self::open_with(data_dir, || {
            keyring::Entry::new(SERVICE, "probe")
                .and_then(|e| match e.get_password() {
                    Ok(_) | Err(keyring::Error::NoEntry) => Ok(()),
                    Err(e) => Err(e),
                })
                .map_err(|e| e.to_string())
        })
    }

    /// As [`Secrets::open`], with the keyring probe given.
    pub fn open_with(data_dir: &Path, probe: impl FnOnce() -> Result<(), String>) -> (Secrets, Option<String>) {
        let file = data_dir.join("tokens.json");
        match probe() {
            Ok(()) => (Secrets::Keyring, None),
            Err(e) => {
                let why = format!(
                    "No keyring is available ({e}); the workspace token is kept in {} instead, readable only by you.",
                    file.display()
                );
                (Secrets::File(file), Some(why))
            }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Secrets::Keyring => "the system keyring".into(),
            Secrets::File(p) => p.display().to_string(),
        }
    }

    /// The token stored for `account` (the workspace URL).
    pub fn get(&self, account: &str) -> Result<Option<String>, String> {
        match self {
            Secrets::Keyring => match keyring::Entry::new(SERVICE, account).and_then(|e| e.get_password()) {
                Ok(t) => Ok(Some(t)),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(format!("could not read the token from the keyring: {e}")),
            },
            Secrets::File(p) => Ok(read_file(p)?.remove(account)),
        }
    }

    pub fn set(&self, account: &str, token: &str) -> Result<(), String> {
        match self {
            Secrets::Keyring => keyring::Entry::new(SERVICE, account)
                .and_then(|e| e.set_password(token))
                .map_err(|e| format!("could not store the token in the keyring: {e}")),
            Secrets::File(p) => {
                let mut all = read_file(p)?;
                all.insert(account.to_string(), token.to_string());
                write_file(p, &all)
            }
        }
    }

    pub fn delete(&self, account: &str) -> Result<(), String> {
        match self {
            Secrets::Keyring => match keyring::Entry::new(SERVICE, account).and_then(|e| e.delete_credential()) {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(format!("could not delete the token from the keyring: {e}")),
            },
            Secrets::File(p) => {
                let mut all = read_file(p)?;
                all.remove(account);
                write_file(p, &all)
            }
        }
    }
}

fn read_file(p: &Path) -> Result<BTreeMap<String, String>, String> {
    match std::fs::read_to_string(p) {
        Ok(t) => serde_json::from_str(&t).map_err(|e| format!("{} is damaged ({e}); sign in again", p.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(format!("could not read {}: {e}", p.display())),
    }
}

fn write_file(p: &Path, all: &BTreeMap<String, String>) -> Result<(), String> {
    let text = serde_json::to_string_pretty(all).map_err(|e| e.to_string())?;
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d).map_err(|e| format!("could not create {}: {e}", d.display()))?;
    }
    let tmp = p.with_extension("json.tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp).map_err(|e| format!("could not write {}: {e}", tmp.display()))?;
    std::io::Write::write_all(&mut f, text.as_bytes()).map_err(|e| format!("could not write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, p).map_err(|e| format!("could not write {}: {e}", p.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_fallback_keeps_tokens_per_workspace_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let s = Secrets::File(dir.path().join("tokens.json"));
        assert_eq!(s.get("https://a").unwrap(), None);
        s.set("https://a", "t-a").unwrap();
        s.set("https://b", "t-b").unwrap();
        assert_eq!(s.get("https://a").unwrap().as_deref(), Some("t-a"));
        s.delete("https://a").unwrap();
        assert_eq!(s.get("https://a").unwrap(), None);
        assert_eq!(s.get("https://b").unwrap().as_deref(), Some("t-b"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("tokens.json")).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "readable only by the user: {mode:o}");
        }
    }

    #[test]
    fn when_no_keyring_answers_tokens_go_to_the_file_and_the_app_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let (s, why) = Secrets::open_with(dir.path(), || Err("org.freedesktop.secrets was not provided".into()));
        assert!(matches!(&s, Secrets::File(p) if *p == dir.path().join("tokens.json")), "{s:?}");
        let why = why.expect("a sentence for the person");
        assert!(why.contains("tokens.json") && why.contains("org.freedesktop.secrets"), "{why}");
        let (s, why) = Secrets::open_with(dir.path(), || Ok(()));
        assert!(matches!(s, Secrets::Keyring) && why.is_none());
    }
}

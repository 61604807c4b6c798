//! The agent's settings file (`settings.json` in the data dir). A broken or partly wrong file
//! never stops the app: what can be read is kept, the rest falls back to defaults, and every
//! ignored part is reported in words (the app shows them as notices).

use crate::view::DesktopSettings;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// Settings as read, with what had to be ignored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loaded {
    pub settings: DesktopSettings,
    /// One sentence per ignored part of the file.
    pub problems: Vec<String>,
}

pub fn file_in(data_dir: &Path) -> PathBuf {
    data_dir.join("settings.json")
}

/// Reads the settings; never fails.
pub fn load(path: &Path) -> Loaded {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Loaded { settings: DesktopSettings::default(), problems: Vec::new() };
        }
        Err(e) => {
            return Loaded {
                settings: DesktopSettings::default(),
                problems: vec![format!("Could not read {}: {e}. Using the default settings.", path.display())],
            };
        }
    };
    parse(&text, &path.display().to_string())
}

/// Parses settings text; `name` names the file in messages.
pub fn parse(text: &str, name: &str) -> Loaded {
    let defaults = DesktopSettings::default();
    let mut problems = Vec::new();
    let file: Map<String, Value> = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => m,
        Ok(_) => {
            problems.push(format!("{name} is not a JSON object; using the default settings."));
            return Loaded { settings: defaults, problems };
        }
        Err(e) => {
            problems.push(format!("{name} is not valid JSON ({e}); using the default settings."));
            return Loaded { settings: defaults, problems };
        }
    };
    let Value::Object(mut merged) = serde_json::to_value(&defaults).unwrap_or(Value::Null) else {
        return Loaded { settings: defaults, problems };
    };
    for (key, value) in file {
        let Some(previous) = merged.get(&key).cloned() else {
            problems.push(format!("Ignored the unknown setting `{key}` in {name}."));
            continue;
        };
        merged.insert(key.clone(), value.clone());
        if let Err(e) = serde_json::from_value::<DesktopSettings>(Value::Object(merged.clone())) {
            problems.push(format!("Ignored the setting `{key}` = {value} in {name}: {e}. Using {previous}."));
            merged.insert(key, previous);
        }
    }
    let mut settings: DesktopSettings = serde_json::from_value(Value::Object(merged)).unwrap_or_default();
    if let Err(msg) = check_url(&settings.workspace_url) {
        problems.push(format!("Ignored the workspace URL in {name}: {msg}. Running the embedded workspace."));
        settings.workspace_url.clear();
    }
    Loaded { settings, problems }
}

/// An empty URL (embedded workspace), or one absolute http(s) URL or several separated by
/// commas (instances of one workspace: the app moves to the next when one does not answer).
pub fn check_url(urls: &str) -> Result<(), String> {
    if urls.trim().is_empty() {
        return Ok(());
    }
    for url in urls.split(',').map(str::trim) {
        match url::Url::parse(url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            Ok(u) => return Err(format!("`{url}` is not an http(s) address ({} is not supported)", u.scheme())),
            Err(_) if url.is_empty() => return Err("an address in the list is empty (two commas in a row?)".into()),
            Err(e) => return Err(format!("`{url}` is not a valid address ({e})")),
        }
    }
    Ok(())
}

/// Writes the settings atomically (temporary file, then rename).
pub fn save(path: &Path, settings: &DesktopSettings) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_string_pretty(settings).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, text + "\n")?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_workspace_addresses_separated_by_commas_are_accepted_each_checked() {
        assert_eq!(check_url(""), Ok(()));
        assert_eq!(check_url("https://a.example.com, http://10.0.0.2:8780"), Ok(()));
        assert!(check_url("https://a.example.com, ftp://b").unwrap_err().contains("ftp"));
        assert!(check_url("https://a.example.com,,https://b.example.com").unwrap_err().contains("empty"));
    }
    use crate::view::NotificationMode;

    #[test]
    fn a_missing_file_gives_the_defaults_silently() {
        let dir = tempfile::tempdir().unwrap();
        let l = load(&file_in(dir.path()));
        assert_eq!(l.settings, DesktopSettings::default());
        assert!(l.problems.is_empty());
    }

    #[test]
    fn settings_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let s = DesktopSettings {
            workspace_url: "https://herald.example.com".into(),
            notifications: NotificationMode::Background,
            sound: false,
            privacy: true,
            demo_traffic: false,
            demo_as: crate::view::DemoRole::Supervisor,
            autostart: true,
            account: "ada@example.com".into(),
            screen_lock: crate::view::ScreenLockMode::NoteOnly,
            shortcuts: crate::view::Shortcuts { accept: "Super+A".into(), reject: String::new(), show: "Ctrl+Alt+H".into() },
            ring: crate::view::RingSettings { until_answered: false, volume: 35, sms: false, ..Default::default() },
            language: Some(crate::i18n::Language::Nl),
        };
        save(&file_in(dir.path()), &s).unwrap();
        let l = load(&file_in(dir.path()));
        assert_eq!(l.settings, s);
        assert!(l.problems.is_empty(), "{:?}", l.problems);
    }

    #[test]
    fn broken_json_gives_defaults_and_says_so() {
        let l = parse("{\"sound\": fal", "settings.json");
        assert_eq!(l.settings, DesktopSettings::default());
        assert_eq!(l.problems.len(), 1);
        assert!(l.problems[0].contains("not valid JSON"), "{:?}", l.problems);
    }

    #[test]
    fn wrong_fields_are_ignored_one_by_one_and_named() {
        let l = parse(r#"{"notifications": "sometimes", "sound": false, "colour": "red", "workspace_url": "ftp://x"}"#, "settings.json");
        assert_eq!(l.settings.notifications, NotificationMode::Workspace, "bad value → default");
        assert!(!l.settings.sound, "good values are kept");
        assert_eq!(l.settings.workspace_url, "", "a non-http URL falls back to the embedded workspace");
        let all = l.problems.join("\n");
        assert!(all.contains("`notifications`"), "{all}");
        assert!(all.contains("`colour`"), "{all}");
        assert!(all.contains("ftp"), "{all}");
        assert_eq!(l.problems.len(), 3, "{all}");
    }
}

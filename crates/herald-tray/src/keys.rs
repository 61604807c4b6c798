//! Global shortcuts (never-miss, item 3): accept or reject the newest offer and show Herald from
//! anywhere, through `global-hotkey` (what tauri-plugin-global-shortcut is made of).
//!
//! Main thread only (macOS requires it; the event loop owns [`Keys`]).

use global_hotkey::GlobalHotKeyManager;
use global_hotkey::hotkey::HotKey;
use herald_app::view::Shortcuts;

/// What a global shortcut does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAction {
    Accept,
    Reject,
    Show,
}

/// The shortcuts registered, and the settings they came from.
pub struct Keys {
    /// `None` where the desktop offers no global shortcuts (said once, at start).
    manager: Option<GlobalHotKeyManager>,
    from: Option<Shortcuts>,
    bound: Vec<(HotKey, KeyAction)>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys").field("available", &self.manager.is_some()).field("from", &self.from).finish_non_exhaustive()
    }
}

impl Default for Keys {
    fn default() -> Keys {
        Keys::new()
    }
}

impl Keys {
    /// Connects to the desktop's shortcut service (on Linux, X11).
    pub fn new() -> Keys {
        let manager = GlobalHotKeyManager::new()
            .map_err(|e| tracing::warn!(error = %e, "no global shortcuts on this desktop; answer from the toast or the window"))
            .ok();
        Keys { manager, from: None, bound: Vec::new() }
    }

    /// Whether `settings` are the shortcuts in force.
    pub fn are(&self, settings: &Shortcuts) -> bool {
        self.from.as_ref() == Some(settings)
    }

    /// Registers the shortcuts of `settings`, replacing those in force. One that cannot be
    /// registered (taken by another application, or not a key combination) is returned, in
    /// words for the person, and the others still work.
    pub fn bind(&mut self, settings: &Shortcuts) -> Vec<String> {
        let Some(manager) = &self.manager else {
            self.from = Some(settings.clone());
            return Vec::new();
        };
        let previous: Vec<HotKey> = self.bound.drain(..).map(|(k, _)| k).collect();
        if let Err(e) = manager.unregister_all(&previous) {
            tracing::debug!(error = %e, "could not release the previous shortcuts");
        }
        let mut problems = Vec::new();
        for (text, action, what) in [
            (&settings.accept, KeyAction::Accept, "accept"),
            (&settings.reject, KeyAction::Reject, "reject"),
            (&settings.show, KeyAction::Show, "show Herald"),
        ] {
            if text.trim().is_empty() {
                continue;
            }
            match text.parse::<HotKey>() {
                Ok(key) => match manager.register(key) {
                    Ok(()) => self.bound.push((key, action)),
                    Err(e) => problems.push(format!("{text} (to {what}) could not be set — another application may use it: {e}")),
                },
                Err(e) => problems.push(format!("{text:?} (to {what}) is not a key combination: {e}")),
            }
        }
        tracing::info!(accept = %settings.accept, reject = %settings.reject, show = %settings.show, registered = self.bound.len(), "global shortcuts");
        self.from = Some(settings.clone());
        problems
    }

    /// What the shortcut with this id does, if it is one of ours.
    pub fn action(&self, id: u32) -> Option<KeyAction> {
        self.bound.iter().find(|(k, _)| k.id() == id).map(|(_, a)| *a)
    }
}

//! Where Herald's window is for the person: focused, behind another window, minimised, or hidden
//! in the tray (its webview released). Window systems report focus in bursts (a menu or a
//! dialog takes focus for a moment); [`FocusTracker`] ignores changes between focused and
//! unfocused that do not last [`DEBOUNCE`]. Minimising and hiding count at once.

use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};
use ts_rs::TS;

/// How long a focused/unfocused change must last to count.
pub const DEBOUNCE: Duration = Duration::from_millis(250);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Focus {
    /// Herald is the window the person works in.
    Focused,
    /// Herald's window is open but another window (or screen) is in front.
    Unfocused,
    Minimized,
    /// No window: Herald lives in the tray.
    Hidden,
}

impl Focus {
    /// The person can see Herald's window (an in-app alert would be seen).
    pub fn visible(self) -> bool {
        match self {
            Focus::Focused | Focus::Unfocused => true,
            Focus::Minimized | Focus::Hidden => false,
        }
    }

    /// The focus of a window from what the window system says of it: hidden beats minimised
    /// beats focused. The later questions are asked only when the earlier ones do not decide.
    pub fn of_window(visible: bool, minimized: impl FnOnce() -> bool, focused: impl FnOnce() -> bool) -> Focus {
        if !visible {
            Focus::Hidden
        } else if minimized() {
            Focus::Minimized
        } else if focused() {
            Focus::Focused
        } else {
            Focus::Unfocused
        }
    }
}

/// Debounces raw focus reports.
#[derive(Clone, Debug)]
pub struct FocusTracker {
    stable: Focus,
    pending: Option<(Focus, Instant)>,
}

impl FocusTracker {
    /// A tray app starts hidden.
    pub fn new() -> Self {
        Self { stable: Focus::Hidden, pending: None }
    }

    /// Records what the window system reported at `at`.
    pub fn observe(&mut self, focus: Focus, at: Instant) {
        self.settle(at);
        let flicker = matches!((self.stable, focus), (Focus::Focused, Focus::Unfocused) | (Focus::Unfocused, Focus::Focused));
        if focus == self.stable {
            self.pending = None;
        } else if flicker {
            if self.pending.map(|(f, _)| f) != Some(focus) {
                self.pending = Some((focus, at));
            }
        } else {
            self.stable = focus;
            self.pending = None;
        }
    }

    /// The focus that counts at `at`.
    pub fn current(&mut self, at: Instant) -> Focus {
        self.settle(at);
        self.stable
    }

    /// When a pending change will count, if one is pending.
    pub fn settles_at(&self) -> Option<Instant> {
        self.pending.map(|(_, since)| since + DEBOUNCE)
    }

    fn settle(&mut self, at: Instant) {
        if let Some((f, since)) = self.pending {
            if at.duration_since(since) >= DEBOUNCE {
                self.stable = f;
                self.pending = None;
            }
        }
    }
}

impl Default for FocusTracker {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tray_app_starts_hidden() {
        let t0 = Instant::now();
        assert_eq!(FocusTracker::new().current(t0), Focus::Hidden);
    }

    #[test]
    fn a_window_is_hidden_then_minimised_then_focused_or_not() {
        // R11: "background" is minimised, hidden in the tray, or another window in front.
        let never = || -> bool { panic!("not asked") };
        assert_eq!(Focus::of_window(false, never, never), Focus::Hidden);
        assert_eq!(Focus::of_window(true, || true, never), Focus::Minimized);
        assert_eq!(Focus::of_window(true, || false, || true), Focus::Focused);
        assert_eq!(Focus::of_window(true, || false, || false), Focus::Unfocused);
    }

    #[test]
    fn hiding_and_minimising_count_at_once() {
        let t0 = Instant::now();
        let mut t = FocusTracker::new();
        t.observe(Focus::Focused, t0);
        assert_eq!(t.current(t0), Focus::Focused);
        t.observe(Focus::Minimized, t0);
        assert_eq!(t.current(t0), Focus::Minimized);
        t.observe(Focus::Hidden, t0);
        assert_eq!(t.current(t0), Focus::Hidden);
    }

    #[test]
    fn a_short_loss_of_focus_does_not_count() {
        let t0 = Instant::now();
        let mut t = FocusTracker::new();
        t.observe(Focus::Focused, t0);
        t.observe(Focus::Unfocused, t0 + Duration::from_millis(10));
        assert_eq!(t.current(t0 + Duration::from_millis(100)), Focus::Focused);
        t.observe(Focus::Focused, t0 + Duration::from_millis(120));
        assert_eq!(t.current(t0 + Duration::from_secs(5)), Focus::Focused);
    }

    #[test]
    fn a_lasting_loss_of_focus_counts_after_the_debounce() {
        let t0 = Instant::now();
        let mut t = FocusTracker::new();
        t.observe(Focus::Focused, t0);
        t.observe(Focus::Unfocused, t0 + Duration::from_millis(10));
        assert_eq!(t.settles_at(), Some(t0 + Duration::from_millis(10) + DEBOUNCE));
        assert_eq!(t.current(t0 + Duration::from_millis(10) + DEBOUNCE), Focus::Unfocused);
        // Repeated reports of the same pending value do not restart the wait.
        t.observe(Focus::Focused, t0 + Duration::from_secs(1));
        t.observe(Focus::Focused, t0 + Duration::from_millis(1_200));
        assert_eq!(t.current(t0 + Duration::from_millis(1_000) + DEBOUNCE), Focus::Focused);
    }
}

//! What the tray shows: the menu's entries and their words, the status line and tooltip of a
//! [`DesktopState`], and the pixels of the presence badge. Pure functions, tested here;
//! herald-desktop only puts them on Tauri's tray icon and menu (R32).

use crate::i18n::{Language, text, text_with};
use crate::view::{ConnectionStatus, DesktopState};
use herald_protocol::BasePresence;

/// The presences an agent can choose from the tray (Inactive is only ever set by the system).
pub const PRESENCES: [BasePresence; 5] =
    [BasePresence::Available, BasePresence::Busy, BasePresence::BusyDnd, BasePresence::Away, BasePresence::Offline];

/// The menu id of the status line (disabled: it only informs).
pub const STATUS_ID: &str = "status";

/// The status line before the app published a state.
pub fn status_at_start(lang: Language) -> String {
    connection_words(lang, ConnectionStatus::Connecting)
}

/// What a tray menu item does; menu ids are parsed into this, never matched as bare strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrayAction {
    Presence(BasePresence),
    Open,
    Settings,
    Quit,
}

impl TrayAction {
    pub fn id(&self) -> String {
        match self {
            TrayAction::Presence(p) => format!("presence:{}", presence_key(*p)),
            TrayAction::Open => "open".into(),
            TrayAction::Settings => "settings".into(),
            TrayAction::Quit => "quit".into(),
        }
    }

    pub fn parse(id: &str) -> Option<TrayAction> {
        match id {
            "open" => Some(TrayAction::Open),
            "settings" => Some(TrayAction::Settings),
            "quit" => Some(TrayAction::Quit),
            other => {
                let key = other.strip_prefix("presence:")?;
                PRESENCES.iter().find(|p| presence_key(**p) == key).map(|p| TrayAction::Presence(*p))
            }
        }
    }
}

fn presence_key(p: BasePresence) -> &'static str {
    match p {
        BasePresence::Available => "available",
        BasePresence::Busy => "busy",
        BasePresence::BusyDnd => "busy_dnd",
        BasePresence::Away => "away",
        BasePresence::Offline => "offline",
        BasePresence::Inactive => "inactive",
    }
}

/// A presence in words, in `lang` (the window says the same: its catalogues have these words).
pub fn presence_label(lang: Language, p: BasePresence) -> String {
    let id = match p {
        BasePresence::Available => "presence-available",
        BasePresence::Busy => "presence-busy",
        BasePresence::BusyDnd => "presence-busy-dnd",
        BasePresence::Away => "presence-away",
        BasePresence::Offline => "presence-offline",
        BasePresence::Inactive => "presence-inactive",
    };
    text(lang, id)
}

/// One line of the tray menu.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MenuEntry {
    /// The status line ([`STATUS_ID`], disabled): [`TrayView::status`], [`status_at_start`]
    /// before the first state.
    Status,
    Separator,
    /// A presence to choose, checked when it is the agent's.
    Presence(BasePresence, String),
    /// An enabled item that does `TrayAction`.
    Action(TrayAction, String),
}

/// The tray menu, top to bottom, in `lang`.
pub fn menu(lang: Language) -> Vec<MenuEntry> {
    let mut m = vec![MenuEntry::Status, MenuEntry::Separator];
    m.extend(PRESENCES.iter().map(|p| MenuEntry::Presence(*p, presence_label(lang, *p))));
    m.extend([
        MenuEntry::Separator,
        MenuEntry::Action(TrayAction::Open, text(lang, "tray-open")),
        MenuEntry::Action(TrayAction::Settings, text(lang, "tray-settings")),
        MenuEntry::Separator,
        MenuEntry::Action(TrayAction::Quit, text(lang, "tray-quit")),
    ]);
    m
}

/// What the tray shows of a state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrayView {
    /// The presence whose badge the icon shows and whose menu item is checked (`None`: not
    /// signed in, no badge, presence items disabled).
    pub presence: Option<BasePresence>,
    /// The status line.
    pub status: String,
    pub tooltip: String,
    /// The language of the words (the menu's items follow it).
    pub language: Language,
}

impl TrayView {
    pub fn of(state: &DesktopState) -> TrayView {
        let lang = state.language;
        let status = match &state.me {
            Some(me) => {
                let banner = me.banner.as_ref().map(|b| format!(" — {}", b.message)).unwrap_or_default();
                format!("{}: {}{banner}", me.name, presence_label(lang, me.presence.base))
            }
            None => connection_words(lang, state.connection.status),
        };
        let pending = state.offers.len() as i64;
        let tooltip = if pending > 0 {
            text_with(lang, "tray-tooltip-waiting", &[("status", status.as_str().into()), ("waiting", pending.into())])
        } else {
            text_with(lang, "tray-tooltip", &[("status", status.as_str().into())])
        };
        TrayView { presence: state.me.as_ref().map(|m| m.presence.base), status, tooltip, language: lang }
    }
}

/// The state of the link in words, for the status line before the agent is known.
pub fn connection_words(lang: Language, status: ConnectionStatus) -> String {
    let id = match status {
        ConnectionStatus::Connecting => "tray-connecting",
        ConnectionStatus::Live => "tray-connected",
        ConnectionStatus::Polling => "tray-polling",
        ConnectionStatus::Reconnecting => "tray-reconnecting",
        ConnectionStatus::Unauthorized => "tray-sign-in-again",
        ConnectionStatus::NeedsToken => "tray-sign-in",
    };
    text(lang, id)
}

/// The colour of a presence's badge (the conventions of Teams and Dynamics 365).
pub fn badge_colour(p: BasePresence) -> [u8; 3] {
    match p {
        BasePresence::Available => [0x2e, 0xa0, 0x43],
        BasePresence::Busy | BasePresence::BusyDnd => [0xd1, 0x34, 0x38],
        BasePresence::Away | BasePresence::Inactive => [0xf0, 0xa3, 0x0a],
        BasePresence::Offline => [0x8a, 0x8a, 0x8a],
    }
}

/// Paints a presence dot into the lower right corner of a `w`×`h` RGBA image, outlined so it
/// shows on light and dark panels; Do Not Disturb has a white bar across its dot.
pub fn paint_badge(rgba: &mut [u8], w: u32, h: u32, presence: BasePresence) {
    let size = w.min(h) as f32;
    let r = size * 0.24;
    let (cx, cy) = (w as f32 - r - 1.0, h as f32 - r - 1.0);
    let [cr, cg, cb] = badge_colour(presence);
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
            let d = (dx * dx + dy * dy).sqrt();
            let px = match () {
                _ if d <= r - 1.5 => {
                    let bar = presence == BasePresence::BusyDnd && dy.abs() <= r * 0.18 && dx.abs() <= r * 0.55;
                    if bar { [0xff, 0xff, 0xff, 0xff] } else { [cr, cg, cb, 0xff] }
                }
                _ if d <= r => [0x20, 0x20, 0x20, 0xff],
                _ => continue,
            };
            let i = ((y * w + x) * 4) as usize;
            if let Some(dst) = rgba.get_mut(i..i + 4) {
                dst.copy_from_slice(&px);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use crate::view::{NotificationMode, OfferView};
    use herald_protocol::{Banner, BlockReason};

    fn state() -> DesktopState {
        fixtures::model(NotificationMode::Workspace).state().clone()
    }

    #[test]
    fn tray_menu_ids_round_trip_to_actions() {
        // R32: presence, open, settings and quit from the tray.
        for p in PRESENCES {
            assert_eq!(TrayAction::parse(&TrayAction::Presence(p).id()), Some(TrayAction::Presence(p)));
        }
        for a in [TrayAction::Open, TrayAction::Settings, TrayAction::Quit] {
            assert_eq!(TrayAction::parse(&a.id()), Some(a));
        }
        assert_eq!(TrayAction::parse("presence:inactive"), None, "Inactive is the system's to set");
        assert_eq!(TrayAction::parse(STATUS_ID), None);
    }

    #[test]
    fn the_menu_has_the_status_the_presences_open_settings_and_quit() {
        // R32
        let m = menu(Language::En);
        assert_eq!(m[0], MenuEntry::Status);
        assert_eq!(status_at_start(Language::En), "Connecting…");
        let presences: Vec<_> = m.iter().filter_map(|e| if let MenuEntry::Presence(p, _) = e { Some(*p) } else { None }).collect();
        assert_eq!(presences.len(), 5);
        assert!(!presences.contains(&BasePresence::Inactive));
        let actions: Vec<_> = m.iter().filter_map(|e| if let MenuEntry::Action(a, _) = e { Some(*a) } else { None }).collect();
        assert_eq!(actions, vec![TrayAction::Open, TrayAction::Settings, TrayAction::Quit]);
        assert_eq!(m.last(), Some(&MenuEntry::Action(TrayAction::Quit, "Quit Herald".into())));
        // In Dutch (never-miss, item 5).
        let nl = menu(Language::Nl);
        assert_eq!(nl.last(), Some(&MenuEntry::Action(TrayAction::Quit, "Herald afsluiten".into())));
        assert!(nl.contains(&MenuEntry::Presence(BasePresence::Away, "Afwezig".into())));
    }

    #[test]
    fn the_tray_says_the_link_until_the_agent_is_known_then_who_and_the_presence() {
        // R32: the tray shows the presence.
        let mut s = state();
        let v = TrayView::of(&s);
        assert_eq!((v.presence, v.status.as_str(), v.tooltip.as_str()), (None, "Connecting…", "Herald — Connecting…"));
        s.connection.status = ConnectionStatus::NeedsToken;
        assert_eq!(TrayView::of(&s).status, "Sign in (Settings)");
        let mut ada = fixtures::agent("Ada", BasePresence::BusyDnd);
        ada.banner = Some(Banner { reason: BlockReason::Rejected, message: "You rejected a request".into() });
        s.me = Some(ada);
        let v = TrayView::of(&s);
        assert_eq!(v.presence, Some(BasePresence::BusyDnd));
        assert_eq!(v.status, "Ada: Busy – Do Not Disturb — You rejected a request");
        assert_eq!(v.tooltip, format!("Herald — {}", v.status));
    }

    #[test]
    fn the_tooltip_counts_the_waiting_offers() {
        let mut s = state();
        s.connection.status = ConnectionStatus::Live;
        let offer = fixtures::offer(1);
        s.offers = vec![OfferView { offer: offer.clone(), toasted: false }, OfferView { offer, toasted: true }];
        assert_eq!(TrayView::of(&s).tooltip, "Herald — Connected — 2 waiting");
        s.language = Language::Nl;
        assert_eq!(TrayView::of(&s).tooltip, "Herald — Verbonden — 2 wachtend");
    }

    #[test]
    fn the_badge_is_a_presence_dot_in_the_lower_right_corner() {
        // R32: the tray icon shows the presence.
        let (w, h) = (32u32, 32u32);
        let plain = vec![0u8; (w * h * 4) as usize];
        let badged = |p| {
            let mut px = plain.clone();
            paint_badge(&mut px, w, h, p);
            px
        };
        let corner = |img: &[u8]| {
            let (x, y) = (w - 1 - (w as f32 * 0.24) as u32, h - 1 - (h as f32 * 0.24) as u32);
            let i = ((y * w + x) * 4) as usize;
            [img[i], img[i + 1], img[i + 2]]
        };
        assert_eq!(corner(&badged(BasePresence::Available)), badge_colour(BasePresence::Available));
        assert_eq!(corner(&badged(BasePresence::Busy)), badge_colour(BasePresence::Busy));
        assert_eq!(corner(&badged(BasePresence::BusyDnd)), [0xff, 0xff, 0xff], "DND: a white bar");
        assert_eq!(plain[..4], badged(BasePresence::Away)[..4], "the rest stays");
    }
}

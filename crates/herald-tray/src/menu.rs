//! The tray icon and its menu (tray-icon and muda: what Tauri's tray is made of, without a
//! webview). What they say comes from `herald_app::tray`; this module only draws it.
//!
//! Main thread only: the widgets belong to the GUI toolkit's thread (GTK on Linux), so the
//! event loop owns the [`Tray`] and changes it when told ([`crate::Ui::State`]).

use anyhow::Context as _;
use herald_app::i18n::Language;
use herald_app::tray::{MenuEntry, STATUS_ID, TrayAction, TrayView};
use herald_protocol::BasePresence;
use tray_icon::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tray_icon::{Icon, TrayIcon, TrayIconBuilder};

/// An image as RGBA pixels, row by row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rgba {
    pub pixels: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

impl Rgba {
    /// Decodes a PNG (any colour type, 8 bits per channel after decoding).
    pub fn from_png(bytes: &[u8]) -> anyhow::Result<Rgba> {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        decoder.set_transformations(png::Transformations::normalize_to_color8() | png::Transformations::ALPHA);
        let mut reader = decoder.read_info().context("not a PNG image")?;
        let mut pixels = vec![0; reader.output_buffer_size().context("PNG image too large")?];
        let info = reader.next_frame(&mut pixels).context("broken PNG image")?;
        pixels.truncate(info.buffer_size());
        match info.color_type {
            png::ColorType::Rgba => {}
            png::ColorType::GrayscaleAlpha => pixels = pixels.chunks_exact(2).flat_map(|p| [p[0], p[0], p[0], p[1]]).collect(),
            other => anyhow::bail!("unexpected PNG colour type {other:?}"),
        }
        Ok(Rgba { pixels, width: info.width, height: info.height })
    }

    /// This image with the presence badge painted in its corner.
    pub fn badged(&self, presence: BasePresence) -> Rgba {
        let mut pixels = self.pixels.clone();
        herald_app::tray::paint_badge(&mut pixels, self.width, self.height, presence);
        Rgba { pixels, ..*self }
    }

    fn icon(&self) -> anyhow::Result<Icon> {
        Icon::from_rgba(self.pixels.clone(), self.width, self.height).context("not an icon")
    }
}

/// The tray icon for a dark panel (the default) or a light one (`HERALD_TRAY_THEME=light`).
pub fn plain_icon() -> anyhow::Result<Rgba> {
    let dark_panel = std::env::var("HERALD_TRAY_THEME").map_or(true, |t| t != "light");
    if dark_panel {
        Rgba::from_png(include_bytes!("../../../icons/tray-dark.png"))
    } else {
        Rgba::from_png(include_bytes!("../../../icons/tray-light.png"))
    }
}

/// The tray icon and the menu items that follow the state.
pub struct Tray {
    icon: TrayIcon,
    presences: Vec<(BasePresence, CheckMenuItem)>,
    actions: Vec<(TrayAction, MenuItem)>,
    status: MenuItem,
    /// The language of the menu's words.
    language: Language,
    /// The icon without a presence badge.
    plain: Rgba,
    /// The presence whose badge the icon shows (`None`: no badge, not signed in).
    badge: Option<BasePresence>,
    /// The revision of the state shown: states are published from several threads and may
    /// arrive out of order; an older one must not undo a newer one.
    revision: u64,
    /// What the tray shows now.
    shown: Option<TrayView>,
}

impl std::fmt::Debug for Tray {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tray").field("badge", &self.badge).field("revision", &self.revision).finish_non_exhaustive()
    }
}

impl Tray {
    /// Puts the icon in the tray, with its menu in the system's language (until the app's first
    /// state says which one is in use). Menu choices arrive as `muda` menu events whose id is
    /// the [`TrayAction`]'s.
    pub fn build() -> anyhow::Result<Tray> {
        let menu = Menu::new();
        let language = Language::of_system();
        let status = MenuItem::with_id(STATUS_ID, herald_app::tray::status_at_start(language), false, None);
        let (mut presences, mut actions) = (Vec::new(), Vec::new());
        for entry in herald_app::tray::menu(language) {
            match entry {
                MenuEntry::Status => menu.append(&status)?,
                MenuEntry::Separator => menu.append(&PredefinedMenuItem::separator())?,
                MenuEntry::Presence(p, label) => {
                    let item = CheckMenuItem::with_id(TrayAction::Presence(p).id(), label, false, false, None);
                    menu.append(&item)?;
                    presences.push((p, item));
                }
                MenuEntry::Action(action, label) => {
                    let item = MenuItem::with_id(action.id(), label, true, None);
                    menu.append(&item)?;
                    actions.push((action, item));
                }
            }
        }
        let plain = plain_icon()?;
        let icon = TrayIconBuilder::new()
            .with_id("herald")
            .with_icon(plain.icon()?)
            .with_tooltip("Herald")
            .with_menu(Box::new(menu))
            .with_menu_on_left_click(false)
            .build()
            .context("could not put Herald's icon in the tray")?;
        Ok(Tray { icon, presences, actions, status, language, plain, badge: None, revision: 0, shown: None })
    }

    /// Shows a tray view unless a newer one was shown already or it shows nothing new (most
    /// state changes are not the tray's).
    pub fn apply(&mut self, revision: u64, view: TrayView) {
        if revision < self.revision {
            return;
        }
        self.revision = revision;
        if self.shown.as_ref() == Some(&view) {
            return;
        }
        if self.badge != view.presence {
            let icon = match view.presence {
                Some(p) => self.plain.badged(p).icon(),
                None => self.plain.icon(),
            };
            match icon.and_then(|i| self.icon.set_icon(Some(i)).context("tray")) {
                Ok(()) => self.badge = view.presence,
                Err(e) => tracing::warn!(error = %format!("{e:#}"), "could not change the tray icon"),
            }
        }
        for (p, item) in &self.presences {
            item.set_checked(Some(*p) == view.presence);
            item.set_enabled(view.presence.is_some());
        }
        if self.language != view.language {
            // The person chose another language: the menu's words follow.
            for entry in herald_app::tray::menu(view.language) {
                match entry {
                    MenuEntry::Presence(p, label) => self.presences.iter().filter(|(q, _)| *q == p).for_each(|(_, i)| i.set_text(&label)),
                    MenuEntry::Action(a, label) => self.actions.iter().filter(|(b, _)| *b == a).for_each(|(_, i)| i.set_text(&label)),
                    MenuEntry::Status | MenuEntry::Separator => {}
                }
            }
            self.language = view.language;
        }
        self.status.set_text(&view.status);
        if let Err(e) = self.icon.set_tooltip(Some(&view.tooltip)) {
            tracing::debug!(error = %e, "could not change the tray tooltip");
        }
        // A failed icon change is tried again with the next state.
        if self.badge == view.presence {
            self.shown = Some(view);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tray_icon_shows_the_presence_in_its_corner() {
        // R32: the tray shows the presence.
        let plain = Rgba::from_png(include_bytes!("../../../icons/tray-dark.png")).unwrap();
        assert_eq!((plain.width, plain.height, plain.pixels.len()), (64, 64, 64 * 64 * 4));
        let (w, h) = (plain.width, plain.height);
        let corner = |img: &Rgba| {
            let (x, y) = (w - 1 - (w as f32 * 0.24) as u32, h - 1 - (h as f32 * 0.24) as u32);
            let i = ((y * w + x) * 4) as usize;
            [img.pixels[i], img.pixels[i + 1], img.pixels[i + 2]]
        };
        assert_eq!(corner(&plain.badged(BasePresence::Available)), herald_app::tray::badge_colour(BasePresence::Available));
        assert_eq!(corner(&plain.badged(BasePresence::Busy)), herald_app::tray::badge_colour(BasePresence::Busy));
        assert_eq!(corner(&plain.badged(BasePresence::BusyDnd)), [0xff, 0xff, 0xff], "DND: a white bar");
        assert_eq!(plain.pixels[..4], plain.badged(BasePresence::Away).pixels[..4], "the rest stays");
        assert!(Rgba::from_png(b"not a png").is_err());
    }
}

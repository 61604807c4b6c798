//! Dutch and English (the never-miss issue, item 5) for what the app says outside the window:
//! toast buttons and titles, the tray, notices. The messages are Project Fluent catalogues
//! (`locales/en.ftl`, `locales/nl.ftl`, built into the binary) read with `fluent-bundle`; the
//! window has its own catalogues on the UI side (`ui/src/locales`), chosen by the same
//! [`Language`], which the app publishes in its state.
//!
//! The language is the person's choice in Settings, or else the operating system's (`LANG` and
//! friends on Linux, through `sys-locale`): Dutch for any `nl` locale, English otherwise.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;
use ts_rs::TS;

/// A language Herald speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    #[default]
    En,
    Nl,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::En, Language::Nl];

    /// The language of a locale name such as `nl_NL.UTF-8`, `nl-BE` or `en-US`.
    pub fn of_locale(locale: &str) -> Language {
        let lang = locale.split(['_', '-', '.', '@']).next().unwrap_or_default();
        if lang.eq_ignore_ascii_case("nl") { Language::Nl } else { Language::En }
    }

    /// The operating system's language.
    pub fn of_system() -> Language {
        sys_locale::get_locale().map_or(Language::En, |l| Language::of_locale(&l))
    }

    fn source(self) -> &'static str {
        match self {
            Language::En => include_str!("../locales/en.ftl"),
            Language::Nl => include_str!("../locales/nl.ftl"),
        }
    }

    fn tag(self) -> unic_langid::LanguageIdentifier {
        let tag = match self {
            Language::En => "en",
            Language::Nl => "nl",
        };
        tag.parse().expect("a language tag")
    }
}

static BUNDLES: LazyLock<[FluentBundle<FluentResource>; 2]> = LazyLock::new(|| Language::ALL.map(bundle));

fn bundle(lang: Language) -> FluentBundle<FluentResource> {
    let resource = FluentResource::try_new(lang.source().to_owned())
        .unwrap_or_else(|(_, errors)| panic!("locales/{:?}.ftl does not parse: {errors:?}", lang));
    let mut bundle = FluentBundle::new_concurrent(vec![lang.tag()]);
    // No Unicode isolation marks: toasts and tray menus show them as boxes on some desktops.
    bundle.set_use_isolating(false);
    if let Err(errors) = bundle.add_resource(resource) {
        panic!("locales/{lang:?}.ftl: {errors:?}");
    }
    bundle
}

/// The message `id` in `lang`, with `args` filled in. A message missing from the catalogue
/// (a test keeps that from happening) is its id, so the gap shows instead of crashing.
pub fn text_with(lang: Language, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
    let bundle = &BUNDLES[lang as usize];
    let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
        tracing::warn!(id, ?lang, "a message is missing from the catalogue");
        return id.to_owned();
    };
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        fluent_args.set(*name, value.clone());
    }
    let mut errors = Vec::new();
    let out = bundle.format_pattern(pattern, (!args.is_empty()).then_some(&fluent_args), &mut errors);
    if !errors.is_empty() {
        tracing::warn!(id, ?lang, ?errors, "a message did not format cleanly");
    }
    out.into_owned()
}

/// The message `id` in `lang`.
pub fn text(lang: Language, id: &str) -> String {
    text_with(lang, id, &[])
}

/// The message ids of a catalogue (for the tests).
#[cfg(test)]
fn ids(lang: Language) -> std::collections::BTreeSet<String> {
    lang.source()
        .lines()
        .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
        .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim().to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_is_in_both_languages_and_formats_without_errors() {
        let (en, nl) = (ids(Language::En), ids(Language::Nl));
        assert!(en.len() > 30, "{en:?}");
        assert_eq!(en, nl, "the catalogues list the same messages");
        for lang in Language::ALL {
            for id in &en {
                let args = [("status", FluentValue::from("x")), ("waiting", FluentValue::from(2)), ("reason", FluentValue::from("y"))];
                let bundle = &BUNDLES[lang as usize];
                let pattern = bundle.get_message(id).and_then(|m| m.value()).unwrap_or_else(|| panic!("{lang:?} {id}"));
                let mut errors = Vec::new();
                let out = bundle.format_pattern(pattern, Some(&args.iter().cloned().collect()), &mut errors);
                assert!(errors.is_empty() && !out.is_empty(), "{lang:?} {id}: {errors:?}");
            }
        }
    }

    #[test]
    fn dutch_buttons_plurals_and_the_locale_names_that_choose_dutch() {
        assert_eq!(text(Language::Nl, "button-accept"), "Accepteren");
        assert_eq!(text(Language::Nl, "button-reject"), "Weigeren");
        let waiting = |n: i64| text_with(Language::En, "tray-tooltip-waiting", &[("status", "Connected".into()), ("waiting", n.into())]);
        assert_eq!(waiting(1), "Herald — Connected — 1 waiting");
        assert_eq!(waiting(3), "Herald — Connected — 3 waiting");
        for nl in ["nl_NL.UTF-8", "nl-BE", "nl", "NL_nl"] {
            assert_eq!(Language::of_locale(nl), Language::Nl, "{nl}");
        }
        for en in ["en_US.UTF-8", "C", "POSIX", "", "de_DE", "nds_NL"] {
            assert_eq!(Language::of_locale(en), Language::En, "{en}");
        }
        assert_eq!(text(Language::En, "no-such-message"), "no-such-message");
    }
}

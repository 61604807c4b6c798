// Dutch and English for the window (the never-miss issue, item 5). The words are Project Fluent
// message catalogues, one file per area of the window in `src/locales/<language>/`, read with
// `@fluent/bundle`. The language is the app's (`DesktopState.language`: the one chosen in
// Settings, else the operating system's); `App.svelte` sets it here, and every `t()` in a
// template follows it, because the language is reactive state.
//
// The same ids exist in every language (a unit test compares the catalogues); a missing id
// falls back to English, then to the id itself, so a gap shows instead of breaking the window.
import { FluentBundle, FluentResource, type FluentVariable } from '@fluent/bundle';
import type { Language } from '../generated/Language';

export const LANGUAGES: readonly Language[] = ['en', 'nl'];

/** The catalogues' source text, by path (`../locales/en/common.ftl`). */
export const SOURCES = import.meta.glob('../locales/*/*.ftl', { query: '?raw', import: 'default', eager: true }) as Record<
  string,
  string
>;

/** The catalogue files of a language. */
export function sourcesOf(lang: Language): [string, string][] {
  return Object.entries(SOURCES).filter(([path]) => path.includes(`/locales/${lang}/`));
}

function bundleOf(lang: Language): FluentBundle {
  const bundle = new FluentBundle(lang, { useIsolating: false });
  for (const [path, source] of sourcesOf(lang)) {
    const errors = bundle.addResource(new FluentResource(source));
    for (const e of errors) console.error(`[i18n] ${path}: ${e.message}`);
  }
  return bundle;
}

const BUNDLES: Record<Language, FluentBundle> = { en: bundleOf('en'), nl: bundleOf('nl') };

/** BCP 47 tags for dates and numbers. */
const LOCALES: Record<Language, string> = { en: 'en-GB', nl: 'nl-NL' };

let current: Language = $state('en');

/** Speak `lang` from now on. */
export function setLanguage(lang: Language): void {
  current = BUNDLES[lang] ? lang : 'en';
  if (typeof document !== 'undefined') document.documentElement.lang = current;
}

export function language(): Language {
  return current;
}

/** The message `id` with `args` filled in, in the current language. */
export function t(id: string, args?: Record<string, FluentVariable>): string {
  for (const bundle of [BUNDLES[current], BUNDLES.en]) {
    const message = bundle.getMessage(id);
    if (message?.value) return bundle.formatPattern(message.value, args);
  }
  return id;
}

/** A time of day in the current language's way ("14:05:09"). */
export function formatTime(ms: number): string {
  return new Date(ms).toLocaleTimeString(LOCALES[current], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** A time of day without seconds ("14:05"). */
export function formatClock(ms: number): string {
  return new Date(ms).toLocaleTimeString(LOCALES[current], { hour: '2-digit', minute: '2-digit' });
}

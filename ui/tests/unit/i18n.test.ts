// Dutch and English (the never-miss issue, item 5): the window's catalogues are complete in
// both languages, parse, and switch with the app's language.
import { afterEach, describe, expect, test } from 'vitest';
import { FluentBundle, FluentResource } from '@fluent/bundle';
import { LANGUAGES, language, setLanguage, sourcesOf, t } from '../../src/lib/i18n.svelte';
import { errorText, formatWait, presenceLabel, timelineLabel } from '../../src/lib/logic';

/** The message ids of a language, by file name. */
function ids(lang: 'en' | 'nl'): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [path, source] of sourcesOf(lang)) {
    const resource = new FluentResource(source);
    const bundle = new FluentBundle(lang);
    expect(bundle.addResource(resource), `${path} parses`).toEqual([]);
    const file = path.split('/').pop()!;
    out.set(file, resource.body.map((m) => m.id).sort());
  }
  return out;
}

afterEach(() => setLanguage('en'));

describe('catalogues', () => {
  test('every file and every message exists in English and Dutch', () => {
    const [en, nl] = [ids('en'), ids('nl')];
    expect([...en.keys()].sort()).toEqual([...nl.keys()].sort());
    expect(en.size).toBeGreaterThan(0);
    for (const [file, list] of en) expect(nl.get(file), file).toEqual(list);
  });

  test('no message is empty and none keeps its id in either language', () => {
    for (const lang of LANGUAGES) {
      setLanguage(lang);
      for (const [, list] of ids(lang)) {
        for (const id of list) {
          const text = t(id, { custom: 'x', base: 'y', attempt: 2, error: 'e', s: 1, m: 2, h: 3, detail: 'd', n: 2, name: 'n', count: 2, seconds: 5, total: 3, who: 'w', what: 'w', url: 'u', email: 'e', queue: 'q', agent: 'a', reason: 'r', time: 't', waited: 'w', key: 'k' });
          expect(text, `${lang} ${id}`).not.toBe(id);
          expect(text.trim(), `${lang} ${id}`).not.toBe('');
        }
      }
    }
  });
});

describe('the language in use', () => {
  test('Dutch words once the app says Dutch, English again after', () => {
    expect(language()).toBe('en');
    expect(presenceLabel({ base: 'away' })).toBe('Away');
    setLanguage('nl');
    expect(language()).toBe('nl');
    expect(t('action-accept')).toBe('Accepteren');
    expect(t('action-reject')).toBe('Weigeren');
    expect(presenceLabel({ base: 'away', custom: 'Lunch' })).toBe('Lunch (Afwezig)');
    expect(timelineLabel('timed_out')).toBe('Niemand antwoordde op tijd');
    expect(formatWait(125)).toBe('2 min 05 s');
    expect(formatWait(3720)).toBe('1 u 02 min');
    expect(errorText({ code: 'offer_not_pending', message: 'x' })).toContain('niet meer beschikbaar');
    setLanguage('en');
    expect(t('action-accept')).toBe('Accept');
  });

  test('a missing message falls back to its id', () => {
    expect(t('no-such-message')).toBe('no-such-message');
  });
});

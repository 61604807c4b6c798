// Dutch (the never-miss issue, item 5): the window speaks the app's language — Dutch when the
// app says so (the system's locale, or the choice in Settings), English again after — and
// Settings chooses the language. Screenshot: target/test-artifacts/ui/17-dutch.png.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { agent, offer, session, state, view } from '../../src/fixtures/states';
import { launch, openHerald, serveDist } from './harness';

let browser: Browser;
let server: Awaited<ReturnType<typeof serveDist>>;

beforeAll(async () => {
  server = await serveDist();
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const T0 = 1_760_000_000_000;

describe('Dutch', () => {
  test('the window in Dutch: presence, request buttons, sessions, banner; back to English when the app says so', async () => {
    const alert = offer({ id: 51, actions: ['accept', 'reject'] }, T0 - 5_000, 35);
    const dutch = state({
      language: 'nl',
      me: agent({ presence: { base: 'available' } }),
      offers: [view(alert)],
      sessions: [session({ id: 8 }, T0)],
    });
    const h = await openHerald(browser, server.url, dutch, { fixedTime: T0 });
    const { page } = h;
    const card = page.locator('[data-testid="offer-alert"][data-offer-id="51"]');
    await card.waitFor();
    await expect(card.getByTestId('accept').textContent()).resolves.toBe('Accepteren');
    await expect(card.getByTestId('reject').textContent()).resolves.toBe('Weigeren');
    await expect(page.locator('[data-testid="presence-select"] option:checked').textContent()).resolves.toContain('Beschikbaar');
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('nl');
    await expect(page.getByTestId('no-session').textContent()).resolves.toContain('Kies een sessie');
    await h.shot('17-dutch');

    await page.getByTestId('open-settings').click();
    const pane = page.getByTestId('settings-pane');
    await expect(pane.locator('#settings-title').textContent()).resolves.toBe('Instellingen');
    await expect(pane.getByTestId('settings-save').textContent()).resolves.toContain('Opslaan');
    await h.shot('17-dutch-settings');

    // The person picks English in Settings: the app says so, the window follows.
    await pane.getByTestId('settings-language').selectOption('en');
    await pane.getByTestId('settings-save').click();
    const cmd = await h.waitForCommand('save_settings');
    expect(cmd.data.settings.language).toBe('en');
    await h.push({ ...dutch, revision: 2, language: 'en', settings: { ...dutch.settings, language: 'en' } });
    await expect(pane.locator('#settings-title').textContent()).resolves.toBe('Settings');
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('en');
    await h.close();
  });

  test("the system's language is the default: Settings sends no language until one is picked", async () => {
    const h = await openHerald(browser, server.url, state({ language: 'nl' }));
    await h.page.getByTestId('open-settings').click();
    const pane = h.page.getByTestId('settings-pane');
    await expect(pane.getByTestId('settings-language').inputValue()).resolves.toBe('');
    await pane.getByTestId('settings-language').selectOption('nl');
    await pane.getByTestId('settings-save').click();
    const cmd = await h.waitForCommand('save_settings');
    expect(cmd.data.settings.language).toBe('nl');
    await h.close();
  });
});

// Page-flow test harness: serves dist/ on 127.0.0.1 (free port), drives Debian's headless
// Chromium through playwright-core (no browser download), and mocks Tauri's IPC in the page.
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Command } from '../../src/generated/Command';
import type { DesktopState } from '../../src/generated/DesktopState';
import { installTauriMock, type MockOptions } from './tauri-mock';

const HERE = fileURLToPath(new URL('.', import.meta.url));
export const UI_DIR = resolve(HERE, '../..');
export const DIST = join(UI_DIR, 'dist');
export const ARTIFACTS = process.env.HERALD_UI_ARTIFACTS ?? resolve(UI_DIR, '../target/test-artifacts/ui');

const CHROMIUM = process.env.HERALD_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

/** A static file server for dist/ on 127.0.0.1 and a free port. */
export async function serveDist(root = DIST): Promise<{ url: string; close: () => Promise<void> }> {
  if (!existsSync(join(root, 'index.html'))) throw new Error(`${root}/index.html missing: run npm run build`);
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

export async function launch(): Promise<Browser> {
  // Playwright gives every launch a fresh temporary user-data-dir and removes it on close.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

export interface Herald {
  page: Page;
  context: BrowserContext;
  /** Commands the page sent so far. */
  commands(): Promise<Command[]>;
  /** Waits until a command of this type was sent, and returns the latest one. */
  waitForCommand<T extends Command['type']>(type: T): Promise<Extract<Command, { type: T }>>;
  /** Pushes a new DesktopState as the `herald://state` event. */
  push(state: DesktopState): Promise<void>;
  /** Saves a screenshot under target/test-artifacts/ui/. */
  shot(name: string): Promise<string>;
  close(): Promise<void>;
}

export interface OpenOptions extends Omit<MockOptions, 'state'> {
  /** Freeze the page's Date.now() at this time (ms) so countdowns are exact. */
  fixedTime?: number;
  colorScheme?: 'light' | 'dark';
  /** Appended to the URL, e.g. "#settings". */
  hash?: string;
}

/** Opens the built UI with the Tauri mock answering from `state`, once it has drawn it. */
export async function openHerald(
  browser: Browser,
  baseUrl: string,
  state: DesktopState,
  opts: OpenOptions = {},
): Promise<Herald> {
  const context = await browser.newContext({
    viewport: { width: 900, height: 640 },
    colorScheme: opts.colorScheme ?? 'light',
    reducedMotion: 'reduce',
  });
  // Fail a step well before the test's own timeout, naming what was waited for.
  context.setDefaultTimeout(8_000);
  if (opts.fixedTime !== undefined) await context.clock.setFixedTime(opts.fixedTime);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.addInitScript(installTauriMock, { state, failures: opts.failures });
  await page.goto(baseUrl + (opts.hash ?? ''));
  await page.waitForSelector('[data-testid="agent-name"]');
  // The app subscribes before asking for the state: from here on pushes reach it.
  await page.waitForFunction(() => window.__heraldMock.listenerCount() > 0);

  return {
    page,
    context,
    commands: () => page.evaluate(() => window.__heraldMock.commands),
    async waitForCommand(type) {
      const handle = await page.waitForFunction(
        (t) => [...window.__heraldMock.commands].reverse().find((c) => c.type === t),
        type,
      );
      return (await handle.jsonValue()) as never;
    },
    push: (s) => page.evaluate((next) => window.__heraldMock.push(next), s),
    async shot(name) {
      mkdirSync(ARTIFACTS, { recursive: true });
      const path = join(ARTIFACTS, `${name}.png`);
      await page.screenshot({ path });
      return path;
    },
    async close() {
      await context.close();
      if (errors.length) throw new Error(`page errors:\n${errors.join('\n')}`);
    },
  };
}

import { describe, expect, test } from 'vitest';
import { agent, offer, state, view } from '../../src/fixtures/states';
import type { Command } from '../../src/generated/Command';
import type { DesktopState } from '../../src/generated/DesktopState';
import type { Ipc } from '../../src/lib/ipc';
import { HeraldStore } from '../../src/lib/store.svelte';

/** An Ipc whose answers the test controls. */
function fakeIpc(initial: DesktopState) {
  let handler: ((s: DesktopState) => void) | null = null;
  let releaseGetState: (() => void) | null = null;
  const sent: Command[] = [];
  const failures = new Map<Command['type'], unknown>();
  let pending: { resolve: () => void } | null = null;
  const ipc: Ipc = {
    getState: () => new Promise((ok) => (releaseGetState = () => ok(initial))),
    onState: async (h) => {
      handler = h;
      return () => (handler = null);
    },
    command: (cmd) => {
      sent.push(cmd);
      const f = failures.get(cmd.type);
      if (f) return Promise.reject(f);
      return new Promise<void>((resolve) => (pending = { resolve }));
    },
  };
  return {
    ipc,
    sent,
    failures,
    push: (s: DesktopState) => handler?.(s),
    answerGetState: () => releaseGetState?.(),
    finishCommand: () => pending?.resolve(),
    subscribed: () => handler !== null,
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('HeraldStore', () => {
  test('draws the answer to get_state', async () => {
    const f = fakeIpc(state({ me: agent({ name: 'From get_state' }) }));
    const store = new HeraldStore(f.ipc);
    const started = store.start();
    await tick();
    f.answerGetState();
    await started;
    expect(store.state?.me?.name).toBe('From get_state');
  });

  test('subscribes before asking, and a newer push that arrives first wins over the get_state answer', async () => {
    const f = fakeIpc(state({ me: agent({ name: 'Old' }), revision: 4 }));
    const store = new HeraldStore(f.ipc);
    const started = store.start();
    await tick();
    expect(f.subscribed()).toBe(true);
    f.push(state({ me: agent({ name: 'Pushed' }), revision: 5 }));
    f.answerGetState();
    await started;
    expect(store.state?.me?.name).toBe('Pushed');
    // An older push (lower revision) never replaces a newer state.
    f.push(state({ me: agent({ name: 'Stale' }), revision: 3 }));
    expect(store.state?.me?.name).toBe('Pushed');
  });

  test('a failing get_state is reported', async () => {
    const store = new HeraldStore({
      getState: () => Promise.reject({ message: 'not in Tauri' }),
      onState: async () => () => {},
      command: async () => {},
    });
    await store.start();
    expect(store.state).toBeNull();
    expect(store.loadError).toBe('not in Tauri');
  });

  test('a command in flight marks its key busy until it settles', async () => {
    const f = fakeIpc(state());
    const store = new HeraldStore(f.ipc);
    const run = store.run({ type: 'accept_offer', data: { offer: 3 } }, { action: 'Accept', key: 'offer:3' });
    expect(store.isBusy('offer:3')).toBe(true);
    f.finishCommand();
    expect(await run).toBeNull();
    expect(store.isBusy('offer:3')).toBe(false);
    expect(f.sent).toEqual([{ type: 'accept_offer', data: { offer: 3 } }]);
  });

  test('a refused command is shown in words, once for a double click, and dismissable', async () => {
    const f = fakeIpc(state());
    f.failures.set('accept_offer', { code: 'offer_not_pending', message: 'offer 3 is withdrawn' });
    const store = new HeraldStore(f.ipc);
    const err = await store.run({ type: 'accept_offer', data: { offer: 3 } }, { action: 'Accept' });
    await store.run({ type: 'accept_offer', data: { offer: 3 } }, { action: 'Accept' });
    expect(err).toEqual({ code: 'offer_not_pending', message: 'offer 3 is withdrawn' });
    expect(store.errors).toHaveLength(1);
    expect(store.errors[0].text).toBe('This request is no longer available — it was taken, withdrawn or timed out.');
    store.dismissError(store.errors[0].id);
    expect(store.errors).toHaveLength(0);
  });

  test('quiet commands return the error without showing it', async () => {
    const f = fakeIpc(state());
    f.failures.set('save_settings', { code: 'invalid_input', message: 'bad url' });
    const store = new HeraldStore(f.ipc);
    const err = await store.run({ type: 'save_settings', data: { settings: state().settings } }, { action: 'Save', quiet: true });
    expect(err?.message).toBe('bad url');
    expect(store.errors).toHaveLength(0);
  });

  test('R17: a hidden popup is forgotten once the app removed it', () => {
    const store = new HeraldStore(fakeIpc(state()).ipc);
    const p = view(offer({ id: 9, kind: 'popup' }, 0));
    store.apply(state({ offers: [p] }));
    store.hidePopup(9);
    expect(store.hiddenPopups.has(9)).toBe(true);
    store.apply(state({ offers: [p] }));
    expect(store.hiddenPopups.has(9)).toBe(true);
    store.apply(state({ offers: [] }));
    expect(store.hiddenPopups.size).toBe(0);
  });

  test('R30: the supervisor pane closes when the role no longer allows it', () => {
    const store = new HeraldStore(fakeIpc(state()).ipc);
    store.apply(state({ me: agent({ role: 'supervisor' }) }));
    store.open('supervisor');
    expect(store.pane).toBe('supervisor');
    store.apply(state({ me: agent({ role: 'agent' }) }));
    expect(store.pane).toBe('work');
  });

  test('navigate by name (herald://navigate, URL hash); unknown names are ignored', () => {
    const store = new HeraldStore(fakeIpc(state()).ipc);
    store.navigate('#settings');
    expect(store.pane).toBe('settings');
    store.navigate('team');
    expect(store.pane).toBe('supervisor');
    store.navigate('nonsense');
    expect(store.pane).toBe('supervisor');
    store.navigate('work');
    expect(store.pane).toBe('work');
  });

  test('start listens to navigate when the Ipc offers it', async () => {
    let nav: ((t: string) => void) | null = null;
    const store = new HeraldStore({
      getState: async () => state(),
      onState: async () => () => {},
      onNavigate: async (h) => {
        nav = h;
        return () => (nav = null);
      },
      command: async () => {},
    });
    await store.start();
    nav!('settings');
    expect(store.pane).toBe('settings');
    store.stop();
    expect(nav).toBeNull();
  });

  test('open toggles a pane', () => {
    const store = new HeraldStore(fakeIpc(state()).ipc);
    store.open('settings');
    expect(store.pane).toBe('settings');
    store.open('settings');
    expect(store.pane).toBe('work');
  });
});

// A fake `window.__TAURI_INTERNALS__` injected into the page before the app's scripts run
// (page.addInitScript). It is what @tauri-apps/api v2 talks to:
//   - core.invoke(cmd, args)      → __TAURI_INTERNALS__.invoke(cmd, args, options)
//   - core.transformCallback(cb)  → __TAURI_INTERNALS__.transformCallback(cb, once) → numeric id
//   - event.listen(event, h)      → invoke('plugin:event|listen', {event, target, handler: id}) → eventId
//   - unlisten                    → __TAURI_EVENT_PLUGIN_INTERNALS__.unregisterListener + invoke('plugin:event|unlisten')
// The app's side is answered from a fixture: `get_state` returns it, `command` is recorded (and can
// be made to fail), and the test pushes new states as `herald://state` events.
//
// This function is serialised into the page: it must not use anything from its module scope.
import type { Command } from '../../src/generated/Command';
import type { CommandError } from '../../src/generated/CommandError';
import type { DesktopState } from '../../src/generated/DesktopState';

export interface MockOptions {
  state: DesktopState;
  /** Command types that fail with this error (every time, until changed via `__heraldMock.fail`). */
  failures?: Partial<Record<Command['type'], CommandError>>;
}

export interface HeraldMock {
  /** Every `command` the page sent, in order. */
  commands: Command[];
  /** Every invoke (including get_state and the event plugin), for debugging. */
  invokes: { cmd: string; args: unknown }[];
  /** Replace the state and emit it as `herald://state`. */
  push(state: DesktopState): void;
  /** Emit any Tauri event to the page (e.g. `herald://navigate`). */
  emit(event: string, payload: unknown): void;
  /** Make a command type fail (or succeed again with `null`). */
  fail(type: Command['type'], error: CommandError | null): void;
  /** How many `herald://state` listeners the page has. */
  listenerCount(): number;
}

declare global {
  interface Window {
    __heraldMock: HeraldMock;
  }
}

export function installTauriMock(opts: MockOptions): void {
  const STATE_EVENT = 'herald://state';
  let current = opts.state;
  const failures: Record<string, unknown> = { ...(opts.failures ?? {}) };
  const callbacks = new Map<number, (data: unknown) => void>();
  const listeners = new Map<string, number[]>();
  let nextId = 1;
  const commands: Command[] = [];
  const invokes: { cmd: string; args: unknown }[] = [];
  const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

  function transformCallback(cb?: (data: unknown) => void, once = false): number {
    const id = nextId++;
    callbacks.set(id, (data) => {
      if (once) callbacks.delete(id);
      cb?.(data);
    });
    return id;
  }

  function emit(event: string, payload: unknown): void {
    for (const handler of [...(listeners.get(event) ?? [])]) {
      callbacks.get(handler)?.({ event, id: handler, payload: clone(payload) });
    }
  }

  async function invoke(cmd: string, args: Record<string, unknown> = {}): Promise<unknown> {
    invokes.push({ cmd, args: clone(args) });
    // Answer asynchronously, as the real IPC does.
    await new Promise((r) => setTimeout(r, 0));
    switch (cmd) {
      case 'plugin:event|listen': {
        const event = args.event as string;
        const handler = args.handler as number;
        listeners.set(event, [...(listeners.get(event) ?? []), handler]);
        return handler;
      }
      case 'plugin:event|unlisten': {
        const event = args.event as string;
        listeners.set(
          event,
          (listeners.get(event) ?? []).filter((h) => h !== args.eventId),
        );
        return null;
      }
      case 'get_state':
        return clone(current);
      case 'command': {
        const c = args.cmd as Command;
        commands.push(clone(c));
        const err = failures[c.type];
        if (err) throw clone(err);
        return null;
      }
      default:
        throw { message: `mock: unknown command ${cmd}` };
    }
  }

  const w = window as unknown as Record<string, unknown>;
  w.__TAURI_INTERNALS__ = {
    invoke,
    transformCallback,
    unregisterCallback: (id: number) => callbacks.delete(id),
    runCallback: (id: number, data: unknown) => callbacks.get(id)?.(data),
    callbacks,
    metadata: {
      currentWindow: { label: 'main' },
      currentWebview: { windowLabel: 'main', label: 'main' },
    },
  };
  w.__TAURI_EVENT_PLUGIN_INTERNALS__ = {
    unregisterListener: (_event: string, id: number) => callbacks.delete(id),
  };
  const mock: HeraldMock = {
    commands,
    invokes,
    push(state) {
      current = state;
      emit(STATE_EVENT, state);
    },
    emit,
    fail(type, error) {
      if (error) failures[type] = error;
      else delete failures[type];
    },
    listenerCount: () => (listeners.get(STATE_EVENT) ?? []).length,
  };
  w.__heraldMock = mock;
}

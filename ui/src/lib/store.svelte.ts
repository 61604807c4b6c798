// The window's state: the latest DesktopState from the app (Rust is the one reducer) plus what
// only the window knows: refused commands to show, commands in flight, hidden popups, open pane.
import type { Command } from '../generated/Command';
import type { CommandError } from '../generated/CommandError';
import type { DesktopState } from '../generated/DesktopState';
import type { OfferId } from '../generated/OfferId';
import type { Ipc } from './ipc';
import { errorText, pruneHidden, toCommandError } from './logic';

export interface UiError {
  id: number;
  /** What the person was doing, e.g. "Accept". */
  action: string;
  error: CommandError;
  /** The sentence shown. */
  text: string;
}

export type Pane = 'work' | 'settings' | 'supervisor';

export class HeraldStore {
  /** The latest state pushed by the app; null until the first one arrives. */
  state = $state.raw<DesktopState | null>(null);
  /** `get_state` failed (e.g. not running inside Herald). */
  loadError = $state<string | null>(null);
  errors = $state<UiError[]>([]);
  /** Keys of commands in flight, to disable their buttons (e.g. "offer:12"). */
  busy = $state<Record<string, true>>({});
  hiddenPopups = $state.raw<ReadonlySet<OfferId>>(new Set());
  pane = $state<Pane>('work');

  #ipc: Ipc;
  #nextError = 1;
  #unlisten: (() => void)[] = [];
  #stateListeners = new Set<(s: DesktopState) => void>();

  constructor(ipc: Ipc) {
    this.#ipc = ipc;
  }

  /** Subscribe first, then ask: a push that arrives meanwhile is at least as new as the answer. */
  async start(): Promise<void> {
    try {
      if (this.#ipc.onNavigate) this.#unlisten.push(await this.#ipc.onNavigate((t) => this.navigate(t)));
      this.#unlisten.push(await this.#ipc.onState((s) => this.apply(s)));
      // A push that crossed the answer is newer when its revision is higher; apply() keeps it.
      this.apply(await this.#ipc.getState());
    } catch (e) {
      this.loadError = toCommandError(e).message;
    }
  }

  stop(): void {
    for (const f of this.#unlisten.splice(0)) f();
  }

  /**
   * Shows a pane by name: "settings", "supervisor" (or "team"), "work". From the app's
   * `herald://navigate` event, or the window URL's hash (`index.html#settings`). Unknown: ignored.
   */
  navigate(target: string): void {
    const t = target.replace(/^#/, '').trim().toLowerCase();
    if (t === 'settings') this.pane = 'settings';
    else if (t === 'supervisor' || t === 'team') this.pane = 'supervisor';
    else if (t === 'work' || t === 'sessions') this.pane = 'work';
  }

  /** Called for every new state (tests and components may watch pushes). */
  onApply(fn: (s: DesktopState) => void): () => void {
    this.#stateListeners.add(fn);
    return () => this.#stateListeners.delete(fn);
  }

  apply(s: DesktopState): void {
    if (this.state !== null && s.revision < this.state.revision) return;
    this.state = s;
    this.loadError = null;
    if (this.hiddenPopups.size) this.hiddenPopups = pruneHidden(this.hiddenPopups, s.offers);
    if (this.pane === 'supervisor' && s.me && !(s.me.role === 'supervisor' || s.me.role === 'admin')) {
      this.pane = 'work';
    }
    for (const fn of this.#stateListeners) fn(s);
  }

  isBusy(key: string): boolean {
    return key in this.busy;
  }

  /**
   * Sends a command. Resolves to null on success, or the CommandError (already shown to the
   * person unless `quiet`) on refusal. `key` marks the command in flight.
   */
  async run(cmd: Command, opts: { action: string; key?: string; quiet?: boolean }): Promise<CommandError | null> {
    const { key } = opts;
    if (key) this.busy = { ...this.busy, [key]: true };
    try {
      await this.#ipc.command(cmd);
      return null;
    } catch (e) {
      const error = toCommandError(e);
      if (!opts.quiet) this.showError(opts.action, error);
      return error;
    } finally {
      if (key) {
        const { [key]: _, ...rest } = this.busy;
        this.busy = rest;
      }
    }
  }

  showError(action: string, error: CommandError): void {
    const text = errorText(error);
    // The same refusal twice in a row (double click) is shown once.
    const last = this.errors.at(-1);
    if (last && last.text === text && last.action === action) return;
    this.errors = [...this.errors, { id: this.#nextError++, action, error, text }].slice(-5);
  }

  dismissError(id: number): void {
    this.errors = this.errors.filter((e) => e.id !== id);
  }

  hidePopup(id: OfferId): void {
    this.hiddenPopups = new Set([...this.hiddenPopups, id]);
  }

  open(pane: Pane): void {
    this.pane = this.pane === pane ? 'work' : pane;
  }
}

// The only place that talks to the Tauri side. Tests and `vite dev` swap it via `setIpc`.
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type { Command } from '../generated/Command';
import type { DesktopState } from '../generated/DesktopState';

/** The Tauri event carrying the whole new DesktopState after every change. */
export const STATE_EVENT = 'herald://state';
/** The app asks the window to show a pane (the tray's "Settings…"); payload e.g. "settings". */
export const NAVIGATE_EVENT = 'herald://navigate';

export interface Ipc {
  /** `invoke('get_state')`. */
  getState(): Promise<DesktopState>;
  /** Subscribe to `herald://state`; resolves to an unsubscribe function. */
  onState(handler: (state: DesktopState) => void): Promise<() => void>;
  /** `invoke('command', { cmd })`; rejects with a CommandError (or whatever Tauri gave). */
  command(cmd: Command): Promise<void>;
  /** Subscribe to `herald://navigate` (optional: fakes may leave it out). */
  onNavigate?(handler: (target: string) => void): Promise<() => void>;
}

export const tauriIpc: Ipc = {
  getState: () => invoke<DesktopState>('get_state'),
  onState: (handler) => listen<DesktopState>(STATE_EVENT, (e) => handler(e.payload)),
  command: async (cmd) => {
    await invoke<null>('command', { cmd });
  },
  onNavigate: (handler) => listen<string>(NAVIGATE_EVENT, (e) => handler(e.payload)),
};

/** True inside the Tauri webview (or a page that mocks it). */
export function inTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}

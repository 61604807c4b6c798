// `npm run dev` outside Tauri: an in-page stand-in for the app, with demo data and a toy reducer.
// Only loaded in dev builds (see main.ts); the real rules live in Rust.
import type { Command } from '../generated/Command';
import type { DesktopState } from '../generated/DesktopState';
import { demoState, session } from '../fixtures/states';
import type { Ipc } from './ipc';
import { hasCallControls } from './logic';

export function devIpc(): Ipc {
  let s: DesktopState = demoState(Date.now());
  const handlers = new Set<(s: DesktopState) => void>();
  const push = (next: DesktopState) => {
    s = next;
    setTimeout(() => handlers.forEach((h) => h(structuredClone(s))), 0);
  };

  function reduce(cmd: Command): void {
    switch (cmd.type) {
      case 'accept_offer': {
        const v = s.offers.find((o) => o.offer.id === cmd.data.offer);
        if (!v) throw { code: 'offer_not_pending', message: `offer ${cmd.data.offer} is not pending` };
        const o = v.offer;
        const id = Math.max(0, ...s.sessions.map((x) => x.id)) + 1;
        const ses = session(
          {
            id,
            scenario: o.scenario,
            channel: o.channel,
            customer: o.customer,
            title: o.title,
            fields: o.fields,
            call: hasCallControls(o.channel) ? 'connected' : undefined,
          },
          Date.now(),
        );
        return push({
          ...s,
          offers: s.offers.filter((x) => x !== v),
          sessions: [...s.sessions, ses],
          active_session: id,
        });
      }
      case 'reject_offer':
        return push({ ...s, offers: s.offers.filter((x) => x.offer.id !== cmd.data.offer) });
      case 'select_session':
        return push({ ...s, active_session: cmd.data.session ?? undefined });
      case 'close_session': {
        const sessions = s.sessions.filter((x) => x.id !== cmd.data.session);
        return push({ ...s, sessions, active_session: sessions[0]?.id });
      }
      case 'call_control': {
        const call = cmd.data.action === 'hold' ? 'on_hold' : cmd.data.action === 'resume' ? 'connected' : 'ended';
        return push({ ...s, sessions: s.sessions.map((x) => (x.id === cmd.data.session ? { ...x, call } : x)) });
      }
      case 'set_presence':
        return push({ ...s, me: s.me && { ...s.me, presence: cmd.data.presence } });
      case 'reset_presence':
        return push({ ...s, me: s.me && { ...s.me, banner: undefined, presence: { base: 'available' } } });
      case 'reset_agent_presence':
        return push({
          ...s,
          team: s.team.map((a) =>
            a.id === cmd.data.agent ? { ...a, banner: undefined, presence: { base: 'available' } } : a,
          ),
        });
      case 'save_settings':
        return push({ ...s, settings: cmd.data.settings });
      case 'dismiss_notice':
        return push({ ...s, notices: s.notices.filter((n) => n.id !== cmd.data.id) });
      case 'sign_in':
        return push({ ...s, settings: { ...s.settings, workspace_url: cmd.data.workspace_url, account: cmd.data.email } });
      case 'close_timeline':
        return push({ ...s, timeline: undefined });
      case 'sign_out':
        return push({ ...s, settings: { ...s.settings, account: '' } });
    }
  }

  return {
    getState: async () => structuredClone(s),
    onState: async (h) => {
      handlers.add(h);
      return () => handlers.delete(h);
    },
    command: async (cmd) => {
      console.info('[dev-ipc] command', cmd);
      reduce(cmd);
    },
  };
}

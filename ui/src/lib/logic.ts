import type { TranscriptView } from '../generated/TranscriptView';
import type { WorkItemId } from '../generated/WorkItemId';
import type { Message } from '../generated/Message';
import type { Delivery } from '../generated/Delivery';
import type { ChatMessage } from './components/MessagePanel.svelte';
// Pure view logic: labels, countdowns, ordering, what is enabled. No DOM, no IPC — unit tested.
import type { AgentSummary } from '../generated/AgentSummary';
import type { BasePresence } from '../generated/BasePresence';
import type { BlockReason } from '../generated/BlockReason';
import type { CallAction } from '../generated/CallAction';
import type { CallState } from '../generated/CallState';
import type { Channel } from '../generated/Channel';
import type { CommandError } from '../generated/CommandError';
import type { ConnectionStatus } from '../generated/ConnectionStatus';
import type { TimelineKind } from '../generated/TimelineKind';
import type { DesktopSettings } from '../generated/DesktopSettings';
import type { DesktopState } from '../generated/DesktopState';
import type { ErrorCode } from '../generated/ErrorCode';
import type { NotificationMode } from '../generated/NotificationMode';
import type { Offer } from '../generated/Offer';
import type { OfferAction } from '../generated/OfferAction';
import type { OfferId } from '../generated/OfferId';
import type { OfferView } from '../generated/OfferView';
import type { Presence } from '../generated/Presence';
import type { Scenario } from '../generated/Scenario';
import type { Session } from '../generated/Session';
import type { SessionState } from '../generated/SessionState';
import type { SettingsInput } from '../generated/SettingsInput';
import type { RingSettings } from '../generated/RingSettings';
import type { Sound } from '../generated/Sound';
import type { ToastSupport } from '../generated/ToastSupport';
// Decided in Rust (herald-protocol) and generated: labels, channels, error codes.
import { CHANNELS, ERROR_CODES, SCENARIO_LABELS } from '../generated/constants';
import { t } from './i18n.svelte';

export { CHANNELS };

// ---------- presence (R31) ----------

/** What the person may pick. Inactive is set by the system only (R24). */
export const SELECTABLE_PRESENCES: readonly BasePresence[] = [
  'available',
  'busy',
  'busy_dnd',
  'away',
  'offline',
];

export function isSelectablePresence(base: BasePresence): boolean {
  return SELECTABLE_PRESENCES.includes(base);
}

/** A base presence in words, in the window's language. */
export function basePresenceLabel(base: BasePresence): string {
  return t(`presence-${base}`);
}

/** "Available", or a custom presence with its base: "Lunch (Away)". */
export function presenceLabel(p: Presence): string {
  const base = basePresenceLabel(p.base);
  return p.custom ? t('presence-custom', { custom: p.custom, base }) : base;
}

/** The colour family of a presence dot. */
export function presenceTone(base: BasePresence): 'ok' | 'busy' | 'away' | 'off' {
  switch (base) {
    case 'available':
      return 'ok';
    case 'busy':
    case 'busy_dnd':
      return 'busy';
    case 'away':
      return 'away';
    case 'offline':
    case 'inactive':
      return 'off';
  }
}

export function bannerReasonLabel(reason: BlockReason): string {
  return t(`banner-${reason}`);
}

// ---------- scenarios, sessions, offers ----------

export function scenarioLabel(s: Scenario): string {
  return s in SCENARIO_LABELS ? t(`scenario-${s}`) : s;
}

export function sessionStateLabel(state: SessionState): string {
  return t(`session-${state}`);
}

/** Chat and SMS conversations get a transcript and composer (R10), whatever the scenario: a
 * transferred or escalated chat keeps its channel. */
export function hasMessagePanel(c: Channel): boolean {
  return CHANNELS[c]?.transcript ?? false;
}

/** The conversation of a session as the message panel draws it (R10), oldest first. */
export function chatMessages(transcripts: readonly TranscriptView[], workItem: WorkItemId): ChatMessage[] {
  const t = transcripts.find((x) => x.work_item === workItem);
  if (!t) return [];
  return t.messages.map((m: Message) => ({
    id: m.id,
    from: m.author === 'agent' ? 'agent' : m.author === 'customer' ? 'customer' : 'system',
    text: m.author === 'bot' ? `${m.author_name}: ${m.body}` : m.body,
    at: m.at,
    note: deliveryNote(m.delivery),
  }));
}

/** Words for an outbound message's delivery (SMS): nothing once sent. */
export function deliveryNote(d: Delivery | undefined): string | undefined {
  if (!d) return undefined;
  switch (d.state) {
    case 'pending':
      return d.attempts > 0 ? t('delivery-retrying', { attempt: d.attempts + 1 }) : t('delivery-sending');
    case 'sent':
      return undefined;
    case 'failed':
      return d.error ? t('delivery-failed-why', { error: d.error }) : t('delivery-failed');
  }
}

/** Voice conversations get call controls (R21), a transferred call too. */
export function hasCallControls(c: Channel): boolean {
  return CHANNELS[c]?.callControls ?? false;
}

export function offerActionLabel(action: OfferAction): string {
  return t(`action-${action}`);
}

/** Buttons in a fixed order whatever order the offer lists them in: Accept/Open item, Reject. */
export function offerButtons(actions: readonly OfferAction[]): OfferAction[] {
  const order: OfferAction[] = ['accept', 'open_item', 'reject'];
  return order.filter((a) => actions.includes(a));
}

/** Open item starts the item like Accept does (R19): both are `accept_offer`. */
export function commandForAction(action: OfferAction): 'accept_offer' | 'reject_offer' {
  return action === 'reject' ? 'reject_offer' : 'accept_offer';
}

export function callStateLabel(call: CallState): string {
  return t(`call-${call}`);
}

/** R21: which call controls can be used in a call state (none while it is unknown). */
export function callControls(call: CallState | undefined): Record<CallAction, boolean> {
  return {
    hold: call === 'connected',
    resume: call === 'on_hold',
    end: call === 'connected' || call === 'on_hold',
  };
}

// ---------- countdown (R14, R17) ----------

/** The workspace's "now": local clock plus the offset the app measured. */
export function workspaceNow(localNowMs: number, clockOffsetMs: number): number {
  return localNowMs + clockOffsetMs;
}

/** Milliseconds left before `deadline` (workspace clock), never negative. */
export function remainingMs(deadline: number, localNowMs: number, clockOffsetMs: number): number {
  return Math.max(0, deadline - workspaceNow(localNowMs, clockOffsetMs));
}

/** Whole seconds left, rounded up: shows "1" until the very end, "0" only when time is up. */
export function remainingSeconds(deadline: number, localNowMs: number, clockOffsetMs: number): number {
  return Math.ceil(remainingMs(deadline, localNowMs, clockOffsetMs) / 1000);
}

/** "45 s", "1:05", "0 s". */
export function formatCountdown(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}

/** R14: a countdown only when the template shows it and the offer has a deadline. */
export function showsCountdown(offer: Offer): offer is Offer & { deadline: number } {
  return offer.show_timeout && typeof offer.deadline === 'number';
}

/** Fraction (0–1) of the offer's time still left, for the progress bar. */
export function remainingFraction(offer: Offer, localNowMs: number, clockOffsetMs: number): number {
  if (typeof offer.deadline !== 'number') return 1;
  const total = offer.deadline - offer.created_at;
  if (total <= 0) return 0;
  return Math.min(1, remainingMs(offer.deadline, localNowMs, clockOffsetMs) / total);
}

// ---------- ordering (R13, R17) ----------

function byAge(a: OfferView, b: OfferView): number {
  return a.offer.created_at - b.offer.created_at || a.offer.id - b.offer.id;
}

/** Pending alerts, oldest first, but the focused one (R13: toast body clicked) first. */
export function orderedAlerts(offers: readonly OfferView[], focused?: OfferId | null): OfferView[] {
  const alerts = offers.filter((o) => o.offer.kind === 'alert').sort(byAge);
  const i = focused == null ? -1 : alerts.findIndex((o) => o.offer.id === focused);
  if (i > 0) alerts.unshift(...alerts.splice(i, 1));
  return alerts;
}

/** Pending popups not hidden by the person, oldest first. */
export function visiblePopups(offers: readonly OfferView[], hidden: ReadonlySet<OfferId>): OfferView[] {
  return offers.filter((o) => o.offer.kind === 'popup' && !hidden.has(o.offer.id)).sort(byAge);
}

/** Forget locally hidden popups that the app has since removed. */
export function pruneHidden(hidden: ReadonlySet<OfferId>, offers: readonly OfferView[]): Set<OfferId> {
  const live = new Set(offers.map((o) => o.offer.id));
  return new Set([...hidden].filter((id) => live.has(id)));
}

// ---------- sessions (R10) ----------

export function activeSession(state: DesktopState): Session | undefined {
  if (state.active_session == null) return undefined;
  return state.sessions.find((s) => s.id === state.active_session);
}

/** Context entries in a stable order for display. */
export function contextEntries(context: { [key in string]?: string }): [string, string][] {
  return Object.entries(context)
    .filter((e): e is [string, string] => typeof e[1] === 'string')
    .sort(([a], [b]) => a.localeCompare(b));
}

/** "case_id" → "Case id", "preChatTopic" → "Pre chat topic". */
export function humanizeKey(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_\-.]+/g, ' ')
    .trim()
    .toLowerCase();
  return words ? words[0].toUpperCase() + words.slice(1) : key;
}

// ---------- roles, connection, toasts ----------

/** R30, R34: the supervisor pane is for supervisors and admins. */
/** What each step of an offer's timeline says. */
export function timelineLabel(kind: TimelineKind): string {
  return t(`timeline-${kind}`);
}

/** How long a waiting customer has waited, in seconds, on the workspace clock. */
export function waitedSecs(item: { created_at: number }, localNowMs: number, clockOffsetMs: number): number {
  return Math.max(0, Math.floor((workspaceNow(localNowMs, clockOffsetMs) - item.created_at) / 1000));
}

/** A wait in words: "45 s", "3 min 05 s", "1 h 02 min". */
export function formatWait(secs: number): string {
  if (secs < 60) return t('wait-seconds', { s: secs });
  const m = Math.floor(secs / 60);
  if (m < 60) return t('wait-minutes', { m, s: String(secs % 60).padStart(2, '0') });
  return t('wait-hours', { h: Math.floor(m / 60), m: String(m % 60).padStart(2, '0') });
}

export function canSupervise(me: AgentSummary | undefined): boolean {
  return me?.role === 'supervisor' || me?.role === 'admin';
}

export function connectionLabel(status: ConnectionStatus): string {
  return t(`connection-${status}`);
}

export function connectionTone(status: ConnectionStatus): 'ok' | 'warn' | 'bad' {
  switch (status) {
    case 'live':
      return 'ok';
    case 'polling':
    case 'connecting':
    case 'reconnecting':
      return 'warn';
    case 'unauthorized':
    case 'needs_token':
      return 'bad';
  }
}

/** The connection needs the person to do something in Settings. */
export function needsSignIn(status: ConnectionStatus): boolean {
  return status === 'unauthorized' || status === 'needs_token';
}

/** R16: what to tell the person about desktop notifications, or nothing. */
export function toastSupportNotice(ts: ToastSupport): { kind: 'unavailable' | 'no-actions'; text: string } | null {
  if (!ts.available) {
    const detail = ts.detail?.trim() || t('toasts-unavailable-why');
    return { kind: 'unavailable', text: t('toasts-unavailable', { detail }) };
  }
  if (!ts.actions) {
    return {
      kind: 'no-actions',
      text: t('toasts-no-actions'),
    };
  }
  return null;
}

// ---------- settings (R11) ----------

export function notificationModeLabel(mode: NotificationMode): string {
  return t(`mode-${mode}`);
}

export const NOTIFICATION_MODES: readonly NotificationMode[] = ['workspace', 'always', 'background', 'off'];

/** The `save_settings` payload: the token only when the person typed one. */
export function settingsInput(settings: DesktopSettings, token: string): SettingsInput {
  const s: DesktopSettings = { ...settings, workspace_url: settings.workspace_url.trim() };
  const t = token.trim();
  return t ? { settings: s, token: t } : { settings: s };
}

/** A copy the form can edit without touching the original (shortcuts and ring are objects). */
export function copySettings(s: DesktopSettings): DesktopSettings {
  return { ...s, shortcuts: { ...s.shortcuts }, ring: { ...s.ring } };
}

/** The kinds of request that ring, each with its setting, its sound and its words in Settings. */
export const RING_KINDS: { key: Exclude<keyof RingSettings, 'until_answered' | 'volume'>; sound: Sound }[] = [
  { key: 'chat', sound: 'chat' },
  { key: 'sms', sound: 'sms' },
  { key: 'voice', sound: 'phone' },
  { key: 'case', sound: 'case' },
  { key: 'transfer', sound: 'transfer' },
];

/** The words for a kind of ring in Settings. */
export function ringKindLabel(key: (typeof RING_KINDS)[number]['key']): string {
  return t(`ring-${key}`);
}

function ringEqual(a: RingSettings, b: RingSettings): boolean {
  return a.until_answered === b.until_answered && a.volume === b.volume && RING_KINDS.every(({ key }) => a[key] === b[key]);
}

export function settingsEqual(a: DesktopSettings, b: DesktopSettings): boolean {
  return (
    a.workspace_url === b.workspace_url &&
    a.notifications === b.notifications &&
    a.sound === b.sound &&
    a.privacy === b.privacy &&
    a.demo_traffic === b.demo_traffic &&
    a.demo_as === b.demo_as &&
    a.autostart === b.autostart &&
    a.account === b.account &&
    a.screen_lock === b.screen_lock &&
    a.shortcuts.accept === b.shortcuts.accept &&
    a.shortcuts.reject === b.shortcuts.reject &&
    a.shortcuts.show === b.shortcuts.show &&
    a.language === b.language &&
    ringEqual(a.ring, b.ring)
  );
}

// ---------- errors ----------

/** The codes that get friendly words of their own (`error-<code>` in the catalogues); the
 * others show the app's own message. */
const FRIENDLY_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'offer_not_pending',
  'reject_not_allowed',
  'wrong_state',
  'forbidden',
  'not_found',
  'unauthenticated',
  'unavailable',
]);

/** Whatever a rejected `invoke` gave us, as a CommandError. */
export function toCommandError(e: unknown): CommandError {
  if (e && typeof e === 'object') {
    const o = e as { code?: unknown; message?: unknown; field?: unknown };
    const message = typeof o.message === 'string' && o.message ? o.message : t('error-failed');
    const code =
      typeof o.code === 'string' && (ERROR_CODES as readonly string[]).includes(o.code)
        ? (o.code as ErrorCode)
        : undefined;
    const out: CommandError = code ? { code, message } : { message };
    // The field the refusal is about (a form shows the words next to it).
    if (typeof o.field === 'string' && o.field) out.field = o.field;
    return out;
  }
  if (typeof e === 'string' && e) return { message: e };
  return { message: t('error-failed') };
}

/** The sentence to show for a refused command: friendly words for known codes, else the message. */
export function errorText(err: CommandError): string {
  return err.code && FRIENDLY_ERRORS.has(err.code) ? t(`error-${err.code}`) : err.message;
}

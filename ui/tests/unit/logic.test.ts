import { describe, expect, test } from 'vitest';
import {
  agent,
  offer,
  session,
  state,
  transferredCallSession,
  transferredChatSession,
  transferredChatTranscript,
  view,
} from '../../src/fixtures/states';
import { ERROR_CODES, PRESENCE_LABELS, SCENARIO_LABELS } from '../../src/generated/constants';
import type { BasePresence } from '../../src/generated/BasePresence';
import type { Scenario } from '../../src/generated/Scenario';
import type { Message } from '../../src/generated/Message';
import {
  formatWait,
  waitedSecs,
  chatMessages,
  deliveryNote,
  activeSession,
  callControls,
  canSupervise,
  CHANNELS,
  commandForAction,
  connectionTone,
  contextEntries,
  errorText,
  formatCountdown,
  hasCallControls,
  hasMessagePanel,
  humanizeKey,
  isSelectablePresence,
  needsSignIn,
  offerButtons,
  orderedAlerts,
  basePresenceLabel,
  presenceLabel,
  presenceTone,
  pruneHidden,
  remainingFraction,
  remainingMs,
  remainingSeconds,
  scenarioLabel,
  SELECTABLE_PRESENCES,
  copySettings,
  RING_KINDS,
  settingsEqual,
  settingsInput,
  showsCountdown,
  toastSupportNotice,
  toCommandError,
  visiblePopups,
} from '../../src/lib/logic';

const NOW = 1_760_000_000_000;

describe('countdown', () => {
  test('remaining time is measured on the workspace clock (local now + offset)', () => {
    // R14: the template timeout applies; the app gives the deadline on the workspace clock.
    expect(remainingMs(NOW + 30_000, NOW, 0)).toBe(30_000);
    // Workspace 2 s ahead of us: 2 s less left.
    expect(remainingMs(NOW + 30_000, NOW, 2_000)).toBe(28_000);
    // Workspace 5 s behind us: 5 s more left.
    expect(remainingMs(NOW + 30_000, NOW, -5_000)).toBe(35_000);
  });

  test('never negative once the deadline passed', () => {
    expect(remainingMs(NOW, NOW + 10_000, 0)).toBe(0);
    expect(remainingSeconds(NOW, NOW + 10_000, 0)).toBe(0);
  });

  test('seconds round up, so 0 means time is up', () => {
    expect(remainingSeconds(NOW + 30_000, NOW, 0)).toBe(30);
    expect(remainingSeconds(NOW + 29_001, NOW, 0)).toBe(30);
    expect(remainingSeconds(NOW + 1, NOW, 0)).toBe(1);
    expect(remainingSeconds(NOW, NOW, 0)).toBe(0);
  });

  test('format', () => {
    expect(formatCountdown(0)).toBe('0 s');
    expect(formatCountdown(45)).toBe('45 s');
    expect(formatCountdown(59)).toBe('59 s');
    expect(formatCountdown(60)).toBe('1:00');
    expect(formatCountdown(65)).toBe('1:05');
    expect(formatCountdown(500)).toBe('8:20'); // the largest template timeout (R20)
    expect(formatCountdown(-3)).toBe('0 s');
  });

  test('R14: a countdown only when show_timeout and a deadline', () => {
    expect(showsCountdown(offer({ id: 1 }, NOW))).toBe(true);
    expect(showsCountdown(offer({ id: 1, show_timeout: false }, NOW))).toBe(false);
    expect(showsCountdown(offer({ id: 1, deadline: undefined }, NOW))).toBe(false);
  });

  test('the progress bar is the share of the offer time left', () => {
    const o = offer({ id: 1 }, NOW, 40);
    expect(remainingFraction(o, NOW, 0)).toBe(1);
    expect(remainingFraction(o, NOW + 10_000, 0)).toBe(0.75);
    expect(remainingFraction(o, NOW + 50_000, 0)).toBe(0);
    expect(remainingFraction(offer({ id: 2, deadline: undefined }, NOW), NOW, 0)).toBe(1);
  });
});

describe('offers', () => {
  const a = view(offer({ id: 1 }, NOW - 3_000));
  const b = view(offer({ id: 2 }, NOW - 2_000));
  const c = view(offer({ id: 3 }, NOW - 1_000));
  const p = view(offer({ id: 4, kind: 'popup' }, NOW - 4_000));

  test('R17: alerts oldest first, popups apart', () => {
    expect(orderedAlerts([c, a, p, b]).map((o) => o.offer.id)).toEqual([1, 2, 3]);
    expect(visiblePopups([c, a, p, b], new Set()).map((o) => o.offer.id)).toEqual([4]);
  });

  test('R13: the focused offer comes first, the rest keep their order', () => {
    expect(orderedAlerts([a, b, c], 3).map((o) => o.offer.id)).toEqual([3, 1, 2]);
    expect(orderedAlerts([a, b, c], 1).map((o) => o.offer.id)).toEqual([1, 2, 3]);
    // A focused offer that is gone (or a popup) changes nothing.
    expect(orderedAlerts([a, b, c], 99).map((o) => o.offer.id)).toEqual([1, 2, 3]);
    expect(orderedAlerts([a, b, p], 4).map((o) => o.offer.id)).toEqual([1, 2]);
  });

  test('same creation time: ordered by id', () => {
    const x = view(offer({ id: 8 }, NOW));
    const y = view(offer({ id: 7 }, NOW));
    expect(orderedAlerts([x, y]).map((o) => o.offer.id)).toEqual([7, 8]);
  });

  test('popups hidden locally stay hidden; hidden ids of removed offers are forgotten', () => {
    const q = view(offer({ id: 5, kind: 'popup' }, NOW));
    expect(visiblePopups([p, q], new Set([4])).map((o) => o.offer.id)).toEqual([5]);
    expect([...pruneHidden(new Set([4, 5, 6]), [p, a])]).toEqual([4]);
  });

  test('buttons in a fixed order; R19: a case offers only Open item', () => {
    expect(offerButtons(['reject', 'accept'])).toEqual(['accept', 'reject']);
    expect(offerButtons(['open_item'])).toEqual(['open_item']);
    expect(offerButtons([])).toEqual([]);
  });

  test('R19: Open item accepts, like Accept; Reject rejects', () => {
    expect(commandForAction('accept')).toBe('accept_offer');
    expect(commandForAction('open_item')).toBe('accept_offer');
    expect(commandForAction('reject')).toBe('reject_offer');
  });
});

describe('presence', () => {
  test('R31: labels of the six base presences, generated from Rust', () => {
    // The English catalogue says what Rust says (the labels are generated from herald-core).
    expect(Object.keys(PRESENCE_LABELS).sort()).toEqual(['available', 'away', 'busy', 'busy_dnd', 'inactive', 'offline']);
    for (const [base, label] of Object.entries(PRESENCE_LABELS)) expect(basePresenceLabel(base as BasePresence)).toBe(label);
    expect(presenceLabel({ base: 'busy_dnd' })).toBe('Busy – Do Not Disturb');
  });

  test('R24: Inactive is set by the system, not picked', () => {
    expect(isSelectablePresence('inactive')).toBe(false);
    expect(SELECTABLE_PRESENCES).toEqual(['available', 'busy', 'busy_dnd', 'away', 'offline']);
  });

  test('R31: a custom presence shows with its base', () => {
    expect(presenceLabel({ base: 'away' })).toBe('Away');
    expect(presenceLabel({ base: 'away', custom: 'Lunch' })).toBe('Lunch (Away)');
  });

  test('tones', () => {
    const tones = (['available', 'busy', 'busy_dnd', 'away', 'offline', 'inactive'] as BasePresence[]).map(presenceTone);
    expect(tones).toEqual(['ok', 'busy', 'busy', 'away', 'off', 'off']);
  });
});

describe('sessions', () => {
  test('R10: chat and SMS channels get a message panel; R21: the voice channel gets call controls', () => {
    expect(hasMessagePanel('chat')).toBe(true);
    expect(hasMessagePanel('sms')).toBe(true);
    expect(hasMessagePanel('voice')).toBe(false);
    expect(hasMessagePanel('record')).toBe(false);
    expect(hasCallControls('voice')).toBe(true);
    expect(hasCallControls('chat')).toBe(false);
    expect(hasCallControls('sms')).toBe(false);
    expect(hasCallControls('record')).toBe(false);
    // Read from the generated table, not decided here.
    for (const c of ['chat', 'sms', 'voice', 'record'] as const) {
      expect(hasMessagePanel(c)).toBe(CHANNELS[c].transcript);
      expect(hasCallControls(c)).toBe(CHANNELS[c].callControls);
    }
  });

  test('R06, R07: a transfer or escalation keeps its channel: a transferred chat its panel, a transferred call its controls', () => {
    const chat = transferredChatSession(31, NOW);
    const call = transferredCallSession(32, NOW);
    expect([chat.scenario, chat.channel]).toEqual(['transfer', 'chat']);
    expect([call.scenario, call.channel]).toEqual(['transfer', 'voice']);
    expect(hasMessagePanel(chat.channel)).toBe(true);
    expect(hasCallControls(chat.channel)).toBe(false);
    expect(hasMessagePanel(call.channel)).toBe(false);
    expect(hasCallControls(call.channel)).toBe(true);
    const escalatedSms = session({ id: 33, scenario: 'escalation', channel: 'sms' }, NOW);
    expect(hasMessagePanel(escalatedSms.channel)).toBe(true);
    // The transcript is the earlier conversation's.
    const lines = chatMessages([transferredChatTranscript(31, NOW)], chat.conversation ?? chat.work_item);
    expect(lines.map((l) => l.from)).toEqual(['customer', 'agent']);
  });

  test('R21: call controls enabled by call state', () => {
    expect(callControls('connected')).toEqual({ hold: true, resume: false, end: true });
    expect(callControls('on_hold')).toEqual({ hold: false, resume: true, end: true });
    expect(callControls('ended')).toEqual({ hold: false, resume: false, end: false });
    expect(callControls(undefined)).toEqual({ hold: false, resume: false, end: false });
  });

  test('the active session is the one the app selected, if it still exists', () => {
    const s1 = session({ id: 1 }, NOW);
    const s2 = session({ id: 2 }, NOW);
    expect(activeSession(state({ sessions: [s1, s2], active_session: 2 }))?.id).toBe(2);
    expect(activeSession(state({ sessions: [s1], active_session: 2 }))).toBeUndefined();
    expect(activeSession(state({ sessions: [s1] }))).toBeUndefined();
  });

  test('context entries sorted, keys in words', () => {
    expect(contextEntries({ b: '2', a: '1' })).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
    expect(humanizeKey('case_id')).toBe('Case id');
    expect(humanizeKey('preChatTopic')).toBe('Pre chat topic');
    expect(humanizeKey('')).toBe('');
  });

  test('scenario labels (R1–R8)', () => {
    expect(scenarioLabel('sms')).toBe('SMS');
    expect(scenarioLabel('voice')).toBe('Voice call');
    expect(scenarioLabel('bot_escalation')).toBe('Bot escalation');
    for (const [s, label] of Object.entries(SCENARIO_LABELS)) expect(scenarioLabel(s as Scenario)).toBe(label);
  });
});

describe('roles and status', () => {
  test('R30, R34: the supervisor pane is for supervisors and admins', () => {
    expect(canSupervise(agent({ role: 'agent' }))).toBe(false);
    expect(canSupervise(agent({ role: 'supervisor' }))).toBe(true);
    expect(canSupervise(agent({ role: 'admin' }))).toBe(true);
    expect(canSupervise(undefined)).toBe(false);
  });

  test('connection tones and sign-in', () => {
    expect(connectionTone('live')).toBe('ok');
    expect(connectionTone('polling')).toBe('warn');
    expect(connectionTone('unauthorized')).toBe('bad');
    expect(needsSignIn('needs_token')).toBe(true);
    expect(needsSignIn('reconnecting')).toBe(false);
  });

  test('R16: toasts unavailable, or without buttons, are said in words', () => {
    expect(toastSupportNotice({ available: false, actions: false, detail: 'no D-Bus session' })).toEqual({
      kind: 'unavailable',
      text: 'Desktop notifications are unavailable: no D-Bus session. Alerts inside Herald keep working.',
    });
    expect(toastSupportNotice({ available: false, actions: false })?.text).toContain('unavailable:');
    expect(toastSupportNotice({ available: true, actions: false })?.kind).toBe('no-actions');
    expect(toastSupportNotice({ available: true, actions: true })).toBeNull();
  });
});

describe('settings', () => {
  const settings = state().settings;

  test('R11: the token is sent only when typed', () => {
    expect(settingsInput({ ...settings, notifications: 'background' }, '')).toEqual({
      settings: { ...settings, notifications: 'background' },
    });
    expect(settingsInput(settings, '  ')).not.toHaveProperty('token');
    expect(settingsInput(settings, ' abc ')).toEqual({ settings, token: 'abc' });
  });

  test('the URL is trimmed', () => {
    expect(settingsInput({ ...settings, workspace_url: ' https://w.example ' }, '').settings.workspace_url).toBe(
      'https://w.example',
    );
  });

  test('equality', () => {
    expect(settingsEqual(settings, { ...settings })).toBe(true);
    expect(settingsEqual(settings, { ...settings, privacy: !settings.privacy })).toBe(false);
    // Ringing: each of its fields counts, and an edited copy leaves the original alone.
    const copy = copySettings(settings);
    copy.ring.volume = 10;
    expect(settings.ring.volume).toBe(80);
    expect(settingsEqual(settings, copy)).toBe(false);
    for (const { key } of RING_KINDS) {
      expect(settingsEqual(settings, { ...settings, ring: { ...settings.ring, [key]: !settings.ring[key] } })).toBe(false);
    }
    expect(settingsEqual(settings, { ...settings, ring: { ...settings.ring, until_answered: false } })).toBe(false);
  });
});

describe('errors', () => {
  test('known codes get friendly words, not the raw message', () => {
    expect(errorText({ code: 'offer_not_pending', message: 'offer 4 is timed_out' })).toBe(
      'This request is no longer available — it was taken, withdrawn or timed out.',
    );
    expect(errorText({ code: 'reject_not_allowed', message: 'x' })).toContain('cannot be declined');
  });

  test('other codes and no code: the message', () => {
    expect(errorText({ code: 'invalid_input', message: 'workspace_url: not a URL' })).toBe('workspace_url: not a URL');
    expect(errorText({ message: 'The workspace could not be reached.' })).toBe('The workspace could not be reached.');
  });

  test('whatever invoke rejects with becomes a CommandError', () => {
    expect(toCommandError({ code: 'forbidden', message: 'no' })).toEqual({ code: 'forbidden', message: 'no' });
    expect(toCommandError({ code: 'made_up', message: 'no' })).toEqual({ message: 'no' });
    expect(toCommandError({ message: 'Wrong email or password.', field: 'password' })).toEqual({
      message: 'Wrong email or password.',
      field: 'password',
    });
    expect(toCommandError('command command not found')).toEqual({ message: 'command command not found' });
    expect(toCommandError(new Error('boom'))).toEqual({ message: 'boom' });
    expect(toCommandError(undefined)).toEqual({ message: 'The command failed.' });
  });

  test('every error code the Rust side answers with (generated) is kept', () => {
    for (const code of ERROR_CODES) expect(toCommandError({ code, message: 'm' })).toEqual({ code, message: 'm' });
  });
});

describe('messages', () => {
  const msg = (id: number, author: Message['author'], body: string, delivery?: Message['delivery']): Message => ({
    id,
    work_item: 7,
    author,
    author_name: author === 'bot' ? 'Helpbot' : author === 'agent' ? 'You' : 'Ada',
    body,
    at: 1_760_000_000_000 + id,
    delivery,
  });

  test('a session shows its own conversation, oldest first, with who wrote each line (R10)', () => {
    const transcripts = [
      { work_item: 7, messages: [msg(1, 'bot', 'What is it about?'), msg(2, 'customer', 'My order'), msg(3, 'agent', 'Hi Ada')] },
      { work_item: 8, messages: [msg(4, 'customer', 'Other chat')] },
    ];
    const lines = chatMessages(transcripts, 7);
    expect(lines.map((l) => [l.from, l.text])).toEqual([
      ['system', 'Helpbot: What is it about?'],
      ['customer', 'My order'],
      ['agent', 'Hi Ada'],
    ]);
    expect(chatMessages(transcripts, 9)).toEqual([]);
  });

  test('SMS delivery is told in words until sent', () => {
    const d = (state: 'pending' | 'sent' | 'failed', attempts = 0, error?: string) => ({
      state, attempts, channel: 'sms' as const, to: '+31612345678', from: '+3197010', error,
    });
    expect(deliveryNote(undefined)).toBeUndefined();
    expect(deliveryNote(d('pending'))).toBe('Sending…');
    expect(deliveryNote(d('pending', 2))).toBe('Sending… (attempt 3)');
    expect(deliveryNote(d('sent', 1))).toBeUndefined();
    expect(deliveryNote(d('failed', 5, 'Twilio answered 500'))).toBe('Not delivered: Twilio answered 500');
  });
});

describe('waits', () => {
  test('a wait reads in seconds, minutes or hours', () => {
    expect(formatWait(0)).toBe('0 s');
    expect(formatWait(59)).toBe('59 s');
    expect(formatWait(185)).toBe('3 min 05 s');
    expect(formatWait(3720)).toBe('1 h 02 min');
  });
  test('waited counts on the workspace clock from created_at', () => {
    expect(waitedSecs({ created_at: 10_000 }, 15_500, 0)).toBe(5);
    expect(waitedSecs({ created_at: 10_000 }, 15_500, 2_000)).toBe(7);
    expect(waitedSecs({ created_at: 20_000 }, 15_500, 0)).toBe(0);
  });
});

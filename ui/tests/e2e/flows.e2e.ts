// Page flows of the built UI in headless Chromium, with Tauri's IPC mocked in the page.
// Each flow saves a screenshot under target/test-artifacts/ui/.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  agent,
  offer,
  session,
  state,
  team,
  transferredCallSession,
  transferredChatSession,
  transferState,
  view,
  voiceSession,
} from '../../src/fixtures/states';
import { launch, openHerald, serveDist, type Herald, type OpenOptions } from './harness';
import type { DesktopState } from '../../src/generated/DesktopState';

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

const T0 = 1_760_000_000_000; // a fixed local "now" for exact countdowns

async function open(s: DesktopState, opts?: OpenOptions): Promise<Herald> {
  return openHerald(browser, server.url, s, opts);
}

describe('offers', () => {
  test('alert with countdown → Accept sends accept_offer → the chat session shows the customer (R17, R14, R10)', async () => {
    // The workspace clock is 2 minutes ahead of the local one; the countdown must use it.
    const offset = 120_000;
    const alert = offer({ id: 41 }, T0 + offset - 5_000, 35); // 30 s left on the workspace clock
    const h = await open(state({ offers: [view(alert)], clock_offset_ms: offset }), { fixedTime: T0 });
    const { page } = h;

    const card = page.locator('[data-testid="offer-alert"][data-offer-id="41"]');
    await card.waitFor();
    await expect(card.getByTestId('offer-title').textContent()).resolves.toBe('Incoming chat request');
    await expect(card.getByTestId('offer-customer').textContent()).resolves.toContain('Maria Jansen');
    await expect(card.getByTestId('offer-field').count()).resolves.toBe(3);
    await expect(card.getByTestId('countdown').getAttribute('data-seconds')).resolves.toBe('30');
    await expect(card.getByTestId('countdown').textContent()).resolves.toContain('30 s');
    await h.shot('01-alert-countdown');

    // Time passes on the page's clock: the countdown follows.
    await h.context.clock.setFixedTime(T0 + 12_000);
    await page.waitForSelector('[data-offer-id="41"] [data-testid="countdown"][data-seconds="18"]');

    await card.getByTestId('accept').click();
    const cmd = await h.waitForCommand('accept_offer');
    expect(cmd.data).toEqual({ offer: 41 });

    // The app removes the offer and opens a chat session (R10).
    await h.push(
      state({
        offers: [],
        sessions: [session({ id: 7 }, T0)],
        active_session: 7,
        clock_offset_ms: offset,
      }),
    );
    await page.locator('[data-testid="offer-alert"]').waitFor({ state: 'detached' });
    const v = page.locator('[data-testid="session-view"][data-session-id="7"]');
    await v.waitFor();
    await expect(v.getByTestId('customer-name').textContent()).resolves.toBe('Maria Jansen');
    await expect(v.getByTestId('customer-phone').textContent()).resolves.toBe('+31612345678');
    await expect(v.getByTestId('session-field').allTextContents()).resolves.toEqual([
      'Maria Jansen',
      'Delivery delayed',
    ]);
    await expect(v.getByTestId('session-context').textContent()).resolves.toContain('NL-48213');
    // Chat: the communication panel, waiting for the channel integration.
    await v.getByTestId('message-panel').waitFor();
    await expect(v.getByTestId('composer').isEnabled()).resolves.toBe(true); // R10: write to the customer
    await expect(page.locator('[data-testid="session-tab"][data-session-id="7"]').getAttribute('aria-selected')).resolves.toBe('true');
    await h.shot('02-chat-session-after-accept');
    await h.close();
  });

  test('show_timeout false: no countdown, the alert stays until the app removes it (R14)', async () => {
    const o = offer({ id: 42, show_timeout: false }, T0, 90);
    const h = await open(state({ offers: [view(o)] }), { fixedTime: T0 });
    const card = h.page.locator('[data-testid="offer-alert"][data-offer-id="42"]');
    await card.waitFor();
    await expect(card.getByTestId('countdown').count()).resolves.toBe(0);
    await expect(h.page.getByTestId('countdown').count()).resolves.toBe(0);
    await h.shot('03-alert-no-countdown');
    await h.push(state({ offers: [] }));
    await card.waitFor({ state: 'detached' });
    await h.close();
  });

  test('a case that cannot be declined offers only "Open item", which accepts (R19)', async () => {
    const o = offer(
      {
        id: 43,
        scenario: 'case',
        channel: 'record',
        title: 'Case assigned to you',
        actions: ['open_item'],
        customer: { name: 'Jan Bakker' },
        fields: [
          { label: 'Case', value: 'CAS-0192' },
          { label: 'Title', value: 'Broken delivery' },
        ],
      },
      Date.now(),
      60,
    );
    const h = await open(state({ offers: [view(o)] }));
    const card = h.page.locator('[data-testid="offer-alert"][data-offer-id="43"]');
    await card.waitFor();
    await expect(card.locator('button').allTextContents()).resolves.toEqual(['Open item']);
    await expect(card.getByTestId('accept').count()).resolves.toBe(0);
    await expect(card.getByTestId('reject').count()).resolves.toBe(0);
    await h.shot('04-case-open-item-only');
    await card.getByTestId('open-item').click();
    expect((await h.waitForCommand('accept_offer')).data).toEqual({ offer: 43 });
    await h.close();
  });

  test('a refused Accept (offer_not_pending) is shown in words, and can be dismissed', async () => {
    const o = offer({ id: 44 }, Date.now(), 30);
    const h = await open(state({ offers: [view(o)] }), {
      failures: { accept_offer: { code: 'offer_not_pending', message: 'offer 44 is timed_out' } },
    });
    await h.page.locator('[data-offer-id="44"] [data-testid="accept"]').click();
    const err = h.page.getByTestId('command-error');
    await err.waitFor();
    await expect(err.getAttribute('data-code')).resolves.toBe('offer_not_pending');
    await expect(err.textContent()).resolves.toContain(
      'This request is no longer available — it was taken, withdrawn or timed out.',
    );
    await h.shot('05-command-error');
    await err.getByTestId('dismiss-error').click();
    await err.waitFor({ state: 'detached' });
    await h.close();
  });

  test('a refused Reject without a known code shows the app\'s message', async () => {
    const o = offer({ id: 45 }, Date.now(), 30);
    const h = await open(state({ offers: [view(o)] }), {
      failures: { reject_offer: { message: 'The workspace could not be reached.' } },
    });
    await h.page.locator('[data-offer-id="45"] [data-testid="reject"]').click();
    expect((await h.waitForCommand('reject_offer')).data).toEqual({ offer: 45 });
    const err = h.page.getByTestId('command-error');
    await err.waitFor();
    await expect(err.textContent()).resolves.toContain('The workspace could not be reached.');
    await h.close();
  });

  test('several alerts stack oldest first; the focused one (toast body clicked) comes first, highlighted (R13)', async () => {
    const now = Date.now();
    const a = offer({ id: 51, customer: { name: 'First Customer' } }, now - 20_000, 60);
    const b = offer({ id: 52, customer: { name: 'Second Customer' }, scenario: 'sms', channel: 'sms', title: 'Incoming SMS' }, now - 10_000, 60);
    const c = offer({ id: 53, customer: { name: 'Third Customer' }, scenario: 'voice', channel: 'voice', title: 'Incoming call' }, now, 60);
    const h = await open(state({ offers: [view(a), view(b), view(c)] }));
    const ids = () => h.page.locator('[data-testid="offer-alert"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-offer-id')));
    await h.page.locator('[data-testid="offer-alert"]').first().waitFor();
    await expect(ids()).resolves.toEqual(['51', '52', '53']);
    await expect(h.page.getByTestId('alert-count').textContent()).resolves.toContain('3 requests waiting');

    await h.push(state({ offers: [view(a), view(b), view(c)], focused_offer: 53 }));
    await h.page.waitForSelector('[data-testid="offer-alert"][data-offer-id="53"][data-focused="true"]');
    await expect(ids()).resolves.toEqual(['53', '51', '52']);
    // Keyboard focus lands on the focused alert's first button.
    await h.page.waitForFunction(() => document.activeElement?.closest('[data-focused="true"]') !== null);
    await h.shot('06-alerts-stacked-focused');
    await h.close();
  });

  test('a popup disappears when the app removes its offer; × hides it locally (R17)', async () => {
    const now = Date.now();
    const p1 = offer(
      { id: 61, kind: 'popup', scenario: 'work_item', channel: 'record', title: 'Work item assigned', actions: [], show_timeout: false },
      now,
      20,
    );
    const p2 = offer(
      { id: 62, kind: 'popup', scenario: 'transfer', channel: 'chat', title: 'Conversation transferred to you', actions: ['accept'] },
      now,
      20,
    );
    const h = await open(state({ offers: [view(p1), view(p2)] }));
    const pop1 = h.page.locator('[data-testid="offer-popup"][data-offer-id="61"]');
    const pop2 = h.page.locator('[data-testid="offer-popup"][data-offer-id="62"]');
    await pop1.waitFor();
    await pop2.waitFor();
    await expect(h.page.getByTestId('offer-alert').count()).resolves.toBe(0);
    await h.shot('07-popups');

    await h.push(state({ offers: [view(p2)] }));
    await pop1.waitFor({ state: 'detached' });
    await expect(pop2.isVisible()).resolves.toBe(true);

    await pop2.getByTestId('popup-dismiss').click();
    await pop2.waitFor({ state: 'detached' });
    expect(await h.commands()).toEqual([]); // hiding is local
    await h.close();
  });
});

describe('presence and banner', () => {
  test('banner with Reset presence sends reset_presence and goes when the app clears it (R24, R28, R29)', async () => {
    const me = agent({
      presence: { base: 'busy_dnd' },
      banner: { reason: 'rejected', message: 'You rejected a request, so your presence is Do Not Disturb.' },
    });
    const h = await open(state({ me }));
    const banner = h.page.getByTestId('banner');
    await banner.waitFor();
    await expect(banner.getAttribute('data-reason')).resolves.toBe('rejected');
    await expect(banner.textContent()).resolves.toContain('You rejected a request');
    await expect(h.page.getByTestId('presence-select').inputValue()).resolves.toBe('busy_dnd');
    await h.shot('08-banner');
    await banner.getByTestId('reset-presence').click();
    const cmd = await h.waitForCommand('reset_presence');
    expect(cmd).toEqual({ type: 'reset_presence' });
    await h.push(state({ me: agent({ presence: { base: 'available' } }) }));
    await banner.waitFor({ state: 'detached' });
    await h.close();
  });

  test('missed-request banner shows Inactive, which cannot be picked; picking Away sends set_presence (R24, R31)', async () => {
    const me = agent({
      presence: { base: 'inactive' },
      banner: { reason: 'missed', message: 'You missed a request. Your presence is set to Inactive.' },
    });
    const h = await open(state({ me }));
    const select = h.page.getByTestId('presence-select');
    await expect(select.inputValue()).resolves.toBe('inactive');
    const options = await select.locator('option').evaluateAll((os) =>
      os.map((o) => ({ value: (o as HTMLOptionElement).value, disabled: (o as HTMLOptionElement).disabled, text: o.textContent?.trim() })),
    );
    expect(options).toEqual([
      { value: 'inactive', disabled: true, text: 'Inactive' },
      { value: 'available', disabled: false, text: 'Available' },
      { value: 'busy', disabled: false, text: 'Busy' },
      { value: 'busy_dnd', disabled: false, text: 'Busy – Do Not Disturb' },
      { value: 'away', disabled: false, text: 'Away' },
      { value: 'offline', disabled: false, text: 'Offline' },
    ]);
    await select.selectOption('away');
    expect((await h.waitForCommand('set_presence')).data).toEqual({ presence: { base: 'away' } });
    await h.push(state({ me: agent({ presence: { base: 'away' } }) }));
    await h.page.waitForFunction(() => !document.querySelector('[data-testid="presence-select"] option[value="inactive"]'));
    await expect(select.inputValue()).resolves.toBe('away');
    await h.close();
  });

  test('a refused presence change puts the selector back', async () => {
    const h = await open(state(), { failures: { set_presence: { code: 'forbidden', message: 'no' } } });
    const select = h.page.getByTestId('presence-select');
    await select.selectOption('busy');
    await h.page.getByTestId('command-error').waitFor();
    await expect(h.page.getByTestId('command-error').textContent()).resolves.toContain('You are not allowed to do that.');
    await h.page.waitForFunction(
      () => (document.querySelector('[data-testid="presence-select"]') as HTMLSelectElement).value === 'available',
    );
    await h.close();
  });
});

describe('sessions', () => {
  test('voice session call controls follow the call state (R21)', async () => {
    const now = Date.now();
    const sessions = [session({ id: 8 }, now - 60_000), voiceSession(9, now)];
    const h = await open(state({ sessions, active_session: 9 }));
    const v = h.page.locator('[data-testid="session-view"][data-session-id="9"]');
    await v.waitFor();
    await expect(v.getByTestId('customer-name').textContent()).resolves.toBe('Peter de Vries');
    await expect(v.getByTestId('message-panel').count()).resolves.toBe(0);
    const enabled = async () => ({
      hold: await v.getByTestId('call-hold').isEnabled(),
      resume: await v.getByTestId('call-resume').isEnabled(),
      end: await v.getByTestId('call-end').isEnabled(),
    });
    await expect(v.getByTestId('call-state').textContent()).resolves.toBe('Connected');
    expect(await enabled()).toEqual({ hold: true, resume: false, end: true });
    await h.shot('09-voice-call-controls');

    await v.getByTestId('call-hold').click();
    expect((await h.waitForCommand('call_control')).data).toEqual({ session: 9, action: 'hold' });
    await h.push(state({ sessions: [sessions[0], voiceSession(9, now, 'on_hold')], active_session: 9 }));
    await h.page.waitForSelector('[data-testid="call-controls"][data-call="on_hold"]');
    expect(await enabled()).toEqual({ hold: false, resume: true, end: true });

    await v.getByTestId('call-resume').click();
    await h.page.waitForFunction(() => window.__heraldMock.commands.length === 2);
    expect((await h.commands())[1]).toEqual({ type: 'call_control', data: { session: 9, action: 'resume' } });

    await h.push(state({ sessions: [sessions[0], voiceSession(9, now, 'ended')], active_session: 9 }));
    await h.page.waitForSelector('[data-testid="call-controls"][data-call="ended"]');
    expect(await enabled()).toEqual({ hold: false, resume: false, end: false });

    // Sessions side by side: pick the chat, then close it.
    await h.page.locator('[data-testid="session-tab"][data-session-id="8"]').click();
    expect((await h.waitForCommand('select_session')).data).toEqual({ session: 8 });
    await h.push(state({ sessions: [sessions[0], voiceSession(9, now, 'ended')], active_session: 8 }));
    await h.page.locator('[data-testid="session-view"][data-session-id="8"]').waitFor();
    await h.page.getByTestId('close-session').click();
    expect((await h.waitForCommand('close_session')).data).toEqual({ session: 8 });
    await h.close();
  });

  test('a chat session shows the transcript and Send sends send_message (R10)', async () => {
    const now = Date.now();
    const chat = session({ id: 5 }, now);
    const line = (id: number, author: 'customer' | 'agent', body: string) => ({
      id, work_item: chat.work_item, author, author_name: author === 'agent' ? 'You' : chat.customer.name, body, at: now + id,
    });
    const h = await open(state({ sessions: [chat], active_session: 5, transcripts: [{ work_item: chat.work_item, messages: [line(1, 'customer', 'Where is my order?')] }] }));
    const panel = h.page.getByTestId('message-panel');
    await panel.waitFor();
    await expect(panel.getByTestId('message').first().textContent()).resolves.toContain('Where is my order?');
    await h.page.getByTestId('composer').fill('Let me check that for you.');
    await h.page.getByTestId('send').click();
    expect((await h.waitForCommand('send_message')).data).toEqual({ session: 5, body: 'Let me check that for you.' });
    await expect(h.page.getByTestId('composer').inputValue()).resolves.toBe('');
    await h.push(state({
      sessions: [chat], active_session: 5, revision: 2,
      transcripts: [{ work_item: chat.work_item, messages: [line(1, 'customer', 'Where is my order?'), line(2, 'agent', 'Let me check that for you.')] }],
    }));
    await h.page.waitForSelector('[data-testid="message"][data-from="agent"]');
    await h.shot('10-chat-transcript');
  });

  test('R06 R10 R21: a transferred chat shows its transcript and composer, a transferred call its controls', async () => {
    const now = Date.now();
    const s = transferState(now, 31, 32);
    const h = await open(s);

    // The transferred chat: scenario "transfer", channel "chat" — the earlier conversation and a composer.
    const chat = h.page.locator('[data-testid="session-view"][data-session-id="31"]');
    await chat.waitFor();
    await expect(chat.getAttribute('data-scenario')).resolves.toBe('transfer');
    await expect(chat.getAttribute('data-channel')).resolves.toBe('chat');
    await expect(chat.getByTestId('session-title').textContent()).resolves.toBe(transferredChatSession(31, now).title);
    const panel = chat.getByTestId('message-panel');
    await panel.waitFor();
    await expect(panel.isVisible()).resolves.toBe(true);
    await expect(panel.getByTestId('message').allTextContents()).resolves.toEqual([
      expect.stringContaining('My invoice is wrong.'),
      expect.stringContaining('I will pass you to billing.'),
    ]);
    await expect(panel.getByTestId('composer').isVisible()).resolves.toBe(true);
    await expect(panel.getByTestId('composer').isEnabled()).resolves.toBe(true);
    await expect(panel.getByTestId('send').isVisible()).resolves.toBe(true);
    await expect(chat.getByTestId('call-controls').count()).resolves.toBe(0);
    await panel.getByTestId('composer').fill('Hello Ada, billing here.');
    await panel.getByTestId('send').click();
    expect((await h.waitForCommand('send_message')).data).toEqual({ session: 31, body: 'Hello Ada, billing here.' });
    await h.shot('15-transferred-chat');

    // The transferred call: scenario "transfer", channel "voice" — call controls, no message panel.
    await h.page.locator('[data-testid="session-tab"][data-session-id="32"]').click();
    expect((await h.waitForCommand('select_session')).data).toEqual({ session: 32 });
    await h.push({ ...s, active_session: 32, revision: 2 });
    const call = h.page.locator('[data-testid="session-view"][data-session-id="32"]');
    await call.waitFor();
    await expect(call.getAttribute('data-scenario')).resolves.toBe('transfer');
    await expect(call.getAttribute('data-channel')).resolves.toBe('voice');
    await expect(call.getByTestId('session-title').textContent()).resolves.toBe(transferredCallSession(32, now).title);
    const controls = call.getByTestId('call-controls');
    await controls.waitFor();
    await expect(controls.getAttribute('data-call')).resolves.toBe('connected');
    await expect(call.getByTestId('call-hold').isVisible()).resolves.toBe(true);
    await expect(call.getByTestId('call-hold').isEnabled()).resolves.toBe(true);
    await expect(call.getByTestId('call-end').isVisible()).resolves.toBe(true);
    await expect(call.getByTestId('call-end').isEnabled()).resolves.toBe(true);
    await expect(h.page.getByTestId('message-panel').count()).resolves.toBe(0);
    await call.getByTestId('call-hold').click();
    expect((await h.waitForCommand('call_control')).data).toEqual({ session: 32, action: 'hold' });
    await h.shot('16-transferred-call');
    await h.close();
  });

  test('an assigned case opens from its session with "Open item" (R19)', async () => {
    const now = Date.now();
    const c = session({ id: 6, scenario: 'case', channel: 'record', state: 'assigned', opened_at: undefined, title: 'Case assigned: CAS-9' }, now);
    const h = await open(state({ sessions: [c], active_session: 6 }));
    await h.page.getByTestId('open-session').click();
    expect((await h.waitForCommand('open_session')).data).toEqual({ session: 6 });
    await h.push(state({ sessions: [{ ...c, state: 'open', opened_at: now }], active_session: 6, revision: 2 }));
    await h.page.waitForSelector('[data-testid="session-view"][data-state="open"]');
    await expect(h.page.getByTestId('open-session').count()).resolves.toBe(0);
    await h.shot('11-case-opened');
  });

  test('with no session, an empty state says what to expect', async () => {
    const h = await open(state());
    const empty = h.page.getByTestId('no-session');
    await empty.waitFor();
    await expect(empty.textContent()).resolves.toContain('When a customer asks for you');
    await h.shot('10-empty');
    await h.close();
  });
});

describe('supervisor pane', () => {
  test('only agents with the supervisor or admin role get the Team button (R30)', async () => {
    const h = await open(state({ me: agent({ role: 'agent' }) }));
    await expect(h.page.getByTestId('open-supervisor').count()).resolves.toBe(0);
    await expect(h.page.getByTestId('supervisor-pane').count()).resolves.toBe(0);
    await h.push(state({ me: agent({ role: 'admin' }), team: team() }));
    await h.page.getByTestId('open-supervisor').waitFor();
    await h.close();
  });

  test('the team table is live and Reset presence sends the agent id (R30, R34)', async () => {
    const me = agent({ id: 2, name: 'Sam Supervisor', role: 'supervisor' });
    const h = await open(state({ me, team: team() }));
    await h.page.getByTestId('open-supervisor').click();
    const pane = h.page.getByTestId('supervisor-pane');
    await pane.waitFor();
    await expect(pane.getByTestId('team-row').count()).resolves.toBe(4);
    const chris = pane.locator('[data-testid="team-row"][data-agent-id="3"]');
    await expect(chris.getByTestId('team-presence').textContent()).resolves.toContain('Inactive');
    await expect(chris.getByTestId('team-banner').textContent()).resolves.toContain('Missed request');
    await expect(chris.getByTestId('team-missed').textContent()).resolves.toBe('2');
    await expect(pane.locator('[data-agent-id="5"] [data-testid="team-presence"]').textContent()).resolves.toContain(
      'Lunch (Away)',
    );
    await h.shot('11-supervisor-pane');

    await chris.getByTestId('reset-agent-presence').click();
    expect((await h.waitForCommand('reset_agent_presence')).data).toEqual({ agent: 3 });

    // Live: the next push re-renders the row.
    const after = team().map((a) => (a.id === 3 ? { ...a, banner: undefined, presence: { base: 'available' as const } } : a));
    await h.push(state({ me, team: after }));
    await h.page.waitForFunction(
      () =>
        document.querySelector('[data-agent-id="3"] [data-testid="team-presence"]')?.textContent?.includes('Available') ??
        false,
    );
    await expect(chris.getByTestId('team-banner').textContent()).resolves.toContain('—');
    await h.close();
  });
});

describe('queue board', () => {
  test('who waits shows per queue, live, and a supervisor sends a customer to a chosen agent', async () => {
    const me = agent({ id: 2, name: 'Sam Supervisor', role: 'supervisor' });
    const now = Date.now();
    const waiting = {
      work_item: 41,
      scenario: 'chat' as const,
      channel: 'chat' as const,
      customer: { name: 'Ada Customer' },
      created_at: now - 185_000,
      queued_since: now - 185_000,
      waited_secs: 185,
      declined_by: [3],
    };
    const line = {
      queue: 7,
      name: 'Support',
      waiting: 1,
      longest_wait_secs: 185,
      offers_out: 0,
      agents: [
        { presence: 'away' as const, agents: 2 },
        { presence: 'inactive' as const, agents: 1 },
      ],
      connected: 3,
    };
    const h = await open(state({ me, team: team(), board: [{ line, waiting: [waiting] }] }));
    await h.page.getByTestId('open-supervisor').click();
    const board = h.page.getByTestId('queue-board');
    await board.waitFor();
    const q = board.locator('[data-testid="queue-line"][data-queue-id="7"]');
    await expect(q.getByTestId('queue-waiting').textContent()).resolves.toContain('1');
    await expect(q.getByTestId('queue-longest').textContent()).resolves.toContain('3 min');
    await expect(q.getByTestId('queue-presence').textContent()).resolves.toContain('Away 2');
    const row = q.locator('[data-testid="waiting-item"][data-item-id="41"]');
    await expect(row.textContent()).resolves.toContain('Ada Customer');
    await expect(row.getByTestId('direct-offer').isDisabled()).resolves.toBe(true);
    await h.shot('14-queue-board');

    await row.getByTestId('direct-agent').selectOption({ index: 1 });
    await row.getByTestId('direct-offer').click();
    const cmd = await h.waitForCommand('direct');
    expect(cmd.data).toEqual({ item: 41, agent: team()[0].id, how: 'offer' });

    // Live: the next state has nobody waiting.
    await h.push(state({ me, team: team(), board: [{ line: { ...line, waiting: 0, offers_out: 1 }, waiting: [] }] }));
    await h.page.waitForFunction(() => document.querySelectorAll('[data-testid="waiting-item"]').length === 0);
    await expect(q.getByTestId('queue-offers-out').textContent()).resolves.toContain('1');
    await h.close();
  });
});

describe('why was it missed', () => {
  test('the missed banner opens the offer\'s timeline and it reads step by step', async () => {
    const base = state();
    const me = { ...base.me!, presence: { base: 'inactive' as const }, banner: { reason: 'missed' as const, message: 'You missed a request.' } };
    const h = await open(state({ me, missed_offer: 7 }));
    const why = h.page.getByTestId('why-missed');
    await why.click();
    expect((await h.waitForCommand('show_timeline')).data).toEqual({ offer: 7 });
    const at = Date.now() - 60_000;
    const offer = { ...base.offers[0]?.offer, id: 7, title: 'Chat with Ada' };
    const steps = [
      { at, kind: 'offered' as const, agent: me.id, detail: 'Chat with Ada' },
      { at: at + 400, kind: 'shown' as const, agent: me.id, detail: '' },
      { at: at + 5_000, kind: 'toast_dismissed' as const, agent: me.id, detail: 'closed without choosing' },
      { at: at + 30_000, kind: 'timed_out' as const, agent: me.id, detail: '' },
      { at: at + 30_010, kind: 'offered_next' as const, agent: 99, detail: 'offer-12' },
    ];
    await h.push(state({ me, missed_offer: 7, timeline: { offer: offer as never, steps } }));
    const panel = h.page.getByTestId('timeline');
    await panel.waitFor();
    await expect(panel.getByTestId('timeline-step').count()).resolves.toBe(5);
    const text = await panel.textContent();
    expect(text).toContain('Toast closed without an answer');
    expect(text).toContain('Nobody answered in time');
    expect(text).toContain('Offered — you');
    await h.shot('15-why-missed');
    await panel.getByTestId('close-timeline').click();
    await h.waitForCommand('close_timeline');
    await h.close();
  });
});

describe('settings', () => {
  test('Save sends the chosen settings and the typed token (R11)', async () => {
    const h = await open(state());
    await h.page.getByTestId('open-settings').click();
    const pane = h.page.getByTestId('settings-pane');
    await pane.waitFor();
    await expect(pane.getByTestId('settings-data-dir').textContent()).resolves.toBe('/home/alex/.local/share/herald');
    await expect(pane.getByTestId('settings-toast-server').textContent()).resolves.toBe('Xfce Notify Daemon 0.8.2');
    await expect(pane.getByTestId('notif-workspace').isChecked()).resolves.toBe(true);
    await expect(pane.getByTestId('settings-demo').isEnabled()).resolves.toBe(true);

    await pane.getByTestId('settings-url').fill('https://herald.example.org');
    await expect(pane.getByTestId('settings-demo').isEnabled()).resolves.toBe(false);
    await pane.getByTestId('settings-token').fill('s3cret-token');
    await pane.getByTestId('notif-background').check();
    await pane.getByTestId('settings-privacy').check();
    await pane.getByTestId('settings-autostart').check();
    await pane.getByTestId('shortcut-accept').fill('Ctrl+Shift+A');
    // Ringing (never-miss, item 1): once, quieter, no SMS sound; the test button plays the
    // phone ring at the volume being chosen, before it is saved.
    await pane.getByTestId('ring-once').check();
    await pane.getByTestId('ring-volume').fill('40');
    await expect(pane.getByTestId('ring-volume-value').textContent()).resolves.toBe('40 %');
    await pane.getByTestId('ring-sms').uncheck();
    await pane.getByTestId('ring-test-voice').click();
    const test = await h.waitForCommand('test_sound');
    expect(test.data).toEqual({ sound: 'phone', volume: 40 });
    await h.shot('12-settings');
    await pane.getByTestId('settings-save').click();
    const cmd = await h.waitForCommand('save_settings');
    expect(cmd.data).toEqual({
      settings: {
        workspace_url: 'https://herald.example.org',
        notifications: 'background',
        sound: true,
        privacy: true,
        demo_traffic: true,
        demo_as: 'agent',
        autostart: true,
        account: '',
        screen_lock: 'set_away',
        shortcuts: { accept: 'Ctrl+Shift+A', reject: 'Ctrl+Alt+R', show: 'Ctrl+Alt+H' },
        ring: { until_answered: false, volume: 40, chat: true, sms: false, voice: true, case: true, transfer: true },
      },
      token: 's3cret-token',
    });
    await pane.getByTestId('settings-saved').waitFor();
    await expect(pane.getByTestId('settings-token').inputValue()).resolves.toBe('');

    // Without a typed token no token is sent: the stored one stays.
    await pane.getByTestId('notif-always').check();
    await pane.getByTestId('settings-save').click();
    await h.page.waitForFunction(() => window.__heraldMock.commands.length === 3);
    const second = (await h.commands())[2];
    expect(second).toEqual({
      type: 'save_settings',
      data: {
        settings: {
          workspace_url: 'https://herald.example.org',
          notifications: 'always',
          sound: true,
          privacy: true,
          demo_traffic: true,
          demo_as: 'agent',
          autostart: true,
          account: '',
          screen_lock: 'set_away',
          shortcuts: { accept: 'Ctrl+Shift+A', reject: 'Ctrl+Alt+R', show: 'Ctrl+Alt+H' },
          ring: { until_answered: false, volume: 40, chat: true, sms: false, voice: true, case: true, transfer: true },
        },
      },
    });
    await h.close();
  });

  test('the embedded demo can be seen as its supervisor (R34)', async () => {
    const h = await open(state());
    await h.page.getByTestId('open-settings').click();
    const pane = h.page.getByTestId('settings-pane');
    await pane.getByTestId('settings-demo-as').selectOption('supervisor');
    await pane.getByTestId('settings-save').click();
    const cmd = await h.waitForCommand('save_settings');
    expect((cmd.data as { settings: { demo_as: string } }).settings.demo_as).toBe('supervisor');
    // With a workspace URL the choice does not apply.
    await pane.getByTestId('settings-url').fill('https://herald.example.org');
    await expect(pane.getByTestId('settings-demo-as').isEnabled()).resolves.toBe(false);
    await h.close();
  });

  test('the tray\'s "Settings…" (herald://navigate) and a #settings URL open the pane', async () => {
    const h = await open(state());
    await h.page.getByTestId('no-session').waitFor();
    await h.page.evaluate(() => window.__heraldMock.emit('herald://navigate', 'settings'));
    await h.page.getByTestId('settings-pane').waitFor();
    await h.close();

    const h2 = await open(state(), { hash: '#settings' });
    await h2.page.getByTestId('settings-pane').waitFor();
    await h2.close();
  });

  test('Sign in sends the address, email and password once, shows who is signed in where, and signs out', async () => {
    const h = await open(state());
    await h.page.getByTestId('open-settings').click();
    const card = h.page.getByTestId('sign-in');
    await card.waitFor();
    await card.getByTestId('sign-in-url').fill(' https://herald.example.org ');
    await card.getByTestId('sign-in-email').fill('ada@example.org');
    await card.getByTestId('sign-in-password').fill('correct horse battery');
    await h.shot('13-sign-in');
    await card.getByTestId('sign-in-submit').click();
    const cmd = await h.waitForCommand('sign_in');
    expect(cmd.data).toEqual({ workspace_url: 'https://herald.example.org', email: 'ada@example.org', password: 'correct horse battery' });
    await expect(card.getByTestId('sign-in-password').inputValue()).resolves.toBe('');

    // The app signed in: its state says who and where.
    const s = state();
    await h.push({ ...s, settings: { ...s.settings, workspace_url: 'https://herald.example.org', account: 'ada@example.org' } });
    const who = card.getByTestId('signed-in-as');
    await who.waitFor();
    const text = await who.textContent();
    expect(text).toContain('ada@example.org');
    expect(text).toContain('https://herald.example.org');
    expect(text).toContain(s.me!.name);
    await card.getByTestId('sign-out').click();
    await h.waitForCommand('sign_out');
    await h.close();
  });

  test('a refused sign-in shows the words next to the field they are about', async () => {
    const h = await open(state(), {
      failures: { sign_in: { code: 'unauthenticated', message: 'Wrong email or password.', field: 'password' } },
    });
    await h.page.getByTestId('open-settings').click();
    const card = h.page.getByTestId('sign-in');
    await card.getByTestId('sign-in-url').fill('https://herald.example.org');
    await card.getByTestId('sign-in-email').fill('ada@example.org');
    await card.getByTestId('sign-in-password').fill('wrong');
    await card.getByTestId('sign-in-submit').click();
    const err = card.getByTestId('sign-in-password-error');
    await err.waitFor();
    await expect(err.textContent()).resolves.toBe('Wrong email or password.');
    await expect(card.getByTestId('sign-in-url-error').count()).resolves.toBe(0);

    await h.page.evaluate(() =>
      window.__heraldMock.fail('sign_in', {
        message: 'Herald cannot reach https://nowhere.example (connection refused). Check the address and your network.',
        field: 'workspace_url',
      }),
    );
    await card.getByTestId('sign-in-submit').click();
    const urlErr = card.getByTestId('sign-in-url-error');
    await urlErr.waitFor();
    await expect(urlErr.textContent()).resolves.toContain('cannot reach');
    await expect(card.getByTestId('sign-in-password-error').count()).resolves.toBe(0);
    await h.close();
  });

  test('a refused save is shown in the pane', async () => {
    const h = await open(state(), {
      failures: { save_settings: { code: 'invalid_input', message: 'workspace_url: not a URL' } },
    });
    await h.page.getByTestId('open-settings').click();
    await h.page.getByTestId('notif-off').check();
    await h.page.getByTestId('settings-save').click();
    const err = h.page.getByTestId('settings-error');
    await err.waitFor();
    await expect(err.textContent()).resolves.toBe('workspace_url: not a URL');
    await h.close();
  });
});

describe('status', () => {
  test('toasts unavailable (R16), connection status, notices and their dismissal', async () => {
    const s = state({
      connection: {
        status: 'reconnecting',
        workspace_url: 'https://herald.example.org',
        embedded: false,
        data_dir: '/home/alex/.local/share/herald',
        detail: 'Cannot reach the workspace; retrying in 4 s.',
      },
      toasts: { available: false, actions: false, detail: 'no notification daemon is running' },
      notices: [
        { id: 3, level: 'warning', text: 'The workspace ignored the Always setting for cases.' },
        { id: 4, level: 'error', text: 'Accept failed: the workspace could not be reached.', code: 'internal' },
      ],
    });
    const h = await open(s);
    const toast = h.page.getByTestId('toast-unavailable');
    await toast.waitFor();
    await expect(toast.textContent()).resolves.toContain(
      'Desktop notifications are unavailable: no notification daemon is running. Alerts inside Herald keep working.',
    );
    const conn = h.page.getByTestId('connection');
    await expect(conn.getAttribute('data-status')).resolves.toBe('reconnecting');
    await expect(conn.getAttribute('title')).resolves.toBe('Cannot reach the workspace; retrying in 4 s.');
    await expect(h.page.getByTestId('connection-detail').textContent()).resolves.toContain('retrying in 4 s');
    await expect(h.page.getByTestId('embedded-badge').count()).resolves.toBe(0);
    await expect(h.page.getByTestId('notice').count()).resolves.toBe(2);
    await h.shot('13-status-notices');

    await h.page.locator('[data-testid="notice"][data-notice-id="3"] [data-testid="dismiss-notice"]').click();
    expect((await h.waitForCommand('dismiss_notice')).data).toEqual({ id: 3 });
    await h.push({ ...s, notices: s.notices.slice(1), toasts: { available: true, actions: false } });
    await h.page.locator('[data-notice-id="3"]').waitFor({ state: 'detached' });
    await h.page.getByTestId('toast-no-actions').waitFor();
    await h.close();
  });

  test('needs_token points the person to Settings; embedded workspace is labelled', async () => {
    const h = await open(
      state({
        me: undefined,
        connection: {
          status: 'needs_token',
          workspace_url: 'https://herald.example.org',
          embedded: false,
          data_dir: '/d',
        },
      }),
    );
    await expect(h.page.getByTestId('agent-name').textContent()).resolves.toBe('Signing in…');
    await h.page.getByTestId('sign-in-notice').getByRole('button', { name: 'Open Settings' }).click();
    await h.page.getByTestId('settings-pane').waitFor();
    await h.push(state());
    await h.page.getByTestId('embedded-badge').waitFor();
    await h.close();
  });

  test('a busy screen in the dark theme', async () => {
    const { demoState } = await import('../../src/fixtures/states');
    const h = await open(demoState(T0), { fixedTime: T0 + 3_000, colorScheme: 'dark' });
    await h.page.locator('[data-testid="offer-alert"]').first().waitFor();
    await h.page.getByTestId('offer-popup').waitFor();
    await h.shot('14-busy-dark');
    await h.close();
  });
});

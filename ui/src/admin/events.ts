// The signed-in person's event log, live (GET /v1/events): server-sent events read with fetch(),
// because EventSource cannot send the bearer token. The stream carries `event: agent_event` with
// an EventEnvelope (its SSE id is the entry's seq) and `event: resync` with a Resync when the log
// cannot resume where asked (its id is `first_seq - 1`); comments are keep-alives (every 15 s).
// A dropped stream is opened again after a short backoff, resuming just before the last entry
// seen (see streamOnce), so no entry is lost or handed on twice.
import type { EventEnvelope } from '../generated/EventEnvelope';
import type { Resync } from '../generated/Resync';

/** One event of a text/event-stream. */
export type SseEvent = { event: string; data: string; id: string | null };

/**
 * Splits a text/event-stream into events, chunk by chunk (the HTML living standard's rules):
 * lines end with CRLF, LF or CR; `field: value` (one space after the colon is dropped); a line
 * starting with `:` is a comment; a blank line dispatches the event if it has data.
 */
export class SseParser {
  private buffer = '';
  private started = false;
  private data: string[] = [];
  private event = '';
  /** The id of the last event (ids persist across events, as in EventSource). */
  lastId: string | null = null;

  /** Feeds decoded text; answers the events it completed. */
  push(text: string): SseEvent[] {
    this.buffer += text;
    if (!this.started && this.buffer.length > 0) {
      if (this.buffer.charCodeAt(0) === 0xfeff) this.buffer = this.buffer.slice(1);
      this.started = true;
    }
    const out: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== '\n' && c !== '\r') continue;
      // A CR at the very end may be the first half of a CRLF: wait for the next chunk.
      if (c === '\r' && i === this.buffer.length - 1) break;
      const line = this.buffer.slice(start, i);
      if (c === '\r' && this.buffer[i + 1] === '\n') i++;
      start = i + 1;
      const ev = this.line(line);
      if (ev) out.push(ev);
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  private line(line: string): SseEvent | null {
    if (line === '') {
      const ev = this.data.length ? { event: this.event || 'message', data: this.data.join('\n'), id: this.lastId } : null;
      this.data = [];
      this.event = '';
      return ev;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      default:
        // `retry` and unknown fields: nothing to do here.
        break;
    }
    return null;
  }
}

export type StreamState = 'live' | 'reconnecting';

export type FollowOptions = {
  /** Resume after this sequence number (GET /v1/me's `last_seq`). */
  after: number;
  /** The bearer token, read again at every (re)connect; null: signed out, stop. */
  token: () => string | null;
  /** Ends the stream for good. */
  signal: AbortSignal;
  onState: (state: StreamState) => void;
  /** The stream is open (again); `first` for the first time. */
  onOpen?: (first: boolean) => void;
  onEntry: (e: EventEnvelope) => void;
  onResync: (r: Resync) => void;
  /** The workspace refused the token (401): the stream stops. */
  onUnauthorized?: () => void;
};

/** Silence longer than this (keep-alives come every 15 s) means the connection is dead. */
const IDLE_MS = 45_000;
const BACKOFF_MS = [500, 1_000, 2_000, 4_000, 8_000];

/**
 * Follows the event log until `signal` aborts (or the token is refused): reconnects after a drop,
 * resuming after the last entry delivered. Resolves when it stops.
 */
export async function followEvents(o: FollowOptions): Promise<void> {
  let after = o.after;
  let attempt = 0;
  let first = true;
  while (!o.signal.aborted) {
    const t = o.token();
    if (!t) return;
    const position = { get: () => after, set: (seq: number) => (after = seq) };
    const ended = await streamOnce(t, position, o, () => {
      attempt = 0;
      o.onState('live');
      o.onOpen?.(first);
      first = false;
    });
    if (o.signal.aborted) return;
    o.onState('reconnecting');
    if (ended === 'unauthorized') {
      o.onUnauthorized?.();
      return;
    }
    const base = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];
    attempt++;
    await sleep(base + Math.random() * base * 0.5, o.signal);
  }
}

type Ended = 'broken' | 'unauthorized';
type Position = { get: () => number; set: (seq: number) => void };

async function streamOnce(
  token: string,
  position: Position,
  o: FollowOptions,
  opened: () => void,
): Promise<Ended> {
  // One controller per connection: the page's signal ends it, and so does silence.
  const conn = new AbortController();
  const stop = () => conn.abort();
  o.signal.addEventListener('abort', stop);
  let idle: ReturnType<typeof setTimeout> | undefined;
  const alive = () => {
    clearTimeout(idle);
    idle = setTimeout(stop, IDLE_MS);
  };
  try {
    alive();
    // Asked for the entries after the newest one, the workspace sends its response headers only
    // with the first keep-alive (15 s later), so fetch() would not answer until then. Asking
    // from one entry earlier gets that entry at once (skipped below: seen already), which also
    // proves the stream is open.
    const seen = position.get();
    const res = await fetch(`/v1/events?after=${Math.max(0, seen - 1)}`, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` },
      cache: 'no-store',
      signal: conn.signal,
    });
    if (res.status === 401) return 'unauthorized';
    const type = res.headers.get('content-type') ?? '';
    if (!res.ok || !res.body || !type.startsWith('text/event-stream')) {
      await res.body?.cancel().catch(() => {});
      return 'broken';
    }
    opened();
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      alive();
      for (const ev of parser.push(decoder.decode(value, { stream: true }))) {
        handle(ev, o, position);
        if (o.signal.aborted) return 'broken';
      }
    }
    return 'broken';
  } catch {
    // A network error, the idle timeout or the page leaving: the caller decides.
    return 'broken';
  } finally {
    clearTimeout(idle);
    o.signal.removeEventListener('abort', stop);
    conn.abort();
  }
}

function handle(ev: SseEvent, o: FollowOptions, position: Position) {
  const id = ev.id !== null && /^\d+$/.test(ev.id.trim()) ? Number(ev.id.trim()) : null;
  if (ev.event === 'resync') {
    let r: Resync;
    try {
      r = JSON.parse(ev.data) as Resync;
    } catch {
      return;
    }
    position.set(id ?? Math.max(0, r.first_seq - 1));
    o.onResync(r);
    return;
  }
  if (ev.event !== 'agent_event' && ev.event !== 'message') return;
  let e: EventEnvelope;
  try {
    e = JSON.parse(ev.data) as EventEnvelope;
  } catch {
    return;
  }
  // Never twice the same entry: the stream is opened one entry early (see streamOnce).
  if (typeof e.seq === 'number' && e.seq <= position.get()) return;
  position.set(id ?? e.seq);
  o.onEntry(e);
}

/** Waits `ms`, or less if `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}


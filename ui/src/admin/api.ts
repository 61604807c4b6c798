// The admin console's way to the workspace's API: same origin, the bearer token from the
// console's sign-in kept in this tab's sessionStorage (gone when the tab closes). Every refusal
// becomes an `ApiFailure` carrying the API's own words and the field they are about, so a form
// can show them next to that field.
import type { ApiError } from '../generated/ApiError';
import type { SignedIn } from '../generated/SignedIn';

const TOKEN = 'herald-admin-token';

export class ApiFailure extends Error {
  readonly status: number;
  readonly code?: string;
  readonly field?: string;
  constructor(status: number, error: Partial<ApiError>) {
    super(error.message || `The workspace answered ${status}.`);
    this.status = status;
    this.code = error.code;
    this.field = error.field ?? undefined;
  }
}

export function token(): string | null {
  return sessionStorage.getItem(TOKEN);
}

export function setToken(t: string | null): void {
  if (t) sessionStorage.setItem(TOKEN, t);
  else sessionStorage.removeItem(TOKEN);
}

/** Calls the API; the body is JSON; answers the decoded JSON (or undefined for 204). */
export async function call<T>(method: string, path: string, body?: unknown, opts: { anonymous?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const t = token();
  if (t && !opts.anonymous) headers.authorization = `Bearer ${t}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiFailure(0, { message: `The workspace cannot be reached (${(e as Error).message}).` });
  }
  if (res.status === 401 && !opts.anonymous) {
    setToken(null);
    onSignedOut?.();
  }
  if (!res.ok) {
    const error = (await res.json().catch(() => ({}))) as Partial<ApiError>;
    throw new ApiFailure(res.status, error);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const api = {
  get: <T>(path: string) => call<T>('GET', path),
  post: <T>(path: string, body?: unknown) => call<T>('POST', path, body ?? {}),
  put: <T>(path: string, body: unknown) => call<T>('PUT', path, body),
  del: <T>(path: string) => call<T>('DELETE', path),
};

/** Set by the console: the workspace no longer accepts the token. */
let onSignedOut: (() => void) | undefined;
export function whenSignedOut(f: () => void): void {
  onSignedOut = f;
}

export async function signIn(email: string, password: string): Promise<SignedIn> {
  const s = await call<SignedIn>('POST', '/v1/auth/sign-in', { email, password }, { anonymous: true });
  setToken(s.token);
  return s;
}

export async function signOut(): Promise<void> {
  try {
    await call('POST', '/v1/auth/sign-out', {});
  } finally {
    setToken(null);
  }
}

/** The words of a failure for a field, if it is about that field. */
export function fieldError(e: unknown, field: string): string | null {
  return e instanceof ApiFailure && e.field === field ? e.message : null;
}

/** The words of a failure not about any of `fields`. */
export function otherError(e: unknown, fields: readonly string[] = []): string | null {
  if (!e) return null;
  if (e instanceof ApiFailure) return e.field && fields.includes(e.field) ? null : e.message;
  return (e as Error).message ?? String(e);
}

/** An error answer of the console API, or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// The session's CSRF token lives only in memory: scripts never see the session cookie itself.
let csrfToken: string | undefined;
let onSignedOut: (() => void) | undefined;

/** Remembers the CSRF token of the session (from sign-in or `/auth/session`). */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called when the API answers 401: the session ended. */
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

/** Calls the console API under `/api/v1` with the session cookie. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken !== undefined) headers['x-carillon-csrf'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The console cannot be reached. Check the connection.');
  }
  const text = await response.text();
  const parsed: unknown = text === '' ? undefined : JSON.parse(text);
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    if (response.status === 401 && path !== '/auth/login' && path !== '/auth/session') {
      onSignedOut?.();
    }
    throw new ApiError(
      response.status,
      error?.code ?? 'HTTP',
      error?.message ?? `The console answered ${response.status}.`,
    );
  }
  return parsed as T;
}

/** A query string from the defined values of `params`. */
export function query(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params).filter(
    (e): e is [string, string | number] => e[1] !== undefined && e[1] !== '',
  );
  if (entries.length === 0) return '';
  return `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString()}`;
}

/** The name of the session cookie. */
export const SESSION_COOKIE = 'carillon_session';

/** The header in which the page sends its session's CSRF token with every change. */
export const CSRF_HEADER = 'x-carillon-csrf';

/** The value of one cookie in a `Cookie` header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * A `Set-Cookie` value for the session: HttpOnly (scripts cannot read it), SameSite=Strict (no
 * other site's page sends it), `Secure` when the page came over HTTPS. `maxAgeS` 0 deletes it.
 */
export function sessionCookie(value: string, maxAgeS: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${Math.max(0, Math.floor(maxAgeS))}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

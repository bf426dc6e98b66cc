/**
 * The page's session and its calls: the one-time code from the sign-in link is redeemed at the token endpoint
 * (grant_type=authorization_code, the dashboard's public client) for a token of the principal `aksemu ui` acted as;
 * the token stays in sessionStorage (this tab only, gone when it closes), never in a URL. Every call is one of the
 * authenticated APIs the CLI uses (ARM, /_aksemu/...), with that token: the page sees what the principal may.
 */
export const DASHBOARD_CLIENT_ID = '3478f36a-9f48-46da-8157-193c1ae122e2';
const ARM_SCOPE = 'https://management.azure.com/.default';
const STORAGE_KEY = 'aksemu.dashboard.session';

export interface Session {
  token: string;
  /** Who signed in, from the token's claims (shown in the header). */
  name: string;
  expiresAt: number;
}

export function currentSession(): Session | undefined {
  const raw = sessionStorage.getItem(STORAGE_KEY);
  if (!raw) return undefined;
  const s = JSON.parse(raw) as Session;
  if (s.expiresAt <= Date.now()) {
    sessionStorage.removeItem(STORAGE_KEY);
    return undefined;
  }
  return s;
}

export function signOut(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

/** The token's claims, for the name to show; the token is verified by the server on every call, not here. */
function claimsOf(token: string): { name?: string; upn?: string; appid?: string; exp?: number } {
  const bytes = Uint8Array.from(atob((token.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as { name?: string; upn?: string; appid?: string; exp?: number };
}

/** Redeems the sign-in link's code; throws with the login service's own description when it is refused. */
export async function redeemCode(code: string, tenant: string): Promise<Session> {
  const form = new URLSearchParams({ grant_type: 'authorization_code', client_id: DASHBOARD_CLIENT_ID, code, scope: ARM_SCOPE });
  const res = await fetch(`/_login/${encodeURIComponent(tenant)}/oauth2/v2.0/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form.toString() });
  const body = (await res.json()) as { access_token?: string; expires_in?: number; error_description?: string };
  if (!res.ok || !body.access_token) throw new Error((body.error_description ?? `the login service answered ${res.status}`).split('\r\n')[0]);
  const claims = claimsOf(body.access_token);
  const session: Session = { token: body.access_token, name: claims.upn ?? claims.name ?? claims.appid ?? 'unknown', expiresAt: Date.now() + (body.expires_in ?? 3000) * 1000 - 30_000 };
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  return session;
}

export type Reply<T> = { ok: true; status: number; body: T } | { ok: false; status: number; code: string; message: string };

export async function call<T>(session: Session, method: string, path: string, body?: unknown): Promise<Reply<T>> {
  const res = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${session.token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  if (res.ok) return { ok: true, status: res.status, body: parsed as T };
  const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
  return { ok: false, status: res.status, code: error?.code ?? String(res.status), message: error?.message ?? `the service answered ${res.status}` };
}

export const get = <T>(session: Session, path: string) => call<T>(session, 'GET', path);

/**
 * Follows the change feed (one JSON object a line) and calls `onChange` with each scope that changed; reconnects
 * after a second when the stream ends. Stops when `signal` aborts, or when the token is refused.
 */
export async function followChanges(session: Session, onChange: (scope: string) => void, onState: (live: boolean) => void, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      const res = await fetch('/_aksemu/ui/api/events', { headers: { Authorization: `Bearer ${session.token}` }, signal });
      // A refused token stays refused: the views say so; asking again every second would change nothing.
      if (res.status === 401) {
        onState(false);
        return;
      }
      if (!res.ok || !res.body) throw new Error(`the change feed answered ${res.status}`);
      onState(true);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffered = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffered += value;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          if (!line) continue;
          const event = JSON.parse(line) as { type: string; scope?: string };
          if (event.type === 'change' && event.scope) onChange(event.scope);
        }
      }
    } catch {
      if (signal.aborted) return;
    }
    onState(false);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

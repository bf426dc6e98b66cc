/**
 * What the request log may say about a URL: credentials that clients put in query strings (a client secret, an
 * access or refresh token, a password, an authorization code, a SAS signature) are replaced before a line is
 * written, so no log file holds them (SPEC Z-4). The rest of the URL stays, for diagnosis.
 */
import type { Logger } from 'pino';

const SENSITIVE = new Set(['client_secret', 'client_assertion', 'access_token', 'refresh_token', 'id_token', 'password', 'code', 'sig', 'token', 'assertion']);

export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const parts = url.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    let decoded = name;
    try {
      decoded = decodeURIComponent(name);
    } catch {
      // a malformed name is kept as it came; it is not one of the sensitive ones either way
    }
    return eq >= 0 && SENSITIVE.has(decoded.toLowerCase()) ? `${name}=REDACTED` : pair;
  });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** A child of `logger` whose request records carry the redacted URL. */
export function redactingLogger(logger: Logger): Logger {
  return logger.child(
    {},
    {
      serializers: {
        req: (req: LoggedRequest) => ({
          method: req.method,
          url: redactUrl(req.url ?? ''),
          host: req.host,
          remoteAddress: req.ip,
          remotePort: req.socket?.remotePort,
        }),
      },
    },
  );
}

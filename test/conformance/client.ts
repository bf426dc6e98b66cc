/**
 * The suite's HTTPS calls (testkit/http.ts) over kept-alive connections: thousands of calls, one TLS handshake
 * per connection rather than per call.
 */
import type { Agent } from 'node:https';
import { httpsCall, keepAliveAgent, type TestRequest, type TestResponse } from '../../testkit/http.js';

let agent: Agent | undefined;

export function call(url: string, req: Omit<TestRequest, 'agent'> = {}): Promise<TestResponse> {
  agent ??= keepAliveAgent();
  return httpsCall(url, { ...req, agent });
}

export function closeConnections(): void {
  agent?.destroy();
  agent = undefined;
}

/** How often a long-running operation is polled (instant speed: operations end within milliseconds). */
export const POLL_MS = 20;

/**
 * aksemu's dashboard: sign-in with the one-time link of `aksemu ui`, then the security posture of what the signed-in
 * principal may read, following changes live. Hash routes (`#/kms?...`) keep everything on one page load.
 */
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { currentSession, followChanges, redeemCode, signOut, type Session } from './api.js';
import { LiveContext } from './live.js';
import { AlertsView } from './views/alerts.js';
import { AuditView } from './views/audit.js';
import { ClockView } from './views/clock.js';
import { KmsView } from './views/kms.js';
import { NodeView } from './views/node.js';
import { OverviewView } from './views/overview.js';
import './style.css';

interface Route {
  view: string;
  params: URLSearchParams;
}

function routeOf(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  return { view: path || 'overview', params: new URLSearchParams(query) };
}

const NAV: Array<[string, string]> = [
  ['overview', 'Clusters'],
  ['kms', 'KMS encryption'],
  ['audit', 'Key Vault audit'],
  ['alerts', 'Alerts'],
  ['clock', 'Clock'],
];

/** Changes arrive in bursts (a cluster update writes many keys): the views refetch at most this often. */
const REFRESH_MS = 250;

function SignedIn({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const [route, setRoute] = useState(() => routeOf(location.hash));
  const [version, setVersion] = useState(0);
  const [live, setLive] = useState(false);
  useEffect(() => {
    // A new view takes the focus, as a page load would: the next Tab goes into it, and screen readers announce it.
    const onHash = () => {
      setRoute(routeOf(location.hash));
      document.getElementById('main')?.focus();
    };
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    const abort = new AbortController();
    let timer: number | undefined;
    void followChanges(
      session,
      () => {
        timer ??= window.setTimeout(() => {
          timer = undefined;
          setVersion((v) => v + 1);
        }, REFRESH_MS);
      },
      setLive,
      abort.signal,
    );
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [session]);
  const context = useMemo(() => ({ session, version }), [session, version]);
  const view = (() => {
    switch (route.view) {
      case 'node':
        return <NodeView params={route.params} />;
      case 'kms':
        return <KmsView params={route.params} />;
      case 'audit':
        return <AuditView params={route.params} />;
      case 'alerts':
        return <AlertsView />;
      case 'clock':
        return <ClockView />;
      default:
        return <OverviewView />;
    }
  })();
  return (
    <LiveContext.Provider value={context}>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header>
        <h1>aksemu security posture</h1>
        <p class="who">
          Signed in as <strong>{session.name}</strong>{' '}
          <span class={live ? 'live on' : 'live off'} role="status" aria-live="polite">
            {live ? 'Live' : 'Reconnecting…'}
          </span>{' '}
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </p>
      </header>
      <nav aria-label="Views">
        <ul>
          {NAV.map(([v, label]) => (
            <li key={v}>
              <a href={`#/${v}`} aria-current={route.view === v || (v === 'overview' && route.view === 'node') ? 'page' : undefined}>
                {label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {view}
      </main>
    </LiveContext.Provider>
  );
}

function App() {
  const [link] = useState(() => (location.hash.startsWith('#code=') ? new URLSearchParams(location.hash.slice(1)) : undefined));
  const [session, setSession] = useState<Session | undefined>(() => (link ? undefined : currentSession()));
  const [problem, setProblem] = useState<string>();
  useEffect(() => {
    if (!link) return;
    // The code leaves the address bar (and the history) before anything else happens.
    history.replaceState(null, '', `${location.pathname}#/`);
    redeemCode(link.get('code') ?? '', link.get('tenant') ?? 'organizations').then(setSession, (err: Error) => setProblem(err.message));
  }, []);
  if (session) {
    return (
      <SignedIn
        session={session}
        onSignOut={() => {
          signOut();
          setSession(undefined);
        }}
      />
    );
  }
  return (
    <main id="main" class="signin">
      <h1>aksemu security posture</h1>
      {problem ? (
        <p class="error" role="alert">
          Sign-in refused: {problem}
        </p>
      ) : link ? (
        <p role="status">Signing in…</p>
      ) : null}
      <p>
        Run <code>aksemu ui --data-dir DIR</code> for a one-time sign-in link.
      </p>
    </main>
  );
}

render(<App />, document.getElementById('app')!);

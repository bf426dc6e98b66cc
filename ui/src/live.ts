/**
 * What the views share: the session, the live change counter (bumped when the change feed reports a scope, so
 * views refetch), and a loader hook that keeps the last answer on screen while it refetches.
 */
import { createContext } from 'preact';
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import type { Reply, Session } from './api.js';

export interface Live {
  session: Session;
  /** Grows with every reported change; views that show changing data load again when it does. */
  version: number;
}

export const LiveContext = createContext<Live | undefined>(undefined);

export function useLive(): Live {
  const live = useContext(LiveContext);
  if (!live) throw new Error('useLive outside of the signed-in page');
  return live;
}

export type Loaded<T> = { state: 'loading' } | { state: 'ok'; value: T } | { state: 'error'; status: number; code: string; message: string };

/**
 * Loads with `load` whenever `deps` or the live version change; the previous answer stays until the next one.
 * Changes can arrive faster than a view loads (a new cluster's controllers write many times a second): a load is
 * never thrown away because a newer change arrived meanwhile, and while one is in flight, further changes ask for
 * one more load after it instead of starting their own, so a busy instance still gets its view shown, at most
 * one load behind. Only a change of `deps` (another thing to show) makes the answers in flight for the old ones void.
 */
export function useLoad<T>(load: (s: Session) => Promise<Reply<T>>, deps: unknown[]): Loaded<T> {
  const { session, version } = useLive();
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  const [again, setAgain] = useState(0);
  const key = JSON.stringify(deps);
  const shown = useRef(key);
  const flight = useRef<{ key: string; queued: boolean } | undefined>(undefined);
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );
  useEffect(() => {
    shown.current = key;
    if (flight.current && flight.current.key === key) {
      flight.current.queued = true;
      return;
    }
    const mine = { key, queued: false };
    flight.current = mine;
    const settle = (next: Loaded<T>) => {
      if (!mounted.current || flight.current !== mine) return;
      flight.current = undefined;
      if (shown.current === key) setLoaded(next);
      if (mine.queued) setAgain((n) => n + 1);
    };
    load(session).then(
      (r) => settle(r.ok ? { state: 'ok', value: r.body } : { state: 'error', status: r.status, code: r.code, message: r.message }),
      (err: Error) => settle({ state: 'error', status: 0, code: 'NetworkError', message: err.message }),
    );
  }, [key, version, again]);
  return loaded;
}

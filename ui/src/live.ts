/**
 * What the views share: the session, the live change counter (bumped when the change feed reports a scope, so
 * views refetch), and a loader hook that keeps the last answer on screen while it refetches.
 */
import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
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

/** Loads with `load` whenever `deps` or the live version change; the previous answer stays until the next one. */
export function useLoad<T>(load: (s: Session) => Promise<Reply<T>>, deps: unknown[]): Loaded<T> {
  const { session, version } = useLive();
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    let current = true;
    load(session).then(
      (r) => current && setLoaded(r.ok ? { state: 'ok', value: r.body } : { state: 'error', status: r.status, code: r.code, message: r.message }),
      (err: Error) => current && setLoaded({ state: 'error', status: 0, code: 'NetworkError', message: err.message }),
    );
    return () => {
      current = false;
    };
  }, [...deps, version]);
  return loaded;
}

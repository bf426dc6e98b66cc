/** Small pieces every view uses: the loading and refusal states, yes/no cells, and links inside the page. */
import type { ComponentChildren } from 'preact';
import type { Loaded } from './live.js';

export function Refused({ what, loaded }: { what: string; loaded: Extract<Loaded<unknown>, { state: 'error' }> }) {
  if (loaded.status === 401) {
    return (
      <p class="refused" role="status">
        Your sign-in has expired or was refused ({loaded.message}). Run <code>aksemu ui</code> for a new link.
      </p>
    );
  }
  return (
    <p class={loaded.status === 403 ? 'refused' : 'error'} role="status">
      {loaded.status === 403 ? `Not authorized to read ${what}` : `Could not read ${what}`}: ({loaded.code}) {loaded.message}
    </p>
  );
}

/** Renders `children` with the loaded value, or says it is loading or was refused. */
export function Show<T>({ what, loaded, children }: { what: string; loaded: Loaded<T>; children: (value: T) => ComponentChildren }) {
  if (loaded.state === 'loading') return <p role="status">Loading {what}…</p>;
  if (loaded.state === 'error') return <Refused what={what} loaded={loaded} />;
  return <>{children(loaded.value)}</>;
}

export function YesNo({ value }: { value: boolean | undefined }) {
  if (value === undefined) return <span class="unknown">unknown</span>;
  return <span class={value ? 'yes' : 'no'}>{value ? 'Yes' : 'No'}</span>;
}

/** A node's Secure Boot as its firmware reports it: on, off, or not available at all (Generation 1 VMs). */
export function SecureBootState({ value }: { value: 'enabled' | 'disabled' | 'unsupported' | undefined }) {
  if (value === 'unsupported') return <span class="unknown">Unsupported</span>;
  return <YesNo value={value === undefined ? undefined : value === 'enabled'} />;
}

/** A table's column headings, each a `th` of scope "col". */
export function ColumnHeads({ names }: { names: string[] }) {
  return (
    <thead>
      <tr>
        {names.map((n) => (
          <th scope="col" key={n}>
            {n}
          </th>
        ))}
      </tr>
    </thead>
  );
}

export function hashLink(path: string, params: Record<string, string> = {}): string {
  const q = new URLSearchParams(params).toString();
  return `#/${path}${q ? `?${q}` : ''}`;
}

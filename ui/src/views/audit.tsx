/**
 * A vault's Key Vault audit log (`aksemu keyvault audit`), newest first, with filters: the vault, since when and
 * how many (asked of the server), the operation and the result (applied to what it answered).
 */
import { useState } from 'preact/hooks';
import { audit, inEveryGroup, vaults } from '../arm.js';
import { ColumnHeads, hashLink, Show } from '../components.js';
import { useLoad } from '../live.js';

/** The vaults the principal can read, by name; reloaded through useLoad, so changes queue rather than discard. */
function useReadableVaults(): string[] | undefined {
  const found = useLoad((s) => inEveryGroup(s, vaults), []);
  return found.state === 'ok' ? found.value.map((v) => v.item.name).sort() : undefined;
}

function Log({ vault, since, top, operation, result }: { vault: string; since: string; top: number; operation: string; result: string }) {
  const events = useLoad((s) => audit(s, vault, { top, ...(since ? { since: new Date(since).toISOString() } : {}) }), [vault, since, top]);
  return (
    <Show what={`the audit log of ${vault}`} loaded={events}>
      {(l) => {
        const shown = l.value
          .filter((e) => (!operation || e.operationName.toLowerCase().includes(operation.toLowerCase())) && (!result || e.resultType === result))
          .slice()
          .reverse();
        return (
          <table>
            <caption>
              Audit events of {vault} ({shown.length} shown of {l.value.length})
            </caption>
            <ColumnHeads names={['Time', 'Operation', 'Result', 'Status', 'Key', 'Caller (object id)', 'Caller IP']} />
            <tbody>
              {shown.map((e, i) => (
                <tr key={`${e.time}-${i}`}>
                  <td>{e.time}</td>
                  <th scope="row">{e.operationName}</th>
                  <td class={e.resultType === 'Success' ? 'yes' : 'no'}>{e.resultType}</td>
                  <td>
                    {e.httpStatusCode} {e.resultSignature}
                  </td>
                  <td>{e.keyName ? `${e.keyName}/${(e.keyVersion ?? '').slice(0, 8)}` : ''}</td>
                  <td>
                    <code>{e.identity.claim.oid}</code>
                  </td>
                  <td>{e.callerIpAddress}</td>
                </tr>
              ))}
            </tbody>
          </table>
        );
      }}
    </Show>
  );
}

export function AuditView({ params }: { params: URLSearchParams }) {
  const found = useReadableVaults();
  const vault = params.get('vault') ?? '';
  const [since, setSince] = useState('');
  const [top, setTop] = useState(200);
  const [operation, setOperation] = useState('');
  const [result, setResult] = useState('');
  return (
    <>
      <h2 class="view-title">Key Vault audit log</h2>
      {!found ? (
        <p role="status">Loading vaults…</p>
      ) : found.length === 0 ? (
        <p>No vaults you can read.</p>
      ) : (
        <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Audit log filters">
          <label>
            Vault{' '}
            <select value={vault} onChange={(e) => (location.hash = hashLink('audit', { vault: (e.target as HTMLSelectElement).value }))}>
              <option value="" disabled>
                choose a vault
              </option>
              {found.map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          </label>
          <label>
            Operation contains <input type="search" value={operation} onInput={(e) => setOperation((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            Result{' '}
            <select value={result} onChange={(e) => setResult((e.target as HTMLSelectElement).value)}>
              <option value="">any</option>
              <option value="Success">Success</option>
              <option value="Failure">Failure</option>
            </select>
          </label>
          <label>
            Since <input type="datetime-local" value={since} onInput={(e) => setSince((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            At most <input type="number" min={1} max={10000} value={top} onInput={(e) => setTop(Math.max(1, Number((e.target as HTMLInputElement).value) || 1))} /> events
          </label>
        </form>
      )}
      {vault ? <Log vault={vault} since={since} top={top} operation={operation} result={result} /> : null}
    </>
  );
}

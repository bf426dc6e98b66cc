/**
 * A cluster's KMS etcd encryption as `aksemu aks encryption status` reports it from the raw store: the key new
 * secrets are written with, how many secrets each key version holds (with a chart), plaintext / stale / unreadable
 * counts, and a storage migration in progress.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { encryption, type EncryptionStatus } from '../arm.js';
import { ColumnHeads, hashLink, Show } from '../components.js';
import { useLoad } from '../live.js';
import { ClusterPicker, type ClusterRef } from './clusters-picker.js';

function keyLabel(k: EncryptionStatus['keys'][number]): string {
  return k.keyName ? `${k.keyVault ?? '?'}/${k.keyName}/${(k.keyVersion ?? '?').slice(0, 8)}` : k.provider;
}

/** Secrets per key version as bars (plaintext first); the table below holds the same numbers for every reader. */
function SecretsChart({ status }: { status: EncryptionStatus }) {
  const box = useRef<HTMLDivElement>(null);
  const bars = [...(status.plaintext > 0 ? [{ label: 'plaintext', secrets: status.plaintext }] : []), ...status.keys.map((k) => ({ label: keyLabel(k), secrets: k.secrets }))];
  useEffect(() => {
    if (!box.current || bars.length === 0) return;
    const xs = bars.map((_, i) => i);
    const plot = new uPlot(
      {
        width: Math.min(640, box.current.clientWidth || 640),
        height: 220,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false, range: [-0.5, bars.length - 0.5] }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.15] } },
        axes: [{ values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? (bars[t]?.label ?? '') : '')), splits: () => xs }, { label: 'secrets' }],
        series: [{}, { label: 'secrets', fill: '#2b6cb0', stroke: '#1a4971', paths: uPlot.paths.bars!({ size: [0.6, 80] }), points: { show: false } }],
      },
      [xs, bars.map((b) => b.secrets)],
      box.current,
    );
    return () => plot.destroy();
  }, [JSON.stringify(bars)]);
  return <div ref={box} class="chart" role="img" aria-label={`Secrets per key version: ${bars.map((b) => `${b.label} ${b.secrets}`).join(', ')}`} />;
}

function Status({ target }: { target: ClusterRef }) {
  const status = useLoad((s) => encryption(s, target.rg, target.cluster), [target.rg, target.cluster]);
  return (
    <Show what={`the encryption status of ${target.cluster}`} loaded={status}>
      {(s) => (
        <>
          <dl class="facts counts" aria-label="Secrets at rest">
            <dt>New secrets are written with</dt>
            <dd data-field="writer">{s.writer}</dd>
            <dt>Secrets</dt>
            <dd data-field="total">{s.total}</dd>
            <dt>Plaintext</dt>
            <dd data-field="plaintext">{s.plaintext}</dd>
            <dt>Stale (not under the current key)</dt>
            <dd data-field="stale">{s.stale}</dd>
            <dt>Unreadable</dt>
            <dd data-field="unreadable">{s.unreadable}</dd>
          </dl>
          {s.migration ? (
            <section aria-labelledby="migration">
              <h3 id="migration">Storage migration: {s.migration.state}</h3>
              <p>
                <label for="migration-progress">
                  {s.migration.processed} of {s.migration.total} processed, {s.migration.rewritten} rewritten, {s.migration.failed} failed{' '}
                </label>
                <progress id="migration-progress" max={Math.max(1, s.migration.total)} value={s.migration.processed} />
              </p>
              {s.migration.error ? <p class="error">{s.migration.error}</p> : null}
            </section>
          ) : null}
          <SecretsChart status={s} />
          <table>
            <caption>Secrets per key version</caption>
            <ColumnHeads names={['Provider', 'API', 'Role', 'Secrets', 'Key Vault', 'Key', 'Key version']} />
            <tbody>
              {s.plaintext > 0 ? (
                <tr>
                  <th scope="row">(plaintext)</th>
                  <td>-</td>
                  <td>{s.writer === 'identity' ? 'write' : 'read'}</td>
                  <td>{s.plaintext}</td>
                  <td colSpan={3} />
                </tr>
              ) : null}
              {s.keys.map((k) => (
                <tr key={`${k.provider}/${k.keyVersion}`}>
                  <th scope="row">{k.provider}</th>
                  <td>{k.api}</td>
                  <td>{k.role}</td>
                  <td>{k.secrets}</td>
                  <td>{k.keyVault ?? '?'}</td>
                  <td>{k.keyName ?? '?'}</td>
                  <td>{k.keyVersion ?? '?'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {s.unreadableSecrets.length > 0 ? (
            <section aria-labelledby="unreadable">
              <h3 id="unreadable">Unreadable secrets</h3>
              <ul>
                {s.unreadableSecrets.map((u) => (
                  <li key={u}>{u}</li>
                ))}
              </ul>
            </section>
          ) : null}
        </>
      )}
    </Show>
  );
}

export function KmsView({ params }: { params: URLSearchParams }) {
  const rg = params.get('rg');
  const cluster = params.get('cluster');
  const target = rg && cluster ? { rg, cluster } : undefined;
  return (
    <>
      <h2 class="view-title">KMS encryption{target ? ` of ${target.cluster}` : ''}</h2>
      <ClusterPicker value={target} onPick={(c) => (location.hash = hashLink('kms', { rg: c.rg, cluster: c.cluster }))} />
      {target ? <Status target={target} /> : null}
    </>
  );
}

/**
 * One node (`aksemu node show` and `aksemu node boot-log`): its facts, the last boot with every component Secure Boot
 * checked and why one failed, the vTPM's PCR values and event log, and the last attestation with its quote's
 * verification checks; "Attest now" asks for a fresh quote (`aksemu node attest`).
 */
import { useState } from 'preact/hooks';
import { bootLog, node, type Check } from '../arm.js';
import { call } from '../api.js';
import { ColumnHeads, SecureBootState, Show, YesNo } from '../components.js';
import { useLive, useLoad } from '../live.js';

function Checks({ checks, caption }: { checks: Check[]; caption: string }) {
  return (
    <table>
      <caption>{caption}</caption>
      <ColumnHeads names={['Check', 'Result', 'Detail']} />
      <tbody>
        {checks.map((c) => (
          <tr key={c.check}>
            <th scope="row">{c.check}</th>
            <td class={c.ok ? 'yes' : 'no'}>{c.ok ? 'passed' : 'FAILED'}</td>
            <td>{c.detail}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AttestNow({ rg, cluster, name }: { rg: string; cluster: string; name: string }) {
  const { session } = useLive();
  const [result, setResult] = useState<{ healthy: boolean; checks: Check[] } | string>();
  const attest = async () => {
    const r = await call<{ healthy: boolean; checks: Check[] }>(session, 'POST', `/_aksemu/nodes/${encodeURIComponent(name)}/attest?cluster=${encodeURIComponent(cluster)}&resourceGroup=${encodeURIComponent(rg)}`);
    setResult(r.ok ? r.body : `(${r.code}) ${r.message}`);
  };
  return (
    <section aria-labelledby="attest-now">
      <h3 id="attest-now">Attest now</h3>
      <button type="button" onClick={() => void attest()}>
        Quote and verify now
      </button>
      {typeof result === 'string' ? (
        <p class="error" role="status">
          {result}
        </p>
      ) : result ? (
        <>
          <p role="status">Fresh attestation: {result.healthy ? 'healthy' : 'FAILED'}</p>
          <Checks checks={result.checks} caption="Verification of the fresh quote" />
        </>
      ) : null}
    </section>
  );
}

export function NodeView({ params }: { params: URLSearchParams }) {
  const rg = params.get('rg') ?? '';
  const cluster = params.get('cluster') ?? '';
  const name = params.get('name') ?? '';
  const facts = useLoad((s) => node(s, rg, cluster, name), [rg, cluster, name]);
  const log = useLoad((s) => bootLog(s, rg, cluster, name), [rg, cluster, name]);
  return (
    <>
      <h2 class="view-title">Node {name}</h2>
      <p>
        Cluster {cluster} in {rg}. <a href="#/overview">Back to the clusters</a>
      </p>
      <Show what={`the node ${name}`} loaded={facts}>
        {(n) => (
          <dl class="facts" aria-label="Node facts">
            <dt>State</dt>
            <dd>{n.state}</dd>
            <dt>Pool</dt>
            <dd>{n.pool}</dd>
            <dt>Kubernetes version</dt>
            <dd>{n.kubernetesVersion}</dd>
            <dt>Node image</dt>
            <dd>{n.nodeImageVersion}</dd>
            <dt>FIPS</dt>
            <dd data-field="fips">
              <YesNo value={n.fipsEnabled} />
            </dd>
            <dt>Secure Boot</dt>
            <dd data-field="secure-boot">
              <SecureBootState value={n.facts?.secureBoot} />
            </dd>
            <dt>vTPM</dt>
            <dd data-field="vtpm">
              <YesNo value={n.facts?.vtpm} />
            </dd>
            <dt>Kernel</dt>
            <dd>{n.facts?.kernel}</dd>
          </dl>
        )}
      </Show>
      <Show what={`the boot log of ${name}`} loaded={log}>
        {(b) => (
          <>
            <section aria-labelledby="boot">
              <h3 id="boot">
                Boot {b.boot.seq} at {b.boot.at}: Secure Boot {b.boot.secureBoot ? 'on' : 'off'}, vTPM {b.boot.vtpm ? 'on' : 'off'}
              </h3>
              {b.boot.halted ? (
                <p class="no" role="alert" data-field="halted">
                  Boot halted at {b.boot.halted.label}: {b.boot.halted.detail} ({b.boot.halted.reason})
                </p>
              ) : null}
              <table>
                <caption>Components Secure Boot checked</caption>
                <ColumnHeads names={['Stage', 'Component', 'Verification', 'Signed by', 'Trusted through', 'Why']} />
                <tbody>
                  {b.boot.steps.map((s) => (
                    <tr key={`${s.stage}/${s.label}`}>
                      <td>{s.stage}</td>
                      <th scope="row">{s.label}</th>
                      <td class={/fail|reject|denied|untrusted|unsigned|revoked/i.test(s.verification) ? 'no' : undefined}>{s.verification}</td>
                      <td>{s.signer ?? ''}</td>
                      <td>{s.trustedBy ?? ''}</td>
                      <td>{s.detail ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {b.boot.modules.some((m) => m.failure) ? (
                <ul aria-label="Kernel modules that failed verification">
                  {b.boot.modules
                    .filter((m) => m.failure)
                    .map((m) => (
                      <li key={m.label}>
                        {m.label}: {m.loaded ? 'loaded unverified (kernel tainted)' : 'blocked'} — {m.failure!.detail}
                      </li>
                    ))}
                </ul>
              ) : null}
              {b.tampers && b.tampers.length > 0 ? <p>Tampered on disk: {b.tampers.map((t) => `${t.component} (${t.mode})`).join(', ')}</p> : null}
            </section>
            {b.pcrs ? (
              <table>
                <caption>vTPM PCR values (SHA-256 bank)</caption>
                <ColumnHeads names={['PCR', 'Value']} />
                <tbody>
                  {Object.entries(b.pcrs).map(([pcr, value]) => (
                    <tr key={pcr}>
                      <th scope="row">{pcr}</th>
                      <td>
                        <code>{value}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <p>This node has no vTPM.</p>
            )}
            <section aria-labelledby="attestation">
              <h3 id="attestation">Last attestation</h3>
              {b.attestation ? (
                <>
                  <p data-field="attestation">
                    At {b.attestation.at}: {b.attestation.healthy ? 'healthy' : 'FAILED'}
                  </p>
                  {b.attestation.findings.map((f) => (
                    <p key={f.kind} class="no">
                      {f.kind}: {f.components.join('; ')}. {f.reasons.join(' ')}
                    </p>
                  ))}
                  {b.attestation.checks ? <Checks checks={b.attestation.checks} caption="Verification of the last quote" /> : null}
                </>
              ) : (
                <p>Not attested yet.</p>
              )}
            </section>
            {b.boot.vtpm ? <AttestNow rg={rg} cluster={cluster} name={name} /> : null}
            <details>
              <summary>Measured boot event log ({b.events.length} events)</summary>
              <table>
                <caption>TCG event log</caption>
                <ColumnHeads names={['PCR', 'Type', 'Description', 'Digest']} />
                <tbody>
                  {b.events.map((e, i) => (
                    <tr key={i}>
                      <td>{e.pcr}</td>
                      <td>{e.type}</td>
                      <td>{e.description}</td>
                      <td>
                        <code>{e.digest.slice(0, 16)}…</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
            <details>
              <summary>Serial console</summary>
              <pre>{b.boot.serial.join('\n')}</pre>
            </details>
          </>
        )}
      </Show>
    </>
  );
}

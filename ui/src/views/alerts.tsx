/** Defender for Cloud style integrity alerts (`aksemu alerts list`): VM attestation failures, untrusted modules. */
import { alerts } from '../arm.js';
import { ColumnHeads, Show } from '../components.js';
import { useLoad } from '../live.js';

export function AlertsView() {
  const list = useLoad(alerts, []);
  return (
    <>
      <h2 class="view-title">Alerts</h2>
      <Show what="the alerts" loaded={list}>
        {(l) =>
          l.value.length === 0 ? (
            <p>No alerts.</p>
          ) : (
            <table>
              <caption>Integrity alerts ({l.value.length})</caption>
              <ColumnHeads names={['Time', 'Severity', 'Alert', 'Node', 'Failed components']} />
              <tbody>
                {l.value.map((a) => (
                  <tr key={a.name}>
                    <td>{a.properties.timeGeneratedUtc}</td>
                    <td>{a.properties.severity}</td>
                    <th scope="row">{a.properties.alertDisplayName}</th>
                    <td>{a.properties.compromisedEntity}</td>
                    <td>{a.properties.extendedProperties['Failed components'] ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Show>
    </>
  );
}

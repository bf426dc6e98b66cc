/**
 * The emulated clock (`/_aksemu/clock`): the time resources, retirements and delays are judged by. It moves on its
 * own and is set by `PUT /_aksemu/clock`, neither of which writes the store, so this page asks every second.
 */
import { useEffect, useState } from 'preact/hooks';
import { clock } from '../arm.js';
import { Show } from '../components.js';
import { useLive, useLoad } from '../live.js';

export function ClockView() {
  const { session } = useLive();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((t) => t + 1), 1000);
    return () => clearInterval(timer);
  }, []);
  const now = useLoad(() => clock(session), [tick]);
  return (
    <>
      <h2 class="view-title">Emulated clock</h2>
      <Show what="the emulated clock" loaded={now}>
        {(c) => (
          <dl class="facts">
            <dt>Emulated time</dt>
            <dd data-field="emulated-now">
              <time dateTime={c.now}>{c.now}</time>
            </dd>
            <dt>This machine's time</dt>
            <dd>
              <time dateTime={new Date().toISOString()}>{new Date().toISOString()}</time>
            </dd>
          </dl>
        )}
      </Show>
    </>
  );
}

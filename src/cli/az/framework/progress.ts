/**
 * The progress display of long-running operations: on a terminal, a spinner on stderr with the operation's
 * state (as az shows "- Running .."), erased when the operation ends; nothing at all when stderr is not a
 * terminal, so piped and captured output stays exactly the command's result.
 */
import type { LroProgress } from '../client/arm.js';

const FRAMES = ['|', '/', '-', '\\'];

export function createProgress(stream: NodeJS.WriteStream, enabled: boolean, label = 'Running'): LroProgress {
  if (!enabled) return { update() {}, done() {} };
  let frame = 0;
  let status = '';
  let active = true;
  const draw = () => {
    if (!active) return;
    stream.write(`\r\u001b[K${FRAMES[frame++ % FRAMES.length]} ${label} ..${status ? ` (${status})` : ''}`);
  };
  const timer = setInterval(draw, 120);
  timer.unref();
  draw();
  return {
    update(s: string, percent?: number) {
      status = percent !== undefined ? `${s} ${percent}%` : s;
      draw();
    },
    done() {
      if (!active) return;
      active = false;
      clearInterval(timer);
      stream.write('\r\u001b[K');
    },
  };
}

/**
 * The KMS plugins' thread (plugin-host.ts): the plugins of every KMS cluster of the instance, each a gRPC server on
 * its unix socket with its own Key Vault client, as AKS runs the plugin beside kube-apiserver rather than inside
 * it. Here their gRPC and HTTPS work runs beside the main thread, not in turns with the API servers that call them
 * and the vault they call.
 */
import { parentPort } from 'node:worker_threads';
import { PluginSet } from './plugin-set.js';
import type { PluginThreadAnswer, PluginThreadRequest } from './plugin-thread-messages.js';

const port = parentPort;
if (!port) throw new Error('plugin-thread-worker.js runs as a worker thread (plugin-host.ts starts it)');

const plugins = new PluginSet();

function handle(req: PluginThreadRequest): Promise<void> {
  if (req.op === 'start') return plugins.start(req.plugin, req.spec);
  if (req.op === 'stop') return plugins.stop(req.plugin);
  return plugins.stopAll();
}

port.on('message', (req: PluginThreadRequest) => {
  handle(req).then(
    () => port.postMessage({ id: req.id, ok: true } satisfies PluginThreadAnswer),
    (err: unknown) => port.postMessage({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies PluginThreadAnswer),
  );
});

/**
 * The KMS plugins' thread (plugin-host.ts): the plugins of every KMS cluster of the instance, each a gRPC server on
 * its unix socket with its own Key Vault client, as AKS runs the plugin beside kube-apiserver rather than inside
 * it. Here their gRPC and HTTPS work has a core of its own, instead of taking turns on the main thread with the
 * API servers that call them and the vault they call.
 */
import { parentPort } from 'node:worker_threads';
import { createPlugin } from './plugin-factory.js';
import type { KmsPlugin } from './plugin.js';
import type { PluginThreadAnswer, PluginThreadRequest } from './plugin-thread-messages.js';

const port = parentPort;
if (!port) throw new Error('plugin-thread-worker.js runs as a worker thread (plugin-host.ts starts it)');

const plugins = new Map<number, KmsPlugin>();

async function handle(req: PluginThreadRequest): Promise<void> {
  if (req.op === 'start') {
    const plugin = createPlugin(req.spec);
    await plugin.start();
    plugins.set(req.plugin, plugin);
  } else if (req.op === 'stop') {
    const plugin = plugins.get(req.plugin);
    plugins.delete(req.plugin);
    await plugin?.stop();
  } else {
    const all = [...plugins.values()];
    plugins.clear();
    await Promise.all(all.map((p) => p.stop()));
  }
}

port.on('message', (req: PluginThreadRequest) => {
  handle(req).then(
    () => port.postMessage({ id: req.id, ok: true } satisfies PluginThreadAnswer),
    (err: unknown) => port.postMessage({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies PluginThreadAnswer),
  );
});

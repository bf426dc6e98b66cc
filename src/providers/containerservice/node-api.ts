/**
 * aksemu's node API (`/_aksemu/nodes`, authenticated with ARM tokens like the rest of aksemu's own API): the
 * simulated nodes, their facts, and a small shell on them (SPEC C-9, F-1, F-7). `aksemu node show/exec` use it.
 *
 *   GET  /_aksemu/nodes[?cluster=NAME|ID&resourceGroup=RG]         every node (of a cluster)
 *   GET  /_aksemu/nodes/NODE[?cluster=...&resourceGroup=...]        one node: instance, image, labels, facts
 *   POST /_aksemu/nodes/NODE/exec  {"command": [...], "stdin"?: base64}  → {exitCode, stdout, stderr}
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireArmToken } from '../../arm/http.js';
import type { TokenService } from '../../identity/tokens.js';
import { registryKey } from '../../clusters/cluster-registry.js';
import { decodeObject } from '../../clusters/stored-object.js';
import type { InstanceRecord } from '../../fleet/model.js';
import type { NodeObject } from '../../fleet/node-object.js';
import { execOnNode } from '../../fleet/node-shell.js';
import type { ManagedClusterDoc } from './models.js';
import type { ContainerService } from './service.js';

const FIPS_LIMITATIONS = [
  'Mounting a CIFS share fails: FIPS disables authentication modules CIFS needs.',
  'Container images on FIPS nodes are not assessed for FIPS compliance.',
  'The monitoring add-on supports FIPS node pools from agent version 3.1.17 (Linux) / win-3.1.17 (Windows).',
];

interface Query {
  cluster?: string;
  resourceGroup?: string;
}

const err = (reply: FastifyReply, status: number, code: string, message: string) => reply.code(status).send({ error: { code, message } });

function rgOf(id: string): string {
  return id.split('/')[4] ?? '';
}

async function clustersMatching(svc: ContainerService, q: Query): Promise<ManagedClusterDoc[]> {
  return (await svc.allClusters()).filter(
    (c) =>
      (!q.cluster || c.name.toLowerCase() === q.cluster.toLowerCase() || c.id.toLowerCase() === q.cluster.toLowerCase()) &&
      (!q.resourceGroup || rgOf(c.id).toLowerCase() === q.resourceGroup.toLowerCase()),
  );
}

async function findNode(svc: ContainerService, name: string, q: Query): Promise<{ cluster: ManagedClusterDoc; inst: InstanceRecord } | { status: number; code: string; message: string }> {
  const hits: Array<{ cluster: ManagedClusterDoc; inst: InstanceRecord }> = [];
  for (const cluster of await clustersMatching(svc, q)) {
    const inst = await svc.fleet.findInstance(cluster.properties.resourceUID, name);
    if (inst) hits.push({ cluster, inst });
  }
  if (hits.length === 1) return hits[0]!;
  if (hits.length === 0) return { status: 404, code: 'NodeNotFound', message: `No node named '${name}'${q.cluster ? ` in cluster '${q.cluster}'` : ''}. List nodes with 'kubectl get nodes' or GET /_aksemu/nodes.` };
  return {
    status: 409,
    code: 'AmbiguousNodeName',
    message: `Several clusters have a node named '${name}' (${hits.map((h) => `${rgOf(h.cluster.id)}/${h.cluster.name}`).join(', ')}): name the cluster with --cluster-name and --resource-group.`,
  };
}

async function describe(svc: ContainerService, cluster: ManagedClusterDoc, inst: InstanceRecord) {
  const kv = await svc.deps.store.get(registryKey(cluster.properties.resourceUID, 'nodes', undefined, inst.name));
  return describeWith(cluster, inst, kv ? decodeObject<NodeObject>(kv.value, kv.modRevision) : undefined);
}

/**
 * Every node of a cluster: its instances and its Node objects each read in one go, not one store read per node (a
 * listing of 1,000 nodes made 1,000 reads in a row, each waiting behind whatever else the process was doing: seconds
 * while a new cluster's controllers settle).
 */
async function describeAll(svc: ContainerService, cluster: ManagedClusterDoc) {
  const uid = cluster.properties.resourceUID;
  const prefix = registryKey(uid, 'nodes', undefined, '');
  const objects = new Map((await svc.deps.store.range(prefix)).items.map((kv) => [kv.key.slice(prefix.length), kv] as const));
  return (await svc.fleet.instances(uid)).map((inst) => {
    const kv = objects.get(inst.name);
    return describeWith(cluster, inst, kv ? decodeObject<NodeObject>(kv.value, kv.modRevision) : undefined);
  });
}

function describeWith(cluster: ManagedClusterDoc, inst: InstanceRecord, node: NodeObject | undefined) {
  const ready = (node?.status?.conditions as Array<{ type: string; status: string }> | undefined)?.find((c) => c.type === 'Ready')?.status === 'True';
  const f = inst.facts;
  return {
    name: inst.name,
    cluster: { id: cluster.id, name: cluster.name, resourceGroup: rgOf(cluster.id) },
    pool: inst.pool,
    instanceId: inst.instanceId,
    // SPEC C-16: a surge node, there only while its pool's rollout runs.
    ...(inst.surge ? { surge: true } : {}),
    state: inst.state,
    ready,
    privateIp: inst.privateIp,
    vmSize: inst.model.vmSize,
    osType: inst.model.osType,
    osSku: inst.model.osSku,
    nodeImageVersion: inst.model.image,
    kernelVersion: inst.model.kernel,
    kubernetesVersion: inst.model.kubernetesVersion,
    fipsEnabled: f?.fipsEnabled ?? inst.model.fips,
    bootCount: inst.bootCount,
    ...(inst.target ? { target: { nodeImageVersion: inst.target.image, readyAt: inst.readyAt !== undefined ? new Date(inst.readyAt).toISOString() : undefined } } : {}),
    ...(inst.failure ? { failure: inst.failure } : {}),
    labels: node?.metadata.labels ?? {},
    // SPEC F-8: limitations of FIPS nodes that AKS documents and does not fix.
    ...(inst.model.fips ? { knownLimitations: FIPS_LIMITATIONS } : {}),
    facts: f
      ? {
          osImage: f.osImage,
          kernel: f.kernel,
          secureBoot: f.secureBoot,
          vtpm: f.vtpm,
          bootId: f.bootId,
          bootedAt: f.bootedAt,
          ...(f.osType === 'Linux'
            ? { fipsEnabledFile: f.files['/proc/sys/crypto/fips_enabled']?.trim(), motd: f.files['/etc/motd'] }
            : { registry: f.registry }),
        }
      : undefined,
  };
}

/**
 * The scope of a node request (SPEC Z-1): the node's cluster; the one cluster a listing names; otherwise the instance
 * (a caller must hold the right over the subscription to look across clusters, or to learn a node does not exist).
 */
export async function nodeScope(svc: ContainerService, req: FastifyRequest): Promise<string | undefined> {
  const hit = await findNode(svc, (req.params as { name: string }).name, req.query as Query);
  return 'code' in hit ? undefined : hit.cluster.id;
}

async function clusterScope(svc: ContainerService, req: FastifyRequest): Promise<string | undefined> {
  const q = req.query as Query;
  if (!q.cluster) return undefined;
  const matching = await clustersMatching(svc, q);
  return matching.length === 1 ? matching[0]!.id : undefined;
}

export function registerNodeApi(svc: ContainerService, app: FastifyInstance, tokens: TokenService): void {
  app.register(
    async (scope) => {
      scope.addHook('onRequest', requireArmToken(tokens));
      scope.get('/', { config: { adminRight: { action: 'Aksemu.Emulator/nodes/read', scope: (req) => clusterScope(svc, req) } } }, async (req: FastifyRequest<{ Querystring: Query }>) => {
        const out = [];
        for (const c of await clustersMatching(svc, req.query)) out.push(...(await describeAll(svc, c)));
        return { value: out };
      });
      scope.get('/:name', { config: { adminRight: { action: 'Aksemu.Emulator/nodes/read', scope: (req) => nodeScope(svc, req) } } }, async (req: FastifyRequest<{ Params: { name: string }; Querystring: Query }>, reply) => {
        const hit = await findNode(svc, req.params.name, req.query);
        if ('code' in hit) return err(reply, hit.status, hit.code, hit.message);
        return describe(svc, hit.cluster, hit.inst);
      });
      scope.post('/:name/exec', { config: { adminRight: { action: 'Aksemu.Emulator/nodes/exec/action', scope: (req) => nodeScope(svc, req) } } }, async (req: FastifyRequest<{ Params: { name: string }; Querystring: Query }>, reply) => {
        let body: { command?: unknown; stdin?: unknown };
        try {
          body = JSON.parse(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '{}');
        } catch {
          return err(reply, 400, 'InvalidRequestContent', 'The body must be JSON: {"command": ["cat", "/proc/sys/crypto/fips_enabled"]}.');
        }
        if (!Array.isArray(body.command) || body.command.length === 0 || body.command.some((a) => typeof a !== 'string')) {
          return err(reply, 400, 'InvalidRequestContent', 'command must be a non-empty array of strings.');
        }
        if (body.stdin !== undefined && typeof body.stdin !== 'string') return err(reply, 400, 'InvalidRequestContent', 'stdin must be base64 text.');
        const hit = await findNode(svc, req.params.name, req.query);
        if ('code' in hit) return err(reply, hit.status, hit.code, hit.message);
        if (hit.inst.state !== 'Running' || !hit.inst.facts) {
          return err(reply, 409, 'NodeNotRunning', `Node '${hit.inst.name}' is ${hit.inst.state}: wait until it is running again (its pool's operation shows when).`);
        }
        return execOnNode(hit.inst.facts, body.command as string[], Buffer.from((body.stdin as string | undefined) ?? '', 'base64'));
      });
    },
    { prefix: '/_aksemu/nodes' },
  );
}

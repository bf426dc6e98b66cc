/**
 * Private endpoints of vaults (SPEC K-5, K-6): how a caller "comes through a private endpoint", which is what a
 * vault with `publicNetworkAccess: Disabled` requires (403 ForbiddenByConnection otherwise).
 *
 * Design: each private endpoint is a unix domain socket in the data directory, `<dataDir>/pe/<16 hex>.sock`
 * (directory 0700, socket 0600), served by the front door's own HTTPS server: a connection accepted on that socket
 * is recorded (in a WeakMap keyed by the server's socket object) as belonging to that endpoint, and requests on it
 * carry the endpoint's identity into the data plane. Nothing a caller sends (headers, host names, addresses) can
 * claim a private endpoint: only a process that can open the socket file, i.e. one with access to the data
 * directory — the cluster's KMS plugin — connects through it. Clients speak TLS over the socket exactly
 * as to `<vault>.vault.azure.net` (SNI and Host name the vault), e.g. with an https.Agent whose createConnection
 * opens the socket.
 *
 *   /keyvault/privateendpoints/<guid>   {id, name, vaultName, vaultId, socket, connectionName, ...}
 *
 * The endpoint also appears as an ARM document (`Microsoft.Network/privateEndpoints`, in the given — e.g. the
 * cluster's node — resource group) and as an Approved entry of the vault's `privateEndpointConnections`.
 * The KMS feature creates them with `keyVault.privateEndpoints.create({...})` → {id, socketPath}.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Arm } from '../arm/arm.js';
import { providerResourceId } from '../arm/resource-id.js';
import type { Clock } from '../runtime/clock.js';
import { getJson, listJson, putJson } from '../store/json.js';
import type { Store } from '../store/store.js';
import { newGuid } from '../util/ids.js';
import type { PrivateEndpointConnectionItem, VaultResource } from './vault-model.js';
import type { Vaults } from './vaults.js';

export interface PrivateEndpointRecord {
  guid: string;
  /** ARM id of the Microsoft.Network/privateEndpoints resource. */
  id: string;
  name: string;
  location: string;
  vaultName: string;
  vaultId: string;
  /** File name of the socket under <dataDir>/pe/. */
  socket: string;
  connectionName: string;
  createdAt: string;
}

export interface CreatePrivateEndpointInput {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  vaultName: string;
  location?: string;
}

const key = (guid: string) => `/keyvault/privateendpoints/${guid}`;

/** The private endpoint a server-side socket belongs to. */
const endpointOfSocket = new WeakMap<object, PrivateEndpointRecord>();

/** The private endpoint a request came through (walks from the TLS socket to the accepted socket), if any. */
export function privateEndpointOf(socket: Duplex | undefined): PrivateEndpointRecord | undefined {
  let s: unknown = socket;
  for (let depth = 0; s && depth < 4; depth++) {
    const hit = endpointOfSocket.get(s as object);
    if (hit) return hit;
    s = (s as { _parent?: unknown })._parent;
  }
  return undefined;
}

export class PrivateEndpoints {
  private readonly servers = new Map<string, Server>();
  private readonly sockets = new Map<string, Set<Socket>>();
  private readonly dir: string;

  constructor(
    private readonly store: Store,
    private readonly arm: Arm,
    private readonly vaults: Vaults,
    private readonly clock: Clock,
    private readonly app: FastifyInstance,
    dataDir: string,
  ) {
    this.dir = join(dataDir, 'pe');
  }

  socketPath(record: Pick<PrivateEndpointRecord, 'socket'>): string {
    return join(this.dir, record.socket);
  }

  async list(): Promise<PrivateEndpointRecord[]> {
    return (await listJson<PrivateEndpointRecord>(this.store, '/keyvault/privateendpoints/')).map((d) => d.value);
  }

  /** Creates a private endpoint (and its Approved connection on the vault) and starts its socket. */
  async create(input: CreatePrivateEndpointInput): Promise<PrivateEndpointRecord & { socketPath: string }> {
    const vault = await this.vaults.byName(input.vaultName);
    if (!vault) throw new Error(`no vault named '${input.vaultName}'`);
    await this.arm.requireResourceGroup(input.subscriptionId, input.resourceGroup);
    const guid = newGuid();
    const id = providerResourceId(input.subscriptionId, input.resourceGroup, 'Microsoft.Network', [['privateEndpoints', input.name]]);
    const record: PrivateEndpointRecord = {
      guid,
      id,
      name: input.name,
      location: input.location ?? vault.location,
      vaultName: vault.name.toLowerCase(),
      vaultId: vault.id,
      socket: `${createHash('sha256').update(guid).digest('hex').slice(0, 16)}.sock`,
      connectionName: `${input.name}.${guid}`,
      createdAt: this.clock.iso(),
    };
    await putJson(this.store, key(guid), record, { ifModRevision: 0 });
    await this.arm.resources.put({
      id,
      name: input.name,
      type: 'Microsoft.Network/privateEndpoints',
      location: record.location,
      tags: {},
      properties: {
        provisioningState: 'Succeeded',
        privateLinkServiceConnections: [
          {
            name: input.name,
            properties: {
              privateLinkServiceId: vault.id,
              groupIds: ['vault'],
              privateLinkServiceConnectionState: { status: 'Approved', description: 'Auto-approved', actionsRequired: 'None' },
            },
          },
        ],
        customDnsConfigs: [{ fqdn: `${vault.name.toLowerCase()}.vault.azure.net`, ipAddresses: [] }],
      },
    });
    await this.updateVaultConnections(vault.name);
    await this.listen(record);
    return { ...record, socketPath: this.socketPath(record) };
  }

  /** Deletes the endpoint with this ARM id (Microsoft.Network/privateEndpoints/...), if any. */
  async deleteById(id: string): Promise<void> {
    const record = (await this.list()).find((r) => r.id.toLowerCase() === id.toLowerCase());
    if (record) await this.delete(record.guid);
  }

  async delete(guid: string): Promise<void> {
    const doc = await getJson<PrivateEndpointRecord>(this.store, key(guid));
    if (!doc) return;
    await this.store.delete(key(guid));
    await this.arm.resources.delete(doc.value.id);
    await this.stop(guid);
    await this.updateVaultConnections(doc.value.vaultName);
  }

  /** Rewrites the vault's privateEndpointConnections from the endpoint records. */
  private async updateVaultConnections(vaultName: string): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const vault = await this.vaults.byName(vaultName);
      if (!vault) return;
      const doc = await this.arm.resources.get<VaultResource>(vault.id);
      if (!doc) return;
      const connections: PrivateEndpointConnectionItem[] = (await this.list())
        .filter((r) => r.vaultName === vaultName.toLowerCase())
        .map((r) => ({
          id: `${vault.id}/privateEndpointConnections/${r.connectionName}`,
          etag: '',
          properties: {
            privateEndpoint: { id: r.id },
            privateLinkServiceConnectionState: { status: 'Approved', description: 'Auto-approved', actionsRequired: 'None' },
            provisioningState: 'Succeeded',
          },
        }));
      const { privateEndpointConnections: _old, ...rest } = doc.value.properties;
      const next: VaultResource = { ...doc.value, properties: { ...rest, ...(connections.length ? { privateEndpointConnections: connections } : {}) } as VaultResource['properties'] };
      if (await this.vaults.update(next, doc.modRevision)) return;
    }
  }

  /** Starts the sockets of every stored endpoint (called when the front door is ready). */
  async startAll(): Promise<void> {
    for (const r of await this.list()) await this.listen(r);
  }

  private async listen(record: PrivateEndpointRecord): Promise<void> {
    if (this.servers.has(record.guid)) return;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    const path = this.socketPath(record);
    try {
      unlinkSync(path); // a socket file left by a previous run
    } catch {
      /* none */
    }
    const open = new Set<Socket>();
    this.sockets.set(record.guid, open);
    const server = createServer((socket: Socket) => {
      endpointOfSocket.set(socket, record);
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => socket.destroy());
      // The front door's HTTPS server terminates TLS (SNI: the vault's host name) like any connection.
      this.app.server.emit('connection', socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    chmodSync(path, 0o600);
    this.servers.set(record.guid, server);
  }

  private async stop(guid: string): Promise<void> {
    const server = this.servers.get(guid);
    if (!server) return;
    this.servers.delete(guid);
    // close() waits for open connections: keep-alive clients (the KMS plugin) are cut, as a stopping server does.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets.get(guid) ?? []) s.destroy();
    this.sockets.delete(guid);
    await closed;
  }

  async stopAll(): Promise<void> {
    for (const guid of [...this.servers.keys()]) await this.stop(guid);
  }
}

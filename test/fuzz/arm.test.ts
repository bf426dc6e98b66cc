/**
 * Fuzz, ARM (SPEC R-1, R-4): generated writes to the management plane of a spawned emulator — resource groups,
 * managed clusters, agent pools, vaults and their access policies, user-assigned identities, role assignments and
 * definitions, and odd paths — with bodies of the wrong types, huge strings, deep nesting, prototype keys, unicode,
 * broken JSON, odd content types, bad api-versions, odd path segments and query strings. Every answer is below 500;
 * every 4xx is ARM's `{"error":{"code","message"}}`; a refused write changes nothing (the resource and its
 * collection read the same before and after); the instance stays up.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armClient, clusterBody, linuxPool } from '../../testkit/containerservice.js';
import { spawnEmulator, type SpawnedEmulator } from '../../testkit/emulator.js';
import { getToken, httpsCall, type TestResponse } from '../../testkit/http.js';
import { waitFor } from '../../testkit/wait.js';
import { expectAzureAnswer, fuzz, runs, spawnedTarget, Tally, timeoutFor, Unchanged, within, type FuzzTarget } from './harness.js';
import { apiVersion, contentType, hostileBody, hostileValue, ODD_METHODS, oddQuery, oddSegment, queryString } from './generators.js';

const RG_API = ['2022-09-01', '2021-04-01'];
const AKS_API = ['2026-04-01', '2022-11-01'];
const VAULT_API = ['2022-07-01', '2023-07-01'];
const MSI_API = ['2023-01-31'];
const AUTHZ_API = ['2022-04-01'];
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const BOUNDED = 40;

/** One kind of write: where it goes, what a valid body looks like, and what must read the same after a refusal. */
interface WriteTarget {
  what: string;
  methods: string[];
  /** The request path for a (generated) last segment. */
  path: (name: string) => string;
  /** Names that exist or are free, tried beside generated ones. */
  names: string[];
  body: () => unknown;
  versions: string[];
  /** Reads (path, api-version) whose answers a refused write must leave as they were. */
  reads: Array<[string, string]>;
  /** Requests that were 500s once (the shrunk counterexamples), tried first on every run. */
  found?: Array<{ method: string; name: string; body: unknown }>;
}

/** JSON text with objects whose own "toString" is not a function, as JSON.parse makes them. */
const withTraps = (doc: unknown) => JSON.stringify(doc).replace(/"TRAP"/g, '{"toString":false}');

describe('fuzz: ARM management plane (SPEC R-1, R-4)', () => {
  let emu: SpawnedEmulator;
  let token: string;
  let target: FuzzTarget;
  let sub: string;
  let principalId: string;
  const tally = new Tally('arm');

  const rgPath = (name: string) => `/subscriptions/${sub}/resourcegroups/${name}`;
  const clusters = () => `${rgPath('fuzz')}/providers/Microsoft.ContainerService/managedClusters`;
  const vaults = () => `${rgPath('fuzz')}/providers/Microsoft.KeyVault/vaults`;
  const identities = () => `${rgPath('fuzz')}/providers/Microsoft.ManagedIdentity/userAssignedIdentities`;
  const authz = () => `${rgPath('fuzz')}/providers/Microsoft.Authorization`;

  function send(method: string, path: string, query: string, body?: string | Buffer, type?: string): Promise<TestResponse> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (type !== undefined && body !== undefined) headers['content-type'] = type;
    return within(30_000, `${method} ${path}`, httpsCall(`${emu.url}${path}${query}`, { method, headers, ...(body !== undefined ? { body } : {}) }));
  }

  /** The answers of `reads`. */
  async function read(reads: Array<[string, string]>): Promise<unknown[]> {
    const out = [];
    for (const [path, version] of reads) {
      const res = await send('GET', path, `?api-version=${version}`);
      out.push({ status: res.status, body: res.json() });
    }
    return out;
  }

  /** Waits until no long operation of a cluster or pool runs (those change documents after the answer). */
  async function settle(): Promise<void> {
    const busy = (docs: Array<{ properties?: { provisioningState?: unknown } }>) =>
      docs.some((d) => ['Creating', 'Updating', 'Upgrading', 'Scaling', 'Starting', 'Stopping', 'Deleting'].includes(d.properties?.provisioningState as string));
    await waitFor('the clusters and pools to settle', async () => {
      const list = (await send('GET', clusters(), `?api-version=${AKS_API[0]}`)).json().value;
      const pools = (await send('GET', `${clusters()}/fuzz-aks/agentPools`, `?api-version=${AKS_API[0]}`)).json().value ?? [];
      return !busy(list) && !busy(pools);
    });
  }

  /** What a refused request to these reads must leave as it was. */
  const unchanged = (reads: Array<[string, string]>) => new Unchanged(() => read(reads), settle);

  /** Status below 500; a 4xx in ARM's error format. */
  const expectArmAnswer = (res: TestResponse, method: string) => expectAzureAnswer(tally, res, method);

  function writeProperty(t: () => WriteTarget) {
    return async () => {
      const w = t();
      const input = fc.record({
        method: fc.constantFrom(...w.methods),
        name: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...w.names) }, { weight: 1, arbitrary: oddSegment }),
        version: apiVersion(w.versions),
        extra: oddQuery,
        body: hostileBody(w.body()),
        type: contentType,
      });
      const state = unchanged(w.reads);
      const examples = (w.found ?? []).map((f) => ({ ...f, version: w.versions[0], extra: [] as string[], body: withTraps(f.body) as string | Buffer, type: 'application/json' as string | undefined }));
      await fuzz(tally, w.what, input, async ({ method, name, version, extra, body, type }) => {
        await state.before();
        const res = await send(method, w.path(name), queryString(version, extra), body, type);
        expectArmAnswer(res, method);
        await state.after(res.status >= 400, `${method} answered ${res.status}`);
      }, { runs: BOUNDED, target, examples });
    };
  }

  beforeAll(async () => {
    emu = await spawnEmulator();
    token = await getToken(emu.url, emu.env);
    target = spawnedTarget(emu, () => token);
    sub = emu.env.AZURE_SUBSCRIPTION_ID!;
    const arm = await armClient(emu.url, emu.env);
    expect((await arm.call('PUT', rgPath('fuzz'), { location: 'eastus' }, RG_API[0])).status).toBe(201);
    const created = await arm.run('PUT', `${clusters()}/fuzz-aks`, clusterBody({ pools: [linuxPool('nodepool1', { count: 1 })] }));
    expect(created.status, JSON.stringify(created.error)).toBe('Succeeded');
    const id = await arm.call('PUT', `${identities()}/fuzz-id`, { location: 'eastus' }, MSI_API[0]);
    expect(id.status, id.text).toBe(201);
    principalId = id.json().properties.principalId;
    const oid = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).oid;
    const vault = await arm.call('PUT', `${vaults()}/fuzz-kv`, vaultBody(oid), VAULT_API[0]);
    expect(vault.status, vault.text).toBe(200);
  });
  afterAll(async () => {
    tally.report();
    await emu?.stop();
  });

  const vaultBody = (oid = '00000000-0000-0000-0000-000000000001') => ({
    location: 'eastus',
    tags: { env: 'fuzz' },
    properties: {
      tenantId: emu.env.AZURE_TENANT_ID,
      sku: { family: 'A', name: 'standard' },
      enableRbacAuthorization: false,
      publicNetworkAccess: 'Enabled',
      accessPolicies: [{ tenantId: emu.env.AZURE_TENANT_ID, objectId: oid, permissions: { keys: ['get', 'encrypt'], secrets: [] } }],
    },
  });

  it('resource groups: PUT and PATCH', writeProperty(() => ({
    what: 'resource groups',
    methods: ['PUT', 'PATCH'],
    path: rgPath,
    names: ['fuzz', 'fuzz-new', 'Fuzz'],
    body: () => ({ location: 'eastus', tags: { a: 'b' }, managedBy: null, properties: {} }),
    versions: RG_API,
    reads: [[`/subscriptions/${sub}/resourcegroups`, RG_API[0]!]],
  })), timeoutFor(runs(BOUNDED)));

  it('managed clusters: PUT and PATCH', writeProperty(() => ({
    what: 'managed clusters',
    methods: ['PUT', 'PATCH'],
    path: (name) => `${clusters()}/${name}`,
    names: ['fuzz-aks'],
    body: () => clusterBody({ pools: [linuxPool('nodepool1', { count: 1, enableFIPS: false, osSKU: 'Ubuntu', securityProfile: { enableSecureBoot: false } })], properties: { securityProfile: {}, apiServerAccessProfile: {} } }),
    versions: AKS_API,
    reads: [[`${clusters()}/fuzz-aks`, AKS_API[0]!], [clusters(), AKS_API[0]!]],
    found: [
      // An update read kubernetesVersion and location as text without checking them.
      { method: 'PUT', name: 'fuzz-aks', body: { ...clusterBody(), properties: { ...clusterBody().properties, kubernetesVersion: -1 } } },
      { method: 'PUT', name: 'fuzz-aks', body: { ...clusterBody(), location: 'TRAP' } },
      { method: 'PUT', name: 'fuzz-aks', body: { ...clusterBody(), properties: { ...clusterBody().properties, dnsPrefix: 'TRAP' } } },
    ],
  })), timeoutFor(runs(BOUNDED)));

  it('agent pools: PUT', writeProperty(() => ({
    what: 'agent pools',
    methods: ['PUT'],
    path: (name) => `${clusters()}/fuzz-aks/agentPools/${name}`,
    names: ['nodepool1'],
    body: () => ({ properties: { count: 1, vmSize: 'Standard_DS2_v2', osType: 'Linux', osSKU: 'Ubuntu', mode: 'User', type: 'VirtualMachineScaleSets', enableFIPS: false, nodeLabels: { a: 'b' }, nodeTaints: ['k=v:NoSchedule'] } }),
    versions: AKS_API,
    reads: [[`${clusters()}/fuzz-aks/agentPools`, AKS_API[0]!], [`${clusters()}/fuzz-aks`, AKS_API[0]!]],
  })), timeoutFor(runs(BOUNDED)));

  it('vaults: PUT and PATCH', writeProperty(() => ({
    what: 'vaults',
    methods: ['PUT', 'PATCH'],
    path: (name) => `${vaults()}/${name}`,
    names: ['fuzz-kv'],
    body: () => vaultBody(),
    versions: VAULT_API,
    reads: [[`${vaults()}/fuzz-kv`, VAULT_API[0]!], [vaults(), VAULT_API[0]!]],
    found: [
      { method: 'PUT', name: 'fuzz-kv', body: { ...vaultBody(), properties: { ...vaultBody().properties, tenantId: ['TRAP'] } } },
      { method: 'PUT', name: 'fuzz-kv', body: { ...vaultBody(), properties: { ...vaultBody().properties, accessPolicies: [{ ...vaultBody().properties.accessPolicies[0], permissions: { keys: ['TRAP'] } }] } } },
      { method: 'PATCH', name: 'fuzz-kv', body: { properties: { enableRbacAuthorization: 'TRAP' } } },
    ],
  })), timeoutFor(runs(BOUNDED)));

  it('vault access policies: PUT add / replace / remove', writeProperty(() => ({
    what: 'vault access policies',
    methods: ['PUT'],
    path: (kind) => `${vaults()}/fuzz-kv/accessPolicies/${kind}`,
    names: ['add', 'replace', 'remove'],
    body: () => ({ properties: { accessPolicies: [{ tenantId: emu.env.AZURE_TENANT_ID, objectId: principalId, permissions: { keys: ['decrypt', 'encrypt'] } }] } }),
    versions: VAULT_API,
    reads: [[`${vaults()}/fuzz-kv`, VAULT_API[0]!]],
  })), timeoutFor(runs(BOUNDED)));

  it('user-assigned identities: PUT and PATCH', writeProperty(() => ({
    what: 'identities',
    methods: ['PUT', 'PATCH'],
    path: (name) => `${identities()}/${name}`,
    names: ['fuzz-id'],
    body: () => ({ location: 'eastus', tags: { a: 'b' } }),
    versions: MSI_API,
    reads: [[`${identities()}/fuzz-id`, MSI_API[0]!], [identities(), MSI_API[0]!]],
  })), timeoutFor(runs(BOUNDED)));

  it('role assignments and role definitions: PUT', writeProperty(() => ({
    what: 'role assignments',
    methods: ['PUT'],
    path: (name) => `${authz()}/${name.startsWith('roleDefinitions/') ? name : `roleAssignments/${name}`}`,
    names: ['7f2b8a3c-1d4e-4f5a-9b6c-0d1e2f3a4b5c', 'b0c1d2e3-f4a5-4b6c-8d7e-9f0a1b2c3d4e', 'roleDefinitions/5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'],
    body: () => ({
      properties: {
        roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${READER}`,
        principalId,
        principalType: 'ServicePrincipal',
        roleName: 'fuzz role',
        assignableScopes: [rgPath('fuzz')],
        permissions: [{ actions: ['Microsoft.Resources/subscriptions/resourceGroups/read'], notActions: [] }],
      },
    }),
    versions: AUTHZ_API,
    reads: [[`${authz()}/roleAssignments`, AUTHZ_API[0]!], [`${authz()}/roleDefinitions`, AUTHZ_API[0]!]],
    found: [
      {
        method: 'PUT',
        name: '7f2b8a3c-1d4e-4f5a-9b6c-0d1e2f3a4b5c',
        body: { properties: { roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${READER}`, principalId, principalType: ['TRAP'] } },
      },
    ],
  })), timeoutFor(runs(BOUNDED)));

  it('odd paths, methods and query strings anywhere under a subscription', async () => {
    const segment = fc.oneof(
      { weight: 2, arbitrary: fc.constantFrom('resourcegroups', 'fuzz', 'providers', 'Microsoft.ContainerService', 'managedClusters', 'fuzz-aks', 'agentPools', 'nodepool1', 'Microsoft.KeyVault', 'vaults', 'fuzz-kv', 'Microsoft.Authorization', 'roleAssignments', 'operations', 'locations', 'eastus', 'listClusterUserCredential', 'stop', 'start') },
      { weight: 1, arbitrary: oddSegment },
    );
    const input = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'HEAD', ...ODD_METHODS),
      sub: fc.oneof(fc.constant(sub), oddSegment),
      segments: fc.array(segment, { maxLength: 9 }),
      version: apiVersion([...RG_API, ...AKS_API]),
      extra: oddQuery,
      body: fc.option(hostileBody({ location: 'eastus', properties: {} }), { nil: undefined }),
      type: contentType,
    });
    const state = unchanged([[`/subscriptions/${sub}/resources`, RG_API[0]!], [`/subscriptions/${sub}/resourcegroups`, RG_API[0]!]]);
    await fuzz(tally, 'odd paths', input, async ({ method, sub: s, segments, version, extra, body, type }) => {
      await state.before();
      const res = await send(method, `/subscriptions/${[s, ...segments].join('/')}`, queryString(version, extra), body, type);
      expectArmAnswer(res, method);
      // A read changes nothing, accepted or not.
      await state.after(res.status >= 400 || method === 'GET', `${method} answered ${res.status}`);
    }, {
      runs: BOUNDED,
      target,
      examples: [
        // The web framework's own 404 body for a method no route listed; a reset for a URL over the header limit.
        { method: 'OPTIONS', sub, segments: [], version: RG_API[0], extra: [], body: undefined, type: 'application/json' },
        { method: 'PROPFIND', sub, segments: ['resourcegroups'], version: RG_API[0], extra: [], body: undefined, type: 'application/json' },
        { method: 'GET', sub, segments: ['resourcegroups'], version: RG_API[0], extra: [`x=${'a'.repeat(1_100_000)}`], body: undefined, type: 'application/json' },
      ],
    });
  }, timeoutFor(runs(BOUNDED)));

  it('hostile values in every field of a cluster body, without the noise of a broken document', async () => {
    // The document is always valid JSON of the right outer shape, so the values reach the provider's parsing.
    const base = clusterBody({ pools: [linuxPool('nodepool1', { count: 1 })] }) as Record<string, any>;
    const input = fc.record({
      field: fc.constantFrom('location', 'identity', 'kubernetesVersion', 'dnsPrefix', 'agentPoolProfiles', 'securityProfile', 'aadProfile', 'apiServerAccessProfile', 'networkProfile', 'disableLocalAccounts', 'tags', 'sku'),
      value: hostileValue,
      inPool: fc.boolean(),
      poolField: fc.constantFrom('name', 'count', 'vmSize', 'osType', 'osSKU', 'mode', 'type', 'enableFIPS', 'securityProfile', 'messageOfTheDay', 'nodeLabels', 'nodeTaints', 'orchestratorVersion', 'availabilityZones', 'maxPods'),
    });
    const state = unchanged([[`${clusters()}/fuzz-fields`, AKS_API[0]!], [clusters(), AKS_API[0]!]]);
    await fuzz(tally, 'cluster fields', input, async ({ field, value, inPool, poolField }) => {
      const doc = structuredClone(base);
      if (inPool) doc.properties.agentPoolProfiles[0][poolField] = value;
      else if (field === 'location' || field === 'identity' || field === 'tags' || field === 'sku') doc[field] = value;
      else doc.properties[field] = value;
      await state.before();
      const res = await send('PUT', `${clusters()}/fuzz-fields`, `?api-version=${AKS_API[0]}`, JSON.stringify(doc), 'application/json');
      expectArmAnswer(res, 'PUT');
      await state.after(res.status >= 400, `PUT answered ${res.status}`);
    }, { runs: BOUNDED, target, examples: [{ field: 'location', value: { toString: false }, inPool: false, poolField: 'name' }] });
  }, timeoutFor(runs(BOUNDED)));
});

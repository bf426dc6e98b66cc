/**
 * The corpus: for each service, every operation of its swaggers that carries `x-ms-examples`, and each example
 * file it names (operationId, method, path template, parameters by location, the example's parameters and
 * responses). The Resources examples come without their swagger; their operations are a small table here.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Swaggers, type Located } from './swagger.js';

export type ServiceName = 'aks' | 'keyvault-keys' | 'keyvault-vaults' | 'msi' | 'authorization' | 'resources';

export interface ExampleFile {
  parameters: Record<string, any>;
  responses: Record<string, { body?: any; headers?: Record<string, string> }>;
  title?: string;
  operationId?: string;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'body';
  schema?: Located;
}

export interface ExampleCase {
  service: ServiceName;
  /** The example's file name: the test's name and the out-of-scope list's key. */
  file: string;
  /** Below the corpus root. */
  path: string;
  operationId: string;
  method: string;
  pathTemplate: string;
  parameters: Parameter[];
  /** Response schemas by status code (and `default`), where a swagger says. */
  responses: Map<string, Located | undefined>;
  longRunning: boolean;
  finalStateVia?: string;
  example: ExampleFile;
}

const AKS = 'containerservice/resource-manager/Microsoft.ContainerService/aks/stable/2026-08-01/managedClusters.json';
const SWAGGERS: Record<Exclude<ServiceName, 'resources'>, string[]> = {
  aks: [AKS],
  'keyvault-keys': ['keyvault/data-plane/Microsoft.KeyVault/stable/2025-07-01/keys.json'],
  'keyvault-vaults': ['keyvault/resource-manager/Microsoft.KeyVault/stable/2025-05-01/keyvault.json'],
  msi: ['msi/resource-manager/Microsoft.ManagedIdentity/stable/2024-11-30/ManagedIdentity.json'],
  authorization: [
    'authorization/resource-manager/Microsoft.Authorization/stable/2022-04-01/authorization-RoleAssignmentsCalls.json',
    'authorization/resource-manager/Microsoft.Authorization/stable/2022-04-01/authorization-RoleDefinitionsCalls.json',
  ],
};

/**
 * The Resources examples' operations (ARM's resource groups and providers APIs; `resources.json` is not in the
 * corpus): method, path template and the name of the body parameter, by example file.
 */
const RESOURCES_OPERATIONS: Record<string, { operationId: string; method: string; path: string; body?: string; query?: string[] }> = {
  'CreateResourceGroup.json': { operationId: 'ResourceGroups_CreateOrUpdate', method: 'PUT', path: '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}', body: 'parameters' },
  'ForceDeleteVMsInResourceGroup.json': { operationId: 'ResourceGroups_Delete', method: 'DELETE', path: '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}', query: ['forceDeletionTypes'] },
  'ForceDeleteVMsAndVMSSInResourceGroup.json': { operationId: 'ResourceGroups_Delete', method: 'DELETE', path: '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}', query: ['forceDeletionTypes'] },
  'ExportResourceGroup.json': { operationId: 'ResourceGroups_ExportTemplate', method: 'POST', path: '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/exportTemplate', body: 'parameters' },
  'ExportResourceGroupAsBicep.json': { operationId: 'ResourceGroups_ExportTemplate', method: 'POST', path: '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/exportTemplate', body: 'parameters' },
  'ExportResourceGroupWithFiltering.json': { operationId: 'ResourceGroups_ExportTemplate', method: 'POST', path: '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/exportTemplate', body: 'parameters' },
  'GetProviders.json': { operationId: 'Providers_List', method: 'GET', path: '/subscriptions/{subscriptionId}/providers' },
  'GetProvider.json': { operationId: 'Providers_Get', method: 'GET', path: '/subscriptions/{subscriptionId}/providers/{resourceProviderNamespace}' },
  'GetNamedProviderAtTenant.json': { operationId: 'Providers_GetAtTenantScope', method: 'GET', path: '/providers/{resourceProviderNamespace}', query: ['$expand'] },
  'GetProviderPermissions.json': { operationId: 'Providers_ProviderPermissions', method: 'GET', path: '/subscriptions/{subscriptionId}/providers/{resourceProviderNamespace}/providerPermissions' },
  'GetProviderResourceTypes.json': { operationId: 'ProviderResourceTypes_List', method: 'GET', path: '/subscriptions/{subscriptionId}/providers/{resourceProviderNamespace}/resourceTypes' },
};
const RESOURCES_FOLDER = 'resources/resource-manager/Microsoft.Resources/stable';

const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head'];

export interface Corpus {
  cases: ExampleCase[];
  /** Example files a swagger names that the corpus does not hold. */
  missing: string[];
  swaggers: Swaggers;
}

export function loadCorpus(root: string, service: ServiceName): Corpus {
  const swaggers = new Swaggers();
  const cases: ExampleCase[] = [];
  const missing: string[] = [];
  if (service === 'resources') {
    for (const [file, op] of Object.entries(RESOURCES_OPERATIONS)) {
      const folder = ['2025-04-01', '2024-11-01', '2024-07-01', '2024-03-01'].map((v) => join(RESOURCES_FOLDER, v, 'examples', file)).find((p) => existsSync(join(root, p)));
      if (!folder) {
        missing.push(file);
        continue;
      }
      const parameters: Parameter[] = [
        ...[...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1]!, in: 'path' as const })),
        { name: 'api-version', in: 'query' },
        ...(op.query ?? []).map((name) => ({ name, in: 'query' as const })),
        ...(op.body ? [{ name: op.body, in: 'body' as const }] : []),
      ];
      cases.push({
        service,
        file,
        path: folder,
        operationId: op.operationId,
        method: op.method,
        pathTemplate: op.path,
        parameters,
        responses: new Map(),
        longRunning: op.method === 'DELETE' || op.operationId === 'ResourceGroups_ExportTemplate',
        example: JSON.parse(readFileSync(join(root, folder), 'utf8')) as ExampleFile,
      });
    }
    return { cases, missing, swaggers };
  }
  for (const rel of SWAGGERS[service]) {
    const file = join(root, rel);
    const doc = swaggers.doc(file);
    const paths = { ...(doc.paths ?? {}), ...(doc['x-ms-paths'] ?? {}) } as Record<string, Record<string, any>>;
    for (const [key, item] of Object.entries(paths)) {
      // x-ms-paths keys carry a query part that only tells two templates apart.
      const template = key.split('?')[0]!;
      const shared = (item.parameters ?? []) as any[];
      for (const method of METHODS) {
        const op = item[method];
        if (!op?.['x-ms-examples']) continue;
        const parameters = [...shared, ...(op.parameters ?? [])].map((p) => {
          const loc = swaggers.deref(p, file);
          return { name: loc.schema.name as string, in: loc.schema.in as Parameter['in'], ...(loc.schema.schema ? { schema: { schema: loc.schema.schema, file: loc.file } } : {}) };
        });
        const responses = new Map<string, Located | undefined>();
        for (const [code, r] of Object.entries<any>(op.responses ?? {})) {
          const loc = swaggers.deref(r, file);
          responses.set(code, loc.schema.schema ? { schema: loc.schema.schema, file: loc.file } : undefined);
        }
        for (const ex of Object.values<{ $ref: string }>(op['x-ms-examples'])) {
          const exPath = join(dirname(rel), ex.$ref);
          // An example of a newer version folder may be absent; the corpus then holds the newest stable copy.
          const found = findExample(root, exPath);
          if (!found) {
            missing.push(basename(ex.$ref));
            continue;
          }
          cases.push({
            service,
            file: basename(found),
            path: found,
            operationId: op.operationId,
            method: method.toUpperCase(),
            pathTemplate: template,
            parameters,
            responses,
            longRunning: op['x-ms-long-running-operation'] === true,
            ...(op['x-ms-long-running-operation-options']?.['final-state-via'] ? { finalStateVia: op['x-ms-long-running-operation-options']['final-state-via'] } : {}),
            example: JSON.parse(readFileSync(join(root, found), 'utf8')) as ExampleFile,
          });
        }
      }
    }
  }
  return { cases, missing, swaggers };
}

/** The example at its path, or the same file name in a sibling version folder (newest first). */
function findExample(root: string, rel: string): string | undefined {
  if (existsSync(join(root, rel))) return rel;
  const name = basename(rel);
  const versionsDir = dirname(dirname(dirname(rel)));
  const stable = join(root, versionsDir);
  if (!existsSync(stable)) return undefined;
  const versions = readdirSafe(stable).sort().reverse();
  for (const v of versions) {
    const candidate = join(versionsDir, v, 'examples', name);
    if (existsSync(join(root, candidate))) return candidate;
  }
  return undefined;
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

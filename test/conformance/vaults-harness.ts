/**
 * The Key Vault management examples' world: vault names unique to each example (vault names are global), the
 * instance's tenant and principal in access policies, and the vault an operation acts on (live or soft-deleted),
 * created from the writable part of the example's own answer.
 */
import type { ExampleCase } from './corpus.js';
import { objectIdOf, writable } from './fixtures.js';
import type { Harness, HarnessContext } from './suite.js';
import type { Located } from './swagger.js';

const API = '2025-05-01';

export function vaultsHarness(): Harness {
  let swaggerFile = '';
  const def = (name: string): Located => ({ schema: { $ref: `#/definitions/${name}` }, file: swaggerFile });
  const vaultPath = (ctx: HarnessContext, group: string, name: string) => `/subscriptions/${ctx.arm.subscriptionId}/resourceGroups/${group}/providers/Microsoft.KeyVault/vaults/${name}`;
  const answer = (example: ExampleCase['example']) => example.responses['200']?.body;
  let tenant = '';
  let principal = '';
  const names = new Map<string, number>();

  function minimalVault(location: string) {
    return { location, properties: { tenantId: tenant, sku: { family: 'A', name: 'standard' }, accessPolicies: [] } };
  }

  return {
    async start(ctx) {
      tenant = ctx.emulator.env.AZURE_TENANT_ID!;
      principal = objectIdOf(ctx.arm.token);
    },
    parameters(c) {
      // One IP rule of the network ACL example is written in quotes ("'10.91.4.0/24'"): the range is sent.
      if (c.file !== 'createVaultWithNetworkAcls.json') return undefined;
      const body = structuredClone(c.example.parameters.parameters);
      for (const rule of body.properties.networkAcls.ipRules) rule.value = String(rule.value).replace(/^'|'$/g, '');
      return { parameters: body };
    },
    substitute(c, subs) {
      swaggerFile ||= (c.responses.get('200') ?? c.responses.get('default'))?.file ?? '';
      // Vault names are global: each example gets its own for every vault name it uses.
      const index = names.size;
      names.set(c.file, index);
      for (const name of ['sample-vault', 'vault-agile-drawer-6404', 'vault1']) {
        const own = `cv${index}${name.replace(/[^a-z0-9]/g, '').slice(0, 12)}`;
        subs.value(name, own).text(`/vaults/${name}`, `/vaults/${own}`).text(`/deletedVaults/${name}`, `/deletedVaults/${own}`);
      }
      if (c.operationId === 'Vaults_ListBySubscription') subs.groupFirst('sample-group');
      subs.property(/^tenantId$/, () => tenant).property(/^objectId$/, () => principal);
    },
    async prepare(c, example, _subs, ctx) {
      const p = example.parameters;
      const body = answer(example);
      // A list with a page size gets one item more than a page: its answer must link to the next page.
      const paged = Number(p.$top) === 1;
      if (c.operationId === 'Vaults_ListByResourceGroup' || c.operationId === 'Vaults_ListBySubscription') {
        const item = body?.value?.[0];
        const group = /\/resourceGroups\/([^/]+)/i.exec(item.id)![1]!;
        for (const name of paged ? [item.name, `${item.name}b`] : [item.name]) {
          await ctx.arm.ensure('PUT', vaultPath(ctx, group, name), API, writable(item, def('Vault'), ctx.swaggers));
        }
        return { paged };
      }
      if (c.operationId === 'Vaults_ListDeleted' || c.operationId === 'Vaults_GetDeleted' || c.operationId === 'Vaults_PurgeDeleted') {
        const item = c.operationId === 'Vaults_ListDeleted' ? body?.value?.[0] : body;
        const name = p.vaultName ?? item?.name;
        const group = /\/resourceGroups\/([^/]+)/i.exec(item?.properties?.vaultId ?? '')?.[1] ?? 'deleted';
        await ctx.arm.group(group);
        for (const vault of paged ? [name, `${name}b`] : [name]) {
          const path = vaultPath(ctx, group, vault);
          await ctx.arm.ensure('PUT', path, API, minimalVault(p.location ?? item?.properties?.location ?? 'westus'));
          await ctx.arm.ensure('DELETE', path, API);
        }
        return { paged };
      }
      if (!p.vaultName || !p.resourceGroupName || c.operationId === 'Vaults_CreateOrUpdate') return;
      const vault = body && c.operationId === 'Vaults_Get' ? writable(body, def('Vault'), ctx.swaggers) : minimalVault('westus');
      await ctx.arm.ensure('PUT', vaultPath(ctx, p.resourceGroupName, p.vaultName), API, vault);
    },
  };
}

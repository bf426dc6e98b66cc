/**
 * The managed identity examples' world: the identity (and federated credential) an operation acts on, created from
 * the writable part of the example's own answer.
 */
import type { ExampleCase } from './corpus.js';
import { writable } from './fixtures.js';
import type { Harness, HarnessContext } from './suite.js';
import type { Located } from './swagger.js';

const API = '2024-11-30';
const MINIMAL_CREDENTIAL = { properties: { issuer: 'https://oidc.example.com/issuer', subject: 'system:serviceaccount:default:workload', audiences: ['api://AzureADTokenExchange'] } };

export function msiHarness(): Harness {
  let swaggerFile = '';
  const def = (name: string): Located => ({ schema: { $ref: `#/definitions/${name}` }, file: swaggerFile });
  const identityPath = (ctx: HarnessContext, group: string, name: string) =>
    `/subscriptions/${ctx.arm.subscriptionId}/resourceGroups/${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
  const answer = (example: ExampleCase['example']) => example.responses['200']?.body;

  return {
    parameters(c) {
      // The system-assigned identity example names its resource only inside `scope`, while the template has both a
      // `resourceUri` and a `scope`: the resource goes where the template wants it.
      if (c.operationId !== 'SystemAssignedIdentities_GetByScope' || typeof c.example.parameters.scope !== 'string') return undefined;
      return { resourceUri: c.example.parameters.scope.replace(/\/identities\/default$/i, ''), scope: 'default' };
    },
    substitute(c) {
      swaggerFile ||= (c.responses.get('200') ?? c.responses.get('default'))?.file ?? '';
    },
    async prepare(c, example, _subs, ctx) {
      const p = example.parameters;
      if (c.operationId === 'UserAssignedIdentities_ListByResourceGroup' || c.operationId === 'UserAssignedIdentities_ListBySubscription') {
        const item = answer(example)?.value?.[0];
        const group = /\/resourcegroups\/([^/]+)/i.exec(item.id)![1]!;
        await ctx.arm.ensure('PUT', identityPath(ctx, group, item.name), API, writable(item, def('Identity'), ctx.swaggers));
        return;
      }
      if (!p.resourceName || c.operationId === 'UserAssignedIdentities_CreateOrUpdate') return;
      const identity = identityPath(ctx, p.resourceGroupName, p.resourceName);
      const body = c.operationId === 'UserAssignedIdentities_Get' && answer(example) ? writable(answer(example), def('Identity'), ctx.swaggers) : { location: 'eastus' };
      await ctx.arm.ensure('PUT', identity, API, body);
      if (c.operationId === 'FederatedIdentityCredentials_List') {
        const item = answer(example)?.value?.[0];
        await ctx.arm.ensure('PUT', `${identity}/federatedIdentityCredentials/${item.name}`, API, writable(item, def('FederatedIdentityCredential'), ctx.swaggers));
      } else if (p.federatedIdentityCredentialResourceName && c.operationId !== 'FederatedIdentityCredentials_CreateOrUpdate') {
        const credential = answer(example) ? writable(answer(example), def('FederatedIdentityCredential'), ctx.swaggers) : MINIMAL_CREDENTIAL;
        await ctx.arm.ensure('PUT', `${identity}/federatedIdentityCredentials/${p.federatedIdentityCredentialResourceName}`, API, credential);
      }
    },
  };
}

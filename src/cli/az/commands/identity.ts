/** `aksemu identity create|show|list|delete`: user-assigned managed identities (SPEC I-1). */
import { API } from '../api-versions.js';
import type { CommandSpec } from '../framework/spec.js';
import { locationArg, parseTags, resourceGroupArg, tagsArg } from './common-args.js';
import { resourceGroupLocation } from './resolve.js';
import { azFlattened } from './shape.js';

const TYPE = 'Microsoft.ManagedIdentity/userAssignedIdentities';
const nameArg = { dest: 'name', options: ['--name', '-n'], required: true, help: 'The name of the identity resource.' };
const identityPath = (sub: string, rg: string, name?: string) =>
  `/subscriptions/${sub}/resourceGroups/${encodeURIComponent(rg)}/providers/${TYPE}${name !== undefined ? `/${encodeURIComponent(name)}` : ''}`;

/** az prints an identity with its properties flattened: clientId, principalId, tenantId at the top. */
const identityOutput = (r: unknown) => azFlattened(r);

export const identityCommands: CommandSpec[] = [
  {
    path: 'identity create',
    summary: 'Create an identity.',
    args: [
      { ...nameArg },
      resourceGroupArg(),
      locationArg(),
      tagsArg(),
      { dest: 'isolationScope', options: ['--isolation-scope'], choices: ['None', 'Regional'], help: 'Enum to configure regional restrictions on identity assignment, as necessary.' },
    ],
    examples: [{ name: 'Create an identity.', text: 'az identity create --name MyIdentity --resource-group MyResourceGroup' }],
    async run(ctx, a) {
      const s = await ctx.session();
      const location = a.location ?? (await resourceGroupLocation(s, a.resourceGroup));
      const body = {
        location,
        ...(a.tags !== undefined ? { tags: parseTags(a.tags) } : {}),
        ...(a.isolationScope !== undefined ? { properties: { isolationScope: a.isolationScope } } : {}),
      };
      const res = await s.arm.call('PUT', identityPath(s.subscriptionId, a.resourceGroup, a.name), { apiVersion: API.managedIdentities, body });
      return identityOutput(res.json());
    },
  },
  {
    path: 'identity show',
    summary: 'Show an identity.',
    args: [{ ...nameArg }, resourceGroupArg()],
    async run(ctx, a) {
      const s = await ctx.session();
      return identityOutput(await s.arm.get(identityPath(s.subscriptionId, a.resourceGroup, a.name), API.managedIdentities));
    },
  },
  {
    path: 'identity list',
    summary: 'List managed identities.',
    args: [resourceGroupArg(false)],
    async run(ctx, a) {
      const s = await ctx.session();
      const path = a.resourceGroup !== undefined ? identityPath(s.subscriptionId, a.resourceGroup) : `/subscriptions/${s.subscriptionId}/providers/${TYPE}`;
      return (await s.arm.list(path, API.managedIdentities)).map(identityOutput);
    },
  },
  {
    path: 'identity delete',
    summary: 'Delete an identity.',
    args: [{ ...nameArg }, resourceGroupArg()],
    async run(ctx, a) {
      const s = await ctx.session();
      await s.arm.call('DELETE', identityPath(s.subscriptionId, a.resourceGroup, a.name), { apiVersion: API.managedIdentities });
      return undefined;
    },
  },
];

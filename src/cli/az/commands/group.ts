/** `aksemu group create|show|list|delete|exists`: resource groups (Microsoft.Resources). */
import { API } from '../api-versions.js';
import { ValidationError } from '../framework/errors.js';
import type { CommandSpec } from '../framework/spec.js';
import { locationArg, parseTags, tagsArg } from './common-args.js';

const nameArg = { dest: 'name', options: ['--name', '-n', '--resource-group', '-g'], required: true, help: 'The resource group name.' };
const rgPath = (sub: string, name: string) => `/subscriptions/${sub}/resourcegroups/${encodeURIComponent(name)}`;

/** az's group output is the ResourceGroup model: managedBy and tags are always present. */
function groupOutput(rg: Record<string, unknown>): Record<string, unknown> {
  return { id: rg.id, location: rg.location, managedBy: rg.managedBy ?? null, name: rg.name, properties: rg.properties, tags: rg.tags ?? null, type: rg.type };
}

export const groupCommands: CommandSpec[] = [
  {
    path: 'group create',
    summary: 'Create a new resource group.',
    args: [
      { ...nameArg },
      { ...locationArg(), required: true },
      tagsArg(),
      { dest: 'managedBy', options: ['--managed-by'], help: 'The ID of the resource that manages this resource group.' },
    ],
    examples: [{ name: 'Create a new resource group in the West US region.', text: 'az group create -l westus -n MyResourceGroup' }],
    async run(ctx, a) {
      const s = await ctx.session();
      const body = {
        location: a.location,
        ...(a.tags !== undefined ? { tags: parseTags(a.tags) } : {}),
        ...(a.managedBy !== undefined ? { managedBy: a.managedBy } : {}),
      };
      const res = await s.arm.call('PUT', rgPath(s.subscriptionId, a.name), { apiVersion: API.resourceGroups, body });
      return groupOutput(res.json() ?? {});
    },
  },
  {
    path: 'group show',
    summary: 'Gets a resource group.',
    args: [{ ...nameArg }],
    async run(ctx, a) {
      const s = await ctx.session();
      return groupOutput(await s.arm.get(rgPath(s.subscriptionId, a.name), API.resourceGroups));
    },
  },
  {
    path: 'group list',
    summary: 'List resource groups.',
    args: [{ dest: 'tag', options: ['--tag'], help: "a single tag in 'key[=value]' format" }],
    examples: [{ name: 'List all resource groups located in the West US region.', text: 'az group list --query "[?location==\'westus\']"' }],
    tableTransformer: (result: Array<Record<string, any>>) =>
      result.map((r) => ({ Name: r.name, Location: r.location, Status: r.properties?.provisioningState })),
    async run(ctx, a) {
      const s = await ctx.session();
      let path = `/subscriptions/${s.subscriptionId}/resourcegroups`;
      if (a.tag !== undefined) {
        const [k, v] = String(a.tag).split('=', 2);
        const filter = v === undefined ? `tagName eq '${k}'` : `tagName eq '${k}' and tagValue eq '${v}'`;
        path += `?$filter=${encodeURIComponent(filter)}`;
      }
      return (await s.arm.list(path, API.resourceGroups)).map(groupOutput);
    },
  },
  {
    path: 'group delete',
    summary: 'Delete a resource group.',
    args: [{ ...nameArg }, { dest: 'forceDeletionTypes', options: ['--force-deletion-types', '-f'], help: 'The resource types you want to force delete.' }],
    noWait: true,
    confirm: 'Are you sure you want to perform this operation?',
    examples: [{ name: 'Delete a resource group.', text: 'az group delete -n MyResourceGroup' }],
    async run(ctx, a) {
      const s = await ctx.session();
      if (a.forceDeletionTypes !== undefined) {
        const allowed = ['Microsoft.Compute/virtualMachines', 'Microsoft.Compute/virtualMachineScaleSets', 'Microsoft.Databricks/workspaces'];
        if (!allowed.includes(a.forceDeletionTypes)) throw new ValidationError(`--force-deletion-types can only be one of ${allowed.join(', ')}`);
      }
      const path = rgPath(s.subscriptionId, a.name) + (a.forceDeletionTypes ? `?forceDeletionTypes=${encodeURIComponent(a.forceDeletionTypes)}` : '');
      await s.arm.lro('DELETE', path, { apiVersion: API.resourceGroups, noWait: ctx.noWait, progress: ctx.progress() });
      return undefined;
    },
  },
  {
    path: 'group exists',
    summary: 'Check if a resource group exists.',
    args: [{ ...nameArg }],
    async run(ctx, a) {
      const s = await ctx.session();
      const res = await s.arm.call('HEAD', rgPath(s.subscriptionId, a.name), { apiVersion: API.resourceGroups, accept: [404] });
      return res.status === 204 || res.status === 200;
    },
  },
];

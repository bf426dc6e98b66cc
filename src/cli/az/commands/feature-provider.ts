/**
 * `aksemu feature register|show|list|unregister` (Microsoft.Features, SPEC C-8) and
 * `aksemu provider register|show|list|unregister`.
 */
import { API } from '../api-versions.js';
import { AzCliError } from '../framework/errors.js';
import type { CommandSpec } from '../framework/spec.js';

const namespaceArg = { dest: 'namespace', options: ['--namespace'], required: true, help: 'The resource namespace, aka \'provider\'.' };
const featureNameArg = { dest: 'name', options: ['--name', '-n'], required: true, help: 'The feature name.' };
const FEATURE_TABLE = '{Name:name, RegistrationState:properties.state}';

const featurePath = (sub: string, ns: string, name?: string) =>
  `/subscriptions/${sub}/providers/Microsoft.Features/providers/${encodeURIComponent(ns)}/features${name !== undefined ? `/${encodeURIComponent(name)}` : ''}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const featureCommands: CommandSpec[] = [
  {
    path: 'feature register',
    summary: 'Register a preview feature.',
    args: [{ ...namespaceArg }, { ...featureNameArg }],
    examples: [{ name: 'Register the "Shared Image Gallery" feature', text: 'az feature register --namespace Microsoft.Compute --name GalleryPreview' }],
    async run(ctx, a) {
      const s = await ctx.session();
      const res = await s.arm.call('POST', `${featurePath(s.subscriptionId, a.namespace, a.name)}/register`, { apiVersion: API.features });
      ctx.warn(`Once the feature '${a.name}' is registered, invoking 'az provider register -n ${a.namespace}' is required to get the change propagated`);
      return res.json();
    },
  },
  {
    path: 'feature unregister',
    summary: 'Unregister a preview feature.',
    args: [{ ...namespaceArg }, { ...featureNameArg }],
    async run(ctx, a) {
      const s = await ctx.session();
      ctx.warn(`Once the feature '${a.name}' is unregistered, invoking 'az provider register -n ${a.namespace}' is required to get the change propagated`);
      const res = await s.arm.call('POST', `${featurePath(s.subscriptionId, a.namespace, a.name)}/unregister`, { apiVersion: API.features });
      return res.json();
    },
  },
  {
    path: 'feature show',
    summary: 'Get the preview feature details.',
    args: [{ ...namespaceArg }, { ...featureNameArg }],
    tableTransformer: FEATURE_TABLE,
    async run(ctx, a) {
      const s = await ctx.session();
      return s.arm.get(featurePath(s.subscriptionId, a.namespace, a.name), API.features);
    },
  },
  {
    path: 'feature list',
    summary: 'List preview features.',
    args: [{ dest: 'namespace', options: ['--namespace'], help: 'The resource namespace, aka \'provider\'.' }],
    tableTransformer: `[].${FEATURE_TABLE}`,
    async run(ctx, a) {
      const s = await ctx.session();
      const path = a.namespace !== undefined ? featurePath(s.subscriptionId, a.namespace) : `/subscriptions/${s.subscriptionId}/providers/Microsoft.Features/features`;
      return s.arm.list(path, API.features);
    },
  },
];

const providerNamespaceArg = { dest: 'namespace', options: ['--namespace', '-n'], required: true, help: 'The resource namespace, aka \'provider\'.' };

async function changeRegistration(ctx: Parameters<CommandSpec['run']>[0], namespace: string, action: 'register' | 'unregister', wait: boolean): Promise<void> {
  const s = await ctx.session();
  const res = await s.arm.call('POST', `/subscriptions/${s.subscriptionId}/providers/${encodeURIComponent(namespace)}/${action}`, { apiVersion: API.providers });
  const target = action === 'register' ? 'registered' : 'unregistered';
  if (String(res.json()?.registrationState ?? '').toLowerCase() === target) return;
  if (!wait) {
    ctx.warn(`${action === 'register' ? 'Registering' : 'Unregistering'} is still on-going. You can monitor using 'az provider show -n ${namespace}'`);
    return;
  }
  const progress = ctx.progress();
  try {
    for (let i = 0; i < 3600; i++) {
      const p = await s.arm.get(`/subscriptions/${s.subscriptionId}/providers/${encodeURIComponent(namespace)}`, API.providers);
      progress.update(String(p.registrationState));
      if (String(p.registrationState).toLowerCase() === target || (target === 'unregistered' && p.registrationState === 'NotRegistered')) return;
      await sleep(i < 10 ? 100 : 2000);
    }
    throw new AzCliError(`Timed out waiting for the provider ${namespace} to be ${target}.`);
  } finally {
    progress.done();
  }
}

export const providerCommands: CommandSpec[] = [
  {
    path: 'provider register',
    summary: 'Register a provider.',
    args: [
      { ...providerNamespaceArg },
      { dest: 'wait', options: ['--wait'], kind: 'flag', help: 'Wait for the registration to finish.' },
      { dest: 'consentToPermissions', options: ['--consent-to-permissions'], kind: 'flag', help: 'A value indicating whether authorization is consented or not.' },
      { dest: 'managementGroupId', options: ['--management-group-id', '-m'], help: 'The group id to register the provider at.' },
      { dest: 'accept-terms', options: ['--accept-terms'], kind: 'flag', help: 'Accept market place terms and RP terms for RPaaS.' },
    ],
    examples: [{ name: 'Register a provider.', text: 'az provider register --namespace Microsoft.ContainerService' }],
    async run(ctx, a) {
      await changeRegistration(ctx, a.namespace, 'register', Boolean(a.wait));
      return undefined;
    },
  },
  {
    path: 'provider unregister',
    summary: 'Unregister a provider.',
    args: [{ ...providerNamespaceArg }, { dest: 'wait', options: ['--wait'], kind: 'flag', help: 'Wait for the unregistration to finish.' }],
    async run(ctx, a) {
      await changeRegistration(ctx, a.namespace, 'unregister', Boolean(a.wait));
      return undefined;
    },
  },
  {
    path: 'provider show',
    summary: 'Gets the specified resource provider.',
    args: [{ ...providerNamespaceArg }, { dest: 'expand', options: ['--expand'], help: 'The properties to include in the results.' }],
    async run(ctx, a) {
      const s = await ctx.session();
      const p = await s.arm.get(`/subscriptions/${s.subscriptionId}/providers/${encodeURIComponent(a.namespace)}${a.expand ? `?$expand=${encodeURIComponent(a.expand)}` : ''}`, API.providers);
      return { providerAuthorizationConsentState: null, ...p };
    },
  },
  {
    path: 'provider list',
    summary: 'Gets all resource providers for a subscription.',
    args: [{ dest: 'expand', options: ['--expand'], help: 'The properties to include in the results.' }],
    async run(ctx) {
      const s = await ctx.session();
      return (await s.arm.list(`/subscriptions/${s.subscriptionId}/providers`, API.providers)).map((p) => ({ providerAuthorizationConsentState: null, ...p }));
    },
  },
];

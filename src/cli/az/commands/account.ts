/**
 * `aksemu login`, `aksemu logout`, `aksemu account show|list` and `aksemu ad signed-in-user show`: which principal
 * the CLI acts as (see client/credentials.ts) and who that is.
 */
import { API } from '../api-versions.js';
import { clearLogin, loadCredentials, saveLogin, type Credentials } from '../client/credentials.js';
import { HttpClient } from '../client/http.js';
import { TokenProvider } from '../client/tokens.js';
import { ArmClient } from '../client/arm.js';
import { AzCliError, ValidationError } from '../framework/errors.js';
import type { CommandContext } from '../framework/context.js';
import type { CommandSpec } from '../framework/spec.js';

interface Subscription {
  subscriptionId: string;
  displayName: string;
  state: string;
  tenantId: string;
  managedByTenants?: unknown[];
}

function accountEntry(sub: Subscription, creds: Pick<Credentials, 'clientId' | 'tenantId'>, cloudKey: 'cloudName' | 'environmentName') {
  return {
    [cloudKey]: 'AzureCloud',
    homeTenantId: sub.tenantId ?? creds.tenantId,
    id: sub.subscriptionId,
    isDefault: true,
    managedByTenants: sub.managedByTenants ?? [],
    name: sub.displayName,
    state: sub.state,
    tenantId: sub.tenantId ?? creds.tenantId,
    user: { name: creds.clientId, type: 'servicePrincipal' },
  };
}

async function subscriptionsFor(ctx: CommandContext, creds: Omit<Credentials, 'subscriptionId' | 'source'>): Promise<Subscription[]> {
  const instance = ctx.instance();
  const http = new HttpClient(instance.baseUrl, instance.ca, (l) => ctx.debug(l));
  try {
    const tokens = new TokenProvider(http, creds.tenantId, creds.clientId, creds.secret);
    const arm = new ArmClient(http, tokens, '');
    return await arm.list<Subscription>('/subscriptions', API.subscriptions);
  } finally {
    http.close();
  }
}

export const accountCommands: CommandSpec[] = [
  {
    path: 'login',
    summary: 'Log in to the aksemu instance as a service principal (default: the instance\'s own principal).',
    subscription: false,
    args: [
      { dest: 'servicePrincipal', options: ['--service-principal'], kind: 'flag', help: 'Log in with a service principal.' },
      { dest: 'username', options: ['--username', '-u'], help: 'Client ID of the service principal.' },
      { dest: 'password', options: ['--password', '-p'], help: 'The client secret of the service principal.' },
      { dest: 'tenant', options: ['--tenant', '-t'], help: 'The Microsoft Entra tenant.' },
      { dest: 'allowNoSubscriptions', options: ['--allow-no-subscriptions'], kind: 'flag', help: 'Support access tenants without subscriptions.' },
      { dest: 'useDeviceCode', options: ['--use-device-code'], kind: 'flag', help: 'Use CLI\'s old authentication flow based on device code.' },
      { dest: 'identity', options: ['--identity', '-i'], kind: 'flag', help: 'Log in using the Virtual Machine\'s identity.' },
    ],
    examples: [
      { name: 'Log in with a service principal using client secret.', text: 'az login --service-principal -u http://azure-cli-2016-08-05-14-31-15 -p VerySecret --tenant contoso.onmicrosoft.com' },
    ],
    async run(ctx, a) {
      if (a.useDeviceCode || a.identity) throw new ValidationError('aksemu supports service principal logins only: aksemu login --service-principal -u APP_ID -p SECRET --tenant TENANT');
      const instance = ctx.instance();
      let creds: Omit<Credentials, 'subscriptionId' | 'source'>;
      if (a.username === undefined && a.password === undefined && !a.servicePrincipal) {
        clearLogin(instance);
        creds = loadCredentials(instance);
      } else {
        if (!a.servicePrincipal) throw new ValidationError('aksemu supports service principal logins only: add --service-principal');
        if (!a.username || !a.password || !a.tenant) {
          throw new ValidationError('usage error: --service-principal --username NAME --password SECRET --tenant TENANT');
        }
        creds = { tenantId: a.tenant, clientId: a.username, secret: a.password };
      }
      const subs = await subscriptionsFor(ctx, creds);
      const enabled = subs.filter((s) => s.state === 'Enabled');
      if (enabled.length === 0 && !a.allowNoSubscriptions) throw new AzCliError(`No subscriptions found for ${creds.clientId}.`);
      const tenantId = enabled[0]?.tenantId ?? creds.tenantId;
      if (a.username !== undefined) saveLogin(instance, { ...creds, tenantId, subscriptionId: enabled[0]?.subscriptionId ?? '' });
      return enabled.map((s, i) => ({ ...accountEntry(s, creds, 'cloudName'), isDefault: i === 0 }));
    },
  },
  {
    path: 'logout',
    summary: 'Log out: the CLI acts as the instance\'s default principal again.',
    subscription: false,
    args: [{ dest: 'username', options: ['--username'], help: 'account user, if missing, logout the current active account' }],
    async run(ctx) {
      clearLogin(ctx.instance());
      return undefined;
    },
  },
  {
    path: 'account show',
    summary: 'Get the details of a subscription.',
    args: [{ dest: 'name', options: ['--name', '-n'], help: 'Name or ID of subscription.' }],
    async run(ctx, a) {
      const s = await ctx.session();
      const id = a.name ?? s.subscriptionId;
      const subs = await s.arm.list<Subscription>('/subscriptions', API.subscriptions);
      const sub = subs.find((x) => x.subscriptionId.toLowerCase() === String(id).toLowerCase() || x.displayName === id);
      if (!sub) throw new AzCliError(`Subscription '${id}' not found. Check the spelling and casing and try again.`);
      return accountEntry(sub, s.credentials, 'environmentName');
    },
  },
  {
    path: 'account list',
    summary: 'Get a list of subscriptions for the logged in account.',
    args: [{ dest: 'all', options: ['--all'], kind: 'flag', help: 'List all subscriptions from all clouds, rather than just \'isDefault\' ones.' }],
    tableTransformer: (r: any[]) => r.map((x) => ({ Name: x.name, CloudName: x.cloudName, SubscriptionId: x.id, TenantId: x.tenantId, State: x.state, IsDefault: x.isDefault })),
    async run(ctx) {
      const s = await ctx.session();
      const subs = await s.arm.list<Subscription>('/subscriptions', API.subscriptions);
      return subs.map((sub) => ({ ...accountEntry(sub, s.credentials, 'cloudName'), isDefault: sub.subscriptionId === s.subscriptionId }));
    },
  },
  {
    path: 'ad signed-in-user show',
    summary: 'Get the details for the currently logged-in user.',
    subscription: false,
    args: [],
    async run(ctx) {
      const s = await ctx.session();
      return (await s.graph.get('/v1.0/me')).body;
    },
  },
];

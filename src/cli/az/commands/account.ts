/**
 * `aksemu login`, `aksemu logout`, `aksemu account show|list` and `aksemu ad signed-in-user show`: which account
 * the CLI acts as (see client/credentials.ts) and who that is. Like az: `login -u USER -p PASSWORD` signs a user
 * in, `login --service-principal -u APP -p SECRET --tenant T` a service principal, and `login` alone (az's
 * interactive sign-in: a person at the terminal) the instance's default user. `account get-access-token` prints a
 * token of that account, as az does (the exec entry of an Entra cluster's kubeconfig runs it for kubectl).
 */
import { API } from '../api-versions.js';
import { accountName, accountUser, clearLogin, loadCredentials, saveLogin, type SignIn } from '../client/credentials.js';
import { HttpClient } from '../client/http.js';
import { SCOPES, TokenProvider, type TokenResource } from '../client/tokens.js';
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

function accountEntry(sub: Subscription, creds: SignIn, cloudKey: 'cloudName' | 'environmentName') {
  return {
    [cloudKey]: 'AzureCloud',
    homeTenantId: sub.tenantId ?? creds.tenantId,
    id: sub.subscriptionId,
    isDefault: true,
    managedByTenants: sub.managedByTenants ?? [],
    name: sub.displayName,
    state: sub.state,
    tenantId: sub.tenantId ?? creds.tenantId,
    user: accountUser(creds),
  };
}

async function subscriptionsFor(ctx: CommandContext, creds: SignIn): Promise<Subscription[]> {
  const instance = ctx.instance();
  const http = new HttpClient(instance.baseUrl, instance.ca, (l) => ctx.debug(l));
  try {
    const tokens = new TokenProvider(http, creds);
    const arm = new ArmClient(http, tokens, '');
    return await arm.list<Subscription>('/subscriptions', API.subscriptions);
  } finally {
    http.close();
  }
}

export const accountCommands: CommandSpec[] = [
  {
    path: 'login',
    summary: 'Log in to the aksemu instance: as a user (default: the instance\'s own user) or a service principal.',
    subscription: false,
    args: [
      { dest: 'servicePrincipal', options: ['--service-principal'], kind: 'flag', help: 'Log in with a service principal.' },
      { dest: 'username', options: ['--username', '-u'], help: 'User name, service principal, or managed service identity ID.' },
      { dest: 'password', options: ['--password', '-p'], help: 'Credentials like user password, or for a service principal, provide client secret or a pem file with key and public certificate. Will prompt if not given.' },
      { dest: 'tenant', options: ['--tenant', '-t'], help: 'The Microsoft Entra tenant, must be provided when using a service principal.' },
      { dest: 'allowNoSubscriptions', options: ['--allow-no-subscriptions'], kind: 'flag', help: 'Support access tenants without subscriptions.' },
      { dest: 'useDeviceCode', options: ['--use-device-code'], kind: 'flag', help: 'Use CLI\'s old authentication flow based on device code.' },
      { dest: 'identity', options: ['--identity', '-i'], kind: 'flag', help: 'Log in using the Virtual Machine\'s identity.' },
    ],
    examples: [
      { name: 'Log in interactively.', text: 'az login' },
      { name: 'Log in with user name and password. This doesn\'t work with Microsoft accounts or accounts that have two-factor authentication enabled. Use -p=secret if the first character of the password is \'-\'.', text: 'az login -u johndoe@contoso.com -p VerySecret' },
      { name: 'Log in with a service principal using client secret.', text: 'az login --service-principal -u http://azure-cli-2016-08-05-14-31-15 -p VerySecret --tenant contoso.onmicrosoft.com' },
    ],
    async run(ctx, a) {
      if (a.useDeviceCode || a.identity) {
        throw new ValidationError('aksemu signs in with a user name and password or a service principal: aksemu login -u USER -p PASSWORD, or aksemu login --service-principal -u APP_ID -p SECRET --tenant TENANT');
      }
      if (a.servicePrincipal && !a.username) throw new ValidationError('usage error: --service-principal --username NAME --password SECRET --tenant TENANT');
      const instance = ctx.instance();
      let creds: SignIn;
      if (!a.username) {
        // az's interactive sign-in, a person at the terminal: here the instance's default user.
        clearLogin(instance);
        creds = loadCredentials(instance);
      } else {
        if (!a.password) throw new AzCliError('Please specify both username and password in non-interactive mode.');
        if (a.servicePrincipal) {
          if (!a.tenant) throw new ValidationError('usage error: --service-principal --username NAME --password SECRET --tenant TENANT');
          creds = { kind: 'servicePrincipal', tenantId: a.tenant, clientId: a.username, secret: a.password };
        } else {
          // Without --tenant az signs users in through the 'organizations' authority (their home tenant).
          creds = { kind: 'user', tenantId: a.tenant ?? 'organizations', username: a.username, password: a.password };
        }
      }
      const subs = await subscriptionsFor(ctx, creds);
      const enabled = subs.filter((s) => s.state === 'Enabled');
      if (enabled.length === 0 && !a.allowNoSubscriptions) throw new AzCliError(`No subscriptions found for ${accountName(creds)}.`);
      const signedIn = { ...creds, tenantId: enabled[0]?.tenantId ?? (creds.tenantId === 'organizations' ? instance.info.tenantId : creds.tenantId) };
      if (a.username) saveLogin(instance, { ...signedIn, subscriptionId: enabled[0]?.subscriptionId ?? '' });
      return enabled.map((s, i) => ({ ...accountEntry(s, signedIn, 'cloudName'), isDefault: i === 0 }));
    },
  },
  {
    path: 'logout',
    summary: 'Log out: the CLI acts as the instance\'s default user again.',
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
    path: 'account get-access-token',
    summary: 'Get a token for utilities to access Azure.',
    args: [
      { dest: 'resource', options: ['--resource'], help: 'Azure resource endpoints in AAD v1.0.' },
      { dest: 'scope', options: ['--scope'], kind: 'list', help: 'Space-separated AAD scopes in AAD v2.0. Default to Azure Resource Manager.' },
      { dest: 'resourceType', options: ['--resource-type'], choices: ['arm', 'ms-graph'], help: 'Type of well-known resource.' },
      { dest: 'tenant', options: ['--tenant', '-t'], help: 'Tenant ID for which the token is acquired. Only available for user and service principal account, not for MSI or Cloud Shell account.' },
    ],
    examples: [{ name: 'Get an access token for the current account', text: 'az account get-access-token' }],
    async run(ctx, a) {
      const s = await ctx.session();
      const resource = tokenResource(a);
      const token = await s.tokens.token(resource);
      const exp = Number(JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8') || '{}').exp ?? 0);
      return { accessToken: token, expiresOn: localTimestamp(new Date(exp * 1000)), subscription: s.subscriptionId, tenant: s.tenantId, tokenType: 'Bearer' };
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

/** The well-known resources aksemu issues tokens for, by az's `--resource`, `--scope` or `--resource-type`. */
function tokenResource(a: { resource?: string; scope?: string[]; resourceType?: string }): TokenResource {
  if ([a.resource, a.scope, a.resourceType].filter((x) => x !== undefined).length > 1) {
    throw new ValidationError('usage error: --resource-type | --resource | --scope');
  }
  if (a.resourceType === 'ms-graph') return 'graph';
  const asked = a.resource ?? a.scope?.join(' ');
  if (asked === undefined) return 'arm';
  const bare = asked.replace(/\/\.default$/, '').replace(/\/+$/, '').toLowerCase();
  const known: Record<string, TokenResource> = {
    'https://management.core.windows.net': 'arm',
    'https://management.azure.com': 'arm',
    'https://vault.azure.net': 'vault',
    'https://graph.microsoft.com': 'graph',
    [SCOPES.aks.replace('/.default', '')]: 'aks',
  };
  const found = known[bare];
  if (!found) throw new ValidationError(`aksemu issues tokens for ${Object.keys(known).join(', ')}; '${asked}' is none of them.`);
  return found;
}

/** az prints expiresOn in local time as "YYYY-MM-DD HH:MM:SS.ffffff" (datetime.fromtimestamp). */
function localTimestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.000000`;
}

/**
 * The real Debian az 2.45 (MSAL 1.21) signs a user in against aksemu as against Azure: `az login -u USER -p
 * PASSWORD` (user realm discovery, the password grant through the 'organizations' authority, then refresh tokens
 * for the tenant and for each resource), after which `az ad signed-in-user show` is the user. Signed in as a
 * service principal, az gets Graph's own refusal of /me, and `az keyvault create` still finds the principal.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { paths } from '../../src/config/data-dir.js';
import { az } from '../../testkit/az.js';
import { spawnEmulator, type SpawnedEmulator } from '../../testkit/emulator.js';
import { describeWith } from '../../testkit/optional.js';

describeWith(['az'], 'the real az signs a user in', () => {
  let emu: SpawnedEmulator;
  let userId: string;
  /** Each sign-in in its own AZURE_CONFIG_DIR, as separate people would. */
  const as = (name: string) => ({ ...emu.env, AZURE_CONFIG_DIR: join(emu.dataDir, `azure-${name}`) });

  beforeAll(async () => {
    emu = await spawnEmulator();
    userId = JSON.parse(readFileSync(paths.instance(emu.dataDir), 'utf8')).defaultUser.objectId;
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it('az login -u USER -p PASSWORD, then az ad signed-in-user show is the user; tokens for other resources come from the refresh token', async () => {
    const env = as('user');
    const login = await az(['login', '-u', emu.env.AKSEMU_USER!, '-p', emu.env.AKSEMU_PASSWORD!], env);
    expect(login.code, login.stderr).toBe(0);
    expect(login.json()).toEqual([
      expect.objectContaining({ id: emu.env.AZURE_SUBSCRIPTION_ID, tenantId: emu.env.AZURE_TENANT_ID, isDefault: true, state: 'Enabled', user: { name: emu.env.AKSEMU_USER, type: 'user' } }),
    ]);
    const me = await az(['ad', 'signed-in-user', 'show'], env);
    expect(me.code, me.stderr).toBe(0);
    expect(me.json()).toMatchObject({ id: userId, userPrincipalName: emu.env.AKSEMU_USER, displayName: 'aksemu admin' });
    const token = await az(['account', 'get-access-token', '--resource', 'https://vault.azure.net', '--query', 'accessToken', '-o', 'tsv'], env);
    expect(token.code, token.stderr).toBe(0);
    expect(JSON.parse(Buffer.from(token.stdout.trim().split('.')[1]!, 'base64url').toString())).toMatchObject({ aud: 'https://vault.azure.net', idtyp: 'user', oid: userId, upn: emu.env.AKSEMU_USER });
    // The password never reaches az's config directory (MSAL keeps tokens, not the password).
    expect(readFileSync(join(env.AZURE_CONFIG_DIR, 'msal_token_cache.json'), 'utf8')).not.toContain(emu.env.AKSEMU_PASSWORD!);

    // The user is Owner: it creates a vault, and az puts the user (from /me) in its access policy.
    expect((await az(['group', 'create', '-n', 'userRG', '-l', 'eastus', '-o', 'none'], env)).code).toBe(0);
    const vault = await az(['keyvault', 'create', '-n', 'userkv', '-g', 'userRG', '--query', 'properties.accessPolicies[].objectId', '-o', 'tsv'], env);
    expect(vault.code, vault.stderr).toBe(0);
    expect(vault.stdout.trim()).toBe(userId);
  });

  it('az login -u with --tenant, and with the sign-in name in another case', async () => {
    const env = as('tenant');
    const login = await az(['login', '-u', emu.env.AKSEMU_USER!.toUpperCase(), '-p', emu.env.AKSEMU_PASSWORD!, '--tenant', emu.env.AZURE_TENANT_ID!, '--query', '[].user.type', '-o', 'tsv'], env);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout.trim()).toBe('user');
    expect((await az(['ad', 'signed-in-user', 'show', '--query', 'id', '-o', 'tsv'], env)).stdout.trim()).toBe(userId);
  });

  it('refuses a wrong password, an unknown user and a service principal\'s name with the AADSTS errors', async () => {
    const wrong = await az(['login', '-u', emu.env.AKSEMU_USER!, '-p', 'not-the-password'], as('wrong'));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^ERROR: AADSTS50126: Error validating credentials due to invalid username or password\./);
    const unknown = await az(['login', '-u', `nobody@${emu.env.AKSEMU_USER!.split('@')[1]}`, '-p', 'x'], as('unknown'));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^ERROR: AADSTS50034: The user account \{EUII Hidden\} does not exist/);
    const sp = await az(['login', '-u', emu.env.AZURE_CLIENT_ID!, '-p', emu.env.AZURE_CLIENT_SECRET!], as('spname'));
    expect(sp.code).toBe(1);
    expect(sp.stderr).toContain('AADSTS50034');
    expect(sp.stderr).toContain('is a service principal');
  });

  it('signed in as a service principal: /me is refused as Graph refuses it, and az keyvault create finds the principal by its appId', async () => {
    const env = as('sp');
    const login = await az(['login', '--service-principal', '-u', emu.env.AZURE_CLIENT_ID!, '-p', emu.env.AZURE_CLIENT_SECRET!, '--tenant', emu.env.AZURE_TENANT_ID!, '-o', 'none'], env);
    expect(login.code, login.stderr).toBe(0);
    const me = await az(['ad', 'signed-in-user', 'show'], env);
    expect(me.code).toBe(1);
    expect(me.stderr).toBe('ERROR: /me request is only valid with delegated authentication flow.\n');
    const spId = (await az(['ad', 'sp', 'show', '--id', emu.env.AZURE_CLIENT_ID!, '--query', 'id', '-o', 'tsv'], env)).stdout.trim();
    expect(spId).toMatch(/^[0-9a-f-]{36}$/);
    const vault = await az(['keyvault', 'create', '-n', 'spkv', '-g', 'userRG', '--query', 'properties.accessPolicies[].objectId', '-o', 'tsv'], env);
    expect(vault.code, vault.stderr).toBe(0);
    expect(vault.stdout.trim()).toBe(spId);
  });
});

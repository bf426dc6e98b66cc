/**
 * What the Azure KMS plugin interop tests share: the plugin's binary (built from test/interop/azure-kms-plugin/),
 * an RBAC vault whose key the instance's default user creates while the plugin's service principal holds only
 * "Key Vault Crypto User", the node's azure.json, and the plugin started as on a node.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { KeyClient } from '@azure/keyvault-keys';
import { KmsV1Client } from '../../src/encryption/kms-api/client.js';
import { kubectl, kubectlOk, type KubectlHome } from '../../testkit/kube/kube-env.js';
import { getToken, getUserToken } from '../../testkit/http.js';
import { goBinary, AZURE_KMS_PLUGIN } from '../../testkit/interop/go-build.js';
import { waitFor } from '../../testkit/wait.js';
import { assignRole, importKey, ROLE, type Kit, type TestKey } from '../kms/fixtures.js';

/**
 * Azure's plugin, `cmd/server` of Azure/kubernetes-kms v0.11.0. The first build downloads the modules through the
 * Go module proxy and compiles (under two minutes on 2 cores); later runs find the binary (go-build.ts).
 */
export const azurePluginBinary = () => goBinary(AZURE_KMS_PLUGIN);

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { oid: string };

export interface KmsVault {
  key: TestKey;
  /** The default service principal's object id: the plugin's caller. */
  spOid: string;
  /** The default user as a Key Vault credential ("Key Vault Crypto Officer": creates keys). */
  asUser: { getToken: () => Promise<{ token: string; expiresOnTimestamp: number }> };
}

/**
 * An RBAC vault and a key imported from a pair the test keeps. The default user creates the key as "Key Vault
 * Crypto Officer"; the default service principal (the plugin's azure.json) gets only "Key Vault Crypto User"
 * (encrypt and decrypt), as SPEC K-5 asks of a KMS identity.
 */
export async function kmsVault(k: Kit, emu: { url: string; env: Record<string, string> }, rg: string, vault: string, keyName: string): Promise<KmsVault> {
  const v = await k.kv.vaults.beginCreateOrUpdateAndWait(rg, vault, {
    location: 'eastus',
    properties: { tenantId: k.tenant, sku: { family: 'A', name: 'standard' }, enableRbacAuthorization: true, accessPolicies: [] },
  });
  await assignRole(k, v.id!, claims(await getUserToken(emu.url, emu.env, 'https://vault.azure.net/.default')).oid, ROLE.cryptoOfficer, 'User');
  const spOid = claims(await getToken(emu.url, emu.env)).oid;
  await assignRole(k, v.id!, spOid, ROLE.cryptoUser, 'ServicePrincipal');
  const asUser = { getToken: async () => ({ token: await getUserToken(emu.url, emu.env, 'https://vault.azure.net/.default'), expiresOnTimestamp: Date.now() + 3_600_000 }) };
  const key = await importKey(k, vault, keyName, new KeyClient(`https://${vault}.vault.azure.net/`, asUser));
  return { key, spOid, asUser };
}

/** /etc/kubernetes/azure.json of an AKS node, with the instance's default service principal. */
export function writeAzureJson(dir: string, env: Record<string, string>): void {
  writeFileSync(join(dir, 'azure.json'), JSON.stringify({ cloud: 'AzurePublicCloud', tenantId: env.AZURE_TENANT_ID, aadClientId: env.AZURE_CLIENT_ID, aadClientSecret: env.AZURE_CLIENT_SECRET }), { mode: 0o600 });
}

export interface AzurePluginRun {
  binary: string;
  /** Holds azure.json and the sockets. */
  dir: string;
  /** The instance's environment (`aksemu env`). */
  env: Record<string, string>;
  vault: string;
  keyName: string;
  /** Every plugin started, to stop them. */
  started: ChildProcess[];
}

/** Starts Azure's plugin for a key version on `<dir>/<name>.socket`; resolves with its address once it answers v1 Version. */
export async function startAzurePlugin(run: AzurePluginRun, name: string, keyVersion: string, healthzPort: number): Promise<string> {
  const socket = join(run.dir, `${name}.socket`);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: run.dir,
    // Only what a node's environment would say: the proxy (aksemu's front door) and the CA it trusts.
    HTTPS_PROXY: run.env.HTTPS_PROXY!,
    SSL_CERT_FILE: run.env.NODE_EXTRA_CA_CERTS!,
  };
  const child = spawn(
    run.binary,
    [
      `--listen-addr=unix://${socket}`,
      `--keyvault-name=${run.vault}`,
      `--key-name=${run.keyName}`,
      `--key-version=${keyVersion}`,
      `--config-file-path=${join(run.dir, 'azure.json')}`,
      `--healthz-port=${healthzPort}`,
      '--healthz-path=/healthz',
      `--metrics-addr=${await freePort()}`,
      '-v=2',
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  run.started.push(child);
  const client = new KmsV1Client(`unix://${socket}`, 2000);
  try {
    await waitFor(
      `Azure's plugin ${name} on ${socket}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`Azure's plugin exited ${child.exitCode}: ${out}`);
        return client.version().catch(() => undefined);
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  } finally {
    client.close();
  }
  return `unix://${socket}`;
}

/** A secret `name` with `v=<name>-value` written through the cluster's API with kubectl, and read back ("ERROR: ..." when refused). */
export function secretsThrough(h: () => KubectlHome) {
  return {
    create: async (name: string) => void (await kubectlOk(h(), ['create', 'secret', 'generic', name, `--from-literal=v=${name}-value`])),
    read: async (name: string) => {
      const r = await kubectl(h(), ['get', 'secret', name, '-o', 'jsonpath={.data.v}']);
      return r.code === 0 ? Buffer.from(r.stdout, 'base64').toString() : `ERROR: ${r.stderr.trim()}`;
    },
  };
}

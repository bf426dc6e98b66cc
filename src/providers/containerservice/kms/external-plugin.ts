/**
 * Bring your own KMS plugin (SPEC X-4, an aksemu extension; Azure has no such setting): the cluster's current KMS
 * key is served by a plugin the user runs — Azure's own (Azure/kubernetes-kms), or any other speaking the KMS gRPC
 * API on a unix socket — instead of aksemu's in-process plugin, and back again. The setting belongs to the key's
 * provider in the cluster's configuration (state.ts `plugin`): it moves with the key to the read side on a
 * rotation, and a key configured afresh (re-enabling KMS) starts on aksemu's plugin.
 *
 * The socket is asked before anything changes, as kube-apiserver asks a plugin when it starts: a KMS v1 key needs
 * an answer to v1 Version (`v1beta1`), a KMS v2 key an answer to v2 Status that is healthy and names this very key
 * (`key_id` = hex SHA-256 of the key id). Otherwise the request is refused with a 400 and the configuration is left
 * as it was. A change is an API server restart: the cluster's transformers are rebuilt and their caches dropped, so
 * from then on every DEK and seed is decrypted by the plugin now configured.
 */
import { statSync } from 'node:fs';
import { ArmError } from '../../../arm/errors.js';
import { ListenAddressError, parseListenAddress } from '../../../encryption/kms-api/address.js';
import type { AksKms } from './service.js';
import type { KmsClusterState, KmsKeyRecord } from './state.js';

/** How long the socket has to answer (kube-apiserver's default KMS timeout is 3 s; a first Status may be slower). */
const PROBE_TIMEOUT_MS = 10_000;
const V2_VERSIONS = new Set(['v2', 'v2beta1']);

export interface PluginSetting {
  provider: string;
  kid: string;
  keyId: string;
  api: 'v1' | 'v2';
  /** The external plugin's address, or `builtin` for aksemu's own. */
  plugin: string;
}

const invalid = (message: string) => new ArmError(400, 'InvalidKmsPlugin', message);

function checkAddress(endpoint: string): void {
  let socketPath: string;
  try {
    socketPath = parseListenAddress(endpoint).socketPath;
  } catch (err) {
    if (err instanceof ListenAddressError) throw invalid(`The KMS plugin address must be a unix socket address such as unix:///run/azurekms.socket, not '${endpoint}'.`);
    throw err;
  }
  if (socketPath.startsWith('\0')) return; // an abstract socket has no file to look at
  let isSocket = false;
  try {
    isSocket = statSync(socketPath).isSocket();
  } catch {
    throw invalid(`There is no KMS plugin socket at '${socketPath}'.`);
  }
  if (!isSocket) throw invalid(`'${socketPath}' is not a unix socket.`);
}

/** Asks the socket what kube-apiserver would ask the key's plugin; throws a 400 naming what did not answer. */
async function probe(endpoint: string, key: KmsKeyRecord): Promise<void> {
  const { KmsV1Client, KmsV2Client } = await import('./runtime-machinery.js');
  if (key.api === 'v1') {
    const client = new KmsV1Client(endpoint, PROBE_TIMEOUT_MS);
    try {
      const v = await client.version().catch((err: Error) => {
        throw invalid(`The KMS plugin at '${endpoint}' did not answer KMS v1 Version: ${err.message}`);
      });
      if (v.version !== 'v1beta1') throw invalid(`The KMS plugin at '${endpoint}' answered KMS v1 Version with '${v.version}', not 'v1beta1'.`);
    } finally {
      client.close();
    }
    return;
  }
  const client = new KmsV2Client(endpoint, PROBE_TIMEOUT_MS);
  try {
    const s = await client.status().catch((err: Error) => {
      throw invalid(`The KMS plugin at '${endpoint}' did not answer KMS v2 Status: ${err.message}`);
    });
    if (!V2_VERSIONS.has(s.version)) throw invalid(`The KMS plugin at '${endpoint}' answered KMS v2 Status with version '${s.version}', not v2 or v2beta1.`);
    if (s.healthz !== 'ok') throw invalid(`The KMS plugin at '${endpoint}' is not healthy: its Status says '${s.healthz}'.`);
    if (s.key_id !== key.keyIdHash) {
      throw invalid(`The KMS plugin at '${endpoint}' serves the key_id '${s.key_id}', not the cluster's key '${key.kid}' (key_id '${key.keyIdHash}').`);
    }
  } finally {
    client.close();
  }
}

const settingOf = (key: KmsKeyRecord): PluginSetting => ({ provider: key.name, kid: key.kid, keyId: key.keyIdHash, api: key.api, plugin: key.plugin ?? 'builtin' });

/**
 * Points the cluster's current KMS key at `endpoint` (an external plugin), or back at aksemu's own plugin when
 * `endpoint` is undefined. Refused (409) when the cluster does not encrypt with KMS.
 */
export async function setKmsPlugin(kms: AksKms, uid: string, clusterName: string, endpoint: string | undefined): Promise<PluginSetting> {
  if (endpoint !== undefined) checkAddress(endpoint);
  for (let attempt = 0; attempt < 5; attempt++) {
    const { state, modRevision } = await kms.readState(uid);
    if (!state?.enabled) throw new ArmError(409, 'AzureKeyVaultKmsNotEnabled', `The cluster '${clusterName}' does not encrypt its secrets with a KMS key: enable KMS etcd encryption first.`);
    if (state.unrecoverable) throw new ArmError(409, 'AzureKeyVaultKmsClusterUnrecoverable', `The cluster's API server is down for good (${state.unrecoverable.reason}).`);
    const key = state.providers[0]!;
    if (key.plugin === endpoint) return settingOf(key);
    if (endpoint !== undefined) await probe(endpoint, key);
    const { plugin: _previous, ...builtin } = key;
    const next: KmsClusterState = {
      ...state,
      generation: state.generation + 1,
      providers: [endpoint === undefined ? builtin : { ...builtin, plugin: endpoint }, ...state.providers.slice(1)],
      updatedAt: kms.deps.clock.iso(),
    };
    if (await kms.writeState(uid, next, modRevision)) return settingOf(next.providers[0]!);
  }
  throw new ArmError(409, 'Conflict', `The encryption configuration of the cluster '${clusterName}' kept changing; try again.`);
}

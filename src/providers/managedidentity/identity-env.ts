/**
 * `aksemu env --identity <resource id | name>`: the environment that makes @azure/identity act as a user-assigned
 * managed identity of an instance (ManagedIdentityCredential / DefaultAzureCredential through the App Service
 * protocol). It reads the identity from the instance's store and derives its secret from the master key, so only
 * someone who can read the data directory can run it.
 */
import { readFileSync } from 'node:fs';
import { paths, readInstanceInfo } from '../../config/data-dir.js';
import { resourceKey } from '../../arm/repository.js';
import { Sealer } from '../../secrets/sealer.js';
import { listJson, getJson } from '../../store/json.js';
import { openStore, parseStoreSpec } from '../../store/open-store.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import type { Store } from '../../store/store.js';
import { IDENTITY_TYPE, type IdentityResource } from './identities.js';
import { identityHeaderFor, MSI_PATH } from './msi-secret.js';

export class IdentityNotFoundError extends Error {}

export async function openInstanceStoreReadonly(dataDir: string): Promise<Store> {
  const info = readInstanceInfo(dataDir);
  if (!info) throw new IdentityNotFoundError(`no aksemu instance has been started with the data directory ${dataDir}`);
  const spec = parseStoreSpec(info.store, dataDir);
  return spec.kind === 'sqlite' ? new SqliteStore(spec.path, { readonly: true }) : openStore(info.store, dataDir);
}

export async function findIdentity(store: Store, idOrName: string): Promise<IdentityResource> {
  if (idOrName.startsWith('/subscriptions/')) {
    const doc = await getJson<IdentityResource>(store, resourceKey(idOrName));
    if (!doc || doc.value.type !== IDENTITY_TYPE) throw new IdentityNotFoundError(`no user-assigned identity with the id ${idOrName}`);
    return doc.value;
  }
  const matches = (await listJson<IdentityResource>(store, '/arm/resources/subscriptions/'))
    .map((d) => d.value)
    .filter((r) => r.type === IDENTITY_TYPE && r.name.toLowerCase() === idOrName.toLowerCase());
  if (matches.length === 0) throw new IdentityNotFoundError(`no user-assigned identity named '${idOrName}'`);
  if (matches.length > 1) throw new IdentityNotFoundError(`several identities are named '${idOrName}'; give the resource id: ${matches.map((m) => m.id).join(', ')}`);
  return matches[0]!;
}

/** IDENTITY_ENDPOINT, IDENTITY_HEADER and AZURE_CLIENT_ID for an identity of the instance in `dataDir`. */
export async function identityEnvironment(dataDir: string, idOrName: string, baseUrl: string): Promise<Record<string, string>> {
  const store = await openInstanceStoreReadonly(dataDir);
  try {
    const identity = await findIdentity(store, idOrName);
    const sealer = new Sealer(readFileSync(paths.masterKey(dataDir)));
    return {
      IDENTITY_ENDPOINT: `${baseUrl}${MSI_PATH}`,
      IDENTITY_HEADER: identityHeaderFor(sealer, identity.properties.principalId),
      AZURE_CLIENT_ID: identity.properties.clientId,
    };
  } finally {
    await store.close();
  }
}

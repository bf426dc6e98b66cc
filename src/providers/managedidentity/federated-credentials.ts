/**
 * `userAssignedIdentities/{name}/federatedIdentityCredentials` (SPEC I-1, P-4): the trust an identity places in an
 * external issuer's tokens (a cluster's OIDC issuer, for workload identity), stored and listed as Azure does, with
 * its rules: a name of 3–120 letters, digits, hyphens and underscores; an https issuer; a subject; exactly one
 * audience; at most 20 credentials per identity, each issuer and subject pair once.
 */
import type { Arm } from '../../arm/arm.js';
import { ArmError, armErrors } from '../../arm/errors.js';
import { page } from '../../arm/paging.js';
import type { ArmRequest, ArmResponse } from '../../arm/router.js';
import type { ArmResource } from '../../arm/repository.js';
import { IDENTITY_TYPE, MSI_NS } from './identities.js';

const CREDENTIAL_TYPE = `${IDENTITY_TYPE}/federatedIdentityCredentials`;
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,119}$/;
const MAX_PER_IDENTITY = 20;

interface CredentialResource extends ArmResource {
  properties: { issuer: string; subject: string; audiences: string[] };
}

const bad = (message: string) => new ArmError(400, 'BadRequest', message);

function readProperties(body: unknown): CredentialResource['properties'] {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw armErrors.invalidContent('The request body must be a JSON object');
  const p = (body as { properties?: unknown }).properties;
  if (!p || typeof p !== 'object' || Array.isArray(p)) throw armErrors.missingProperty('properties');
  const { issuer, subject, audiences } = p as Record<string, unknown>;
  if (typeof issuer !== 'string' || issuer === '') throw armErrors.missingProperty('issuer');
  let url: URL | undefined;
  try {
    url = new URL(issuer);
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'https:') throw bad(`The issuer '${issuer}' is invalid: it must be an https URL.`);
  if (typeof subject !== 'string' || subject.trim() === '') throw armErrors.missingProperty('subject');
  if (!Array.isArray(audiences) || audiences.length !== 1 || typeof audiences[0] !== 'string' || audiences[0] === '') {
    throw bad('The audiences are invalid: a federated identity credential takes exactly one audience (api://AzureADTokenExchange for Microsoft Entra ID).');
  }
  return { issuer, subject, audiences: [audiences[0]] };
}

export function registerFederatedCredentialRoutes(arm: Arm): void {
  arm.types.register({ namespace: MSI_NS, resourceType: 'userAssignedIdentities/federatedIdentityCredentials', apiVersions: ['2025-05-31-preview', '2025-01-31-preview', '2024-11-30', '2023-07-31-preview', '2023-01-31', '2022-01-31-preview'] });
  const versions = arm.types.versionPolicy(MSI_NS, 'userAssignedIdentities/federatedIdentityCredentials');
  const identities = '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}';
  const base = `${identities}/federatedIdentityCredentials`;

  const identity = async (req: ArmRequest) => {
    const { subscriptionId, resourceGroupName, name } = req.params as Record<string, string>;
    await arm.requireResourceGroup(subscriptionId, resourceGroupName);
    const id = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroupName}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
    const doc = await arm.resources.get(id);
    if (!doc) throw armErrors.resourceNotFound(IDENTITY_TYPE, name, resourceGroupName);
    return doc.value;
  };
  const notFound = (req: ArmRequest) =>
    new ArmError(404, 'NotFound', `The federated identity credential '${req.params.credentialName}' of identity '${req.params.name}' was not found.`);

  const get = async (req: ArmRequest): Promise<ArmResponse> => {
    const parent = await identity(req);
    const doc = await arm.resources.get<CredentialResource>(`${parent.id}/federatedIdentityCredentials/${req.params.credentialName}`);
    if (!doc) throw notFound(req);
    return { status: 200, body: doc.value };
  };

  const put = async (req: ArmRequest): Promise<ArmResponse> => {
    const parent = await identity(req);
    const name = req.params.credentialName!;
    if (!NAME.test(name)) throw bad(`The federated identity credential name '${name}' is invalid: use 3 to 120 letters, digits, hyphens and underscores, starting with a letter or digit.`);
    const properties = readProperties(req.json());
    const siblings = await arm.resources.listChildren<CredentialResource>(parent.id, 'federatedIdentityCredentials');
    const current = siblings.find((s) => s.value.name.toLowerCase() === name.toLowerCase());
    if (!current && siblings.length >= MAX_PER_IDENTITY) throw bad(`Identity '${parent.name}' already has ${MAX_PER_IDENTITY} federated identity credentials, the maximum.`);
    const twin = siblings.find((s) => s !== current && s.value.properties.issuer === properties.issuer && s.value.properties.subject === properties.subject);
    if (twin) throw new ArmError(409, 'Conflict', `The federated identity credential '${twin.value.name}' of identity '${parent.name}' already trusts issuer '${properties.issuer}' for subject '${properties.subject}'.`);
    const doc: CredentialResource = { id: `${parent.id}/federatedIdentityCredentials/${current?.value.name ?? name}`, name: current?.value.name ?? name, type: CREDENTIAL_TYPE, properties };
    const res = await arm.resources.put(doc, { ifModRevision: current?.modRevision ?? 0 });
    if (!res.succeeded) throw new ArmError(409, 'Conflict', `The federated identity credential '${name}' was changed by another request; retry the operation.`);
    return { status: current ? 200 : 201, body: doc };
  };

  const del = async (req: ArmRequest): Promise<ArmResponse> => {
    const parent = await identity(req);
    const id = `${parent.id}/federatedIdentityCredentials/${req.params.credentialName}`;
    if (!(await arm.resources.get(id))) return { status: 204 };
    await arm.resources.delete(id);
    return { status: 200 };
  };

  const list = async (req: ArmRequest): Promise<ArmResponse> => {
    const parent = await identity(req);
    const items = (await arm.resources.listChildren<CredentialResource>(parent.id, 'federatedIdentityCredentials')).map((d) => d.value);
    return { status: 200, body: page(items, req) };
  };

  const read = { action: 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read' };
  arm.router.add({ methods: ['GET'], path: base, apiVersions: versions, authorization: read, handler: list });
  arm.router.add({ methods: ['GET'], path: `${base}/{credentialName}`, apiVersions: versions, authorization: read, handler: get });
  arm.router.add({ methods: ['PUT'], path: `${base}/{credentialName}`, apiVersions: versions, authorization: { action: 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write' }, handler: put });
  arm.router.add({ methods: ['DELETE'], path: `${base}/{credentialName}`, apiVersions: versions, authorization: { action: 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/delete' }, handler: del });
}

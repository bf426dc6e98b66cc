/**
 * Places where an example of Azure's contradicts itself, so no service could answer as it shows: the answer holds a
 * setting its own request never made. Each entry is one property of one example's answer, with the evidence; the
 * comparison leaves exactly these out. Everything else an example shows is compared.
 */
const NOT_REQUESTED = 'the answer shows a setting that the example\'s own request never makes (copied from another example)';

const NOT_PRIVATE = 'the answer shows a private FQDN for a cluster whose request does not make it private';
const PLACEHOLDER = 'the answer shows placeholder network rules and private endpoint connections (empty ids) its request never makes';

export const EXAMPLE_DEFECTS: Record<string, Record<string, string>> = {
  'ManagedClustersCreate_SecurityProfile.json': {
    'properties.windowsProfile': NOT_REQUESTED,
    'properties.diskEncryptionSetID': NOT_REQUESTED,
  },
  'ManagedClustersCreate_IngressProfile_WebAppRouting.json': {
    'properties.windowsProfile': NOT_REQUESTED,
    'properties.diskEncryptionSetID': NOT_REQUESTED,
  },
  'ManagedClustersCreate_Premium.json': { 'properties.privateFQDN': NOT_PRIVATE },
  'ManagedClustersCreate_DisableRunCommand.json': { 'properties.privateFQDN': NOT_PRIVATE },
  'createVault.json': { 'properties.networkAcls': PLACEHOLDER, 'properties.privateEndpointConnections': PLACEHOLDER },
  'updateVault.json': { 'properties.networkAcls': PLACEHOLDER, 'properties.privateEndpointConnections': PLACEHOLDER },
};

/**
 * Properties Azure answers that the swagger of the corpus's api-version leaves out (a later api-version's swagger
 * defines them): aksemu answers them as Azure does, and the schema check lets exactly these through.
 */
export const SWAGGER_GAPS: Array<{ service: string; path: RegExp; reason: string }> = [
  {
    service: 'authorization',
    path: /(^|\.)properties\.(createdOn|updatedOn|createdBy|updatedBy)$/,
    reason: 'role definitions carry their creation and update stamps (defined from api-version 2022-05-01-preview on)',
  },
];

/**
 * Places where an example of Azure's contradicts itself, so no service could answer as it shows: the answer holds a
 * setting its own request never made. Each entry is one property of one example's answer, with the evidence; the
 * comparison leaves exactly these out. Everything else an example shows is compared.
 */
const NOT_REQUESTED = 'the answer shows a setting that the example\'s own request never makes (copied from another example)';

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
  'createVault.json': { 'properties.networkAcls': PLACEHOLDER, 'properties.privateEndpointConnections': PLACEHOLDER },
  'updateVault.json': { 'properties.networkAcls': PLACEHOLDER, 'properties.privateEndpointConnections': PLACEHOLDER },
};

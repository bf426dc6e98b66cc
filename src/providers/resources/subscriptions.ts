/** Subscriptions, tenants, locations and the cloud metadata endpoint (what `az login` and the SDKs read first). */
import type { FastifyInstance } from 'fastify';
import type { Arm, Subscription } from '../../arm/arm.js';
import { armErrors } from '../../arm/errors.js';
import { AZURE_LOCATIONS } from '../../arm/locations.js';
import { anyRoleInSubscription, type ArmAuthorizer } from '../../arm/route-authorization.js';
import type { Directory } from '../../identity/directory.js';
import { SUBSCRIPTION_API_VERSIONS } from './api-versions.js';

export function registerSubscriptionRoutes(arm: Arm, directory: Directory, authorizer: ArmAuthorizer): void {
  arm.router.add({
    methods: ['GET'],
    path: '/subscriptions',
    apiVersions: SUBSCRIPTION_API_VERSIONS,
    authorization: { anyCaller: 'lists only the subscriptions where the caller holds a role' },
    handler: async (req) => {
      const subs: Subscription[] = [];
      for (const s of await arm.subscriptions()) {
        if (s.tenantId.toLowerCase() === req.caller.tenantId.toLowerCase() && (await authorizer.hasAnyAccess(req.caller, s.id))) subs.push(s);
      }
      return { status: 200, body: { value: subs, count: { type: 'Total', value: subs.length } } };
    },
  });
  arm.router.add({
    methods: ['GET'],
    path: '/subscriptions/{subscriptionId}',
    apiVersions: SUBSCRIPTION_API_VERSIONS,
    authorization: anyRoleInSubscription,
    handler: async (req) => {
      const sub = await arm.subscription(req.params.subscriptionId!);
      if (!sub) throw armErrors.subscriptionNotFound(req.params.subscriptionId!);
      return { status: 200, body: sub };
    },
  });
  arm.router.add({
    methods: ['GET'],
    path: '/subscriptions/{subscriptionId}/locations',
    apiVersions: SUBSCRIPTION_API_VERSIONS,
    authorization: anyRoleInSubscription,
    handler: async (req) => ({
      status: 200,
      body: {
        value: AZURE_LOCATIONS.map((l) => ({
          id: `/subscriptions/${req.params.subscriptionId}/locations/${l.name}`,
          name: l.name,
          displayName: l.displayName,
          regionalDisplayName: l.regionalDisplayName,
          type: 'Region',
          metadata: { regionType: 'Physical', regionCategory: 'Recommended', geography: l.geography },
        })),
      },
    }),
  });
  arm.router.add({
    methods: ['GET'],
    path: '/tenants',
    apiVersions: SUBSCRIPTION_API_VERSIONS,
    authorization: { anyCaller: 'the caller\'s own tenant, as Azure lists it to any account of the tenant' },
    handler: async () => {
      const t = await directory.tenant();
      return {
        status: 200,
        body: {
          value: [
            {
              id: `/tenants/${t.tenantId}`,
              tenantId: t.tenantId,
              tenantCategory: 'Home',
              country: 'US',
              countryCode: 'US',
              displayName: t.displayName,
              domains: [t.defaultDomain],
              defaultDomain: t.defaultDomain,
              tenantType: 'AAD',
            },
          ],
        },
      };
    },
  });
}

/**
 * `GET /metadata/endpoints`: the cloud's endpoints, unauthenticated as in Azure. The 2019-05-01 shape is one
 * object; 2022-09-01 and later answer a list of clouds.
 */
export function registerMetadataEndpoint(app: FastifyInstance): void {
  const cloud = {
    portal: 'https://portal.azure.com',
    authentication: {
      loginEndpoint: 'https://login.microsoftonline.com',
      audiences: ['https://management.core.windows.net/', 'https://management.azure.com/'],
      tenant: 'common',
      identityProvider: 'AAD',
    },
    media: 'https://rest.media.azure.net',
    graphAudience: 'https://graph.windows.net/',
    graph: 'https://graph.windows.net/',
    name: 'AzureCloud',
    suffixes: {
      azureDataLakeStoreFileSystem: 'azuredatalakestore.net',
      acrLoginServer: 'azurecr.io',
      sqlServerHostname: 'database.windows.net',
      azureDataLakeAnalyticsCatalogAndJob: 'azuredatalakeanalytics.net',
      keyVaultDns: 'vault.azure.net',
      storage: 'core.windows.net',
      azureFrontDoorEndpointSuffix: 'azurefd.net',
      mhsmDns: 'managedhsm.azure.net',
    },
    batch: 'https://batch.core.windows.net/',
    resourceManager: 'https://management.azure.com/',
    vmImageAliasDoc: 'https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/quickstart-templates/aliases.json',
    activeDirectoryDataLake: 'https://datalake.azure.net/',
    sqlManagement: 'https://management.core.windows.net:8443/',
    gallery: 'https://gallery.azure.com/',
    microsoftGraphResourceId: 'https://graph.microsoft.com/',
  };
  app.get('/metadata/endpoints', async (req, reply) => {
    const apiVersion = new URL(req.url, 'https://x').searchParams.get('api-version');
    if (!apiVersion) return reply.code(400).send(armErrors.missingApiVersion().toBody());
    if (apiVersion < '2022-09-01') {
      return reply.send({
        galleryEndpoint: cloud.gallery,
        graphEndpoint: cloud.graph,
        portalEndpoint: `${cloud.portal}/`,
        graphAudience: cloud.graphAudience,
        authentication: cloud.authentication,
        media: cloud.media,
        batch: cloud.batch,
        resourceManager: cloud.resourceManager,
        sqlManagement: cloud.sqlManagement,
        vmImageAliasDoc: cloud.vmImageAliasDoc,
        name: cloud.name,
        suffixes: cloud.suffixes,
        microsoftGraphResourceId: cloud.microsoftGraphResourceId,
      });
    }
    return reply.send([cloud]);
  });
}

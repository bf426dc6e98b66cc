/**
 * Microsoft.ContainerService api-versions (stable), newest first, and the behaviour boundaries that depend on them.
 * az 2.45 sends 2022-11-01; @azure/arm-containerservice 25.3 sends 2026-04-01; the Python SDK
 * azure-mgmt-containerservice 41.9 sends 2026-09-01 (41.8 sent 2026-08-01, the REST spec version of the shared
 * reference; between the two the SDK's models gained only `nextLink` on two private-link list results, so managed
 * clusters and agent pools have the same shape); the newest stable is 2026-10-01.
 */
export const AKS_API_VERSIONS = [
  '2026-10-01', '2026-09-01', '2026-08-01', '2026-07-01', '2026-06-01', '2026-05-01', '2026-04-01', '2026-03-01', '2026-02-01', '2026-01-01',
  '2025-10-01', '2025-09-01', '2025-08-01', '2025-07-01', '2025-06-01', '2025-05-01', '2025-04-01', '2025-03-01', '2025-02-01',
  '2025-01-01', '2024-10-01', '2024-09-01', '2024-08-01', '2024-07-01', '2024-06-01', '2024-05-01', '2024-02-01', '2024-01-01',
  '2023-11-01', '2023-10-01', '2023-09-01', '2023-08-01', '2023-07-01', '2023-06-01', '2023-05-01', '2023-04-01', '2023-03-01',
  '2023-02-01', '2023-01-01', '2022-11-01', '2022-09-01', '2022-08-01', '2022-07-01', '2022-06-01', '2022-04-01', '2022-03-01',
  '2022-02-01', '2022-01-01', '2021-10-01', '2021-09-01', '2021-08-01', '2021-07-01', '2021-05-01', '2021-03-01', '2021-02-01',
  '2020-12-01', '2020-11-01', '2020-09-01', '2020-07-01', '2020-06-01', '2020-04-01', '2020-03-01', '2020-02-01', '2020-01-01',
  '2019-11-01', '2019-10-01', '2019-08-01', '2019-06-01', '2019-04-01', '2019-02-01', '2018-03-31', '2017-08-31',
];

/**
 * SPEC F-9: GetOSOptions (`locations/osOptions`) is absent from 2024-05-01 on. It existed from 2021-10-01 until then;
 * on newer versions ARM answers NoRegisteredProviderFound for the type, as it does for any unsupported api-version.
 */
export const OS_OPTIONS_REMOVED_IN = '2024-05-01';
export const OS_OPTIONS_API_VERSIONS = AKS_API_VERSIONS.filter((v) => v >= '2021-10-01' && v < OS_OPTIONS_REMOVED_IN);

/**
 * SPEC F-6: how the emulator decides between the preview and the GA behaviour of changing `enableFIPS` on an
 * existing Linux pool. The toggle went to public preview behind the MutableFipsPreview feature flag in July 2024 and
 * became GA in the AKS release of 2024-08-05; the GA CLI (2.64.0, which adds `nodepool update
 * --enable-fips-image/--disable-fips-image`) sends api-version 2024-05-01. So requests with api-version 2024-05-01
 * or later get the GA behaviour; older api-versions (such as az 2.45's 2022-11-01) get the preview behaviour and
 * need MutableFipsPreview Registered on the subscription.
 */
export const MUTABLE_FIPS_GA_API_VERSION = '2024-05-01';

export const isAtLeast = (apiVersion: string, boundary: string) => apiVersion.slice(0, 10) >= boundary;

/**
 * SPEC C-10: `locations/orchestrators` (ContainerServices_ListOrchestrators), which az up to 2.47 calls for `aks
 * get-versions` with 2019-04-01; newer clients read `locations/kubernetesVersions` (2023-06-01 on here).
 */
export const ORCHESTRATORS_API_VERSIONS = ['2019-04-01', '2017-09-30'];

/**
 * The [Conformance] specs of Kubernetes' e2e suite v1.37.2 that aksemu passes, by their full names: what
 * test/interop/e2e-conformance.test.ts runs and requires to pass. docs/compatibility.md lists every conformance spec
 * that was tried, and why the others fail.
 */
export const PASSING_SPECS: readonly string[] = [
  '[sig-api-machinery] Discovery should validate PreferredVersion for each APIGroup [Conformance]',
  '[sig-api-machinery] Namespaces should apply an update to a Namespace [Conformance] [Serial]',
  '[sig-api-machinery] Namespaces should apply changes to a namespace status [Conformance] [Serial]',
  '[sig-api-machinery] Namespaces should patch a Namespace [Conformance] [Serial]',
  '[sig-api-machinery] Servers with support for API chunking should return chunks of results for list calls [Conformance]',
  '[sig-api-machinery] Servers with support for Table transformation should return a 406 for a backend which does not implement metadata [Conformance]',
  '[sig-architecture] Conformance Tests should have at least two untainted nodes [Conformance]',
  '[sig-auth] ServiceAccounts ServiceAccountIssuerDiscovery should support OIDC discovery of service account issuer [Conformance]',
  '[sig-auth] ServiceAccounts should allow opting out of API token automount [Conformance]',
  '[sig-auth] ServiceAccounts should guarantee kube-root-ca.crt exist in any namespace [Conformance]',
  '[sig-auth] ServiceAccounts should run through the lifecycle of a ServiceAccount [Conformance]',
  '[sig-auth] ServiceAccounts should update a ServiceAccount [Conformance]',
  '[sig-auth] SubjectReview should support SubjectReview API operations [Conformance]',
  '[sig-instrumentation] Events should delete a collection of events [Conformance]',
  '[sig-instrumentation] Events should manage the lifecycle of an event [Conformance]',
  '[sig-node] ConfigMap should fail to create ConfigMap with empty key [Conformance]',
  '[sig-node] ConfigMap should run through a ConfigMap lifecycle [Conformance]',
  '[sig-node] ConfigMap should update ConfigMap successfully [Conformance] [NodeConformance]',
  '[sig-node] Lease lease API should be available [Conformance]',
  '[sig-node] PodTemplates should delete a collection of pod templates [Conformance]',
  '[sig-node] PodTemplates should replace a pod template [Conformance]',
  '[sig-node] PodTemplates should run the lifecycle of PodTemplates [Conformance]',
  '[sig-node] Secrets should fail to create secret due to empty secret key [Conformance]',
  '[sig-node] Secrets should patch a secret [Conformance]',
];

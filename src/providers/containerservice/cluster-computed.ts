/**
 * Parts of a managed cluster that AKS computes from what the client asked for, beyond the basics of clusters.ts
 * (SPEC C-1, P-4): a private cluster's private FQDN and its private DNS zone default, and the Istio revision the
 * service mesh add-on gets when the client names none.
 */
import { newGuid } from '../../util/ids.js';

type Json = Record<string, unknown>;

const asJson = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);

/** The Istio revision AKS installs when a cluster enables the mesh without naming one. */
const DEFAULT_ISTIO_REVISION = 'asm-1-26';

/**
 * A private cluster's API server access: `privateDNSZone` defaults to `system`, and the API server gets a private
 * FQDN in that zone (`<prefix>-<hash>.<guid>.privatelink.<region>.azmk8s.io`), or in the client's own zone
 * (`<fqdnSubdomain or prefix-hash>.<zone>`).
 */
export function privateAccess(props: Json, host: string, location: string): { apiServerAccessProfile?: Json; privateFQDN?: string } {
  const access = asJson(props.apiServerAccessProfile);
  if (!access || access.enablePrivateCluster !== true) return {};
  const zone = typeof access.privateDNSZone === 'string' && access.privateDNSZone !== '' ? access.privateDNSZone : 'system';
  const ownZone = zone.includes('/') ? zone.split('/').pop()! : undefined;
  const name = typeof props.fqdnSubdomain === 'string' && props.fqdnSubdomain !== '' ? props.fqdnSubdomain : host;
  return {
    apiServerAccessProfile: { ...access, privateDNSZone: zone },
    privateFQDN: ownZone ? `${name}.${ownZone}` : `${name}.${newGuid()}.privatelink.${location}.azmk8s.io`,
  };
}

/** The service mesh profile, with the default Istio revision when the mesh is on and names none. */
export function serviceMesh(profile: unknown): Json | undefined {
  const mesh = asJson(profile);
  if (!mesh || mesh.mode !== 'Istio') return mesh;
  const istio = asJson(mesh.istio) ?? {};
  if (Array.isArray(istio.revisions) && istio.revisions.length > 0) return mesh;
  return { ...mesh, istio: { ...istio, revisions: [DEFAULT_ISTIO_REVISION] } };
}

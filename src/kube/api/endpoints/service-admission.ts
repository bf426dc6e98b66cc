/**
 * The address allocation of a Service write (SPEC W-27): the cluster's other Services are read and the cluster
 * IP and node ports of the one being written are allocated or checked (resources/service-addresses.ts); a
 * refusal is kube-apiserver's 422 Invalid, and nothing is written.
 */
import { kubeErrors } from '../machinery/errors.js';
import type { Service } from '../machinery/types.js';
import type { Registry } from '../registry/registry.js';
import { services } from '../../resources/index.js';
import { allocateServiceAddresses } from '../../resources/service-addresses.js';

export async function admitServiceAddresses(registry: Registry, serviceCidr: string, svc: Service): Promise<void> {
  const { items } = await registry.list<Service>(services, undefined);
  const errs = allocateServiceAddresses(svc, items, serviceCidr);
  if (errs.length > 0) throw kubeErrors.invalid('Service', '', svc.metadata.name ?? '', errs);
}

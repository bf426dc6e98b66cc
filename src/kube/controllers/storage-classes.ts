/**
 * The StorageClasses every AKS cluster comes with (SPEC W-17), created when absent as AKS's add-on manager does
 * (EnsureExists: a class changed or deleted by the user is not put back while the controllers run; a restart of
 * the controllers creates the missing ones again). `default` is the default class: Azure Disk (StandardSSD_LRS)
 * through `disk.csi.azure.com`, bound when the first pod using a claim is scheduled.
 */
import type { Registry } from '../api/registry/registry.js';
import type { StorageClass } from '../api/machinery/types.js';
import { storageclasses as scDef } from '../resources/index.js';
import { DEFAULT_CLASS_ANNOTATION } from '../resources/storageclasses.js';
import { tolerant } from './workload-common.js';

const ADDON_LABELS = { 'addonmanager.kubernetes.io/mode': 'EnsureExists', 'kubernetes.io/cluster-service': 'true' };
const FILE_MOUNT_OPTIONS = ['mfsymlinks', 'actimeo=30', 'nosharesock'];

function disk(name: string, sku: string, isDefault = false): StorageClass {
  return {
    metadata: { name, labels: { ...ADDON_LABELS }, ...(isDefault ? { annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } } : {}) },
    provisioner: 'disk.csi.azure.com',
    parameters: { skuname: sku },
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
    allowVolumeExpansion: true,
  };
}

function file(name: string, sku: string): StorageClass {
  return {
    metadata: { name, labels: { ...ADDON_LABELS } },
    provisioner: 'file.csi.azure.com',
    parameters: { skuName: sku },
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
    allowVolumeExpansion: true,
    mountOptions: [...FILE_MOUNT_OPTIONS],
  };
}

/** AKS's built-in classes, by name. */
export const AKS_STORAGE_CLASSES: StorageClass[] = [
  file('azurefile', 'Standard_LRS'),
  file('azurefile-csi', 'Standard_LRS'),
  file('azurefile-csi-premium', 'Premium_LRS'),
  file('azurefile-premium', 'Premium_LRS'),
  disk('default', 'StandardSSD_LRS', true),
  disk('managed', 'StandardSSD_LRS'),
  disk('managed-csi', 'StandardSSD_LRS'),
  disk('managed-csi-premium', 'Premium_LRS'),
  disk('managed-premium', 'Premium_LRS'),
];

/** Creates the built-in classes that are missing; answers whether they all exist now. */
export async function ensureStorageClasses(registry: Registry): Promise<boolean> {
  const have = new Set((await registry.list<StorageClass>(scDef, undefined)).items.map((sc) => sc.metadata.name));
  let all = true;
  for (const sc of AKS_STORAGE_CLASSES) {
    if (!have.has(sc.metadata.name) && !(await tolerant(registry.create(scDef, undefined, structuredClone(sc))))) all = false;
  }
  return all;
}

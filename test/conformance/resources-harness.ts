/**
 * The resource group and provider examples' world: the example's provider namespaces (test namespaces, or ones
 * aksemu does not emulate) become namespaces the instance serves.
 */
import type { Harness } from './suite.js';

export function resourcesHarness(): Harness {
  return {
    substitute(_c, subs) {
      subs.value('Microsoft.TestRP', 'Microsoft.ContainerService').value('Microsoft.TestRP1', 'Microsoft.ContainerService').value('Microsoft.Storage', 'Microsoft.KeyVault');
    },
    async prepare() {},
  };
}

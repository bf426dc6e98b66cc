/**
 * The resource group and provider examples' world: the example's provider namespaces (test namespaces, or ones
 * aksemu does not emulate) become namespaces the instance serves.
 */
import type { Harness } from './suite.js';

export function resourcesHarness(): Harness {
  return {
    substitute(_c, subs) {
      subs.value('Microsoft.TestRP', 'Microsoft.ContainerService').value('Microsoft.TestRP1', 'Microsoft.ContainerService').value('Microsoft.Storage', 'Microsoft.KeyVault');
      // Inside ids too, so a listed provider is matched with the instance's by its id.
      subs.text('/providers/Microsoft.TestRP1', '/providers/Microsoft.ContainerService').text('/providers/Microsoft.TestRP', '/providers/Microsoft.ContainerService');
    },
    async prepare() {},
  };
}

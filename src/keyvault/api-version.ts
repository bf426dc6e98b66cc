/**
 * Key Vault data-plane api-versions accepted: the stable ones from 7.2 to the newest (7.6, and the
 * date-named 2025-07-01 that @azure/keyvault-keys 4.10 sends), and the previews Key Vault published between them,
 * which clients send as they are (the current az CLI's `keyvault key` commands use 7.6-preview.2). Others get Key
 * Vault's own BadParameter answer.
 */
import { KvError } from './errors.js';

export const KEYVAULT_API_VERSIONS = ['7.2', '7.3-preview', '7.3', '7.4-preview.1', '7.4', '7.5-preview.1', '7.5', '7.6-preview.1', '7.6-preview.2', '7.6', '2025-07-01'];
export const LATEST_KEYVAULT_API_VERSION = '2025-07-01';

export function checkKeyVaultApiVersion(value: string | null): string {
  if (value === null || value === '') throw new KvError(400, 'BadParameter', 'The api-version query parameter is missing. Please specify an api-version, e.g. ?api-version=2025-07-01.');
  if (!KEYVAULT_API_VERSIONS.includes(value)) {
    throw new KvError(400, 'BadParameter', `The specified version (${value}) is not recognized. Consider using the latest supported version (${LATEST_KEYVAULT_API_VERSION}).`);
  }
  return value;
}

/** `exportable` and release policies appeared in 7.3 (a 7.3 preview has them too; a date-named version is newer). */
export function atLeast(apiVersion: string, min: '7.3' | '7.4' | '7.5'): boolean {
  const numbered = /^(\d+\.\d+)(-preview(\.\d+)?)?$/.exec(apiVersion);
  if (!numbered) return true;
  return Number(numbered[1]) >= Number(min);
}

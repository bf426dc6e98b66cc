/**
 * Key Vault data-plane api-versions accepted: every stable one Key Vault still serves, from the date-named
 * 2015-06-01 and 2016-10-01 (what Azure's KMS plugin, Azure/kubernetes-kms, sends through the Go SDK's
 * keyvault/2016-10-01 package; SPEC P-2) through 7.0 … 7.6 to the newest date-named 2025-07-01 that
 * @azure/keyvault-keys 4.10 sends, and the previews Key Vault published between 7.2 and 7.6, which clients send as
 * they are (the current az CLI's `keyvault key` commands use 7.6-preview.2). Others get Key Vault's own
 * BadParameter answer.
 */
import { KvError } from './errors.js';

export const KEYVAULT_API_VERSIONS = ['2015-06-01', '2016-10-01', '7.0', '7.1', '7.2', '7.3-preview', '7.3', '7.4-preview.1', '7.4', '7.5-preview.1', '7.5', '7.6-preview.1', '7.6-preview.2', '7.6', '2025-07-01'];
export const LATEST_KEYVAULT_API_VERSION = '2025-07-01';

export function checkKeyVaultApiVersion(value: string | null): string {
  if (value === null || value === '') throw new KvError(400, 'BadParameter', 'The api-version query parameter is missing. Please specify an api-version, e.g. ?api-version=2025-07-01.');
  if (!KEYVAULT_API_VERSIONS.includes(value)) {
    throw new KvError(400, 'BadParameter', `The specified version (${value}) is not recognized. Consider using the latest supported version (${LATEST_KEYVAULT_API_VERSION}).`);
  }
  return value;
}

/**
 * `exportable` and release policies appeared in 7.3 (a 7.3 preview has them too). Date-named versions are either
 * older than 7.0 (2015-06-01, 2016-10-01) or newer than 7.6 (2025-07-01).
 */
export function atLeast(apiVersion: string, min: '7.3' | '7.4' | '7.5'): boolean {
  const numbered = /^(\d+\.\d+)(-preview(\.\d+)?)?$/.exec(apiVersion);
  if (!numbered) return apiVersion >= '2025';
  return Number(numbered[1]) >= Number(min);
}

/**
 * az's client-side checks for the aks commands (acs/_validators.py and the decorators' getters), with az's
 * messages. They run before any request, so a refused command changes nothing.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { parseResourceId } from '../../../../arm/resource-id.js';
import { AzCliError, ArgumentUsageError, ValidationError } from '../../framework/errors.js';

/** msrestazure/azure-mgmt-core's is_valid_resource_id: /subscriptions/S/resourceGroups/RG/providers/NS/type/name... */
export function isValidResourceId(id: string): boolean {
  const parsed = parseResourceId(id);
  return Boolean(parsed && parsed.resourceGroup && parsed.namespace && parsed.types.length > 0);
}

export function requireResourceId(value: string | undefined, option: string): void {
  if (value === undefined || value === '') return;
  if (!isValidResourceId(value)) throw new ValidationError(`${option} is not a valid Azure resource ID.`);
}

/** validate_nodepool_name. */
export function validateNodepoolName(name: string | undefined): void {
  if (name === undefined || name === '') return;
  if (name.length > 12) throw new ValidationError('--nodepool-name can contain at most 12 characters');
  if (!/^[\p{L}\p{N}]+$/u.test(name)) throw new ValidationError('--nodepool-name should contain only alphanumeric characters');
}

/** validate_linux_host_name (aks create --name). */
export function validateClusterName(name: string): void {
  if (!/^[a-zA-Z0-9]$|^[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]$/.test(name)) {
    throw new ValidationError('--name cannot exceed 63 characters and can only contain letters, numbers, underscores (_) or dashes (-).');
  }
}

/** validate_k8s_version: "1.27", "1.27.1", "v1.27.1" → without the v; '' means the service's default. */
export function normalizeKubernetesVersion(v: string | undefined): string | undefined {
  if (v === undefined || v === '') return v;
  const m = /^[vV]?(\d+\.\d+(?:\.\d+)?)$/.exec(v);
  if (!m) throw new AzCliError('--kubernetes-version should be the full version number or major.minor version number, such as "1.7.12" or "1.7"');
  return m[1];
}

/** validate_azure_keyvault_kms_key_id: https, four path segments, the second one `keys`. */
export function validateKmsKeyId(keyId: string | undefined): void {
  if (!keyId) return;
  const message = '--azure-keyvault-kms-key-id is not a valid Key Vault key ID. See https://learn.microsoft.com/en-us/azure/key-vault/general/about-keys-secrets-certificates#vault-name-and-object-name';
  if (!keyId.startsWith('https://')) throw new ValidationError(message);
  const segments = keyId.slice('https://'.length).split('/');
  if (segments.length !== 4 || segments[1] !== 'keys') throw new ValidationError(message);
}

/** validate_label: name=value with Kubernetes' syntax; returns {name: value}. */
export function parseLabel(label: string): Record<string, string> {
  if (label === '') return {};
  const kv = label.split('=');
  if (kv.length !== 2) throw new AzCliError(`Invalid label: ${label}. Label definition must be of format name=value.`);
  const [key, value] = kv as [string, string];
  const parts = key.split('/');
  let name: string;
  const qualified = `Invalid label: ${label}. A qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`;
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) {
    const prefix = parts[0]!;
    if (!prefix || prefix.length > 253) throw new AzCliError(`Invalid label: ${label}. Label prefix can't be empty or more than 253 chars.`);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(prefix)) {
      throw new AzCliError(`Invalid label: ${label}. Prefix part a DNS-1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`);
    }
    name = parts[1]!;
  } else throw new AzCliError(qualified);
  if (!name || name.length > 63) throw new AzCliError(`Invalid label: ${label}. Label name can't be empty or more than 63 chars.`);
  if (!/^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.test(name)) throw new AzCliError(qualified);
  if (value.length > 63) throw new AzCliError(`Invalid label: ${label}. Label must not be more than 63 chars.`);
  if (!/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(value)) {
    throw new AzCliError(`Invalid label: ${label}. A valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
  }
  return { [key]: value };
}

export function parseLabels(items: string[] | undefined): Record<string, string> | undefined {
  if (items === undefined) return undefined;
  return Object.assign({}, ...items.map(parseLabel));
}

/** validate_nodepool_taints: comma-separated key=value:Effect. */
export function parseTaints(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  if (value === '') return [];
  const re = /^[a-zA-Z\d][\w\-./]{0,252}=[a-zA-Z\d][\w\-.]{0,62}:(NoSchedule|PreferNoSchedule|NoExecute)$/;
  const taints = value.split(',').map((t) => t.trim());
  for (const t of taints) if (t !== '' && !re.test(t)) throw new ArgumentUsageError(`Invalid node taint: ${t}`);
  return taints.filter((t) => t !== '');
}

/** validate_nodes_count. */
export function validateCounts(a: { minCount?: number; maxCount?: number }): void {
  if (a.minCount !== undefined && (a.minCount < 0 || a.minCount > 1000)) throw new AzCliError('--min-count must be in the range [0,1000]');
  if (a.maxCount !== undefined && (a.maxCount < 0 || a.maxCount > 1000)) throw new AzCliError('--max-count must be in the range [0,1000]');
}

/** validate_max_surge. */
export function validateMaxSurge(v: string | undefined): void {
  if (v === undefined) return;
  const n = v.endsWith('%') ? v.slice(0, -1) : v;
  if (!/^-?\d+$/.test(n)) throw new AzCliError('--max-surge should be an int or percentage');
  if (Number(n) < 0) throw new AzCliError('--max-surge must be positive');
}

/** `--message-of-the-day FILE` → the file's content, base64 (SPEC C-6). */
export function readMessageOfTheDay(path: string | undefined): string | undefined {
  if (path === undefined || path === '') return undefined;
  if (!existsSync(path) || !statSync(path).isFile()) throw new ValidationError(`${path} is not valid file, or not accessable.`);
  return readFileSync(path).toString('base64');
}

/** Two flags that cannot be given together (az's MutuallyExclusiveArgumentError). */
export function exclusive(a: Record<string, unknown>, first: string, second: string, firstOption: string, secondOption: string): void {
  if (a[first] && a[second]) throw new ValidationError(`Cannot specify "${firstOption}" and "${secondOption}" at the same time`);
}

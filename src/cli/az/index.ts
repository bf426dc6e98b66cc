/** The az-compatible command groups of the aksemu CLI: their specs and their place in the program. */
import type { Command } from 'commander';
import { accountCommands } from './commands/account.js';
import { aksCommands } from './commands/aks/aks.js';
import { nodepoolCommands } from './commands/aks/nodepool.js';
import { extensionCommands } from './commands/extension.js';
import { featureCommands, providerCommands } from './commands/feature-provider.js';
import { groupCommands } from './commands/group.js';
import { identityCommands } from './commands/identity.js';
import { keyvaultCommands } from './commands/keyvault.js';
import { keyvaultKeyCommands } from './commands/keyvault-key.js';
import { roleCommands } from './commands/role.js';
import { registerAzTree, restoreCommanderHelp } from './framework/register.js';
import type { CommandSpec, GroupSpec } from './framework/spec.js';

export const AZ_GROUPS: GroupSpec[] = [
  { path: 'aks', summary: 'Azure Kubernetes Service.' },
  { path: 'aks nodepool', summary: 'Commands to manage node pools in Kubernetes kubernetes cluster.' },
  { path: 'keyvault', summary: 'Manage KeyVault keys, secrets, and certificates.' },
  { path: 'keyvault key', summary: 'Manage keys.' },
  { path: 'identity', summary: 'Managed Identities.' },
  { path: 'role', summary: 'Manage Azure role-based access control (Azure RBAC).' },
  { path: 'role assignment', summary: 'Manage role assignments.' },
  { path: 'role definition', summary: 'Manage role definitions.' },
  { path: 'group', summary: 'Manage resource groups and template deployments.' },
  { path: 'feature', summary: 'Manage resource provider features.' },
  { path: 'provider', summary: 'Manage resource providers.' },
  { path: 'account', summary: 'Manage Azure subscription information.' },
  { path: 'ad', summary: 'Manage Microsoft Entra ID (formerly known as Azure Active Directory, Azure AD, AAD) entities needed for Azure role-based access control (Azure RBAC) through Microsoft Graph API.' },
  { path: 'ad signed-in-user', summary: 'Show graph information about current signed-in user in CLI.' },
  { path: 'extension', summary: 'Manage and update CLI extensions.' },
];

export const AZ_COMMANDS: CommandSpec[] = [
  ...aksCommands,
  ...nodepoolCommands,
  ...keyvaultCommands,
  ...keyvaultKeyCommands,
  ...identityCommands,
  ...roleCommands,
  ...groupCommands,
  ...featureCommands,
  ...providerCommands,
  ...accountCommands,
  ...extensionCommands,
];

export function registerAzCommands(program: Command): void {
  registerAzTree(program, AZ_COMMANDS, AZ_GROUPS);
}

/** To call once every command is registered (see restoreCommanderHelp). */
export { restoreCommanderHelp };

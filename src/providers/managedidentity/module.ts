/** The managed identity module: userAssignedIdentities (and their federated credentials) over ARM and the `/_msi` token endpoint. */
import type { FastifyInstance } from 'fastify';
import type { Arm } from '../../arm/arm.js';
import type { RoleAssignments } from '../../authorization/role-assignments.js';
import type { Directory } from '../../identity/directory.js';
import type { TokenService } from '../../identity/tokens.js';
import type { Sealer } from '../../secrets/sealer.js';
import type { ProviderRegistrations } from '../resources/provider-registration.js';
import { registerFederatedCredentialRoutes } from './federated-credentials.js';
import { registerIdentityRoutes } from './identities.js';
import { registerMsiEndpoint } from './msi-endpoint.js';

export interface ManagedIdentityDeps {
  arm: Arm;
  app: FastifyInstance;
  directory: Directory;
  tokens: TokenService;
  sealer: Sealer;
  providers: ProviderRegistrations;
  authz: RoleAssignments;
}

export function startManagedIdentity({ arm, app, directory, tokens, sealer, providers, authz }: ManagedIdentityDeps): void {
  registerIdentityRoutes(arm, directory, providers, authz);
  registerFederatedCredentialRoutes(arm);
  registerMsiEndpoint(app, { directory, tokens, sealer, resources: arm.resources, authz });
}

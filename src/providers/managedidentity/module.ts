/** The managed identity module (issue 3): userAssignedIdentities over ARM and the `/_msi` token endpoint. */
import type { EmulatorModule } from '../../emulator.js';
import { authorizationOf } from '../authorization/module.js';
import { registerIdentityRoutes } from './identities.js';
import { registerMsiEndpoint } from './msi-endpoint.js';

export const managedIdentityModule: EmulatorModule = (ctx) => {
  const authz = authorizationOf(ctx);
  registerIdentityRoutes(ctx.arm, ctx.directory, ctx.providers, authz);
  registerMsiEndpoint(ctx.frontDoor.app, { directory: ctx.directory, tokens: ctx.tokens, sealer: ctx.sealer, resources: ctx.arm.resources, authz });
};

/**
 * aksemu's dashboard on the front door (`/_aksemu/ui/`): the built page and its files (open: they hold no data),
 * the sign-in codes `aksemu ui` asks for, and the live change feed (both authenticated like ARM). Everything the
 * page shows comes from the same authenticated APIs the CLI uses, with the signed-in principal's token (SPEC U-1).
 */
import type { FastifyInstance } from 'fastify';
import { requireArmToken } from '../../arm/http.js';
import type { SignInCodes } from '../../identity/sign-in-codes.js';
import type { TokenService } from '../../identity/tokens.js';
import { registerChangeFeed, type ChangeFeedDeps } from './events.js';
import { registerSignInCodeRoute } from './sign-in.js';
import { CONTENT_SECURITY_POLICY, findUiDirectory, loadUiFiles } from './static.js';

export interface DashboardDeps extends ChangeFeedDeps {
  tokens: TokenService;
  signInCodes: SignInCodes;
  /** Where the built files are (default: dist/ui above this module). */
  uiDirectory?: string;
}

const PREFIX = '/_aksemu/ui';

export function registerDashboard(app: FastifyInstance, deps: DashboardDeps): void {
  const files = loadUiFiles(deps.uiDirectory ?? findUiDirectory());
  const open = { config: { adminRight: { anyCaller: "the dashboard's static files: they hold no data" } } };
  app.register(
    async (scope) => {
      scope.get('', open, async (_req, reply) => reply.redirect(`${PREFIX}/`, 308));
      scope.get('/*', open, async (req, reply) => {
        const path = (req.params as { '*': string })['*'];
        const file = files.get(path);
        reply.header('X-Content-Type-Options', 'nosniff').header('Referrer-Policy', 'no-referrer');
        if (!file) {
          const message = files.size === 0 ? "The dashboard was not built: run 'npm run build'." : `No dashboard file at '${req.url}'.`;
          return reply.code(404).type('application/json; charset=utf-8').send({ error: { code: 'NotFound', message } });
        }
        reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY).header('Cache-Control', path.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-store');
        return reply.type(file.contentType).send(file.body);
      });
    },
    { prefix: PREFIX },
  );
  app.register(
    async (scope) => {
      scope.addHook('onRequest', requireArmToken(deps.tokens));
      registerSignInCodeRoute(scope, deps.signInCodes);
      registerChangeFeed(scope, deps);
    },
    { prefix: `${PREFIX}/api` },
  );
}

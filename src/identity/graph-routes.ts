/**
 * The few Microsoft Graph endpoints az calls around the flows of the seeds: the signed-in user (`/me`, used by
 * `az ad signed-in-user show` and `az keyvault create`), service principal lookup by appId
 * (`az keyvault create/set-policy`), user lookup by sign-in name (`--upn`, `--assignee user@domain`), and object
 * lookups by id (`az role assignment`).
 *
 * As in Graph, `/me` is the signed-in user of a delegated token; with an app-only token (a service principal's
 * client credentials) there is no "me" and Graph answers 400 (az keyvault create then looks the principal up by
 * its appId, as az does against Azure).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireBearer, type AuthFailure } from './authenticate.js';
import type { Directory, DirectoryObject, DirectoryUser, Principal } from './directory.js';
import type { TokenService } from './tokens.js';

export const GRAPH_AUDIENCES = ['https://graph.microsoft.com/', '00000003-0000-0000-c000-000000000000', 'https://graph.windows.net/'];
const GRAPH = 'https://graph.microsoft.com/v1.0';

function graphError(req: FastifyRequest, reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).send({
    error: {
      code,
      message,
      innerError: {
        date: new Date().toISOString().slice(0, 19),
        'request-id': req.id,
        'client-request-id': (req.headers['client-request-id'] as string | undefined) ?? req.id,
      },
    },
  });
}

function graphAuthFailure(req: FastifyRequest, reply: FastifyReply, f: AuthFailure) {
  const message = f.problem === 'missing' ? 'Access token is empty.' : f.problem === 'expired' ? 'Lifetime validation failed, the token is expired.' : 'Access token validation failure. Invalid audience.';
  reply.header('WWW-Authenticate', 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"');
  return graphError(req, reply, 401, 'InvalidAuthenticationToken', message);
}

function servicePrincipalObject(p: Principal) {
  return {
    id: p.objectId,
    appId: p.appId,
    displayName: p.displayName,
    accountEnabled: true,
    appOwnerOrganizationId: p.tenantId,
    servicePrincipalNames: p.type === 'ManagedIdentity' && p.resourceId ? [p.appId, p.resourceId] : [p.appId],
    servicePrincipalType: p.type === 'ManagedIdentity' ? 'ManagedIdentity' : 'Application',
    ...(p.resourceId ? { alternativeNames: [`isExplicit=True`, p.resourceId] } : {}),
  };
}

function userObject(u: DirectoryUser) {
  return {
    businessPhones: [],
    displayName: u.displayName,
    givenName: null,
    jobTitle: null,
    mail: null,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: null,
    surname: null,
    userPrincipalName: u.userPrincipalName,
    id: u.objectId,
  };
}

function directoryObject(p: DirectoryObject) {
  return p.type === 'User'
    ? { '@odata.type': '#microsoft.graph.user', ...userObject(p) }
    : { '@odata.type': '#microsoft.graph.servicePrincipal', ...servicePrincipalObject(p) };
}

/** Parses the $filter forms az sends: servicePrincipalNames/any(c:c eq 'X'), appId eq 'X', id eq 'X', userPrincipalName eq 'X'. */
function parseFilter(filter: string): { field: 'appId' | 'id' | 'spn' | 'upn'; value: string } | undefined {
  let m = /^servicePrincipalNames\/any\(\s*(\w+)\s*:\s*\1\s+eq\s+'([^']*)'\s*\)$/i.exec(filter.trim());
  if (m) return { field: 'spn', value: m[2]! };
  m = /^(appId|id|userPrincipalName)\s+eq\s+'([^']*)'$/i.exec(filter.trim());
  if (!m) return undefined;
  const field = m[1]!.toLowerCase();
  return { field: field === 'id' ? 'id' : field === 'appid' ? 'appId' : 'upn', value: m[2]! };
}

/** A user by object id or by sign-in name (Graph's /users/{id | userPrincipalName}). */
async function findUser(directory: Directory, idOrUpn: string): Promise<DirectoryUser | undefined> {
  return idOrUpn.includes('@') ? directory.getUserByUpn(idOrUpn) : directory.getUser(idOrUpn);
}

export function registerGraphRoutes(app: FastifyInstance, directory: Directory, tokens: TokenService): void {
  app.register(
    async (scope) => {
      scope.addHook('onRequest', requireBearer(tokens, GRAPH_AUDIENCES, graphAuthFailure));

      scope.get('/v1.0/me', async (req, reply) => {
        // An app-only token has no signed-in user (Graph's own answer and message).
        if (req.caller!.kind !== 'user') return graphError(req, reply, 400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
        const me = await directory.getUser(req.caller!.objectId);
        if (!me) return graphError(req, reply, 404, 'Request_ResourceNotFound', `Resource '${req.caller!.objectId}' does not exist or one of its queried reference-property objects are not present.`);
        return reply.send({ '@odata.context': `${GRAPH}/$metadata#users/$entity`, ...userObject(me) });
      });

      // az ad user list --upn, az keyvault set-policy --upn, az role assignment --assignee user@domain.
      scope.get('/v1.0/users', async (req, reply) => {
        const filter = new URL(req.url, 'https://x').searchParams.get('$filter');
        let users: DirectoryUser[];
        if (filter === null) users = await directory.listUsers();
        else {
          const parsed = parseFilter(filter);
          if (!parsed || parsed.field === 'spn' || parsed.field === 'appId') {
            return graphError(req, reply, 400, 'Request_UnsupportedQuery', `Unsupported or invalid query filter clause specified: '${filter}'.`);
          }
          const found = parsed.field === 'upn' ? await directory.getUserByUpn(parsed.value) : await directory.getUser(parsed.value);
          users = found ? [found] : [];
        }
        return reply.send({ '@odata.context': `${GRAPH}/$metadata#users`, value: users.map(userObject) });
      });

      scope.get('/v1.0/servicePrincipals', async (req, reply) => {
        const filter = new URL(req.url, 'https://x').searchParams.get('$filter');
        if (!filter) {
          return graphError(req, reply, 400, 'Request_UnsupportedQuery', 'aksemu lists service principals by $filter only (appId, id or servicePrincipalNames/any).');
        }
        const parsed = parseFilter(filter);
        if (!parsed || parsed.field === 'upn') return graphError(req, reply, 400, 'Request_UnsupportedQuery', `Unsupported or invalid query filter clause specified: '${filter}'.`);
        const found = parsed.field === 'id' ? await directory.getByObjectId(parsed.value) : await directory.getByAppId(parsed.value);
        const value = found ? [servicePrincipalObject(found)] : [];
        return reply.send({ '@odata.context': `${GRAPH}/$metadata#servicePrincipals`, value });
      });

      const byId = (kind: 'servicePrincipals' | 'users' | 'directoryObjects') =>
        async (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
          const id = req.params.id;
          const p: DirectoryObject | undefined =
            kind === 'users' ? await findUser(directory, id) : kind === 'servicePrincipals' ? await directory.getByObjectId(id) : await directory.getObject(id);
          if (!p) {
            return graphError(req, reply, 404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
          }
          if (kind === 'users') return reply.send({ '@odata.context': `${GRAPH}/$metadata#users/$entity`, ...userObject(p as DirectoryUser) });
          return reply.send({ '@odata.context': `${GRAPH}/$metadata#${kind}/$entity`, ...directoryObject(p) });
        };
      scope.get('/v1.0/servicePrincipals/:id', byId('servicePrincipals'));
      scope.get('/v1.0/users/:id', byId('users'));
      scope.get('/v1.0/directoryObjects/:id', byId('directoryObjects'));

      scope.post('/v1.0/directoryObjects/getByIds', async (req, reply) => {
        let body: { ids?: unknown };
        try {
          body = JSON.parse(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '{}') as { ids?: unknown };
        } catch {
          return graphError(req, reply, 400, 'BadRequest', 'Unable to read JSON request payload.');
        }
        if (!Array.isArray(body.ids) || !body.ids.every((i) => typeof i === 'string')) {
          return graphError(req, reply, 400, 'Request_BadRequest', "The request body must contain 'ids', a list of object ids.");
        }
        const found = await Promise.all((body.ids as string[]).map((id) => directory.getObject(id)));
        return reply.send({
          '@odata.context': `${GRAPH}/$metadata#directoryObjects`,
          value: found.filter((p): p is DirectoryObject => p !== undefined).map(directoryObject),
        });
      });

      scope.all('/*', async (req, reply) =>
        graphError(req, reply, 400, 'BadRequest', `Resource not found for the segment '${new URL(req.url, 'https://x').pathname.replace(/^\/_graph/, '')}' in aksemu's Graph.`),
      );
    },
    { prefix: '/_graph' },
  );
}

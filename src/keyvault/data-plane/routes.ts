/**
 * The Key Vault data plane's routes (SPEC V-2, V-3), in matching order (router.ts: first match wins, `{version}` is
 * 32 hex digits). The refusals keep Key Vault's answers: a method a key path does not serve is 405, a version that
 * is not one is KeyNotFound for GET and PATCH (before any authorization), anything else unknown is 404.
 */
import { KvError, kvErrors } from '../errors.js';
import { CRYPTO_OPERATIONS, cryptoOperation } from './crypto.js';
import { createKey, getKey, getRotationPolicy, importKey, listKeys, listVersions, rotateKey, setRotationPolicy, updateKey } from './keys.js';
import { backupKey, deleteKey, getDeletedKey, listDeletedKeys, purgeKey, recoverKey, restoreKey } from './lifecycle.js';
import { compileRoutes, type DataPlaneRoute, type RouteHandler } from './router.js';

const methodNotAllowed: RouteHandler = async (_d, c) => {
  throw new KvError(405, 'MethodNotAllowed', `The requested resource does not support http method '${c.method}'.`);
};

const versionNotFound: RouteHandler = async (_d, _c, p) => {
  throw kvErrors.keyVersionNotFound(p.name!, p.other!);
};

export const DATA_PLANE_ROUTES: DataPlaneRoute[] = [
  { method: 'GET', path: 'keys', operation: 'list', handler: (d, c) => listKeys(d, c) },
  { method: '*', path: 'keys', handler: methodNotAllowed },
  // `restore` is a key name for every other method.
  { method: 'POST', path: 'keys/restore', operation: 'restore', handler: (d, c) => restoreKey(d, c) },
  { method: 'GET', path: 'keys/{name}', operation: 'get', handler: (d, c, p) => getKey(d, c, p.name!) },
  { method: 'PUT', path: 'keys/{name}', operation: 'import', handler: (d, c, p) => importKey(d, c, p.name!) },
  { method: 'DELETE', path: 'keys/{name}', operation: 'delete', handler: (d, c, p) => deleteKey(d, c, p.name!) },
  { method: 'PATCH', path: 'keys/{name}', operation: 'update', handler: (d, c, p) => updateKey(d, c, p.name!) },
  { method: '*', path: 'keys/{name}', handler: methodNotAllowed },
  { method: 'POST', path: 'keys/{name}/create', operation: 'create', handler: (d, c, p) => createKey(d, c, p.name!) },
  { method: 'GET', path: 'keys/{name}/versions', operation: 'listVersions', handler: (d, c, p) => listVersions(d, c, p.name!) },
  { method: 'POST', path: 'keys/{name}/rotate', operation: 'rotate', handler: (d, c, p) => rotateKey(d, c, p.name!) },
  { method: 'POST', path: 'keys/{name}/backup', operation: 'backup', handler: (d, c, p) => backupKey(d, c, p.name!) },
  { method: 'GET', path: 'keys/{name}/rotationpolicy', operation: 'getRotationPolicy', handler: (d, c, p) => getRotationPolicy(d, c, p.name!) },
  { method: 'PUT', path: 'keys/{name}/rotationpolicy', operation: 'setRotationPolicy', handler: (d, c, p) => setRotationPolicy(d, c, p.name!) },
  ...CRYPTO_OPERATIONS.map((op): DataPlaneRoute => ({ method: 'POST', path: `keys/{name}/${op}`, operation: op, handler: (d, c, p) => cryptoOperation(d, c, p.name!) })),
  { method: 'GET', path: 'keys/{name}/{version}', operation: 'get', handler: (d, c, p) => getKey(d, c, p.name!, p.version!) },
  { method: 'PATCH', path: 'keys/{name}/{version}', operation: 'update', handler: (d, c, p) => updateKey(d, c, p.name!, p.version!) },
  { method: '*', path: 'keys/{name}/{version}', handler: methodNotAllowed },
  { method: 'GET', path: 'keys/{name}/{other}', handler: versionNotFound },
  { method: 'PATCH', path: 'keys/{name}/{other}', handler: versionNotFound },
  ...CRYPTO_OPERATIONS.map((op): DataPlaneRoute => ({ method: 'POST', path: `keys/{name}/{version}/${op}`, operation: op, handler: (d, c, p) => cryptoOperation(d, c, p.name!, p.version!) })),
  ...CRYPTO_OPERATIONS.map((op): DataPlaneRoute => ({ method: 'POST', path: `keys/{name}/{other}/${op}`, handler: versionNotFound })),
  { method: 'GET', path: 'deletedkeys', operation: 'listDeleted', handler: (d, c) => listDeletedKeys(d, c) },
  { method: 'GET', path: 'deletedkeys/{name}', operation: 'getDeleted', handler: (d, c, p) => getDeletedKey(d, c, p.name!) },
  { method: 'DELETE', path: 'deletedkeys/{name}', operation: 'purge', handler: (d, c, p) => purgeKey(d, c, p.name!) },
  { method: 'POST', path: 'deletedkeys/{name}/recover', operation: 'recover', handler: (d, c, p) => recoverKey(d, c, p.name!) },
];

export const COMPILED_DATA_PLANE_ROUTES = compileRoutes(DATA_PLANE_ROUTES);

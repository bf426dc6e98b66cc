/** The data plane's route table (data-plane/routes.ts): which operation a method and path reach, and the refusals. */
import { describe, expect, it } from 'vitest';
import { COMPILED_DATA_PLANE_ROUTES } from '../../src/keyvault/data-plane/routes.js';
import { dispatch, matchRoute } from '../../src/keyvault/data-plane/router.js';
import type { RequestContext } from '../../src/keyvault/data-plane/request.js';
import type { KvError } from '../../src/keyvault/errors.js';

const V = '0123456789abcdef0123456789ABCDEF';
const opOf = (method: string, path: string) => {
  const m = matchRoute(COMPILED_DATA_PLANE_ROUTES, method, path.split('/').filter(Boolean));
  return m ? { operation: m.route.operation ?? null, params: m.params } : undefined;
};
const refusalOf = async (method: string, path: string) => {
  const c = { method, audit: {} } as RequestContext;
  try {
    await dispatch(COMPILED_DATA_PLANE_ROUTES, {} as never, c, path.split('/').filter(Boolean));
  } catch (err) {
    const e = err as KvError;
    return [e.status, e.code, e.message];
  }
  throw new Error(`${method} ${path} was not refused`);
};

describe('Key Vault data-plane routes', () => {
  it('reach the operation of each key path; literal segments in any case, names and versions as given', () => {
    expect(opOf('GET', 'keys')).toEqual({ operation: 'list', params: {} });
    expect(opOf('POST', 'KEYS/Restore')).toEqual({ operation: 'restore', params: {} });
    expect(opOf('GET', 'keys/restore')).toEqual({ operation: 'get', params: { name: 'restore' } });
    expect(opOf('PUT', 'keys/MyKey')).toEqual({ operation: 'import', params: { name: 'MyKey' } });
    expect(opOf('POST', 'keys/k/Create')?.operation).toBe('create');
    expect(opOf('PUT', 'keys/k/rotationpolicy')?.operation).toBe('setRotationPolicy');
    expect(opOf('POST', 'keys/k/UnwrapKey')).toEqual({ operation: 'unwrapkey', params: { name: 'k' } });
    expect(opOf('PATCH', `keys/k/${V}`)).toEqual({ operation: 'update', params: { name: 'k', version: V } });
    expect(opOf('POST', `keys/k/${V}/sign`)).toEqual({ operation: 'sign', params: { name: 'k', version: V } });
    expect(opOf('DELETE', 'deletedkeys/k')?.operation).toBe('purge');
    expect(opOf('POST', 'DeletedKeys/k/recover')?.operation).toBe('recover');
  });

  it('refuse as Key Vault does: 405 for a method a key path does not serve, KeyNotFound for a non-version, else 404', async () => {
    expect(await refusalOf('POST', 'keys')).toEqual([405, 'MethodNotAllowed', "The requested resource does not support http method 'POST'."]);
    expect(await refusalOf('POST', 'keys/k')).toEqual([405, 'MethodNotAllowed', "The requested resource does not support http method 'POST'."]);
    expect(await refusalOf('DELETE', `keys/k/${V}`)).toEqual([405, 'MethodNotAllowed', "The requested resource does not support http method 'DELETE'."]);
    expect((await refusalOf('GET', 'keys/k/create')).slice(0, 2)).toEqual([404, 'KeyNotFound']);
    expect((await refusalOf('GET', 'keys/k/create'))[2]).toContain('k/create was not found');
    expect((await refusalOf('POST', 'keys/k/v1/decrypt'))[2]).toContain('k/v1 was not found');
    expect(await refusalOf('DELETE', 'keys/k/create')).toEqual([404, 'NotFound', "The resource '/keys/k/create' does not exist in Key Vault (aksemu serves keys and deletedkeys)."]);
    expect((await refusalOf('POST', 'deletedkeys'))[0]).toBe(404);
    expect(await refusalOf('GET', '')).toEqual([404, 'NotFound', "The resource '/' does not exist in Key Vault (aksemu serves keys and deletedkeys)."]);
    expect((await refusalOf('GET', 'secrets/s'))[0]).toBe(404);
  });
});

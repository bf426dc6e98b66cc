import { describe, expect, it } from 'vitest';
import { EtcdKeys } from '../../src/store/etcd/keys.js';

describe('EtcdKeys (key encoding of the etcd store)', () => {
  it('normalises the prefix and maps keys to and from etcd keys under it', () => {
    for (const given of ['team-a', '/team-a', '/team-a/']) expect(new EtcdKeys(given).prefix).toBe('/team-a');
    const keys = new EtcdKeys('/a');
    expect(keys.encode('/x/y').toString()).toBe('/a/x/y');
    expect(keys.decode(Buffer.from('/a/x/y'))).toBe('/x/y');
    expect(() => keys.encode('x')).toThrow(/must start with "\/"/);
    expect(() => keys.encode('')).toThrow('key is not provided');
  });

  it('scopes a prefix so that a neighbour with a longer prefix is never seen', () => {
    const scope = new EtcdKeys('/a').scope('')!;
    expect(scope.key.toString()).toBe('/a/');
    expect(scope.end.toString()).toBe('/a0'); // "/" + 1
    expect(new EtcdKeys('/a').scope('x')).toBeUndefined();
    const bare = new EtcdKeys('').scope('')!;
    expect([...bare.key]).toEqual([0]);
  });
});

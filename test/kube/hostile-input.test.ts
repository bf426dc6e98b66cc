/**
 * Acceptance (SPEC R-4): hostile bodies and patches on a cluster's Kubernetes API get a 4xx Status in
 * kube-apiserver's words, never a 500, pollute no prototype of the emulator's process, and change nothing in the
 * store: YAML alias bombs and over-deep documents, JSON patches on `/__proto__` and `/constructor/...`, merge and
 * strategic merge patches with such keys, and patches, applies and updates that rename an object or move it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixtureCluster } from '../../testkit/kube/fixtures.js';
import { addCluster, kubeApi, kubectl, kubectlHome, startEmulatorWithFixtures, type KubeApiClient, type KubectlHome, type TestEmulator } from '../../testkit/kube/kube-env.js';
import { describeWith } from '../../testkit/optional.js';

const CM = '/api/v1/namespaces/default/configmaps';
const JSON_PATCH = { 'content-type': 'application/json-patch+json' };
const MERGE_PATCH = { 'content-type': 'application/merge-patch+json' };
const SMP = { 'content-type': 'application/strategic-merge-patch+json' };
const APPLY = { 'content-type': 'application/apply-patch+yaml' };
const YAML = { 'content-type': 'application/yaml' };

/** A "billion laughs" document: each level has nine aliases to the level before. */
const ALIAS_BOMB = [
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata: {name: laughs}',
  'x:',
  '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  '  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  '  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  '  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  '  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  '  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  '  g: [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
  '',
].join('\n');

const REJECTED = 'the server rejected our request due to an error in our request';

function expectStatus(res: { status: number; json(): any; text: string }, code: number, reason: string, message?: string | RegExp) {
  expect(res.status, res.text).toBe(code);
  const body = res.json();
  expect(body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code });
  if (typeof message === 'string') expect(body.message).toBe(message);
  else if (message) expect(body.message).toMatch(message);
  return body;
}

/** The process's prototypes are as they were: nothing a patch did reached them. */
function expectNoPollution() {
  const probe = {} as Record<string, unknown>;
  expect(probe.polluted).toBeUndefined();
  expect((Object as unknown as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(typeof ({} as object).toString).toBe('function');
}

describe('hostile input to the Kubernetes API (SPEC R-4)', () => {
  let emu: TestEmulator;
  let cluster: FixtureCluster;
  let api: KubeApiClient;

  /** Creates a configmap and answers a check that it is still exactly as created. */
  async function configMap(name: string, data: Record<string, string> = { a: '1' }): Promise<() => Promise<void>> {
    await api.call('DELETE', `${CM}/${name}`);
    const created = await api.call('POST', CM, { metadata: { name }, data });
    expect(created.status, created.text).toBe(201);
    const before = created.json();
    return async () => {
      const now = await api.call('GET', `${CM}/${name}`);
      expect(now.status).toBe(200);
      expect(now.json().metadata.resourceVersion).toBe(before.metadata.resourceVersion);
      expect(now.json().data).toEqual(data);
    };
  }

  beforeAll(async () => {
    emu = await startEmulatorWithFixtures();
    cluster = await addCluster(emu, { name: 'hostile', resourceGroup: 'rg', pools: [{ name: 'nodepool1', count: 1 }] });
    api = await kubeApi(emu, cluster);
  });
  afterAll(async () => {
    await emu?.close();
  });

  describe('YAML and JSON bodies', () => {
    it('answers a YAML alias bomb with 400 BadRequest in kube-apiserver\'s words, on create, update and apply', async () => {
      const summary = `${ALIAS_BOMB.slice(0, 30)}...`;
      const message = `the object provided is unrecognized (must be of type ConfigMap): yaml: document contains excessive aliasing (${summary})`;
      expectStatus(await api.call('POST', CM, ALIAS_BOMB, YAML), 400, 'BadRequest', message);
      expect((await api.call('GET', `${CM}/laughs`)).status).toBe(404);
      const unchanged = await configMap('laughs');
      expectStatus(await api.call('PUT', `${CM}/laughs`, ALIAS_BOMB, YAML), 400, 'BadRequest', message);
      expectStatus(await api.call('PATCH', `${CM}/laughs?fieldManager=t`, ALIAS_BOMB, APPLY), 400, 'BadRequest', message);
      await unchanged();
    });

    it('answers documents nested deeper than it accepts with 400, and keeps serving', async () => {
      const deepJson = `{"metadata":{"name":"deep"},"data":${'['.repeat(5000)}${']'.repeat(5000)}}`;
      expectStatus(await api.call('POST', CM, deepJson), 400, 'BadRequest', /^the object provided is unrecognized \(must be of type ConfigMap\): couldn't get version\/kind; json parse error: exceeded max depth of 200 \(/);
      const deepFlow = `metadata: {name: deep}\ndata: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
      expectStatus(await api.call('POST', CM, deepFlow, YAML), 400, 'BadRequest', /: yaml: exceeded max depth of 200 \(/);
      const deepBlock = `metadata:\n  name: deep\ndata:\n${Array.from({ length: 1200 }, (_, i) => `${' '.repeat(i + 1)}k${i}:`).join('\n')}\n`;
      expectStatus(await api.call('POST', CM, deepBlock, YAML), 400, 'BadRequest', /: yaml: exceeded max depth of 200 \(/);
      const deepSeq = `metadata: {name: deep}\ndata:\n${Array.from({ length: 1200 }, (_, i) => `${' '.repeat(i)}-`).join('\n')}\n`;
      expectStatus(await api.call('POST', CM, deepSeq, YAML), 400, 'BadRequest', /: yaml: exceeded max depth of 200 \(/);
      expect((await api.call('GET', `${CM}/deep`)).status).toBe(404);
      // An ordinary YAML manifest still decodes.
      expect((await api.call('POST', CM, 'metadata:\n  name: deep\ndata:\n  a: "1"\n', YAML)).status).toBe(201);
    });

    it('refuses a __proto__ key anywhere in a body with 400 and pollutes nothing', async () => {
      const json = '{"metadata":{"name":"proto","labels":{"__proto__":{"polluted":"yes"}}},"data":{"a":"1"}}';
      expectStatus(await api.call('POST', CM, json), 400, 'BadRequest', /^the object provided is unrecognized \(must be of type ConfigMap\): key "__proto__" is not accepted \(at metadata\.labels\.__proto__\) \(/);
      const yaml = 'metadata:\n  name: proto\ndata:\n  __proto__: yes\n';
      expectStatus(await api.call('POST', CM, yaml, YAML), 400, 'BadRequest', /key "__proto__" is not accepted \(at data\.__proto__\)/);
      expect((await api.call('GET', `${CM}/proto`)).status).toBe(404);
      expectNoPollution();
    });
  });

  describe('JSON patch', () => {
    const proto = [
      [{ op: 'add', path: '/__proto__/polluted', value: 'yes' }],
      [{ op: 'replace', path: '/__proto__', value: { polluted: 'yes' } }],
      [{ op: 'add', path: '/__proto__', value: { polluted: 'yes' } }],
      [{ op: 'add', path: '/metadata/__proto__/polluted', value: 'yes' }],
      [{ op: 'add', path: '/constructor/prototype/polluted', value: 'yes' }],
      [{ op: 'add', path: '/constructor/polluted', value: 'yes' }],
      [{ op: 'add', path: '/data/constructor/prototype/polluted', value: 'yes' }],
      [{ op: 'replace', path: '/data/toString', value: 'x' }],
      [{ op: 'copy', from: '/__proto__', path: '/data/x' }],
      [{ op: 'move', from: '/constructor', path: '/data/x' }],
      [{ op: 'test', path: '/data/hasOwnProperty', value: 'x' }],
    ];

    it('answers a path through __proto__ or constructor with 422 Invalid as a path that does not exist, pollutes nothing, changes nothing', async () => {
      const unchanged = await configMap('jp-proto');
      for (const ops of proto) {
        const res = await api.call('PATCH', `${CM}/jp-proto`, JSON.stringify(ops), JSON_PATCH);
        const body = expectStatus(res, 422, 'Invalid', REJECTED);
        expect(body.details.causes, JSON.stringify(ops)).toHaveLength(1);
        expect(body.details.causes[0].reason).toBe('UnexpectedServerResponse');
        expect(body.details.causes[0].message, JSON.stringify(ops)).toMatch(/(does not apply: doc is missing .*|test failed): (missing value|test failed)$|failed$/);
      }
      const first = (await api.call('PATCH', `${CM}/jp-proto`, JSON.stringify(proto[0]), JSON_PATCH)).json();
      expect(first.details.causes[0].message).toBe('add operation does not apply: doc is missing path: "/__proto__/polluted": missing value');
      await unchanged();
      expectNoPollution();
    });

    it('answers patches that cannot apply with 422 rather than a 500: moving into a child, doubling copies, unknown ops', async () => {
      const unchanged = await configMap('jp-bad');
      const into = await api.call('PATCH', `${CM}/jp-bad`, JSON.stringify([{ op: 'move', from: '/metadata', path: '/metadata/labels/x' }]), JSON_PATCH);
      expect(expectStatus(into, 422, 'Invalid', REJECTED).details.causes[0].message).toBe('move operation does not apply: doc is missing destination path: /metadata/labels/x: missing value');
      const doubling = Array.from({ length: 40 }, (_, i) => ({ op: 'copy', from: '/data', path: `/data/k${i}` }));
      doubling.unshift({ op: 'add', path: '/data/big', value: 'x'.repeat(64 * 1024) } as never);
      const copies = await api.call('PATCH', `${CM}/jp-bad`, JSON.stringify(doubling), JSON_PATCH);
      expect(expectStatus(copies, 422, 'Invalid', REJECTED).details.causes[0].message).toMatch(/^Unable to complete the copy, the accumulated size increase of copy is \d+, exceeding the limit 3145728$/);
      const unknown = await api.call('PATCH', `${CM}/jp-bad`, JSON.stringify([{ op: 'explode', path: '/data' }]), JSON_PATCH);
      expect(expectStatus(unknown, 422, 'Invalid', REJECTED).details.causes[0].message).toBe('Unexpected kind: explode: unknown object type');
      const arrayIndex = await api.call('PATCH', `${CM}/jp-bad`, JSON.stringify([{ op: 'add', path: '/metadata/finalizers', value: [] }, { op: 'replace', path: '/metadata/finalizers/length', value: 5 }]), JSON_PATCH);
      expectStatus(arrayIndex, 422, 'Invalid', REJECTED);
      expectStatus(await api.call('PATCH', `${CM}/jp-bad`, '[1]', JSON_PATCH), 400, 'BadRequest', 'json: cannot unmarshal number into Go value of type jsonpatch.Operation');
      await unchanged();
    });

    it('still applies ordinary JSON patches, including keys named like Object.prototype members', async () => {
      await configMap('jp-ok');
      const ops = [
        { op: 'add', path: '/data/constructor', value: 'c' },
        { op: 'add', path: '/data/toString', value: 't' },
        { op: 'copy', from: '/data/a', path: '/data/b' },
        { op: 'move', from: '/data/b', path: '/data/c' },
        { op: 'test', path: '/data/c', value: '1' },
        { op: 'remove', path: '/data/a' },
        { op: 'add', path: '/metadata/labels', value: { app: 'x' } },
      ];
      const res = await api.call('PATCH', `${CM}/jp-ok`, JSON.stringify(ops), JSON_PATCH);
      expect(res.status, res.text).toBe(200);
      expect(res.json().data).toEqual({ constructor: 'c', toString: 't', c: '1' });
      expect(res.json().metadata.labels).toEqual({ app: 'x' });
    });
  });

  describe('merge and strategic merge patches', () => {
    it('refuses __proto__ keys with 400 and merges keys named like Object.prototype members as any other', async () => {
      const unchanged = await configMap('mp');
      for (const headers of [MERGE_PATCH, SMP]) {
        for (const body of ['{"__proto__":{"polluted":"yes"}}', '{"metadata":{"labels":{"__proto__":{"polluted":"yes"}}}}', '{"data":{"__proto__":"x"}}']) {
          expectStatus(await api.call('PATCH', `${CM}/mp`, body, headers), 400, 'BadRequest', /key "__proto__" is not accepted/);
        }
      }
      await unchanged();
      expectNoPollution();
      // Before, the merge patch library dropped the rest of a patch at a "constructor" key, and threw on an
      // object with a "hasOwnProperty" key.
      const odd = await api.call('PATCH', `${CM}/mp`, '{"data":{"constructor":"c","hasOwnProperty":"h","z":"9"}}', MERGE_PATCH);
      expect(odd.status, odd.text).toBe(200);
      expect(odd.json().data).toEqual({ a: '1', constructor: 'c', hasOwnProperty: 'h', z: '9' });
      const del = await api.call('PATCH', `${CM}/mp`, '{"data":{"a":null}}', MERGE_PATCH);
      expect(del.status, del.text).toBe(200);
      expect(del.json().data).toEqual({ constructor: 'c', hasOwnProperty: 'h', z: '9' });
      const smp = await api.call('PATCH', `${CM}/mp`, '{"data":{"prototype":"p","constructor":null}}', SMP);
      expect(smp.status, smp.text).toBe(200);
      expect(smp.json().data).toEqual({ hasOwnProperty: 'h', z: '9', prototype: 'p' });
      expectNoPollution();
    });
  });

  describe('renames and moves', () => {
    const renamed = 'the name of the object (other) does not match the name on the URL (orig)';
    const moved = 'the namespace of the object (kube-system) does not match the namespace on the request (default)';

    it('refuses a JSON patch, merge patch, strategic merge patch or apply that renames the object with 400, and changes nothing', async () => {
      const unchanged = await configMap('orig');
      expectStatus(await api.call('PATCH', `${CM}/orig`, JSON.stringify([{ op: 'replace', path: '/metadata/name', value: 'other' }]), JSON_PATCH), 400, 'BadRequest', renamed);
      expectStatus(await api.call('PATCH', `${CM}/orig`, '{"metadata":{"name":"other"}}', MERGE_PATCH), 400, 'BadRequest', renamed);
      expectStatus(await api.call('PATCH', `${CM}/orig`, '{"metadata":{"name":"other"}}', SMP), 400, 'BadRequest', renamed);
      expectStatus(await api.call('PATCH', `${CM}/orig`, JSON.stringify([{ op: 'remove', path: '/metadata/name' }]), JSON_PATCH), 400, 'BadRequest', 'the name of the object () does not match the name on the URL (orig)');
      const apply = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\ndata:\n  a: "2"\n';
      expectStatus(await api.call('PATCH', `${CM}/orig?fieldManager=t`, apply, APPLY), 400, 'BadRequest', renamed);
      expectStatus(await api.call('PUT', `${CM}/orig`, { metadata: { name: 'other' }, data: { a: '2' } }), 400, 'BadRequest', renamed);
      expect((await api.call('GET', `${CM}/other`)).status).toBe(404);
      await unchanged();
    });

    it('refuses a patch or apply that moves the object to another namespace with 400, and changes nothing', async () => {
      const unchanged = await configMap('orig');
      expectStatus(await api.call('PATCH', `${CM}/orig`, JSON.stringify([{ op: 'replace', path: '/metadata/namespace', value: 'kube-system' }]), JSON_PATCH), 400, 'BadRequest', moved);
      expectStatus(await api.call('PATCH', `${CM}/orig`, '{"metadata":{"namespace":"kube-system"}}', MERGE_PATCH), 400, 'BadRequest', moved);
      expectStatus(await api.call('PATCH', `${CM}/orig`, '{"metadata":{"namespace":"kube-system"}}', SMP), 400, 'BadRequest', moved);
      const apply = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: orig\n  namespace: kube-system\ndata:\n  a: "2"\n';
      expectStatus(await api.call('PATCH', `${CM}/orig?fieldManager=t`, apply, APPLY), 400, 'BadRequest', moved);
      expectStatus(await api.call('PATCH', `${CM}/absent?fieldManager=t`, apply.replace('name: orig', 'name: absent'), APPLY), 400, 'BadRequest', 'the namespace of the object (kube-system) does not match the namespace on the request (default)');
      expect((await api.call('GET', '/api/v1/namespaces/kube-system/configmaps/orig')).status).toBe(404);
      await unchanged();
    });
  });

  describeWith(['kubectl'], 'with kubectl', () => {
    let h: KubectlHome;
    beforeAll(async () => {
      h = await kubectlHome(emu, cluster);
    });

    it('kubectl patch --type=json that renames an object fails with kube-apiserver\'s message and changes nothing', async () => {
      const unchanged = await configMap('orig');
      const res = await kubectl(h, ['patch', 'configmap', 'orig', '--type=json', '-p', '[{"op":"replace","path":"/metadata/name","value":"other"}]']);
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain('Error from server (BadRequest): the name of the object (other) does not match the name on the URL (orig)');
      await unchanged();
    });

    it('kubectl patch --type=json on /__proto__ fails as an invalid request and pollutes nothing', async () => {
      const unchanged = await configMap('kc-proto');
      const res = await kubectl(h, ['patch', 'configmap', 'kc-proto', '--type=json', '-p', '[{"op":"add","path":"/__proto__/polluted","value":"yes"}]']);
      expect(res.code).not.toBe(0);
      // kubectl prints an Invalid Status's causes (this one has no field) in place of its message.
      expect(res.stderr).toContain('The request is invalid: : add operation does not apply: doc is missing path: "/__proto__/polluted": missing value');
      await unchanged();
      expectNoPollution();
    });
  });

  describe('random hostile documents (seeded, bounded)', () => {
    // fast-check is not a dependency of the repository; a seeded generator gives the same bounded search.
    function rng(seed: number) {
      let s = seed >>> 0;
      return () => {
        s = (s + 0x6d2b79f5) >>> 0;
        let t = s;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
    }
    const KEYS = ['', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'metadata', 'name', 'namespace', 'data', 'labels', 'a', '0', '-', '~1', 'kind', 'apiVersion', 'resourceVersion', 'uid', 'finalizers', 'length'];
    const OPS = ['add', 'remove', 'replace', 'move', 'copy', 'test', 'nope', 1, null];

    function value(r: () => number, depth = 0): unknown {
      const k = Math.floor(r() * (depth > 2 ? 5 : 8));
      switch (k) {
        case 0: return 'v';
        case 1: return Math.floor(r() * 10);
        case 2: return null;
        case 3: return r() < 0.5;
        case 4: return KEYS[Math.floor(r() * KEYS.length)];
        case 5: return [value(r, depth + 1), value(r, depth + 1)];
        default: {
          const o: Record<string, unknown> = {};
          for (let i = Math.floor(r() * 3); i > 0; i--) Object.defineProperty(o, KEYS[Math.floor(r() * KEYS.length)]!, { value: value(r, depth + 1), enumerable: true, writable: true, configurable: true });
          return o;
        }
      }
    }
    function pointer(r: () => number): string {
      const n = Math.floor(r() * 4);
      return Array.from({ length: n }, () => `/${KEYS[Math.floor(r() * KEYS.length)]}`).join('');
    }
    function patchDoc(r: () => number): string {
      const ops = Array.from({ length: 1 + Math.floor(r() * 3) }, () => {
        const op: Record<string, unknown> = { op: OPS[Math.floor(r() * OPS.length)], path: pointer(r) };
        if (r() < 0.7) op.value = value(r);
        if (r() < 0.4) op.from = pointer(r);
        return op;
      });
      return JSON.stringify(r() < 0.05 ? ops[0] : ops);
    }

    it('never answers a 5xx to random JSON, merge and strategic patches or YAML bodies, and a refusal changes nothing', async () => {
      const r = rng(20240611);
      const path = '/api/v1/namespaces/default/secrets/fuzz';
      await api.call('DELETE', path);
      expect((await api.call('POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 'fuzz', labels: { app: 'x' } }, data: { a: 'MQ==' } })).status).toBe(201);
      for (let i = 0; i < 150; i++) {
        const before = (await api.call('GET', path)).json();
        const kind = i % 4;
        let res;
        let sent: string;
        if (kind === 0) {
          sent = patchDoc(r);
          res = await api.call('PATCH', path, sent, JSON_PATCH);
        } else if (kind === 1 || kind === 2) {
          sent = JSON.stringify(value(r));
          res = await api.call('PATCH', path, sent, kind === 1 ? MERGE_PATCH : SMP);
        } else {
          const anchor = r() < 0.5 ? '&x ' : '';
          sent = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: fuzz\n  labels: ${anchor}${JSON.stringify(value(r))}\ndata: ${r() < 0.5 && anchor ? '*x' : JSON.stringify(value(r))}\n`;
          res = await api.call('PUT', path, sent, YAML);
        }
        expect(res.status, `${sent} → ${res.text}`).toBeLessThan(500);
        if (res.status >= 400) {
          expect(res.json().kind, sent).toBe('Status');
          const after = (await api.call('GET', path)).json();
          expect(after.metadata.resourceVersion, sent).toBe(before.metadata.resourceVersion);
        }
      }
      expectNoPollution();
    });
  });
});

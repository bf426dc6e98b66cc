/**
 * Fuzz, a cluster's Kubernetes API (SPEC R-1, R-4, A-2): generated requests to the API of a cluster created through
 * ARM on a spawned emulator — creates and updates of secrets, configmaps and namespaces with hostile JSON and YAML,
 * all three patch types and apply (JSON patch pointers through `__proto__`, `~1` escapes, `-`, huge indexes;
 * strategic merge directives), deletes with hostile options, and reads with bad label and field selectors,
 * resourceVersion, limit and continue. Every answer is below 500; every 4xx is a `kind: Status`; a refused request
 * leaves the object as it was (same resourceVersion) and creates nothing; the instance stays up.
 */
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armClient, clusterBody, linuxPool } from '../../testkit/containerservice.js';
import { spawnEmulator, type SpawnedEmulator } from '../../testkit/emulator.js';
import { getToken, httpsCall, type TestResponse } from '../../testkit/http.js';
import { kubeApi, type KubeApiClient } from '../../testkit/kube/kube-env.js';
import { fuzz, runs, spawnedTarget, Tally, timeoutFor, Unchanged, within, type FuzzTarget } from './harness.js';
import { hostileKey, hostileValue, jsonText, mutated, ODD_METHODS, oddString, pct } from './generators.js';

const BOUNDED = 50;
const NS = '/api/v1/namespaces/fuzz';
const SECRET = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'fz', labels: { app: 'fz' }, annotations: { a: 'b' }, finalizers: [] }, type: 'Opaque', data: { a: 'MQ==' }, stringData: { s: 'x' } };
const CONFIGMAP = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fz', labels: { app: 'fz' } }, data: { a: '1', b: '2' }, binaryData: { c: 'AQID' } };
const NAMESPACE = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fz-ns', labels: { a: 'b' } }, spec: { finalizers: ['kubernetes'] } };

/** YAML that breaks parsers: aliases, tags, merge keys, directives, several documents, tabs, NULs. */
const HOSTILE_YAML = [
  'a: &a [*a]', 'metadata: &m {name: fz}\ndata: *m', '<<: *nope', 'metadata:\n  <<: {name: fz}\n  name: x', '!!binary AAAA', '!!python/object:os.system [ls]',
  '!!js/function "function(){}"', '%YAML 1.1\n---\nkind: Secret', '---\n---\nkind: Secret', 'kind: Secret\n---\nkind: ConfigMap', 'metadata:\n\tname: fz', '? [a, b]\n: c',
  'metadata: {name: fz, name: fz2}', 'data: !!set {a, b}', 'data: !!omap [a: 1]', '\u0000', '\ufeffkind: Secret', 'metadata: {name: "\\ud800"}', 'x: 1e999', 'x: 0o17', 'x: .inf',
  'data:\n  a: !!int 1', 'metadata:\n  name: !!str\n', '{', '- a\nb: c', `data: {${Array.from({ length: 200 }, (_, i) => `k${i}: &a${i} v`).join(', ')}}`,
];

/** A document as JSON or YAML text, or hostile YAML, with the content type that says which. */
function document(base: unknown): fc.Arbitrary<{ text: string; type: string }> {
  const doc = mutated(base);
  return fc.oneof(
    { weight: 4, arbitrary: jsonText(doc).map((text) => ({ text, type: 'application/json' })) },
    { weight: 3, arbitrary: doc.map((d) => ({ text: toYaml(d, { aliasDuplicateObjects: false }), type: 'application/yaml' })) },
    { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_YAML).map((text) => ({ text, type: 'application/yaml' })) },
    { weight: 1, arbitrary: fc.tuple(jsonText(doc), fc.constantFrom('text/plain', 'application/vnd.kubernetes.protobuf', 'application/json;charset=utf-16', '')).map(([text, type]) => ({ text, type })) },
  );
}

const pointerToken = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('metadata', 'data', 'labels', 'annotations', 'name', 'namespace', 'resourceVersion', 'uid', 'finalizers', 'stringData', 'type', 'immutable', 'kind', 'a', 'c') },
  { weight: 3, arbitrary: fc.constantFrom('0', '1', '-', '__proto__', 'constructor', 'prototype', 'toString', 'length', '~0', '~1', '~2', '~', '', '99999999999999999999', '01', '-1', '1e3', 'a~1b') },
  { weight: 1, arbitrary: oddString.filter((s) => s.length < 100) },
);
const pointer = fc.oneof(
  { weight: 6, arbitrary: fc.array(pointerToken, { maxLength: 5 }).map((ts) => ts.map((t) => `/${t}`).join('')) },
  { weight: 1, arbitrary: fc.constantFrom('', '/', 'metadata', '//', '/metadata/', '#/metadata') },
  { weight: 1, arbitrary: hostileValue },
);
const jsonPatchOp = fc.record(
  {
    op: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test') }, { weight: 1, arbitrary: fc.constantFrom('ADD', '', 'nope', 'merge') }, { weight: 1, arbitrary: hostileValue }),
    path: pointer,
    from: pointer,
    value: hostileValue,
  },
  { requiredKeys: [] },
);
const jsonPatch = fc.oneof({ weight: 5, arbitrary: fc.array(jsonPatchOp, { maxLength: 4 }).map((ops) => JSON.stringify(ops)) }, { weight: 1, arbitrary: jsonText(hostileValue) });

/** Strategic merge directives beside ordinary keys. */
const smpPatch = fc
  .dictionary(
    fc.oneof(fc.constantFrom('$patch', '$retainKeys', '$deleteFromPrimitiveList/finalizers', '$setElementOrder/finalizers', 'metadata', 'data', 'finalizers', '$patch/x'), hostileKey),
    fc.oneof(fc.constantFrom('replace', 'delete', 'merge', 'bogus', ['a'], ['kubernetes'], { $patch: 'delete' }, { labels: { $patch: 'replace', x: 'y' } }), hostileValue),
    { maxKeys: 4 },
  )
  .map((d) => JSON.stringify({ metadata: d }));

const PATCH_TYPES = { json: 'application/json-patch+json', merge: 'application/merge-patch+json', smp: 'application/strategic-merge-patch+json', apply: 'application/apply-patch+yaml' } as const;

/** Query parameters of reads and writes: selectors, versions, paging, managers, dry runs. */
const queryParam = fc.oneof(
  fc.tuple(
    fc.constantFrom('labelSelector', 'fieldSelector', 'resourceVersion', 'resourceVersionMatch', 'limit', 'continue', 'fieldManager', 'dryRun', 'force', 'pretty', 'propagationPolicy', 'gracePeriodSeconds', 'fieldValidation', 'timeoutSeconds', 'allowWatchBookmarks', 'sendInitialEvents'),
    fc.oneof(
      fc.constantFrom('', 'app=fz', 'app!=fz', 'app in (a,b', 'app notin ()', '!app', 'a=b,c', 'a==b=c', '=', ',', 'metadata.name=fz', 'metadata.namespace!=x', 'spec.nodeName=', 'status.phase=Running', 'type=Opaque', 'x.y.z=1',
        '0', '-1', '1', '500', '9999999999999999999999', '1e3', 'NotOlderThan', 'Exact', 'All', 'true', 'false', 'Foreground', 'Orphan', 'Background', 'Strict', 'Warn', 'Ignore',
        'eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MSwic3RhcnQiOiJhIn0', 'eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6LTEsInN0YXJ0Ijp7fX0', '%%', 'a'.repeat(5000)),
      oddString.filter((s) => s.length < 3000),
    ),
  ).map(([k, v]) => `${k}=${pct(v)}`),
  fc.constantFrom('limit', 'continue=', '&', '%zz=1', 'labelSelector=%E0%A4%A', 'watch=false'),
);
const query = fc.array(queryParam, { maxLength: 3 }).map((ps) => (ps.length ? `?${ps.join('&')}` : ''));

describe('fuzz: Kubernetes API (SPEC R-1, R-4)', () => {
  let emu: SpawnedEmulator;
  let armToken: string;
  let target: FuzzTarget;
  let api: KubeApiClient;
  const tally = new Tally('kube');

  /**
   * A request as kubectl sends it: to the instance's address, with the cluster's name as the TLS server name
   * (the kubeconfig's tls-server-name), so that even a request refused before any path is read (a header block
   * over the limit) is known to be the Kubernetes API's.
   */
  const call = (method: string, path: string, body?: string, type?: string): Promise<TestResponse> => {
    const [server, fqdn] = api.base.split('/_k8s/') as [string, string];
    return within(30_000, `${method} ${path}`, httpsCall(`${server}${path}`, {
      method,
      servername: fqdn,
      headers: { authorization: `Bearer ${api.token}`, ...(type === undefined ? {} : { 'content-type': type }) },
      ...(body === undefined ? {} : { body }),
    }));
  };

  /** Status below 500; a 4xx is a Status object. */
  function expectKubeAnswer(res: TestResponse, method: string): void {
    tally.answer(res.status);
    if (res.status === 504) {
      // Upstream's answer to a resourceVersion newer than the store's (within uint64): wait, then this Status.
      expect(res.json().details?.causes?.[0]?.reason, res.text.slice(0, 2000)).toBe('ResourceVersionTooLarge');
      return;
    }
    expect(res.status, res.text.slice(0, 2000)).toBeLessThan(500);
    if (res.status < 400 || method === 'HEAD') return;
    let body: { kind?: unknown; status?: unknown; code?: unknown };
    try {
      body = res.json();
    } catch {
      throw new Error(`a ${res.status} that is not JSON: ${res.text.slice(0, 500)}`);
    }
    expect({ kind: body.kind, status: body.status, code: body.code }, res.text.slice(0, 2000)).toEqual({ kind: 'Status', status: 'Failure', code: res.status });
  }

  /** Names and resourceVersions of the objects a refused request must leave alone. */
  async function read(): Promise<unknown> {
    const out: Record<string, unknown> = {};
    for (const path of [`${NS}/secrets`, `${NS}/configmaps`, '/api/v1/namespaces?labelSelector=fuzz%3Dyes']) {
      const res = await call('GET', path);
      expect(res.status, res.text).toBe(200);
      out[path] = res.json().items.map((o: { metadata: { name: string; resourceVersion: string } }) => `${o.metadata.name}@${o.metadata.resourceVersion}`).sort();
    }
    return out;
  }

  /** Puts the fixture objects back as they began when an accepted request changed or removed them. */
  async function restore(): Promise<void> {
    for (const [kind, doc] of [['secrets', SECRET], ['configmaps', CONFIGMAP]] as const) {
      const res = await call('GET', `${NS}/${kind}/fz`);
      if (res.status === 404) expect((await call('POST', `${NS}/${kind}`, JSON.stringify(doc), 'application/json')).status).toBe(201);
    }
  }

  /** A refused request leaves the objects as they were; after an accepted one, the fixtures are put back. */
  const unchanged = () => new Unchanged(read, restore);

  beforeAll(async () => {
    emu = await spawnEmulator();
    armToken = await getToken(emu.url, emu.env);
    target = spawnedTarget(emu, () => armToken);
    const arm = await armClient(emu.url, emu.env);
    expect((await arm.call('PUT', `/subscriptions/${arm.sub}/resourcegroups/fuzz`, { location: 'eastus' }, '2022-09-01')).status).toBe(201);
    const armId = arm.cluster('fuzz', 'fuzz-aks');
    const created = await arm.run('PUT', armId, clusterBody({ pools: [linuxPool('nodepool1', { count: 1 })] }));
    expect(created.status, JSON.stringify(created.error)).toBe('Succeeded');
    api = await kubeApi(emu, { armId }, true);
    expect((await call('POST', '/api/v1/namespaces', JSON.stringify({ metadata: { name: 'fuzz', labels: { fuzz: 'yes' } } }), 'application/json')).status).toBe(201);
    await restore();
  });
  afterAll(async () => {
    tally.report();
    await emu?.stop();
  });

  it('creates of secrets, configmaps and namespaces with hostile JSON and YAML', async () => {
    const input = fc.oneof(
      document(SECRET).map((d) => ({ path: `${NS}/secrets`, ...d })),
      document(CONFIGMAP).map((d) => ({ path: `${NS}/configmaps`, ...d })),
      document({ ...NAMESPACE, metadata: { ...NAMESPACE.metadata, labels: { fuzz: 'yes' } } }).map((d) => ({ path: '/api/v1/namespaces', ...d })),
    );
    const state = unchanged();
    await fuzz(tally, 'create', fc.tuple(input, query), async ([{ path, text, type }, q]) => {
      await state.before();
      const res = await call('POST', `${path}${q}`, text, type);
      expectKubeAnswer(res, 'POST');
      await state.after(res.status >= 400, `POST answered ${res.status}`);
    }, {
      runs: BOUNDED,
      target,
      // A null finalizer reached validation as null.
      examples: [[{ path: `${NS}/secrets`, text: JSON.stringify({ ...SECRET, metadata: { ...SECRET.metadata, finalizers: [null] } }), type: 'application/json' }, ''] as [{ path: string; text: string; type: string }, string]],
    });
  }, timeoutFor(runs(BOUNDED)));

  it('updates (PUT) of an existing secret and configmap', async () => {
    const input = fc.oneof(document(SECRET).map((d) => ({ kind: 'secrets', ...d })), document(CONFIGMAP).map((d) => ({ kind: 'configmaps', ...d })));
    const state = unchanged();
    await fuzz(tally, 'update', fc.tuple(input, query), async ([{ kind, text, type }, q]) => {
      await state.before();
      const res = await call('PUT', `${NS}/${kind}/fz${q}`, text, type);
      expectKubeAnswer(res, 'PUT');
      await state.after(res.status >= 400, `PUT answered ${res.status}`);
    }, {
      runs: BOUNDED,
      target,
      // The warning about an unknown field named with a character above U+00FF made an invalid header.
      examples: [[{ kind: 'secrets', text: JSON.stringify({ ...SECRET, Ā: null }), type: 'application/json' }, ''] as [{ kind: string; text: string; type: string }, string]],
    });
  }, timeoutFor(runs(BOUNDED)));

  it('JSON, merge and strategic merge patches and apply', async () => {
    const input = fc.record({
      kind: fc.constantFrom('secrets', 'configmaps'),
      patch: fc.oneof(
        jsonPatch.map((text) => ({ text, type: PATCH_TYPES.json })),
        jsonText(mutated({ metadata: { labels: { a: 'b' } }, data: { a: null } })).map((text) => ({ text, type: PATCH_TYPES.merge })),
        fc.oneof(smpPatch, jsonText(hostileValue)).map((text) => ({ text, type: PATCH_TYPES.smp })),
        fc.constantFrom(SECRET, CONFIGMAP).chain((d) => document(d)).map(({ text }) => ({ text, type: PATCH_TYPES.apply })),
        fc.constantFrom('application/json', 'application/yaml', 'text/plain', 'application/apply-patch+json', '').chain((type) => jsonPatch.map((text) => ({ text, type }))),
      ),
      q: fc.oneof(query, fc.constantFrom('?fieldManager=fz', '?fieldManager=fz&force=true', '?fieldManager=', '?force=maybe', `?fieldManager=${'m'.repeat(200)}`)),
    });
    const state = unchanged();
    await fuzz(tally, 'patch', input, async ({ kind, patch, q }) => {
      await state.before();
      const res = await call('PATCH', `${NS}/${kind}/fz${q}`, patch.text, patch.type);
      expectKubeAnswer(res, 'PATCH');
      await state.after(res.status >= 400, `PATCH (${patch.type}) answered ${res.status}`);
    }, { runs: BOUNDED * 2, target, examples: [{ kind: 'secrets', patch: { text: '{"İ":0}', type: PATCH_TYPES.smp }, q: '' }] });
  }, timeoutFor(runs(BOUNDED * 2)));

  it('deletes with hostile options', async () => {
    const input = fc.record({
      kind: fc.constantFrom('secrets', 'configmaps'),
      collection: fc.boolean(),
      body: fc.option(jsonText(mutated({ kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, propagationPolicy: 'Background', preconditions: { uid: 'x', resourceVersion: '1' }, dryRun: ['All'] })), { nil: undefined }),
      q: query,
    });
    const state = unchanged();
    await fuzz(tally, 'delete', input, async ({ kind, collection, body, q }) => {
      await state.before();
      // A collection delete is narrowed to a label no fixture has, so an accepted one removes nothing.
      const path = collection ? `${NS}/${kind}?labelSelector=fuzz-none%3D1${q ? `&${q.slice(1)}` : ''}` : `${NS}/${kind}/fz${q}`;
      const res = await call('DELETE', path, body, body === undefined ? undefined : 'application/json');
      expectKubeAnswer(res, 'DELETE');
      await state.after(res.status >= 400 || collection, `DELETE answered ${res.status}`);
    }, { runs: BOUNDED, target, examples: [{ kind: 'secrets', collection: false, body: '{"propagationPolicy":{"toString":false}}', q: '' }] });
  }, timeoutFor(runs(BOUNDED)));

  it('reads with bad selectors, resourceVersions, limits and continue tokens, and odd paths', async () => {
    const path = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(`${NS}/secrets`, `${NS}/configmaps`, `${NS}/secrets/fz`, '/api/v1/namespaces', '/api/v1/secrets', '/api/v1/pods', '/api/v1/nodes', '/apis/apps/v1/deployments', '/api/v1/namespaces/fuzz/events') },
      { weight: 1, arbitrary: fc.array(fc.oneof(fc.constantFrom('api', 'apis', 'v1', 'namespaces', 'fuzz', 'secrets', 'fz', 'status', 'proxy', 'log', 'exec', 'apps', 'watch'), oddString.filter((s) => s.length < 50).map(pct)), { maxLength: 6 }).map((s) => `/${s.join('/')}`) },
    );
    const state = unchanged();
    await fuzz(tally, 'read', fc.record({ path, q: query, method: fc.constantFrom('GET', 'GET', 'GET', 'HEAD', ...ODD_METHODS) }), async ({ path: p, q, method }) => {
      // A watch streams until it times out: not a read to wait for here.
      const qq = /(^|[?&])watch=(?!false)/.test(q) || /\/watch(\/|$)/.test(p) ? '' : q;
      await state.before();
      const res = await call(method, `${p}${qq}`);
      expectKubeAnswer(res, method);
      await state.after(true, `${method} answered ${res.status}`);
    }, { runs: BOUNDED, target, examples: [
      { path: `${NS}/secrets`, q: '?limit=9999999999999999999999', method: 'GET' },
      { path: `${NS}/secrets`, q: '', method: 'PROPFIND' },
      // Past uint64: a 400, not a wait for a revision that never comes and a 504.
      { path: `${NS}/secrets`, q: '?resourceVersion=9999999999999999999999', method: 'GET' },
      // A header block past the front door's 1 MiB: refused before any path is read, still a Status.
      { path: `${NS}/secrets`, q: `?labelSelector=${'%F0%9F%98%80'.repeat(100_000)}`, method: 'GET' },
    ] });
  }, timeoutFor(runs(BOUNDED)));
});

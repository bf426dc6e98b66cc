/**
 * Acceptance: bad input gets a Kubernetes `Status` 4xx with kube-apiserver's reason and message, and
 * nothing is half-applied; never a 500 (malformed manifests, unknown fields under Strict, wrong kinds, oversized
 * bodies, invalid names, missing or foreign credentials).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getToken, httpsCall } from '../../testkit/http.js';
import { describeWith } from '../../testkit/optional.js';
import type { FixtureCluster } from '../../testkit/kube/fixtures.js';
import { addCluster, kubeApi, kubectl, kubectlHome, startEmulatorWithFixtures, type KubeApiClient, type TestEmulator } from '../../testkit/kube/kube-env.js';

function expectStatus(res: { status: number; json(): any; headers: Record<string, unknown> }, code: number, reason: string, message?: string | RegExp) {
  expect(res.status).toBe(code);
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  const body = res.json();
  expect(body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code });
  if (typeof message === 'string') expect(body.message).toBe(message);
  else if (message) expect(body.message).toMatch(message);
  return body;
}

describe('Kubernetes API errors', () => {
  let emu: TestEmulator;
  let cluster: FixtureCluster;
  let other: FixtureCluster;
  let api: KubeApiClient;

  beforeAll(async () => {
    emu = await startEmulatorWithFixtures();
    cluster = await addCluster(emu, { name: 'errs', resourceGroup: 'rg', pools: [{ name: 'nodepool1', count: 1 }] });
    other = await addCluster(emu, { name: 'other', resourceGroup: 'rg', pools: [{ name: 'nodepool1', count: 1 }] });
    api = await kubeApi(emu, cluster);
  });
  afterAll(async () => {
    await emu?.close();
  });

  describe('authentication', () => {
    it('answers 401 Unauthorized without a token, with a malformed or foreign token, and with another cluster\'s admin token', async () => {
      const url = `${api.base}/api/v1/namespaces`;
      expectStatus(await httpsCall(url), 401, 'Unauthorized', 'Unauthorized');
      expectStatus(await httpsCall(url, { headers: { authorization: 'Basic Zm9vOmJhcg==' } }), 401, 'Unauthorized');
      expectStatus(await httpsCall(url, { headers: { authorization: 'Bearer not-a-jwt' } }), 401, 'Unauthorized');
      const armToken = await getToken(emu.url, emu.env);
      expectStatus(await httpsCall(url, { headers: { authorization: `Bearer ${armToken}` } }), 401, 'Unauthorized');
      const otherAdmin = await kubeApi(emu, other, true);
      expectStatus(await httpsCall(url, { headers: { authorization: `Bearer ${otherAdmin.token}` } }), 401, 'Unauthorized');
      expect((await otherAdmin.call('GET', '/api/v1/namespaces')).status).toBe(200);
      // The user token (AKS AAD server audience) is the caller's, valid on any cluster of the tenant.
      expect((await httpsCall(url, { headers: { authorization: `Bearer ${api.token}` } })).status).toBe(200);
    });

    it('serves /version and the health endpoints without credentials, and 404s an unknown cluster', async () => {
      const version = await httpsCall(`${api.base}/version`);
      expect(version.status).toBe(200);
      expect(version.json()).toMatchObject({ major: '1', minor: '32', gitVersion: 'v1.32.4', platform: 'linux/amd64' });
      const livez = await httpsCall(`${api.base}/livez?verbose`);
      expect(livez.text).toContain('livez check passed');
      const unknown = await httpsCall(api.base.replace(/_k8s\/[^/]+$/, '_k8s/nope.hcp.eastus.azmk8s.io/api'), { headers: { authorization: `Bearer ${api.token}` } });
      expectStatus(unknown, 404, 'NotFound', 'the server could not find the requested resource');
    });
  });

  describeWith(['kubectl'], 'with kubectl', () => {
    it('reports a missing token as kubectl does against AKS', async () => {
      const h = await kubectlHome(emu, cluster);
      const { readFileSync, writeFileSync } = await import('node:fs');
      const cfgPath = `${h.home}/.kube/config`;
      writeFileSync(cfgPath, readFileSync(cfgPath, 'utf8').replace(/token: .*/, 'token: expired-or-wrong'));
      const res = await kubectl(h, ['get', 'nodes']);
      expect(res.code).not.toBe(0);
      // kubectl's words for a 401 Status (as against a real cluster with a bad token).
      expect(res.stderr).toContain('error: You must be logged in to the server (the server has asked for the client to provide credentials)');
    });

    it('rejects unknown fields under Strict field validation with kubectl\'s message, and invalid names', async () => {
      const h = await kubectlHome(emu, cluster);
      const manifest = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: strict\n  labelz: {}\ndata:\n  a: b\nbogus: 1\n';
      const res = await kubectl(h, ['apply', '-f', '-'], manifest);
      expect(res.code).not.toBe(0);
      expect(res.stderr.trim()).toBe(
        'Error from server (BadRequest): error when creating "STDIN": ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "bogus", unknown field "metadata.labelz"',
      );
      expect((await kubectl(h, ['get', 'configmap', 'strict'])).code).not.toBe(0);
      const bad = await kubectl(h, ['create', 'secret', 'generic', 'Bad_Name', '--from-literal=a=b']);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('error: failed to create secret Secret "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters');
    });
  });

  describe('request bodies', () => {
    it('answers malformed JSON and YAML with 400', async () => {
      const json = await api.call('POST', '/api/v1/namespaces/default/secrets', '{"apiVersion":"v1","kind":"Secret",', { 'content-type': 'application/json' });
      expectStatus(json, 400, 'BadRequest', /^the object provided is unrecognized \(must be of type Secret\): couldn't get version\/kind; json parse error: /);
      const yaml = await api.call('POST', '/api/v1/namespaces/default/secrets', 'kind: Secret\nmetadata: [unclosed\n', { 'content-type': 'application/yaml' });
      expectStatus(yaml, 400, 'BadRequest', /yaml parse error/);
      const array = await api.call('POST', '/api/v1/namespaces/default/secrets', '[1,2]');
      expectStatus(array, 400, 'BadRequest', /must be of type Secret/);
      const wrongType = await api.call('POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 7 } });
      expectStatus(wrongType, 400, 'BadRequest', 'Secret in version "v1" cannot be handled as a Secret: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string');
      const badBase64 = await api.call('POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 'b64' }, data: { k: 'not base64!' } });
      expectStatus(badBase64, 400, 'BadRequest', 'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3');
      const badQuantity = await api.call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'q' }, spec: { containers: [{ name: 'c', image: 'x', resources: { limits: { cpu: 'lots' } } }] } });
      expectStatus(badQuantity, 400, 'BadRequest', /^Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression/);
    });

    it('answers wrong kinds and apiVersions with 400', async () => {
      const secretAsPod = await api.call('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } });
      expectStatus(secretAsPod, 400, 'BadRequest', 'Secret in version "v1" cannot be handled as a Pod: converting (v1.Secret) to (core.Pod): unknown conversion');
      const unknownKind = await api.call('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Frobnicator', metadata: { name: 'x' } });
      expectStatus(unknownKind, 400, 'BadRequest', /^Frobnicator in version "v1" cannot be handled as a Pod: no kind "Frobnicator" is registered for version "v1"/);
      const leaseAsCore = await api.call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'x' } });
      expectStatus(leaseAsCore, 400, 'BadRequest', 'the API version in the data (coordination.k8s.io/v1) does not match the expected API version (v1)');
      const nameMismatch = await api.call('PUT', '/api/v1/namespaces/default/configmaps/one', { metadata: { name: 'two' } });
      expectStatus(nameMismatch, 400, 'BadRequest', 'the name of the object (two) does not match the name on the URL (one)');
      const nsMismatch = await api.call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'x', namespace: 'kube-system' } });
      expectStatus(nsMismatch, 400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
    });

    it('answers unknown and duplicate fields per fieldValidation: Strict 400, Warn warnings, Ignore silence', async () => {
      const body = '{"metadata":{"name":"fv","name":"fv"},"data":{"a":"b"},"extra":true}';
      const strict = await api.call('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', body);
      expectStatus(strict, 400, 'BadRequest', 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "extra", duplicate field "metadata.name"');
      const warn = await api.call('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Warn', body.replace(',"name":"fv"', ''));
      expect(warn.status).toBe(201);
      expect(warn.headers.warning).toBe('299 - "unknown field \\"extra\\""');
      expect(warn.json().extra).toBeUndefined();
      const ignore = await api.call('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Ignore', body.replace(',"name":"fv"', '').replace('"fv"', '"fv2"'));
      expect(ignore.status).toBe(201);
      expect(ignore.headers.warning).toBeUndefined();
      expectStatus(await api.call('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Loose', '{}'), 400, 'BadRequest', /fieldValidation: Unsupported value: "Loose"/);
    });

    it('answers invalid names and values with 422 Invalid and field causes', async () => {
      const res = await api.call('POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 'Bad_Name', labels: { 'bad key!': 'v' } }, data: { 'no spaces': 'YQ==' } });
      const body = expectStatus(res, 422, 'Invalid', /^Secret "Bad_Name" is invalid: \[metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
      expect(body.details.causes.map((c: any) => c.field)).toEqual(['metadata.name', 'metadata.labels', 'data[no spaces]']);
      expect(body.details).toMatchObject({ name: 'Bad_Name', kind: 'Secret' });
      const ns = await api.call('POST', '/api/v1/namespaces', { metadata: { name: 'a.b' } });
      expectStatus(ns, 422, 'Invalid', /^Namespace "a.b" is invalid: metadata.name: Invalid value: "a.b": a lowercase RFC 1123 label/);
      const noName = await api.call('POST', '/api/v1/namespaces/default/configmaps', { data: {} });
      expectStatus(noName, 422, 'Invalid', 'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required');
      const pod = await api.call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }], restartPolicy: 'Sometimes' } });
      const podBody = expectStatus(pod, 422, 'Invalid');
      expect(podBody.details.causes.map((c: any) => c.field)).toEqual(['spec.containers[0].image', 'spec.restartPolicy']);
      expect((await api.call('GET', '/api/v1/namespaces/default/pods/p')).status).toBe(404);
    });

    it('answers oversized bodies with 413 and oversized secrets with 422', async () => {
      const huge = JSON.stringify({ metadata: { name: 'huge' }, data: { a: Buffer.alloc(3 * 1024 * 1024).toString('base64') } });
      expectStatus(await api.call('POST', '/api/v1/namespaces/default/secrets', huge), 413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
      const big = JSON.stringify({ metadata: { name: 'big' }, data: { a: Buffer.alloc(1024 * 1024 + 1).toString('base64') } });
      expectStatus(await api.call('POST', '/api/v1/namespaces/default/secrets', big), 422, 'Invalid', 'Secret "big" is invalid: data: Too long: must have at most 1048576 bytes');
      expect((await api.call('GET', '/api/v1/namespaces/default/secrets/big')).status).toBe(404);
    });

    it('answers media types it does not decode with 415', async () => {
      expectStatus(await api.call('POST', '/api/v1/namespaces/default/configmaps', 'a=b', { 'content-type': 'text/plain' }), 415, 'UnsupportedMediaType', /^the body of the request was in an unknown format - accepted media types include: application\/json, application\/yaml/);
      const noMagic = await api.call('POST', '/api/v1/namespaces/default/configmaps', Buffer.from([1, 2, 3]), { 'content-type': 'application/vnd.kubernetes.protobuf' });
      expectStatus(noMagic, 400, 'BadRequest', /not a protobuf message/);
      const patch = await api.call('PATCH', '/api/v1/namespaces/default/configmaps/x', '{}', { 'content-type': 'application/json' });
      expectStatus(patch, 415, 'UnsupportedMediaType', /application\/json-patch\+json, application\/merge-patch\+json, application\/strategic-merge-patch\+json, application\/apply-patch\+yaml/);
      expectStatus(await api.call('GET', '/api/v1/namespaces', undefined, { accept: 'application/vnd.kubernetes.protobuf' }), 406, 'NotAcceptable');
    });
  });

  describe('requests', () => {
    it('answers bad selectors, paging tokens and parameters with 400', async () => {
      expectStatus(await api.call('GET', '/api/v1/pods?labelSelector=' + encodeURIComponent('app in (a')), 400, 'BadRequest', "unable to parse requirement: found '', expected: ',' or ')'");
      expectStatus(await api.call('GET', '/api/v1/pods?fieldSelector=spec.color%3Dred'), 400, 'BadRequest', 'field label not supported: spec.color');
      expectStatus(await api.call('GET', '/api/v1/secrets?limit=2&continue=garbage'), 400, 'BadRequest', /^continue key is not valid/);
      expectStatus(await api.call('GET', '/api/v1/secrets?limit=-1'), 400, 'BadRequest');
      expectStatus(await api.call('GET', '/api/v1/secrets?resourceVersionMatch=Exact'), 422, 'Invalid', /resourceVersionMatch is forbidden unless resourceVersion is provided/);
      expectStatus(await api.call('POST', '/api/v1/namespaces/default/configmaps?dryRun=Maybe', { metadata: { name: 'x' } }), 400, 'BadRequest', /dryRun: Unsupported value: "Maybe"/);
    });

    it('answers missing objects, namespaces and routes with 404, wrong methods with 405, protected namespaces with 403', async () => {
      expectStatus(await api.call('GET', '/api/v1/namespaces/default/secrets/nope'), 404, 'NotFound', 'secrets "nope" not found');
      expectStatus(await api.call('GET', '/apis/coordination.k8s.io/v1/namespaces/default/leases/nope'), 404, 'NotFound', 'leases.coordination.k8s.io "nope" not found');
      expectStatus(await api.call('POST', '/api/v1/namespaces/nope/configmaps', { metadata: { name: 'x' } }), 404, 'NotFound', 'namespaces "nope" not found');
      expectStatus(await api.call('GET', '/api/v1/widgets'), 404, 'NotFound');
      expectStatus(await api.call('GET', '/apis/networking.k8s.io/v1/ingresses'), 404, 'NotFound');
      expectStatus(await api.call('POST', '/api/v1/namespaces/default/configmaps/x', { metadata: { name: 'x' } }), 405, 'MethodNotAllowed');
      expectStatus(await api.call('DELETE', '/api/v1/namespaces/kube-system'), 403, 'Forbidden', 'namespaces "kube-system" is forbidden: this namespace may not be deleted');
      expectStatus(await api.call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'kube-root-ca.crt' } }), 409, 'AlreadyExists', 'configmaps "kube-root-ca.crt" already exists');
    });

    it('answers patches that are malformed with 400 and patches that cannot apply with 422', async () => {
      await api.call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'p' }, data: { a: '1' } });
      const jp = (ops: unknown) => api.call('PATCH', '/api/v1/namespaces/default/configmaps/p', JSON.stringify(ops), { 'content-type': 'application/json-patch+json' });
      expectStatus(await jp({ op: 'add' }), 400, 'BadRequest');
      expectStatus(await jp([{ op: 'test', path: '/data/a', value: '2' }]), 422, 'Invalid');
      expectStatus(await jp([{ op: 'replace', path: '/kind', value: 'Secret' }]), 400, 'BadRequest', /cannot be handled as a ConfigMap/);
      expectStatus(await jp([{ op: 'add', path: '/data/b', value: 5 }]), 400, 'BadRequest', 'json: cannot unmarshal number into Go struct field ConfigMap.data of type string');
      const smp = await api.call('PATCH', '/api/v1/namespaces/default/configmaps/p', '{"data":{"$patch":"explode"}}', { 'content-type': 'application/strategic-merge-patch+json' });
      expectStatus(smp, 400, 'BadRequest', 'Unknown patch type: explode');
      const got = (await api.call('GET', '/api/v1/namespaces/default/configmaps/p')).json();
      expect(got.data).toEqual({ a: '1' });
    });

    it('answers a URL that cannot be decoded with a 400 Status', async () => {
      const res = await api.call('GET', '/api/v1/namespaces/%E0%A4%A');
      expect(res.status).toBe(400);
      expect(res.json()).toMatchObject({ kind: 'Status', status: 'Failure', code: 400 });
    });

    it('never answers junk with a 5xx', async () => {
      const bodies = ['', 'null', '{}', '{"metadata":null}', '{"metadata":{"name":""}}', '{"metadata":{"name":"x","labels":[]}}', '{"kind":1}', '"str"', '{"spec":{"containers":"nope"}}', '\u0000\u0001'];
      const paths = ['/api/v1/namespaces/default/pods', '/api/v1/namespaces/default/secrets', '/api/v1/namespaces', '/api/v1/nodes', '/apis/coordination.k8s.io/v1/namespaces/default/leases'];
      for (const path of paths) {
        for (const body of bodies) {
          for (const method of ['POST', 'PUT', 'PATCH']) {
            const target = method === 'POST' ? path : `${path}/x`;
            const headers = method === 'PATCH' ? { 'content-type': 'application/merge-patch+json' } : { 'content-type': 'application/json' };
            const res = await api.call(method, target, body, headers);
            expect(res.status, `${method} ${target} ${JSON.stringify(body)}: ${res.text}`).toBeGreaterThanOrEqual(400);
            expect(res.status, `${method} ${target} ${JSON.stringify(body)}: ${res.text}`).toBeLessThan(500);
            expect(res.json().kind).toBe('Status');
          }
        }
      }
    });
  });
});

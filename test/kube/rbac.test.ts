/**
 * (SPEC Z-3) Kubernetes authorization per cluster, as AKS does it: Entra identities authorized by Kubernetes RBAC
 * (bindings made with the real kubectl), escalation prevention, Azure RBAC for Kubernetes through role
 * assignments at a namespace scope, `kubectl auth can-i` agreeing with enforcement, and the authentication rules
 * (an Entra token on a cluster without Entra ID integration, the local account after disableLocalAccounts).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armClient } from '../../testkit/containerservice.js';
import { getUserToken } from '../../testkit/http.js';
import { describeWith } from '../../testkit/optional.js';
import { createArmCluster } from '../../testkit/kube/arm-cluster.js';
import type { FixtureCluster } from '../../testkit/kube/fixtures.js';
import { addCluster, fetchKubeconfig, kubectl, kubectlHome, startEmulatorWithFixtures, type KubectlHome, type TestEmulator } from '../../testkit/kube/kube-env.js';

const AKS_SCOPE = '6dae42f8-4368-4678-94ff-3960e28e3630/.default';
const RBAC_READER = '7f6c6a51-bcf8-42ba-9220-52d62157d7db';

function claims(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

/** A kubeconfig for `cluster` whose user is `token` (what kubelogin would hand kubectl for an Entra user). */
async function homeWithToken(emu: TestEmulator, cluster: FixtureCluster, token: string): Promise<KubectlHome> {
  const cfg = parse(await fetchKubeconfig(emu, cluster, true));
  cfg.users[0].user = { token };
  const home = mkdtempSync(join(tmpdir(), 'aksemu-rbac-'));
  mkdirSync(join(home, '.kube'), { mode: 0o700 });
  writeFileSync(join(home, '.kube', 'config'), stringify(cfg), { mode: 0o600 });
  return { home, env: { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' } };
}

describeWith(['kubectl'], 'Kubernetes authorization (kubectl)', () => {
  let emu: TestEmulator;
  let userToken: string;
  let upn: string;
  let oid: string;

  beforeAll(async () => {
    emu = await startEmulatorWithFixtures();
    userToken = await getUserToken(emu.url, emu.env, AKS_SCOPE);
    upn = claims(userToken).upn;
    oid = claims(userToken).oid;
  });
  afterAll(async () => {
    await emu?.close();
  });

  describe('Kubernetes RBAC on an Entra-integrated cluster', () => {
    let cluster: FixtureCluster;
    let admin: KubectlHome;
    let user: KubectlHome;

    beforeAll(async () => {
      cluster = await createArmCluster(emu, { name: 'rbacK8s', resourceGroup: 'rbacRG', pools: [{ name: 'nodepool1', count: 1 }], properties: { aadProfile: { managed: true, enableAzureRBAC: false } } });
      admin = await kubectlHome(emu, cluster, true);
      user = await homeWithToken(emu, cluster, userToken);
      const ns = await kubectl(admin, ['create', 'namespace', 'team']);
      expect(ns.code, ns.stderr).toBe(0);
    });

    it('refuses an Entra user without a binding, in upstream words, and can-i agrees', async () => {
      const whoami = await kubectl(user, ['auth', 'whoami', '-o', 'json']);
      expect(whoami.code, whoami.stderr).toBe(0);
      expect(whoami.json().status.userInfo).toEqual({ username: upn, uid: oid, groups: ['system:authenticated'], extra: { oid: [oid] } });
      const pods = await kubectl(user, ['get', 'pods']);
      expect(pods.code).toBe(1);
      expect(pods.stderr.trim()).toBe(`Error from server (Forbidden): pods is forbidden: User "${upn}" cannot list resource "pods" in API group "" in the namespace "default"`);
      const nodes = await kubectl(user, ['get', 'nodes']);
      expect(nodes.stderr.trim()).toBe(`Error from server (Forbidden): nodes is forbidden: User "${upn}" cannot list resource "nodes" in API group "" at the cluster scope`);
      const canI = await kubectl(user, ['auth', 'can-i', 'list', 'pods']);
      expect(canI.code).toBe(1);
      expect(canI.stdout.trim()).toBe('no');
      const raw = await kubectl(user, ['get', '--raw', '/metrics']);
      expect(raw.stderr).toContain(`forbidden: User "${upn}" cannot get path "/metrics"`);
    });

    it('allows what a RoleBinding to the view ClusterRole grants, in that namespace only', async () => {
      const bind = await kubectl(admin, ['create', 'rolebinding', 'team-viewers', '--clusterrole=view', `--user=${upn}`, '-n', 'team']);
      expect(bind.code, bind.stderr).toBe(0);
      const listed = await kubectl(admin, ['get', 'rolebindings', '-n', 'team', '-o', 'wide']);
      expect(listed.stdout).toMatch(new RegExp(`team-viewers\\s+ClusterRole/view\\s+\\S+\\s+${upn.replace(/[.]/g, '\\.')}`));
      const inTeam = await kubectl(user, ['get', 'pods', '-n', 'team']);
      expect(inTeam.code, inTeam.stderr).toBe(0);
      expect(inTeam.stderr.trim()).toBe('No resources found in team namespace.');
      expect((await kubectl(user, ['auth', 'can-i', 'list', 'pods', '-n', 'team'])).stdout.trim()).toBe('yes');
      expect((await kubectl(user, ['auth', 'can-i', 'list', 'pods', '-n', 'default'])).stdout.trim()).toBe('no');
      const secrets = await kubectl(user, ['get', 'secret', 's1', '-n', 'team']);
      expect(secrets.stderr.trim()).toBe(`Error from server (Forbidden): secrets "s1" is forbidden: User "${upn}" cannot get resource "secrets" in API group "" in the namespace "team"`);
      const other = await kubectl(user, ['get', 'pods', '-n', 'default']);
      expect(other.stderr.trim()).toBe(`Error from server (Forbidden): pods is forbidden: User "${upn}" cannot list resource "pods" in API group "" in the namespace "default"`);
      const list = await kubectl(user, ['auth', 'can-i', '--list', '-n', 'team']);
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout).toMatch(/^pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
      expect(list.stdout).not.toMatch(/^secrets\s/m);
      // Impersonation: the admin may act as the user and sees what it sees; the user may not impersonate.
      expect((await kubectl(admin, ['auth', 'can-i', 'list', 'pods', '-n', 'team', `--as=${upn}`])).stdout.trim()).toBe('yes');
      expect((await kubectl(admin, ['auth', 'can-i', 'list', 'secrets', '-n', 'team', `--as=${upn}`])).stdout.trim()).toBe('no');
      const as = await kubectl(user, ['get', 'pods', '-n', 'team', '--as=someone-else']);
      expect(as.stderr.trim()).toBe(`Error from server (Forbidden): users "someone-else" is forbidden: User "${upn}" cannot impersonate resource "users" in API group "" at the cluster scope`);
    });

    it('answers a LocalSubjectAccessReview in the namespace it is posted to, and refuses one naming another (SPEC Z-3)', async () => {
      const review = (ns: string, resource: string, attrsNs?: string) =>
        stringify({
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'LocalSubjectAccessReview',
          metadata: { namespace: ns },
          spec: { user: upn, resourceAttributes: { verb: 'list', resource, version: 'v1', ...(attrsNs ? { namespace: attrsNs } : {}) } },
        });
      const allowed = async (ns: string, resource: string) => {
        const r = await kubectl(admin, ['create', '-f', '-', '-o', 'json'], review(ns, resource));
        expect(r.code, r.stderr).toBe(0);
        const out = JSON.parse(r.stdout) as { metadata: { namespace: string }; spec: { resourceAttributes: { namespace: string } }; status: { allowed: boolean } };
        expect([out.metadata.namespace, out.spec.resourceAttributes.namespace]).toEqual([ns, ns]);
        return out.status.allowed;
      };
      // The RoleBinding of the test before grants view in team only.
      expect(await allowed('team', 'pods')).toBe(true);
      expect(await allowed('team', 'secrets')).toBe(false);
      expect(await allowed('default', 'pods')).toBe(false);
      const mismatch = await kubectl(admin, ['create', '-f', '-'], review('team', 'pods', 'default'));
      expect(mismatch.stderr).toContain('spec.resourceAttributes.namespace: Invalid value: "default": must match metadata.namespace');
    });

    it('refuses a user to grant permissions it does not hold (escalation), and allows it within them', async () => {
      const bind = await kubectl(admin, ['create', 'rolebinding', 'team-admins', '--clusterrole=admin', `--user=${upn}`, '-n', 'team']);
      expect(bind.code, bind.stderr).toBe(0);
      const within = await kubectl(user, ['create', 'role', 'pod-reader', '--verb=get,list', '--resource=pods', '-n', 'team']);
      expect(within.code, within.stderr).toBe(0);
      const beyond = await kubectl(user, ['create', 'role', 'ns-deleter', '--verb=delete', '--resource=namespaces', '-n', 'team']);
      expect(beyond.code).toBe(1);
      expect(beyond.stderr.trim()).toBe(
        `Error from server (Forbidden): roles.rbac.authorization.k8s.io "ns-deleter" is forbidden: user "${upn}" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["namespaces"], Verbs:["delete"]}`,
      );
      const bindAdmin = await kubectl(user, ['create', 'rolebinding', 'sneaky', '--clusterrole=cluster-admin', '--user=someone', '-n', 'team']);
      expect(bindAdmin.code).toBe(1);
      expect(bindAdmin.stderr).toContain(`rolebindings.rbac.authorization.k8s.io "sneaky" is forbidden: user "${upn}" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:`);
      const bindView = await kubectl(user, ['create', 'rolebinding', 'friends', '--clusterrole=view', '--user=friend@example.com', '-n', 'team']);
      expect(bindView.code, bindView.stderr).toBe(0);
      // The admin (system:masters) may grant anything, also through kubectl apply.
      const applied = await kubectl(admin, ['apply', '-f', '-'], stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'node-reader' }, rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }] }));
      expect(applied.code, applied.stderr).toBe(0);
      expect(applied.stdout.trim()).toBe('clusterrole.rbac.authorization.k8s.io/node-reader created');
    });

    it('validates RBAC objects with upstream messages', async () => {
      const bad = await kubectl(admin, ['create', '-f', '-'], JSON.stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'bad', namespace: 'team' }, rules: [{ apiGroups: [''], resources: ['pods'] }] }));
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('The Role "bad" is invalid: rules[0].verbs: Required value: verbs must contain at least one value');
      const crb = await kubectl(admin, ['create', 'clusterrolebinding', 'sa-binding', '--clusterrole=view', '--serviceaccount=team:default']);
      expect(crb.code, crb.stderr).toBe(0);
      const got = await kubectl(admin, ['get', 'clusterrolebinding', 'sa-binding', '-o', 'json']);
      expect(got.json().subjects).toEqual([{ kind: 'ServiceAccount', name: 'default', namespace: 'team' }]);
      const boot = await kubectl(admin, ['get', 'clusterroles', '-o', 'name']);
      for (const r of ['cluster-admin', 'admin', 'edit', 'view', 'system:basic-user', 'system:discovery', 'system:public-info-viewer']) expect(boot.stdout).toContain(`clusterrole.rbac.authorization.k8s.io/${r}\n`);
    });
  });

  describe('Azure RBAC for Kubernetes', () => {
    let cluster: FixtureCluster;
    let user: KubectlHome;

    beforeAll(async () => {
      cluster = await createArmCluster(emu, { name: 'rbacAzure', resourceGroup: 'rbacRG', pools: [{ name: 'nodepool1', count: 1 }], properties: { aadProfile: { managed: true, enableAzureRBAC: true } } });
      const admin = await kubectlHome(emu, cluster, true);
      expect((await kubectl(admin, ['create', 'namespace', 'team'])).code).toBe(0);
      user = await homeWithToken(emu, cluster, userToken);
    });

    it('authorizes by the data actions of a role assignment at a namespace scope', async () => {
      const before = await kubectl(user, ['get', 'pods', '-n', 'team']);
      expect(before.stderr.trim()).toBe(
        `Error from server (Forbidden): pods is forbidden: User "${upn}" cannot list resource "pods" in API group "" in the namespace "team": User does not have access to the resource in Azure. Update role assignment to allow access.`,
      );
      const arm = await armClient(emu.url, emu.env);
      const put = await arm.call('PUT', `${cluster.armId}/namespaces/team/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, {
        properties: { roleDefinitionId: `/subscriptions/${arm.sub}/providers/Microsoft.Authorization/roleDefinitions/${RBAC_READER}`, principalId: oid, principalType: 'User' },
      }, '2022-04-01');
      expect(put.status, put.text).toBe(201);
      const pods = await kubectl(user, ['get', 'pods', '-n', 'team']);
      expect(pods.code, pods.stderr).toBe(0);
      expect((await kubectl(user, ['auth', 'can-i', 'list', 'pods', '-n', 'team'])).stdout.trim()).toBe('yes');
      const secrets = await kubectl(user, ['get', 'secrets', '-n', 'team']);
      expect(secrets.stderr.trim()).toBe(
        `Error from server (Forbidden): secrets is forbidden: User "${upn}" cannot list resource "secrets" in API group "" in the namespace "team": User does not have access to the resource in Azure. Update role assignment to allow access.`,
      );
      const elsewhere = await kubectl(user, ['get', 'pods', '-n', 'default']);
      expect(elsewhere.code).toBe(1);
      expect(elsewhere.stderr).toContain('cannot list resource "pods" in API group "" in the namespace "default"');
      const canI = await kubectl(user, ['auth', 'can-i', 'get', 'secrets', '-n', 'team']);
      expect(canI.stdout.trim()).toMatch(/^no/);
    });
  });

  describe('authentication per cluster', () => {
    it('refuses an Entra token on a cluster without Entra ID integration (401)', async () => {
      const plain = await addCluster(emu, { name: 'plain', resourceGroup: 'rbacRG', pools: [{ name: 'nodepool1', count: 1 }] });
      const user = await homeWithToken(emu, plain, userToken);
      const res = await kubectl(user, ['get', 'pods']);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain('error: You must be logged in to the server (the server has asked for the client to provide credentials)');
      const admin = await kubectlHome(emu, plain, true);
      expect((await kubectl(admin, ['get', 'pods'])).code).toBe(0);
    });

    it('refuses the local account once disableLocalAccounts is set', async () => {
      const cluster = await createArmCluster(emu, { name: 'localOff', resourceGroup: 'rbacRG', pools: [{ name: 'nodepool1', count: 1 }], properties: { aadProfile: { managed: true } } });
      const admin = await kubectlHome(emu, cluster, true);
      expect((await kubectl(admin, ['get', 'nodes', '-o', 'name'])).code).toBe(0);
      const arm = await armClient(emu.url, emu.env);
      const doc = (await arm.call('GET', cluster.armId)).json();
      const res = await arm.run('PUT', cluster.armId, { location: doc.location, identity: doc.identity, properties: { ...doc.properties, disableLocalAccounts: true } });
      expect(res.status, JSON.stringify(res.error)).toBe('Succeeded');
      const refused = await kubectl(admin, ['get', 'nodes']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/error: You must be logged in to the server \((Unauthorized|the server has asked for the client to provide credentials)\)/);
    });
  });
});

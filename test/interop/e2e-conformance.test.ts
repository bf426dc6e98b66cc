/**
 * Kubernetes' own e2e suite (k8s.io/kubernetes/test/e2e v1.37.2, the module test/interop/e2e/ pins) against an
 * aksemu cluster of three nodes (SPEC X-2): the API-only [Conformance] specs aksemu passes must keep passing, each
 * run by upstream's test code through client-go. Which conformance specs were tried, which fail and why is in
 * docs/compatibility.md.
 *
 * The binary's cold build takes about ten minutes of two cores (docs/compatibility.md): this runs only with
 * AKSEMU_INTEROP_E2E=1 and is not part of `npm test`. AKSEMU_E2E_FOCUS (and AKSEMU_E2E_SKIP) replace the specs run
 * by a ginkgo focus of one's own (e.g. '\[sig-apps\].*\[Conformance\]'); the test then reports what passed and
 * failed instead of checking.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArmCluster } from '../../testkit/kube/arm-cluster.js';
import { kubectlHome, startEmulatorWithFixtures, type KubectlHome, type TestEmulator } from '../../testkit/kube/kube-env.js';
import { E2E_SUITE, goBinary } from '../../testkit/interop/go-build.js';
import { PASSING_SPECS } from './e2e-specs.js';

const enabled = process.env.AKSEMU_INTEROP_E2E === '1';
if (!enabled) process.stderr.write('SKIP the Kubernetes e2e conformance specs: set AKSEMU_INTEROP_E2E=1 (builds k8s.io/kubernetes/test/e2e v1.37.2)\n');
const customFocus = process.env.AKSEMU_E2E_FOCUS;
/** With AKSEMU_E2E_FOCUS: a ginkgo skip of one's own (specs that wait minutes for containers, say). */
const customSkip = process.env.AKSEMU_E2E_SKIP;

interface SpecReport {
  LeafNodeType: string;
  LeafNodeText: string;
  ContainerHierarchyTexts: string[] | null;
  State: string;
  Failure?: { Message: string };
}

const specName = (s: SpecReport) => (s.LeafNodeType === 'It' ? [...(s.ContainerHierarchyTexts ?? []), s.LeafNodeText].join(' ') : `[${s.LeafNodeType}]`);
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The kubeconfig of `h` with its context renamed. The e2e framework overrides the server of the cluster named like
 * the current context with the same URL, and client-go drops `tls-server-name` whenever the server is overridden,
 * so with AKS's naming (context = cluster = the cluster's name) its requests would reach aksemu's address without
 * the cluster's name. az names the admin context `<name>-admin` for the same reason of uniqueness.
 */
function e2eKubeconfig(h: KubectlHome, dir: string): string {
  const config = parse(readFileSync(join(h.home, '.kube', 'config'), 'utf8')) as { contexts: Array<{ name: string }>; 'current-context': string };
  const current = config['current-context'];
  for (const c of config.contexts) if (c.name === current) c.name = `${current}-e2e`;
  config['current-context'] = `${current}-e2e`;
  const path = join(dir, 'kubeconfig');
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}

/** Runs e2e.test with `focus` against the cluster of `h`; answers the specs that ran, from its JSON report. */
function runSuite(binary: string, h: KubectlHome, focus: string, skip?: string): Promise<SpecReport[]> {
  const dir = mkdtempSync(join(tmpdir(), 'aksemu-e2e-'));
  const kubeconfig = e2eKubeconfig(h, dir);
  const args = [
    `--kubeconfig=${kubeconfig}`,
    '--provider=skeleton',
    '--kube-api-content-type=application/json',
    `--report-dir=${dir}`,
    `--ginkgo.focus=${focus}`,
    ...(skip ? [`--ginkgo.skip=${skip}`] : []),
    '--ginkgo.timeout=40m',
    '--ginkgo.no-color',
    `--ginkgo.json-report=${join(dir, 'report.json')}`,
  ];
  return new Promise((resolve, reject) => {
    // A failed spec makes the binary exit 1; the report says which.
    execFile(binary, args, { cwd: dir, env: { ...h.env, KUBECONFIG: kubeconfig }, maxBuffer: 256 * 1024 * 1024, timeout: 45 * 60_000 }, (err, stdout) => {
      try {
        const suites = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Array<{ SpecReports: SpecReport[] }>;
        // The specs that ran, and a suite-level step that failed (its BeforeSuite: then no spec runs).
        resolve(suites.flatMap((s) => s.SpecReports).filter((s) => (s.LeafNodeType === 'It' && s.State !== 'skipped') || (s.LeafNodeType !== 'It' && s.State === 'failed')));
      } catch {
        reject(new Error(`e2e.test wrote no report (${err?.message ?? 'exit 0'}): ${stdout.slice(-4000)}`));
      }
    });
  });
}

describe.skipIf(!enabled)('Kubernetes e2e conformance specs v1.37.2 against an aksemu cluster', () => {
  let binary: string;
  let emu: TestEmulator;
  let h: KubectlHome;

  beforeAll(async () => {
    binary = await goBinary(E2E_SUITE);
    emu = await startEmulatorWithFixtures({ now: new Date('2026-05-01T00:00:00Z') });
    const cluster = await createArmCluster(emu, { name: 'conformance', resourceGroup: 'rg', properties: { kubernetesVersion: '1.33' }, pools: [{ name: 'nodepool1', count: 3 }] });
    h = await kubectlHome(emu, cluster);
  }, 30 * 60_000);
  afterAll(async () => {
    await emu?.close();
  });

  it.skipIf(customFocus !== undefined)('passes the API-only conformance specs listed in e2e-specs.ts', async () => {
    // Ginkgo matches a focus against "<suite description> <spec text>": each name is matched whole from its end.
    const specs = await runSuite(binary, h, PASSING_SPECS.map((s) => ` ${escapeRegex(s)}$`).join('|'));
    const failed = specs.filter((s) => s.State !== 'passed').map((s) => `${specName(s)}: ${s.Failure?.Message.split('\n')[0] ?? s.State}`);
    expect(failed).toEqual([]);
    expect(specs.map(specName).sort()).toEqual([...PASSING_SPECS].sort());
  }, 45 * 60_000);

  it.skipIf(customFocus === undefined)('runs the specs of AKSEMU_E2E_FOCUS and reports them', async () => {
    const specs = await runSuite(binary, h, customFocus!, customSkip);
    for (const s of specs) process.stdout.write(`${s.State.padEnd(8)} ${specName(s)}${s.Failure ? ` :: ${s.Failure.Message.split('\n')[0]}` : ''}\n`);
    expect(specs.length).toBeGreaterThan(0);
  }, 45 * 60_000);
});

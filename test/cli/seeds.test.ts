/**
 * Acceptance: every command of the four seed documents, extracted from the documents themselves
 * (../shared/seeds/), run in document order with `aksemu` in place of `az` and the real kubectl, each on a fresh
 * instance per variant (see seeds/scenarios.ts for what the articles leave to the reader). Each command must
 * succeed (or be refused where the article itself says it must be) and the outputs the documents show must match
 * in shape: the enableFips tables, node lists, fips_enabled = 1, the KMS list table, key ids.
 *
 * A command whose backend module is not built into this tree is skipped with the reason, and the run ends with
 * the list of what did not run.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, spawnEmulator, type SpawnedEmulator } from '../../testkit/emulator.js';
import { haveCommand } from '../../testkit/optional.js';
import { backendBuilt } from './support/cli.js';
import { extractAll, type SeedStep } from './seeds/extract.js';
import { runCommand, type ShellSession } from './seeds/runner.js';
import { BACKEND_MODULES, backendsOf, EXCLUDED, isObservation, VARIANTS, type Adapt, type Backend, type StepPlan } from './seeds/scenarios.js';

const SEEDS = process.env.AKSEMU_SEEDS_DIR ?? join(ROOT, '..', 'shared', 'seeds');
const haveSeeds = existsSync(SEEDS);
const steps: SeedStep[] = haveSeeds ? extractAll(SEEDS) : [];
const stepAt = (doc: string, line: number) => steps.find((s) => s.doc.startsWith(doc) && s.line === line);
const missing = (command: string): Backend[] => backendsOf(command).filter((b) => !backendBuilt(BACKEND_MODULES[b]) || (b === 'kube' && !haveCommand('kubectl')));
const notRun: string[] = [];
const gaps: string[] = [];

afterAll(() => {
  if (notRun.length > 0) process.stdout.write(`\nSeed commands not run in this tree:\n${notRun.map((l) => `  ${l}`).join('\n')}\n`);
  if (gaps.length > 0) process.stdout.write(`\nSeed commands that fail because of a known backend gap:\n${gaps.map((l) => `  ${l}`).join('\n')}\n`);
});

if (!haveSeeds) process.stderr.write(`SKIP the seed documents: ${SEEDS} does not exist (set AKSEMU_SEEDS_DIR)\n`);

describe.runIf(haveSeeds)('the seed documents', () => {
  it('are extracted: every command is planned once in document order, or excluded with a reason', () => {
    expect(steps.length).toBeGreaterThan(80);
    const planned = new Set<string>();
    for (const v of VARIANTS) {
      for (const p of v.steps) {
        expect(stepAt(v.doc, p.line), `${v.name}: no command at ${v.doc}:${p.line}`).toBeDefined();
        planned.add(`${v.doc}:${p.line}`);
      }
      const lines = v.steps.map((p) => p.line);
      const ordered = [...lines].sort((a, b) => a - b);
      // Document order, except the KMS check of kube-system pods, which needs the cluster created later.
      expect(lines.filter((l) => !(v.doc === '003' && l === 17)), v.name).toEqual(ordered.filter((l) => !(v.doc === '003' && l === 17)));
    }
    for (const s of steps) {
      const key = `${s.doc.slice(0, 3)}:${s.line}`;
      const excluded = EXCLUDED.some((e) => s.doc.startsWith(e.doc) && e.line === s.line);
      expect(planned.has(key) || excluded, `${key} ${s.command} is not run by any variant`).toBe(true);
    }
  });
});

for (const variant of haveSeeds ? VARIANTS : []) {
  const commandsOf = (v: typeof variant) => [
    ...v.setup.map((a) => a.run),
    ...v.steps.flatMap((p) => [...(p.before ?? []).map((a) => a.run), stepAt(v.doc, p.line)?.command ?? '', ...(p.after ?? []).map((a) => a.run)]),
  ];
  const needed = [...new Set(commandsOf(variant).filter((c) => !isObservation(c)).flatMap(missing))];
  const runnable = haveSeeds && needed.length === 0;
  if (haveSeeds && !runnable) {
    for (const p of variant.steps) notRun.push(`${variant.doc}:${p.line} ${stepAt(variant.doc, p.line)?.command} [${variant.name}: needs ${needed.join(', ')}]`);
  }

  describe.runIf(runnable)(`seed ${variant.doc}: ${variant.name}`, () => {
    let emu: SpawnedEmulator;
    let session: ShellSession;
    let base: string;

    const adapt = async (a: Adapt) => {
      if (isObservation(a.run) && missing(a.run).length > 0) return;
      const r = await runCommand(session, a.run, { ...(a.stdin !== undefined ? { stdin: a.stdin } : {}), ...(a.tty ? { tty: true } : {}) });
      expect(r.code, `${a.run}\n(${a.why})\n${r.stderr}`).toBe(0);
    };

    beforeAll(async () => {
      base = mkdtempSync(join(tmpdir(), 'aksemu-seed-'));
      mkdirSync(join(base, 'home'));
      mkdirSync(join(base, 'work'));
      emu = await spawnEmulator(variant.emulatorArgs ? { args: variant.emulatorArgs } : {});
      session = { dataDir: emu.dataDir, home: join(base, 'home'), cwd: join(base, 'work'), vars: {} };
      for (const a of variant.setup) await adapt(a);
    });
    afterAll(async () => {
      await emu?.stop();
      if (base) rmSync(base, { recursive: true, force: true });
    });

    for (const plan of variant.steps) {
      const step = stepAt(variant.doc, plan.line)!;
      const gaps = missing(step.command);
      const title = `${variant.doc}:${plan.line} ${step.command}`;
      if (gaps.length > 0) {
        if (runnable) notRun.push(`${title} [needs ${gaps.join(', ')}]`);
        it.skip(`${title} [needs ${gaps.join(', ')}]`, () => {});
        continue;
      }
      it(title, async () => {
        await runPlan(plan, step);
      });
    }

    async function runPlan(plan: StepPlan, step: SeedStep): Promise<void> {
      for (const a of plan.before ?? []) await adapt(a);
      let command = step.command;
      if (plan.rewrite) {
        expect(command).toContain(plan.rewrite.from);
        command = command.replace(plan.rewrite.from, plan.rewrite.to);
      }
      if (plan.nodeOfPool) {
        const node = await runCommand(session, `kubectl get nodes -l kubernetes.azure.com/agentpool=${plan.nodeOfPool} -o jsonpath='{.items[0].metadata.name}'`);
        expect(node.code, node.stderr).toBe(0);
        command = command.replace(/node\/aks-[a-z0-9]+-12345678-vmss\d+/, `node/${node.stdout.trim()}`);
      }
      const r = await runCommand(session, command, {
        ...(plan.stdin !== undefined ? { stdin: plan.stdin } : {}),
        ...(plan.tty ? { tty: true, stdin: plan.tty.stdin } : {}),
        timeoutMs: 180_000,
      });
      if (plan.refused) {
        expect(r.code, `${command} should be refused (${plan.refused.why})`).not.toBe(0);
        expect(r.stderr).toMatch(plan.refused.stderr);
      } else if (plan.gap) {
        gaps.push(`${step.doc.slice(0, 3)}:${step.line} ${step.command} [backend gap: ${plan.gap.why}]`);
        let met = r.code === 0;
        if (met && plan.check) {
          try {
            plan.check(r.stdout, session.vars);
          } catch {
            met = false;
          }
        }
        expect(met, `known gap fixed? ${command} now does what the article shows: remove the gap from seeds/scenarios.ts (${plan.gap.why})`).toBe(false);
        expect(r.stdout + r.stderr).toMatch(plan.gap.stderr);
      } else {
        expect(r.code, `${command}\n${r.stderr}\n${r.stdout}`).toBe(0);
        plan.check?.(r.stdout, session.vars);
      }
      for (const a of plan.after ?? []) await adapt(a);
    }
  });
}

/**
 * The seed documents run end to end (see scenarios.ts for the variants), by two drivers in lockstep when the
 * current az is installed (AKSEMU_AZ_CURRENT, which .ci/run provides):
 * - the aksemu CLI in place of `az`, on one instance;
 * - the real current az, verbatim, on a second instance (`aksemu az-setup` signs it in there first).
 * Every step must pass its checks under both drivers, and the two outcomes of each step are compared (compare.ts):
 * the same exit code, the same JSON once ids, times and generated names are normalised, the same table/tsv text and
 * the same error message. A difference either is one of the documented ones (KNOWN_DIFFERENCES, also listed in
 * docs/cli.md) or fails the step. Two instances, because a mutating command cannot run twice on one.
 *
 * A test file calls `seedSuite` with the variants it runs, so that vitest spreads the variants over its workers.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentAz } from '../../../testkit/az.js';
import { spawnEmulator, type SpawnedEmulator } from '../../../testkit/emulator.js';
import { haveCommand } from '../../../testkit/optional.js';
import { backendBuilt } from '../support/cli.js';
import { afterPrompts, differences } from './compare.js';
import { type SeedStep } from './extract.js';
import { runCommand, type ShellResult, type ShellSession } from './runner.js';
import { BACKEND_MODULES, backendsOf, isObservation, type Adapt, type Backend, type StepPlan, type Variant } from './scenarios.js';

const missing = (command: string): Backend[] => backendsOf(command).filter((b) => !backendBuilt(BACKEND_MODULES[b]) || (b === 'kube' && !haveCommand('kubectl')));

interface Outcome {
  command: string;
  result: ShellResult;
}

interface Driver {
  name: 'aksemu' | 'az';
  emu: SpawnedEmulator;
  session: ShellSession;
  base: string;
}

/** Declares one describe block per selected variant; `steps` are the extracted seed commands. */
export function seedSuite(steps: SeedStep[], variants: Variant[]): void {
  const stepAt = (doc: string, line: number) => steps.find((s) => s.doc.startsWith(doc) && s.line === line);
  const notRun: string[] = [];
  const gaps: string[] = [];
  const known: string[] = [];
  const az = currentAz();
  if (!az) process.stderr.write('SKIP the current az driver of the seed documents: AKSEMU_AZ_CURRENT names no az (.ci/run installs it)\n');

  afterAll(() => {
    if (notRun.length > 0) process.stdout.write(`\nSeed commands not run in this tree:\n${notRun.map((l) => `  ${l}`).join('\n')}\n`);
    if (gaps.length > 0) process.stdout.write(`\nSeed commands that fail because of a known backend gap:\n${gaps.map((l) => `  ${l}`).join('\n')}\n`);
    if (known.length > 0) process.stdout.write(`\nDocumented differences between the aksemu CLI and az seen:\n${[...new Set(known)].map((l) => `  ${l}`).join('\n')}\n`);
  });

  // A file must declare a test: without the documents, one that says why nothing ran.
  if (variants.length === 0) describe.skip('the seed documents are absent (set AKSEMU_SEEDS_DIR)', () => it.skip('nothing to run', () => {}));

  for (const variant of variants) {
    const commandsOf = (v: Variant) => [
      ...v.setup.map((a) => a.run),
      ...v.steps.flatMap((p) => [...(p.before ?? []).map((a) => a.run), stepAt(v.doc, p.line)?.command ?? '', ...(p.after ?? []).map((a) => a.run)]),
    ];
    const needed = [...new Set(commandsOf(variant).filter((c) => !isObservation(c)).flatMap(missing))];
    const runnable = needed.length === 0;
    if (!runnable) {
      for (const p of variant.steps) notRun.push(`${variant.doc}:${p.line} ${stepAt(variant.doc, p.line)?.command} [${variant.name}: needs ${needed.join(', ')}]`);
    }

    describe.runIf(runnable)(`seed ${variant.doc}: ${variant.name}${az ? ' (aksemu CLI and the current az)' : ''}`, () => {
      const drivers: Driver[] = [];

      const adapt = async (d: Driver, a: Adapt) => {
        if (isObservation(a.run) && missing(a.run).length > 0) return;
        const run = d.name === 'az' && a.az ? a.az : a.run;
        const r = await runCommand(d.session, run, { ...(a.stdin !== undefined ? { stdin: a.stdin } : {}), ...(a.tty ? { tty: true } : {}), timeoutMs: 180_000 });
        expect(r.code, `[${d.name}] ${run}\n(${a.why})\n${r.stderr}`).toBe(0);
      };

      beforeAll(async () => {
        for (const name of az ? (['aksemu', 'az'] as const) : (['aksemu'] as const)) {
          const base = mkdtempSync(join(tmpdir(), `aksemu-seed-${name}-`));
          mkdirSync(join(base, 'home'));
          mkdirSync(join(base, 'work'));
          const emu = await spawnEmulator(variant.emulatorArgs ? { args: variant.emulatorArgs } : {});
          const session: ShellSession = { dataDir: emu.dataDir, home: join(base, 'home'), cwd: join(base, 'work'), vars: {} };
          if (name === 'az') {
            session.az = az!;
            session.env = { ...emu.env, PATH: `${dirname(az!)}:${process.env.PATH ?? '/usr/bin:/bin'}` };
          }
          drivers.push({ name, emu, session, base });
        }
        const setup: Adapt[] = [
          ...(az ? [{ run: 'aksemu az-setup > /dev/null', why: 'points the real az at its instance and signs it in as the default user' }] : []),
          ...variant.setup,
        ];
        await Promise.all(
          drivers.map(async (d) => {
            for (const a of setup) if (d.name === 'az' || !a.run.startsWith('aksemu az-setup')) await adapt(d, a);
          }),
        );
      }, 600_000);
      afterAll(async () => {
        for (const d of drivers) {
          await d.emu.stop();
          rmSync(d.base, { recursive: true, force: true });
        }
      });

      for (const plan of variant.steps) {
        const step = stepAt(variant.doc, plan.line)!;
        const stepGaps = missing(step.command);
        const title = `${variant.doc}:${plan.line} ${step.command}`;
        if (stepGaps.length > 0) {
          if (runnable) notRun.push(`${title} [needs ${stepGaps.join(', ')}]`);
          it.skip(`${title} [needs ${stepGaps.join(', ')}]`, () => {});
          continue;
        }
        it(title, async () => {
          // Both drivers at once: the instances are independent, and the step's time is the slower driver's. Each
          // finishes its step (its `after` included) before the test ends, whichever fails.
          const settled = await Promise.allSettled(drivers.map((d) => runPlan(d, plan, step)));
          for (const s of settled) if (s.status === 'rejected') throw s.reason;
          const outcomes = settled.map((s) => (s as PromiseFulfilledResult<Outcome>).value);
          // An interactive session (kubectl debug -it) is checked under both, not compared: what kubectl shows of
          // it depends on when its attach connects, not on the CLI that made the cluster.
          if (outcomes.length === 2 && !plan.az?.refused && plan.stdin === undefined) {
            // On a terminal the prompts and spinner come first; their JSON is what is compared.
            const [a, b] = outcomes.map((o) => (plan.tty ? afterPrompts(o.result) : o.result));
            const found = differences(outcomes[0]!.command, a!, b!);
            for (const k of found.known) known.push(`${variant.doc}:${plan.line} ${k}`);
            expect(found.unexplained, `the aksemu CLI and az differ on ${outcomes[0]!.command}`).toEqual([]);
          }
        }, 600_000);
      }

      async function runPlan(d: Driver, plan: StepPlan, step: SeedStep): Promise<Outcome> {
        const { session } = d;
        for (const a of plan.before ?? []) await adapt(d, a);
        let command = step.command;
        const azPlan = d.name === 'az' ? plan.az : undefined;
        if (azPlan?.rewrite) {
          expect(command).toContain(azPlan.rewrite.from);
          command = command.replace(azPlan.rewrite.from, azPlan.rewrite.to);
        }
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
          timeoutMs: 300_000,
        });
        const where = `[${d.name}] ${command}`;
        if (azPlan?.refused) {
          expect(r.code, `${where} should fail (${azPlan.refused.why})`).not.toBe(0);
          expect(r.stderr, where).toMatch(azPlan.refused.stderr);
        } else if (plan.refused) {
          expect(r.code, `${where} should be refused (${plan.refused.why})`).not.toBe(0);
          expect(r.stderr, where).toMatch(plan.refused.stderr);
        } else if (plan.gap) {
          gaps.push(`${step.doc.slice(0, 3)}:${step.line} ${step.command} [${d.name}; backend gap: ${plan.gap.why}]`);
          let met = r.code === 0;
          if (met && plan.check) {
            try {
              plan.check(r.stdout, session.vars);
            } catch {
              met = false;
            }
          }
          expect(met, `known gap fixed? ${where} now does what the article shows: remove the gap from seeds/scenarios.ts (${plan.gap.why})`).toBe(false);
          expect(r.stdout + r.stderr).toMatch(plan.gap.stderr);
        } else {
          expect(r.code, `${where}\n${r.stderr}\n${r.stdout}`).toBe(0);
          try {
            plan.check?.(r.stdout, session.vars);
          } catch (err) {
            throw new Error(`${where}: ${(err as Error).message}`);
          }
        }
        for (const a of plan.after ?? []) await adapt(d, a);
        return { command, result: r };
      }
    });
  }
}

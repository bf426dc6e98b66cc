/**
 * One conformance suite per service (SPEC P-4): an in-process emulator, one test per example file of Azure's REST
 * API specification, a pass count at the end (`CONFORMANCE <service> <passed>/<in scope> (<n> out of scope)`).
 * The corpus is read where testkit/shared.ts finds it; without it the suite skips (and fails under CI).
 */
import { appendFileSync } from 'node:fs';
import { afterAll, beforeAll, it } from 'vitest';
import { removeDataDir, startTestEmulator } from '../../testkit/emulator.js';
import { getToken } from '../../testkit/http.js';
import { describeWithFolder } from '../../testkit/optional.js';
import { REST_SPECS_VARIABLE, restSpecsDir } from '../../testkit/shared.js';
import type { Divergence } from './compare.js';
import { loadCorpus, type ExampleCase, type ServiceName } from './corpus.js';
import { closeConnections } from './client.js';
import { ArmSetup } from './fixtures.js';
import { OUT_OF_SCOPE } from './out-of-scope.js';
import { buildRequest, judge, judgeRefusal, replay, send, type Target } from './replay.js';
import { Substitutions } from './substitute.js';
import type { Swaggers } from './swagger.js';

export type TestEmulator = Awaited<ReturnType<typeof startTestEmulator>>;

export interface HarnessContext {
  emulator: TestEmulator;
  arm: ArmSetup;
  swaggers: Swaggers;
}

/** What a service's harness does for one example before its request is sent. */
export interface Preparation {
  /** Where the request goes, with which token (default: the instance's ARM address and an ARM token). */
  target?: Target;
  /** The harness made more items than the example's page size: the answer must link to a next page. */
  paged?: boolean;
}

export interface Harness {
  /** The emulator's date, where the examples need one (default: today). */
  now?: Date;
  /** Parameters an example lacks or gets wrong (in Azure's terms, before substitution), where it cannot be sent as it is. */
  parameters?(c: ExampleCase): Record<string, unknown> | undefined;
  /** Once, after the emulator started. */
  start?(ctx: HarnessContext): Promise<void>;
  /**
   * Substitutions and prerequisites of one example: the resource groups it names exist already (the suite creates
   * them after `substitute`), then `prepare` creates what the request acts on and may add substitutions for what
   * it made; the example is substituted again from Azure's text after it.
   */
  substitute?(c: ExampleCase, subs: Substitutions, ctx: HarnessContext): void;
  prepare(c: ExampleCase, example: ExampleCase['example'], subs: Substitutions, ctx: HarnessContext): Promise<Preparation | void>;
}

function describeDivergences(file: string, divergences: Divergence[]): string {
  return `${file}: ${divergences.length} divergence(s) from Azure's example\n${divergences.map((d) => `  ${d.path}: ${d.problem}`).join('\n')}`;
}

export function conformanceSuite(service: ServiceName, harness: Harness): void {
  const root = restSpecsDir();
  describeWithFolder({ path: root, variable: REST_SPECS_VARIABLE }, `conformance with Azure's REST API examples: ${service}`, () => {
    if (!root) {
      it('replays the examples', () => undefined);
      return;
    }
    const corpus = loadCorpus(root, service);
    const tally = { passed: 0, inScope: 0, outOfScope: 0 };
    let ctx: HarnessContext;

    beforeAll(async () => {
      const emulator = await startTestEmulator(harness.now ? { now: harness.now } : {});
      const token = await getToken(emulator.url, emulator.env);
      ctx = { emulator, arm: new ArmSetup(emulator.url, token, emulator.env.AZURE_SUBSCRIPTION_ID!), swaggers: corpus.swaggers };
      await harness.start?.(ctx);
    });

    afterAll(async () => {
      const line = `CONFORMANCE ${service} ${tally.passed}/${tally.inScope} (${tally.outOfScope} out of scope)`;
      console.log(line);
      if (process.env.AKSEMU_CONFORMANCE_LOG) appendFileSync(process.env.AKSEMU_CONFORMANCE_LOG, `${line}\n`);
      closeConnections();
      if (ctx) {
        await ctx.emulator.close();
        removeDataDir(ctx.emulator.dataDir);
      }
    });

    async function run(c: ExampleCase, subs: Substitutions, reason: string | undefined): Promise<Divergence[]> {
      const params = { ...c.example.parameters, ...harness.parameters?.(c) };
      if (typeof params.resourceGroupName === 'string') params.resourceGroupName = subs.group(params.resourceGroupName);
      if (typeof params.subscriptionId === 'string') params.subscriptionId = ctx.arm.subscriptionId;
      harness.substitute?.(c, subs, ctx);
      const raw = { ...c.example, parameters: params };
      let example = subs.apply(raw);
      for (const g of subs.groupsUsed()) await ctx.arm.group(g);
      const prepared = (await harness.prepare(c, example, subs, ctx)) ?? {};
      // What the harness made may add substitutions (a key's version, a ciphertext made with the instance's key).
      example = subs.apply(raw);
      const target = prepared.target ?? { base: ctx.emulator.url, token: ctx.arm.token };
      const request = buildRequest(c, example.parameters, target);
      if (reason) return judgeRefusal(await send(request));
      const outcome = await replay(c, request, target.token);
      // A page size the swagger does not take is not sent, and then no page follows.
      const paged = !!prepared.paged && c.parameters.some((q) => q.in === 'query' && /^(\$top|top|maxresults)$/.test(q.name));
      return judge(c, example, outcome, request, ctx.swaggers, paged);
    }

    corpus.cases.forEach((c, index) => {
      const reason = OUT_OF_SCOPE[c.file];
      if (reason) tally.outOfScope++;
      else tally.inScope++;
      it.concurrent(reason ? `${c.file} (out of scope: ${reason})` : c.file, async () => {
        const subs = new Substitutions(ctx.arm.subscriptionId, `x${index}`);
        let divergences: Divergence[];
        try {
          divergences = await run(c, subs, reason);
        } catch (err) {
          divergences = [{ path: 'harness', problem: (err as Error).message }];
        }
        if (process.env.AKSEMU_CONFORMANCE_LOG) appendFileSync(process.env.AKSEMU_CONFORMANCE_LOG, `${JSON.stringify({ service, file: c.file, divergences })}\n`);
        // What the example made goes away with its groups (in the background): clusters left running would keep
        // the instance busy for the examples after it.
        for (const g of subs.groupsUsed()) void ctx.arm.call('DELETE', `/subscriptions/${ctx.arm.subscriptionId}/resourcegroups/${g}`, '2021-04-01').catch(() => undefined);
        if (divergences.length > 0) throw new Error(describeDivergences(c.file, divergences));
        if (!reason) tally.passed++;
      });
    });
  });
}

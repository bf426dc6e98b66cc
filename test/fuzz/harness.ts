/**
 * The fuzz campaign's harness (SPEC ): fast-check properties run against a real spawned emulator, with
 *
 * - the number of inputs per property from AKSEMU_FUZZ_RUNS (the long run, `npm run fuzz`), else each property's
 *   own bounded count (the default `npm test`);
 * - one seed for the run, AKSEMU_FUZZ_SEED or a fresh one, printed with every failure so that it replays
 *   (AKSEMU_FUZZ_PATH, from the failure's message, replays just the shrunk counterexample);
 * - after every input, a check that the emulator process is still there; after every property, that
 *   `/_aksemu/status` answers 200 (a crash or a dead instance is a failure like a 5xx);
 * - a tally per service of the inputs tried, the answers by class and the crashes, printed at the end of the file
 *   and written to AKSEMU_FUZZ_TALLY_DIR/<service>.json when that is set (scripts/fuzz.mjs collects them).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { SpawnedEmulator } from '../../testkit/emulator.js';
import { httpsCall, type TestResponse } from '../../testkit/http.js';

const envRuns = Number(process.env.AKSEMU_FUZZ_RUNS);
/** True in the long run (AKSEMU_FUZZ_RUNS set). */
export const LONG_RUN = Number.isInteger(envRuns) && envRuns > 0;

/** Inputs per property: AKSEMU_FUZZ_RUNS when set, else the property's own bounded count. */
export function runs(bounded: number): number {
  return LONG_RUN ? envRuns : bounded;
}

/** The run's seed: AKSEMU_FUZZ_SEED, else a fresh 32-bit one. */
export const SEED = process.env.AKSEMU_FUZZ_SEED ? Number(process.env.AKSEMU_FUZZ_SEED) : (Date.now() ^ Math.floor(Math.random() * 2 ** 31)) | 0;
const REPLAY_PATH = process.env.AKSEMU_FUZZ_PATH;

/** A vitest timeout for a property of `n` inputs (each may take a few requests, some with large bodies). */
export function timeoutFor(n: number): number {
  return Math.max(120_000, n * 1_500);
}

/** What the harness watches besides the answers: the instance's process and its status endpoint. */
export interface FuzzTarget {
  /** Why the instance is gone (exit code or signal), or undefined while it runs. */
  gone(): string | undefined;
  /** Throws unless the instance still answers its status endpoint with 200. */
  healthy(): Promise<void>;
  /** The last lines the instance wrote on stderr (its error log), for failure messages. */
  stderrTail(): string;
}

export function spawnedTarget(emu: SpawnedEmulator, armToken: () => string): FuzzTarget {
  return {
    gone: () => (emu.process.exitCode !== null || emu.process.signalCode !== null ? `the emulator exited (code ${emu.process.exitCode}, signal ${emu.process.signalCode})` : undefined),
    healthy: async () => {
      const res = await within(10_000, '/_aksemu/status', httpsCall(`${emu.url}/_aksemu/status`, { headers: { authorization: `Bearer ${armToken()}` } }));
      if (res.status !== 200) throw new Error(`/_aksemu/status answered ${res.status}: ${res.text.slice(0, 500)}`);
    },
    stderrTail: () => emu.stderr().trimEnd().split('\n').slice(-8).map((l) => l.slice(0, 1200)).join('\n'),
  };
}

/** Counts of one service's inputs and answers. */
export class Tally {
  inputs = 0;
  crashes = 0;
  /** Answers by class: '2xx', '4xx', '5xx' for HTTP, the gRPC status name for the KMS plugin. */
  readonly answers: Record<string, number> = {};
  readonly properties: Record<string, number> = {};

  constructor(readonly service: string) {}

  /** Records one answer: an HTTP status (counted by class) or a gRPC status name. */
  answer(status: number | string): void {
    const cls = typeof status === 'number' ? `${Math.floor(status / 100)}xx` : status;
    this.answers[cls] = (this.answers[cls] ?? 0) + 1;
  }

  toJSON() {
    return { service: this.service, seed: SEED, runsPerProperty: LONG_RUN ? envRuns : 'bounded', inputs: this.inputs, answers: this.answers, crashes: this.crashes, properties: this.properties };
  }

  /** Prints the tally and, in a collected run, writes it for scripts/fuzz.mjs. */
  report(): void {
    const dir = process.env.AKSEMU_FUZZ_TALLY_DIR;
    if (dir) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${this.service}.json`), `${JSON.stringify(this, null, 2)}\n`);
    }
    process.stdout.write(`fuzz tally ${JSON.stringify(this)}\n`);
  }
}

/** Resolves with `p`, or rejects when it takes longer than `ms` (a hang is a failure, not a wait). */
export function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/**
 * The state a refused request must leave as it was (SPEC R-4). It is read before the first request and after each
 * refusal (when it must read the same); after an accepted request it is read afresh before the next one, once
 * `settle` (the instance's own follow-up work, e.g. a long operation) is done.
 */
export class Unchanged {
  private known: { state: unknown } | undefined;
  /** A request whose outcome was not checked (its check failed): the state is read afresh. */
  private open = false;

  constructor(
    private readonly read: () => Promise<unknown>,
    private readonly settle: () => Promise<void> = async () => {},
  ) {}

  async before(): Promise<void> {
    if (this.open) this.known = undefined;
    this.known ??= { state: await this.read() };
    this.open = true;
  }

  async after(refused: boolean, what: string): Promise<void> {
    if (!refused) {
      this.known = undefined;
      await this.settle();
    } else {
      const now = await this.read();
      expect(now, `${what}, yet changed state`).toEqual(this.known!.state);
    }
    this.open = false;
  }
}

export interface PropertyOptions<T> {
  /** Inputs in the bounded run (the default `npm test`). */
  runs: number;
  target: FuzzTarget;
  /** Inputs tried first on every run: the shrunk counterexamples of the bugs this property found. */
  examples?: T[];
}

/**
 * Runs `check` on generated inputs: fast-check generates, and on a failure shrinks to a minimal input. Every
 * input is counted; after each, the instance must still run; after all, it must still answer its status.
 */
export async function fuzz<T>(tally: Tally, property: string, arb: fc.Arbitrary<T>, check: (input: T) => Promise<void>, opts: PropertyOptions<T>): Promise<void> {
  const numRuns = runs(opts.runs);
  // A crash ends what can be learnt: every later input fails too, so the input that was in flight is reported as
  // it is rather than a "shrunk" one.
  let crashedOn: { input: T; reason: string } | undefined;
  const prop = fc.asyncProperty(arb, async (input) => {
    if (crashedOn) throw new Error(crashedOn.reason);
    tally.inputs++;
    tally.properties[property] = (tally.properties[property] ?? 0) + 1;
    try {
      await check(input);
    } finally {
      const gone = opts.target.gone();
      if (gone) {
        tally.crashes++;
        crashedOn = { input, reason: gone };
      }
    }
    if (crashedOn) throw new Error(crashedOn.reason);
  });
  try {
    await fc.assert(prop, { seed: SEED, numRuns, examples: (opts.examples ?? []).map((e) => [e] as [T]), ...(REPLAY_PATH ? { path: REPLAY_PATH, endOnFailure: true } : {}) });
  } catch (err) {
    const what = crashedOn
      ? `${crashedOn.reason} on this input (or the one before it): ${fc.stringify(crashedOn.input).slice(0, 4000)}`
      : `${(err as Error).message.slice(0, 4000)}\n${String((err as Error).cause ?? '').slice(0, 4000)}`;
    throw new Error(
      `${tally.service} / ${property}: ${what}\n` +
        `reproduce: AKSEMU_FUZZ_SEED=${SEED} AKSEMU_FUZZ_RUNS=${numRuns} (AKSEMU_FUZZ_PATH=<the path above> replays the shrunk input alone)\n` +
        `emulator stderr (last lines):\n${opts.target.stderrTail()}`,
    );
  }
  await opts.target.healthy();
}

/**
 * Status below 500, and a 4xx in Azure's error format (`{"error": {"code", "message"}}`: ARM's and Key Vault's
 * alike). Every answer is counted in `tally`.
 */
export function expectAzureAnswer(tally: Tally, res: TestResponse, method: string): void {
  tally.answer(res.status);
  expect(res.status, res.text.slice(0, 2000)).toBeLessThan(500);
  if (res.status < 400 || method === 'HEAD') return;
  let body: { error?: { code?: unknown; message?: unknown } };
  try {
    body = res.json();
  } catch {
    throw new Error(`a ${res.status} that is not JSON: ${res.text.slice(0, 500)}`);
  }
  expect(typeof body.error?.code, res.text.slice(0, 2000)).toBe('string');
  expect(typeof body.error?.message, res.text.slice(0, 2000)).toBe('string');
}

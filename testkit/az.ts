/**
 * Runs the real `az` CLI (Debian's azure-cli 2.45, or `bin`: the current one, `currentAz()`) with an instance's
 * `aksemu env` settings and nothing else.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface AzResult {
  code: number;
  stdout: string;
  stderr: string;
  json<T = any>(): T;
}

export function az(args: string[], env: Record<string, string>, timeoutMs = 60_000, bin = 'az'): Promise<AzResult> {
  return new Promise((resolve) => {
    execFile(
      bin,
      args,
      {
        timeout: timeoutMs,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: process.env.HOME ?? '/tmp',
          LANG: 'C.UTF-8',
          ...env,
          AZURE_CORE_COLLECT_TELEMETRY: 'false',
          AZURE_CORE_SURVEY_MESSAGE: 'false',
          AZURE_CORE_NO_COLOR: 'true',
        },
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) });
      },
    );
  });
}

/** `az login --service-principal` with the instance's default principal; throws if it fails. */
export async function azLogin(env: Record<string, string>): Promise<void> {
  const res = await az(['login', '--service-principal', '-u', env.AZURE_CLIENT_ID!, '-p', env.AZURE_CLIENT_SECRET!, '--tenant', env.AZURE_TENANT_ID!, '-o', 'none'], env);
  if (res.code !== 0) throw new Error(`az login failed (${res.code}):\n${res.stderr}`);
}

/** The current az CLI that .ci/run installs in a cached virtual environment (AKSEMU_AZ_CURRENT), when there is one. */
export function currentAz(): string | undefined {
  const bin = process.env.AKSEMU_AZ_CURRENT;
  return bin && existsSync(bin) ? bin : undefined;
}

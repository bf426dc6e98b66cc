/**
 * Trusted Launch commands (SPEC T-5, T-6), thin clients of the instance's `/_aksemu` Trusted Launch API:
 *
 *   aksemu node boot-log NODE                       the last boot: Secure Boot verdicts, halt, modules, serial console
 *   aksemu node attest NODE                         attest the node now (quote, verification, claims, token, alerts)
 *   aksemu node quote NODE --nonce HEX --out DIR    ak.pem quote.msg quote.sig quote.pcrs eventlog.bin for tpm2_checkquote
 *   aksemu node tamper NODE --component kernel      change a boot component on the node's disk (and reboot it)
 *   aksemu alerts list                              Defender-style integrity alerts
 *
 * The node subcommands join the `node` group (show, exec); `alerts` is a group of its own.
 */
import type { Command } from 'commander';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { paths, readInstanceInfo, resolveDataDir } from '../../config/data-dir.js';
import { CommandError, UsageError } from '../errors.js';
import { instanceEnvironment } from './env.js';

interface Common {
  dataDir?: string;
  clusterName?: string;
  resourceGroup?: string;
}

interface Reply {
  status: number;
  body: any;
}

function send(url: string, ca: string, method: string, token: string | undefined, body?: string, type = 'application/json'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request(
      { method, hostname: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, ca, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': type } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** A caller of the instance's API with a token of the instance's principal (as `aksemu node show` does). */
async function connect(opts: Common): Promise<(method: string, path: string, body?: unknown) => Promise<any>> {
  const dataDir = resolveDataDir(opts.dataDir);
  const info = readInstanceInfo(dataDir);
  if (!info) throw new CommandError(`no aksemu instance has been started with the data directory ${dataDir}`);
  const env = instanceEnvironment(dataDir);
  const ca = readFileSync(paths.caCert(dataDir), 'utf8');
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: env.AZURE_CLIENT_ID!, client_secret: env.AZURE_CLIENT_SECRET!, scope: 'https://management.azure.com/.default' }).toString();
  let t: Reply;
  try {
    t = await send(`${info.url}/_login/${info.tenantId}/oauth2/v2.0/token`, ca, 'POST', undefined, form, 'application/x-www-form-urlencoded');
  } catch (err) {
    throw new CommandError(`cannot reach the aksemu instance at ${info.url} (${(err as Error).message}); is it running? Start it with 'aksemu start --data-dir ${dataDir}'.`);
  }
  if (t.status !== 200) throw new CommandError(`the instance refused a token: ${JSON.stringify(t.body)}`);
  const token = t.body.access_token as string;
  return async (method, path, body) => {
    const url = new URL(`${info.url}${path}`);
    if (opts.clusterName) url.searchParams.set('cluster', opts.clusterName);
    if (opts.resourceGroup) url.searchParams.set('resourceGroup', opts.resourceGroup);
    const r = await send(url.toString(), ca, method, token, body === undefined ? undefined : JSON.stringify(body));
    if (r.status !== 200) {
      const e = r.body?.error;
      throw new CommandError(e ? `(${e.code}) ${e.message}` : `the instance answered ${r.status}`);
    }
    return r.body;
  };
}

const nodePath = (name: string, what: string) => `/_aksemu/nodes/${encodeURIComponent(name)}/${what}`;

function withCommon(c: Command): Command {
  return c
    .option('--cluster-name <name>', 'the managed cluster (needed when several clusters have a node of that name)')
    .option('-g, --resource-group <group>', "the cluster's resource group")
    .option('--data-dir <dir>', 'instance data directory (default: $AKSEMU_DATA_DIR or ~/.local/share/aksemu)');
}

function outputOf(o: string | undefined, allowed: string[]): string {
  const out = o ?? allowed[0]!;
  if (!allowed.includes(out)) throw new UsageError(`--output must be one of ${allowed.join(', ')}, not '${out}'`);
  return out;
}

/** The boot log as text: what happened at each stage, then the serial console. */
function bootLogText(b: any): string {
  const lines: string[] = [];
  const boot = b.boot;
  lines.push(`Node ${b.node} (VM ${b.vmId}): ${b.state}`);
  lines.push(`Boot ${boot.seq} at ${boot.at} of ${boot.image}: Secure Boot ${boot.secureBoot ? 'on' : 'off'}, vTPM ${boot.vtpm ? 'on' : 'off'}`);
  for (const s of boot.steps) lines.push(`  ${s.stage.padEnd(8)} ${s.label}: ${s.verification}${s.signer ? ` (signed by '${s.signer}'${s.trustedBy ? `, trusted through '${s.trustedBy}'` : ''})` : ''}${s.detail ? ` — ${s.detail}` : ''}`);
  if (boot.halted) lines.push(`BOOT HALTED at ${boot.halted.label}: ${boot.halted.detail} (${boot.halted.reason})`);
  for (const m of boot.modules.filter((x: any) => x.failure)) lines.push(`  module   ${m.label}: ${m.loaded ? 'loaded unverified (kernel tainted)' : 'BLOCKED'} — ${m.failure.detail}`);
  if (b.tampers?.length) lines.push(`Tampered on disk: ${b.tampers.map((t: any) => `${t.component} (${t.mode})`).join(', ')}`);
  if (b.attestation) {
    lines.push(`Attestation at ${b.attestation.at}: ${b.attestation.healthy ? 'healthy' : 'FAILED'}`);
    for (const f of b.attestation.findings) lines.push(`  ${f.kind}: ${f.components.join('; ')}`);
  }
  lines.push('', '--- serial console ---', ...boot.serial);
  return `${lines.join('\n')}\n`;
}

function alertsTable(alerts: any[]): string {
  const rows = alerts.map((a) => [a.properties.timeGeneratedUtc, a.properties.severity, a.properties.alertDisplayName, a.properties.compromisedEntity, a.properties.extendedProperties['Failed components'] ?? '']);
  const header = ['Time', 'Severity', 'Alert', 'Node', 'FailedComponents'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return `${[line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')}\n`;
}

export function registerTrustedLaunch(program: Command): void {
  const node = program.commands.find((c) => c.name() === 'node') ?? program.command('node').description("the clusters' simulated nodes");

  withCommon(node.command('boot-log').argument('<node>', 'node name').option('-o, --output <format>', 'text or json', 'text').description("a node's last boot: Secure Boot verdicts, where it halted, kernel modules, serial console")).action(
    async (name: string, opts: Common & { output?: string }) => {
      const out = outputOf(opts.output, ['text', 'json']);
      const b = await (await connect(opts))('GET', nodePath(name, 'boot-log'));
      process.stdout.write(out === 'json' ? `${JSON.stringify(b, null, 2)}\n` : bootLogText(b));
    },
  );

  withCommon(node.command('attest').argument('<node>', 'node name').description('attest a node now: quote over a fresh nonce, verification, Trusted Launch claims and token, alerts')).action(
    async (name: string, opts: Common) => {
      const r = await (await connect(opts))('POST', nodePath(name, 'attest'));
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      if (!r.healthy) process.exitCode = 3;
    },
  );

  withCommon(
    node
      .command('quote')
      .argument('<node>', 'node name')
      .requiredOption('--nonce <hex>', 'the nonce (qualifying data) the quote must carry, in hex')
      .requiredOption('--out <dir>', 'directory for ak.pem, quote.msg, quote.sig, quote.pcrs, eventlog.bin')
      .option('--pcrs <list>', 'PCRs to quote (sha256 bank)', '0-7')
      .description("a vTPM quote and event log in the formats tpm2_checkquote reads"),
  ).action(async (name: string, opts: Common & { nonce: string; out: string; pcrs: string }) => {
    if (!/^([0-9a-fA-F]{2})+$/.test(opts.nonce)) throw new UsageError(`--nonce must be hex digits (an even number of them), not '${opts.nonce}'`);
    const r = await (await connect(opts))('POST', nodePath(name, 'quote'), { nonce: opts.nonce, pcrs: opts.pcrs });
    mkdirSync(opts.out, { recursive: true });
    for (const [file, b64] of Object.entries(r.files as Record<string, string>)) writeFileSync(join(opts.out, file), Buffer.from(b64, 'base64'));
    writeFileSync(join(opts.out, 'ak.crt'), r.akCertificatePem);
    writeFileSync(join(opts.out, 'ca-chain.pem'), (r.caCertificatesPem as string[]).join(''));
    const d = opts.out;
    process.stdout.write(
      `Wrote ${Object.keys(r.files).join(', ')}, ak.crt and ca-chain.pem to ${d}\nVerify with:\n  tpm2_checkquote -u ${join(d, 'ak.pem')} -m ${join(d, 'quote.msg')} -s ${join(d, 'quote.sig')} -f ${join(d, 'quote.pcrs')} -g sha256 -q ${opts.nonce} -e ${join(d, 'eventlog.bin')}\n`,
    );
  });

  withCommon(
    node
      .command('tamper')
      .argument('<node>', 'node name')
      .requiredOption('--component <name>', 'shim, bootloader, kernel, initrd, gpu-driver or module:<name>')
      .option('--mode <mode>', 'modify (default), unsigned, untrusted-key, revoked-key, or restore')
      .option('--no-reboot', 'change the disk without restarting the node')
      .description("change a boot component on a node's OS disk and reboot it (for demonstrations and tests)"),
  ).action(async (name: string, opts: Common & { component: string; mode?: string; reboot: boolean }) => {
    const r = await (await connect(opts))('POST', nodePath(name, 'tamper'), { component: opts.component, ...(opts.mode ? { mode: opts.mode } : {}), reboot: opts.reboot });
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  });

  const alerts = program.commands.find((c) => c.name() === 'alerts') ?? program.command('alerts').description('Defender for Cloud style integrity alerts');
  alerts
    .command('list')
    .option('-o, --output <format>', 'json or table', 'json')
    .option('--subscription <id>', 'only alerts of this subscription')
    .option('--data-dir <dir>', 'instance data directory (default: $AKSEMU_DATA_DIR or ~/.local/share/aksemu)')
    .description('list integrity alerts ("VM attestation failure", "Untrusted Linux kernel module")')
    .action(async (opts: { output?: string; subscription?: string; dataDir?: string }) => {
      const out = outputOf(opts.output, ['json', 'table']);
      const r = await (await connect(opts))('GET', `/_aksemu/alerts${opts.subscription ? `?subscription=${encodeURIComponent(opts.subscription)}` : ''}`);
      process.stdout.write(out === 'table' ? alertsTable(r.value) : `${JSON.stringify(r.value, null, 2)}\n`);
    });
}

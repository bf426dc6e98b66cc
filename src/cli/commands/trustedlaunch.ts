/**
 * Trusted Launch commands (SPEC T-5, T-6), thin clients of the instance's `/_aksemu` Trusted Launch API:
 *
 *   aksemu node boot-log NODE                       the last boot: Secure Boot verdicts, halt, modules, serial console
 *   aksemu node attest NODE                         attest the node now (quote, verification, claims, token, alerts)
 *   aksemu node quote NODE --nonce HEX --out DIR    ak.pem quote.msg quote.sig quote.pcrs eventlog.bin for tpm2_checkquote
 *   aksemu node tamper NODE --component kernel      change a boot component on the node's disk (and reboot it)
 *   aksemu alerts list                              Defender-style integrity alerts
 *
 * The node subcommands join the `node` group (show, exec) and call the instance as it does, with the CLI's
 * account (callInstanceApi); `alerts` is a group of its own.
 */
import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { callInstanceApi, type NodeOptions } from './node.js';

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
    async (name: string, opts: NodeOptions & { output?: string }) => {
      const out = outputOf(opts.output, ['text', 'json']);
      const b = await callInstanceApi(opts, 'GET', nodePath(name, 'boot-log'));
      process.stdout.write(out === 'json' ? `${JSON.stringify(b, null, 2)}\n` : bootLogText(b));
    },
  );

  withCommon(node.command('attest').argument('<node>', 'node name').description('attest a node now: quote over a fresh nonce, verification, Trusted Launch claims and token, alerts')).action(
    async (name: string, opts: NodeOptions) => {
      const r = await callInstanceApi(opts, 'POST', nodePath(name, 'attest'));
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
  ).action(async (name: string, opts: NodeOptions & { nonce: string; out: string; pcrs: string }) => {
    if (!/^([0-9a-fA-F]{2})+$/.test(opts.nonce)) throw new UsageError(`--nonce must be hex digits (an even number of them), not '${opts.nonce}'`);
    const r = await callInstanceApi(opts, 'POST', nodePath(name, 'quote'), { nonce: opts.nonce, pcrs: opts.pcrs });
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
  ).action(async (name: string, opts: NodeOptions & { component: string; mode?: string; reboot: boolean }) => {
    const r = await callInstanceApi(opts, 'POST', nodePath(name, 'tamper'), { component: opts.component, ...(opts.mode ? { mode: opts.mode } : {}), reboot: opts.reboot });
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
      const r = await callInstanceApi(opts, 'GET', `/_aksemu/alerts${opts.subscription ? `?subscription=${encodeURIComponent(opts.subscription)}` : ''}`);
      process.stdout.write(out === 'table' ? alertsTable(r.value) : `${JSON.stringify(r.value, null, 2)}\n`);
    });
}

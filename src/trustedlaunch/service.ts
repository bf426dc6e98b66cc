/**
 * Trusted Launch on the node fleet (SPEC T-3..T-6): every boot of a node running a Trusted Launch image goes
 * through `onBoot` (the fleet's boot hook). It runs the measured (and, with Secure Boot, verified) boot of the
 * node's OS disk, keeps the vTPM's PCRs and event log, refuses the boot when Secure Boot halts it, and then does
 * what the guest attestation extension and Defender for Cloud do: attest the boot and raise integrity alerts.
 *
 * Per node, one record (`/fleet/<uid>/trustedlaunch/<node>`, removed with the cluster's fleet):
 *   vmId, the instance it belongs to, tampers of its OS disk, the vTPM (AK sealed, AK certificate, PCRs, event
 *   log, reset count), the last boot (steps, halt, modules, serial console) and the last attestation.
 * A new VM (a new instance under the same name) gets a new record; a reimage (new OS disk) clears tampers.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../runtime/clock.js';
import type { Sealer } from '../secrets/sealer.js';
import type { Store } from '../store/store.js';
import { imageByName, type NodeImage } from '../fleet/catalog/node-images.js';
import { osById } from '../fleet/catalog/os-versions.js';
import { findVmSize } from '../fleet/catalog/vm-sizes.js';
import type { BootContext, BootOutcome, Fleet } from '../fleet/fleet.js';
import type { InstanceRecord, NodeFacts, NodeModel } from '../fleet/model.js';
import { vmssName } from '../fleet/naming.js';
import { getJson, listJson, updateJson } from '../store/json.js';
import { buildAlert, raiseAlert, reimageCommand, type Alert, type Finding } from './alerts.js';
import { AttestationService, ATTESTED_PCRS, compareToBaseline, describeEvent, type AttestationOutcome, type Deviation } from './attestation.js';
import { applyTampers, imageComponents, resolveComponentId, TAMPER_MODES, type Tamper, type TamperMode } from './components.js';
import { imageKernelArgs, measuredBoot, type BootResult } from './measured-boot.js';
import { TrustedLaunchPki } from './pki.js';
import { encodeLog, parseLog, eventTypeName, type LogEvent } from './tcg-log.js';
import { encodeTpm2ToolsPcrs, TPM_ALG } from './tpm2.js';
import { createVtpm, quote, type VtpmState } from './vtpm.js';
import { nodeRecordKey, type AttestationSummary, type BootView, type NodeRecord } from './records.js';

export const BOOT_FAILURE_CODE = 'NodeSecureBootViolation';

/** What Trusted Launch needs from the rest of the emulator. */
export interface TrustedLaunchDeps {
  store: Store;
  clock: Clock;
  /** Seals the Secure Boot PKI's private keys and the vTPMs' endorsement and attestation keys. */
  sealer: Sealer;
  tenantId: string;
}

/** A request the API answers with a 4xx. */
export class TlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function osClaims(image: NodeImage): { type: 'Linux'; distro: string; versionMajor: number; versionMinor: number } {
  const os = osById(image.os);
  const m = /(\d+)\.(\d+)/.exec(os.displayName);
  return { type: 'Linux', distro: image.os.startsWith('ubuntu') ? 'Ubuntu' : 'AzureLinux', versionMajor: Number(m?.[1] ?? 0), versionMinor: Number(m?.[2] ?? 0) };
}


export class TrustedLaunch {
  private pkiLoading: Promise<TrustedLaunchPki> | undefined;
  private attestationLoading: Promise<AttestationService> | undefined;
  /** Boots are deterministic in their inputs: the nodes of a pool share one result (and one encoded log). */
  private readonly boots = new Map<string, { result: BootResult; log: string }>();
  /** Distinguishes the component cache of this instance's PKI from others in the same process (tests). */
  private readonly pkiId = randomUUID();

  constructor(
    readonly deps: TrustedLaunchDeps,
    readonly fleet: Fleet,
  ) {}

  private readonly images = new Map<string, NodeImage | undefined>();
  /** imageByName, remembered (the catalog computes every release of every variant to find one). */
  image(name: string): NodeImage | undefined {
    if (!this.images.has(name)) this.images.set(name, imageByName(name));
    return this.images.get(name);
  }

  pki(): Promise<TrustedLaunchPki> {
    this.pkiLoading ??= TrustedLaunchPki.loadOrCreate(this.deps.store, this.deps.sealer).catch((err) => {
      this.pkiLoading = undefined;
      throw err;
    });
    return this.pkiLoading;
  }

  attestationService(): Promise<AttestationService> {
    this.attestationLoading ??= this.pki().then((pki) => new AttestationService(pki, `urn:aksemu:attestation:${this.deps.tenantId}`));
    return this.attestationLoading;
  }

  /** The events of a clean boot of `image`: the attestation baseline. */
  async baseline(image: NodeImage, secureBoot: boolean): Promise<LogEvent[]> {
    return (await this.runBoot(image, secureBoot, false, [])).result.events;
  }

  /** The boot of an image with these switches and this disk (computed once per distinct input). */
  private async runBoot(image: NodeImage, secureBoot: boolean, gpuDriverInstalled: boolean, tampers: Tamper[]): Promise<{ result: BootResult; log: string }> {
    const key = JSON.stringify([image.name, secureBoot, gpuDriverInstalled, tampers.map((t) => [t.component, t.mode])]);
    let hit = this.boots.get(key);
    if (!hit) {
      const pki = await this.pki();
      const components = applyTampers(pki, imageComponents(pki, image, { gpuDriverInstalled }, this.pkiId), tampers, image.kernel);
      const result = measuredBoot({ image, secureBoot, components, kernelArgs: imageKernelArgs(image), pki });
      hit = { result, log: encodeLog(result.events).toString('base64') };
      if (this.boots.size >= 1024) this.boots.clear();
      this.boots.set(key, hit);
    }
    return hit;
  }

  // ------------------------------------------------------------------------------------------------- boot

  async onBoot(b: BootContext): Promise<BootOutcome> {
    const image = this.image(b.model.image);
    if (!image?.trustedLaunch || b.model.osType !== 'Linux') return { ok: true };
    const sp = b.model.securityProfile;
    const key = nodeRecordKey(b.uid, b.instance.name);
    const stored = (await getJson<NodeRecord>(this.deps.store, key))?.value;
    const sameVm = stored && stored.instanceCreatedAt === b.instance.createdAt;
    // With both switches off nothing is verified and there is no vTPM: unless this VM has a Trusted Launch history
    // (tampering, an earlier boot with a switch on), the node boots like one of a standard image, and its boot is
    // worked out only when someone asks for it (boot-log, tamper). Pools without Trusted Launch pay nothing.
    if (!sp.enableSecureBoot && !sp.enableVTPM && !sameVm) return { ok: true };
    const pki = await this.pki();
    let rec: NodeRecord = sameVm ? stored : this.newRecord(b.uid, b.pool, b.instance, b.model);
    // A reimage builds a new OS disk from the image: whatever was tampered with is gone.
    if (b.instance.state === 'Reimaging') rec = { ...rec, tampers: [] };
    if (sp.enableVTPM) rec.vtpm ??= await createVtpm(pki, this.deps.sealer, rec.vmId, this.deps.clock.nowMs());
    else delete rec.vtpm;
    const gpuDriverInstalled = this.gpuDriverInstalled(b.model);
    const { result, log } = await this.runBoot(image, sp.enableSecureBoot, gpuDriverInstalled, rec.tampers);
    const seq = (rec.boot?.seq ?? 0) + 1;
    if (rec.vtpm) {
      rec.vtpm = { ...rec.vtpm, resetCount: rec.vtpm.resetCount + 1, pcrs: result.pcrs.map((p) => p.toString('hex')), eventLog: log };
    }
    rec.boot = {
      seq,
      at: this.deps.clock.iso(),
      image: image.name,
      secureBoot: sp.enableSecureBoot,
      vtpm: sp.enableVTPM,
      gpuDriverInstalled,
      tampers: rec.tampers,
      ...(result.halted ? { halted: result.halted } : {}),
    };
    delete rec.attestation;
    if (result.halted) {
      await this.save(rec);
      const h = result.halted;
      return {
        ok: false,
        code: BOOT_FAILURE_CODE,
        message: `Node ${b.instance.name} did not boot: Secure Boot stopped it at the ${h.label}: ${h.detail} (${h.reason}). See the boot diagnostics with 'aksemu node boot-log ${b.instance.name}'; reimaging the node (${reimageCommand(rec.subject)}) restores the node image's signed components.`,
      };
    }
    rec.boot.bootId = b.facts.bootId;
    const facts = this.bootFacts(b.facts, image, result, sp.enableSecureBoot, sp.enableVTPM);
    await this.afterBoot(rec, image, b.model, result);
    await this.save(rec);
    return { ok: true, facts };
  }

  /**
   * Why the OS disk of a node is not its image's any more (boot components tampered with), or undefined: a node
   * image upgrade rebuilds such disks (SPEC T-7), and the reimage boot above drops the tampers. Only nodes of a
   * Trusted Launch image, whose reimage comes through `onBoot`, are reported.
   */
  async osDiskModification(uid: string, inst: InstanceRecord): Promise<string | undefined> {
    if (!this.image(inst.model.image)?.trustedLaunch || inst.model.osType !== 'Linux') return undefined;
    const rec = (await getJson<NodeRecord>(this.deps.store, nodeRecordKey(uid, inst.name)))?.value;
    if (!rec || rec.instanceCreatedAt !== inst.createdAt || rec.tampers.length === 0) return undefined;
    return `boot components modified on its OS disk: ${rec.tampers.map((t) => `${t.component} (${t.mode})`).join(', ')}`;
  }

  private newRecord(uid: string, pool: string, instance: InstanceRecord, m: NodeModel): NodeRecord {
    const b = { uid, pool, instance };
    return {
      node: b.instance.name,
      uid: b.uid,
      pool: b.pool,
      instanceId: b.instance.instanceId,
      instanceCreatedAt: b.instance.createdAt,
      vmId: randomUUID(),
      subject: {
        subscriptionId: m.subscriptionId,
        // Defender files the alert where the compromised VM is: the node resource group.
        resourceGroup: m.nodeResourceGroup,
        location: m.location,
        cluster: m.clusterName,
        clusterId: m.clusterId,
        pool: b.pool,
        node: b.instance.name,
        vmResourceId: `/subscriptions/${m.subscriptionId}/resourceGroups/${m.nodeResourceGroup}/providers/Microsoft.Compute/virtualMachineScaleSets/${vmssName(b.pool, b.uid)}/virtualMachines/${b.instance.instanceId}`,
      },
      tampers: [],
    };
  }

  private save(rec: NodeRecord): Promise<unknown> {
    return this.deps.store.put(nodeRecordKey(rec.uid, rec.node), Buffer.from(JSON.stringify(rec)));
  }

  /** What a shell on the node sees of its boot: lockdown, the kernel log, loaded modules, taint, the TPM. */
  private bootFacts(facts: NodeFacts, image: NodeImage, r: BootResult, secureBoot: boolean, vtpm: boolean): NodeFacts {
    const loaded = r.modules.filter((m) => m.loaded);
    const unsignedLoaded = loaded.some((m) => m.failure);
    const files: Record<string, string> = {
      ...facts.files,
      // The command line grub measured (PCR8): the image's root partition.
      '/proc/cmdline': `BOOT_IMAGE=/boot/vmlinuz-${image.kernel} ${imageKernelArgs(image)}\n`,
      '/sys/kernel/security/lockdown': secureBoot ? 'none [integrity] confidentiality\n' : '[none] integrity confidentiality\n',
      '/var/log/kern.log': `${r.serial.join('\n')}\n`,
      '/proc/modules': loaded.map((m) => `${m.name} 16384 0 - Live 0x0000000000000000${m.failure ? ' (OE)' : ''}\n`).join(''),
      // TAINT_UNSIGNED_MODULE (bit 13) when a module without a valid signature was loaded.
      '/proc/sys/kernel/tainted': `${unsignedLoaded ? 8192 : 0}\n`,
    };
    if (vtpm) files['/sys/class/tpm/tpm0/tpm_version_major'] = '2\n';
    return { ...facts, files };
  }

  /** The guest attestation extension at boot and Defender's integrity findings. */
  private async afterBoot(rec: NodeRecord, image: NodeImage, model: NodeModel, result: BootResult): Promise<void> {
    const blocked = result.modules.filter((m) => !m.loaded);
    if (blocked.length > 0) {
      await this.alert(rec, {
        kind: 'untrusted-kernel-module',
        components: blocked.map((m) => m.label),
        reasons: blocked.map((m) => `${m.name}: ${m.failure!.detail} (${m.failure!.reason}).`),
      });
    }
    if (rec.vtpm) rec.attestation = await this.attestRecord(rec, image, model.securityProfile.enableSecureBoot);
  }

  private async alert(rec: NodeRecord, f: Finding): Promise<Alert> {
    const alert = buildAlert({ ...rec.subject, bootKey: `${rec.instanceCreatedAt}#${rec.boot?.seq ?? 0}` }, f, this.deps.clock.iso());
    return (await raiseAlert(this.deps.store, alert)).alert;
  }

  // ------------------------------------------------------------------------------------------- attestation

  /** Quote with a fresh nonce, verification by the attestation service, health against the baseline, alerts. */
  private async attestRecord(rec: NodeRecord, image: NodeImage, secureBootConfigured: boolean): Promise<AttestationSummary> {
    const svc = await this.attestationService();
    const nonce = randomBytes(32);
    const q = quote(rec.vtpm!, this.deps.sealer, rec.vmId, nonce, ATTESTED_PCRS, this.deps.clock.nowMs());
    const outcome: AttestationOutcome = await svc.attest(
      { akCertPem: rec.vtpm!.akCertPem, attest: q.attest, signature: q.signature, eventLog: Buffer.from(rec.vtpm!.eventLog, 'base64'), nonce, os: osClaims(image) },
      rec.vmId,
      Math.floor(Date.now() / 1000),
    );
    const findings: Finding[] = [];
    let deviations: Deviation[] = [];
    const reasons: string[] = [];
    const components: string[] = [];
    if (!outcome.verification.ok) {
      const failed = outcome.verification.checks.find((c) => !c.ok)!;
      components.push(`vTPM attestation evidence (${failed.check})`);
      reasons.push(`The attestation evidence did not verify: ${failed.detail}.`);
    } else {
      deviations = compareToBaseline(outcome.verification.events!, await this.baseline(image, secureBootConfigured), ATTESTED_PCRS);
      for (const d of deviations) if (!components.includes(d.component)) components.push(d.component);
      if (deviations.length > 0) reasons.push(`The boot log deviates from the trusted baseline of node image ${image.name} (${deviations.map((d) => `PCR${d.pcr} ${d.kind} ${d.component}`).join('; ')}).`);
      if (outcome.claims?.secureboot !== true) {
        if (components.length === 0) components.push('Secure Boot (disabled)');
        reasons.push('Secure Boot is disabled on this node (its node pool runs without --enable-secure-boot), so untrusted boot components could run.');
      }
    }
    const healthy = reasons.length === 0;
    if (!healthy) findings.push({ kind: 'attestation-failure', components, reasons });
    const alerts: string[] = [];
    for (const f of findings) alerts.push((await this.alert(rec, f)).name);
    const summary: AttestationSummary = {
      at: this.deps.clock.iso(),
      bootSeq: rec.boot?.seq ?? 0,
      healthy,
      checks: outcome.verification.checks,
      deviations,
      findings,
      ...(outcome.claims ? { claims: outcome.claims } : {}),
      ...(outcome.token ? { token: outcome.token } : {}),
      alerts,
    };
    return summary;
  }

  // ------------------------------------------------------------------------------------------ node lookups

  /** Finds a node by name in the instance's clusters (optionally one cluster, by name or id, and resource group). */
  async findNode(name: string, q: { cluster?: string; resourceGroup?: string }): Promise<{ uid: string; clusterId: string; inst: InstanceRecord }> {
    const recs = await listJson<{ uid: string; armId: string }>(this.deps.store, '/aks/clusters/');
    const hits: Array<{ uid: string; clusterId: string; inst: InstanceRecord }> = [];
    for (const { value: c } of recs) {
      const parts = c.armId.split('/');
      if (q.cluster && q.cluster.toLowerCase() !== parts[8]?.toLowerCase() && q.cluster.toLowerCase() !== c.armId.toLowerCase()) continue;
      if (q.resourceGroup && q.resourceGroup.toLowerCase() !== parts[4]?.toLowerCase()) continue;
      const inst = await this.fleet.findInstance(c.uid, name);
      if (inst) hits.push({ uid: c.uid, clusterId: c.armId, inst });
    }
    if (hits.length === 1) return hits[0]!;
    if (hits.length === 0) throw new TlError(404, 'NodeNotFound', `No node named '${name}'${q.cluster ? ` in cluster '${q.cluster}'` : ''}. List nodes with 'kubectl get nodes' or GET /_aksemu/nodes.`);
    throw new TlError(409, 'AmbiguousNodeName', `Several clusters have a node named '${name}': name the cluster with --cluster-name and --resource-group.`);
  }

  private async trustedLaunchRecord(uid: string, inst: InstanceRecord): Promise<{ rec: NodeRecord; image: NodeImage }> {
    const image = this.image(inst.model.image);
    if (!image?.trustedLaunch) {
      throw new TlError(409, 'NotTrustedLaunchNode', `Node '${inst.name}' runs node image ${inst.model.image}, which is not a Trusted Launch image: it has no Secure Boot or vTPM. Use a node of a pool created with a Trusted Launch compatible configuration.`);
    }
    const rec = (await getJson<NodeRecord>(this.deps.store, nodeRecordKey(uid, inst.name)))?.value;
    if (rec && rec.instanceCreatedAt === inst.createdAt && rec.boot) return { rec, image };
    // A node that booted with both switches off and no history has no record yet: its boot is the image's.
    const sp = inst.model.securityProfile;
    if (inst.facts && !sp.enableSecureBoot && !sp.enableVTPM && (inst.state === 'Running' || inst.state === 'Failed')) {
      const fresh = this.newRecord(uid, inst.pool, inst, inst.model);
      fresh.boot = { seq: inst.bootCount, bootId: inst.facts.bootId, at: inst.facts.bootedAt, image: inst.model.image, secureBoot: false, vtpm: false, gpuDriverInstalled: this.gpuDriverInstalled(inst.model), tampers: [] };
      return { rec: fresh, image };
    }
    throw new TlError(409, 'NodeNotBooted', `Node '${inst.name}' has not booted yet: wait until its pool's operation has finished.`);
  }

  private gpuDriverInstalled(model: NodeModel): boolean {
    return (findVmSize(model.vmSize)?.gpus ?? 0) > 0 && model.gpuDriver !== 'None';
  }

  private requireVtpm(rec: NodeRecord, inst: InstanceRecord): VtpmState {
    if (!rec.vtpm) {
      throw new TlError(409, 'VTPMNotEnabled', `Node '${inst.name}' has no vTPM: its node pool runs with vTPM disabled. Enable it with 'az aks nodepool update --enable-vtpm' (the nodes are reimaged).`);
    }
    if (inst.state !== 'Running') throw new TlError(409, 'NodeNotRunning', `Node '${inst.name}' is ${inst.state}: a quote needs a running node${rec.boot?.halted ? ` (its last boot halted at the ${rec.boot.halted.label}; see 'aksemu node boot-log ${inst.name}')` : ''}.`);
    return rec.vtpm;
  }

  // ------------------------------------------------------------------------------------------- operations

  async bootLog(uid: string, inst: InstanceRecord) {
    const { rec, image } = await this.trustedLaunchRecord(uid, inst);
    const b = rec.boot!;
    const bootImage = this.image(b.image) ?? image;
    const { result } = await this.runBoot(bootImage, b.secureBoot, b.gpuDriverInstalled, b.tampers);
    const boot: BootView = { ...b, kernelArgs: imageKernelArgs(bootImage), steps: result.steps, modules: result.modules, serial: result.serial };
    const events = rec.vtpm?.eventLog ? parseLog(Buffer.from(rec.vtpm.eventLog, 'base64')) : [];
    return {
      node: inst.name,
      state: inst.state,
      vmId: rec.vmId,
      boot,
      tampers: rec.tampers,
      ...(rec.vtpm ? { pcrs: Object.fromEntries(rec.vtpm.pcrs.map((v, i) => [i, v]).filter(([, v]) => v !== '0'.repeat(64))) } : {}),
      events: events.map((e) => ({ pcr: e.pcr, type: eventTypeName(e.type), digest: e.digest.toString('hex'), description: describeEvent(e) })),
      // The last attestation with its quote's verification checks (the dashboard's node page shows them).
      ...(rec.attestation ? { attestation: { at: rec.attestation.at, healthy: rec.attestation.healthy, checks: rec.attestation.checks, deviations: rec.attestation.deviations, findings: rec.attestation.findings, alerts: rec.attestation.alerts } } : {}),
    };
  }

  async exportQuote(uid: string, inst: InstanceRecord, nonce: Buffer, pcrs: number[]) {
    const { rec } = await this.trustedLaunchRecord(uid, inst);
    const vtpm = this.requireVtpm(rec, inst);
    const q = quote(vtpm, this.deps.sealer, rec.vmId, nonce, pcrs, this.deps.clock.nowMs());
    const pki = await this.pki();
    return {
      node: inst.name,
      vmId: rec.vmId,
      akPublicKeyPem: vtpm.akPublicPem,
      akCertificatePem: vtpm.akCertPem,
      caCertificatesPem: [pki.get('vtpmCa').pem, pki.get('vtpmRoot').pem],
      nonce: nonce.toString('hex'),
      pcrs: Object.fromEntries(q.pcrs.map((p, i) => [p, q.values[i]!.toString('hex')])),
      files: {
        'ak.pem': Buffer.from(vtpm.akPublicPem).toString('base64'),
        'quote.msg': q.attest.toString('base64'),
        'quote.sig': q.signature.toString('base64'),
        'quote.pcrs': encodeTpm2ToolsPcrs(TPM_ALG.SHA256, q.pcrs, q.values).toString('base64'),
        'eventlog.bin': vtpm.eventLog,
      },
    };
  }

  async attest(uid: string, inst: InstanceRecord): Promise<AttestationSummary & { node: string; vmId: string }> {
    const { rec, image } = await this.trustedLaunchRecord(uid, inst);
    this.requireVtpm(rec, inst);
    const summary = await this.attestRecord(rec, image, rec.boot!.secureBoot);
    await updateJson<NodeRecord>(this.deps.store, nodeRecordKey(rec.uid, rec.node), (cur) => (cur && cur.vmId === rec.vmId ? { ...cur, attestation: summary } : undefined));
    return { node: inst.name, vmId: rec.vmId, ...summary };
  }

  async tamper(uid: string, inst: InstanceRecord, componentName: string, mode: string | undefined, reboot: boolean) {
    const image = this.image(inst.model.image);
    if (!image?.trustedLaunch) throw new TlError(409, 'NotTrustedLaunchNode', `Node '${inst.name}' does not run a Trusted Launch image (${inst.model.image}); tampering demonstrations need a Trusted Launch node.`);
    const component = resolveComponentId(componentName);
    const pki = await this.pki();
    const present = imageComponents(pki, image, { gpuDriverInstalled: this.gpuDriverInstalled(inst.model) }, this.pkiId);
    const known = component && (present.some((c) => c.id === component) || component === 'module:nvidia');
    if (!component || !known) {
      throw new TlError(400, 'InvalidComponent', `Unknown boot component '${componentName}'. Use one of: shim, bootloader, kernel, initrd, gpu-driver, or module:<name> (${present.filter((c) => c.kind === 'module').map((c) => c.id).join(', ')}).`);
    }
    if (mode !== undefined && mode !== 'restore' && !TAMPER_MODES.includes(mode as TamperMode)) {
      throw new TlError(400, 'InvalidTamperMode', `Unknown tamper mode '${mode}'. Use one of: ${TAMPER_MODES.join(', ')}, or restore.`);
    }
    if (inst.state !== 'Running' && inst.state !== 'Failed') throw new TlError(409, 'NodeNotRunning', `Node '${inst.name}' is ${inst.state}: wait until its pool's operation has finished.`);
    const isPresent = present.some((c) => c.id === component);
    const chosen: TamperMode | 'restore' = (mode as TamperMode | 'restore' | undefined) ?? (isPresent ? 'modify' : 'unsigned');
    const { rec: base } = await this.trustedLaunchRecord(uid, inst);
    const key = nodeRecordKey(uid, inst.name);
    const updated = await updateJson<NodeRecord>(this.deps.store, key, (stored) => {
      const cur = stored && stored.instanceCreatedAt === inst.createdAt ? stored : base;
      const others = cur.tampers.filter((t) => t.component !== component);
      return { ...cur, tampers: chosen === 'restore' ? others : [...others, { component, mode: chosen, at: this.deps.clock.iso() }] };
    });
    if (!updated) throw new TlError(409, 'NodeNotBooted', `Node '${inst.name}' has not booted yet: wait until its pool's operation has finished.`);
    if (reboot) await this.fleet.restartInstance(uid, inst.pool, inst.name);
    return { node: inst.name, component, mode: chosen, tampers: updated.tampers, rebooting: reboot };
  }
}

/**
 * Agent pools of type VirtualMachines (SPEC C-14): their nodes are sized by `virtualMachinesProfile.scale`, several
 * sizes in one pool: `manual` entries run `count` nodes of their size, `autoscale` entries the `minCount` nodes the
 * autoscaler keeps without load. The pool's count is their sum and its vmSize the first size; the nodes it runs are
 * shown per size in `virtualMachineNodesStatus` (nodes-status.ts).
 */
import { ArmError } from '../../arm/errors.js';
import { findVmSize } from '../../fleet/catalog/vm-sizes.js';

export interface SizeCount {
  size: string;
  count: number;
}

const bad = (target: string, message: string) => new ArmError(400, 'InvalidParameter', message, target);

function entries(v: unknown, target: string): Array<Record<string, unknown>> {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((e) => !e || typeof e !== 'object' || Array.isArray(e))) throw bad(target, `The value of parameter ${target} must be an array of objects.`);
  return v as Array<Record<string, unknown>>;
}

function nonNegative(v: unknown, target: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 1000) throw bad(target, `The value of parameter ${target} must be an integer from 0 to 1000.`);
  return v;
}

function knownSize(v: unknown, target: string): string {
  const size = typeof v === 'string' ? findVmSize(v) : undefined;
  if (!size) throw bad(target, `The VM size '${String(v)}' of parameter ${target} is not available.`);
  return size.name;
}

/** The sizes a VirtualMachines pool asks for (undefined when it names none), validated. */
export function vmProfileSizes(profile: unknown, target: string): SizeCount[] | undefined {
  if (profile === undefined || profile === null) return undefined;
  if (typeof profile !== 'object' || Array.isArray(profile)) throw bad(target, `The value of parameter ${target} must be an object.`);
  const scale = (profile as { scale?: unknown }).scale;
  if (scale === undefined || scale === null) return undefined;
  if (typeof scale !== 'object' || Array.isArray(scale)) throw bad(`${target}.scale`, `The value of parameter ${target}.scale must be an object.`);
  const s = scale as { manual?: unknown; autoscale?: unknown };
  const out: SizeCount[] = [];
  entries(s.manual, `${target}.scale.manual`).forEach((e, i) => {
    const t = `${target}.scale.manual[${i}]`;
    out.push({ size: knownSize(e.size, `${t}.size`), count: nonNegative(e.count, `${t}.count`) });
  });
  entries(s.autoscale, `${target}.scale.autoscale`).forEach((e, i) => {
    const t = `${target}.scale.autoscale[${i}]`;
    const min = nonNegative(e.minCount, `${t}.minCount`);
    const max = nonNegative(e.maxCount, `${t}.maxCount`);
    if (max < min) throw bad(`${t}.maxCount`, `The value of parameter ${t}.maxCount must not be less than minCount.`);
    out.push({ size: knownSize(e.size, `${t}.size`), count: min });
  });
  if (new Set(out.map((e) => e.size.toLowerCase())).size !== out.length) throw bad(`${target}.scale`, `Each VM size may appear only once in ${target}.scale.`);
  return out.length > 0 ? out : undefined;
}

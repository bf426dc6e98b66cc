/**
 * Kubernetes RBAC's rule semantics (SPEC Z-3), as upstream's rbac authorizer and its escalation check evaluate
 * them: whether a PolicyRule allows a request, and whether a set of rules covers another rule (a requester may
 * only grant what it holds).
 */
import type { Attributes, ResourceAttributes } from './attributes.js';
import { combinedResource } from './attributes.js';

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

const has = (list: string[] | undefined, v: string) => (list ?? []).includes(v);

function verbMatches(rule: PolicyRule, verb: string): boolean {
  return has(rule.verbs, '*') || has(rule.verbs, verb);
}

function resourceMatches(rule: PolicyRule, a: ResourceAttributes): boolean {
  const combined = combinedResource(a);
  for (const r of rule.resources ?? []) {
    if (r === '*' || r === combined) return true;
    // "*/scale" grants that subresource of every resource.
    if (a.subresource && r.startsWith('*/') && r.slice(2) === a.subresource) return true;
  }
  return false;
}

function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === '*' || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.slice(0, -1))) return true;
  }
  return false;
}

/** Whether `rule` allows the request described by `a`. */
export function ruleAllows(rule: PolicyRule, a: Attributes): boolean {
  if (!verbMatches(rule, a.verb)) return false;
  if (!a.resourceRequest) return nonResourceURLMatches(rule, a.path);
  if (!(has(rule.apiGroups, '*') || has(rule.apiGroups, a.apiGroup))) return false;
  if (!resourceMatches(rule, a)) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(a.name);
}

/** One verb on one group/resource/name, or one verb on one URL: the atoms a rule is made of. */
function breakdown(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const verb of rule.verbs) {
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        const names = rule.resourceNames ?? [];
        if (names.length === 0) out.push({ verbs: [verb], apiGroups: [group], resources: [resource] });
        for (const n of names) out.push({ verbs: [verb], apiGroups: [group], resources: [resource], resourceNames: [n] });
      }
    }
    for (const url of rule.nonResourceURLs ?? []) out.push({ verbs: [verb], nonResourceURLs: [url] });
  }
  return out;
}

/** Whether `owner` covers the atomic rule `atom` (literal, except the owner's `*` and "*\/sub" and URL prefixes). */
function coversAtom(owner: PolicyRule, atom: PolicyRule): boolean {
  if (!(has(owner.verbs, '*') || has(owner.verbs, atom.verbs[0]!))) return false;
  if (atom.nonResourceURLs) {
    const url = atom.nonResourceURLs[0]!;
    return (owner.nonResourceURLs ?? []).some((u) => u === '*' || u === url || (u.endsWith('*') && url.startsWith(u.slice(0, -1))));
  }
  const group = atom.apiGroups![0]!;
  if (!(has(owner.apiGroups, '*') || has(owner.apiGroups, group))) return false;
  const resource = atom.resources![0]!;
  const sub = resource.includes('/') ? resource.slice(resource.indexOf('/') + 1) : '';
  const resourceOk = (owner.resources ?? []).some((r) => r === '*' || r === resource || (sub !== '' && r.startsWith('*/') && r.slice(2) === sub));
  if (!resourceOk) return false;
  const ownerNames = owner.resourceNames ?? [];
  if (ownerNames.length === 0) return true;
  return atom.resourceNames !== undefined && ownerNames.includes(atom.resourceNames[0]!);
}

/** The parts of `requested` that no rule of `owned` covers (empty: the requester holds all of it). */
export function uncoveredRules(owned: PolicyRule[], requested: PolicyRule[]): PolicyRule[] {
  const missing = requested.flatMap(breakdown).filter((atom) => !owned.some((o) => coversAtom(o, atom)));
  // Compacted as upstream prints them: one rule per group/resource/name with its verbs.
  const byKey = new Map<string, PolicyRule>();
  for (const m of missing) {
    const key = JSON.stringify([m.apiGroups, m.resources, m.resourceNames, m.nonResourceURLs]);
    const seen = byKey.get(key);
    if (seen) seen.verbs.push(m.verbs[0]!);
    else byKey.set(key, { ...m, verbs: [...m.verbs] });
  }
  return [...byKey.values()];
}

/** A rule as upstream's CompactString prints it: `{APIGroups:["apps"], Resources:["deployments"], Verbs:["get"]}`. */
export function compactRule(rule: PolicyRule): string {
  const list = (v: string[]) => `[${v.map((s) => JSON.stringify(s)).join(' ')}]`;
  const parts: string[] = [];
  if (rule.apiGroups?.length) parts.push(`APIGroups:${list(rule.apiGroups)}`);
  if (rule.resources?.length) parts.push(`Resources:${list(rule.resources)}`);
  if (rule.resourceNames?.length) parts.push(`ResourceNames:${list(rule.resourceNames)}`);
  if (rule.nonResourceURLs?.length) parts.push(`NonResourceURLs:${list(rule.nonResourceURLs)}`);
  parts.push(`Verbs:${list(rule.verbs)}`);
  return `{${parts.join(', ')}}`;
}

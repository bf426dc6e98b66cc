/**
 * Kubernetes versions of clusters and pools (SPEC C-1): a version must be offered at the emulator's current date;
 * upgrades go one minor at a time and never down; a pool runs at most three minors behind its control plane and
 * never ahead of it.
 */
import { ArmError } from '../../../arm/errors.js';
import { compareVersions, findMinor, isMinorSupported, minorOf, parseVersion, resolveVersion, supportedMinors } from '../../../fleet/catalog/kubernetes-versions.js';
import type { ClusterRule, PoolRule } from './types.js';

export function versionNotSupported(version: string, now: Date, target: string): ArmError {
  const offered = supportedMinors(now).map((m) => m.minor).join(', ');
  return new ArmError(
    400,
    'KubernetesVersionNotSupported',
    `Kubernetes version ${version} is not supported on ${now.toISOString().slice(0, 10)}. Supported minor versions: ${offered}. Run 'az aks get-versions' and choose one of them.`,
    target,
  );
}

/** Resolves a requested version or throws KubernetesVersionNotSupported. */
export function requireVersion(requested: string | undefined, now: Date, target: string) {
  const r = resolveVersion(requested, now);
  if (!r || !isMinorSupported(r.minor, now)) throw versionNotSupported(requested || '(default)', now, target);
  return r;
}

function upgradeProblem(from: string, to: string, what: string): ArmError | undefined {
  const a = parseVersion(from)!;
  const b = parseVersion(to)!;
  if (compareVersions(to, from) < 0) {
    return new ArmError(400, 'KubernetesVersionDowngradeNotAllowed', `${what} cannot go from Kubernetes ${from} down to ${to}: downgrades are not supported.`);
  }
  if (b.major === a.major && b.minor > a.minor + 1) {
    return new ArmError(
      400,
      'KubernetesVersionSkipNotAllowed',
      `${what} cannot skip minor versions (${minorOf(from)} → ${minorOf(to)}): upgrade to ${a.major}.${a.minor + 1} first.`,
    );
  }
  return undefined;
}

export const clusterVersionRule: ClusterRule = ({ phase, cluster }) => {
  if (phase === 'update' && cluster.previousKubernetesVersion && cluster.previousKubernetesVersion !== cluster.kubernetesVersion) {
    const p = upgradeProblem(cluster.previousKubernetesVersion, cluster.kubernetesVersion, `The control plane of '${cluster.name}'`);
    if (p) throw p;
  }
};

export const poolVersionRule: PoolRule = ({ pool, kubernetesVersion, cluster, previous, now }) => {
  const minor = findMinor(kubernetesVersion);
  const changed = !previous || previous.kubernetesVersion !== kubernetesVersion;
  if (changed && (!minor || !isMinorSupported(minor, now))) throw versionNotSupported(kubernetesVersion, now, 'agentPoolProfile.orchestratorVersion');
  if (previous && changed) {
    const p = upgradeProblem(previous.kubernetesVersion, kubernetesVersion, `Node pool '${pool.name}'`);
    if (p) throw p;
  }
  const pv = parseVersion(kubernetesVersion)!;
  const cv = parseVersion(cluster.kubernetesVersion)!;
  if (compareVersions(minorOf(kubernetesVersion), minorOf(cluster.kubernetesVersion)) > 0 || cv.minor - pv.minor > 3) {
    throw new ArmError(
      400,
      'NodePoolVersionIncompatible',
      `Node pool '${pool.name}' version ${kubernetesVersion} must not be newer than the control plane (${cluster.kubernetesVersion}) nor more than three minor versions older: upgrade the control plane first or choose a version in range.`,
      'agentPoolProfile.orchestratorVersion',
    );
  }
};

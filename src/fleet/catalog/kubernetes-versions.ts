/**
 * Kubernetes versions AKS offers, as data: each minor with the date AKS made it generally available, the date its
 * community support ended in AKS, and its patch releases with the date each was released. Whether a version can be
 * used is evaluated against the emulator's clock (`--now`), so a test can stand at any date.
 *
 * Minor dates are approximate AKS release-calendar dates. The three newest minors never expire, so an emulator
 * started long after this table was written still offers something to create clusters with.
 *
 * Patch dates (SPEC C-10): where AKS's release notes (github.com/Azure/AKS CHANGELOG.md) say when AKS added a patch
 * (1.27), that date; otherwise the upstream Kubernetes release date of the patch (AKS never offers a patch before
 * upstream released it); the dates of 1.34.4 and later are estimates on upstream's monthly cadence. A patch is
 * offered from its date on, so `--kubernetes-version 1.26` at 2023-06-15 resolves to the newest patch released by
 * then. The first patch listed for a minor stands for the minor's earliest AKS patches and is offered for the
 * minor's whole window, so a supported minor always has a version.
 */
export interface KubernetesMinor {
  minor: string;
  /** AKS general availability (YYYY-MM-DD). */
  ga: string;
  /**
   * AKS preview (YYYY-MM-DD), where the table knows one: from this day until `ga` the minor is offered as a preview
   * (`isPreview` in the version lists and upgrades; never the default).
   */
  preview?: string;
  /** End of AKS community support (YYYY-MM-DD): from this day the minor can no longer be chosen. */
  endOfSupport: string;
  /** The minor's patches, oldest first, each with the day it was released (YYYY-MM-DD). */
  patchReleases: Record<string, string>;
}

export const KUBERNETES_MINORS: KubernetesMinor[] = [
  { minor: '1.18', ga: '2020-06-17', endOfSupport: '2021-03-31', patchReleases: { '1.18.14': '2020-12-18', '1.18.17': '2021-03-18', '1.18.19': '2021-05-12' } },
  { minor: '1.19', ga: '2020-11-04', endOfSupport: '2021-08-31', patchReleases: { '1.19.7': '2021-01-13', '1.19.9': '2021-03-18', '1.19.11': '2021-05-12' } },
  { minor: '1.20', ga: '2021-03-08', endOfSupport: '2021-11-30', patchReleases: { '1.20.7': '2021-05-12', '1.20.9': '2021-07-14' } },
  { minor: '1.21', ga: '2021-07-15', endOfSupport: '2022-07-31', patchReleases: { '1.21.2': '2021-06-16', '1.21.9': '2022-01-19' } },
  { minor: '1.22', ga: '2021-12-01', endOfSupport: '2023-01-31', patchReleases: { '1.22.6': '2022-01-19', '1.22.15': '2022-09-21' } },
  { minor: '1.23', ga: '2022-04-01', endOfSupport: '2023-04-30', patchReleases: { '1.23.8': '2022-06-15', '1.23.15': '2022-12-08' } },
  { minor: '1.24', ga: '2022-07-01', endOfSupport: '2023-07-31', patchReleases: { '1.24.6': '2022-09-21', '1.24.9': '2022-12-08' } },
  { minor: '1.25', ga: '2022-12-01', endOfSupport: '2023-12-31', patchReleases: { '1.25.5': '2022-12-08', '1.25.15': '2023-10-18' } },
  { minor: '1.26', ga: '2023-03-01', endOfSupport: '2024-03-31', patchReleases: { '1.26.6': '2023-06-14', '1.26.12': '2023-12-19' } },
  // AKS release notes: 1.27 arrived in the 2023-06-11 release (public preview, patch 1.27.1), 1.27.3 in 2023-07-23,
  // GA in 2023-07-30, 1.27.7 in 2023-11-05 and 1.27.9 in 2024-02-26. Offered here from the preview on.
  {
    minor: '1.27',
    ga: '2023-06-11',
    endOfSupport: '2024-07-31',
    patchReleases: { '1.27.1': '2023-06-11', '1.27.3': '2023-07-23', '1.27.7': '2023-11-05', '1.27.9': '2024-02-26' },
  },
  { minor: '1.28', ga: '2023-09-01', endOfSupport: '2024-11-30', patchReleases: { '1.28.5': '2023-12-19', '1.28.15': '2024-10-22' } },
  { minor: '1.29', ga: '2024-02-01', endOfSupport: '2025-03-31', patchReleases: { '1.29.7': '2024-07-16', '1.29.14': '2025-02-12' } },
  { minor: '1.30', ga: '2024-06-01', endOfSupport: '2025-07-31', patchReleases: { '1.30.9': '2025-01-15', '1.30.14': '2025-06-17' } },
  { minor: '1.31', ga: '2024-09-01', endOfSupport: '2025-11-30', patchReleases: { '1.31.5': '2025-01-15', '1.31.11': '2025-07-15' } },
  { minor: '1.32', ga: '2025-01-15', endOfSupport: '2026-04-30', patchReleases: { '1.32.3': '2025-03-11', '1.32.7': '2025-07-15' } },
  { minor: '1.33', ga: '2025-06-01', endOfSupport: '2026-06-30', patchReleases: { '1.33.2': '2025-06-17', '1.33.5': '2025-09-09' } },
  { minor: '1.34', ga: '2025-10-01', endOfSupport: '2026-11-30', patchReleases: { '1.34.1': '2025-09-09', '1.34.4': '2026-02-10' } },
  { minor: '1.35', ga: '2026-02-01', endOfSupport: '2027-03-31', patchReleases: { '1.35.1': '2026-01-13', '1.35.3': '2026-03-17' } },
  // 1.36: the preview date is an estimate, like its GA date (AKS previews a minor a few weeks after upstream's .0).
  { minor: '1.36', preview: '2026-05-11', ga: '2026-06-01', endOfSupport: '2027-07-31', patchReleases: { '1.36.0': '2026-04-22', '1.36.2': '2026-06-16' } },
];

/** A minor's patches, oldest first. */
export const patchesOf = (m: KubernetesMinor): string[] => Object.keys(m.patchReleases);

const NEVER_EXPIRING = 3;

export interface VersionParts {
  major: number;
  minor: number;
  patch?: number;
}

/** "1.30" or "1.30.9" (a leading "v" is tolerated); undefined when not a version. */
export function parseVersion(v: string): VersionParts | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?$/.exec(v.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), ...(m[3] !== undefined ? { patch: Number(m[3]) } : {}) };
}

/** Compares two versions (a missing patch counts as 0): negative, 0 or positive. */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (!pa || !pb) throw new Error(`not versions: ${a}, ${b}`);
  return pa.major - pb.major || pa.minor - pb.minor || (pa.patch ?? 0) - (pb.patch ?? 0);
}

export const minorOf = (v: string): string => {
  const p = parseVersion(v);
  return p ? `${p.major}.${p.minor}` : v;
};

export function findMinor(v: string): KubernetesMinor | undefined {
  return KUBERNETES_MINORS.find((m) => m.minor === minorOf(v));
}

const day = (d: string) => Date.parse(`${d}T00:00:00Z`);

/** Whether a minor can be chosen at `now` (in preview or generally available, and still supported). */
export function isMinorSupported(m: KubernetesMinor, now: Date): boolean {
  const t = now.getTime();
  if (t < day(m.preview ?? m.ga)) return false;
  const newest = KUBERNETES_MINORS.slice(-NEVER_EXPIRING).includes(m);
  return newest || t < day(m.endOfSupport);
}

export function supportedMinors(now: Date): KubernetesMinor[] {
  return KUBERNETES_MINORS.filter((m) => isMinorSupported(m, now));
}

/** Whether a minor is in preview at `now`: offered, not yet generally available. */
export function isMinorPreview(m: KubernetesMinor, now: Date): boolean {
  return m.preview !== undefined && isMinorSupported(m, now) && now.getTime() < day(m.ga);
}

/** Whether a version belongs to a minor in preview at `now`. */
export function isPreviewVersion(v: string, now: Date): boolean {
  const m = findMinor(v);
  return m !== undefined && isMinorPreview(m, now);
}

/** The default for new clusters: the newest-but-one generally available minor (AKS defaults to N-1). */
export function defaultMinor(now: Date): KubernetesMinor {
  const s = supportedMinors(now).filter((m) => !isMinorPreview(m, now));
  return s.length >= 2 ? s[s.length - 2]! : (s[0] ?? KUBERNETES_MINORS[KUBERNETES_MINORS.length - 1]!);
}

/** The patches of a minor AKS offers at `now` (the first one for the minor's whole window, whatever its date). */
export function offeredPatches(m: KubernetesMinor, now: Date): string[] {
  const t = now.getTime();
  return patchesOf(m).filter((p, i) => i === 0 || day(m.patchReleases[p]!) <= t);
}

/** The newest patch of a minor offered at `now`. */
export function latestPatch(m: KubernetesMinor, now: Date): string {
  const offered = offeredPatches(m, now);
  return offered[offered.length - 1]!;
}

/**
 * Resolves a requested version ("" → default minor, "1.30" → its newest patch, "1.30.9" → itself when known).
 * Returns undefined when the version is unknown (the caller answers with a clear error).
 */
export function resolveVersion(requested: string | undefined, now: Date): { requested: string; current: string; minor: KubernetesMinor } | undefined {
  if (!requested) {
    const m = defaultMinor(now);
    return { requested: m.minor, current: latestPatch(m, now), minor: m };
  }
  const parts = parseVersion(requested);
  const m = findMinor(requested);
  if (!parts || !m) return undefined;
  const norm = `${parts.major}.${parts.minor}${parts.patch !== undefined ? `.${parts.patch}` : ''}`;
  if (parts.patch === undefined) return { requested: norm, current: latestPatch(m, now), minor: m };
  if (!offeredPatches(m, now).includes(norm)) return undefined;
  return { requested: norm, current: norm, minor: m };
}

/**
 * The versions a control plane or pool at `from` can move to at `now` (SPEC C-1: never down, one minor at a time,
 * only to versions offered then): the newer patches of its minor and the patches of the next minor.
 */
export function upgradesFrom(from: string, now: Date): string[] {
  const parts = parseVersion(from);
  if (!parts) return [];
  const offered = (minor: string) => {
    const m = KUBERNETES_MINORS.find((k) => k.minor === minor);
    return m && isMinorSupported(m, now) ? offeredPatches(m, now) : [];
  };
  return [...offered(`${parts.major}.${parts.minor}`), ...offered(`${parts.major}.${parts.minor + 1}`)].filter((v) => compareVersions(v, from) > 0);
}

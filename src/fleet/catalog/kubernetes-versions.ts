/**
 * Kubernetes versions AKS offers, as data: each minor with the date AKS made it generally available, the date its
 * community support ended in AKS, and its patch releases. Whether a version can be used is evaluated against the
 * emulator's clock (`--now`), so a test can stand at any date.
 *
 * Dates are approximate AKS release-calendar dates. The three newest minors never expire, so an emulator started
 * long after this table was written still offers something to create clusters with. Where the dates AKS added
 * patch releases are known (its release notes, github.com/Azure/AKS CHANGELOG.md), `patchReleases` gives them and a
 * patch is offered from that date on; other patches are offered for the minor's whole window.
 */
export interface KubernetesMinor {
  minor: string;
  /** AKS general availability (YYYY-MM-DD). */
  ga: string;
  /** End of AKS community support (YYYY-MM-DD): from this day the minor can no longer be chosen. */
  endOfSupport: string;
  patches: string[];
  /** When AKS added a patch (YYYY-MM-DD), where known: before that date the patch is not offered. */
  patchReleases?: Record<string, string>;
}

export const KUBERNETES_MINORS: KubernetesMinor[] = [
  { minor: '1.18', ga: '2020-06-17', endOfSupport: '2021-03-31', patches: ['1.18.14', '1.18.17', '1.18.19'] },
  { minor: '1.19', ga: '2020-11-04', endOfSupport: '2021-08-31', patches: ['1.19.7', '1.19.9', '1.19.11'] },
  { minor: '1.20', ga: '2021-03-08', endOfSupport: '2021-11-30', patches: ['1.20.7', '1.20.9'] },
  { minor: '1.21', ga: '2021-07-15', endOfSupport: '2022-07-31', patches: ['1.21.2', '1.21.9'] },
  { minor: '1.22', ga: '2021-12-01', endOfSupport: '2023-01-31', patches: ['1.22.6', '1.22.15'] },
  { minor: '1.23', ga: '2022-04-01', endOfSupport: '2023-04-30', patches: ['1.23.8', '1.23.15'] },
  { minor: '1.24', ga: '2022-07-01', endOfSupport: '2023-07-31', patches: ['1.24.6', '1.24.9'] },
  { minor: '1.25', ga: '2022-12-01', endOfSupport: '2023-12-31', patches: ['1.25.5', '1.25.15'] },
  { minor: '1.26', ga: '2023-03-01', endOfSupport: '2024-03-31', patches: ['1.26.6', '1.26.12'] },
  // AKS release notes: 1.27 arrived in the 2023-06-11 release (public preview, patch 1.27.1), 1.27.3 in 2023-07-23,
  // GA in 2023-07-30, 1.27.7 in 2023-11-05 and 1.27.9 in 2024-02-26. Offered here from the preview on.
  {
    minor: '1.27',
    ga: '2023-06-11',
    endOfSupport: '2024-07-31',
    patches: ['1.27.1', '1.27.3', '1.27.7', '1.27.9'],
    patchReleases: { '1.27.1': '2023-06-11', '1.27.3': '2023-07-23', '1.27.7': '2023-11-05', '1.27.9': '2024-02-26' },
  },
  { minor: '1.28', ga: '2023-09-01', endOfSupport: '2024-11-30', patches: ['1.28.5', '1.28.15'] },
  { minor: '1.29', ga: '2024-02-01', endOfSupport: '2025-03-31', patches: ['1.29.7', '1.29.14'] },
  { minor: '1.30', ga: '2024-06-01', endOfSupport: '2025-07-31', patches: ['1.30.9', '1.30.14'] },
  { minor: '1.31', ga: '2024-09-01', endOfSupport: '2025-11-30', patches: ['1.31.5', '1.31.11'] },
  { minor: '1.32', ga: '2025-01-15', endOfSupport: '2026-04-30', patches: ['1.32.3', '1.32.7'] },
  { minor: '1.33', ga: '2025-06-01', endOfSupport: '2026-06-30', patches: ['1.33.2', '1.33.5'] },
  { minor: '1.34', ga: '2025-10-01', endOfSupport: '2026-11-30', patches: ['1.34.1', '1.34.4'] },
  { minor: '1.35', ga: '2026-02-01', endOfSupport: '2027-03-31', patches: ['1.35.1', '1.35.3'] },
  { minor: '1.36', ga: '2026-06-01', endOfSupport: '2027-07-31', patches: ['1.36.0', '1.36.2'] },
];

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

/** Whether a minor can be chosen at `now`. */
export function isMinorSupported(m: KubernetesMinor, now: Date): boolean {
  const t = now.getTime();
  if (t < day(m.ga)) return false;
  const newest = KUBERNETES_MINORS.slice(-NEVER_EXPIRING).includes(m);
  return newest || t < day(m.endOfSupport);
}

export function supportedMinors(now: Date): KubernetesMinor[] {
  return KUBERNETES_MINORS.filter((m) => isMinorSupported(m, now));
}

/** The default for new clusters: the newest-but-one supported minor (AKS defaults to N-1). */
export function defaultMinor(now: Date): KubernetesMinor {
  const s = supportedMinors(now);
  return s.length >= 2 ? s[s.length - 2]! : (s[0] ?? KUBERNETES_MINORS[KUBERNETES_MINORS.length - 1]!);
}

/** The patches of a minor AKS offers at `now` (the first one from the minor's start, whatever its recorded date). */
export function offeredPatches(m: KubernetesMinor, now: Date): string[] {
  const t = now.getTime();
  return m.patches.filter((p, i) => i === 0 || !m.patchReleases?.[p] || day(m.patchReleases[p]!) <= t);
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

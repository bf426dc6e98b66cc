/**
 * SPEC K-13: which API servers carry the KMS checks in /livez (and so are restarted by a failing KMS plugin):
 * kube-apiserver until 1.28; from 1.29 they are /healthz and /readyz checks only. The acceptance of both sides is
 * test/kms/disabled-key.test.ts (1.26 and 1.29 clusters); this pins the boundary and the unknown version.
 */
import { describe, expect, it } from 'vitest';
import { kmsChecksInLivez } from '../../src/providers/containerservice/kms/state.js';

describe('kmsChecksInLivez', () => {
  it('is true up to 1.28 and false from 1.29', () => {
    expect(['1.26', '1.26.12', '1.27.9', '1.28.15', 'v1.28.0'].map(kmsChecksInLivez)).toEqual([true, true, true, true, true]);
    expect(['1.29', '1.29.7', '1.32.7', '1.36.2'].map(kmsChecksInLivez)).toEqual([false, false, false, false]);
  });

  it('treats an unknown version as the current default (1.29+): no KMS check in /livez', () => {
    expect(kmsChecksInLivez(undefined)).toBe(false);
    expect(kmsChecksInLivez('')).toBe(false);
  });
});

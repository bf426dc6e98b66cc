/** Patch documents: their shape checks and how each patch type applies to an object. */
import { KubeError, kubeErrors } from '../machinery/errors.js';
import { applyJsonPatch, applyMergePatch } from '../machinery/json-patch.js';
import type { ResourceDef } from '../machinery/resource.js';
import { fieldType } from '../machinery/schema.js';
import { PatchError, strategicMerge } from '../machinery/strategic-merge.js';
import { clone } from '../../util/deep.js';

export type PatchType = 'json' | 'merge' | 'strategic';

const MAX_JSON_PATCH_OPERATIONS = 10_000;

/** Refuses a patch document of the wrong JSON shape for its type (before anything is read). */
export function checkPatchDocument(type: PatchType, patch: unknown): void {
  if (type === 'json') {
    if (!Array.isArray(patch)) throw kubeErrors.badRequest(`json: cannot unmarshal ${patch === null ? 'null' : typeof patch} into Go value of type jsonpatch.Patch`);
    if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
      throw new KubeError(413, 'RequestEntityTooLarge', `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`);
    }
  } else if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw kubeErrors.badRequest(`json: cannot unmarshal ${Array.isArray(patch) ? 'array' : patch === null ? 'null' : typeof patch} into Go value of type map[string]interface {}`);
  }
}

/**
 * Applies a patch document to an object (as JSON), as a KubeError when it cannot apply. A JSON patch that does not
 * apply (a missing path, a failed test, an unknown op) gets what kube-apiserver answers: 422 Invalid "the server
 * rejected our request due to an error in our request" with the patch library's words as the cause; the other
 * patch types' errors keep their own message.
 */
export function applyPatch(def: ResourceDef, base: Record<string, unknown>, type: PatchType, patch: unknown): unknown {
  try {
    if (type === 'merge') return applyMergePatch(clone(base), patch);
    if (type === 'strategic') return strategicMerge(base, patch, def.model, fieldType);
    return applyJsonPatch(base, patch as unknown[]);
  } catch (err) {
    if (!(err instanceof PatchError)) throw err;
    if (err.status === 400) throw kubeErrors.badRequest(err.message);
    if (type === 'json') {
      throw new KubeError(422, 'Invalid', 'the server rejected our request due to an error in our request', { causes: [{ reason: 'UnexpectedServerResponse', message: err.message }] });
    }
    throw new KubeError(422, 'Invalid', err.message);
  }
}

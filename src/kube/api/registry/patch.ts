/** Patch documents: their shape checks and how each patch type applies to an object. */
import jsonMergePatch from 'json-merge-patch';
import jsonPatch from 'fast-json-patch';
import { KubeError, kubeErrors } from '../machinery/errors.js';
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

/** Applies a patch document to an object (as JSON). Throws PatchError for patches that cannot apply. */
export function applyPatch(def: ResourceDef, base: Record<string, unknown>, type: PatchType, patch: unknown): unknown {
  if (type === 'merge') return jsonMergePatch.apply(clone(base), patch);
  if (type === 'strategic') return strategicMerge(base, patch, def.model, fieldType);
  try {
    return jsonPatch.applyPatch(clone(base), patch as jsonPatch.Operation[], true, false).newDocument;
  } catch (err) {
    if (err instanceof jsonPatch.JsonPatchError) {
      const structural = ['SEQUENCE_NOT_AN_ARRAY', 'OPERATION_NOT_AN_OBJECT', 'OPERATION_OP_INVALID', 'OPERATION_PATH_INVALID', 'OPERATION_FROM_REQUIRED', 'OPERATION_VALUE_REQUIRED'];
      throw new PatchError(err.message.split('\n')[0]!, structural.includes(err.name) ? 400 : 422);
    }
    throw err;
  }
}

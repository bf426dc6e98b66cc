/**
 * v1 PodTemplates: a stored pod template that nothing runs (upstream keeps them for tools and controllers that
 * read them). Served as kube-apiserver serves them (SPEC W-4): the template's pod defaults and validation, and
 * kubectl's columns (CONTAINERS, IMAGES, POD LABELS).
 */
import type { FieldError } from '../api/machinery/errors.js';
import type { ResourceDef } from '../api/machinery/resource.js';
import { READ_WRITE } from '../api/machinery/resource.js';
import type { Pod, PodTemplate } from '../api/machinery/types.js';
import { validateAnnotations, validateLabels } from '../api/machinery/validation.js';
import { age } from '../util/age.js';
import { defaultTemplate, templateCells } from './apps-common.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './common.js';
import { pods } from './pods.js';

function validateTemplate(pt: PodTemplate): FieldError[] {
  const t = pt.template;
  if (!t) return [{ type: 'FieldValueRequired', field: 'template', detail: '' }];
  const errs = [...validateLabels(t.metadata?.labels, 'template.metadata.labels'), ...validateAnnotations(t.metadata?.annotations, 'template.metadata.annotations')];
  const podErrs = pods.validate?.({ metadata: { name: 'template', namespace: 'default' }, spec: t.spec } as Pod) ?? [];
  for (const e of podErrs) errs.push({ ...e, field: `template.${e.field}` });
  return errs;
}

export const podtemplates: ResourceDef<PodTemplate> = {
  group: '',
  version: 'v1',
  resource: 'podtemplates',
  singular: 'podtemplate',
  kind: 'PodTemplate',
  namespaced: true,
  verbs: READ_WRITE,
  subresources: [],
  model: 'V1PodTemplate',
  nameFormat: 'subdomain',
  allowCreateOnUpdate: false,
  returnDeletedObject: false,
  hasStatus: false,
  generation: false,
  fieldSelectors: {},
  columns: [
    NAME_COLUMN,
    column('Containers', 'string', 'Names of each container in the template.'),
    column('Images', 'string', 'Images referenced by each container in the template.'),
    column('Pod Labels', 'string', 'The labels for the pod template.'),
    AGE_COLUMN,
  ],
  cells: (pt, ctx) => {
    const [containers, images] = templateCells(pt.template);
    const labels = Object.entries(pt.template?.metadata?.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    return [pt.metadata.name, containers, images, labels || '<none>', age(pt.metadata.creationTimestamp, ctx.now)];
  },
  defaults: (pt) => defaultTemplate(pt.template),
  validate: validateTemplate,
  validateUpdate: (pt) => validateTemplate(pt),
};

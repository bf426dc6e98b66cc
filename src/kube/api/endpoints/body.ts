/**
 * Request bodies into JSON values, with kube-apiserver's answers for every way a body can be unreadable:
 *
 * - media type: JSON and YAML are decoded; protobuf (which `kubectl debug` posts) and anything else get 415;
 * - malformed JSON/YAML: 400 "the object provided is unrecognized (must be of type Pod): couldn't get
 *   version/kind; json parse error: ...";
 * - hostile JSON/YAML (SPEC R-4): a YAML alias bomb gets 400 "...: yaml: document contains excessive aliasing", as
 *   kube-apiserver's YAML decoder answers it; nesting deeper than MAX_NESTING_DEPTH gets 400 "exceeded max depth"
 *   (before the YAML parser sees it: a deep enough document overflows its stack); a `__proto__` key gets 400.
 *
 * Checking the value against the endpoint's kind is `decodeAsKind` (registry/decode.ts).
 */
import type { Node as YamlNode } from 'yaml';
import { yaml } from '../../../util/yaml.js';
import { type KubeError, kubeErrors } from '../machinery/errors.js';
import type { ParsedBody } from '../registry/decode.js';
import { decodeProtobufBody, PROTOBUF_MEDIA_TYPE } from '../machinery/protobuf.js';

export const ACCEPTED_BODY_TYPES = ['application/json', 'application/yaml', PROTOBUF_MEDIA_TYPE];

export type BodyFormat = 'json' | 'yaml' | 'protobuf';

/** The body's format from its Content-Type (JSON when absent, as kube-apiserver assumes). */
export function bodyFormat(contentType: string | undefined, accepted: readonly string[] = ACCEPTED_BODY_TYPES): BodyFormat {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === '' || type === 'application/json' || type === 'text/json') return 'json';
  if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') return 'yaml';
  if (type === PROTOBUF_MEDIA_TYPE && accepted.includes(PROTOBUF_MEDIA_TYPE)) return 'protobuf';
  throw kubeErrors.unsupportedMediaType(type, [...accepted]);
}

/**
 * How deep a body may nest. kube-apiserver's decoders stop at 10000; aksemu stops far earlier because the YAML
 * parser and the registry's walks are recursive (the YAML parser overflows the stack below 1000 levels), and no
 * Kubernetes object comes near it.
 */
const MAX_NESTING_DEPTH = 200;
/** The aliases a YAML body may expand (the `yaml` package's count of nodes copied through aliases). */
const MAX_YAML_ALIAS_COUNT = 100;

function summarize(body: Buffer, max = 30): string {
  const s = body.toString('utf8');
  return s.length > max ? `${s.slice(0, max)}...` : s;
}

function yamlPathDuplicates(node: YamlNode | null | undefined, path: string, out: string[]): void {
  if (!node) return;
  const { isMap, isScalar, isSeq } = yaml();
  if (isMap(node)) {
    const seen = new Set<string>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const child = path ? `${path}.${key}` : key;
      if (seen.has(key)) out.push(child);
      seen.add(key);
      yamlPathDuplicates(pair.value as YamlNode, child, out);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => yamlPathDuplicates(item as YamlNode, `${path}[${i}]`, out));
  }
}

/** Whether some object key occurs twice anywhere in a JSON text (a cheap test before the precise check). */
function mayHaveDuplicateKeys(text: string): boolean {
  const seen = new Set<string>();
  const re = /"((?:[^"\\]|\\.)*)"\s*:/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (seen.has(m[1]!)) return true;
    seen.add(m[1]!);
  }
  return false;
}

function unrecognized(kind: string, why: string, body: Buffer): KubeError {
  return kubeErrors.badRequest(`the object provided is unrecognized (must be of type ${kind}): ${why} (${summarize(body)})`);
}

/**
 * The deepest nesting a YAML text can reach, over-estimated without parsing it: flow brackets still open (quoted
 * or not) plus the indentation of the line. Checked before parsing, which is recursive.
 */
function yamlNestingBound(text: string): number {
  let flow = 0;
  let worst = 0;
  let indent = 0;
  let lineStart = true;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 10) {
      lineStart = true;
      indent = 0;
      continue;
    }
    if (lineStart && (ch === 32 || ch === 45)) indent++; // spaces and "- " sequence entries both open a level
    else {
      lineStart = false;
      if (ch === 91 || ch === 123) flow++;
      else if ((ch === 93 || ch === 125) && flow > 0) flow--;
    }
    worst = Math.max(worst, flow + indent);
  }
  return worst;
}

/**
 * Refuses a parsed body nested deeper than MAX_NESTING_DEPTH or holding a `__proto__` key, walking it without
 * recursion. kube-apiserver takes `__proto__` as any other key; aksemu refuses it rather than let a JavaScript
 * assignment somewhere downstream read it as the object's prototype (SPEC R-4).
 */
function checkParsedShape(value: unknown, kind: string, body: Buffer, format: 'json' | 'yaml'): void {
  const stack: Array<{ v: unknown; depth: number; path: string }> = [{ v: value, depth: 0, path: '' }];
  while (stack.length > 0) {
    const { v, depth, path } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_NESTING_DEPTH) {
      throw format === 'json'
        ? unrecognized(kind, `couldn't get version/kind; json parse error: exceeded max depth of ${MAX_NESTING_DEPTH}`, body)
        : unrecognized(kind, `yaml: exceeded max depth of ${MAX_NESTING_DEPTH}`, body);
    }
    if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push({ v: item, depth: depth + 1, path: `${path}[${i}]` }));
      continue;
    }
    for (const key of Object.keys(v)) {
      const child = path ? `${path}.${key}` : key;
      if (key === '__proto__') throw unrecognized(kind, `key "__proto__" is not accepted (at ${child})`, body);
      stack.push({ v: (v as Record<string, unknown>)[key], depth: depth + 1, path: child });
    }
  }
}

/**
 * Parses a body. `kind` names the expected kind in error messages. Duplicate keys are looked for only when
 * `findDuplicates` (Strict field validation), as kube-apiserver's strict decoder does.
 */
export function parseBody(body: Buffer, format: BodyFormat, kind: string, findDuplicates: boolean): ParsedBody {
  if (format === 'protobuf') return { value: decodeProtobufBody(body, ACCEPTED_BODY_TYPES), duplicates: [] };
  if (format === 'json') {
    const text = body.toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      const msg = (err as Error).message.replace(/^JSON\.parse: /, '');
      throw kubeErrors.badRequest(`the object provided is unrecognized (must be of type ${kind}): couldn't get version/kind; json parse error: ${msg} (${summarize(body)})`);
    }
    checkParsedShape(value, kind, body, 'json');
    const duplicates: string[] = [];
    if (findDuplicates && mayHaveDuplicateKeys(text)) yamlPathDuplicates(yaml().parseDocument(text, { uniqueKeys: false }).contents as YamlNode, '', duplicates);
    return { value, duplicates };
  }
  const text = body.toString('utf8');
  if (yamlNestingBound(text) > 2 * MAX_NESTING_DEPTH) throw unrecognized(kind, `yaml: exceeded max depth of ${MAX_NESTING_DEPTH}`, body);
  const doc = yaml().parseDocument(text, { uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw kubeErrors.badRequest(`the object provided is unrecognized (must be of type ${kind}): couldn't get version/kind; yaml parse error: ${doc.errors[0]!.message.split('\n')[0]}`);
  }
  const duplicates: string[] = [];
  if (findDuplicates) yamlPathDuplicates(doc.contents as YamlNode, '', duplicates);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIAS_COUNT });
  } catch (err) {
    // The `yaml` package's refusal of a "billion laughs" document (a ReferenceError), in go-yaml's words.
    if (/alias/i.test((err as Error).message)) throw unrecognized(kind, 'yaml: document contains excessive aliasing', body);
    throw unrecognized(kind, `yaml: ${(err as Error).message}`, body);
  }
  checkParsedShape(value, kind, body, 'yaml');
  return { value, duplicates };
}

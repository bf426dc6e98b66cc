/**
 * Request bodies into JSON values, with kube-apiserver's answers for every way a body can be unreadable:
 *
 * - media type: JSON and YAML are decoded; protobuf (which `kubectl debug` posts) and anything else get 415;
 * - malformed JSON/YAML: 400 "the object provided is unrecognized (must be of type Pod): couldn't get
 *   version/kind; json parse error: ...".
 *
 * Checking the value against the endpoint's kind is `decodeAsKind` (registry/decode.ts).
 */
import type { Node as YamlNode } from 'yaml';
import { yaml } from '../../../util/yaml.js';
import { kubeErrors } from '../machinery/errors.js';
import type { ParsedBody } from '../registry/decode.js';
import { decodeProtobufBody, PROTOBUF_MEDIA_TYPE } from './protobuf.js';

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
    const duplicates: string[] = [];
    if (findDuplicates && mayHaveDuplicateKeys(text)) yamlPathDuplicates(yaml().parseDocument(text, { uniqueKeys: false }).contents as YamlNode, '', duplicates);
    return { value, duplicates };
  }
  const doc = yaml().parseDocument(body.toString('utf8'), { uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw kubeErrors.badRequest(`the object provided is unrecognized (must be of type ${kind}): couldn't get version/kind; yaml parse error: ${doc.errors[0]!.message.split('\n')[0]}`);
  }
  const duplicates: string[] = [];
  if (findDuplicates) yamlPathDuplicates(doc.contents as YamlNode, '', duplicates);
  return { value: doc.toJS({ maxAliasCount: 100 }), duplicates };
}

/**
 * What client-node's generated declarations say about a model besides its fields' types (schema.ts has those):
 * the descriptions the Kubernetes OpenAPI gives the model and its fields (doc comments in `<Model>.d.ts`), and
 * which fields are required (declared without `?`). The OpenAPI v3 documents carry them (SPEC W-26) so that
 * `kubectl explain` describes a kind with the API's own words. Read from the installed package at run time, once
 * per model; a model without a declaration file simply has no descriptions.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface ModelDocs {
  description?: string;
  fields: Map<string, string>;
  required: string[];
}

let modelsDir: string | null | undefined;

function declarationsDir(): string | null {
  if (modelsDir === undefined) {
    try {
      modelsDir = dirname(createRequire(import.meta.url).resolve('@kubernetes/client-node/dist/gen/models/ObjectSerializer.js'));
    } catch {
      modelsDir = null;
    }
  }
  return modelsDir;
}

/** A doc comment's text: its lines without the leading `*`, the generator's escapes undone. */
function commentText(body: string): string {
  return body
    .split('\n')
    .map((l) => l.replace(/^\s*\*\s?/, ''))
    .join('\n')
    .trim()
    .replace(/\\(["'\\])/g, '$1');
}

const cache = new Map<string, ModelDocs>();

export function modelDocs(model: string): ModelDocs {
  let docs = cache.get(model);
  if (docs) return docs;
  docs = { fields: new Map(), required: [] };
  cache.set(model, docs);
  const dir = declarationsDir();
  if (!dir || !/^\w+$/.test(model)) return docs;
  let text: string;
  try {
    text = readFileSync(join(dir, `${model}.d.ts`), 'utf8');
  } catch {
    return docs;
  }
  const head = new RegExp(`/\\*\\*\\n((?:(?!\\*/)[\\s\\S])*?)\\*/\\s*export declare class ${model} \\{`).exec(text);
  if (head) docs.description = commentText(head[1]!);
  const body = text.slice(text.indexOf(`export declare class ${model} {`));
  for (const m of body.matchAll(/(?:\/\*\*\n((?:(?!\*\/)[\s\S])*?)\*\/\s*)?\n\s*'([^']+)'(\??):/g)) {
    if (m[1] !== undefined) docs.fields.set(m[2]!, commentText(m[1]));
    if (m[3] !== '?') docs.required.push(m[2]!);
  }
  return docs;
}

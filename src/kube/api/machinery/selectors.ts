/**
 * Label selectors (`-l app=web,tier in (a,b),!legacy`) and field selectors (`--field-selector spec.nodeName=n1`)
 * as kube-apiserver parses and applies them on list and watch. Syntax errors are the client's fault: they throw
 * SelectorError, which the HTTP layer answers with a 400 Status.
 */
import { labelValue, qualifiedName } from './validation.js';

export class SelectorError extends Error {}

export type LabelOp = 'exists' | '!' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  op: LabelOp;
  values: string[];
}

type Token = { kind: 'id'; text: string } | { kind: 'op'; text: string } | { kind: 'end' };

function tokenize(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = input.slice(i, i + 2);
    if (two === '==' || two === '!=') {
      out.push({ kind: 'op', text: two });
      i += 2;
      continue;
    }
    if ('=!(),<>'.includes(c)) {
      out.push({ kind: 'op', text: c });
      i++;
      continue;
    }
    let j = i;
    while (j < input.length && !/\s/.test(input[j]!) && !'=!(),<>'.includes(input[j]!)) j++;
    out.push({ kind: 'id', text: input.slice(i, j) });
    i = j;
  }
  out.push({ kind: 'end' });
  return out;
}

function describe(t: Token): string {
  return t.kind === 'end' ? "''" : `'${t.text}'`;
}

function checkKey(key: string): void {
  const problems = qualifiedName(key);
  if (problems.length > 0) throw new SelectorError(`unable to parse requirement: key: Invalid value: ${JSON.stringify(key)}: ${problems.join('; ')}`);
}

function checkValue(key: string, value: string, i: number): void {
  const problems = labelValue(value);
  if (problems.length > 0) throw new SelectorError(`unable to parse requirement: values[${i}][${key}]: Invalid value: ${JSON.stringify(value)}: ${problems.join('; ')}`);
}

/** Parses a label selector; the empty string selects everything. */
export function parseLabelSelector(input: string): LabelRequirement[] {
  const tokens = tokenize(input);
  let p = 0;
  const peek = () => tokens[p]!;
  const next = () => tokens[p++]!;
  const reqs: LabelRequirement[] = [];
  if (peek().kind === 'end') return reqs;
  for (;;) {
    let t = next();
    let negated = false;
    if (t.kind === 'op' && t.text === '!') {
      negated = true;
      t = next();
    }
    if (t.kind !== 'id') throw new SelectorError(`unable to parse requirement: found ${describe(t)}, expected: !, identifier, or 'end of string'`);
    const key = t.text;
    checkKey(key);
    if (negated) {
      reqs.push({ key, op: '!', values: [] });
    } else {
      const op = peek();
      if (op.kind === 'end' || (op.kind === 'op' && op.text === ',')) {
        reqs.push({ key, op: 'exists', values: [] });
      } else if (op.kind === 'op' && ['=', '==', '!='].includes(op.text)) {
        next();
        const v = peek();
        let value = '';
        if (v.kind === 'id') {
          value = v.text;
          next();
        } else if (!(v.kind === 'end' || (v.kind === 'op' && v.text === ','))) {
          throw new SelectorError(`unable to parse requirement: found ${describe(v)}, expected: identifier`);
        }
        checkValue(key, value, 0);
        reqs.push({ key, op: op.text === '!=' ? '!=' : '=', values: [value] });
      } else if (op.kind === 'op' && (op.text === '<' || op.text === '>')) {
        next();
        const v = next();
        if (v.kind !== 'id' || !/^-?\d+$/.test(v.text)) throw new SelectorError(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`);
        reqs.push({ key, op: op.text === '>' ? 'gt' : 'lt', values: [v.text] });
      } else if (op.kind === 'id' && (op.text === 'in' || op.text === 'notin')) {
        next();
        const open = next();
        if (!(open.kind === 'op' && open.text === '(')) throw new SelectorError(`unable to parse requirement: found ${describe(open)}, expected: '('`);
        const values: string[] = [];
        for (;;) {
          const v = peek();
          if (v.kind === 'op' && v.text === ')') {
            next();
            break;
          }
          if (v.kind === 'id') {
            checkValue(key, v.text, values.length);
            values.push(v.text);
            next();
          } else if (v.kind === 'op' && v.text === ',') {
            // an empty value between commas
            if (values.length === 0) values.push('');
          } else throw new SelectorError(`unable to parse requirement: found ${describe(v)}, expected: ',', ')' or identifier`);
          const sep = peek();
          if (sep.kind === 'op' && sep.text === ',') {
            next();
            continue;
          }
          if (sep.kind === 'op' && sep.text === ')') continue;
          throw new SelectorError(`unable to parse requirement: found ${describe(sep)}, expected: ',' or ')'`);
        }
        if (values.length === 0) throw new SelectorError(`unable to parse requirement: values: Required value: for 'in', 'notin' operators, values set can't be empty`);
        reqs.push({ key, op: op.text as 'in' | 'notin', values });
      } else {
        throw new SelectorError(`unable to parse requirement: found ${describe(op)}, expected: in, notin, =, ==, !=, gt, lt`);
      }
    }
    const sep = next();
    if (sep.kind === 'end') break;
    if (!(sep.kind === 'op' && sep.text === ',')) throw new SelectorError(`unable to parse requirement: found ${describe(sep)}, expected: ',' or 'end of string'`);
  }
  return reqs;
}

export function matchesLabels(reqs: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const r of reqs) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'exists':
        if (!has) return false;
        break;
      case '!':
        if (has) return false;
        break;
      case '=':
      case 'in':
        if (!has || !r.values.includes(v!)) return false;
        break;
      case '!=':
      case 'notin':
        if (has && r.values.includes(v!)) return false;
        break;
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(v!)) return false;
        const a = BigInt(v!);
        const b = BigInt(r.values[0]!);
        if (r.op === 'gt' ? !(a > b) : !(a < b)) return false;
        break;
      }
    }
  }
  return true;
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** Splits on an unescaped separator; `\,` `\=` `\!` `\\` are escapes in field selector values. */
function splitUnescaped(s: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (c === sep) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

/** Parses a field selector; the empty string selects everything. */
export function parseFieldSelector(input: string): FieldRequirement[] {
  if (input.trim() === '') return [];
  return splitUnescaped(input, ',').map((part) => {
    const m = /^(.*?)(!=|==|=)(.*)$/s.exec(part);
    if (!m || m[1]!.trim() === '') throw new SelectorError(`invalid selector: '${input}'; can't understand '${part}'`);
    return { field: m[1]!.trim(), op: m[2] === '!=' ? '!=' : '=', value: unescape(m[3]!) };
  });
}

export function matchesFields(reqs: FieldRequirement[], value: (field: string) => string): boolean {
  for (const r of reqs) {
    const v = value(r.field);
    if (r.op === '=' ? v !== r.value : v === r.value) return false;
  }
  return true;
}

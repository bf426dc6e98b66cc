/** az-style help text for groups and commands (`aksemu aks -h`, `aksemu aks nodepool add -h`). */
import { argDisplayName, type ArgSpec, type CommandSpec } from './spec.js';

function wrap(text: string, width: number, indent: string): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let cur = '';
  for (const w of words) {
    if (cur && cur.length + 1 + w.length > width) {
      lines.push(cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) lines.push(cur);
  return lines.map((l, i) => (i === 0 ? l : `${indent}${l}`));
}

function argLine(arg: ArgSpec): { left: string; right: string } {
  const names = [...arg.options].sort((a, b) => (a.startsWith('--') === b.startsWith('--') ? 0 : a.startsWith('--') ? -1 : 1));
  const left = names.join(' ');
  const tag = arg.required ? '[Required] ' : '';
  let right = `${tag}: ${arg.help ?? ''}`.trimEnd();
  if (arg.choices) right += `  Allowed values: ${[...arg.choices].sort((a, b) => a.localeCompare(b)).join(', ')}.`;
  if (arg.kind === 'three-state') right += '  Allowed values: false, true.';
  if (arg.default !== undefined && arg.kind !== 'flag') right += `  Default: ${String(arg.default)}.`;
  return { left, right };
}

export function commandHelp(spec: CommandSpec, allArgs: ArgSpec[], globalDests: Set<string>): string {
  const out: string[] = ['', 'Command', `    az ${spec.path} : ${spec.summary}`, ''];
  const groups = new Map<string, ArgSpec[]>();
  for (const a of allArgs.filter((x) => !x.hidden)) {
    const g = globalDests.has(a.dest) ? 'Global Arguments' : a.group ? `${a.group} Arguments` : 'Arguments';
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g)!.push(a);
  }
  const order = ['Arguments', ...[...groups.keys()].filter((g) => g !== 'Arguments' && g !== 'Global Arguments').sort(), 'Global Arguments'];
  for (const g of order) {
    const args = groups.get(g);
    if (!args) continue;
    const sorted = [...args].sort((a, b) => Number(Boolean(b.required)) - Number(Boolean(a.required)) || argDisplayName(a).localeCompare(argDisplayName(b)));
    const lines = sorted.map(argLine);
    const width = Math.min(40, Math.max(...lines.map((l) => l.left.length)) + 1);
    out.push(g);
    for (const l of lines) {
      const pad = l.left.padEnd(width);
      out.push(`    ${pad}${wrap(l.right, 100 - width, ' '.repeat(width + 6)).join('\n')}`);
    }
    out.push('');
  }
  if (spec.examples?.length) {
    out.push('Examples');
    for (const ex of spec.examples) out.push(`    ${ex.name}`, `        ${ex.text}`, '');
  }
  return `${out.join('\n')}\n`;
}

export function groupHelp(path: string, summary: string, subgroups: Array<{ name: string; summary: string }>, commands: Array<{ name: string; summary: string }>): string {
  const out: string[] = ['', 'Group', `    az ${path} : ${summary}`, ''];
  const section = (title: string, items: Array<{ name: string; summary: string }>) => {
    if (items.length === 0) return;
    const width = Math.max(...items.map((i) => i.name.length)) + 1;
    out.push(title);
    for (const i of [...items].sort((a, b) => a.name.localeCompare(b.name))) out.push(`    ${i.name.padEnd(width)}: ${i.summary}`);
    out.push('');
  };
  section('Subgroups:', subgroups);
  section('Commands:', commands);
  return `${out.join('\n')}\n`;
}

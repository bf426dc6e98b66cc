/**
 * Puts the az-compatible command tree on commander: one commander command per group and subgroup (`aks`,
 * `aks nodepool`), one per leaf command. Commander dispatches by words; each leaf then hands every remaining word
 * to the az grammar (parse-args.ts), so options keep az's semantics (abbreviations, nargs, az's messages) rather
 * than commander's. A group given an unknown word answers as az does ("'lst' is misspelled or not recognized by
 * the system. Did you mean 'list' ?", exit 2); a group alone prints its help.
 */
import type { Command } from 'commander';
import { closeMatches } from './close-matches.js';
import { renderError, ArgumentUsageError } from './errors.js';
import type { Io } from './context.js';
import { groupHelp } from './help.js';
import { runCommand } from './runner.js';
import type { CommandSpec, GroupSpec } from './spec.js';

interface Node {
  name: string;
  path: string;
  summary: string;
  children: Map<string, Node>;
  spec?: CommandSpec;
}

export function buildTree(specs: CommandSpec[], groups: GroupSpec[]): Node {
  const root: Node = { name: '', path: '', summary: '', children: new Map() };
  const summaries = new Map(groups.map((g) => [g.path, g.summary]));
  const nodeAt = (words: string[]): Node => {
    let node = root;
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      let child = node.children.get(w);
      if (!child) {
        const path = words.slice(0, i + 1).join(' ');
        child = { name: w, path, summary: summaries.get(path) ?? '', children: new Map() };
        node.children.set(w, child);
      }
      node = child;
    }
    return node;
  };
  for (const spec of specs) {
    const node = nodeAt(spec.path.split(' '));
    if (node.spec) throw new Error(`command '${spec.path}' is defined twice`);
    node.spec = spec;
  }
  return root;
}

function defaultIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

/** Commands this module created (groups and leaves); other commands attached under a group keep commander's ways. */
const azCommands = new WeakSet<Command>();

function attach(parent: Command, node: Node, io: () => Io): void {
  const existing = parent.commands.find((c) => c.name() === node.name);
  if (existing) throw new Error(`the command '${node.path}' is registered twice (register the az groups before commands that attach to them)`);
  const cmd = parent.command(node.name).description(node.spec?.summary ?? node.summary).helpOption(false).allowUnknownOption().allowExcessArguments();
  azCommands.add(cmd);
  if (node.spec) {
    const spec = node.spec;
    cmd.action(async (_opts: unknown, self: Command) => {
      process.exitCode = await runCommand(spec, self.args, io());
    });
    return;
  }
  cmd.enablePositionalOptions();
  for (const child of node.children.values()) attach(cmd, child, io);
  cmd.action(async (_opts: unknown, self: Command) => {
    const words = self.args;
    const out = io();
    const first = words[0];
    if (first === undefined || first === '-h' || first === '--help') {
      const children = [...node.children.values()];
      // Commands other modules attached to this group with commander (e.g. `keyvault audit`) are listed too.
      // A foreign command with subcommands of its own (`aks encryption status|migrate`) is a subgroup.
      const foreign = self.commands.filter((c) => !azCommands.has(c));
      const entry = (c: Command) => ({ name: c.name(), summary: c.description() });
      out.stdout.write(
        groupHelp(
          node.path,
          node.summary,
          [...children.filter((c) => !c.spec).map((c) => ({ name: c.name, summary: c.summary })), ...foreign.filter((c) => c.commands.length > 0).map(entry)],
          [...children.filter((c) => c.spec).map((c) => ({ name: c.name, summary: c.spec!.summary })), ...foreign.filter((c) => c.commands.length === 0).map(entry)],
        ),
      );
      process.exitCode = 0;
      return;
    }
    const err = new ArgumentUsageError(`'${first}' is misspelled or not recognized by the system.`);
    const best = closeMatches(first, node.children.keys(), 1, 0.7);
    if (best.length > 0) err.recommendations.push(`Did you mean '${best[0]}' ?`);
    err.examples = [];
    out.stderr.write(renderError(err));
    process.exitCode = 2;
  });
}

/** Adds the az-compatible groups to the aksemu program. */
export function registerAzTree(program: Command, specs: CommandSpec[], groups: GroupSpec[], io: () => Io = defaultIo): void {
  const root = buildTree(specs, groups);
  for (const child of root.children.values()) attach(program, child, io);
}

/**
 * Commander commands that other modules attach under an az group (`keyvault audit`, ...) inherit the group's
 * settings, in which commander's own -h/--help is off (the az grammar handles it): give it back to them.
 */
export function restoreCommanderHelp(program: Command): void {
  const visit = (cmd: Command) => {
    for (const c of cmd.commands) {
      if (!azCommands.has(c)) c.helpOption('-h, --help', 'display help for command');
      visit(c);
    }
  };
  visit(program);
}

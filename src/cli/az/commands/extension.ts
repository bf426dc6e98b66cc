/**
 * `aksemu extension add|update|list|show|remove`: az's extension manager, for the FIPS article's preview steps
 * (`az extension add --name aks-preview`, `az extension update --name aks-preview`). aksemu has no extensions to
 * install: the aks-preview commands and flags the seeds use are part of the CLI, so adding or updating aks-preview
 * succeeds without a download; any other extension is refused.
 */
import { AzCliError } from '../framework/errors.js';
import type { CommandSpec } from '../framework/spec.js';

const BUILT_IN = ['aks-preview'];

const entry = (name: string) => ({
  experimental: false,
  extensionType: 'whl',
  name,
  path: '(built into aksemu)',
  preview: true,
  version: 'built-in',
});

function requireBuiltIn(name: string): void {
  if (!BUILT_IN.includes(name)) {
    throw new AzCliError(`The extension ${name} is not available in aksemu: its CLI has no extensions. The aks-preview commands and flags the seed documents use are built in.`);
  }
}

const nameArg = { dest: 'name', options: ['--name', '-n'], help: 'Name of extension.' };

export const extensionCommands: CommandSpec[] = [
  {
    path: 'extension add',
    summary: 'Add an extension.',
    subscription: false,
    args: [{ ...nameArg }, { dest: 'source', options: ['--source', '-s'], help: 'Filepath or URL to an extension.' }, { dest: 'version', options: ['--version'], help: 'The specific version of an extension.' }, { dest: 'upgrade', options: ['--upgrade'], kind: 'flag', help: 'Update the extension if already installed.' }, { dest: 'yes', options: ['--yes', '-y'], kind: 'flag', help: 'Do not prompt for confirmation.' }, { dest: 'allowPreview', options: ['--allow-preview'], kind: 'three-state', help: 'Include preview versions of extensions.' }],
    async run(_ctx, a) {
      if (a.name === undefined) throw new AzCliError('usage error: --name NAME | --source SOURCE', 2);
      requireBuiltIn(a.name);
      return undefined;
    },
  },
  {
    path: 'extension update',
    summary: 'Update an extension.',
    subscription: false,
    args: [{ ...nameArg, required: true }, { dest: 'allowPreview', options: ['--allow-preview'], kind: 'three-state', help: 'Include preview versions of extensions.' }],
    async run(_ctx, a) {
      requireBuiltIn(a.name);
      return undefined;
    },
  },
  {
    path: 'extension show',
    summary: 'Show an extension.',
    subscription: false,
    args: [{ ...nameArg, required: true }],
    async run(_ctx, a) {
      requireBuiltIn(a.name);
      return entry(a.name);
    },
  },
  {
    path: 'extension list',
    summary: 'List the installed extensions.',
    subscription: false,
    args: [],
    async run() {
      return BUILT_IN.map(entry);
    },
  },
  {
    path: 'extension remove',
    summary: 'Remove an extension.',
    subscription: false,
    args: [{ ...nameArg, required: true }],
    async run(_ctx, a) {
      requireBuiltIn(a.name);
      throw new AzCliError(`The extension ${a.name} is built into aksemu and cannot be removed.`);
    },
  },
];

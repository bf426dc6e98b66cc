/**
 * What `aksemu` loads for given arguments (src/cli/main.ts): only the registrars the arguments can reach, so a
 * scripted run of az-compatible commands does not load the emulator; help and unknown words load everything.
 */
import { describe, expect, it } from 'vitest';
import { buildProgram, registrarsFor } from '../../src/cli/main.js';

const paths = (argv: string[]) => registrarsFor(['node', 'aksemu', ...argv]).map((c) => c.paths.map((p) => p.join(' ')).join(','));

describe('the aksemu program', () => {
  it('loads only what the arguments reach', () => {
    expect(paths(['aks', 'show', '-g', 'rg', '-n', 'c'])).toEqual([]);
    expect(paths(['keyvault', 'key', 'list', '--vault-name', 'v'])).toEqual([]);
    expect(paths(['keyvault', 'audit', '--vault-name', 'v'])).toEqual(['keyvault audit']);
    expect(paths(['keyvault', '-h'])).toEqual(['keyvault audit']);
    expect(paths(['node', 'exec', 'n', '--', 'true'])).toEqual(['node', 'node,alerts']);
    expect(paths(['alerts', 'list'])).toEqual(['node,alerts']);
    expect(paths(['start', '--port', '0'])).toEqual(['start']);
    expect(paths(['ui', '--no-open'])).toEqual(['ui']);
    expect(paths(['--version'])).toEqual([]);
  });

  it('loads everything for help and unknown words', () => {
    const all = ['start', 'env', 'store', 'node', 'az-setup', 'ui', 'keyvault audit', 'node,alerts', 'kms-plugin,aks encryption'];
    expect(paths([])).toEqual(all);
    expect(paths(['--help'])).toEqual(all);
    expect(paths(['nod'])).toEqual(all);
  });

  it('builds a word of its own without the az groups, and still with what it registers inside them', async () => {
    const start = (await buildProgram(['node', 'aksemu', 'start', '--port', '0'])).commands.map((c) => c.name());
    expect(start).toContain('start');
    expect(start).not.toContain('group');
    const plugin = await buildProgram(['node', 'aksemu', 'kms-plugin', '--key-id', 'x']);
    expect(plugin.commands.map((c) => c.name())).toContain('kms-plugin');
    expect(plugin.commands.map((c) => c.name())).not.toContain('group');
    const aks = await buildProgram(['node', 'aksemu', 'aks', 'encryption', 'status']);
    expect(aks.commands.find((c) => c.name() === 'aks')!.commands.map((c) => c.name())).toEqual(expect.arrayContaining(['create', 'encryption']));
  });

  it('lists aksemu commands, then the az groups, with the commands other modules add inside them', async () => {
    const program = await buildProgram();
    const names = program.commands.map((c) => c.name());
    expect(names.slice(0, 5)).toEqual(['start', 'env', 'store', 'node', 'az-setup']);
    expect(names).toEqual(expect.arrayContaining(['aks', 'keyvault', 'identity', 'role', 'group', 'feature', 'provider', 'login', 'account', 'ad']));
    expect(program.commands.find((c) => c.name() === 'keyvault')!.commands.map((c) => c.name())).toContain('audit');
  });
});

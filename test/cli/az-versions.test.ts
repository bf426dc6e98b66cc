/**
 * Debian's az 2.45 and the current az (2.91, which .ci/run installs) both drive one instance from the one config
 * dir `aksemu az-setup` prepares, in turn and in any order: the current az must not leave anything there that
 * breaks 2.45 (its MSAL HTTP cache did: a pickle 2.45 cannot load), and a cache an earlier setup let it write is
 * harmless once az-setup has written its config again (neither az reads the cache then).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { az, currentAz } from '../../testkit/az.js';
import { spawnEmulator, type SpawnedEmulator } from '../../testkit/emulator.js';
import { describeWithCurrentAz, haveCommand } from '../../testkit/optional.js';
import { aksemu, type CliEnv } from './support/cli.js';

describeWithCurrentAz('Debian az 2.45 and the current az sharing the config dir of aksemu az-setup', () => {
  let emu: SpawnedEmulator;
  let env: CliEnv;
  let home: string;
  const current = currentAz()!;
  // The current az first on PATH, as a user who installed it beside Debian's has it.
  const path = `${dirname(current)}:${process.env.PATH ?? '/usr/bin:/bin'}`;
  const groups = async (bin: string) => {
    const r = await az(['group', 'list', '--query', '[].name', '-o', 'tsv'], { ...emu.env, PATH: path }, 120_000, bin);
    expect(r.code, `${bin}: ${r.stderr}`).toBe(0);
    return r.stdout.trim().split('\n').filter(Boolean).sort();
  };

  beforeAll(async () => {
    emu = await spawnEmulator();
    home = mkdtempSync(join(tmpdir(), 'aksemu-azver-home-'));
    env = { dataDir: emu.dataDir, home, extra: { PATH: path } };
  });
  afterAll(async () => {
    await emu?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('az-setup signs the current az in; then 2.45 and the current az take turns', async () => {
    expect(haveCommand('az')).toBe(true);
    const setup = await aksemu(env, ['az-setup']);
    expect(setup.code, setup.stderr).toBe(0);
    const version = await az(['version', '--query', '"azure-cli"', '-o', 'tsv'], { ...emu.env, PATH: path }, 120_000, current);
    expect(version.stdout.trim()).toMatch(/^2\.(9\d|[1-9]\d{2,})\./);
    await aksemu(env, ['group', 'create', '-n', 'shared-dir', '-l', 'eastus', '-o', 'none']);
    expect(await groups(current)).toContain('shared-dir');
    expect(await groups('/usr/bin/az')).toContain('shared-dir');
    expect(await groups(current)).toContain('shared-dir');
    expect(await groups('/usr/bin/az')).toContain('shared-dir');
    expect(existsSync(join(emu.env.AZURE_CONFIG_DIR!, 'msal_http_cache.bin'))).toBe(false);
  });

  it('a cache left by an earlier setup does not break 2.45 after the next setup', async () => {
    writeFileSync(join(emu.env.AZURE_CONFIG_DIR!, 'msal_http_cache.bin'), Buffer.from('not a pickle 2.45 can load'));
    const setup = await aksemu(env, ['az-setup']);
    expect(setup.code, setup.stderr).toBe(0);
    expect(await groups('/usr/bin/az')).toContain('shared-dir');
  });
});

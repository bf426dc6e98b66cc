/**
 * Output formatting: the CLI prints exactly what az prints for the same result, --query and
 * --output. The reference is az's own code (knack + jmespath from Debian's azure-cli) run on the same data.
 */
import { describe, expect, it } from 'vitest';
import { compileQuery } from '../../src/cli/az/framework/query.js';
import { produceOutput } from '../../src/cli/az/framework/runner.js';
import { CLUSTER, KEY, ODD_VALUES, RESOURCE_GROUPS } from './support/fixtures.js';
import { knackAvailable, knackFormat, type FormatCase } from './support/knack.js';
import { describeWith } from '../../testkit/optional.js';

async function ours(c: FormatCase): Promise<string> {
  try {
    return await produceOutput(c.data, {
      output: c.output,
      query: c.query !== undefined ? await compileQuery(c.query) : undefined,
      ...(c.transformer !== undefined ? { tableTransformer: c.transformer } : {}),
    });
  } catch (err) {
    return `ERROR: ${(err as Error).message}`;
  }
}

const SEED_FIPS_QUERY = 'agentPoolProfiles[].{Name:name enableFips:enableFips}';
const SEED_KMS_QUERY = '[].{Name:name, KmsEnabled:securityProfile.azureKeyVaultKms.enabled, KeyId:securityProfile.azureKeyVaultKms.keyId}';

const CASES: Array<Omit<FormatCase, 'output'>> = [
  { data: RESOURCE_GROUPS },
  { data: RESOURCE_GROUPS, transformer: '[].{Name:name, Location:location, Status:properties.provisioningState}' },
  { data: RESOURCE_GROUPS, query: '[].name' },
  { data: RESOURCE_GROUPS, query: '[0]' },
  { data: RESOURCE_GROUPS, query: '[].{name:name, loc:location, t:tags}' },
  { data: RESOURCE_GROUPS, query: '[].[name, location]' },
  { data: RESOURCE_GROUPS, query: 'length(@)' },
  { data: RESOURCE_GROUPS, query: "[?name=='nothing']" },
  { data: RESOURCE_GROUPS, query: 'nothing' },
  { data: CLUSTER },
  { data: CLUSTER, query: SEED_FIPS_QUERY },
  { data: [CLUSTER, { ...CLUSTER, name: 'other', securityProfile: {} }], query: SEED_KMS_QUERY },
  { data: CLUSTER, query: 'agentPoolProfiles' },
  { data: CLUSTER, query: 'securityProfile.azureKeyVaultKms.keyId' },
  { data: CLUSTER, transformer: '{name: name, location: location, resourceGroup: resourceGroup, kubernetesVersion: kubernetesVersion, currentKubernetesVersion: currentKubernetesVersion, provisioningState: provisioningState, fqdn: fqdn || privateFqdn}' },
  { data: KEY },
  { data: KEY, query: 'key.kid' },
  { data: ODD_VALUES },
  { data: ODD_VALUES, query: '[].{flag:flag, count:count, name:name}' },
  { data: true },
  { data: 'just a string' },
  { data: [] },
];

describe('output formatting, without the reference', () => {
  it("accepts the seed's hash without a comma and builds the same rows as with one", async () => {
    const a = await produceOutput(CLUSTER, { output: 'json', query: await compileQuery(SEED_FIPS_QUERY) });
    const b = await produceOutput(CLUSTER, { output: 'json', query: await compileQuery('agentPoolProfiles[].{Name:name, enableFips:enableFips}') });
    expect(a).toBe(b);
    expect(JSON.parse(a)).toEqual([{ Name: 'fipsnp', enableFips: true }, { Name: 'nodepool1', enableFips: false }]);
  });

  it('prints the FIPS table of the seed with rows fipsnp True / nodepool1 False', async () => {
    const table = await produceOutput(CLUSTER, { output: 'table', query: await compileQuery(SEED_FIPS_QUERY) });
    const lines = table.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Name\s+EnableFips$/);
    expect(lines[1]).toMatch(/^-+\s+-+$/);
    expect(lines.slice(2).map((l) => l.split(/\s+/))).toEqual([
      ['fipsnp', 'True'],
      ['nodepool1', 'False'],
    ]);
  });

  it('rejects a query that does not parse as an argument error (exit 2)', async () => {
    await expect(compileQuery('[?')).rejects.toThrowError(/argument --query: invalid jmespath_type value: '\[\?'/);
    await expect(compileQuery('agentPoolProfiles[')).rejects.toMatchObject({ exitCode: 2 });
  });

  it('reports an unknown function as a command error (exit 1), as az does', async () => {
    let caught: { exitCode?: number; message?: string } = {};
    try {
      await produceOutput(RESOURCE_GROUPS, { output: 'json', query: await compileQuery('nosuchfn(@)') });
    } catch (err) {
      caught = err as typeof caught;
    }
    expect(caught.exitCode).toBe(1);
    expect(caught.message).toMatch(/^Invalid jmespath query supplied for `--query`: .*nosuchfn/);
  });
});

describeWith(['az'], 'output formatting compared with az (knack) on the same data', () => {
  const outputs = ['json', 'table', 'tsv', 'yaml'] as const;
  const all: FormatCase[] = CASES.flatMap((c) => outputs.map((output) => ({ ...c, output })));
  const reference = knackAvailable() ? knackFormat(all) : [];

  it('has az\'s Python formatting code to compare with', () => {
    expect(knackAvailable()).toBe(true);
  });

  for (const [i, c] of all.entries()) {
    it(`-o ${c.output}${c.query !== undefined ? ` --query "${c.query}"` : ''}${c.transformer ? ' (table transformer)' : ''} on ${JSON.stringify(c.data).slice(0, 40)}`, async () => {
      expect(await ours(c)).toBe(reference[i]);
    });
  }
});

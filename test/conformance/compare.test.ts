/**
 * The conformance suite's own judge (SPEC P-4): each rule of the comparison finds the divergence it is for, and
 * lets pass what it must (instance-specific values, a dictionary's keys, an example contradicting its request).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Comparison } from './compare.js';
import { Substitutions } from './substitute.js';
import { Swaggers, type Located } from './swagger.js';

const file = join(mkdtempSync(join(tmpdir(), 'swagger-')), 'spec.json');
writeFileSync(
  file,
  JSON.stringify({
    definitions: {
      Thing: {
        allOf: [{ $ref: '../../common-types/resource-management/v6/types.json#/definitions/TrackedResource' }],
        properties: {
          properties: { $ref: '#/definitions/Props' },
        },
      },
      Props: {
        required: ['size'],
        properties: {
          size: { type: 'integer' },
          mode: { type: 'string', enum: ['Fast', 'Slow'] },
          label: { type: 'string' },
          versions: { type: 'object', additionalProperties: { type: 'object', properties: { upgrades: { type: 'array', items: { type: 'string' } } } } },
          items: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, count: { type: 'integer' } } } },
          secret: { type: 'string', readOnly: true },
        },
      },
    },
  }),
);
const swaggers = new Swaggers();
const thing: Located = { schema: { $ref: '#/definitions/Thing' }, file };

function compare(expected: unknown, actual: unknown, request?: unknown): string[] {
  const cmp = new Comparison(swaggers);
  cmp.example(expected, actual, thing, request);
  cmp.schema(actual, thing);
  return cmp.divergences.map((d) => `${d.path}: ${d.problem}`);
}

const base = { id: '/subscriptions/s/resourceGroups/g/providers/X/things/t', name: 't', location: 'eastus', properties: { size: 1 } };

describe('the comparison with an example', () => {
  it('passes an answer with every property of the example, of the same types', () => {
    expect(compare({ ...base, properties: { size: 3, label: 'a' } }, { ...base, properties: { size: 7, label: 'b', mode: 'Fast' } })).toEqual([]);
  });

  it('finds a missing property and a property of another JSON type', () => {
    expect(compare({ ...base, properties: { size: 1, label: 'a' } }, base)).toEqual([expect.stringMatching(/^properties\.label: missing/)]);
    expect(compare(base, { ...base, properties: { size: '1' } })).toEqual([expect.stringMatching(/^properties\.size: is string "1", Azure's is number 1/)]);
  });

  it('compares enum values, and values the example echoes from its request', () => {
    expect(compare({ ...base, properties: { size: 1, mode: 'Fast' } }, { ...base, properties: { size: 1, mode: 'Slow' } })).toEqual([
      expect.stringMatching(/^properties\.mode: is "Slow", Azure's is "Fast" \(an enum value\)/),
    ]);
    const request = { properties: { label: 'mine' } };
    expect(compare({ ...base, properties: { size: 1, label: 'mine' } }, { ...base, properties: { size: 1, label: 'other' } }, request)).toEqual([
      expect.stringMatching(/^properties\.label: is "other": the request's "mine" is not echoed/),
    ]);
    // A value that is not the request's echo is compared only by type.
    expect(compare({ ...base, properties: { size: 1, label: 'shown' } }, { ...base, properties: { size: 1, label: 'other' } }, request)).toEqual([]);
  });

  it('lets the request decide an enum value where the example contradicts its own request', () => {
    const request = { properties: { mode: 'Slow' } };
    expect(compare({ ...base, properties: { size: 1, mode: 'Fast' } }, { ...base, properties: { size: 1, mode: 'Slow' } }, request)).toEqual([]);
  });

  it('ignores instance-specific values but not their presence', () => {
    expect(compare({ ...base, properties: { size: 1 } }, { ...base, id: '/other', name: 'u' })).toEqual([]);
    const { id: _id, ...noId } = base;
    expect(compare(base, noId)).toEqual([expect.stringMatching(/^id: missing/)]);
  });

  it('treats a dictionary\'s keys as data, and an array\'s items against the example\'s first', () => {
    const versions = { '1.9.6': { upgrades: ['1.10.1'] } };
    expect(compare({ ...base, properties: { size: 1, versions } }, { ...base, properties: { size: 1, versions: { '1.35.3': { upgrades: ['1.36.0'] } } } })).toEqual([]);
    expect(compare({ ...base, properties: { size: 1, versions } }, { ...base, properties: { size: 1, versions: {} } })).toEqual([expect.stringMatching(/the map is empty/)]);
    const items = [{ name: 'b', count: 2 }];
    expect(compare({ ...base, properties: { size: 1, items } }, { ...base, properties: { size: 1, items: [{ name: 'a' }, { name: 'b', count: 1 }] } })).toEqual([]);
    expect(compare({ ...base, properties: { size: 1, items } }, { ...base, properties: { size: 1, items: [{ name: 'b' }] } })).toEqual([expect.stringMatching(/^properties\.items\[0\]\.count: missing/)]);
  });

  it('finds what the swagger requires but the answer lacks, and what the swagger does not define', () => {
    expect(compare(base, { ...base, properties: {} })).toEqual([expect.stringMatching(/^properties\.size: missing/), expect.stringMatching(/^properties\.size: missing: the swagger requires it/)]);
    expect(compare(base, { ...base, properties: { size: 1, extra: true }, other: 1 })).toEqual([
      expect.stringMatching(/^properties\.extra: is not in the swagger's schema/),
      expect.stringMatching(/^other: is not in the swagger's schema/),
    ]);
    // ARM's envelope (from the built-in common types) is part of the schema, location is required by it.
    const { location: _l, ...noLocation } = base;
    expect(compare({}, noLocation)).toEqual([expect.stringMatching(/^location: missing: the swagger requires it/)]);
  });
});

describe('the substitutions', () => {
  it('rewrite subscriptions and resource groups inside ids, whole values, and never a map key by value', () => {
    const subs = new Substitutions('sub-1', 'x1').value('location1', 'eastus').value('rg', 'not-a-key');
    const out = subs.apply({
      location: 'location1',
      rg: 'rg',
      identity: { '/subscriptions/0000/resourceGroups/rg1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/i': {} },
      scope: 'subscriptions/0000/resourceGroups/rg1',
    });
    expect(out).toEqual({
      location: 'eastus',
      rg: 'not-a-key',
      identity: { '/subscriptions/sub-1/resourceGroups/x1-rg1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/i': {} },
      scope: 'subscriptions/sub-1/resourceGroups/x1-rg1',
    });
    expect(subs.groupsUsed()).toEqual(['x1-rg1']);
  });
});

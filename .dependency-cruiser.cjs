/**
 * The layer rule of docs/architecture.md, checked from the code's imports by `npm run check:layers` (part of
 * `npm test`): a module imports only from its own package or from a package on a lower layer, and no files import
 * each other in a circle. Type-only imports count: a type is a dependency of meaning too.
 *
 * Layers, top to bottom (a package may import from any package of a lower layer, none of its own layer but itself):
 */
const LAYERS = [
  ['cli'],
  ['emulator.ts'],
  ['providers'],
  ['keyvault', 'kube', 'trustedlaunch'],
  ['fleet'],
  ['kms'],
  ['encryption', 'clusters', 'authorization'],
  ['frontdoor'],
  ['arm'],
  ['identity'],
  ['tls'],
  ['runtime', 'secrets'],
  ['store'],
  ['config', 'util', 'version.ts'],
];

const esc = (s) => s.replace(/[.]/g, '\\.');
const pkg = (name) => (name.endsWith('.ts') ? `^src/${esc(name)}$` : `^src/${name}/`);

const layerRules = [];
LAYERS.forEach((layer, i) => {
  const higher = LAYERS.slice(0, i).flat();
  for (const name of layer) {
    const same = layer.filter((n) => n !== name);
    const forbidden = [...higher, ...same];
    if (forbidden.length === 0) continue;
    layerRules.push({
      name: `layer-${name.replace('.ts', '')}`,
      comment: `src/${name} may import only from packages below its layer (${LAYERS.slice(i + 1).flat().join(', ')})`,
      severity: 'error',
      from: { path: pkg(name) },
      to: { path: forbidden.map(pkg) },
    });
  }
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Files must not import each other in a circle (type-only imports included).',
      severity: 'error',
      from: { path: '^(src|bench|testkit|ui)/' },
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'src-imports-no-tests',
      comment: 'The product never imports test or benchmark code.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|testkit)/' },
    },
    {
      name: 'bench-imports-no-tests',
      comment: 'Benchmarks share helpers with tests through testkit/, never test/ itself.',
      severity: 'error',
      from: { path: '^(bench|testkit)/' },
      to: { path: '^test/' },
    },
    {
      name: 'ui-is-its-own',
      comment: 'The dashboard (ui/) runs in the browser: it talks to the instance over HTTP only, and nothing imports it.',
      severity: 'error',
      from: { path: '^ui/' },
      to: { path: '^(src|test|bench|testkit)/' },
    },
    {
      name: 'nothing-imports-ui',
      comment: 'The server serves the built dashboard (dist/ui) as files; no code imports its sources.',
      severity: 'error',
      from: { path: '^(src|test|bench|testkit)/' },
      to: { path: '^ui/' },
    },
    {
      name: 'root-only-for-cli-and-tests',
      comment: 'The composition root (startEmulator) is imported by the CLI, tests and benchmarks alone.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli/|emulator\\.ts$)' },
      to: { path: '^src/emulator\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/|^dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.test.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.tsx', '.js'] },
    moduleSystems: ['es6', 'cjs'],
  },
};

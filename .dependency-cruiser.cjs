/**
 * The layering rule, enforced in `npm test` (npm run lint:deps). Imports point only down:
 *
 *   main.ts, wiring.ts   composition root: may import anything
 *   api/                 edges (HTTP server, GraphQL, REST, liveness client API): translate only
 *   app/                 use cases: every rule and limit, once; calls ports
 *   adapters/<name>/     engine, azure, store, net: implement ports; never import each other
 *   ports/               interfaces the use cases need (provider, stores, fetcher, clock)
 *   contracts/           wire types of external protocols (Azure Face v1.2), for api/ and adapters/
 *   domain/, platform/   types, errors, maths; config and logging: import nothing above them
 */
const layer = (name, allowed) => ({
  name: `${name}-imports-only-down`,
  comment: `src/${name} may import only: ${allowed.join(', ')}`,
  severity: 'error',
  from: { path: `^src/${name}/` },
  to: { path: '^src/', pathNot: allowed.map((a) => `^src/${a}/`) },
});

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'No import cycles, at any distance.', from: {}, to: { circular: true } },
    layer('platform', ['platform']),
    layer('domain', ['domain']),
    layer('ports', ['ports', 'domain']),
    layer('app', ['app', 'ports', 'domain', 'platform']),
    layer('contracts', ['contracts', 'domain']),
    layer('api', ['api', 'app', 'ports', 'domain', 'platform', 'contracts']),
    {
      name: 'adapters-imports-only-down',
      comment: 'An adapter may import itself, ports, contracts, domain and platform: not another adapter, app or api.',
      severity: 'error',
      from: { path: '^src/adapters/([^/]+)/' },
      to: { path: '^src/', pathNot: ['^src/adapters/$1/', '^src/ports/', '^src/contracts/', '^src/domain/', '^src/platform/'] },
    },
    {
      name: 'edges-stay-apart',
      comment: 'GraphQL, REST and the liveness client API share only api/shared; api/server.ts composes them.',
      severity: 'error',
      from: { path: '^src/api/(graphql|rest|liveness-client)/' },
      to: { path: '^src/api/', pathNot: ['^src/api/$1/', '^src/api/shared/'] },
    },
    {
      name: 'src-not-to-tests-or-benches',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|tools)/' },
    },
    {
      name: 'examples-use-the-wire',
      comment: 'Examples are clients: they talk to facegraph over HTTP and import none of its code (a test may import an example).',
      severity: 'error',
      from: { path: '^examples/' },
      to: { path: '^(src|test|bench|tools)/' },
    },
    {
      name: 'tests-not-to-benches',
      comment: 'Tests do not import bench code; code both need lives in tools/.',
      severity: 'error',
      from: { path: '^test/' },
      to: { path: '^bench/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    exclude: { path: ['src/api/graphql/generated/'] },
  },
};

/**
 * An Apollo Gateway composing facegraph with the badges subgraph (./badges.ts). Composition is
 * done at start-up from the running subgraphs' SDL (IntrospectAndCompose asks each for
 * `_service { sdl }`); in production you would compose once with `rover supergraph compose` or
 * GraphOS and hand the gateway the static supergraph SDL instead.
 *
 *   npx tsx examples/supergraph/gateway.ts http://127.0.0.1:4000/graphql
 *
 * starts the badges subgraph on port 4002 and the gateway on http://127.0.0.1:4001/.
 */
import { pathToFileURL } from 'node:url';
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { startBadgesSubgraph, type Subgraph } from './badges.js';

export interface GatewayOptions {
  /** facegraph's GraphQL URL, e.g. http://127.0.0.1:4000/graphql. */
  facegraphUrl: string;
  badgesUrl: string;
  /** Sent to facegraph as `authorization: Bearer <key>` when facegraph has FACEGRAPH_API_KEYS. */
  facegraphKey?: string;
  port?: number;
  host?: string;
}

export async function startGateway(options: GatewayOptions): Promise<Subgraph> {
  const { facegraphUrl, badgesUrl, facegraphKey, port = 0, host = '127.0.0.1' } = options;
  const gateway = new ApolloGateway({
    supergraphSdl: new IntrospectAndCompose({
      subgraphs: [
        { name: 'faces', url: facegraphUrl },
        { name: 'badges', url: badgesUrl },
      ],
    }),
    // The default data source posts JSON (content-type: application/json), which passes
    // facegraph's CSRF prevention; only the key needs adding.
    buildService: ({ name, url }) =>
      new RemoteGraphQLDataSource({
        url,
        willSendRequest: ({ request }) => {
          if (name === 'faces' && facegraphKey) request.http?.headers.set('authorization', `Bearer ${facegraphKey}`);
        },
      }),
  });
  const server = new ApolloServer({ gateway });
  const { url } = await startStandaloneServer(server, { listen: { port, host } });
  return { url, stop: () => server.stop() };
}

// Run from the command line (not when a test imports it).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const facegraphUrl = process.argv[2] ?? 'http://127.0.0.1:4000/graphql';
  const badges = await startBadgesSubgraph(4002);
  const gateway = await startGateway({ facegraphUrl, badgesUrl: badges.url, facegraphKey: process.env.FACEGRAPH_KEY, port: 4001 });
  console.log(`badges subgraph at ${badges.url}, gateway at ${gateway.url} (facegraph at ${facegraphUrl})`);
}

/**
 * A tiny second subgraph, "badges": it adds `badges` to facegraph's `Person` entity, referencing
 * it by facegraph's key (`personGroupKind personGroupId personId`), and an `awardBadge` mutation.
 * Badges live in memory: the point is the join, not the storage.
 */
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';

export const BADGES_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  "The same values as facegraph's PersonGroupKind (part of Person's key)."
  enum PersonGroupKind {
    PERSON_GROUP
    LARGE_PERSON_GROUP
  }

  "facegraph's Person, extended with badges."
  type Person @key(fields: "personGroupKind personGroupId personId") {
    personGroupKind: PersonGroupKind!
    personGroupId: ID!
    personId: ID!
    "Badges awarded to the person, in award order."
    badges: [String!]!
  }

  "Names a facegraph Person by its key."
  input PersonKeyInput {
    personGroupKind: PersonGroupKind!
    personGroupId: ID!
    personId: ID!
  }

  type Mutation {
    "Awards a badge (once: awarding it again changes nothing)."
    awardBadge(person: PersonKeyInput!, badge: String!): Person!
  }
`;

interface PersonKey {
  personGroupKind: 'PERSON_GROUP' | 'LARGE_PERSON_GROUP';
  personGroupId: string;
  personId: string;
}

export interface Subgraph {
  url: string;
  stop(): Promise<void>;
}

export async function startBadgesSubgraph(port = 0, host = '127.0.0.1'): Promise<Subgraph> {
  const badges = new Map<string, string[]>();
  const idOf = (p: PersonKey): string => `${p.personGroupKind}/${p.personGroupId}/${p.personId}`;
  const withBadges = (p: PersonKey): PersonKey & { badges: string[] } => ({
    personGroupKind: p.personGroupKind,
    personGroupId: p.personGroupId,
    personId: p.personId,
    badges: badges.get(idOf(p)) ?? [],
  });

  const server = new ApolloServer({
    schema: buildSubgraphSchema({
      typeDefs: parse(BADGES_SDL),
      resolvers: {
        Person: { __resolveReference: (ref: PersonKey) => withBadges(ref) },
        Mutation: {
          awardBadge: (_root: unknown, { person, badge }: { person: PersonKey; badge: string }) => {
            const held = badges.get(idOf(person)) ?? [];
            if (!held.includes(badge)) badges.set(idOf(person), [...held, badge]);
            return withBadges(person);
          },
        },
      },
    }),
    // Otherwise every subgraph response carries an inline trace (and a log line says so).
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  const { url } = await startStandaloneServer(server, { listen: { port, host } });
  return { url, stop: () => server.stop() };
}

/**
 * Every type, field, argument, input field, enum value, scalar and directive definition of ours in
 * the served subgraph schema has a description (Sandbox and Studio show them as the API's docs).
 * What graphql-js and Apollo Federation define (introspection types, built-in scalars and
 * directives, `_Service`, `_Entity`, `_Any`, `Query._service`, `Query._entities`, the linked
 * specs' types and directives) is theirs to describe, not ours.
 */
import { describe, expect, it } from 'vitest';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { Kind, type GraphQLArgument, type GraphQLNamedType, type GraphQLSchema } from 'graphql';
import { buildSchema } from '../../src/api/graphql/schema.js';
import { graphqlRuntime } from '../helpers/graphql-runtime.js';

const { isEnumType, isInputObjectType, isInterfaceType, isObjectType, isSpecifiedDirective, isSpecifiedScalarType, parse } = graphqlRuntime;

const FEDERATION_TYPES = new Set(['_Any', '_Service', '_Entity']);
const FEDERATION_QUERY_FIELDS = new Set(['_service', '_entities']);
/** Names the `@link` spec gives the definitions of a linked spec that are not imported. */
const LINKED_SPEC_PREFIX = /^(link|federation)__/;

/** The directive names imported by the schema's `@link(url:, import: [...])`s, plus `link` itself. */
function linkedDirectiveNames(schema: GraphQLSchema): Set<string> {
  const names = new Set(['link']);
  for (const node of [schema.astNode, ...schema.extensionASTNodes]) {
    for (const directive of node?.directives ?? []) {
      if (directive.name.value !== 'link') continue;
      const imports = directive.arguments?.find((a) => a.name.value === 'import')?.value;
      if (imports?.kind !== Kind.LIST) continue;
      for (const value of imports.values) {
        if (value.kind === Kind.STRING) names.add(value.value.replace(/^@/, ''));
      }
    }
  }
  return names;
}

function isOurs(type: GraphQLNamedType): boolean {
  return (
    !type.name.startsWith('__') && !isSpecifiedScalarType(type) && !FEDERATION_TYPES.has(type.name) && !LINKED_SPEC_PREFIX.test(type.name)
  );
}

const described = (x: { description?: string | null }): boolean => (x.description ?? '').trim() !== '';

/** Schema coordinates (`Type`, `Type.field`, `Type.field(arg:)`, `@directive(arg:)`) lacking a description. */
function undescribedCoordinates(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  const checkArgs = (owner: string, args: readonly GraphQLArgument[]): void => {
    for (const arg of args) if (!described(arg)) missing.push(`${owner}(${arg.name}:)`);
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isOurs(type)) continue;
    if (!described(type)) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (type === schema.getQueryType() && FEDERATION_QUERY_FIELDS.has(field.name)) continue;
        const coordinate = `${type.name}.${field.name}`;
        if (!described(field)) missing.push(coordinate);
        checkArgs(coordinate, field.args);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) if (!described(field)) missing.push(`${type.name}.${field.name}`);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) if (!described(value)) missing.push(`${type.name}.${value.name}`);
    }
  }
  const linked = linkedDirectiveNames(schema);
  for (const directive of schema.getDirectives()) {
    if (isSpecifiedDirective(directive) || linked.has(directive.name) || LINKED_SPEC_PREFIX.test(directive.name)) continue;
    if (!described(directive)) missing.push(`@${directive.name}`);
    checkArgs(`@${directive.name}`, directive.args);
  }
  return missing;
}

describe('schema descriptions', () => {
  it('every type, field, argument, input field, enum value and directive of ours is described', () => {
    const missing = undescribedCoordinates(buildSchema());
    expect(missing, `Add a description (a "..." or """...""" string) to:\n  ${missing.join('\n  ')}\n`).toEqual([]);
  });

  it('finds an undescribed field, argument, enum value, input field, scalar and directive argument (the check can fail)', () => {
    const schema = buildSubgraphSchema({
      typeDefs: parse(`
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
        "A thing."
        directive @mine(level: Int) on FIELD_DEFINITION
        "A face."
        type Face @key(fields: "id") {
          "Its id."
          id: ID!
          box: Int
        }
        "Kinds."
        enum Kind { "One." ONE TWO }
        scalar Upload
        "Options."
        input Options { "Described." a: Int, b: Int }
        "Root."
        type Query {
          "Detects."
          detect(image: String, "Described." options: Options): [Face!]!
        }
      `),
    });
    expect(undescribedCoordinates(schema).sort()).toEqual([
      '@mine(level:)',
      'Face.box',
      'Kind.TWO',
      'Options.b',
      'Query.detect(image:)',
      'Upload',
    ]);
  });
});

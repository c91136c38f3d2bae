/**
 * An Apollo Server plugin recording every GraphQL operation into the app's metrics: its count and
 * latency by operation name, type and root fields, and each error's code (extensions.code of the
 * response's errors, and the `code` of every root payload's userErrors). It also names the active
 * HTTP span after the operation (OpenTelemetry's `graphql.operation.*` attributes).
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { trace } from '@opentelemetry/api';
import { Kind, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import { secondsSince, type Metrics } from '../../platform/metrics.js';
import type { GraphQLContext } from './context.js';

/** The root field names an operation selects (through fragments too), sorted and unique. */
export function rootFields(selectionSet: SelectionSetNode, document: DocumentNode): string[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const names = new Set<string>();
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode): void => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) names.add(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) walk(fragment.selectionSet);
      }
    }
  };
  walk(selectionSet);
  return [...names].sort();
}

/** The codes of the userErrors of every root payload (`{ ..., userErrors: [{ code }] }`) in `data`. */
function userErrorCodes(data: Record<string, unknown> | null | undefined): string[] {
  const codes: string[] = [];
  for (const value of Object.values(data ?? {})) {
    if (typeof value !== 'object' || value === null || !('userErrors' in value) || !Array.isArray(value.userErrors)) continue;
    for (const e of value.userErrors as unknown[]) {
      if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string') codes.push(e.code);
    }
  }
  return codes;
}

export function metricsPlugin(metrics: Metrics): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart({ request }) {
      const started = performance.now();
      let labels = { operation_name: metrics.bounded('operation', request.operationName), operation_type: 'unknown', root_fields: '' };
      return {
        async didResolveOperation({ operation, operationName, document }) {
          if (!operation) return;
          const fields = rootFields(operation.selectionSet, document);
          labels = {
            operation_name: metrics.bounded('operation', operationName),
            operation_type: operation.operation,
            root_fields: metrics.bounded('root_fields', fields.join(',')),
          };
          const span = trace.getActiveSpan();
          span?.updateName(`${operation.operation} ${operationName ?? fields.join(',')}`);
          span?.setAttributes({
            'graphql.operation.type': operation.operation,
            'graphql.operation.name': operationName ?? '',
            'facegraph.graphql.root_fields': fields.join(','),
          });
        },
        async willSendResponse({ response }) {
          metrics.graphqlOperations.inc(labels);
          metrics.graphqlDuration.observe(labels, secondsSince(started));
          if (response.body.kind !== 'single') return;
          const { errors, data } = response.body.singleResult;
          for (const error of errors ?? []) {
            const code = error.extensions?.code;
            metrics.errors.inc({ surface: 'graphql', kind: 'error', code: typeof code === 'string' ? code : 'UNKNOWN', inner_code: '' });
          }
          for (const code of userErrorCodes(data)) metrics.errors.inc({ surface: 'graphql', kind: 'user_error', code, inner_code: '' });
        },
      };
    },
  };
}

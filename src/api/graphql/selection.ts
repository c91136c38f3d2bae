/**
 * Reads what a document selects under Face, so the engine computes landmarks and attributes
 * only when asked. Follows fragments and inline fragments. Pure functions over the AST.
 */
import { Kind, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { FaceAttributeName } from '../../domain/types.js';

export interface FaceSelection {
  landmarks: boolean;
  attributes: Set<FaceAttributeName>;
}

type Fragments = Record<string, FragmentDefinitionNode>;

/** Every field node of a selection set, with fragments flattened. */
function* fields(set: SelectionSetNode | undefined, fragments: Fragments): Generator<{ name: string; set?: SelectionSetNode }> {
  if (!set) return;
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) yield { name: sel.name.value, set: sel.selectionSet };
    else if (sel.kind === Kind.INLINE_FRAGMENT) yield* fields(sel.selectionSet, fragments);
    else yield* fields(fragments[sel.name.value]?.selectionSet, fragments);
  }
}

/** Adds what one Face selection set asks for to `into`. */
export function addFaceSelection(set: SelectionSetNode | undefined, fragments: Fragments, into: FaceSelection): FaceSelection {
  for (const field of fields(set, fragments)) {
    if (field.name === 'landmarks') into.landmarks = true;
    if (field.name === 'attributes') {
      for (const attr of fields(field.set, fragments)) {
        if (attr.name !== '__typename') into.attributes.add(attr.name as FaceAttributeName);
      }
    }
  }
  return into;
}

export function emptySelection(): FaceSelection {
  return { landmarks: false, attributes: new Set() };
}

/**
 * The union of Face selections of every root field in the operation that returns faces
 * (detectFaces now; verify / find-similar image references later). One detection per image then
 * serves every alias, whatever each alias selects.
 */
export function operationFaceSelection(
  operation: OperationDefinitionNode,
  fragments: Fragments,
  rootFields: ReadonlySet<string>,
): FaceSelection {
  const union = emptySelection();
  for (const field of fields(operation.selectionSet, fragments)) {
    if (rootFields.has(field.name)) addFaceSelection(field.set, fragments, union);
  }
  return union;
}

/** Azure wire strings <-> GraphQL enum values (detection_03 <-> DETECTION_03, goodExposure <-> GOOD_EXPOSURE). */
import type { DetectionModel, RecognitionModel } from '../../../domain/types.js';

type IsUpperLetter<C extends string> = C extends Lowercase<C> ? false : true;
type IsLowerLetter<C extends string> = C extends Uppercase<C> ? false : true;

/** The GraphQL enum value of a wire string, as a type: `goodExposure` -> `GOOD_EXPOSURE`, `detection_03` -> `DETECTION_03`. */
export type EnumOf<S extends string, Prev extends string = ''> = S extends `${infer C}${infer Rest}`
  ? `${IsUpperLetter<C> extends true ? (IsLowerLetter<Prev> extends true ? '_' : '') : ''}${Uppercase<C>}${EnumOf<Rest, C>}`
  : '';

/**
 * The runtime twin of EnumOf. The cast is the one place the compiler cannot follow the string
 * operation; EnumOf makes every caller's result type exact, so a wire value without a GraphQL
 * enum counterpart fails to compile where it is returned.
 */
export const toEnum = <S extends string>(wire: S): EnumOf<S> => wire.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase() as EnumOf<S>;

export const detectionModelFromEnum = (value: string): DetectionModel => value.toLowerCase() as DetectionModel;
export const recognitionModelFromEnum = (value: string): RecognitionModel => value.toLowerCase() as RecognitionModel;

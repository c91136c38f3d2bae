/**
 * A FaceProvider decorator that counts detect calls, for tests and benches that prove
 * de-duplication (ten aliases of one image are one detection). Installed through startApp's
 * `decorateProvider` option; production code never sees it.
 */
import type { FaceProvider } from '../src/ports/face-provider.js';

export interface CountingProvider extends FaceProvider {
  /** detect() calls that reached the provider. */
  readonly detections: number;
}

export function countDetections(inner: FaceProvider): CountingProvider {
  let detections = 0;
  return {
    get capabilities() {
      return inner.capabilities;
    },
    get detections() {
      return detections;
    },
    start: () => inner.start(),
    isReady: () => inner.isReady(),
    detect: (image, options) => {
      detections++;
      return inner.detect(image, options);
    },
    verify: (a, b) => inner.verify(a, b),
    findSimilar: (query, candidates, mode, max) => inner.findSimilar(query, candidates, mode, max),
    group: (faces) => inner.group(faces),
    close: () => inner.close(),
  };
}

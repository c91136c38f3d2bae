/**
 * A FaceProvider decorator that counts detect calls, for tests and benches that prove
 * de-duplication (ten aliases of one image are one detection). Installed through startApp's
 * `decorateProvider` option; production code never sees it.
 */
import type { FaceProvider } from '../src/ports/face-provider.js';

export interface CountingProvider extends FaceProvider {
  /** detect() calls that reached the provider. */
  readonly detections: number;
  /** Calls of any operation (detect, verify, findSimilar, group) that reached the provider. */
  readonly calls: number;
}

export function countDetections(inner: FaceProvider): CountingProvider {
  let detections = 0;
  let calls = 0;
  const count = <T>(run: () => Promise<T>): Promise<T> => {
    calls++;
    return run();
  };
  return {
    get capabilities() {
      return inner.capabilities;
    },
    get detections() {
      return detections;
    },
    get calls() {
      return calls;
    },
    start: () => inner.start(),
    isReady: () => inner.isReady(),
    detect: (image, options) => {
      detections++;
      return count(() => inner.detect(image, options));
    },
    detectMany: (images, options) => {
      detections += images.length;
      return count(() => inner.detectMany(images, options));
    },
    verify: (a, b) => count(() => inner.verify(a, b)),
    findSimilar: (query, candidates, mode, max) => count(() => inner.findSimilar(query, candidates, mode, max)),
    group: (faces) => count(() => inner.group(faces)),
    close: () => inner.close(),
  };
}

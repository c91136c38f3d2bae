/** Pixel-space helpers shared by the engine pipeline. Pure functions. */

export interface Point {
  x: number;
  y: number;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Clips a rectangle to the image and floors it, as face-api's `clipAtImageBorders` does. */
export function clipRect(r: Rect, imageWidth: number, imageHeight: number): Rect {
  const x = Math.max(r.x, 0);
  const y = Math.max(r.y, 0);
  const width = Math.min(r.x + r.width - x, imageWidth - x);
  const height = Math.min(r.y + r.height - y, imageHeight - y);
  return { x: Math.floor(x), y: Math.floor(y), width: Math.floor(width), height: Math.floor(height) };
}

export function boundingRect(points: readonly Point[]): Rect {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const p of points) {
    minX = Math.min(minX, p.x);
    minY = Math.min(minY, p.y);
    maxX = Math.max(maxX, p.x);
    maxY = Math.max(maxY, p.y);
  }
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY };
}

export function centroid(points: readonly Point[]): Point {
  let x = 0;
  let y = 0;
  for (const p of points) {
    x += p.x;
    y += p.y;
  }
  return { x: x / points.length, y: y / points.length };
}

/**
 * Copies a clipped rectangle of an RGB image into a new tightly packed RGB buffer.
 * Cheaper than slicing a full-image tensor: only the face's pixels are touched.
 */
export function cropRgb(rgb: Uint8Array, imageWidth: number, r: Rect): Uint8Array {
  const out = new Uint8Array(r.width * r.height * 3);
  const rowBytes = r.width * 3;
  for (let row = 0; row < r.height; row++) {
    const start = ((r.y + row) * imageWidth + r.x) * 3;
    out.set(rgb.subarray(start, start + rowBytes), row * rowBytes);
  }
  return out;
}

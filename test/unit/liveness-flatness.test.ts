/** Planar fits and residuals (src/liveness/flatness.ts) on synthetic point sets. */
import { describe, expect, it } from 'vitest';
import { face3d, jitterPoints, mapPoints, project, rng, rotate } from '../../tools/liveness-synthetic/landmarks.js';
import {
  applyMatrix,
  fitAffine,
  fitHomography,
  fitSimilarity,
  interOcularDistance,
  planarResidual,
  rmsResidual,
  type Matrix3,
  type Pt,
} from '../../src/domain/liveness/flatness.js';

const CAMERA = { cx: 320, cy: 240, pxPerUnit: 0.9 };
const frontal = (): Pt[] => project(rotate(face3d(), 0), CAMERA);

/** A strong but plausible perspective map (a photo tilted in front of the camera). */
const H: Matrix3 = [1.08, 0.06, -25, -0.04, 0.93, 18, 0.0005, -0.0003, 1];

describe('fits recover the map that generated the points', () => {
  it('homography: exact on a planar point set, residual ~ 0', () => {
    const a = frontal();
    const b = mapPoints(a, H);
    const m = fitHomography(a, b);
    expect(rmsResidual(m, a, b)).toBeLessThan(1e-8);
    m.forEach((v, i) => expect(v).toBeCloseTo(H[i]!, 6));
    expect(planarResidual(a, b, 'homography')).toBeLessThan(1e-9);
  });

  it('homography: exact from four points (a square onto a quadrilateral)', () => {
    const src = [
      { x: 0, y: 0 },
      { x: 100, y: 0 },
      { x: 100, y: 100 },
      { x: 0, y: 100 },
    ];
    const dst = [
      { x: 10, y: 5 },
      { x: 120, y: 15 },
      { x: 110, y: 130 },
      { x: -5, y: 95 },
    ];
    const m = fitHomography(src, dst);
    src.forEach((p, k) => {
      const q = applyMatrix(m, p);
      expect(q.x).toBeCloseTo(dst[k]!.x, 6);
      expect(q.y).toBeCloseTo(dst[k]!.y, 6);
    });
  });

  it('affine: exact under an affine map, but not under perspective (where the homography is)', () => {
    const a = frontal();
    const affine: Matrix3 = [1.1, 0.2, 5, -0.1, 0.9, -7, 0, 0, 1];
    expect(planarResidual(a, mapPoints(a, affine), 'affine')).toBeLessThan(1e-9);
    const b = mapPoints(a, H);
    expect(planarResidual(a, b, 'affine')).toBeGreaterThan(0.005);
    expect(planarResidual(a, b, 'homography')).toBeLessThan(1e-9);
    const m = fitAffine(a, mapPoints(a, affine));
    m.forEach((v, i) => expect(v).toBeCloseTo(affine[i]!, 8));
  });

  it('similarity: exact under scale + rotation + translation', () => {
    const a = frontal();
    const r = (12 * Math.PI) / 180;
    const sim: Matrix3 = [1.2 * Math.cos(r), -1.2 * Math.sin(r), 30, 1.2 * Math.sin(r), 1.2 * Math.cos(r), -12, 0, 0, 1];
    const m = fitSimilarity(a, mapPoints(a, sim));
    m.forEach((v, i) => expect(v).toBeCloseTo(sim[i]!, 8));
    expect(planarResidual(a, mapPoints(a, sim), 'similarity')).toBeLessThan(1e-9);
  });

  it('landmark noise leaves a small residual on a flat point set (~ sigma / inter-ocular distance)', () => {
    const a = frontal();
    const random = rng(3);
    const b = jitterPoints(mapPoints(a, H), 0.5, random);
    const r = planarResidual(jitterPoints(a, 0.5, random), b, 'homography');
    expect(r).toBeGreaterThan(0.003);
    expect(r).toBeLessThan(0.02);
  });
});

describe('a 3-D face is not planar once it turns', () => {
  it('a 20° yaw turn of the 3-D point set, projected: residual clearly above 0 (and above the decision threshold 0.08)', () => {
    const a = frontal();
    const b = project(rotate(face3d(), 20), CAMERA);
    expect(planarResidual(a, b, 'homography')).toBeGreaterThan(0.08);
    expect(planarResidual(a, b, 'affine')).toBeGreaterThan(planarResidual(a, b, 'homography'));
  });

  it('the residual grows with the turn, for either direction', () => {
    const a = frontal();
    const r = [5, 10, 20, 30].map((yaw) => planarResidual(a, project(rotate(face3d(), yaw), CAMERA)));
    for (let i = 1; i < r.length; i++) expect(r[i]!).toBeGreaterThan(r[i - 1]!);
    expect(planarResidual(a, project(rotate(face3d(), -20), CAMERA))).toBeGreaterThan(0.08);
  });

  it('the same 3-D face printed flat (one projection moved by a homography) stays planar even when the print is "turned"', () => {
    const photo = project(rotate(face3d(), 5), CAMERA);
    const turnedPrint = mapPoints(photo, H);
    expect(planarResidual(photo, turnedPrint)).toBeLessThan(1e-9);
  });

  it('the residual does not depend on the face size (divided by the inter-ocular distance)', () => {
    const small = { ...CAMERA, pxPerUnit: 0.5 };
    const big = { ...CAMERA, pxPerUnit: 2 };
    const rs = planarResidual(project(rotate(face3d(), 0), small), project(rotate(face3d(), 20), small));
    const rb = planarResidual(project(rotate(face3d(), 0), big), project(rotate(face3d(), 20), big));
    expect(rb).toBeCloseTo(rs, 6);
  });
});

describe('helpers and input checks', () => {
  it('inter-ocular distance: between the eye centroids (36–41, 42–47)', () => {
    const pts = Array.from({ length: 68 }, () => ({ x: 0, y: 0 }));
    for (let i = 36; i < 42; i++) pts[i] = { x: 100 + (i % 2 ? 5 : -5), y: 50 + (i % 3) };
    for (let i = 42; i < 48; i++) pts[i] = { x: 160 + (i % 2 ? 5 : -5), y: 50 + (i % 3) };
    expect(interOcularDistance(pts)).toBeCloseTo(60, 9);
  });

  it('refuses mismatched or too few points', () => {
    const a = frontal();
    expect(() => fitHomography(a, a.slice(1))).toThrow(/differ/);
    expect(() => fitHomography(a.slice(0, 3), a.slice(0, 3))).toThrow(/at least 4/);
    expect(() => fitAffine(a.slice(0, 2), a.slice(0, 2))).toThrow(/at least 3/);
    expect(() => interOcularDistance(a.slice(0, 20))).toThrow(/68/);
  });

  it('degenerate (collinear) points: a clear error, not NaN', () => {
    const line = Array.from({ length: 10 }, (_, i) => ({ x: i, y: 2 * i }));
    expect(() => fitHomography(line, line)).toThrow(/degenerate/);
  });
});

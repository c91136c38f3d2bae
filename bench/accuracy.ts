/**
 * Recognition accuracy of the shipped similarity constants (src/face/similarity.ts) and of
 * grouping (src/face/grouping.ts) on real faces. Prints numbers; never asserts (exit code 0).
 *
 *   (a) verification: every pair of single-person photos under ../shared/faces/people (largest
 *       face of each; same folder = same person): ROC AUC of the distance (Mann–Whitney),
 *       accuracy at the shipped THRESHOLD, false accept rate (different-person pairs accepted),
 *       false reject rate (same-person pairs rejected), pair counts; plots of the ROC curve (log
 *       FAR axis) and of the same/different distance histograms: bench/out/accuracy-roc.svg,
 *       bench/out/accuracy-scores.svg;
 *   (b) grouping every photo of people/ with groupEmbeddings: groups, mixed groups, messyGroup;
 *   (c) grouping every face found in ../shared/video/hamilton-clip.mp4 sampled at 2 fps (ffmpeg,
 *       frames in a temp dir): group sizes, messy count, and a contact sheet per group in
 *       bench/out/groups/ (group-<n>.png, messy.png; 96x96 crops, time order) to inspect by eye;
 *   then a summary against the targets: AUC >= 0.995, accuracy >= 0.98, one group per person,
 *   no mixed group, the one-photo person in messyGroup.
 *
 * Run: npm run bench:accuracy  (npx tsx bench/accuracy.ts; about 10 s on 2 cores)
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { groupEmbeddings } from '../src/domain/grouping.js';
import { euclideanDistance, SLOPE, THRESHOLD } from '../src/domain/similarity.js';
import type { FaceRectangle } from '../src/domain/types.js';
import { BENCH_DIR, DETECT_OPTIONS, embedLargest, extractFrames, findFfmpeg, peoplePhotos, startProvider, VIDEO_FILE } from './lib/data.js';
import { histogram, lineChart, writePlot } from './lib/plot.js';
import { fmt, pairsWithin, ratesAt, rocAuc, rocCurve, type LabelledPair } from './lib/stats.js';

const OUT_DIR = path.join(BENCH_DIR, 'out');
const GROUPS_DIR = path.join(OUT_DIR, 'groups');
const TILE = 96;
const SHEET_COLUMNS = 8;
/** Margin added around each face rectangle in the contact sheets, as a fraction of its size. */
const CROP_MARGIN = 0.15;

const TARGETS = { auc: 0.995, accuracy: 0.98 } as const;

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

interface VideoFace {
  frame: string;
  t: number;
  rect: FaceRectangle;
  embedding: Float32Array;
}

async function contactSheet(faces: readonly VideoFace[], file: string): Promise<void> {
  const tiles = await Promise.all(
    faces.map(async (f) => {
      const img = sharp(f.frame);
      const { width = 0, height = 0 } = await img.metadata();
      const mx = Math.round(f.rect.width * CROP_MARGIN);
      const my = Math.round(f.rect.height * CROP_MARGIN);
      const left = Math.max(0, f.rect.left - mx);
      const top = Math.max(0, f.rect.top - my);
      const right = Math.min(width, f.rect.left + f.rect.width + mx);
      const bottom = Math.min(height, f.rect.top + f.rect.height + my);
      return img
        .extract({ left, top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) })
        .resize(TILE, TILE, { fit: 'contain', background: { r: 0, g: 0, b: 0 } })
        .png()
        .toBuffer();
    }),
  );
  const columns = Math.min(SHEET_COLUMNS, Math.max(1, tiles.length));
  const rows = Math.max(1, Math.ceil(tiles.length / columns));
  const gap = 2;
  await sharp({
    create: { width: columns * (TILE + gap) + gap, height: rows * (TILE + gap) + gap, channels: 3, background: { r: 40, g: 40, b: 40 } },
  })
    .composite(
      tiles.map((input, i) => ({ input, left: gap + (i % columns) * (TILE + gap), top: gap + Math.floor(i / columns) * (TILE + gap) })),
    )
    .png()
    .toFile(file);
}

/** The ROC curve (log FAR axis) and the histograms of same- and different-person distances. */
async function plotVerification(pairs: readonly LabelledPair[], auc: number): Promise<void> {
  const { nSame, nDiff, falseAcceptRate, falseRejectRate } = ratesAt(pairs, THRESHOLD);
  const counts = `${nSame} same-person, ${nDiff} different-person pairs of people/`;
  const curve = rocCurve(pairs);
  // A log axis cannot show FAR 0: say in the subtitle what the curve reaches there.
  const tarAtFarZero = Math.max(...curve.filter(([far]) => far === 0).map(([, tar]) => tar));
  const operating = { label: `THRESHOLD ${THRESHOLD}`, x: falseAcceptRate, y: 1 - falseRejectRate };
  const roc = await writePlot(path.join(OUT_DIR, 'accuracy-roc.svg'), [
    lineChart({
      title: `Verification ROC (AUC ${fmt(auc, 4)})`,
      subtitle: [counts, `TAR ${fmt(tarAtFarZero)} at FAR 0 (a log axis cannot show FAR 0)`],
      x: {
        title: 'false accept rate (different-person pairs accepted)',
        scale: 'log',
        domain: [10 ** Math.floor(Math.log10(1 / nDiff)), 1],
      },
      y: { title: 'true accept rate (same-person pairs accepted)', domain: [0, 1] },
      series: [{ name: 'accept when distance <= t, every t', points: curve }],
      marks: operating.x > 0 ? [operating] : [],
    }),
  ]);
  const distances = (same: boolean): number[] => pairs.filter((p) => p.same === same).map((p) => p.distance);
  const scores = await writePlot(path.join(OUT_DIR, 'accuracy-scores.svg'), [
    histogram({
      title: 'Distances of same- and different-person pairs',
      subtitle: counts,
      xTitle: 'euclidean distance between embeddings',
      groups: [
        { name: `same person (${nSame})`, values: distances(true) },
        { name: `different people (${nDiff})`, values: distances(false) },
      ],
      binStep: 0.05,
      extent: [0, Math.ceil(Math.max(...pairs.map((p) => p.distance)) * 10) / 10],
      marks: [{ label: `THRESHOLD ${THRESHOLD}`, x: THRESHOLD }],
    }),
  ]);
  console.log(`    plots: ${roc}, ${scores}`);
}

function meanDistance(a: Float32Array, group: readonly Float32Array[]): number {
  return group.reduce((s, e) => s + euclideanDistance(a, e), 0) / group.length;
}

async function main(): Promise<void> {
  console.log(`Recognition accuracy at the shipped constants: THRESHOLD=${THRESHOLD}, SLOPE=${SLOPE}\n`);
  const checks: Check[] = [];
  const provider = await startProvider();
  try {
    // --- (a) verification on people/ ------------------------------------------------------
    const photos = await embedLargest(provider, peoplePhotos());
    const pairs = pairsWithin(photos, 'photos');
    const auc = rocAuc(pairs);
    const r = ratesAt(pairs, THRESHOLD);
    const people = [...new Set(photos.map((p) => p.label))];
    console.log(
      `(a) verification: ${photos.length} photos of ${people.length} people under people/, ${pairs.length} pairs (${r.nSame} same-person, ${r.nDiff} different-person)`,
    );
    console.log(`    ROC AUC (Mann–Whitney over pair distances)  ${fmt(auc, 4)}`);
    console.log(`    accuracy at THRESHOLD ${THRESHOLD}                 ${fmt(r.accuracy, 4)}`);
    console.log(
      `    false accept rate (different accepted)      ${fmt(r.falseAcceptRate, 4)}  (${Math.round(r.falseAcceptRate * r.nDiff)}/${r.nDiff})`,
    );
    console.log(
      `    false reject rate (same rejected)           ${fmt(r.falseRejectRate, 4)}  (${Math.round(r.falseRejectRate * r.nSame)}/${r.nSame})`,
    );
    const worstSame = pairs.filter((p) => p.same).reduce((w, p) => (p.distance > w.distance ? p : w));
    const closestDiff = pairs.filter((p) => !p.same).reduce((c, p) => (p.distance < c.distance ? p : c));
    console.log(`    worst same-person distance                  ${fmt(worstSame.distance, 4)}  (${worstSame.a} ~ ${worstSame.b})`);
    console.log(`    closest different-person distance           ${fmt(closestDiff.distance, 4)}  (${closestDiff.a} ~ ${closestDiff.b})`);
    const errors = pairs.filter((p) => p.distance <= THRESHOLD !== p.same);
    for (const e of errors)
      console.log(`    error: ${e.same ? 'rejected same' : 'accepted different'} ${e.a} ~ ${e.b} at ${fmt(e.distance)}`);
    await plotVerification(pairs, auc);
    checks.push({ name: `AUC >= ${TARGETS.auc}`, ok: auc >= TARGETS.auc, detail: fmt(auc, 4) });
    checks.push({
      name: `accuracy >= ${TARGETS.accuracy} at THRESHOLD ${THRESHOLD}`,
      ok: r.accuracy >= TARGETS.accuracy,
      detail: fmt(r.accuracy, 4),
    });

    // --- (b) grouping people/ -------------------------------------------------------------
    const grouping = groupEmbeddings(photos.map((p) => p.embedding));
    const label = (i: number): string => photos[i]!.label;
    console.log(
      `\n(b) grouping people/ (${photos.length} faces): ${grouping.groups.length} groups, ${grouping.messyGroup.length} in messyGroup`,
    );
    let mixed = 0;
    for (const [n, g] of grouping.groups.entries()) {
      const who = [...new Set(g.map(label))];
      if (who.length > 1) mixed++;
      console.log(
        `    group ${n + 1} (${g.length}): ${who.length > 1 ? 'MIXED ' : ''}${g.map((i) => photos[i]!.id.replace('people/', '')).join(', ')}`,
      );
    }
    console.log(
      `    messyGroup (${grouping.messyGroup.length}): ${grouping.messyGroup.map((i) => photos[i]!.id.replace('people/', '')).join(', ') || '(empty)'}`,
    );
    const multi = people.filter((p) => photos.filter((x) => x.label === p).length > 1);
    const single = people.filter((p) => photos.filter((x) => x.label === p).length === 1);
    const onePerPerson =
      grouping.groups.length === multi.length &&
      multi.every((p) =>
        grouping.groups.some((g) => g.every((i) => label(i) === p) && g.length === photos.filter((x) => x.label === p).length),
      );
    const messyOk = grouping.messyGroup.length === single.length && single.every((p) => grouping.messyGroup.some((i) => label(i) === p));
    checks.push({
      name: 'people/: one group per multi-photo person',
      ok: onePerPerson,
      detail: `${grouping.groups.length} groups for ${multi.length} people`,
    });
    checks.push({ name: 'people/: no group mixes people', ok: mixed === 0, detail: `${mixed} mixed` });
    checks.push({
      name: `people/: one-photo person (${single.join(', ')}) in messyGroup, nobody else`,
      ok: messyOk,
      detail: grouping.messyGroup.map(label).join(', ') || '(empty)',
    });

    // --- (c) grouping the faces of the video ----------------------------------------------
    const ffmpeg = findFfmpeg();
    if (!ffmpeg) {
      console.log('\n(c) video: no ffmpeg (npm ci installs @ffmpeg-installer/ffmpeg): skipped');
    } else {
      const { frames, cleanup } = extractFrames(ffmpeg, VIDEO_FILE, 2);
      try {
        const faces: VideoFace[] = [];
        for (const f of frames) {
          for (const d of await provider.detect(readFileSync(f.file), DETECT_OPTIONS)) {
            if (d.embedding) faces.push({ frame: f.file, t: f.t, rect: d.faceRectangle, embedding: d.embedding });
          }
        }
        const g = groupEmbeddings(faces.map((f) => f.embedding));
        console.log(
          `\n(c) video: ${path.basename(VIDEO_FILE)} at 2 fps: ${frames.length} frames, ${faces.length} faces in ${new Set(faces.map((f) => f.frame)).size} frames`,
        );
        console.log(
          `    ${g.groups.length} groups, sizes [${g.groups.map((x) => x.length).join(', ')}], messyGroup ${g.messyGroup.length}`,
        );
        mkdirSync(GROUPS_DIR, { recursive: true });
        for (const f of readdirSync(GROUPS_DIR)) if (f.endsWith('.png')) rmSync(path.join(GROUPS_DIR, f));
        const describeFace = (i: number): string => {
          const f = faces[i]!;
          return `${f.t.toFixed(1)}s ${f.rect.width}px@(${f.rect.left},${f.rect.top})`;
        };
        // Which people/ identity each group is closest to on average: a hint for inspection only.
        const byPerson = people.map((p) => ({ p, embs: photos.filter((x) => x.label === p).map((x) => x.embedding) }));
        const nearestPerson = (members: readonly number[]): string => {
          const scored = byPerson
            .map(({ p, embs }) => ({ p, d: members.reduce((s, i) => s + meanDistance(faces[i]!.embedding, embs), 0) / members.length }))
            .sort((x, y) => x.d - y.d);
          return `${scored[0]!.p} ${fmt(scored[0]!.d)}, next ${scored[1]!.p} ${fmt(scored[1]!.d)}`;
        };
        for (const [n, members] of g.groups.entries()) {
          const file = path.join(GROUPS_DIR, `group-${n + 1}.png`);
          await contactSheet(
            members.map((i) => faces[i]!),
            file,
          );
          console.log(
            `    group ${n + 1} (${members.length}) -> ${path.relative(process.cwd(), file)}; nearest people/ identity (mean distance): ${nearestPerson(members)}`,
          );
          console.log(`        ${members.map(describeFace).join('; ')}`);
        }
        if (g.messyGroup.length) {
          const file = path.join(GROUPS_DIR, 'messy.png');
          await contactSheet(
            g.messyGroup.map((i) => faces[i]!),
            file,
          );
          console.log(`    messyGroup (${g.messyGroup.length}) -> ${path.relative(process.cwd(), file)}`);
          console.log(`        ${g.messyGroup.map(describeFace).join('; ')}`);
        }
      } finally {
        cleanup();
      }
    }
  } finally {
    await provider.close();
  }

  console.log('\nTargets:');
  for (const c of checks) console.log(`  ${c.ok ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`);
}

await main();

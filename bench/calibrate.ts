/**
 * Calibrates the verification threshold and the confidence curve (src/face/similarity.ts).
 * Prints numbers; never asserts, never edits the source (the constants are set by hand from
 * this output).
 *
 * Data (read in place from ../shared, never copied into the repo):
 *   photos      the largest face of every photo under faces/people/ (16 photos, 6 people);
 *               every pair: same folder = same person, different folders = different people.
 *   video       if ffmpeg is installed: ../shared/video/hamilton-clip.mp4 sampled at 2 fps; the
 *               close-up shot (t = 3.5–7.5 s, one face per frame, checked) is one person, so
 *               its frames give same-person pairs among themselves. That close-up is
 *               Lin-Manuel Miranda, the person of faces/people/lin_manuel_miranda/1.png (a still
 *               of the same performance), so its frames against that photo are same-person
 *               pairs and against the other five people's photos different-person pairs.
 *               Frames of one shot are strongly correlated: not independent samples.
 *
 * Method:
 *   1. Distances (euclidean, 128-d) per class and pair set: min / median / max.
 *   2. Threshold: the classes are separable, so the accuracy-maximising thresholds form the
 *      margin (max same-person distance, min different-person distance); its midpoint is chosen.
 *   3. Slope: with the threshold fixed, a 1-D logistic regression of same-person on
 *      (distance - threshold), L2-penalised: minimise mean log-loss + lambda * slope^2 with
 *      lambda = 0.03 (mild; 0.01 and 0.1 are printed too). Without the penalty the slope
 *      diverges on separable data, so on this data the penalty, not the likelihood, sets the
 *      slope's size: read it as "as steep as the data allows at a mild penalty".
 *
 * Run: npx tsx bench/calibrate.ts   (about 10 s on 2 cores)
 */
import { readFileSync } from 'node:fs';
import { SLOPE, THRESHOLD } from '../src/face/similarity.js';
import { DETECT_OPTIONS, embedLargest, extractFrames, findFfmpeg, peoplePhotos, startProvider, VIDEO_FILE, type Embedded } from './lib/data.js';
import { chooseThreshold, fitSlope, fmt, pairsAcross, pairsWithin, ratesAt, summarise, type LabelledPair } from './lib/stats.js';

/** The close-up shot of the clip, measured by viewing frames at 4 fps: ~3.4 s to ~7.9 s. */
const CLOSEUP = { from: 3.5, to: 7.5, person: 'lin_manuel_miranda' } as const;
const LAMBDAS = [0.01, 0.03, 0.1] as const;
const CHOSEN_LAMBDA = 0.03;

function printClasses(title: string, pairs: readonly LabelledPair[]): void {
  const same = summarise(pairs.filter((p) => p.same).map((p) => p.distance));
  const diff = summarise(pairs.filter((p) => !p.same).map((p) => p.distance));
  const row = (name: string, s: typeof same): string =>
    `    ${name.padEnd(16)} n=${String(s.n).padStart(3)}  min ${fmt(s.min)}  median ${fmt(s.median)}  max ${fmt(s.max)}`;
  console.log(`  ${title}`);
  if (same.n) console.log(row('same person', same));
  if (diff.n) console.log(row('different person', diff));
}

const confidence = (d: number, t: number, s: number): number => 1 / (1 + Math.exp(s * (d - t)));

async function main(): Promise<void> {
  console.log(`Calibration of src/face/similarity.ts (currently THRESHOLD=${THRESHOLD}, SLOPE=${SLOPE})\n`);
  const provider = await startProvider();
  try {
    // --- photos ---------------------------------------------------------------------------
    const photos = await embedLargest(provider, peoplePhotos());
    const people = [...new Set(photos.map((p) => p.label))];
    console.log(`photos: ${photos.length} faces of ${people.length} people (largest face per photo)`);
    for (const p of photos) console.log(`  ${p.id.padEnd(36)} face ${p.face.faceRectangle.width}px`);
    const photoPairs = pairsWithin(photos, 'photos');

    // --- video ----------------------------------------------------------------------------
    let videoPairs: LabelledPair[] = [];
    let crossPairs: LabelledPair[] = [];
    const ffmpeg = findFfmpeg();
    if (!ffmpeg) {
      console.log('\nvideo: ffmpeg not installed (apt-get install -y ffmpeg): video pairs skipped');
    } else {
      const { frames, cleanup } = extractFrames(ffmpeg, VIDEO_FILE, 2);
      try {
        const closeup: Embedded<string>[] = [];
        for (const f of frames.filter((x) => x.t >= CLOSEUP.from - 1e-9 && x.t <= CLOSEUP.to + 1e-9)) {
          const faces = await provider.detect(readFileSync(f.file), DETECT_OPTIONS);
          const face = faces[0];
          if (faces.length !== 1 || !face?.embedding) {
            console.log(`  warning: t=${f.t}s has ${faces.length} faces, expected 1: frame skipped`);
            continue;
          }
          closeup.push({ id: `video@${f.t.toFixed(1)}s`, label: CLOSEUP.person, embedding: face.embedding, face });
        }
        console.log(
          `\nvideo: ${frames.length} frames at 2 fps; close-up t=${CLOSEUP.from}–${CLOSEUP.to}s: ${closeup.length} faces ` +
            `(${Math.min(...closeup.map((c) => c.face.faceRectangle.width))}–${Math.max(...closeup.map((c) => c.face.faceRectangle.width))}px wide)`,
        );
        videoPairs = pairsWithin(closeup, 'video close-up x itself');
        crossPairs = pairsAcross(closeup, photos, 'video close-up x photos');
      } finally {
        cleanup();
      }
    }

    // --- distances ------------------------------------------------------------------------
    const all = [...photoPairs, ...videoPairs, ...crossPairs];
    console.log('\nDistances (euclidean between 128-d embeddings):');
    printClasses(`photos (${photoPairs.length} pairs)`, photoPairs);
    if (videoPairs.length) printClasses(`video close-up frames among themselves (${videoPairs.length} pairs)`, videoPairs);
    if (crossPairs.length) printClasses(`video close-up frames x photos (${crossPairs.length} pairs)`, crossPairs);
    printClasses(`all labelled pairs (${all.length})`, all);

    const closestDiff = [...all].filter((p) => !p.same).sort((p, q) => p.distance - q.distance).slice(0, 3);
    const worstSame = [...all].filter((p) => p.same).sort((p, q) => q.distance - p.distance).slice(0, 3);
    console.log('  worst same-person pairs:      ' + worstSame.map((p) => `${fmt(p.distance)} ${p.a}~${p.b}`).join('; '));
    console.log('  closest different-person:    ' + closestDiff.map((p) => `${fmt(p.distance)} ${p.a}~${p.b}`).join('; '));

    // --- threshold ------------------------------------------------------------------------
    console.log('\nThreshold (accept <=> distance <= threshold):');
    const choices: Array<[string, readonly LabelledPair[]]> = [['photos only', photoPairs]];
    if (videoPairs.length) choices.push(['all labelled pairs', all]);
    let chosen = chooseThreshold(photoPairs);
    for (const [name, pairs] of choices) {
      const c = chooseThreshold(pairs);
      console.log(
        `  ${name.padEnd(20)} margin ${fmt(c.maxSame)} .. ${fmt(c.minDiff)} (${c.separable ? `separable, width ${fmt(c.minDiff - c.maxSame)}` : 'NOT separable'}); ` +
          `midpoint ${fmt(c.marginMidpoint, 4)}; best accuracy ${fmt(c.bestAccuracy.accuracy, 4)} for t in [${fmt(c.bestAccuracy.lo)}, ${fmt(c.bestAccuracy.hi)}), mid ${fmt(c.bestAccuracy.mid, 4)}`,
      );
      chosen = c;
    }
    // The last (widest data) choice wins: its margin lies inside the photos' margin.
    const threshold = chosen.separable ? chosen.marginMidpoint : chosen.bestAccuracy.mid;
    const thresholdRounded = Math.round(threshold * 100) / 100;
    console.log(`  -> THRESHOLD = ${fmt(threshold, 4)} (${chosen.separable ? 'margin midpoint' : 'accuracy-maximising midpoint'}), rounded ${thresholdRounded.toFixed(2)}`);

    // --- slope ----------------------------------------------------------------------------
    console.log(`\nSlope: L2-penalised logistic regression on (distance - ${thresholdRounded.toFixed(2)}), all ${all.length} labelled pairs,`);
    console.log('       minimise mean log-loss + lambda * slope^2 (unpenalised: diverges, the classes are separable)');
    let slope = NaN;
    for (const lambda of LAMBDAS) {
      const fit = fitSlope(all, thresholdRounded, lambda);
      if (lambda === CHOSEN_LAMBDA) slope = fit.slope;
      console.log(`  lambda ${lambda.toFixed(2)}: slope ${fmt(fit.slope, 2)} (mean log-loss ${fmt(fit.meanNll, 4)})${lambda === CHOSEN_LAMBDA ? '  <- chosen' : ''}`);
    }
    const photoOnly = fitSlope(photoPairs, thresholdRounded, CHOSEN_LAMBDA);
    console.log(`  (photos only, lambda ${CHOSEN_LAMBDA}: slope ${fmt(photoOnly.slope, 2)})`);
    const slopeRounded = Math.round(slope * 2) / 2;
    console.log(`  -> SLOPE = ${fmt(slope, 3)}, rounded ${slopeRounded.toFixed(1)}`);

    // --- the fitted curve -----------------------------------------------------------------
    console.log(`\nFitted: THRESHOLD = ${thresholdRounded.toFixed(2)}, SLOPE = ${slopeRounded.toFixed(1)}`);
    const r = ratesAt(all, thresholdRounded);
    console.log(`  at the rounded threshold, all pairs: accuracy ${fmt(r.accuracy, 4)}, false accept ${fmt(r.falseAcceptRate, 4)}, false reject ${fmt(r.falseRejectRate, 4)}`);
    console.log('  confidence at distance:');
    for (const d of [0.3, 0.4, 0.5, chosen.maxSame, thresholdRounded, chosen.minDiff, 0.7, 0.8, 0.9]) {
      console.log(`    d=${fmt(d)}  fitted ${fmt(confidence(d, thresholdRounded, slopeRounded), 4)}   (current ${THRESHOLD}/${SLOPE}: ${fmt(confidence(d, THRESHOLD, SLOPE), 4)})`);
    }
  } finally {
    await provider.close();
  }
}

await main();

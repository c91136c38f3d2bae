/**
 * bench:liveness's plots, from the attempts' raw scores (the shape bench/out/liveness.json keeps):
 *   liveness-det.svg     a DET curve per attack of the score meant to stop it: Passive's
 *                        live-motion residual against flat and replayed PAIs, the identity split
 *                        against identity switches, the light score against the light attacks
 *                        (exact replays are stopped by the digest, not a score); the thresholds
 *                        chosen on the tuning part (light: the shipped minScore) as diamonds, the
 *                        equal error rate in the legend;
 *   liveness-scores.svg  those scores and the flatness residual, every attempt, per attack, with
 *                        those thresholds.
 * Held-out attempts only.
 * One score at a time: the decision combines them with quality gates and the challenge, so these
 * are not the decision's error rates (the printed tables are).
 */
import path from 'node:path';
import type { LivenessThresholds } from '../../src/domain/liveness/decision.js';
import { detCurve, equalErrorRate, errorRatesAt, type BonaFideEnd, type RawMeasures, type Species } from './liveness-eval.js';
import { lineChart, strips, writePlot } from './plot.js';

export interface ScoredAttempt {
  species: Species;
  variant: string;
  raw: RawMeasures;
  /** Rendered under the light challenge (its frames differ from the plain windows'). */
  lit: boolean;
  light: { score: number } | null;
}

export async function plotLiveness(
  attempts: readonly ScoredAttempt[],
  outDir: string,
  o: { thresholds: LivenessThresholds; lightMinScore: number },
): Promise<string[]> {
  const th = o.thresholds;
  const pick = (species: Species, variant = ''): ScoredAttempt[] =>
    attempts.filter((a) => a.species === species && a.variant.startsWith(variant) && !a.lit);
  const lightScores = (species: Species): number[] =>
    attempts.filter((a) => a.species === species && a.lit && a.light).map((a) => a.light!.score);
  const lightCurves: Array<{ name: string; species: Species }> = [
    { name: '(f) screen replay lit by flashes', species: 'f' },
    { name: "(g) another sequence's reflection", species: 'g' },
    { name: '(h) no reflection', species: 'h' },
  ];
  const scores = (as: readonly ScoredAttempt[], k: keyof RawMeasures): number[] => as.map((a) => a.raw[k]);
  const bonaFide = pick('genuine');
  const video = pick('c', 'screen video');
  const flat = [
    { name: '(a) still photo, hand jitter', as: pick('a') },
    { name: '(b) print tilted/turned', as: pick('b') },
    { name: '(c) screen, still frame', as: pick('c', 'screen still') },
  ];
  const motion = [...flat, { name: '(c) screen, video replay', as: video }];
  const switches = pick('d');

  const curves: Array<{ name: string; as: ScoredAttempt[]; score: keyof RawMeasures; end: BonaFideEnd; threshold: number }> = [
    ...motion.map((m) => ({ ...m, score: 'motion' as const, end: 'high' as const, threshold: th.motionLiveResidual })),
    { name: '(d) identity switch', as: switches, score: 'identitySplit', end: 'low', threshold: th.identitySplitDistance },
  ];
  const det = await writePlot(path.join(outDir, 'liveness-det.svg'), [
    lineChart({
      title: 'Liveness DET: each attack against the score meant to stop it',
      subtitle: [
        `Held-out part: ${bonaFide.length} bona fide windows (${lightScores('genuine').length} lit attempts) of one subject; synthetic attacks.`,
        'Diamonds: the motion and identity thresholds chosen on the tuning part; light: the shipped minScore.',
        'A curve along the axes: that score separates the attack completely. (e) exact replay: stopped by the digest.',
      ],
      x: { title: 'APCER (attacks passing the score)', domain: [0, 1] },
      y: { title: 'BPCER (bona fide failing the score)', domain: [0, 1] },
      series: [
        ...curves.map((c) => {
          const points = detCurve(scores(bonaFide, c.score), scores(c.as, c.score), c.end);
          const label = c.score === 'motion' ? 'live motion' : 'identity split';
          return { name: `${c.name} (${c.as.length}), ${label}: EER ${equalErrorRate(points).toFixed(2)}`, points };
        }),
        ...lightCurves.map((c) => {
          const points = detCurve(lightScores('genuine'), lightScores(c.species), 'high');
          return { name: `${c.name} (${lightScores(c.species).length}), light score: EER ${equalErrorRate(points).toFixed(2)}`, points };
        }),
      ],
      marks: [
        ...curves.map((c) => {
          const [x, y] = errorRatesAt(scores(bonaFide, c.score), scores(c.as, c.score), c.end, c.threshold);
          return { label: '', x, y };
        }),
        ...lightCurves.map((c) => {
          const [x, y] = errorRatesAt(lightScores('genuine'), lightScores(c.species), 'high', o.lightMinScore);
          return { label: '', x, y };
        }),
      ],
    }),
  ]);

  const file = await writePlot(
    path.join(outDir, 'liveness-scores.svg'),
    [
      strips({
        title: 'Live-motion residual (Passive)',
        subtitle: `median pairwise homography RMS / inter-ocular distance; spoof below ${th.motionSpoofResidual}, bona fide from ${th.motionLiveResidual}`,
        x: { title: 'live-motion residual' },
        groups: [
          { name: 'bona fide', values: scores(bonaFide, 'motion') },
          ...motion.map((m) => ({ name: m.name, values: scores(m.as, 'motion') })),
        ],
        marks: [
          { label: String(th.motionSpoofResidual), x: th.motionSpoofResidual },
          { label: String(th.motionLiveResidual), x: th.motionLiveResidual },
        ],
      }),
      strips({
        title: 'Flatness residual (PassiveActive)',
        subtitle: `homography RMS / inter-ocular distance, first frame to the yaw extremes; flat below ${th.flatResidual}; the test needs a turn >= ${th.turnDegrees}°`,
        x: { title: 'flatness residual' },
        groups: [
          { name: `bona fide, turn >= ${th.turnDegrees}°`, values: scores(bonaFide, 'flatnessGated') },
          ...flat.map((m) => ({ name: `${m.name}, any turn`, values: scores(m.as, 'flatnessAtExtremes') })),
          { name: `(c) screen, video replay, turn >= ${th.turnDegrees}°`, values: scores(video, 'flatnessGated') },
        ],
        marks: [{ label: String(th.flatResidual), x: th.flatResidual }],
      }),
      strips({
        title: 'Light score (normalised correlation of the skin colour with the issued sequence)',
        subtitle: `held-out, light-only windows at 10 fps; the reflection follows the sequence from ${o.lightMinScore} (shipped)`,
        x: { title: 'light score' },
        groups: [
          { name: 'bona fide, lit by the issued sequence', values: lightScores('genuine') },
          ...lightCurves.map((c) => ({ name: c.name, values: lightScores(c.species) })),
        ],
        marks: [{ label: String(o.lightMinScore), x: o.lightMinScore }],
      }),
      strips({
        title: 'Identity split',
        subtitle: `distance between the mean embeddings before and after the best split; a switch above ${th.identitySplitDistance}`,
        x: { title: 'euclidean distance' },
        groups: [
          { name: 'bona fide', values: scores(bonaFide, 'identitySplit') },
          { name: '(d) identity switch', values: scores(switches, 'identitySplit') },
        ],
        marks: [{ label: String(th.identitySplitDistance), x: th.identitySplitDistance }],
      }),
    ],
    { columns: 1 },
  );
  return [det, file];
}

/**
 * The benches' plots: Vega-Lite specs rendered to SVG in Node by Vega (no browser, no canvas).
 * Three chart kinds cover them: lines (ROC, DET, precision–recall, latency against connections),
 * overlaid histograms (same/different-person scores) and strips (one row of ticks per group:
 * score distributions). `writePlot` puts one or more of them in one SVG file, in a row or in columns.
 *
 * Text widths: without the optional `canvas` package Vega guesses 0.8 em per character, which
 * reserves far too much room for titles and legends; 0.6 em (about DejaVu Sans' average) is set
 * instead, through the hook Vega leaves for that (`textMetrics.width`). Layout (margins, legend
 * columns) follows that estimate; the text itself is drawn by whatever shows the SVG.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** One chart of a plot: what Vega-Lite accepts inside `concat`. */
export type Panel = Extract<TopLevelSpec, { concat: unknown }>['concat'][number];
/** One layer of a chart. */
type Layer = Extract<TopLevelSpec, { layer: unknown }>['layer'][number];

export interface Series {
  /** Colour and legend entry; series of the same name share a colour. */
  name: string;
  /** [x, y] pairs, drawn in the given order (a ROC or PR curve is not sorted by x). */
  points: ReadonlyArray<readonly [number, number]>;
  /** A second legend: series with the same `dash` share a dash pattern (e.g. p50 and p99). */
  dash?: string;
}

export interface Axis {
  title: string;
  /** 'log' leaves out points at or below 0 (a log axis cannot show them). Linear by default. */
  scale?: 'linear' | 'log';
  domain?: readonly [number, number];
}

/** A labelled point (an operating point) or a labelled vertical line (a threshold). */
export interface Mark {
  label: string;
  x: number;
  /** Without y the mark is a vertical line across the chart. */
  y?: number;
}

// vega-typings does not declare textMetrics (vega-scenegraph's, re-exported by vega): its shape here.
interface TextItem {
  text?: string | string[];
  fontSize?: number;
}
const { textMetrics } = vega as unknown as { textMetrics: { width: (item: TextItem, text?: string) => number } };
const EM_PER_CHARACTER = 0.6;
textMetrics.width = (item, text) => {
  const value = text ?? item.text ?? '';
  const longest = Array.isArray(value) ? Math.max(0, ...value.map((line) => String(line).length)) : String(value).length;
  return Math.ceil(EM_PER_CHARACTER * longest * (item.fontSize ?? 11));
};

const WIDTH = 420;
const HEIGHT = 320;

const CONFIG = {
  font: 'sans-serif',
  view: { stroke: '#888' },
  axis: { grid: true, gridColor: '#eee', titleFontWeight: 'normal', titleFontSize: 12 },
  legend: { orient: 'bottom', direction: 'vertical', title: null, labelLimit: 400 },
  title: { fontSize: 14, fontWeight: 'normal', subtitleColor: '#555', anchor: 'start' },
} as const;

function scaleOf(axis: Axis): { type: 'linear' | 'log'; domain?: [number, number]; zero?: false; nice: boolean } {
  return {
    ...(axis.scale === 'log' ? { type: 'log' } : { type: 'linear', zero: false }),
    nice: !axis.domain,
    ...(axis.domain ? { domain: [axis.domain[0], axis.domain[1]] } : {}),
  };
}

function markLayers(marks: readonly Mark[]): Layer[] {
  if (!marks.length) return [];
  const rules = marks.filter((m) => m.y === undefined);
  const points = marks.filter((m) => m.y !== undefined);
  const layers: Layer[] = [];
  if (rules.length)
    layers.push({
      data: { values: rules.map((m) => ({ label: m.label, x: m.x })) },
      layer: [
        { mark: { type: 'rule', color: '#333', strokeDash: [4, 3] }, encoding: { x: { field: 'x', type: 'quantitative' } } },
        {
          mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, dy: 3, color: '#333' },
          encoding: { x: { field: 'x', type: 'quantitative' }, y: { value: 0 }, text: { field: 'label' } },
        },
      ],
    });
  if (points.length)
    layers.push({
      data: { values: points.map((m) => ({ label: m.label, x: m.x, y: m.y })) },
      layer: [
        { mark: { type: 'point', shape: 'diamond', filled: true, size: 80, color: '#000' } },
        { mark: { type: 'text', align: 'left', dx: 7, dy: -7, color: '#000' }, encoding: { text: { field: 'label' } } },
      ],
      encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
    });
  return layers;
}

/** A subtitle of several lines is given as one string per line. */
type Subtitle = string | readonly string[];

const titleOf = (title: string, subtitle?: Subtitle): { text: string; subtitle?: string | string[] } => ({
  text: title,
  ...(subtitle ? { subtitle: typeof subtitle === 'string' ? subtitle : [...subtitle] } : {}),
});

/** Lines, one per series, in the legend's order; optional dots at the points and labelled marks. */
export function lineChart(c: {
  title: string;
  subtitle?: Subtitle;
  x: Axis;
  y: Axis;
  series: readonly Series[];
  /** A dot at every point (for a few measured points rather than a curve). */
  dots?: boolean;
  marks?: readonly Mark[];
}): Panel {
  const visible = (v: number, axis: Axis): boolean => Number.isFinite(v) && (axis.scale !== 'log' || v > 0);
  const values = c.series.flatMap((s) =>
    s.points.flatMap(([x, y], i) => (visible(x, c.x) && visible(y, c.y) ? [{ series: s.name, dash: s.dash ?? '', i, x, y }] : [])),
  );
  const dashes = [...new Set(c.series.flatMap((s) => (s.dash ? [s.dash] : [])))];
  const names = [...new Set(c.series.map((s) => s.name))];
  const x = { field: 'x', type: 'quantitative', title: c.x.title, scale: scaleOf(c.x) } as const;
  const y = { field: 'y', type: 'quantitative', title: c.y.title, scale: scaleOf(c.y) } as const;
  const color = { field: 'series', type: 'nominal', sort: names } as const;
  // Dash legend: a short stroke per pattern, in a neutral colour.
  const dashLegend = { symbolType: 'stroke', symbolSize: 300, symbolStrokeColor: '#333' } as const;
  return {
    title: titleOf(c.title, c.subtitle),
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: { values },
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          x,
          y,
          color,
          ...(dashes.length ? { strokeDash: { field: 'dash', type: 'nominal', sort: dashes, legend: dashLegend } } : {}),
          order: { field: 'i', type: 'quantitative' },
        },
      },
      ...(c.dots ? [{ data: { values }, mark: { type: 'point', filled: true }, encoding: { x, y, color } } as const] : []),
      ...markLayers(c.marks ?? []),
    ],
  };
}

export interface Group {
  name: string;
  values: readonly number[];
}

const groupRows = (groups: readonly Group[]): Array<{ group: string; value: number }> =>
  groups.flatMap((g) => g.values.filter(Number.isFinite).map((value) => ({ group: g.name, value })));

/** Histograms of several groups on one axis, overlaid (not stacked), bins of `binStep` over `extent`. */
export function histogram(c: {
  title: string;
  subtitle?: Subtitle;
  xTitle: string;
  groups: readonly Group[];
  binStep: number;
  extent: readonly [number, number];
  marks?: readonly Mark[];
}): Panel {
  return {
    title: titleOf(c.title, c.subtitle),
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: { values: groupRows(c.groups) },
        mark: { type: 'bar', opacity: 0.55, binSpacing: 0 },
        encoding: {
          x: {
            field: 'value',
            type: 'quantitative',
            bin: { step: c.binStep, extent: [c.extent[0], c.extent[1]] },
            title: c.xTitle,
            scale: { domain: [c.extent[0], c.extent[1]] },
          },
          y: { aggregate: 'count', type: 'quantitative', stack: null, title: 'count' },
          color: { field: 'group', type: 'nominal', sort: c.groups.map((g) => g.name) },
        },
      },
      ...markLayers(c.marks ?? []),
    ],
  };
}

/** One row per group, a tick per value: every value of small groups, on a shared axis. */
export function strips(c: { title: string; subtitle?: Subtitle; x: Axis; groups: readonly Group[]; marks?: readonly Mark[] }): Panel {
  const names = c.groups.map((g) => `${g.name} (n=${g.values.filter(Number.isFinite).length})`);
  const rows = c.groups.flatMap((g, i) => groupRows([g]).map((r) => ({ ...r, group: names[i]! })));
  return {
    title: titleOf(c.title, c.subtitle),
    width: WIDTH,
    height: { step: 24 },
    layer: [
      {
        data: { values: rows },
        mark: { type: 'tick', opacity: 0.6, thickness: 1.5 },
        encoding: {
          x: { field: 'value', type: 'quantitative', title: c.x.title, scale: scaleOf(c.x) },
          y: { field: 'group', type: 'nominal', sort: names, title: null, axis: { labelLimit: 320 } },
          color: { field: 'group', type: 'nominal', sort: names, legend: null },
        },
      },
      ...markLayers(c.marks ?? []),
    ],
  };
}

/** The SVG text of the panels, side by side or, with `columns`, wrapped into that many columns. */
export async function renderSvg(panels: readonly Panel[], layout: { columns?: number } = {}): Promise<string> {
  const spec: TopLevelSpec = {
    background: 'white',
    config: CONFIG,
    concat: [...panels],
    columns: layout.columns ?? panels.length,
    resolve: { scale: { color: 'independent', strokeDash: 'independent' } },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}

/** Writes the panels to `file` as SVG (folders created); returns the path relative to the working directory. */
export async function writePlot(file: string, panels: readonly Panel[], layout: { columns?: number } = {}): Promise<string> {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${await renderSvg(panels, layout)}\n`);
  return path.relative(process.cwd(), file);
}

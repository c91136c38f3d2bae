/**
 * A minimal SVG line plot for bench reports (no plotting library in the dependencies): axes 0–1
 * by default (or the ranges given) with ten grid steps, one polyline per series, a legend. Enough
 * for a precision–recall curve or a throughput-vs-connections line.
 */

export interface Series {
  name: string;
  /** [x, y] pairs inside the plot's ranges (0–1 by default), drawn in the given order. */
  points: ReadonlyArray<readonly [number, number]>;
}

export interface LinePlot {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  /** Axis ranges; 0–1 when left out. Use niceRange() for round grid steps. */
  xRange?: readonly [number, number];
  yRange?: readonly [number, number];
  /** Where the legend goes (bottom left by default: empty on a PR plot). */
  legend?: 'bottom-left' | 'top-left' | 'bottom-right' | 'top-right';
  /** A dot at each point (for few, measured points). */
  markers?: boolean;
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
const W = 560;
const H = 460;
const M = { left: 60, right: 20, top: 40, bottom: 50 };

const escapeXml = (s: string): string => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

/** 1, 2 or 5 times a power of ten, at least `x`. */
function niceStep(x: number): number {
  const p = 10 ** Math.floor(Math.log10(x));
  const m = x / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/** [0, max rounded up to a whole number of nice steps]: the range for values from 0 to `max`. */
export function niceRange(max: number): [number, number] {
  if (!(max > 0)) return [0, 1];
  const step = niceStep(max / 10);
  return [0, Math.ceil(max / step) * step];
}

export function linePlotSvg(plot: LinePlot): string {
  const [x0, x1] = plot.xRange ?? [0, 1];
  const [y0, y1] = plot.yRange ?? [0, 1];
  const xStep = plot.xRange ? niceStep((x1 - x0) / 10) : 0.1;
  const yStep = plot.yRange ? niceStep((y1 - y0) / 10) : 0.1;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const clamp = (v: number): number => Math.min(1, Math.max(0, v));
  const sx = (x: number): string => (M.left + clamp((x - x0) / (x1 - x0)) * pw).toFixed(1);
  const sy = (y: number): string => (M.top + (1 - clamp((y - y0) / (y1 - y0))) * ph).toFixed(1);
  // Every fifth grid line darker on the default 0–1 axes (0.5, 1.0); given ranges keep them all light.
  const strong = (i: number, range: LinePlot['xRange']): boolean => !range && i % 5 === 0;
  const tick = (v: number, step: number): string => v.toFixed(Math.max(0, -Math.floor(Math.log10(step))));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${escapeXml(plot.title)}</text>`,
  ];
  const xSteps = Math.round((x1 - x0) / xStep);
  for (let i = 0; i <= xSteps; i++) {
    const v = x0 + i * xStep;
    out.push(`<line x1="${sx(v)}" y1="${sy(y0)}" x2="${sx(v)}" y2="${sy(y1)}" stroke="${strong(i, plot.xRange) ? '#bbb' : '#eee'}"/>`);
    if (i % 2 === 0) out.push(`<text x="${sx(v)}" y="${Number(sy(y0)) + 16}" text-anchor="middle">${tick(v, xStep)}</text>`);
  }
  const ySteps = Math.round((y1 - y0) / yStep);
  for (let i = 0; i <= ySteps; i++) {
    const v = y0 + i * yStep;
    out.push(`<line x1="${sx(x0)}" y1="${sy(v)}" x2="${sx(x1)}" y2="${sy(v)}" stroke="${strong(i, plot.yRange) ? '#bbb' : '#eee'}"/>`);
    if (i % 2 === 0) out.push(`<text x="${M.left - 6}" y="${Number(sy(v)) + 4}" text-anchor="end">${tick(v, yStep)}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 12}" text-anchor="middle">${escapeXml(plot.xLabel)}</text>`);
  out.push(
    `<text x="16" y="${M.top + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${M.top + ph / 2})">${escapeXml(plot.yLabel)}</text>`,
  );
  const legend = plot.legend ?? 'bottom-left';
  const longest = Math.max(0, ...plot.series.map((s) => s.name.length));
  const lx = legend.endsWith('left') ? M.left + 12 : M.left + pw - 42 - Math.ceil(longest * 6.5);
  plot.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const pts = s.points.map(([x, y]) => `${sx(x)},${sy(y)}`).join(' ');
    if (pts) out.push(`<polyline points="${pts}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    if (plot.markers) for (const [x, y] of s.points) out.push(`<circle cx="${sx(x)}" cy="${sy(y)}" r="3" fill="${colour}"/>`);
    const ly = legend.startsWith('bottom') ? M.top + ph - 10 - (plot.series.length - 1 - i) * 18 : M.top + 20 + i * 18;
    out.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 24}" y2="${ly - 4}" stroke="${colour}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 30}" y="${ly}">${escapeXml(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Plots from linePlotSvg side by side in one SVG document. */
export function sideBySideSvg(panels: readonly string[]): string {
  const inner = panels.map((p, i) => p.replace('<svg ', `<svg x="${i * W}" y="0" `));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W * panels.length}" height="${H}" viewBox="0 0 ${W * panels.length} ${H}">`,
    ...inner,
    '</svg>',
    '',
  ].join('\n');
}

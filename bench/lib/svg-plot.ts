/**
 * A minimal SVG line plot for bench reports (no plotting library in the dependencies): both axes
 * 0–1 with grid lines every 0.1, one polyline per series, a legend. Enough for a precision–recall curve.
 */

export interface Series {
  name: string;
  /** [x, y] pairs in 0–1, drawn in the given order. */
  points: ReadonlyArray<readonly [number, number]>;
}

export interface LinePlot {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
const W = 560;
const H = 460;
const M = { left: 60, right: 20, top: 40, bottom: 50 };

const escapeXml = (s: string): string => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

export function linePlotSvg(plot: LinePlot): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (x: number): string => (M.left + Math.min(1, Math.max(0, x)) * pw).toFixed(1);
  const sy = (y: number): string => (M.top + (1 - Math.min(1, Math.max(0, y))) * ph).toFixed(1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${escapeXml(plot.title)}</text>`,
  ];
  for (let i = 0; i <= 10; i++) {
    const v = i / 10;
    const stroke = i % 5 === 0 ? '#bbb' : '#eee';
    out.push(`<line x1="${sx(v)}" y1="${sy(0)}" x2="${sx(v)}" y2="${sy(1)}" stroke="${stroke}"/>`);
    out.push(`<line x1="${sx(0)}" y1="${sy(v)}" x2="${sx(1)}" y2="${sy(v)}" stroke="${stroke}"/>`);
    if (i % 2 === 0) {
      out.push(`<text x="${sx(v)}" y="${Number(sy(0)) + 16}" text-anchor="middle">${v.toFixed(1)}</text>`);
      out.push(`<text x="${M.left - 6}" y="${Number(sy(v)) + 4}" text-anchor="end">${v.toFixed(1)}</text>`);
    }
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 12}" text-anchor="middle">${escapeXml(plot.xLabel)}</text>`);
  out.push(
    `<text x="16" y="${M.top + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${M.top + ph / 2})">${escapeXml(plot.yLabel)}</text>`,
  );
  plot.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const pts = s.points.map(([x, y]) => `${sx(x)},${sy(y)}`).join(' ');
    if (pts) out.push(`<polyline points="${pts}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    const ly = M.top + ph - 10 - (plot.series.length - 1 - i) * 18; // bottom left: empty on a PR plot
    out.push(`<line x1="${M.left + 12}" y1="${ly - 4}" x2="${M.left + 36}" y2="${ly - 4}" stroke="${colour}" stroke-width="2"/>`);
    out.push(`<text x="${M.left + 42}" y="${ly}">${escapeXml(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

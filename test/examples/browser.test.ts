/**
 * examples/browser in headless Chromium (test/helpers/chromium.ts): the app compiled with tsc
 * from its typed documents, served by the example's own serve.ts (page + /graphql forwarded to a
 * facegraph test server with an API key), a real photo picked with setInputFiles; the page must
 * draw as many boxes as the manifest counts faces, each box's edge in the stroke colour.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveBrowserExample, type ExampleServer } from '../../examples/browser/serve.js';
import { launchChromium } from '../helpers/chromium.js';
import { FACES_DIR, REPO_ROOT, manifest } from '../helpers/paths.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const KEY = 'example-browser-key';

let tmp: string;
let faces: TestServer;
let site: ExampleServer;
let browser: Browser;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'facegraph-browser-example-'));
  // The app's typed documents come from `npm run codegen` (run before the tests by `npm test`).
  const tsc = path.join(REPO_ROOT, 'node_modules/.bin/tsc');
  await run(tsc, ['-p', 'examples/browser/tsconfig.build.json', '--outDir', path.join(tmp, 'dist')], { cwd: REPO_ROOT });

  faces = await startTestServer({ FACEGRAPH_API_KEYS: KEY }, undefined, 'embedded');
  site = await serveBrowserExample({ facegraphUrl: faces.url, facegraphKey: KEY, distDir: path.join(tmp, 'dist') });
  ({ browser } = await launchChromium());
  page = await browser.newPage();
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  await page.goto(site.url);
});

afterAll(async () => {
  await browser?.close();
  await site?.stop();
  await faces?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Picks the photo and waits until the page says how many faces it found. */
async function pick(file: string): Promise<{ status: string; boxes: Array<{ left: number; top: number; width: number; height: number }> }> {
  const name = path.basename(file);
  await page.setInputFiles('#photo', path.join(FACES_DIR, file));
  // Done with this photo, or failed (then the status below says why).
  await page.waitForFunction((n) => {
    const state = document.getElementById('status')!.dataset.state;
    return state === 'failed' || (state === 'done' && document.getElementById('canvas')!.dataset.file === n);
  }, name);
  const status = (await page.textContent('#status')) ?? '';
  const items = await page.$$eval('#faces li', (lis) => lis.map((li) => li.textContent ?? ''));
  const boxes = items.map((text) => {
    const [, width, height, left, top] = /^(\d+)×(\d+) at \((\d+), (\d+)\)$/.exec(text)!.map(Number);
    return { left: left!, top: top!, width: width!, height: height! };
  });
  return { status, boxes };
}

/** The canvas pixel at (x, y) as [r, g, b]. */
function pixel(x: number, y: number): Promise<number[]> {
  return page.evaluate(
    ([px, py]) => [
      ...(document.getElementById('canvas') as HTMLCanvasElement).getContext('2d')!.getImageData(px!, py!, 1, 1).data.slice(0, 3),
    ],
    [x, y],
  );
}

describe('examples/browser', () => {
  for (const file of ['people/obama/1.jpg', 'groups/kit_harington_rose_leslie.jpg', 'groups/obama_biden_1.jpg']) {
    it(`draws one box per face of ${file}`, async () => {
      const expected = manifest().find((m) => m.file === file)!.faces;
      const { status, boxes } = await pick(file);
      expect(status).toBe(`${expected} face${expected === 1 ? '' : 's'} in ${path.basename(file)}`);
      expect(boxes).toHaveLength(expected);

      const size = await page.$eval('#canvas', (c) => ({ width: (c as HTMLCanvasElement).width, height: (c as HTMLCanvasElement).height }));
      for (const b of boxes) {
        expect(b.width).toBeGreaterThan(0);
        expect(b.left + b.width).toBeLessThanOrEqual(size.width);
        expect(b.top + b.height).toBeLessThanOrEqual(size.height);
        // The middle of the box's top edge is drawn in the stroke colour (#00ff00).
        expect(await pixel(b.left + Math.round(b.width / 2), b.top)).toEqual([0, 255, 0]);
      }
      expect(problems).toEqual([]);
    });
  }
});

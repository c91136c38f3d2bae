/**
 * The liveness capture page end to end in a real browser: the npm package's Chromium
 * (@sparticuz/chromium, driven by playwright-core; see test/helpers/chromium.ts) with a fake
 * camera playing the shared video clip, against the real server and engine. Creates a Passive session over GraphQL, opens /liveness#token=..., presses Start,
 * waits for the result, then checks the stored attempt and its audit record over GraphQL.
 *
 * Chromium and ffmpeg come from devDependencies (`npm ci`), no root needed. Screenshots go to test-artifacts/liveness-*.png.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeCameraFlags, launchChromium } from '../helpers/chromium.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { HAMILTON_SINGLE_FACE, makeFakeCameraY4m } from '../helpers/video.js';

const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');
/** Generous: model loading and ~20 frames of real inference on a 2-core machine. */
const RESULT_TIMEOUT_MS = 240_000;

const CREATE = `mutation($input: CreateLivenessSessionInput!) {
  createLivenessSession(input: $input) {
    session { id authToken }
    userErrors { code message }
  }
}`;

const SESSION = `query($id: ID!) {
  livenessSession(id: $id) {
    id
    status
    attempts {
      attemptId
      attemptStatus
      result { livenessDecision digest }
      error { code message }
      audit { frameCount digest decision reasons }
    }
  }
}`;

describe('liveness capture page (Chromium, fake camera)', () => {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  let tmp: string | undefined;
  let base = '';

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'facegraph-browser-'));
    await mkdir(ARTIFACTS, { recursive: true });
    // The single-face shot of the clip (3.6–7.8 s: the brief's "about 3–7 s" starts with half a
    // second of audience), looped by Chromium as the camera.
    const y4m = await makeFakeCameraY4m(tmp, HAMILTON_SINGLE_FACE);
    server = await startTestServer({ FACEGRAPH_DATA_DIR: path.join(tmp, 'data') });
    base = server.url.replace(/\/graphql$/, '');
    const launched = await launchChromium([
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...fakeCameraFlags(y4m),
    ]);
    browser = launched.browser;
    const { source, executablePath, bundledLibs, unpackMs, launchMs } = launched.info;
    console.log(
      `chromium: ${source} ${executablePath}, ${bundledLibs ? `bundled libs ${bundledLibs}` : 'system libs'}, ` +
        `executable ready in ${Math.round(unpackMs)} ms, launched in ${Math.round(launchMs)} ms`,
    );
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  async function newPage(): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    const context = await browser!.newContext({ viewport: { width: 800, height: 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      // Failed API calls (4xx) are logged by Chromium as console errors; CSP violations too.
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
    return { context, page, problems };
  }

  const statusText = async (page: Page): Promise<string> => ((await page.textContent('#status')) ?? '').replace(/\s+/g, ' ').trim();

  it('captures the fake camera, submits the frames and shows the decision', { timeout: RESULT_TIMEOUT_MS + 120_000 }, async () => {
    const created = await server!.gql<{
      createLivenessSession: { session: { id: string; authToken: string } | null; userErrors: Array<{ code: string; message: string }> };
    }>(CREATE, {
      input: { livenessOperationMode: 'PASSIVE', deviceCorrelationId: 'browser-test', sendResultsToClient: true },
    });
    expect(created.errors).toBeUndefined();
    const payload = created.data!.createLivenessSession;
    expect(payload.userErrors).toEqual([]);
    const sessionId = payload.session!.id;
    const token = payload.session!.authToken;
    expect(token).toBeTruthy();

    const { context, page, problems } = await newPage();
    try {
      // The token travels in the fragment only, and the page removes it from the address bar.
      await page.goto(`${base}/liveness#token=${encodeURIComponent(token)}`);
      await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 60_000 });
      expect(await page.getAttribute('body', 'data-state'), await statusText(page)).toBe('ready');
      expect(page.url()).not.toContain(token);
      expect(page.url()).not.toContain('#');
      expect(await page.locator('svg.guide .guide-ring').count()).toBe(1);

      await page.click('#start');
      // Mid-capture: preview, oval guide and prompt are on screen.
      await page.waitForSelector('body[data-state="capturing"], body[data-state="error"]', { timeout: 60_000 });
      expect(await page.getAttribute('body', 'data-state'), await statusText(page)).toBe('capturing');
      await page.waitForFunction(
        () => {
          const bar = document.getElementById('progress') as HTMLProgressElement | null;
          return document.body.dataset.state !== 'capturing' || (bar !== null && bar.value >= 40);
        },
        undefined,
        { timeout: 60_000 },
      );
      expect(await page.isVisible('#prompt')).toBe(true);
      await page.screenshot({ path: path.join(ARTIFACTS, 'liveness-capturing.png') });

      await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: RESULT_TIMEOUT_MS });
      expect(await page.getAttribute('body', 'data-state'), `${await statusText(page)}\n${problems.join('\n')}`).toBe('done');
      await page.screenshot({ path: path.join(ARTIFACTS, 'liveness-result.png'), fullPage: true });

      await expect(page.textContent('#result-title')).resolves.toMatch(/Thank you/);
      // sendResultsToClient: the decision is shown (any of the three: the decision rules are
      // the pipeline's, and the clip's performer does not follow instructions).
      const decision = await page.getAttribute('#decision', 'data-decision');
      expect(['realface', 'spoofface', 'uncertain']).toContain(decision);
      expect(await page.isVisible('#decision')).toBe(true);

      const stored = await server!.gql<{
        livenessSession: {
          id: string;
          status: string;
          attempts: Array<{
            attemptId: number;
            attemptStatus: string;
            result: { livenessDecision: string; digest: string } | null;
            error: { code: string; message: string } | null;
            audit: { frameCount: number; digest: string; decision: string | null; reasons: string[] };
          }>;
        } | null;
      }>(SESSION, { id: sessionId });
      expect(stored.errors).toBeUndefined();
      const session = stored.data!.livenessSession!;
      expect(session.attempts).toHaveLength(1);
      const attempt = session.attempts[0]!;
      expect(attempt.attemptStatus, JSON.stringify(attempt.error)).toBe('SUCCEEDED');
      // GraphQL's enum (REALFACE...) is the client API's decision (realface...) in upper case.
      expect(attempt.result!.livenessDecision.toLowerCase()).toBe(decision);
      expect(attempt.audit.decision?.toLowerCase()).toBe(decision);
      expect(attempt.result!.digest).toBe(attempt.audit.digest);
      expect(attempt.audit.frameCount).toBeGreaterThanOrEqual(10);
      expect(attempt.audit.frameCount).toBeLessThanOrEqual(30);
      expect(attempt.audit.digest).toMatch(/^[0-9a-f]{64}$/);

      // The page itself ran clean: no script errors, no CSP violations.
      expect(problems.filter((p) => /pageerror|Content Security Policy/i.test(p))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('explains an invalid link without opening the camera', { timeout: 120_000 }, async () => {
    const { context, page } = await newPage();
    try {
      await page.goto(`${base}/liveness#token=${'x'.repeat(43)}`);
      await page.waitForSelector('body[data-state="error"]', { timeout: 60_000 });
      const text = await statusText(page);
      expect(text).toMatch(/not valid/i);
      expect(await page.isVisible('#start')).toBe(false);
      expect(await page.evaluate(() => document.querySelector('video')?.srcObject ?? null)).toBeNull();

      await page.goto(`${base}/liveness`);
      await page.waitForSelector('body[data-state="error"]', { timeout: 60_000 });
      expect(await statusText(page)).toMatch(/link/i);
    } finally {
      await context.close();
    }
  });
});

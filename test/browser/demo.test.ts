/**
 * The demo page (/demo) end to end in a real browser (@sparticuz/chromium driven by playwright-core,
 * see test/helpers/chromium.ts) against the real server and engine, with the shared photos: each
 * panel is used as a person would (picking files), and the test checks what the page draws.
 * Screenshots go to test-artifacts/demo-*.png for a person to look at.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.js';
import { FACES_DIR, manifest, REPO_ROOT } from '../helpers/paths.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');
const photo = (file: string): string => path.join(FACES_DIR, file);
const peopleIn = (file: string): string[] => manifest().find((m) => m.file === file)!.people;
/** Real inference on a 2-core machine: generous, never a timing assertion. */
const PANEL_TIMEOUT_MS = 120_000;

describe('demo page (Chromium)', () => {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  let base = '';
  let context: BrowserContext | undefined;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    server = await startTestServer();
    base = server.url.replace(/\/graphql$/, '');
    browser = (await launchChromium(['--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']))
      .browser;
    // A phone-sized viewport: the page must work there.
    context = await browser.newContext({ viewport: { width: 420, height: 900 }, deviceScaleFactor: 1 });
    page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
    await page.goto(`${base}/demo`);
    await page.waitForSelector('body[data-state="ready"]');
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
  });

  /** Waits until a panel has finished (done, trained or error) and returns its state and status text. */
  async function finished(panel: string, statusId: string): Promise<{ state: string; status: string }> {
    await page.waitForSelector(`#${panel}:not([data-state="working"]):not([data-state="training"]):not([data-state="idle"])`, {
      timeout: PANEL_TIMEOUT_MS,
    });
    return {
      state: (await page.getAttribute(`#${panel}`, 'data-state')) ?? '',
      status: ((await page.textContent(`#${statusId}`)) ?? '').trim(),
    };
  }

  it('detect: draws one box per face of the manifest, with 27 landmarks, pose axes and an attribute row', async () => {
    for (const file of ['groups/kit_harington_rose_leslie.jpg', 'people/obama/1.jpg', 'groups/obama_biden_1.jpg']) {
      const expected = manifest().find((m) => m.file === file)!.faces;
      await page.setInputFiles('#detect-file', photo(file));
      // A second photo: wait for this one's run, not the previous one's "done".
      await page.waitForFunction((name) => document.getElementById('detect-status')!.textContent.includes(name), path.basename(file));
      const { state, status } = await finished('detect', 'detect-status');
      expect(state, status).toBe('done');
      expect(status).toBe(`Found ${expected} ${expected === 1 ? 'face' : 'faces'} in ${path.basename(file)}.`);
      const faces = page.locator('#detect-overlay g[data-face-id]');
      expect(await faces.count(), file).toBe(expected);
      for (let i = 0; i < expected; i++) {
        const face = faces.nth(i);
        expect(await face.locator('rect.box').count()).toBe(1);
        expect(await face.locator('circle.landmark').count()).toBe(27);
        expect(await face.locator('line.axis').count()).toBe(3);
        // The box is coloured by qualityForRecognition.
        expect(await face.getAttribute('class')).toMatch(/q-(high|medium|low)/);
      }
      const rows = page.locator('#detect-table tbody tr[data-face-id]');
      expect(await rows.count()).toBe(expected);
      expect(await rows.first().locator('td').count()).toBe(10);
    }
    // Each face is clickable: its box and its row are selected together.
    const second = page.locator('#detect-overlay g[data-face-id]').nth(1);
    const faceId = (await second.getAttribute('data-face-id'))!;
    await second.click();
    expect(await page.getAttribute(`#detect-table tr[data-face-id="${faceId}"]`, 'class')).toContain('selected');
    expect(await page.locator('#detect .selected').count()).toBe(2);
    await page.locator('#detect').screenshot({ path: path.join(ARTIFACTS, 'demo-detect.png') });
    // And on a wider screen, where the whole attribute table fits (the README's screenshot).
    await page.setViewportSize({ width: 760, height: 900 });
    await page.locator('#detect').screenshot({ path: path.join(ARTIFACTS, 'demo-detect-wide.png') });
    await page.setViewportSize({ width: 420, height: 900 });
  });

  it('verify: the same person in two photos, then two different people', async () => {
    const cases: Array<[string, string, boolean]> = [
      ['people/obama/1.jpg', 'people/obama/2.jpg', true],
      ['people/obama/1.jpg', 'people/biden/1.jpg', false],
    ];
    for (const [a, b, same] of cases) {
      await page.setInputFiles('#verify-file-1', photo(a));
      await page.setInputFiles('#verify-file-2', photo(b));
      await page.click('#verify-run');
      await page.waitForSelector('#verify[data-state="working"]');
      const { state, status } = await finished('verify', 'verify-status');
      expect(state, status).toBe('done');
      expect(await page.locator('#verify-faces figure[data-face-id]').count()).toBe(2);
      expect(await page.getAttribute('#verify-result', 'data-identical'), `${a} vs ${b}`).toBe(String(same));
      const confidence = Number(await page.getAttribute('#verify-result', 'data-confidence'));
      expect(confidence >= 0.5).toBe(same);
      expect(await page.textContent('#verify-result')).toContain(same ? 'The same person' : 'Two different people');
      if (same) await page.locator('#verify').screenshot({ path: path.join(ARTIFACTS, 'demo-verify.png') });
    }
  });

  it('group: one row per person of the album, and the one face alike no other in the messy group', async () => {
    const album = [
      'people/obama/1.jpg',
      'people/biden/1.jpg',
      'people/kit_harington/1.jpg',
      'people/obama/2.jpg',
      'people/biden/2.jpg',
      'people/kit_harington/2.jpg',
      'people/rose_leslie/1.jpg',
      'groups/obama_biden_1.jpg',
    ];
    await page.setInputFiles('#group-files', album.map(photo));
    const { state, status } = await finished('group', 'group-status');
    expect(state, status).toBe('done');
    expect(status).toBe('9 faces in 8 photos: 3 groups.');

    /**
     * Who each thumbnail is: data-photo is the photo's position in the album; in a photo of several
     * people (listed left to right by the manifest), the rank of the face's left edge among its photo's faces.
     */
    const thumbs = (selector: string): Promise<Array<{ photo: number; left: number }>> =>
      page
        .locator(selector)
        .evaluateAll((figures) =>
          figures.map((f) => ({ photo: Number((f as HTMLElement).dataset.photo), left: Number((f as HTMLElement).dataset.left) })),
        );
    const everyFace = await thumbs('#group-rows figure[data-face-id]');
    expect(everyFace).toHaveLength(9);
    const rowPeople = async (row: string): Promise<string[]> =>
      (await thumbs(`${row} figure[data-face-id]`)).map(({ photo, left }) => {
        const lefts = everyFace.filter((t) => t.photo === photo).map((t) => t.left);
        return peopleIn(album[photo]!)[lefts.sort((x, y) => x - y).indexOf(left)]!;
      });
    const groups = page.locator('#group-rows .group-row:not(.messy)');
    expect(await groups.count()).toBe(3);
    const found: string[][] = [];
    for (let i = 1; i <= 3; i++) found.push(await rowPeople(`#group-rows .group-row:not(.messy):nth-child(${i})`));
    // Largest group first: Obama and Biden (2 portraits and the group photo each), then Kit Harington.
    expect(found.map((people) => people.length)).toEqual([3, 3, 2]);
    for (const people of found) expect(new Set(people).size, people.join()).toBe(1);
    expect(found.map((people) => people[0]).sort()).toEqual(['biden', 'kit_harington', 'obama']);
    expect(await rowPeople('#group-rows .group-row.messy')).toEqual(['rose_leslie']);
    await page.locator('#group').screenshot({ path: path.join(ARTIFACTS, 'demo-group.png') });
  });

  it('identify: enrols two people, trains, and names both faces of a new photo', async () => {
    const people = page.locator('#people .person');
    await people.nth(0).locator('.person-name').fill('Obama');
    await people
      .nth(0)
      .locator('.person-files')
      .setInputFiles([photo('people/obama/1.jpg'), photo('people/obama/2.jpg')]);
    await people.nth(1).locator('.person-name').fill('Biden');
    await people
      .nth(1)
      .locator('.person-files')
      .setInputFiles([photo('people/biden/1.jpg')]);
    await page.click('#train');
    const trained = await finished('identify', 'train-status');
    expect(trained.state, trained.status).toBe('trained');
    expect(trained.status).toMatch(/^Trained: 2 people, 3 photos/);

    await page.setInputFiles('#identify-file', photo('groups/obama_biden_1.jpg'));
    await page.waitForSelector('#identify[data-state="working"]');
    const { state, status } = await finished('identify', 'identify-status');
    expect(state, status).toBe('done');
    expect(status).toBe('2 faces, 2 identified.');
    const named = await page.locator('#identify-overlay g[data-face-id]').evaluateAll((groups) =>
      groups
        .map((g) => ({ person: (g as SVGGElement).dataset.person, left: Number(g.querySelector('rect')!.getAttribute('x')) }))
        .sort((a, b) => a.left - b.left)
        .map((g) => g.person),
    );
    // The manifest lists the group photo's people left to right.
    expect(named.map((n) => n?.toLowerCase())).toEqual(peopleIn('groups/obama_biden_1.jpg'));
    await page.locator('#identify').screenshot({ path: path.join(ARTIFACTS, 'demo-identify.png') });
  });

  it('links to the liveness capture page with a new session', async () => {
    await page.click('#liveness-start');
    await page.waitForURL(/\/liveness/);
    await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 60_000 });
    expect(await page.getAttribute('body', 'data-state')).toBe('ready');
  });

  it('ran without script errors or CSP violations', () => {
    expect(problems.filter((p) => /pageerror|Content Security Policy/i.test(p))).toEqual([]);
  });
});

describe('demo page with API keys', () => {
  it('asks for a key, keeps it for the tab and sends it', async () => {
    const keyed = await startTestServer({ FACEGRAPH_API_KEYS: 'demo-test-key', FACEGRAPH_WORKERS: '1' });
    const { browser } = await launchChromium(['--no-first-run', '--disable-background-networking']);
    try {
      const page = await browser.newPage();
      await page.goto(`${keyed.url.replace(/\/graphql$/, '')}/demo/`);
      await page.waitForSelector('body[data-state="ready"]');
      await page.setInputFiles('#detect-file', photo('people/obama/1.jpg'));
      await page.waitForSelector('#detect[data-state="error"]', { timeout: PANEL_TIMEOUT_MS });
      expect(await page.textContent('#detect-status')).toMatch(/API key is required/);
      expect(await page.getAttribute('#key-box', 'open')).not.toBeNull();

      await page.fill('#api-key', 'demo-test-key');
      await page.dispatchEvent('#api-key', 'change');
      expect(await page.evaluate(() => sessionStorage.getItem('facegraph-demo-api-key'))).toBe('demo-test-key');
      await page.setInputFiles('#detect-file', []);
      await page.setInputFiles('#detect-file', photo('people/obama/1.jpg'));
      await page.waitForSelector('#detect[data-state="done"]', { timeout: PANEL_TIMEOUT_MS });
      expect(await page.locator('#detect-overlay g[data-face-id]').count()).toBe(1);
    } finally {
      await browser.close();
      await keyed.stop();
    }
  });
});

describe('demo page in production', () => {
  it('is not served unless FACEGRAPH_DEMO=on', async () => {
    const production = await startTestServer({ NODE_ENV: 'production', FACEGRAPH_WORKERS: '1' });
    try {
      const base = production.url.replace(/\/graphql$/, '');
      expect((await fetch(`${base}/demo/`)).status).toBe(404);
      expect((await fetch(`${base}/demo/app.js`)).status).toBe(404);
    } finally {
      await production.stop();
    }
  });
});

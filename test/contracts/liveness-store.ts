/**
 * The LivenessStore contract (src/ports/liveness-store.ts), run against every adapter:
 * test/unit/liveness-store.test.ts (SQLite) and test/integration/postgres-liveness-store.test.ts
 * (PostgreSQL). Record round trips, newest-first paging, the challenge issue with its budget,
 * the reservation rules (nonce, age, budget; two concurrent uploads with one nonce: one wins,
 * also through two stores on the same data), release, finish with its image, delete cascade and
 * tombstone, digests, purge, and interrupted attempts across a restart.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createChallenge } from '../../src/domain/liveness/challenge.js';
import type { Challenge } from '../../src/domain/liveness/types.js';
import type { AttemptOutcome, AttemptReservation, LivenessStore, NewSession } from '../../src/ports/liveness-store.js';

/** One adapter on fresh, empty data. */
export interface LivenessHarness {
  store: LivenessStore;
  /** Another store on the same data (another connection, as a replica's would be). */
  another(): Promise<LivenessStore>;
  /** Closes `store` and opens a new one on the same data: a restart of the process. */
  restart(): Promise<void>;
  /** Closes every store it opened and deletes the data. */
  destroy(): Promise<void>;
}

const MAX_AGE = 5 * 60_000;

export function newSession(id: string, over: Partial<NewSession> = {}): NewSession {
  return {
    id,
    tokenHash: `hash-${id}`,
    mode: 'PassiveActive',
    deviceCorrelationId: null,
    deviceCorrelationIdSetInClient: false,
    enableSessionImage: true,
    sendResultsToClient: false,
    authTokenTtlSeconds: 600,
    modelVersion: 'facegraph-embedded-1',
    createdAt: 1000,
    tokenExpiresAt: 601_000,
    purgeAt: 10_000_000,
    verifyReference: null,
    ...over,
  };
}

export const reservation = (sessionId: string, nonce: string, over: Partial<AttemptReservation> = {}): AttemptReservation => ({
  sessionId,
  nonce,
  now: 2000,
  challengeMaxAgeMs: MAX_AGE,
  maxAttempts: 3,
  digest: `digest-${nonce}`,
  clientIp: '203.0.113.7',
  requestId: 'req-1',
  frameCount: 15,
  ...over,
});

export const outcome = (over: Partial<AttemptOutcome> = {}): AttemptOutcome => ({
  status: 'Succeeded',
  decision: 'realface',
  targetFace: { top: 10, left: 20, width: 100, height: 120 },
  verifyResult: { isIdentical: true, matchConfidence: 0.875 },
  error: null,
  reasons: ['OK'],
  measures: { flatness: 0.125, yawRange: 21.5 },
  finishedAt: 3000,
  sessionImage: { id: randomBytes(24).toString('base64url'), bytes: randomBytes(2048), contentType: 'image/jpeg' },
  ...over,
});

/** A session with a fresh challenge issued at `now`; answers the challenge. */
export async function withChallenge(store: LivenessStore, id: string, now = 1500): Promise<Challenge> {
  const challenge = createChallenge('PassiveActive');
  expect(await store.issueChallenge({ sessionId: id, challenge, now, maxAttempts: 3 })).toMatchObject({ ok: true });
  return challenge;
}

export function livenessStoreContract(name: string, open: () => Promise<LivenessHarness>): void {
  describe(`LivenessStore contract: ${name}`, () => {
    let h: LivenessHarness;
    let store: LivenessStore;

    beforeEach(async () => {
      h = await open();
      store = h.store;
    });

    afterEach(async () => {
      await h.destroy();
    });

    it('stores a session and reads it back by id and by token hash, with its verify reference', async () => {
      const embedding = new Float32Array([0.1, -2.5, 3.25, Math.PI]);
      const inserted = await store.insertSession(
        newSession('s1', {
          deviceCorrelationId: 'dev-1',
          sendResultsToClient: true,
          verifyReference: { faceRectangle: { top: 1, left: 2, width: 3, height: 4 }, qualityForRecognition: 'high', embedding },
        }),
      );
      expect(inserted.seq).toBeGreaterThan(0);
      expect(inserted).toMatchObject({
        id: 's1',
        tokenHash: 'hash-s1',
        mode: 'PassiveActive',
        deviceCorrelationId: 'dev-1',
        deviceCorrelationIdSetInClient: false,
        enableSessionImage: true,
        sendResultsToClient: true,
        authTokenTtlSeconds: 600,
        createdAt: 1000,
        tokenExpiresAt: 601_000,
        purgeAt: 10_000_000,
        startedAt: null,
        upstreamKind: null,
      });
      expect(inserted.verifyReference?.embedding).toEqual(embedding);
      expect(await store.sessionById('s1')).toEqual(inserted);
      expect(await store.sessionByTokenHash('hash-s1')).toEqual(inserted);
      expect(await store.sessionById('nope')).toBeNull();
      // An upstream-indexed session has no token facegraph checks.
      await store.insertSession(newSession('u1', { upstreamKind: 'detectLiveness' }));
      expect(await store.sessionByTokenHash('hash-u1')).toBeNull();
      expect((await store.sessionById('u1'))?.upstreamKind).toBe('detectLiveness');
    });

    it('lists newest first, pages by seq and counts, each scope (embedded, upstream) apart', async () => {
      for (const id of ['a', 'b', 'c', 'd']) await store.insertSession(newSession(id));
      await store.insertSession(newSession('up', { upstreamKind: 'detectLivenessWithVerify' }));
      const first = await store.listSessions(2, null);
      expect(first.map((s) => s.id)).toEqual(['d', 'c']);
      const next = await store.listSessions(2, first[1]!.seq);
      expect(next.map((s) => s.id)).toEqual(['b', 'a']);
      expect(await store.listSessions(2, next[1]!.seq)).toEqual([]);
      expect(await store.hasSessionNewerThan(first[0]!.seq)).toBe(false);
      expect(await store.hasSessionNewerThan(next[0]!.seq)).toBe(true);
      expect(await store.countSessions()).toBe(4);
      expect(await store.countSessions(true)).toBe(1);
      expect((await store.listSessions(10, null, true)).map((s) => s.id)).toEqual(['up']);
      // The upstream session is newer than d, but not in d's scope.
      expect(await store.hasSessionNewerThan(first[0]!.seq, false)).toBe(false);
    });

    it('issues a challenge: replaces the pending one, starts the session once, checks the budget', async () => {
      await store.insertSession(newSession('s'));
      const old = await withChallenge(store, 's', 1500);
      expect((await store.sessionById('s'))!.startedAt).toBe(1500);
      const fresh = createChallenge('PassiveActive');
      expect(await store.issueChallenge({ sessionId: 's', challenge: fresh, now: 1600, maxAttempts: 3 })).toEqual({
        ok: true,
        attemptsUsed: 0,
      });
      expect((await store.sessionById('s'))!.startedAt).toBe(1500);
      // The replaced nonce is no longer valid; the new one is.
      expect(await store.reserveAttempt(reservation('s', old.nonce))).toEqual({ ok: false, reason: 'NONCE_MISMATCH' });
      expect(await store.reserveAttempt(reservation('s', fresh.nonce))).toMatchObject({ ok: true, attemptId: 1 });
      const again = createChallenge('Passive');
      expect(await store.issueChallenge({ sessionId: 's', challenge: again, now: 1700, maxAttempts: 3 })).toEqual({
        ok: true,
        attemptsUsed: 1,
      });
      expect(await store.issueChallenge({ sessionId: 's', challenge: createChallenge('Passive'), now: 1700, maxAttempts: 1 })).toEqual({
        ok: false,
        reason: 'EXHAUSTED',
      });
      // An exhausted issue changed nothing: the pending challenge is still `again`.
      expect(await store.reserveAttempt(reservation('s', again.nonce))).toMatchObject({ ok: true, attemptId: 2 });
      expect(await store.issueChallenge({ sessionId: 'gone', challenge: createChallenge('Passive'), now: 1, maxAttempts: 3 })).toEqual({
        ok: false,
        reason: 'SESSION_GONE',
      });
    });

    it('reserves: nonce checked and consumed, challenge age, attempt budget, audit fields', async () => {
      await store.insertSession(newSession('s'));
      let c = await withChallenge(store, 's');
      expect(await store.reserveAttempt(reservation('s', 'wrong'))).toEqual({ ok: false, reason: 'NONCE_MISMATCH' });
      const r1 = await store.reserveAttempt(reservation('s', c.nonce));
      expect(r1).toEqual({ ok: true, attemptId: 1, pending: { challenge: c, issuedAt: 1500 } });
      expect(await store.reserveAttempt(reservation('s', c.nonce))).toEqual({ ok: false, reason: 'NONCE_MISMATCH' });
      // Too old: refused, and consumed.
      c = await withChallenge(store, 's', 1500);
      expect(await store.reserveAttempt(reservation('s', c.nonce, { now: 1500 + MAX_AGE + 1 }))).toEqual({
        ok: false,
        reason: 'CHALLENGE_EXPIRED',
      });
      expect(await store.reserveAttempt(reservation('s', c.nonce))).toEqual({ ok: false, reason: 'NONCE_MISMATCH' });
      for (const id of [2, 3]) {
        c = await withChallenge(store, 's');
        expect(await store.reserveAttempt(reservation('s', c.nonce))).toMatchObject({ ok: true, attemptId: id });
      }
      // The budget: a pending challenge cannot be issued, and none is left to use.
      expect(await store.reserveAttempt(reservation('s', c.nonce))).toEqual({ ok: false, reason: 'EXHAUSTED' });
      expect(await store.attemptCount('s')).toBe(3);
      const [a] = await store.attempts('s');
      expect(a).toEqual({
        sessionId: 's',
        attemptId: 1,
        status: 'Running',
        decision: null,
        targetFace: null,
        digest: `digest-${r1.ok ? r1.pending.challenge.nonce : ''}`,
        sessionImageId: null,
        verifyResult: null,
        error: null,
        createdAt: 2000,
        finishedAt: null,
        clientIp: '203.0.113.7',
        requestId: 'req-1',
        frameCount: 15,
        reasons: [],
        measures: {},
      });
      expect(await store.reserveAttempt(reservation('unknown', c.nonce))).toEqual({ ok: false, reason: 'NONCE_MISMATCH' });
    });

    it('two concurrent reservations with one nonce: exactly one wins (one store, and two stores on the same data)', async () => {
      const other = await h.another();
      for (let round = 0; round < 5; round++) {
        const id = `race-${round}`;
        await store.insertSession(newSession(id));
        const c = await withChallenge(store, id);
        const results = await Promise.all([
          store.reserveAttempt(reservation(id, c.nonce)),
          (round % 2 === 0 ? store : other).reserveAttempt(reservation(id, c.nonce)),
          other.reserveAttempt(reservation(id, c.nonce)),
        ]);
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        expect(results.filter((r) => !r.ok)).toEqual([
          { ok: false, reason: 'NONCE_MISMATCH' },
          { ok: false, reason: 'NONCE_MISMATCH' },
        ]);
        expect(await store.attemptCount(id)).toBe(1);
      }
    });

    it('concurrent reservations with fresh challenges never overshoot the budget', async () => {
      const other = await h.another();
      await store.insertSession(newSession('s'));
      // Each reservation is answered by its own challenge issued just before; they race each other.
      const results = await Promise.all(
        Array.from({ length: 6 }, async (_, i) => {
          const s = i % 2 === 0 ? store : other;
          const c = createChallenge('Passive');
          const issued = await s.issueChallenge({ sessionId: 's', challenge: c, now: 1500, maxAttempts: 3 });
          return issued.ok ? s.reserveAttempt(reservation('s', c.nonce)) : { ok: false as const, reason: 'EXHAUSTED' as const };
        }),
      );
      expect(results.filter((r) => r.ok).length).toBeLessThanOrEqual(3);
      expect(await store.attemptCount('s')).toBeLessThanOrEqual(3);
      const ids = (await store.attempts('s')).map((a) => a.attemptId);
      expect(ids).toEqual(ids.map((_, i) => i + 1));
    });

    it('a released attempt does not count and its challenge is valid again, unless a newer one was issued', async () => {
      await store.insertSession(newSession('s'));
      const c = await withChallenge(store, 's');
      const r = await store.reserveAttempt(reservation('s', c.nonce));
      if (!r.ok) throw new Error('reserve failed');
      await store.releaseAttempt('s', r.attemptId, r.pending);
      expect(await store.attemptCount('s')).toBe(0);
      const again = await store.reserveAttempt(reservation('s', c.nonce));
      expect(again).toMatchObject({ ok: true, attemptId: 1 });
      if (!again.ok) return;
      const newer = await withChallenge(store, 's');
      await store.releaseAttempt('s', again.attemptId, again.pending);
      expect(await store.reserveAttempt(reservation('s', c.nonce))).toEqual({ ok: false, reason: 'NONCE_MISMATCH' });
      expect(await store.reserveAttempt(reservation('s', newer.nonce))).toMatchObject({ ok: true, attemptId: 1 });
    });

    it('finishes an attempt with its image and answers the session as it reads after; once only', async () => {
      await store.insertSession(newSession('s'));
      const c = await withChallenge(store, 's');
      const r = await store.reserveAttempt(reservation('s', c.nonce));
      if (!r.ok) throw new Error('reserve failed');
      const o = outcome();
      const finished = await store.finishAttempt('s', r.attemptId, o);
      expect(finished?.session).toEqual(await store.sessionById('s'));
      expect(finished?.attempts).toEqual(await store.attempts('s'));
      expect(finished?.attempts[0]).toMatchObject({
        status: 'Succeeded',
        decision: 'realface',
        targetFace: o.targetFace,
        sessionImageId: o.sessionImage!.id,
        verifyResult: { isIdentical: true, matchConfidence: 0.875 },
        error: null,
        finishedAt: 3000,
        reasons: ['OK'],
        measures: { flatness: 0.125, yawRange: 21.5 },
      });
      expect(await store.sessionImage(o.sessionImage!.id)).toEqual({ bytes: o.sessionImage!.bytes, contentType: 'image/jpeg' });
      // Not Running any more: a second finish stores nothing, its image included.
      const late = outcome();
      expect(await store.finishAttempt('s', r.attemptId, late)).toBeNull();
      expect(await store.sessionImage(late.sessionImage!.id)).toBeNull();
      // A failed outcome without image or verify result.
      const c2 = await withChallenge(store, 's');
      const r2 = await store.reserveAttempt(reservation('s', c2.nonce));
      if (!r2.ok) throw new Error('reserve failed');
      const failed = outcome({
        status: 'Failed',
        decision: null,
        targetFace: null,
        verifyResult: { isIdentical: false, matchConfidence: 0.25 },
        error: { code: 'FRAME_UNREADABLE', message: 'Frame 3 could not be decoded' },
        reasons: ['FRAME_UNREADABLE'],
        measures: {},
        sessionImage: null,
      });
      const after = await store.finishAttempt('s', r2.attemptId, failed);
      expect(after?.attempts[1]).toMatchObject({
        status: 'Failed',
        decision: null,
        sessionImageId: null,
        verifyResult: { isIdentical: false, matchConfidence: 0.25 },
        error: { code: 'FRAME_UNREADABLE', message: 'Frame 3 could not be decoded' },
      });
    });

    it('deletes a session with its challenge, attempts and images, keeping a tombstone of its token', async () => {
      await store.insertSession(newSession('s', { purgeAt: 50_000 }));
      const c = await withChallenge(store, 's');
      const r = await store.reserveAttempt(reservation('s', c.nonce));
      if (!r.ok) throw new Error('reserve failed');
      const c2 = await withChallenge(store, 's');
      const o = outcome();
      await store.finishAttempt('s', r.attemptId, o);
      expect(await store.deleteSession('s', 4000)).toBe(true);
      expect(await store.deleteSession('s', 4000)).toBe(false);
      expect(await store.sessionById('s')).toBeNull();
      expect(await store.attempts('s')).toEqual([]);
      expect(await store.sessionImage(o.sessionImage!.id)).toBeNull();
      expect(await store.tombstoneByTokenHash('hash-s')).toEqual({ sessionId: 's', deletedAt: 4000 });
      expect(await store.tombstoneByTokenHash('hash-other')).toBeNull();
      // Its pending challenge went with it; a finish of its attempt stores nothing.
      expect(await store.reserveAttempt(reservation('s', c2.nonce))).toEqual({ ok: false, reason: 'NONCE_MISMATCH' });
      const late = outcome();
      expect(await store.finishAttempt('s', r.attemptId, late)).toBeNull();
      expect(await store.sessionImage(late.sessionImage!.id)).toBeNull();
      // The tombstone is purged when the session would have been.
      expect(await store.purge(49_999)).toEqual({ sessions: 0, tombstones: 0 });
      expect(await store.purge(50_000)).toEqual({ sessions: 0, tombstones: 1 });
      expect(await store.tombstoneByTokenHash('hash-s')).toBeNull();
    });

    it('a finish racing a delete: either the finish lands first and the delete removes it, or it stores nothing', async () => {
      const other = await h.another();
      await store.insertSession(newSession('s'));
      const c = await withChallenge(store, 's');
      const r = await store.reserveAttempt(reservation('s', c.nonce));
      if (!r.ok) throw new Error('reserve failed');
      const o = outcome();
      const [finished, deleted] = await Promise.all([store.finishAttempt('s', r.attemptId, o), other.deleteSession('s', 5000)]);
      expect(deleted).toBe(true);
      expect(finished === null || finished.attempts[0]!.status === 'Succeeded').toBe(true);
      expect(await store.sessionImage(o.sessionImage!.id)).toBeNull();
      expect(await store.attempts('s')).toEqual([]);
    });

    it("answers earlier attempts' digests: this session's others, and this digest if any other attempt had it", async () => {
      await store.insertSession(newSession('a'));
      await store.insertSession(newSession('b'));
      const reserve = async (sessionId: string, digest: string): Promise<number> => {
        const c = await withChallenge(store, sessionId);
        const r = await store.reserveAttempt(reservation(sessionId, c.nonce, { digest }));
        if (!r.ok) throw new Error('reserve failed');
        return r.attemptId;
      };
      await reserve('a', 'd1');
      const a2 = await reserve('a', 'd2');
      const b1 = await reserve('b', 'd2');
      expect(await store.previousDigests('a', a2, 'd2')).toEqual(new Set(['d1', 'd2']));
      expect(await store.previousDigests('b', b1, 'd2')).toEqual(new Set(['d2']));
      expect(await store.previousDigests('b', b1, 'zz')).toEqual(new Set());
    });

    it('purges sessions past their purge time with everything they own', async () => {
      await store.insertSession(newSession('old', { purgeAt: 10_000 }));
      await store.insertSession(newSession('new', { purgeAt: 20_000 }));
      const c = await withChallenge(store, 'old');
      const r = await store.reserveAttempt(reservation('old', c.nonce));
      if (!r.ok) throw new Error('reserve failed');
      const o = outcome();
      await store.finishAttempt('old', r.attemptId, o);
      expect(await store.purge(10_000)).toEqual({ sessions: 1, tombstones: 0 });
      expect(await store.sessionById('old')).toBeNull();
      expect(await store.sessionImage(o.sessionImage!.id)).toBeNull();
      expect(await store.attempts('old')).toEqual([]);
      expect((await store.sessionById('new'))?.id).toBe('new');
      expect(await store.countSessions()).toBe(1);
    });

    it('records the client device correlation id once, only for sessions created to take it', async () => {
      await store.insertSession(newSession('client', { deviceCorrelationIdSetInClient: true }));
      await store.insertSession(newSession('server', { deviceCorrelationId: 'srv' }));
      await store.setClientDeviceCorrelationId('client', 'first');
      await store.setClientDeviceCorrelationId('client', 'second');
      await store.setClientDeviceCorrelationId('server', 'client-value');
      expect((await store.sessionById('client'))?.deviceCorrelationId).toBe('first');
      expect((await store.sessionById('server'))?.deviceCorrelationId).toBe('srv');
    });

    it("fails attempts a stopped process left Running on the next start, never the running process's own", async () => {
      await store.insertSession(newSession('s'));
      const c = await withChallenge(store, 's');
      const r = await store.reserveAttempt(reservation('s', c.nonce));
      if (!r.ok) throw new Error('reserve failed');
      expect(await store.failInterruptedAttempts(9000)).toBe(0);
      expect((await store.attempts('s'))[0]!.status).toBe('Running');
      await h.restart();
      store = h.store;
      expect(await store.failInterruptedAttempts(9000)).toBe(1);
      expect((await store.attempts('s'))[0]).toMatchObject({
        status: 'Failed',
        finishedAt: 9000,
        error: { code: 'INTERRUPTED', message: 'The server stopped while this attempt was being analysed.' },
      });
      // Failed, it cannot be finished any more; the session and its data survived the restart.
      expect(await store.finishAttempt('s', r.attemptId, outcome())).toBeNull();
      expect((await store.sessionById('s'))?.startedAt).toBe(1500);
      expect(await store.failInterruptedAttempts(9000)).toBe(0);
    });
  });
}

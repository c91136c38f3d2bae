/** The Azure provider's pure policy: Retry-After parsing, backoff, token output and lifetime, multipart encoding. */
import busboy from 'busboy';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN_LIFETIME_MS, parseTokenOutput, redact, refreshAt, REFRESH_MARGIN_MS } from '../../src/adapters/azure/auth.js';
import { encodeVerifySessionMultipart } from '../../src/adapters/azure/liveness.js';
import { backoffMs, MAX_BACKOFF_MS, retryAfterMs, toRetryAfterSeconds } from '../../src/adapters/azure/retry.js';

describe('retryAfterMs', () => {
  const now = Date.parse('2025-01-31T12:00:00Z');

  it('reads delta-seconds, HTTP dates and the millisecond headers, milliseconds first', () => {
    expect(retryAfterMs({ 'retry-after': '3' }, now)).toBe(3000);
    expect(retryAfterMs({ 'retry-after': '0' }, now)).toBe(0);
    expect(retryAfterMs({ 'retry-after': 'Fri, 31 Jan 2025 12:00:10 GMT' }, now)).toBe(10_000);
    expect(retryAfterMs({ 'retry-after': 'Fri, 31 Jan 2025 11:00:00 GMT' }, now)).toBe(0);
    expect(retryAfterMs({ 'retry-after-ms': '250', 'retry-after': '9' }, now)).toBe(250);
    expect(retryAfterMs({ 'x-ms-retry-after-ms': '40' }, now)).toBe(40);
    expect(retryAfterMs({ 'retry-after': ['2', '5'] }, now)).toBe(2000);
  });

  it('ignores absent or unreadable values', () => {
    expect(retryAfterMs({}, now)).toBeNull();
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeNull();
    expect(retryAfterMs({ 'retry-after-ms': '-5' }, now)).toBeNull();
  });

  it('retryAfterSeconds is never 0', () => {
    expect(toRetryAfterSeconds(0)).toBe(1);
    expect(toRetryAfterSeconds(1200)).toBe(2);
    expect(toRetryAfterSeconds(null)).toBeNull();
  });
});

describe('backoffMs', () => {
  it('doubles per attempt with equal jitter, and is capped', () => {
    expect(backoffMs(0, 100, () => 0)).toBe(50);
    expect(backoffMs(0, 100, () => 1)).toBe(100);
    expect(backoffMs(3, 100, () => 0)).toBe(400);
    expect(backoffMs(3, 100, () => 1)).toBe(800);
    expect(backoffMs(30, 100, () => 1)).toBe(MAX_BACKOFF_MS);
  });
});

describe('token command output', () => {
  it('a bare token, with unknown expiry', () => {
    expect(parseTokenOutput('tok123\n')).toEqual({ token: 'tok123', expiresAt: null });
  });

  it('az account get-access-token JSON: expires_on (epoch seconds) first, else expiresOn', () => {
    const az = {
      accessToken: 'eyJ0eXAi.abc',
      expiresOn: '2025-01-31 13:00:00.000000',
      expires_on: 1738328400,
      subscription: 's',
      tenant: 't',
      tokenType: 'Bearer',
    };
    expect(parseTokenOutput(JSON.stringify(az))).toEqual({ token: 'eyJ0eXAi.abc', expiresAt: 1738328400_000 });
    const older = { accessToken: 'eyJ0eXAi.abc', expiresOn: '2025-01-31 13:00:00.000000' };
    expect(parseTokenOutput(JSON.stringify(older)).expiresAt).toBe(new Date(2025, 0, 31, 13, 0, 0).getTime());
    expect(parseTokenOutput(JSON.stringify({ accessToken: 't', expiresOn: 'whenever' })).expiresAt).toBeNull();
  });

  it('rejects output without a token, never quoting it', () => {
    expect(() => parseTokenOutput('')).toThrow(/no token/);
    expect(() => parseTokenOutput('two words')).toThrow(/no token/);
    expect(() => parseTokenOutput('{"token":"secret-value"}')).toThrow(/without an accessToken/);
    expect(() => parseTokenOutput('{"accessToken":')).toThrow(/invalid JSON/);
    try {
      parseTokenOutput('{"token":"secret-value"}');
    } catch (err) {
      expect((err as Error).message).not.toContain('secret-value');
    }
  });

  it('refreshes shortly before expiry, after 50 minutes when unknown', () => {
    const now = 1_000_000;
    expect(refreshAt(null, now)).toBe(now + DEFAULT_TOKEN_LIFETIME_MS);
    expect(refreshAt(now + 60 * 60_000, now)).toBe(now + 60 * 60_000 - REFRESH_MARGIN_MS);
    // A 2-minute token is used for half its life.
    expect(refreshAt(now + 120_000, now)).toBe(now + 60_000);
    expect(refreshAt(now - 5, now)).toBe(now);
  });

  it('redacts token-like runs from stderr', () => {
    expect(redact('ERROR: AADSTS70043 eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0 expired')).toBe(
      'ERROR: AADSTS70043 [redacted] expired',
    );
  });
});

describe('multipart encoding of a liveness-with-verify create', () => {
  it('one text part per defined field and a verifyImage file part that busboy reads back', async () => {
    const image = Buffer.from('\r\n--not-a-boundary\r\n\xff\xd8', 'latin1');
    const body = encodeVerifySessionMultipart(
      {
        livenessOperationMode: 'PassiveActive',
        deviceCorrelationIdSetInClient: true,
        verifyConfidenceThreshold: 0.7,
        deviceCorrelationId: undefined,
      },
      image,
      'BOUNDARY',
    );
    expect(body.contentType).toBe('multipart/form-data; boundary=BOUNDARY');
    const fields: Record<string, string> = {};
    const files: Array<{ name: string; filename: string; mimeType: string; data: Buffer }> = [];
    await new Promise<void>((resolve, reject) => {
      const bb = busboy({ headers: { 'content-type': body.contentType } });
      bb.on('field', (name, value) => (fields[name] = value));
      bb.on('file', (name, stream, info) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => files.push({ name, filename: info.filename ?? '', mimeType: info.mimeType, data: Buffer.concat(chunks) }));
      });
      bb.on('close', resolve);
      bb.on('error', reject);
      bb.end(body.data);
    });
    expect(fields).toEqual({
      livenessOperationMode: 'PassiveActive',
      deviceCorrelationIdSetInClient: 'true',
      verifyConfidenceThreshold: '0.7',
    });
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({ name: 'verifyImage', filename: 'verifyImage.jpg', mimeType: 'application/octet-stream' });
    expect(files[0]!.data.equals(image)).toBe(true);
  });
});

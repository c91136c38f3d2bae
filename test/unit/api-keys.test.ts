/** ApiKeyChecker: rotation (replace), a required-but-empty key set, and whose budget a request spends. */
import { describe, expect, it } from 'vitest';
import { ApiKeyChecker } from '../../src/app/api-keys.js';

describe('ApiKeyChecker', () => {
  it('replace() swaps the accepted keys at once', () => {
    const keys = new ApiKeyChecker(['a-key']);
    expect(keys.allowsRest({ 'ocp-apim-subscription-key': 'a-key' })).toBe(true);
    keys.replace(['b-key']);
    expect(keys.allowsRest({ 'ocp-apim-subscription-key': 'a-key' })).toBe(false);
    expect(keys.allowsGraphQL({ authorization: 'Bearer b-key' })).toBe(true);
    expect(keys.size).toBe(1);
  });

  it('a required key set stays enabled when emptied: it locks, never opens', () => {
    const keys = new ApiKeyChecker(['a-key'], { required: true });
    keys.replace([]);
    expect(keys.enabled).toBe(true);
    expect(keys.allowsRest({})).toBe(false);
    expect(new ApiKeyChecker([]).allowsRest({})).toBe(true);
  });

  it('subjectFor: the key digest (never the key) with keys, the client address without', () => {
    const keys = new ApiKeyChecker(['a-key', 'b-key']);
    const viaHeader = keys.subjectFor('graphql', { 'ocp-apim-subscription-key': 'a-key' }, '10.0.0.1');
    const viaBearer = keys.subjectFor('graphql', { authorization: 'Bearer a-key' }, '10.0.0.2');
    expect(viaHeader).toBe(viaBearer);
    expect(viaHeader).toMatch(/^key:[0-9a-f]{64}$/);
    expect(viaHeader).not.toContain('a-key');
    expect(keys.subjectFor('rest', { 'ocp-apim-subscription-key': 'b-key' }, '10.0.0.1')).not.toBe(viaHeader);
    // A wrong header next to a valid bearer: the bearer's budget.
    expect(keys.subjectFor('graphql', { 'ocp-apim-subscription-key': 'wrong', authorization: 'Bearer a-key' }, undefined)).toBe(viaHeader);
    expect(new ApiKeyChecker([]).subjectFor('rest', {}, '10.0.0.1')).toBe('ip:10.0.0.1');
  });
});

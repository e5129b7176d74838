import { describe, expect, it } from 'vitest';
import { computeDigest, digestBytes, digestMessage, digestVariants, isDigestVariant } from './digest.ts';

// Test vectors from shared/domain/samples/README.md ("Digest test vectors").
const vectorInput = {
  secret: 'demoAppSecret0001',
  url: 'https://push.example.com/voicecall/fee',
  nonce: '3F9A0C2E7B5D4E1A8C6B2D0F9E7A5C31',
  created: '2024-06-11T10:30:15Z',
};

describe('computeDigest', () => {
  it.each([
    ['url_newline', 'VcvW4YVevh03OQCcNpbyo9a2ijos8sygB4km83aEzHk='],
    ['url_concat', 'WOTaJ046d7R6UGqnMYTj/2y05V673/PKf8fYT+M+Y9M='],
    ['nonce_created', '3WeZPhWg9abNwd5RK5ca0pJGlcuF/jLYWOzvLcI9Jys='],
  ] as const)('when given the sample inputs and variant %s, then reproduces the documented vector', (variant, expected) => {
    expect(computeDigest(variant, vectorInput)).toBe(expected);
  });

  it('when the variant is nonce_created, then the url does not change the digest', () => {
    expect(computeDigest('nonce_created', { ...vectorInput, url: 'https://elsewhere.example.com/x' })).toBe(
      computeDigest('nonce_created', vectorInput),
    );
  });

  it('when the variant covers the url, then another url gives another digest', () => {
    for (const variant of ['url_newline', 'url_concat'] as const) {
      expect(computeDigest(variant, { ...vectorInput, url: 'https://push.example.com/voicecall/status' })).not.toBe(
        computeDigest(variant, vectorInput),
      );
    }
  });

  it('when the secret changes, then every variant gives another digest', () => {
    for (const variant of digestVariants) {
      expect(computeDigest(variant, { ...vectorInput, secret: 'demoAppSecret0002' })).not.toBe(computeDigest(variant, vectorInput));
    }
  });

  it('when computed, then the raw digest is 32 bytes and its Base64 is the digest text', () => {
    for (const variant of digestVariants) {
      const bytes = digestBytes(variant, vectorInput);
      expect(bytes).toHaveLength(32);
      expect(bytes.toString('base64')).toBe(computeDigest(variant, vectorInput));
    }
  });
});

describe('digestMessage', () => {
  it('when building each variant, then joins url, nonce and created as documented', () => {
    expect(digestMessage('url_newline', vectorInput)).toBe(`${vectorInput.url}\n${vectorInput.nonce}\n${vectorInput.created}`);
    expect(digestMessage('url_concat', vectorInput)).toBe(`${vectorInput.url}${vectorInput.nonce}${vectorInput.created}`);
    expect(digestMessage('nonce_created', vectorInput)).toBe(`${vectorInput.nonce}${vectorInput.created}`);
  });
});

describe('isDigestVariant', () => {
  it('when given a known or unknown name, then tells them apart', () => {
    expect(digestVariants.every(isDigestVariant)).toBe(true);
    expect(isDigestVariant('url')).toBe(false);
    expect(isDigestVariant('')).toBe(false);
  });
});

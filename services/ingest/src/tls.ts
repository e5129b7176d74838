/**
 * The suites VoiceCall's documentation lists for pushing over HTTPS (spec §1.1); all TLS 1.2.
 * Serving only these guarantees the platform and callpipe agree on one.
 */
export const VOICECALL_CIPHER_SUITES = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-SHA384',
  'ECDHE-ECDSA-AES256-SHA384',
];

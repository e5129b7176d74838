/**
 * @callpipe/auth — verification of the `Authorization`/`X-AKSK` signatures VoiceCall may put on
 * pushes (spec §2). Pure: no I/O, no environment, no clock (callers pass `now`).
 */
export * from './digest.ts';
export * from './created.ts';
export * from './headers.ts';
export * from './verify.ts';
export * from './sign.ts';

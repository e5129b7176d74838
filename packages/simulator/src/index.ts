/** Realistic VoiceCall traffic over HTTP, with a record of every push that got 200 and a check of what was stored. */
export {
  buildTraffic,
  drive,
  tally,
  tallyWhenSettled,
  type DriveOptions,
  type Outcome,
  type Send,
  type Sent,
  type Tally,
  type TrafficOptions,
} from './traffic.ts';

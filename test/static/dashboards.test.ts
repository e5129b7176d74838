import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MISSING_CDR_BOARD_CONDITION } from '@callpipe/db';
import { REPO_ROOT } from '../support/process.ts';

// call_events and cdrs are partitioned by call_day (the day callpipe first saw the call). A query
// that bounds only event or end times scans every daily partition; one that also bounds call_day
// lets Postgres prune them. Calls last less than a day and are seen no later than they start, so
// call_day >= (start of range)::date - 1 keeps every row the time filter wants.
const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'infra/grafana/dashboards/calls.json'), 'utf8')) as {
  panels: Array<{ title: string; targets?: Array<{ rawSql?: string }> }>;
};

describe('Calls dashboard SQL', () => {
  const reading = dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).flatMap((target) =>
      target.rawSql && /\b(cdrs|call_events)\b/.test(target.rawSql) ? [[panel.title, target.rawSql] as const] : [],
    ),
  );

  it('has panels that read the partitioned tables', () => {
    expect(reading.length).toBeGreaterThan(2);
  });

  it.each(reading)('panel %s bounds call_day once per partitioned table it reads, so partitions are pruned', (_title, rawSql) => {
    const reads = rawSql.match(/\bFROM (cdrs|call_events)\b/g) ?? [];
    const bounds = rawSql.match(/\bcall_day >= \(\$__timeFrom\(\)\)::date - 1\b/g) ?? [];
    expect(bounds.length).toBe(reads.length);
  });
});

describe('Calls dashboard missing-CDR panels', () => {
  const panels = dashboard.panels.filter((panel) => panel.title.startsWith('Calls ended without a CDR'));

  it('use the one definition that `callpipe reconcile` and the worker gauge use (packages/db)', () => {
    expect(panels).toHaveLength(2);
    for (const panel of panels) expect(panel.targets?.[0]?.rawSql, panel.title).toContain(`WHERE ${MISSING_CDR_BOARD_CONDITION}\n`);
  });
});

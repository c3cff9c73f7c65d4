// Runs every case of the Quartz conformance corpus (../shared/conformance/quartz-cron.json beside
// the repository, generated with Quartz 2.3.2 as the oracle) through the cron engine. A missing
// corpus fails the run; it is never skipped.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CarillonError, CoreErrorCode, parseCron } from '@carillon/core';

interface CorpusCase {
  readonly id: string;
  readonly category: string;
  readonly expr: string;
  readonly tz: string;
  readonly start: string;
  readonly count: number;
  readonly expected: { readonly valid: boolean; readonly next?: readonly string[] };
}

interface Corpus {
  readonly categories: Readonly<Record<string, number>>;
  readonly cases: readonly CorpusCase[];
}

const REPOSITORY = resolve(import.meta.dirname, '..', '..', '..');
const CORPUS_PATH = resolve(REPOSITORY, '..', 'shared', 'conformance', 'quartz-cron.json');
const corpus: Corpus | null = existsSync(CORPUS_PATH)
  ? (JSON.parse(readFileSync(CORPUS_PATH, 'utf8')) as Corpus)
  : null;
const cases = corpus?.cases ?? [];

describe('Quartz cron conformance corpus', () => {
  it('is present and complete', () => {
    expect(corpus, `conformance corpus not found at ${CORPUS_PATH}`).not.toBeNull();
    const declared = Object.values(corpus?.categories ?? {}).reduce((sum, n) => sum + n, 0);
    expect(cases.length).toBe(declared);
    expect(cases.length).toBeGreaterThanOrEqual(384);
  });

  it.each(cases.filter((c) => c.expected.valid).map((c) => [c.id, c] as const))(
    '%s fires as Quartz does',
    (id, c) => {
      const fires = parseCron(c.expr)
        .next(Date.parse(c.start), c.tz, c.count)
        .map((ms) => new Date(ms).toISOString());
      expect(fires, `${id}: "${c.expr}" in ${c.tz} after ${c.start}`).toEqual(c.expected.next);
    },
  );

  it.each(cases.filter((c) => !c.expected.valid).map((c) => [c.id, c] as const))(
    '%s is rejected as Quartz rejects it',
    (id, c) => {
      let error: unknown = null;
      try {
        parseCron(c.expr);
      } catch (caught) {
        error = caught;
      }
      expect(error, `${id}: "${c.expr}" was accepted`).toBeInstanceOf(CarillonError);
      expect((error as CarillonError).code).toBe(CoreErrorCode.InvalidCron);
    },
  );
});

// Runs every case of the Quartz conformance corpus (conformance/quartz-cron.json, generated with
// Quartz 2.3.2 as the oracle) through the cron engine. The corpus is a copy of the team's shared
// one (../shared/conformance beside the repository); when that is present, the copies must match.
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

const CORPUS_PATH = resolve(import.meta.dirname, 'conformance', 'quartz-cron.json');
const SHARED_PATH = resolve(
  import.meta.dirname,
  ...['..', '..', '..', '..', 'shared', 'conformance', 'quartz-cron.json'],
);
const corpusText = readFileSync(CORPUS_PATH, 'utf8');
const corpus = JSON.parse(corpusText) as Corpus;
const cases = corpus.cases;

describe('Quartz cron conformance corpus', () => {
  it('is complete', () => {
    const declared = Object.values(corpus.categories).reduce((sum, n) => sum + n, 0);
    expect(cases.length).toBe(declared);
    expect(cases.length).toBeGreaterThanOrEqual(384);
  });

  it.runIf(existsSync(SHARED_PATH))('is the same as the shared corpus', () => {
    expect(corpusText === readFileSync(SHARED_PATH, 'utf8'), `refresh it from ${SHARED_PATH}`).toBe(
      true,
    );
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

// Runs the real `carillon cron` command in a child process, from its TypeScript sources.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPOSITORY = resolve(import.meta.dirname, '..', '..', '..');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function carillon(args: string[], stdin = ''): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'packages/cli/src/dev-entry.ts', ...args],
      { cwd: REPOSITORY, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('carillon cron next', () => {
  it('prints the next fire times, one ISO-8601 UTC instant a line', async () => {
    const run = await carillon([
      'cron',
      'next',
      '0 30 2 * * ?',
      '--tz',
      'America/New_York',
      '--from',
      '2026-03-07T12:00:00Z',
      '--count',
      '3',
    ]);
    expect(run).toEqual({
      code: 0,
      stdout: '2026-03-09T06:30:00.000Z\n2026-03-10T06:30:00.000Z\n2026-03-11T06:30:00.000Z\n',
      stderr: '',
    });
  });

  it('prints fewer lines when the expression stops firing, and defaults to UTC', async () => {
    const run = await carillon(['cron', 'next', '0 0 12 1 1 ? 2027-2028', '--from', '2026-06-01']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('2027-01-01T12:00:00.000Z\n2028-01-01T12:00:00.000Z\n');
  });

  it('defaults --count to 10 and --from to now', async () => {
    const run = await carillon(['cron', 'next', '* * * * * ?']);
    const lines = run.stdout.trim().split('\n').map(Date.parse);
    expect(lines).toHaveLength(10);
    expect(Math.abs((lines[0] ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  it.each([
    [['0 0 25 * * ?'], /hour/],
    [['0 0 12 * * ?', '--tz', 'Mars/Olympus_Mons'], /Mars\/Olympus_Mons/],
    [['0 0 12 * * ?', '--from', 'yesterday'], /--from/],
    [['0 0 12 * * ?', '--count', '10001'], /--count/],
    [['0 0 12 * * ?', '--colour'], /colour/],
    [[], /expression/],
  ])('exits with 2 and an error on stderr for %j', async (args, message) => {
    const run = await carillon(['cron', 'next', ...args]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
  });

  it('answers a JSON line for every --stdin line, in order, bad lines included', async () => {
    const input = [
      { expr: '0 0 12 * * ?', tz: 'Europe/Berlin', from: '2026-03-28T00:00:00Z', count: 2 },
      'not json',
      { expr: '0 0 25 * * ?' },
      { expr: '0 0 12 L * ?', from: '2024-01-01T00:00:00Z', count: 3 },
      { expr: '* * * * * ?', tz: 'Mars/Olympus_Mons' },
      { expr: '0 0 0 30 2 ?', from: '2026-01-01T00:00:00Z' },
      { expr: '0 0 12 * * ?', timezone: 'UTC' },
    ]
      .map((line) => (typeof line === 'string' ? line : JSON.stringify(line)))
      .join('\n');
    const run = await carillon(['cron', 'next', '--stdin'], `${input}\n`);
    expect(run.code).toBe(0);
    const answers = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { next?: string[]; error?: string });
    expect(answers).toHaveLength(7);
    expect(answers[0]).toEqual({ next: ['2026-03-28T11:00:00.000Z', '2026-03-29T10:00:00.000Z'] });
    expect(answers[1]?.error).toEqual(expect.any(String));
    expect(answers[2]?.error).toMatch(/hour/);
    expect(answers[3]).toEqual({
      next: ['2024-01-31T12:00:00.000Z', '2024-02-29T12:00:00.000Z', '2024-03-31T12:00:00.000Z'],
    });
    expect(answers[4]?.error).toMatch(/Mars\/Olympus_Mons/);
    expect(answers[5]).toEqual({ next: [] });
    expect(answers[6]?.error).toMatch(/timezone/);
  });
});

describe('carillon cron explain', () => {
  it('prints the description', async () => {
    const run = await carillon(['cron', 'explain', '0 15 10 ? * 6#3']);
    expect(run).toEqual({
      code: 0,
      stdout: 'At 10:15:00 AM, on the third Friday of the month\n',
      stderr: '',
    });
  });

  it('exits with 2 and an error on stderr for an invalid expression', async () => {
    const run = await carillon(['cron', 'explain', '0 0 12 * * *']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/dayOfWeek/);
  });
});

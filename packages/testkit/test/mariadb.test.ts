// The throwaway MariaDB server: its data outlives a clean restart and a crash, and while it is
// down nothing listens on its port (a real outage, unlike the shared server other tests use).
import { connect } from 'node:net';
import { createConnection } from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { startMariaDb } from '../src/index.js';

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const count = async (url: string): Promise<number> => {
  const connection = await createConnection({ uri: url });
  try {
    const [rows] = await connection.query('select count(*) as n from t');
    return Number((rows as { n: number }[])[0]?.n);
  } finally {
    await connection.end();
  }
};

describe('startMariaDb', () => {
  it('keeps its data across a restart and a crash, and is unreachable while down', async () => {
    const db = await startMariaDb();
    try {
      const url = await db.createDatabase('harness');
      const connection = await createConnection({ uri: url });
      await connection.query('create table t (id int primary key)');
      await connection.query('insert into t values (1), (2)');
      await connection.end();

      await db.stop();
      expect(db.running).toBe(false);
      expect(await accepts(db.port)).toBe(false);
      await db.start();
      expect(await count(url)).toBe(2);

      await db.kill();
      expect(await accepts(db.port)).toBe(false);
      await db.restart();
      expect(db.running).toBe(true);
      expect(await count(url)).toBe(2);
    } finally {
      await db.remove();
    }
    expect(db.running).toBe(false);
  }, 120_000);
});

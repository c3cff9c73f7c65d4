import type { ClientMember, Job, ServerMember } from '@carillon/core';
import { describe, expect, it } from 'vitest';
import { Membership } from './membership.js';

const member = (serverId: string): ServerMember => ({
  serverId,
  cluster: 101,
  serverGroup: 1,
  room: `room-${serverId}`,
  rpcAddress: `${serverId}:1`,
});

const client = (clientId: string, serverId: string, handlers = ['echo']): ClientMember => ({
  clientId,
  groupId: '101-1-3-1',
  serverId,
  handlers,
  room: 'r1',
});

const job = {
  id: 7,
  groupId: '101-1-3-1',
  handler: 'echo',
  holders: ['s1', 's2', 's3'],
  routeLabels: [],
  routeRoom: null,
} as unknown as Job;

describe('Membership: the preferred holder', () => {
  it('is the first live holder while no client registrations were read (as before)', () => {
    const m = new Membership('s2', () => false);
    m.update([member('s1'), member('s2'), member('s3')], 0);
    expect(m.preferredHolder(job)).toBe('s1');
  });

  it('skips holders with no client for the job, this one by its own clients', () => {
    let here = false;
    const m = new Membership('s1', () => here);
    m.update([member('s1'), member('s2'), member('s3')], 0);
    m.setClients(job.groupId, [client('c', 's2', ['other']), client('c', 's3')]);
    // s1 has no client, s2 only one of another handler: s3.
    expect(m.preferredHolder(job)).toBe('s3');
    expect(m.isPreferred(job)).toBe(false);
    here = true;
    expect(m.isPreferred(job)).toBe(true);
  });

  it('falls back to the first live holder when none has a client', () => {
    const m = new Membership('s3', () => false);
    m.update([member('s2'), member('s3')], 0);
    m.setClients(job.groupId, []);
    expect(m.preferredHolder(job)).toBe('s2');
  });

  it('forgets the clients of a server that left: back, it has none', () => {
    const m = new Membership('s3', () => false);
    m.update([member('s1'), member('s2'), member('s3')], 0);
    m.setClients(job.groupId, [client('c', 's1'), client('c', 's2')]);
    m.update([member('s2'), member('s3')], 1);
    m.update([member('s1'), member('s2'), member('s3')], 2);
    expect(m.preferredHolder(job)).toBe('s2');
  });

  it('tells whether another live holder than the one that failed has a client for the job', () => {
    const m = new Membership('s3', () => false);
    m.update([member('s1'), member('s2'), member('s3')], 0);
    // Not read yet: no other holder is known to have one.
    expect(m.canRunElsewhere(job, undefined)).toBe(false);
    m.setClients(job.groupId, [client('c', 's1')]);
    expect(m.canRunElsewhere(job, undefined)).toBe(true);
    expect(m.canRunElsewhere(job, 's1')).toBe(false);
    m.setClients(job.groupId, [client('c', 's1'), client('d', 's2')]);
    expect(m.canRunElsewhere(job, 's1')).toBe(true);
  });
});

import assert from 'node:assert/strict';
import {
  COMMAND_SCHEMAS,
  COMMAND_TYPES,
  COMMAND_WINDOWS,
  commandLifetime,
  commandRunnable,
  parseCommandPayload,
  parseCommandResult,
  WA_MESSAGE_ID_PATTERN,
} from '@wasync/shared';

const MESSAGE_ID = '3EB0ABCDEF0123456789AB';

describe('command schemas', () => {
  it('accepts a valid payload and result of every command type', () => {
    const valid = {
      send: {
        payload: { to: '491511@s.whatsapp.net', text: 'hi', clientMessageId: 'c-1', messageId: MESSAGE_ID },
        result: { messageId: MESSAGE_ID, sentAt: 1_700_000_000_000 },
      },
      backfill: {
        payload: { reason: 'manual', threads: 50, count: 100, threadIds: ['491511@s.whatsapp.net'] },
        result: { threads: 1, requested: 100, received: 42 },
      },
      logout: { payload: {}, result: {} },
      pair: { payload: { method: 'code', phoneNumber: '4915112345678' }, result: { pairingCode: 'ABCD1234' } },
      fetch_media: {
        payload: { threadId: '4915112345678@s.whatsapp.net', messageId: 'peer~3EB0AA' },
        result: { state: 'stored' },
      },
    } as const;
    for (const type of Object.keys(COMMAND_SCHEMAS) as (keyof typeof valid)[]) {
      assert.ok(parseCommandPayload(type, valid[type].payload).ok, `${type} payload`);
      assert.ok(parseCommandResult(type, valid[type].result).ok, `${type} result`);
    }
    assert.ok(parseCommandPayload('pair', { method: 'qr' }).ok);
  });

  it('rejects unknown fields, wrong id formats and out-of-range numbers without throwing', () => {
    const bad: [Parameters<typeof parseCommandPayload>[0], unknown][] = [
      ['send', { to: 'x@s.whatsapp.net', text: 'hi', clientMessageId: 'c', messageId: MESSAGE_ID, extra: 1 }],
      ['send', { to: 'x@s.whatsapp.net', text: 'hi', clientMessageId: 'c', messageId: '3eb0abcdef0123456789ab' }],
      ['send', { to: 'no-at-sign', text: 'hi', clientMessageId: 'c', messageId: MESSAGE_ID }],
      ['send', { to: 'x@s.whatsapp.net', text: '', clientMessageId: 'c', messageId: MESSAGE_ID }],
      ['send', { to: 'x@s.whatsapp.net', text: 'hi', clientMessageId: 'a/b', messageId: MESSAGE_ID }],
      ['backfill', { reason: 'manual', threads: 0, count: 100 }],
      ['backfill', { reason: 'manual', threads: 1, count: 1.5 }],
      ['backfill', { reason: 'later', threads: 1, count: 1 }],
      ['logout', { now: true }],
      ['pair', { method: 'code', phoneNumber: '+4915112345678' }],
      ['pair', { method: 'code' }],
      ['pair', { method: 'sms' }],
      ['pair', null],
    ];
    for (const [type, payload] of bad) {
      assert.equal(parseCommandPayload(type, payload).ok, false, `${type} ${JSON.stringify(payload)}`);
    }
  });

  it('describes the id format Baileys generateMessageIDV2 produces', async () => {
    // The real generator (test-only import: the functions bundle must not carry Baileys' runtime).
    const { generateMessageIDV2 } = await import('@whiskeysockets/baileys');
    for (let i = 0; i < 20; i++)
      assert.match(generateMessageIDV2('4915112345678@s.whatsapp.net'), WA_MESSAGE_ID_PATTERN);
    assert.doesNotMatch(`3EB0${'A1'.repeat(8)}`, WA_MESSAGE_ID_PATTERN);
  });

  it('runs a command only before its expiry and in the pairing generation it was written in', () => {
    const T = 1_700_000_000_000;
    for (const type of COMMAND_TYPES) {
      const command = commandLifetime(type, T, 2);
      assert.ok(command.purgeAt > command.expiresAt, 'kept for replays after it can no longer run');
      assert.deepEqual(commandRunnable(command, 2, T), { ok: true });
      assert.deepEqual(commandRunnable(command, 2, T + COMMAND_WINDOWS[type] - 1), { ok: true });
      const expired = commandRunnable(command, 2, T + COMMAND_WINDOWS[type]);
      assert.equal(expired.ok ? '' : expired.error.code, 'expired');
      // A logout or a new pairing bumps the account's generation: pending sends never cross it.
      for (const generation of [3, 1, undefined]) {
        const stale = commandRunnable(command, generation, T);
        assert.equal(stale.ok, false, `generation ${generation}`);
        assert.match(stale.ok ? '' : stale.error.message, /logged out or paired again/);
      }
    }
    assert.deepEqual(commandRunnable(commandLifetime('send', T, 0), undefined, T), { ok: true }, 'absent is 0');
  });
});

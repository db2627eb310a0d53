import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { jidDecode, jidNormalizedUser } from '@whiskeysockets/baileys/lib/WABinary/jid-utils.js';
import fc from 'fast-check';
import {
  isLidJid,
  isPnJid,
  isStatusBroadcast,
  jidCategory,
  jidServer,
  jidUser,
  normalizeJid,
  normalizeUserJid,
  threadKindOf,
} from '../../src/identity/jid.ts';

/** Strings built from the pieces JIDs are made of, so that odd placements of `@`, `:` and `_` are common. */
const jidLike = fc.string({
  unit: fc.constantFrom('1', 'a', '@', ':', '_', '.', '-', 'c.us', 's.whatsapp.net', 'lid', 'hosted', 'g.us', 'bot'),
  maxLength: 12,
});
const anyJid = fc.oneof(jidLike, fc.string());

/** The server as `jidDecode` gives it, for JIDs with a user part: the reference for the string shortcuts. */
function decodedServer(jid: string): string | undefined {
  const decoded = jidDecode(jid);
  return decoded?.user ? decoded.server : undefined;
}

describe('identity/jid', () => {
  it('classifies chat JIDs by server', () => {
    const cases: [string, ReturnType<typeof jidCategory>][] = [
      ['4915100000001@s.whatsapp.net', 'dm'],
      ['4915100000001:12@s.whatsapp.net', 'dm'],
      ['4915100000001@c.us', 'dm'],
      ['123456789012345@lid', 'dm'],
      ['4915100000001@hosted', 'dm'],
      ['123456789012345@hosted.lid', 'dm'],
      ['13135550002@bot', 'dm'],
      ['120363000000000001@g.us', 'group'],
      ['4915100000001-1600000000@g.us', 'group'],
      ['1600000000@broadcast', 'broadcast'],
      ['status@broadcast', 'status'],
      ['120363000000000002@newsletter', 'newsletter'],
      ['4915100000001@call', undefined],
      ['@s.whatsapp.net', undefined],
      ['no-server', undefined],
      ['', undefined],
    ];
    for (const [jid, expected] of cases) assert.equal(jidCategory(jid), expected, jid);
  });

  it('gives no thread kind to WhatsApp Status, but recognises it', () => {
    assert.equal(threadKindOf('status@broadcast'), undefined);
    assert.equal(isStatusBroadcast('status@broadcast'), true);
    assert.equal(threadKindOf('1600000000@broadcast'), 'broadcast');
    assert.equal(isStatusBroadcast('1600000000@broadcast'), false);
    assert.equal(threadKindOf('120363000000000001@g.us'), 'group');
  });

  it('normalises user JIDs: drops device and agent, spells c.us as s.whatsapp.net', () => {
    assert.equal(normalizeUserJid('4915100000001:12@s.whatsapp.net'), '4915100000001@s.whatsapp.net');
    assert.equal(normalizeUserJid('4915100000001@c.us'), '4915100000001@s.whatsapp.net');
    assert.equal(normalizeUserJid('123456789012345_1:3@lid'), '123456789012345@lid');
    assert.equal(normalizeUserJid('123456789012345:7@hosted.lid'), '123456789012345@hosted.lid');
    assert.equal(normalizeUserJid('120363000000000001@g.us'), undefined);
    assert.equal(normalizeUserJid('garbage'), undefined);
  });

  it('tells LID users from phone-number users', () => {
    assert.equal(isLidJid('1:2@lid'), true);
    assert.equal(isLidJid('1@hosted.lid'), true);
    assert.equal(isLidJid('1@s.whatsapp.net'), false);
    assert.equal(isPnJid('1:2@s.whatsapp.net'), true);
    assert.equal(isPnJid('1@c.us'), true);
    assert.equal(isPnJid('1@hosted'), true);
    assert.equal(isPnJid('1@lid'), false);
    assert.equal(isPnJid('1-2@g.us'), false);
  });

  it("reads servers and users exactly as Baileys' jidDecode does", () => {
    fc.assert(
      fc.property(anyJid, (jid) => {
        const server = decodedServer(jid);
        assert.equal(jidServer(jid), server);
        assert.equal(jidUser(jid), jidDecode(jid)?.user || undefined);
        assert.equal(isLidJid(jid), server === 'lid' || server === 'hosted.lid');
        assert.equal(isPnJid(jid), server === 's.whatsapp.net' || server === 'c.us' || server === 'hosted');
        assert.equal(isLidJid(jid, false), server === 'lid');
        assert.equal(isPnJid(jid, false), server === 's.whatsapp.net' || server === 'c.us');
      }),
      { numRuns: 10_000 },
    );
  });

  it("normalizeJid is Baileys' jidNormalizedUser, with undefined for its '' and for JIDs without user", () => {
    fc.assert(
      fc.property(anyJid, (jid) => {
        const baileys = jidNormalizedUser(jid);
        assert.equal(normalizeJid(jid), baileys === '' || jidUser(jid) === undefined ? undefined : baileys);
        assert.equal(normalizeUserJid(jid), jidCategory(jid) === 'dm' ? baileys : undefined);
      }),
      { numRuns: 10_000 },
    );
    assert.equal(normalizeJid('120363000000000001@g.us'), '120363000000000001@g.us');
    assert.equal(normalizeJid('4915100000001_1:3@c.us'), '4915100000001@s.whatsapp.net');
    assert.equal(normalizeJid('garbage'), undefined);
    assert.equal(normalizeJid('@s.whatsapp.net'), undefined);
    assert.equal(normalizeJid(':1@lid'), undefined);
  });

  it('gives undefined or false for values that are not strings, as jidDecode does', () => {
    for (const value of [undefined, null, 5, {}, ['1@lid']] as unknown as string[]) {
      assert.equal(jidServer(value), undefined);
      assert.equal(jidUser(value), undefined);
      assert.equal(normalizeJid(value), undefined);
      assert.equal(normalizeUserJid(value), undefined);
      assert.equal(jidCategory(value), undefined);
      assert.equal(isLidJid(value), false);
      assert.equal(isPnJid(value), false);
    }
  });

  it("imports Baileys' jid utils from a file with no imports of its own (keeps the functions bundle small)", () => {
    const path = createRequire(import.meta.url).resolve('@whiskeysockets/baileys/lib/WABinary/jid-utils.js');
    assert.doesNotMatch(readFileSync(path, 'utf8'), /^\s*(import|export\s+\*|export\s+\{[^}]*\}\s+from)\b/m);
  });
});

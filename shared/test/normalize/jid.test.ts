import assert from 'node:assert/strict';
import { jidNormalizedUser } from '@whiskeysockets/baileys';
import fc from 'fast-check';
import { threadDocId } from '../../src/ids.ts';
import { canonicalJid, normalizedUserJid, threadIdOf } from '../../src/normalize/jid.ts';

describe('normalize/jid', () => {
  it('normalizedUserJid agrees with Baileys jidNormalizedUser on JID-like strings', () => {
    const jidLike = fc.string({
      unit: fc.constantFrom('1', 'a', '@', ':', '_', '.', 'c', 'u', 's', 'lid', 'g.us'),
      maxLength: 30,
    });
    fc.assert(
      fc.property(fc.oneof(jidLike, fc.string()), (jid) => {
        assert.equal(normalizedUserJid(jid), jidNormalizedUser(jid));
      }),
      { numRuns: 10_000 },
    );
  });

  it('drops devices and agents and maps c.us like Baileys', () => {
    assert.equal(normalizedUserJid('4915:3@s.whatsapp.net'), '4915@s.whatsapp.net');
    assert.equal(normalizedUserJid('4915_1:3@lid'), '4915@lid');
    assert.equal(normalizedUserJid('4915@c.us'), '4915@s.whatsapp.net');
    assert.equal(normalizedUserJid('no-at-sign'), '');
  });

  it('canonicalJid hands the resolver the device-free JID and rejects non-JIDs', () => {
    const seen: string[] = [];
    const resolver = (jid: string) => {
      seen.push(jid);
      return jid === '1@lid' ? '2@s.whatsapp.net' : jid;
    };
    assert.equal(canonicalJid(resolver, '1:9@lid'), '2@s.whatsapp.net');
    assert.deepEqual(seen, ['1@lid']);
    assert.equal(
      canonicalJid(() => '@lid', '1@lid'),
      null,
    );
    assert.equal(
      canonicalJid(() => undefined as unknown as string, '1@lid'),
      null,
    );
    assert.equal(canonicalJid(normalizedUserJid, 'garbage'), null);
  });

  it('threadIdOf memoises exactly threadDocId', () => {
    for (const jid of ['120363@g.us', 'a/b@g.us', '__x__@lid', '120363@g.us', `${'9'.repeat(600)}@g.us`]) {
      assert.equal(threadIdOf(jid), threadDocId(jid));
    }
  });
});

import assert from 'node:assert/strict';
import type { proto } from '@whiskeysockets/baileys';
import { normalizeMessage } from '../../src/normalize/index.ts';
import { historyMessage, liveDm, NOW, PEER, SELF, T0 } from '../fixtures/wa-messages.ts';
import { asMessage, firstNonPlain } from './helpers.ts';

/** Normalise a live DM with the given content and return its document. */
function docOf(content: proto.IMessage) {
  const result = asMessage(normalizeMessage(liveDm(content), { source: 'realtime', receivedAt: NOW, self: SELF }));
  assert.equal(firstNonPlain(result.doc), null);
  return result.doc;
}

describe('normalizeMessage: content', () => {
  describe('text', () => {
    it('reads conversation', () => {
      const doc = docOf({ conversation: 'hello' });
      assert.equal(doc.type, 'text');
      assert.equal(doc.text, 'hello');
      assert.equal('media' in doc, false);
      assert.equal('quotedId' in doc, false);
    });

    it('reads extendedTextMessage and the quoted id from contextInfo.stanzaId', () => {
      const doc = docOf({ extendedTextMessage: { text: 'see this', contextInfo: { stanzaId: 'QUOTED1' } } });
      assert.deepEqual([doc.type, doc.text, doc.quotedId], ['text', 'see this', 'QUOTED1']);
    });

    it('turns an empty conversation into null text', () => {
      assert.equal(docOf({ conversation: '' }).text, null);
    });

    it('treats a button reply as the text the user chose', () => {
      const doc = docOf({ buttonsResponseMessage: { selectedButtonId: 'b1', selectedDisplayText: 'Yes please' } });
      assert.deepEqual([doc.type, doc.text], ['text', 'Yes please']);
    });
  });

  describe('media (metadata only)', () => {
    it('reads an image with caption, Long fileLength and dimensions', () => {
      const doc = docOf({
        imageMessage: {
          caption: 'look',
          mimetype: 'image/jpeg',
          fileLength: 123456,
          width: 1280,
          height: 720,
          mediaKey: new Uint8Array([1, 2, 3]),
          contextInfo: { stanzaId: 'Q2' },
        },
      });
      assert.equal(doc.type, 'image');
      assert.equal(doc.text, 'look');
      assert.equal(doc.quotedId, 'Q2');
      assert.deepEqual(doc.media, { mimetype: 'image/jpeg', fileLength: 123456, width: 1280, height: 720 });
    });

    it('reads a video with duration', () => {
      const doc = docOf({
        videoMessage: {
          caption: 'clip',
          mimetype: 'video/mp4',
          fileLength: 9_000_000,
          seconds: 42,
          width: 640,
          height: 360,
        },
      });
      assert.equal(doc.type, 'video');
      assert.deepEqual(doc.media, {
        mimetype: 'video/mp4',
        fileLength: 9_000_000,
        seconds: 42,
        width: 640,
        height: 360,
      });
    });

    it('reads a round video note (ptvMessage) as video', () => {
      const doc = docOf({ ptvMessage: { mimetype: 'video/mp4', fileLength: 500, seconds: 5 } });
      assert.deepEqual([doc.type, doc.text], ['video', null]);
      assert.equal(doc.media?.seconds, 5);
    });

    it('reads a voice note as audio without text', () => {
      const doc = docOf({
        audioMessage: { ptt: true, mimetype: 'audio/ogg; codecs=opus', fileLength: 4000, seconds: 7 },
      });
      assert.deepEqual([doc.type, doc.text], ['audio', null]);
      assert.deepEqual(doc.media, { mimetype: 'audio/ogg; codecs=opus', fileLength: 4000, seconds: 7 });
    });

    it('reads a document with file name and caption', () => {
      const doc = docOf({
        documentMessage: { fileName: 'invoice.pdf', mimetype: 'application/pdf', fileLength: 2048, caption: 'Invoice' },
      });
      assert.deepEqual([doc.type, doc.text], ['document', 'Invoice']);
      assert.deepEqual(doc.media, { mimetype: 'application/pdf', fileLength: 2048, fileName: 'invoice.pdf' });
    });

    it('unwraps documentWithCaptionMessage', () => {
      const doc = docOf({
        documentWithCaptionMessage: {
          message: {
            documentMessage: { fileName: 'a.xlsx', mimetype: 'application/vnd.ms-excel', caption: 'Q3 numbers' },
          },
        },
      });
      assert.deepEqual([doc.type, doc.text, doc.media?.fileName], ['document', 'Q3 numbers', 'a.xlsx']);
    });

    it('reads a sticker', () => {
      const doc = docOf({ stickerMessage: { mimetype: 'image/webp', fileLength: 10_000, width: 512, height: 512 } });
      assert.deepEqual([doc.type, doc.text], ['sticker', null]);
      assert.deepEqual(doc.media, { mimetype: 'image/webp', fileLength: 10_000, width: 512, height: 512 });
    });

    it('keeps mimetype and fileLength as null when the proto lacks them', () => {
      assert.deepEqual(docOf({ imageMessage: {} }).media, { mimetype: null, fileLength: null });
    });
  });

  describe('location', () => {
    it('uses "name, address" for a shared place', () => {
      const doc = docOf({
        locationMessage: {
          degreesLatitude: 52.52,
          degreesLongitude: 13.405,
          name: 'Fernsehturm',
          address: 'Panoramastr. 1A',
        },
      });
      assert.deepEqual([doc.type, doc.text], ['location', 'Fernsehturm, Panoramastr. 1A']);
    });

    it('uses the name alone when there is no address', () => {
      assert.equal(docOf({ locationMessage: { degreesLatitude: 1, degreesLongitude: 2, name: 'Home' } }).text, 'Home');
    });

    it('falls back to the comment, then to the coordinates', () => {
      assert.equal(
        docOf({ locationMessage: { degreesLatitude: 1, degreesLongitude: 2, comment: 'meet here' } }).text,
        'meet here',
      );
      assert.equal(
        docOf({ locationMessage: { degreesLatitude: 52.520008, degreesLongitude: -13.404954 } }).text,
        '52.520008, -13.404954',
      );
    });

    it('reads a live location: caption, else coordinates', () => {
      const withCaption = docOf({
        liveLocationMessage: { degreesLatitude: 1.5, degreesLongitude: 2.5, caption: 'on my way' },
      });
      assert.deepEqual([withCaption.type, withCaption.text], ['location', 'on my way']);
      assert.equal(
        docOf({ liveLocationMessage: { degreesLatitude: 1.5, degreesLongitude: 2.5 } }).text,
        '1.500000, 2.500000',
      );
    });

    it('has null text when there is nothing at all', () => {
      assert.equal(docOf({ locationMessage: {} }).text, null);
    });
  });

  describe('contacts', () => {
    it('reads one contact card', () => {
      const doc = docOf({ contactMessage: { displayName: 'Ada Lovelace', vcard: 'BEGIN:VCARD\nEND:VCARD' } });
      assert.deepEqual([doc.type, doc.text], ['contact', 'Ada Lovelace']);
    });

    it('reads several cards: the array name, else the names joined', () => {
      const named = docOf({ contactsArrayMessage: { displayName: '2 contacts', contacts: [{ displayName: 'A' }] } });
      assert.deepEqual([named.type, named.text], ['contact', '2 contacts']);
      const unnamed = docOf({ contactsArrayMessage: { contacts: [{ displayName: 'Ada' }, { displayName: 'Alan' }] } });
      assert.equal(unnamed.text, 'Ada, Alan');
    });
  });

  describe('polls', () => {
    for (const field of ['pollCreationMessage', 'pollCreationMessageV2', 'pollCreationMessageV3'] as const) {
      it(`reads ${field} as a poll named by its question`, () => {
        const doc = docOf({ [field]: { name: 'Lunch?', options: [{ optionName: 'Pizza' }, { optionName: 'Sushi' }] } });
        assert.deepEqual([doc.type, doc.text], ['poll', 'Lunch?']);
      });
    }
  });

  describe('wrappers (Baileys normalizeMessageContent)', () => {
    const inner: proto.IMessage = { imageMessage: { caption: 'secret', mimetype: 'image/jpeg' } };
    const wrapped: Record<string, proto.IMessage> = {
      ephemeralMessage: { ephemeralMessage: { message: inner } },
      viewOnceMessage: { viewOnceMessage: { message: inner } },
      viewOnceMessageV2: { viewOnceMessageV2: { message: inner } },
      viewOnceMessageV2Extension: { viewOnceMessageV2Extension: { message: inner } },
      'ephemeral + viewOnceMessageV2': { ephemeralMessage: { message: { viewOnceMessageV2: { message: inner } } } },
    };
    for (const [name, content] of Object.entries(wrapped)) {
      it(`unwraps ${name}`, () => {
        const doc = docOf(content);
        assert.deepEqual([doc.type, doc.text, doc.media?.mimetype], ['image', 'secret', 'image/jpeg']);
      });
    }

    it('flattens a template message with Baileys extractMessageContent', () => {
      const doc = docOf({
        templateMessage: { hydratedTemplate: { hydratedContentText: 'Your code is 1234', templateId: 't1' } },
      });
      assert.deepEqual([doc.type, doc.text], ['text', 'Your code is 1234']);
    });

    it('ignores a senderKeyDistributionMessage next to real content', () => {
      const doc = docOf({
        senderKeyDistributionMessage: { groupId: 'g', axolotlSenderKeyDistributionMessage: new Uint8Array([1]) },
        conversation: 'hi group',
      });
      assert.deepEqual([doc.type, doc.text], ['text', 'hi group']);
    });
  });

  describe('other content', () => {
    it('keeps unknown kinds as "other" with the best text it has', () => {
      const doc = docOf({ eventMessage: { name: 'Team dinner', description: 'Friday' } });
      assert.deepEqual([doc.type, doc.text], ['other', 'Team dinner']);
    });

    it('reads group invites by caption or group name', () => {
      const doc = docOf({ groupInviteMessage: { groupJid: '1@g.us', groupName: 'Book club', inviteCode: 'x' } });
      assert.deepEqual([doc.type, doc.text], ['other', 'Book club']);
    });
  });

  it('describes history content exactly like live content', () => {
    const content: proto.IMessage = {
      videoMessage: { caption: 'same', mimetype: 'video/mp4', fileLength: 77, seconds: 3, width: 2, height: 4 },
    };
    const live = docOf(content);
    const history = asMessage(
      normalizeMessage(
        historyMessage({
          key: { remoteJid: PEER.lid, fromMe: false, id: live.id },
          messageTimestamp: T0,
          message: content,
        }),
        { source: 'history', receivedAt: NOW, self: SELF },
      ),
    ).doc;
    assert.deepEqual(
      { type: history.type, text: history.text, media: history.media },
      { type: live.type, text: live.text, media: live.media },
    );
  });
});

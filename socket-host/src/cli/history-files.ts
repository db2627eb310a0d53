/**
 * HistorySync files as WhatsApp ships them: the protobuf `HistorySync`, zlib-deflated (what
 * Baileys' `downloadHistory` inflates after decrypting the download) or already inflated. Decoded
 * with Baileys' own `proto.HistorySync`, so a file means exactly what it would mean to Baileys.
 *
 * A file that cannot be read, inflated or decoded, or that decodes to something without a known
 * `syncType` (protobuf decodes many byte strings to an empty message), is an `AppError` naming it.
 */
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { inflate } from 'node:zlib';
import { AppError } from '@wasync/shared';
import { proto } from '@whiskeysockets/baileys';

const inflateAsync = promisify(inflate);

/** What a decoded file holds, for the progress bar and the log. */
export interface HistoryFileInfo {
  path: string;
  bytes: number;
  deflated: boolean;
  syncType: string;
  conversations: number;
  messages: number;
}

/** A zlib stream starts with CMF 0x78 (deflate, 32 KiB window) and a header checksum (RFC 1950). */
function looksDeflated(bytes: Buffer): boolean {
  return bytes.length >= 2 && bytes[0] === 0x78 && ((bytes[0] << 8) | bytes[1]!) % 31 === 0;
}

function badFile(path: string, why: string, cause?: unknown): AppError {
  return new AppError('invalid_argument', `${path}: ${why}`, { file: path }, { cause });
}

/** Reads, inflates when deflated, and decodes one file; throws an `AppError` naming it. */
export async function readHistoryFile(path: string): Promise<{ sync: proto.HistorySync; info: HistoryFileInfo }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw badFile(path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
  }
  const deflated = looksDeflated(bytes);
  let payload = bytes;
  if (deflated) {
    try {
      payload = await inflateAsync(bytes);
    } catch (err) {
      throw badFile(path, `looks zlib-deflated but does not inflate (${(err as Error).message})`, err);
    }
  }
  let sync: proto.HistorySync;
  try {
    sync = proto.HistorySync.decode(payload);
  } catch (err) {
    throw badFile(path, `is not a HistorySync protobuf (${(err as Error).message})`, err);
  }
  const syncType = proto.HistorySync.HistorySyncType[sync.syncType];
  if (!Object.hasOwn(sync, 'syncType') || syncType === undefined) {
    throw badFile(path, 'is not a HistorySync protobuf (no known syncType)');
  }
  const conversations = sync.conversations ?? [];
  return {
    sync,
    info: {
      path,
      bytes: bytes.length,
      deflated,
      syncType,
      conversations: conversations.length,
      messages: conversations.reduce((n, c) => n + (c.messages?.length ?? 0), 0),
    },
  };
}

/**
 * Decodes every file before anything is written (a bad file stops the run with nothing touched);
 * keeps only what each holds, so memory does not grow with the number of files — they are
 * decoded again one at a time for the import.
 */
export async function checkHistoryFiles(paths: readonly string[]): Promise<HistoryFileInfo[]> {
  const infos: HistoryFileInfo[] = [];
  for (const path of paths) infos.push((await readHistoryFile(path)).info);
  return infos;
}

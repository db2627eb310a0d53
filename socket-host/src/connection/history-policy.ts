/**
 * Which history notifications Baileys processes. Baileys' default rejects FULL (the year-long
 * sync) and, returning false, would also skip the app-state sync and the LID/tc-token bookkeeping
 * that ride on history (baileys-v7-brief.md §1). We want everything WhatsApp sends: FULL when full
 * history is on, ON_DEMAND for backfill answers, RECENT, INITIAL_BOOTSTRAP, PUSH_NAME.
 * Baileys still limits processing to its PROCESSABLE_HISTORY_TYPES.
 */
import type { proto } from '@whiskeysockets/baileys';

export const acceptAllHistory = (_notification: proto.Message.IHistorySyncNotification): boolean => true;

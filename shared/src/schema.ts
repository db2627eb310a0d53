/**
 * The Firestore data contract (DESIGN.md §3) as TypeScript types and path builders.
 *
 * Apps read these documents directly, so field names are an API: change them only together with
 * the README and the rules. Times in the domain are epoch milliseconds (`EpochMs`); the Firestore
 * adapters at the edges turn them into `Timestamp`s, which keeps this package free of I/O SDKs.
 */

/** Milliseconds since the Unix epoch. */
export type EpochMs = number;

export const CONNECTION_STATES = ['idle', 'connecting', 'qr', 'open', 'closed', 'logged_out', 'error'] as const;
export type ConnectionState = (typeof CONNECTION_STATES)[number];

/**
 * States in which no socket host runs the account until someone acts on it: `logged_out` (the
 * device was unlinked: pair again), `closed` (the QR or pairing code was not used in time, or
 * another client replaced the session: pair or resume), `error` (an auth state that does not
 * decrypt, or connects failing for a reason the host does not know; never an outage). Setting
 * `connection.state` back to `idle` (what a pair/resume command does) hands the account to the
 * hosts again. `idle` itself means "no socket, waiting for a host": a host writes it when it lets
 * go of an account on purpose (shutdown, rebalancing).
 */
export const PARKED_CONNECTION_STATES = ['logged_out', 'closed', 'error'] as const satisfies readonly ConnectionState[];

/** Whether hosts leave an account alone until someone un-parks it (see PARKED_CONNECTION_STATES). */
export function isParkedConnectionState(state: unknown): boolean {
  return (PARKED_CONNECTION_STATES as readonly unknown[]).includes(state);
}

/** Ordered weakest → strongest; see `status.ts` for the merge rules. */
export const MESSAGE_STATUSES = ['error', 'pending', 'server_ack', 'delivered', 'read', 'played'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const MESSAGE_TYPES = [
  'text',
  'image',
  'video',
  'audio',
  'document',
  'sticker',
  'location',
  'contact',
  'poll',
  'other',
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const THREAD_KINDS = ['dm', 'group', 'broadcast', 'newsletter'] as const;
export type ThreadKind = (typeof THREAD_KINDS)[number];

export const MESSAGE_SOURCES = ['history', 'realtime', 'send', 'backfill', 'import'] as const;
export type MessageSource = (typeof MESSAGE_SOURCES)[number];

export const MEMBER_ROLES = ['viewer', 'agent', 'admin'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

export const COMMAND_TYPES = ['send', 'backfill', 'logout', 'pair', 'fetch_media'] as const;
export type CommandType = (typeof COMMAND_TYPES)[number];

export const COMMAND_STATES = ['pending', 'running', 'done', 'failed'] as const;
export type CommandState = (typeof COMMAND_STATES)[number];

export interface AccountConnection {
  state: ConnectionState;
  lastError?: string;
  updatedAt: EpochMs;
}

/**
 * `accounts/{accountId}/private/pairing`: what links a phone to the account while it pairs — the
 * QR to scan (valid until `qrExpiresAt`) and the code to type for pairing by phone number.
 * Readable by the account's admins (rules) and through the API by admins and operators; the socket
 * host writes it while the account shows a QR and deletes it once the account is linked or parked.
 */
export interface PairingDoc {
  qr?: string;
  qrExpiresAt?: EpochMs;
  pairingCode?: string;
  updatedAt: EpochMs;
}

/**
 * `accounts/{accountId}/backfillThreads/{threadId}` (server only): what backfill learned about a
 * thread. Kept beside the thread, not on it: the sync pipeline writes thread documents whole.
 */
export interface BackfillThreadDoc {
  /** The phone said nothing older is left ("complete, no more messages"): later backfills skip it. */
  exhaustedAt?: EpochMs;
  /** The last request for this thread that got no answer in time, and how many did so far. */
  unansweredAt?: EpochMs;
  unanswered?: number;
}

export interface AccountDoc {
  displayName: string;
  /**
   * Which WhatsApp session the account is on: the socket host increments it whenever the auth
   * state is wiped (logout, logged out from the phone) or a new pairing stores its first creds.
   * Commands record the generation they were written in and are not executed in another one
   * (commands.ts `commandRunnable`). Absent means 0. Server bookkeeping, not shown to apps.
   */
  pairingGeneration?: number;
  phone?: string;
  me?: { id: string; lid?: string; name?: string };
  connection: AccountConnection;
  lastConnectedAt?: EpochMs;
  lastHistorySyncAt?: EpochMs;
  lastBackfillAt?: EpochMs;
  historySync?: {
    syncType: string;
    progress: number | null;
    chunks: number;
    messages: number;
    isLatest: boolean;
    updatedAt: EpochMs;
  };
  backfill?: {
    state: string;
    /** The command it runs for: its next owner carries on these counts when it resumes it (server-side). */
    commandId?: string;
    threads: number;
    requested: number;
    received: number;
    /** History requests the phone did not answer in time (BACKFILL_REQUEST_TIMEOUT_S). */
    unanswered?: number;
    startedAt?: EpochMs;
    finishedAt?: EpochMs;
  };
}

export interface MemberDoc {
  role: MemberRole;
  /**
   * The member's uid again (it is also the document id): lets `GET /accounts` find a user's
   * accounts with one collection-group query on `members`.
   */
  uid: string;
}

export interface LastMessageSummary {
  id: string;
  text: string | null;
  fromMe: boolean;
  type: MessageType;
  status: MessageStatus;
}

export interface ThreadDoc {
  /** Canonical JID of the conversation. */
  jid: string;
  /** Other JIDs WhatsApp uses for the same chat (LID ↔ phone number). */
  aliases: string[];
  kind: ThreadKind;
  name?: string;
  /**
   * Server bookkeeping (not part of what clients see): where `name` came from and that name's time.
   * The thread keeps the best name any of its JIDs was given, so a later name is joined into the
   * thread itself and the thread's JIDs need no name documents (`NameDoc`).
   */
  nameFrom?: { source: NameSource; at: EpochMs };
  lastMessageAt: EpochMs;
  lastMessage: LastMessageSummary;
  unreadCount?: number;
  oldestMessageAt?: EpochMs;
  updatedAt: EpochMs;
}

/**
 * Where a message's media file stands (the file itself lives in Cloud Storage, never in the
 * document): `pending` while the socket host downloads it, `stored` at `path`, `expired` (WhatsApp no longer has it,
 * also after a re-upload request), `too_large` (over MEDIA_MAX_BYTES), `failed` (see `error`).
 * Ordered: a join of two sightings keeps the later of the two (`message-doc/content.ts`).
 */
export const MEDIA_STATES = ['pending', 'failed', 'too_large', 'expired', 'stored'] as const;
export type MediaState = (typeof MEDIA_STATES)[number];

/**
 * `failed` media whose fetch would fail the same way every time: the message's media fields are
 * unusable, or WhatsApp's file is not the one its `fileSha256` names. Asking again does not help.
 * (`no_source` is not among them: a later sighting of the message may still bring its source.)
 */
export const FINAL_MEDIA_ERRORS: readonly string[] = ['invalid_media', 'sha256_mismatch'];

export interface MediaInfo {
  mimetype: string | null;
  fileLength: number | null;
  fileName?: string;
  seconds?: number;
  width?: number;
  height?: number;
  /** Absent until the socket host has looked at the media (documents from before media storage). */
  state?: MediaState;
  /** The file's object in the media bucket (`accounts/{accountId}/media/…/original`), once stored. */
  path?: string;
  /** SHA-256 of the stored plaintext, hex: equals WhatsApp's `fileSha256` (checked before storing). */
  sha256?: string;
  storedAt?: EpochMs;
  /** Its `jpegThumbnail` as its own object (`…/thumbnail`), when the message had one. */
  thumbnailPath?: string;
  /** Why the last fetch did not store the file (`failed`, `expired`, `too_large`). */
  error?: { code: string; message: string };
}

/** Per-recipient receipt times; group messages have one entry per participant. */
export interface UserReceipt {
  deliveredAt?: EpochMs;
  readAt?: EpochMs;
  playedAt?: EpochMs;
}

export interface MessageDoc {
  /** The account this message belongs to (collection-group queries and rules). */
  accountId: string;
  /** WhatsApp message id (unique per sender, not globally). */
  id: string;
  threadId: string;
  fromMe: boolean;
  /** Sender JID; null when fromMe. */
  sender: string | null;
  /** The message's own time — never a receipt's. */
  timestamp: EpochMs;
  type: MessageType;
  text: string | null;
  media?: MediaInfo;
  quotedId?: string;
  status: MessageStatus;
  receipts?: Record<string, UserReceipt>;
  /** Current reaction per sender JID (our own under our own canonical JID). */
  reactions?: Record<string, string>;
  /**
   * Time of each sender's latest reaction event, removals included (a removed reaction has a time
   * here and no entry in `reactions`). Bookkeeping that makes reactions order-independent; apps
   * can ignore it.
   */
  reactionTimes?: Record<string, EpochMs>;
  edited?: { text: string | null; at: EpochMs };
  deleted?: true;
  /** A poll's options, in the creator's order (polls only). */
  pollOptions?: string[];
  /**
   * Each voter's current choice (option names; an empty list is a retracted vote), keyed like
   * reactions (ours under our own JID). The votes are decrypted on the host with the poll's secret,
   * which stays server-side (`messageContent`), never on this document.
   */
  pollVotes?: Record<string, string[]>;
  /** Time of each voter's latest vote (bookkeeping that makes votes order-independent, as `reactionTimes`). */
  pollVoteTimes?: Record<string, EpochMs>;
  /**
   * LID (or hosted) JIDs this document uses — sender, receipt or reaction keys, or the DM chat —
   * that have no known phone number yet. Server bookkeeping: when a mapping arrives, the writer
   * finds the documents to re-key with `array-contains`. Apps can ignore it.
   */
  unresolvedJids?: string[];
  source: MessageSource;
  updatedAt: EpochMs;
}

export interface CommandDoc {
  type: CommandType;
  state: CommandState;
  payload: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
  createdAt: EpochMs;
  createdBy: string;
  updatedAt: EpochMs;
  /** The host must not start the command after this (commands.ts `COMMAND_WINDOWS`). */
  expiresAt: EpochMs;
  /** Firestore's TTL policy deletes the document after this (firestore.indexes.json). */
  purgeAt: EpochMs;
  /** The account's `pairingGeneration` when the command was written. */
  pairingGeneration: number;
}

/** Collection names. Server-only collections are denied to every client by firestore.rules. */
export const COLLECTIONS = {
  accounts: 'accounts',
  members: 'members',
  threads: 'threads',
  messages: 'messages',
  commands: 'commands',
  /** Encrypted Baileys auth state, one document tree per account. Server only. */
  authState: 'authState',
  /** Account ownership leases with fencing epochs. Server only. */
  leases: 'leases',
  /** Socket-host heartbeats. Server only. */
  hosts: 'hosts',
  /**
   * Raw content of stored messages (`messageContent/{accountId}/contents/{contentId}`), read back
   * to answer Baileys' `getMessage` (retry receipts, event-response decryption). Server only: a
   * top-level collection so that no client rule on `accounts/**` can ever expose it, and its
   * documents live in `contents`, never `messages`, so no collection-group query, rule or index on
   * `messages` ever reaches them.
   */
  messageContent: 'messageContent',
  /** Learned LID ↔ phone-number pairs of an account (`LidPnPairDoc`), one document per pair. */
  lidPnPairs: 'lidPnPairs',
  /** Updates (reactions, edits, revokes, receipts) whose message is not stored yet. Server only. */
  pendingUpdates: 'pendingUpdates',
  /** Rate-limit state of an account (`accounts/{accountId}/limits/{send|backfill}`). Server only. */
  limits: 'limits',
  /** Names of contacts and groups as WhatsApp gave them, per JID and source (`NameDoc`). Server only. */
  names: 'names',
  /**
   * What the socket host needs to download a message's media (`mediaSources/{accountId}/messages/{sourceId}`,
   * `MediaSourceDoc`): the media key is key material, so it is never on the message document.
   * Server only, top-level for the same reason as `messageContent`.
   */
  mediaSources: 'mediaSources',
  /** Documents of an account only its admins read (`accounts/{accountId}/private/pairing`). */
  private: 'private',
  /** Backfill state per thread (`BackfillThreadDoc`): what later backfills skip. Server only. */
  backfillThreads: 'backfillThreads',
} as const;

export const paths = {
  account: (accountId: string) => `${COLLECTIONS.accounts}/${accountId}`,
  member: (accountId: string, uid: string) => `${paths.account(accountId)}/${COLLECTIONS.members}/${uid}`,
  threads: (accountId: string) => `${paths.account(accountId)}/${COLLECTIONS.threads}`,
  thread: (accountId: string, threadId: string) => `${paths.threads(accountId)}/${threadId}`,
  messages: (accountId: string, threadId: string) => `${paths.thread(accountId, threadId)}/${COLLECTIONS.messages}`,
  message: (accountId: string, threadId: string, messageDocId: string) =>
    `${paths.messages(accountId, threadId)}/${messageDocId}`,
  commands: (accountId: string) => `${paths.account(accountId)}/${COLLECTIONS.commands}`,
  command: (accountId: string, commandId: string) => `${paths.commands(accountId)}/${commandId}`,
  lidPnPairs: (accountId: string) => `${paths.account(accountId)}/${COLLECTIONS.lidPnPairs}`,
  /** `pairId` is `lidPnPairDocId(pair)`. */
  lidPnPair: (accountId: string, pairId: string) => `${paths.lidPnPairs(accountId)}/${pairId}`,
  /** `messageKey` is `safeDocId(<WhatsApp message id>)`. */
  pendingUpdates: (accountId: string, messageKey: string) =>
    `${paths.account(accountId)}/${COLLECTIONS.pendingUpdates}/${messageKey}`,
  limit: (accountId: string, name: 'send' | 'backfill') => `${paths.account(accountId)}/${COLLECTIONS.limits}/${name}`,
  names: (accountId: string) => `${paths.account(accountId)}/${COLLECTIONS.names}`,
  /** `nameKey` is `safeDocId(<jid>)`. */
  name: (accountId: string, nameKey: string) => `${paths.names(accountId)}/${nameKey}`,
  /** `threadId` is the thread's document id. */
  backfillThread: (accountId: string, threadId: string) =>
    `${paths.account(accountId)}/${COLLECTIONS.backfillThreads}/${threadId}`,
  /** The pairing QR and code (`PairingDoc`): under the rules admins of the account only; operators read it through the functions. */
  pairing: (accountId: string) => `${paths.account(accountId)}/${COLLECTIONS.private}/pairing`,
  lease: (accountId: string) => `${COLLECTIONS.leases}/${accountId}`,
  host: (hostId: string) => `${COLLECTIONS.hosts}/${hostId}`,
  /** The account's encrypted creds; its signal keys live in the `keys` sub-collection. */
  authState: (accountId: string) => `${COLLECTIONS.authState}/${accountId}`,
  messageContents: (accountId: string) => `${COLLECTIONS.messageContent}/${accountId}/contents`,
  messageContent: (accountId: string, contentId: string) => `${paths.messageContents(accountId)}/${contentId}`,
  mediaSources: (accountId: string) => `${COLLECTIONS.mediaSources}/${accountId}/messages`,
  /** `sourceId` is `mediaSourceId(fromMe, <WhatsApp message id>)`. */
  mediaSource: (accountId: string, sourceId: string) => `${paths.mediaSources(accountId)}/${sourceId}`,
} as const;

/**
 * `mediaSources/{accountId}/messages/{sourceId}` (server only): how to download one message's
 * media — its key and the media content entry (`url`, `directPath`, `mediaKey`, `fileSha256`, …,
 * as `proto.Message` bytes) — and the state of fetching it.
 */
export interface MediaSourceDoc {
  key: { remoteJid: string; fromMe: boolean; id: string; participant?: string };
  /** `proto.Message.encode({ <type>Message: … })`: only the media entry. */
  message: Uint8Array;
  /** A fetch is owed (live media, a request): a host that takes the account over does it. */
  wanted: boolean;
  /** The message document's ids, once a fetch started (where `wanted` fetches are resumed from). */
  owner?: { threadId: string; messageDocId: string };
  /** Re-upload requests made to the phone for this media (one per expired link, never a storm). */
  reuploadRequests?: number;
  /** An upload session a crash left open (a bearer credential for that upload: server only). */
  session?: { uri: string; path: string };
  updatedAt: EpochMs;
}

/**
 * `messageContent/{accountId}/contents/{contentId}` (server only). The sync pipeline writes one per
 * stored message; the socket host reads it for Baileys' `getMessage`. `contentId` is
 * `messageDocId(sender, fromMe, id)` of the key's own JIDs (see socket-host `messageContentId`),
 * so it can be computed from a bare `WAMessageKey` without resolving threads.
 */
export interface MessageContentDoc {
  /** The WhatsApp key fields (alt JIDs included when known). */
  key: { remoteJid: string; fromMe: boolean; id: string; participant?: string };
  /** `proto.Message.encode(message)`: the content exactly as Baileys handed it over. */
  message: Uint8Array;
  storedAt: EpochMs;
}

/** One learned equivalence between a LID user JID and a phone-number user JID. */
export interface LidPnPair {
  lid: string;
  pn: string;
}

/**
 * `accounts/{accountId}/lidPnPairs/{lidPnPairDocId(pair)}`: one learned LID ↔ PN pair. The writer
 * rebuilds its alias resolver from these at start; thread docs already carry the result
 * (`aliases`), so apps rarely need them.
 */
export interface LidPnPairDoc extends LidPnPair {
  /** The earliest receive time of an event that revealed the pair (so replays do not move it). */
  learnedAt: EpochMs;
}

/** What an update knows about a message: the fields it changes, none of them identity or content. */
export type MessageDocFragment = Partial<
  Pick<
    MessageDoc,
    'status' | 'receipts' | 'reactions' | 'reactionTimes' | 'edited' | 'deleted' | 'pollVotes' | 'pollVoteTimes'
  >
>;

/** The message a pending update is for: chat, author and id, with the canonical JIDs known when written. */
export interface PendingUpdateTarget {
  chatJid: string;
  threadKind: ThreadKind;
  /** WhatsApp message id. */
  id: string;
  fromMe: boolean;
  /** The author's JID; null when fromMe. */
  sender: string | null;
}

/**
 * `accounts/{accountId}/pendingUpdates/{safeDocId(messageId)}` (server only): updates whose target
 * message is not stored yet, one entry per target (WhatsApp ids are unique per sender, so a few
 * targets may share an id). When the message arrives, the write planner joins the entry into it
 * and drops it — the same document as if the update had come second.
 */
export interface PendingUpdatesDoc {
  accountId: string;
  messageId: string;
  entries: Array<{ target: PendingUpdateTarget; fragment: MessageDocFragment }>;
  /** As `MessageDoc.unresolvedJids`: found and re-keyed when a mapping arrives. */
  unresolvedJids?: string[];
  /**
   * When Firestore may delete the document (a TTL policy on `pendingUpdates.expiresAt`): an update
   * whose message never arrives is not kept for ever. Set from the last write, so an update that
   * keeps being joined lives on.
   */
  expiresAt?: EpochMs;
  updatedAt: EpochMs;
}

/**
 * Where a name comes from. A one-to-one chat is named by the best source known: the contact's name
 * as the account saved it, else the name the person gave themselves (push name), else their
 * business's verified name; a group by its subject.
 */
export const NAME_SOURCES = ['contact', 'push', 'verified', 'subject'] as const;
export type NameSource = (typeof NAME_SOURCES)[number];

/**
 * `accounts/{accountId}/names/{safeDocId(jid)}` (server only): every name WhatsApp gave for one JID
 * that has no thread yet (a contact never written to, a group without messages), per source the
 * latest by its time. Once a thread holds the JID, its names are joined into the thread's `name`
 * and `nameFrom` and the document is deleted; a JID with a thread gets no name document at all. A
 * thread's name is the best of these names, so it never depends on the order names arrived in, and
 * never goes back to a worse source.
 */
export interface NameDoc {
  jid: string;
  names: Partial<Record<NameSource, { name: string; at: EpochMs }>>;
  updatedAt: EpochMs;
}

/**
 * Every callable function: its input schema (the shared contract, `@wasync/shared/client`) and
 * the use case it runs. The HTTPS API runs the same use cases, so both behave the same.
 */
import {
  addMemberInput,
  type CommandAccepted,
  createAccountInput,
  getMediaUrlInput,
  listAccountsInput,
  listMessagesInput,
  listThreadsInput,
  logoutAccountInput,
  removeMemberInput,
  requestBackfillInput,
  sendMessageInput,
  startPairingInput,
} from '@wasync/shared/client';
import { createAccount as createAccountUseCase } from '../accounts/create-account.js';
import { addMember as addMemberUseCase, removeMember as removeMemberUseCase } from '../accounts/members.js';
import {
  requestBackfill as backfillUseCase,
  logoutAccount as logoutUseCase,
  startPairing as pairingUseCase,
} from '../commands/account-commands.js';
import { sendMessage as sendUseCase } from '../commands/send.js';
import { auth, firestore } from '../firebase.js';
import { mediaBucket } from '../media/bucket.js';
import { mediaUrl } from '../media/media-url.js';
import { listAccounts as listAccountsQuery } from '../queries/accounts.js';
import { listMessagesFor } from '../queries/messages.js';
import { listThreadsFor } from '../queries/threads.js';
import { sendIdSecret } from '../secrets.js';
import { authedCallable } from './authed-callable.js';

export const listAccounts = authedCallable('listAccounts', listAccountsInput, (input, caller) =>
  listAccountsQuery(firestore(), caller, input),
);

export const listThreads = authedCallable('listThreads', listThreadsInput, (input, caller) =>
  listThreadsFor(firestore(), caller, input),
);

export const listMessages = authedCallable('listMessages', listMessagesInput, (input, caller) =>
  listMessagesFor(firestore(), caller, input),
);

export const sendMessage = authedCallable(
  'sendMessage',
  sendMessageInput,
  async (input, caller) => {
    const { commandId, messageId } = await sendUseCase(firestore(), caller, input);
    return { commandId, messageId };
  },
  { secrets: [sendIdSecret] },
);

export const requestBackfill = authedCallable('requestBackfill', requestBackfillInput, async (input, caller) =>
  accepted(await backfillUseCase(firestore(), caller, input)),
);

export const createAccount = authedCallable('createAccount', createAccountInput, (input, caller) =>
  createAccountUseCase(firestore(), caller, input),
);

export const startPairing = authedCallable('startPairing', startPairingInput, async (input, caller) =>
  accepted(await pairingUseCase(firestore(), caller, input)),
);

export const logoutAccount = authedCallable('logoutAccount', logoutAccountInput, async (input, caller) =>
  accepted(await logoutUseCase(firestore(), caller, input)),
);

/** What a callable answers for a written command (a replay answers the same). */
function accepted({ commandId }: { commandId: string }): CommandAccepted {
  return { commandId };
}

export const addMember = authedCallable('addMember', addMemberInput, (input, caller) =>
  addMemberUseCase(firestore(), auth(), caller, input),
);

export const removeMember = authedCallable('removeMember', removeMemberInput, (input, caller) =>
  removeMemberUseCase(firestore(), caller, input),
);

export const getMediaUrl = authedCallable('getMediaUrl', getMediaUrlInput, (input, caller) =>
  mediaUrl(firestore(), mediaBucket, caller, input),
);

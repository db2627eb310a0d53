/**
 * Cloud Functions entry point: wiring only. Each export is one deployed function.
 */
import * as accounts from './accounts/create-account.js';
import { authedCallable } from './callable.js';

export const createAccount = authedCallable('createAccount', accounts.createAccountInput, accounts.createAccount);

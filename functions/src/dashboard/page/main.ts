/**
 * The dashboard page's entry: reads the configuration the server inlined, signs in, then asks the
 * API for the accounts every `pollMs` (paused while the tab is hidden) and keeps one card per
 * account up to date. Operators also get a form to add an account.
 */
import type { User } from 'firebase/auth';
// The runbook's text, bundled at build time: the cards say what its state table says (advice.ts).
import runbook from '../../../../docs/runbook.md';
import type { DashboardAccount, DashboardPageConfig } from '../contract.ts';
import { AccountCard, type CardContext } from './account-card.ts';
import { parseStateTable, stateTableSection } from './advice.ts';
import { fetchAccounts, fetchMembers } from './api.ts';
import { byId, setText } from './dom.ts';
import { callableFailure, type Session, signInError, startSession } from './session.ts';

const config = JSON.parse(byId('dashboard-config').textContent ?? '{}') as DashboardPageConfig;
const notice = byId('notice');

function main(session: Session): void {
  const view = new AccountsView(session);
  const signInSection = byId('sign-in');
  const dashboard = byId('dashboard');
  const who = byId('who');
  const sessionBar = byId('session');

  const form = byId<HTMLFormElement>('sign-in-form');
  const error = byId('sign-in-error');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const email = byId<HTMLInputElement>('email').value.trim();
    const password = byId<HTMLInputElement>('password').value;
    const button = form.querySelector('button')!;
    button.disabled = true;
    setText(error, '');
    session
      .signIn(email, password)
      .catch((err) => setText(error, signInError(err)))
      .finally(() => {
        button.disabled = false;
      });
  });
  byId('sign-out').addEventListener('click', () => void session.signOut());
  view.createForm.addEventListener('submit', (event) => {
    event.preventDefault();
    view.createAccount();
  });

  session.onUser((user) => {
    signInSection.hidden = user !== null;
    dashboard.hidden = user === null;
    sessionBar.hidden = user === null;
    setText(who, user ? `Signed in as ${user.email ?? user.uid}` : '');
    view.start(user);
    if (user) byId('accounts-title').focus();
    else byId<HTMLInputElement>('email').focus();
  });
}

class AccountsView {
  readonly #list = byId('accounts');
  readonly #empty = byId('empty');
  readonly #count = byId('account-count');
  readonly #freshness = byId('freshness');
  readonly #create = byId<HTMLDetailsElement>('create-account');
  readonly createForm = byId<HTMLFormElement>('create-account-form');
  readonly #cards = new Map<string, AccountCard>();
  readonly #advice = parseStateTable(stateTableSection(runbook));
  #user: User | null = null;
  #generation = 0;
  #skew = 0;
  readonly #context: CardContext;

  constructor(readonly session: Session) {
    this.#context = {
      session,
      advice: this.#advice,
      now: () => Date.now() + this.#skew,
      members: (accountId) => fetchMembers(this.#user!, accountId),
    };
  }

  /** Starts polling for `user` (stops any earlier loop); null clears the page. */
  start(user: User | null): void {
    this.#user = user;
    const generation = ++this.#generation;
    if (!user) {
      this.#cards.clear();
      this.#list.replaceChildren();
      return;
    }
    void this.#poll(user, generation);
  }

  async #poll(user: User, generation: number): Promise<void> {
    while (generation === this.#generation) {
      if (document.hidden) {
        await new Promise((resolve) => document.addEventListener('visibilitychange', resolve, { once: true }));
        continue;
      }
      try {
        const page = await fetchAccounts(user);
        if (generation !== this.#generation) return;
        this.#skew = page.serverTime - Date.now();
        this.#render(page.accounts, page.operator);
        setText(this.#freshness, `Live: updated ${new Date().toLocaleTimeString()}, every ${config.pollMs / 1000} s.`);
        if (notice.dataset.kind === 'poll') setText(notice, '');
      } catch (err) {
        notice.dataset.kind = 'poll';
        setText(notice, `Cannot load the accounts (${(err as Error).message}); trying again.`);
      }
      await new Promise((resolve) => setTimeout(resolve, config.pollMs));
    }
  }

  #render(accounts: DashboardAccount[], operator: boolean): void {
    this.#create.hidden = !operator;
    setText(this.#count, `(${accounts.length})`);
    this.#empty.hidden = accounts.length > 0;
    const seen = new Set<string>();
    accounts.forEach((account, i) => {
      seen.add(account.accountId);
      let card = this.#cards.get(account.accountId);
      // A changed role changes which actions the card offers: build it anew.
      if (card && card.role !== account.role) {
        card.element.remove();
        card = undefined;
      }
      if (card) card.update(account);
      else {
        card = new AccountCard(account, this.#context);
        this.#cards.set(account.accountId, card);
      }
      if (this.#list.children[i] !== card.element)
        this.#list.insertBefore(card.element, this.#list.children[i] ?? null);
    });
    for (const [accountId, card] of this.#cards) {
      if (seen.has(accountId)) continue;
      card.element.remove();
      this.#cards.delete(accountId);
    }
  }

  createAccount(): void {
    const idInput = byId<HTMLInputElement>('new-account-id');
    const nameInput = byId<HTMLInputElement>('new-account-name');
    const status = byId('create-status');
    const button = this.createForm.querySelector('button')!;
    const accountId = idInput.value.trim();
    button.disabled = true;
    setText(status, 'Creating…');
    this.session.callables
      .createAccount({ displayName: nameInput.value.trim(), ...(accountId ? { accountId } : {}) })
      .then((created) => {
        setText(status, `Created ${created.accountId}: a host connects it and shows its QR code here.`);
        idInput.value = '';
        nameInput.value = '';
      })
      .catch((err) => setText(status, callableFailure(err)))
      .finally(() => {
        button.disabled = false;
      });
  }
}

// Last: the classes above must exist before the page starts.
if (!config.apiKey || !config.projectId) {
  setText(
    notice,
    'The dashboard is not configured: this deployment has no DASHBOARD_API_KEY (the Web API key of the Firebase project).',
  );
} else {
  main(startSession({ ...config, apiKey: config.apiKey }));
}

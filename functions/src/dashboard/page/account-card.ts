/**
 * One account on the page: its state in colour (and in words), the QR and pairing code for
 * admins while it pairs, who it is, which host holds it, history-sync and backfill progress,
 * counts, the last error with what the runbook says to do, and the actions the caller's role
 * allows. Built once, then updated in place every poll, so focus, open panels and half-typed
 * inputs survive the updates.
 */
import type { ConnectionState } from '@wasync/shared';
import QRCode from 'qrcode';
import type { DashboardAccount, DashboardRole } from '../contract.ts';
import { adviceFor, type StateAdvice } from './advice.ts';
import { h, setText, withCode } from './dom.ts';
import { ago, number, percent, when } from './format.ts';
import { MembersPanel } from './members.ts';
import { callableFailure, type Session } from './session.ts';

export interface CardContext {
  session: Session;
  advice: readonly StateAdvice[];
  /** The server's clock (the page's, corrected by the last answer's serverTime). */
  now(): number;
  /** Loads the account's members (admins). */
  members: ConstructorParameters<typeof MembersPanel>[2];
}

type Tone = 'ok' | 'wait' | 'busy' | 'idle' | 'bad';

const STATES: Record<ConnectionState, { label: string; tone: Tone }> = {
  open: { label: 'Connected', tone: 'ok' },
  qr: { label: 'Waiting for a QR scan', tone: 'wait' },
  connecting: { label: 'Connecting', tone: 'busy' },
  idle: { label: 'Idle, no socket', tone: 'idle' },
  closed: { label: 'Closed (parked)', tone: 'bad' },
  logged_out: { label: 'Logged out (parked)', tone: 'bad' },
  error: { label: 'Error (parked)', tone: 'bad' },
};

const RANK: Record<DashboardRole, number> = { viewer: 1, agent: 2, admin: 3, operator: 4 };

export class AccountCard {
  readonly element: HTMLLIElement;
  #account: DashboardAccount;
  readonly #ctx: CardContext;
  readonly #id: string;
  readonly #badge = h('span', { class: 'badge' });
  readonly #role = h('span', { class: 'role' });
  readonly #pairing = h('section', { class: 'pairing', hidden: true });
  readonly #qr = h('img', { class: 'qr', width: 264, height: 264, alt: '' });
  readonly #qrNote = h('p', { class: 'qr-note' });
  readonly #code = h('p', { class: 'pairing-code', hidden: true });
  readonly #waiting = h('p', { class: 'muted', hidden: true });
  readonly #facts = h('dl', { class: 'facts' });
  readonly #history = h('p');
  readonly #historyBar = h('progress', { max: 100 });
  readonly #historyPercent = h('span', { class: 'percent' });
  readonly #backfill = h('p');
  readonly #backfillBar = h('progress', { hidden: true });
  readonly #problem = h('section', { class: 'problem', hidden: true });
  readonly #status = h('p', { class: 'status account-status', role: 'status' });
  readonly #alert = h('p', { class: 'error account-error', role: 'alert' });
  readonly #actions = h('div', { class: 'actions' });
  #shownQr: string | undefined;
  #membersPanel: MembersPanel | undefined;

  constructor(account: DashboardAccount, ctx: CardContext) {
    this.#account = account;
    this.#ctx = ctx;
    this.#id = `account-${account.accountId}`;
    const title = `${this.#id}-title`;
    const historyBarId = `${this.#id}-history`;
    this.#historyBar.id = historyBarId;
    this.element = h(
      'li',
      { class: 'account', 'data-account': account.accountId },
      h(
        'article',
        { 'aria-labelledby': title },
        h(
          'header',
          {},
          h('h3', { id: title }, account.displayName, ' ', h('span', { class: 'account-id' }, account.accountId)),
          this.#badge,
          this.#role,
        ),
        this.#pairing,
        this.#waiting,
        this.#facts,
        h(
          'section',
          { class: 'progress', 'aria-label': 'History sync' },
          h('h4', {}, 'History sync'),
          this.#history,
          h(
            'div',
            { class: 'bar' },
            h('label', { for: historyBarId }, 'Progress'),
            this.#historyBar,
            this.#historyPercent,
          ),
        ),
        h(
          'section',
          { class: 'progress', 'aria-label': 'Backfill' },
          h('h4', {}, 'Backfill'),
          this.#backfill,
          this.#backfillBar,
        ),
        this.#problem,
        this.#actions,
        this.#status,
        this.#alert,
      ),
    );
    this.#pairing.append(h('h4', {}, 'Link this account'), this.#qr, this.#qrNote, this.#code);
    this.#buildActions();
    this.update(account);
  }

  get role(): DashboardRole {
    return this.#account.role;
  }

  update(account: DashboardAccount): void {
    this.#account = account;
    const state = STATES[account.connection.state] ?? { label: account.connection.state, tone: 'idle' };
    this.element.dataset.state = account.connection.state;
    this.element.dataset.tone = state.tone;
    setText(this.#badge, `${state.label} · ${account.connection.state}`);
    setText(this.#role, `you: ${account.role}`);
    this.#renderPairing();
    this.#renderFacts();
    this.#renderHistory();
    this.#renderBackfill();
    this.#renderProblem();
    this.#actions.hidden = RANK[account.role] < RANK.agent;
  }

  #may(role: DashboardRole): boolean {
    return RANK[this.#account.role] >= RANK[role];
  }

  #renderPairing(): void {
    const { pairing, connection } = this.#account;
    const now = this.#ctx.now();
    const qr = pairing?.qr && (pairing.qrExpiresAt === undefined || pairing.qrExpiresAt > now) ? pairing.qr : undefined;
    this.#pairing.hidden = !qr && !pairing?.pairingCode;
    this.#qr.hidden = !qr;
    if (qr && qr !== this.#shownQr) {
      this.#shownQr = qr;
      this.#qr.alt = `QR code to link ${this.#account.displayName}: in WhatsApp on the phone, Settings → Linked devices → Link a device, and scan it`;
      void QRCode.toDataURL(qr, { errorCorrectionLevel: 'M', margin: 4, width: 264 }).then((url) => {
        if (this.#shownQr === qr) this.#qr.src = url;
      });
    }
    setText(
      this.#qrNote,
      qr
        ? `Scan in WhatsApp → Settings → Linked devices → Link a device. ${
            pairing?.qrExpiresAt ? `Expires ${ago(pairing.qrExpiresAt, now)}; a new one replaces it.` : ''
          }`
        : '',
    );
    this.#qrNote.hidden = !qr;
    this.#code.hidden = !pairing?.pairingCode;
    if (pairing?.pairingCode) {
      this.#code.replaceChildren(
        'Pairing code: ',
        h('strong', {}, pairing.pairingCode),
        ' (WhatsApp → Linked devices → Link with phone number)',
      );
    }
    // Members below admin never get the secrets: say why there is nothing to scan.
    this.#waiting.hidden = !(connection.state === 'qr' && !pairing && !this.#may('admin'));
    setText(this.#waiting, 'Waiting for an admin to link a phone (only admins see the QR code).');
  }

  #renderFacts(): void {
    const a = this.#account;
    const now = this.#ctx.now();
    const facts: [string, string][] = [
      ['Phone', a.phone ?? '—'],
      ['WhatsApp id (me)', a.me ? [a.me.id, a.me.name].filter(Boolean).join(' · ') : 'not paired yet'],
      // Admins and operators only (the server leaves `host` out for the others).
      ...(a.host === undefined ? [] : ([['Host', hostText(a.host, now)]] as [string, string][])),
      ['Connected since', a.connection.state === 'open' ? when(a.lastConnectedAt, now) : '—'],
      ['State since', when(a.connection.updatedAt, now)],
      ['Threads', number(a.counts.threads)],
      ['Messages', `${number(a.counts.messages)} (counted ${ago(a.counts.countedAt, now)})`],
    ];
    this.#facts.replaceChildren(...facts.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
  }

  #renderHistory(): void {
    const { historySync, lastHistorySyncAt } = this.#account;
    const now = this.#ctx.now();
    const last = `Last: ${when(lastHistorySyncAt, now)}`;
    if (!historySync) {
      setText(this.#history, last);
      this.#historyBar.value = 0;
      setText(this.#historyPercent, 'none yet');
      return;
    }
    const p = percent(historySync.progress);
    setText(
      this.#history,
      `${last}. ${historySync.syncType}, ${number(historySync.chunks)} chunks, ${number(historySync.messages)} messages${
        historySync.isLatest ? ', latest chunk received' : ''
      }.`,
    );
    if (p === null) {
      this.#historyBar.removeAttribute('value'); // indeterminate
      setText(this.#historyPercent, 'not reported');
    } else {
      this.#historyBar.value = p;
      setText(this.#historyPercent, `${p}%`);
    }
  }

  #renderBackfill(): void {
    const { backfill, lastBackfillAt } = this.#account;
    const now = this.#ctx.now();
    const last = `Last: ${when(lastBackfillAt, now)}`;
    if (!backfill) {
      setText(this.#backfill, last);
      this.#backfillBar.hidden = true;
      return;
    }
    const times = [
      backfill.startedAt ? `started ${ago(backfill.startedAt, now)}` : '',
      backfill.finishedAt ? `finished ${ago(backfill.finishedAt, now)}` : '',
    ].filter(Boolean);
    setText(
      this.#backfill,
      `${last}. ${backfill.state}: ${number(backfill.received)} of ${number(backfill.requested)} messages received, ${number(
        backfill.threads,
      )} threads${times.length ? `, ${times.join(', ')}` : ''}.`,
    );
    this.#backfillBar.hidden = backfill.requested <= 0;
    this.#backfillBar.max = Math.max(1, backfill.requested);
    this.#backfillBar.value = Math.min(backfill.received, backfill.requested);
    this.#backfillBar.setAttribute('aria-label', 'Backfill progress');
  }

  #renderProblem(): void {
    const { state, lastError } = this.#account.connection;
    const advice = adviceFor(this.#ctx.advice, state, lastError);
    const show = state !== 'open' || lastError !== undefined;
    this.#problem.hidden = !show;
    if (!show) return;
    this.#problem.replaceChildren(
      h('h4', {}, lastError ? 'Last error' : 'What this means'),
      ...(lastError ? [h('p', { class: 'last-error' }, h('code', {}, lastError))] : []),
      ...(advice
        ? [
            h('p', {}, h('strong', {}, 'Means: '), ...withCode(advice.meaning)),
            h('p', {}, h('strong', {}, 'What to do: '), ...withCode(advice.action)),
          ]
        : []),
    );
  }

  #buildActions(): void {
    const a = this.#account;
    const buttons: HTMLElement[] = [];
    if (this.#may('agent')) {
      buttons.push(
        this.#button(
          'Request a backfill',
          () => this.#ctx.session.callables.requestBackfill({ accountId: a.accountId }),
          'Backfill requested',
        ),
      );
    }
    if (this.#may('admin')) {
      buttons.push(
        this.#button(
          'Pair by QR code',
          () => this.#ctx.session.callables.startPairing({ accountId: a.accountId, method: 'qr' }),
          'Pairing requested',
        ),
        this.#button(
          'Log out',
          () => this.#ctx.session.callables.logoutAccount({ accountId: a.accountId }),
          'Log-out requested',
          `Log ${a.displayName} out of WhatsApp? The phone's link is removed; pairing again needs a new scan.`,
        ),
      );
    }
    this.#actions.append(h('div', { class: 'buttons' }, ...buttons));
    if (this.#may('admin')) {
      this.#actions.append(this.#phonePairingForm());
      this.#membersPanel = new MembersPanel(a.accountId, this.#ctx.session, this.#ctx.members);
      this.#actions.append(this.#membersPanel.element);
    }
  }

  #phonePairingForm(): HTMLDetailsElement {
    const id = `${this.#id}-phone`;
    const input = h('input', {
      id,
      type: 'tel',
      inputmode: 'tel',
      autocomplete: 'off',
      placeholder: '49 151 2345678',
      required: true,
    });
    const submit = h('button', { type: 'submit' }, 'Get a pairing code');
    const form = h(
      'form',
      { class: 'inline' },
      h('label', { for: id }, 'Phone number, country code first'),
      h('div', { class: 'row' }, input, submit),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#run(
        submit,
        () =>
          this.#ctx.session.callables.startPairing({
            accountId: this.#account.accountId,
            method: 'code',
            // The callable takes digits only; people type +, spaces and dashes.
            phoneNumber: input.value.replace(/[\s+()\-.]/g, ''),
          }),
        'Pairing code requested: it appears here',
      ).then((ok) => {
        if (ok) input.value = '';
      });
    });
    return h('details', { class: 'phone-pairing' }, h('summary', {}, 'Pair by phone number'), form);
  }

  #button(label: string, call: () => Promise<unknown>, done: string, confirmText?: string): HTMLButtonElement {
    const button = h('button', { type: 'button' }, label);
    button.addEventListener('click', () => {
      if (confirmText && !window.confirm(confirmText)) return;
      void this.#run(button, call, done);
    });
    return button;
  }

  /** Runs a callable with `button` disabled; says what happened in the card's status or alert. */
  async #run(button: HTMLButtonElement, call: () => Promise<unknown>, done: string): Promise<boolean> {
    button.disabled = true;
    setText(this.#alert, '');
    setText(this.#status, `${button.textContent ?? ''}…`);
    try {
      const result = (await call()) as { commandId?: string } | undefined;
      setText(this.#status, result?.commandId ? `${done} (command ${result.commandId}).` : `${done}.`);
      return true;
    } catch (err) {
      setText(this.#status, '');
      setText(this.#alert, callableFailure(err));
      return false;
    } finally {
      button.disabled = false;
    }
  }
}

function hostText(host: NonNullable<DashboardAccount['host']> | null, now: number): string {
  if (!host) return 'never held by a host';
  if (!host.holder) return `none (released ${ago(host.since, now)})`;
  const lease =
    host.expiresAt > now
      ? `lease runs ${ago(host.expiresAt, now)}`
      : `lease ran out ${ago(host.expiresAt, now)}: host gone?`;
  return `${host.holder} since ${when(host.since, now)}; ${lease}`;
}

/**
 * An account's members, for its admins: a disclosure that loads the list when opened, a remove
 * button per member, and a form to add someone by email or uid (or change their role). Runs the
 * `addMember` and `removeMember` callables; the server keeps the last admin.
 */
import type { MemberRole } from '@wasync/shared';
import type { DashboardMembers } from '../contract.ts';
import { h, setText } from './dom.ts';
import { callableFailure, type Session } from './session.ts';

/**
 * The member roles, weakest first (MEMBER_ROLES of the data contract: the page bundle imports only
 * `@wasync/shared/client` at run time, which is browser-safe; the main entry is not).
 */
const ROLES = ['viewer', 'agent', 'admin'] as const satisfies readonly MemberRole[];

export type LoadMembers = (accountId: string) => Promise<DashboardMembers>;

export class MembersPanel {
  readonly element: HTMLDetailsElement;
  readonly #list = h('ul', { class: 'members' });
  readonly #status = h('p', { class: 'status', role: 'status' });
  readonly #alert = h('p', { class: 'error', role: 'alert' });

  constructor(
    private readonly accountId: string,
    private readonly session: Session,
    private readonly load: LoadMembers,
  ) {
    this.element = h(
      'details',
      { class: 'members-panel' },
      h('summary', {}, 'Members'),
      this.#list,
      this.#addForm(),
      this.#status,
      this.#alert,
    );
    this.element.addEventListener('toggle', () => {
      if (this.element.open) void this.refresh();
    });
  }

  async refresh(): Promise<void> {
    try {
      const { members } = await this.load(this.accountId);
      this.#list.replaceChildren(
        ...members.map((m) =>
          h(
            'li',
            {},
            h('span', {}, m.email ?? m.uid, ' ', h('span', { class: 'role' }, m.role)),
            this.#removeButton(m.uid, m.email ?? m.uid),
          ),
        ),
      );
      if (members.length === 0) this.#list.replaceChildren(h('li', {}, 'No members.'));
    } catch (err) {
      setText(this.#alert, `Cannot load the members: ${(err as Error).message}`);
    }
  }

  #removeButton(uid: string, who: string): HTMLButtonElement {
    const button = h('button', { type: 'button', 'aria-label': `Remove ${who}` }, 'Remove');
    button.addEventListener('click', () => {
      if (!window.confirm(`Remove ${who} from ${this.accountId}?`)) return;
      void this.#run(
        button,
        () => this.session.callables.removeMember({ accountId: this.accountId, uid }),
        `Removed ${who}`,
      );
    });
    return button;
  }

  #addForm(): HTMLFormElement {
    const whoId = `members-${this.accountId}-who`;
    const roleId = `members-${this.accountId}-role`;
    const who = h('input', { id: whoId, type: 'text', autocomplete: 'off', required: true });
    const role = h('select', { id: roleId }, ...ROLES.map((r) => h('option', { value: r }, r)));
    const submit = h('button', { type: 'submit' }, 'Add or change');
    const form = h(
      'form',
      { class: 'inline' },
      h('label', { for: whoId }, 'Email or user id'),
      who,
      h('label', { for: roleId }, 'Role'),
      role,
      submit,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const value = who.value.trim();
      const input = value.includes('@') ? { email: value } : { uid: value };
      void this.#run(
        submit,
        () => this.session.callables.addMember({ accountId: this.accountId, ...input, role: role.value as MemberRole }),
        `${value} is ${role.value}`,
      ).then((ok) => {
        if (ok) who.value = '';
      });
    });
    return form;
  }

  async #run(button: HTMLButtonElement, call: () => Promise<unknown>, done: string): Promise<boolean> {
    button.disabled = true;
    setText(this.#alert, '');
    try {
      await call();
      setText(this.#status, `${done}.`);
      await this.refresh();
      return true;
    } catch (err) {
      setText(this.#alert, callableFailure(err));
      return false;
    } finally {
      button.disabled = false;
    }
  }
}

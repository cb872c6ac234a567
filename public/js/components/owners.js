// Owners (issue 24): customers, companies and CRM entries name a member of the workspace as
// their owner (owner_id, a user id). The members are components/people.js's, read once per
// workspace while the console stays open.

import { h, uid } from '../dom.js';
import { session } from '../session.js';
import { workspacePeople } from './people.js';

/** The workspace's members, by name: [{id, name, email, role}] (components/people.js reads them). */
export async function members() {
  const { users } = await workspacePeople();
  return [...users.values()].sort((a, b) => String(a.name || a.email).localeCompare(String(b.name || b.email)));
}

/** "Ivana Marić" for a member's id (the signed-in member is "You"); "Former member" for an id no longer here. */
export function ownerName(id, list) {
  if (id === null || id === undefined) return null;
  if (Number(id) === Number(session.me?.user?.id)) return 'You';
  const member = list.find((m) => Number(m.id) === Number(id));
  return member ? member.name || member.email : `Former member #${id}`;
}

/**
 * The owner picker of a form: a select named `owner_id` of "No owner" and the members
 * (filled when they arrive), with `value` chosen. Its value is '' or a user id.
 */
export function ownerField({ value = null, hint = 'A member of the workspace who looks after this record.' } = {}) {
  const id = uid('f-owner_id');
  const select = h('select', { id, name: 'owner_id', 'aria-describedby': `${id}-hint ${id}-error`, dataset: { loaded: 'false' } },
    h('option', { value: '', text: 'No owner' }));
  if (value !== null && value !== undefined) {
    select.append(h('option', { value: String(value), text: 'Loading…' }));
    select.value = String(value);
  }
  members().then((list) => {
    const current = select.value;
    select.replaceChildren(h('option', { value: '', text: 'No owner' }),
      ...list.map((m) => h('option', { value: String(m.id), text: Number(m.id) === Number(session.me?.user?.id) ? `${m.name} (you)` : m.name })));
    if (current && !list.some((m) => String(m.id) === current)) {
      select.append(h('option', { value: current, text: `Former member #${current}` }));
    }
    select.value = current;
    select.dataset.loaded = 'true';
  }).catch(() => { select.dataset.loaded = 'error'; });
  return h('div', { class: 'field', dataset: { field: 'owner_id' } },
    h('label', { for: id }, 'Owner', h('span', { class: 'optional', text: ' (optional)' })),
    select,
    h('p', { class: 'field-hint', id: `${id}-hint`, text: hint }),
    h('p', { class: 'field-error', id: `${id}-error`, hidden: true }));
}

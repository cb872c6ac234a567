// #/settings/audit-log: who did what, from where (admins and owners). Filters by person,
// action and dates; newest first, a page at a time. Entries are read-only everywhere.

import { api } from '../api.js';
import { h, icon, replace, time } from '../dom.js';
import { count } from '../components/format.js';
import { field, showErrors, values } from '../components/form.js';
import { card, emptyState, errorState, loadingState, pageHeader, tableWrap } from '../components/page.js';
import { readOnlyNote } from '../components/permit.js';
import { session } from '../session.js';

const ROUTE = 'GET /v1/audit-log';

/** The actions the server records, for the filter (any other can be typed in the URL). */
const ACTIONS = [
  'api_key.created', 'api_key.revoked', 'member.role_changed', 'member.removed', 'customer.erased', 'customer.exported',
  'segment.deleted', 'segment.exported', 'campaign.deleted', 'campaign.sent', 'campaign.scheduled', 'campaign.cancelled',
  'campaign.audience_exported', 'automation.activated', 'automation.deactivated', 'automation.deleted', 'entity.deleted',
  'pipeline.deleted', 'stage.deleted', 'field.deleted', 'settings.changed', 'workspace.deleted',
];

function actorCell(actor) {
  if (!actor) return h('span', { class: 'muted', text: 'System' });
  if (actor.type === 'api_key') return h('span', {}, icon('key', 'icon icon-small'), ' ', h('span', { text: actor.name || `Key #${actor.id}` }));
  return h('span', {},
    h('span', { class: 'audit-actor-name', text: actor.name || actor.email || `User #${actor.id}` }),
    actor.email && actor.name ? h('span', { class: 'audit-actor-email', text: actor.email }) : null);
}

function detailsText(details) {
  if (!details || typeof details !== 'object') return '';
  return Object.entries(details).map(([key, value]) => `${key}: ${typeof value === 'object' ? JSON.stringify(value) : value}`).join(' · ');
}

export function render() {
  const header = pageHeader({
    title: 'Audit log',
    description: 'Security-relevant actions in this workspace: keys, roles, erasures, exports, deletions, sends, activations and settings. Entries cannot be changed or deleted; they are kept for the retention set on the Workspace page.',
  });
  if (!session.can(ROUTE)) {
    return h('div', { class: 'page page-audit-log' }, header, readOnlyNote(ROUTE, 'read the audit log'));
  }

  const state = { page: 1, actor: '', action: '', from: '', to: '' };
  const body = h('div', {}, loadingState('Loading the audit log…'));
  const pager = h('div', { class: 'pager' });
  const summary = h('p', { class: 'muted audit-summary', role: 'status' });

  const actorSelect = field({ label: 'Person', name: 'actor', type: 'select', value: '', options: [{ value: '', label: 'Everybody' }] });
  const form = h('form', { class: 'form audit-filters', novalidate: true, 'aria-label': 'Filter the audit log' },
    actorSelect,
    field({ label: 'Action', name: 'action', type: 'select', value: '',
      options: [{ value: '', label: 'Every action' }, ...ACTIONS.map((a) => ({ value: a, label: a }))] }),
    field({ label: 'From', name: 'from', type: 'date' }),
    field({ label: 'To', name: 'to', type: 'date' }),
    h('div', { class: 'field field-submit' },
      h('button', { type: 'submit', class: 'button button-secondary', dataset: { action: 'filter' } }, icon('filter'), h('span', { text: 'Filter' }))));

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    Object.assign(state, values(form), { page: 1 });
    load();
  });

  // The people of the workspace, for the person filter.
  api.get('/v1/users', { query: { per_page: 100, sort: 'name', order: 'asc' } }).then((result) => {
    const select = form.elements.actor;
    for (const member of result?.data || []) {
      select.append(h('option', { value: String(member.id), text: `${member.name} (${member.email})` }));
    }
  }).catch(() => {});

  function table(rows) {
    return tableWrap(h('table', { class: 'table audit-table' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', text: 'When' }),
        h('th', { scope: 'col', text: 'Who' }),
        h('th', { scope: 'col', text: 'Action' }),
        h('th', { scope: 'col', text: 'Target' }),
        h('th', { scope: 'col', text: 'From' }),
        h('th', { scope: 'col', text: 'Details' }))),
      h('tbody', {}, rows.map((row) => h('tr', { dataset: { auditId: String(row.id), action: row.action } },
        h('td', { class: 'nowrap' }, time(row.created_at)),
        h('td', {}, actorCell(row.actor)),
        h('td', {}, h('span', { class: 'audit-action', text: row.action })),
        h('td', { class: 'nowrap', text: row.target ? `${row.target.type} #${row.target.id ?? ''}` : '—' }),
        h('td', { class: 'nowrap', title: row.user_agent || '', text: row.ip || '—' }),
        h('td', {}, h('span', { class: 'audit-details', text: detailsText(row.details) })))))), 'Audit log entries');
  }

  function renderPager(meta) {
    const last = meta?.last_page || 1;
    const current = meta?.current_page || 1;
    if (last <= 1) {
      replace(pager);
      return;
    }
    const button = (page, label, iconName) => h('button', {
      type: 'button',
      class: 'button button-secondary button-small pager-button',
      'aria-label': label,
      title: label,
      disabled: page < 1 || page > last || page === current,
      onClick: () => { state.page = page; load(); },
    }, icon(iconName, 'icon icon-small'));
    replace(pager, h('nav', { class: 'pagination', 'aria-label': 'Audit log pages' },
      button(current - 1, 'Previous page', 'chevronLeft'),
      h('span', { class: 'pager-text', text: `Page ${count(current)} of ${count(last)}` }),
      button(current + 1, 'Next page', 'chevronRight')));
  }

  async function load() {
    replace(body, loadingState('Loading the audit log…'));
    const query = { page: state.page, per_page: 25 };
    for (const key of ['actor', 'action', 'from', 'to']) if (state[key]) query[key] = state[key];
    try {
      const result = await api.get('/v1/audit-log', { query });
      const rows = result?.data || [];
      const total = result?.meta?.total ?? rows.length;
      summary.textContent = `${count(total, '0')} ${total === 1 ? 'entry' : 'entries'}`;
      replace(body, rows.length ? table(rows)
        : emptyState({ title: 'No entries', text: 'Nothing recorded matches these filters.', iconName: 'shield' }));
      renderPager(result?.meta);
    } catch (error) {
      if (error.status === 422) {
        showErrors(form, error);
        replace(body);
        return;
      }
      replace(body, errorState(error, load));
    }
  }

  load();
  return h('div', { class: 'page page-audit-log' },
    header,
    card({ body: [form] }),
    card({ title: 'Entries', body: [summary, body, pager] }));
}

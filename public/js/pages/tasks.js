// #/tasks: My tasks. The signed-in member's tasks, open ones by default, soonest due first
// (so overdue ones lead), with filters for status, overdue only and priority; each row links
// to its customer, company or entry, and is completed, re-dated or reassigned in place.

import { api } from '../api.js';
import { h, icon, replace } from '../dom.js';
import { count } from '../components/format.js';
import { card, emptyState, errorState, loadingState, pageHeader } from '../components/page.js';
import { PRIORITIES, refreshOverdueBadge, taskRow } from '../components/tasks.js';
import { crm, workspacePeople } from './pipelines-api.js';

/** How each kind of record a task is about is shown before its name is known. */
const SUBJECTS = {
  customer: { iconName: 'customers', href: (id) => `#/customers/${id}`, text: (id) => `Customer #${id}` },
  company: { iconName: 'building', href: (id) => `#/companies/${id}`, text: (id) => `Company #${id}` },
  entry: { iconName: 'pipelines', href: () => '#/pipelines', text: () => 'Entry' },
};

/** A link to a task's record: the customer's or company's name, or the entry's title on its entity's page. */
function subjectLink(task, labels) {
  const kind = SUBJECTS[task.subject_type];
  if (!kind) return null;
  const key = `${task.subject_type}:${task.subject_id}`;
  const link = h('a', { class: 'task-subject', href: kind.href(task.subject_id) },
    icon(kind.iconName, 'icon icon-small'), h('span', { text: kind.text(task.subject_id) }));
  labels(key, task).then((found) => {
    if (!found) return;
    link.lastChild.textContent = found.label;
    if (found.href) link.setAttribute('href', found.href);
  });
  return link;
}

export function render() {
  const state = { status: 'open', overdue: false, priority: '', page: 1 };
  const list = h('ul', { class: 'task-list' });
  const body = h('div', {}, loadingState('Loading your tasks…'));
  const summary = h('p', { class: 'muted', role: 'status' });
  const pager = h('div', { class: 'pager' });
  const cache = new Map();
  let entities = null;

  /** Names for the records of a page of tasks, each asked once. */
  function labels(key, task) {
    if (!cache.has(key)) {
      cache.set(key, (async () => {
        if (task.subject_type === 'customer') {
          const c = await api.get(`/v1/customers/${task.subject_id}`);
          return { label: c.name || c.email || `Customer #${c.id}` };
        }
        if (task.subject_type === 'company') {
          const c = await api.get(`/v1/companies/${task.subject_id}`);
          return { label: c.name };
        }
        const entry = await crm.entry(task.subject_id);
        entities = entities || crm.entities();
        const all = await entities;
        const entity = all.find((e) => e.id === entry.crm_entity_id);
        return { label: entry.title, href: entity ? `#/pipelines/${encodeURIComponent(entity.slug)}/entries/${encodeURIComponent(entry.id)}` : null };
      })().catch(() => null));
    }
    return cache.get(key);
  }

  const select = (name, options, onChange) => h('select', { name, 'aria-label': name, onChange }, options.map(([value, label]) => h('option', { value, text: label })));
  const statusSelect = select('Status', [['open', 'Open'], ['done', 'Done'], ['', 'All']], () => { state.status = statusSelect.value; state.page = 1; load(); });
  const prioritySelect = select('Priority', [['', 'Any priority'], ...PRIORITIES.map((p) => [p, `${p[0].toUpperCase()}${p.slice(1)} priority`])],
    () => { state.priority = prioritySelect.value; state.page = 1; load(); });
  const overdueBox = h('input', { type: 'checkbox', name: 'overdue', onChange: () => { state.overdue = overdueBox.checked; state.page = 1; load(); } });
  const filters = h('div', { class: 'task-filters', role: 'group', 'aria-label': 'Filter my tasks' },
    statusSelect, prioritySelect, h('label', { class: 'check' }, overdueBox, h('span', { text: 'Overdue only' })));

  async function load() {
    const query = { assignee_id: 'me', page: state.page, per_page: 25, sort: 'due_at' };
    if (state.status) query.status = state.status;
    if (state.priority) query.priority = state.priority;
    if (state.overdue) query.overdue = 'true';
    try {
      const [result, people] = await Promise.all([api.get('/v1/tasks', { query }), workspacePeople().catch(() => ({ users: new Map() }))]);
      const tasks = result.data || [];
      const total = result.meta?.total ?? tasks.length;
      summary.textContent = `${count(total, '0')} ${total === 1 ? 'task' : 'tasks'}`;
      replace(list, tasks.map((task) => taskRow(task, { users: people.users, subjectLink: subjectLink(task, labels),
        onChanged: () => { load(); refreshOverdueBadge(); } })));
      replace(body, tasks.length ? list : emptyState({ title: state.overdue ? 'Nothing overdue' : 'No tasks here',
        text: 'Tasks assigned to you appear here. Add them from a customer or an entry.', iconName: 'check' }));
      const last = result.meta?.last_page || 1;
      replace(pager, last > 1 ? h('nav', { class: 'pagination', 'aria-label': 'Task pages' },
        h('button', { type: 'button', class: 'button button-secondary button-small', text: 'Previous', disabled: state.page <= 1,
          onClick: () => { state.page -= 1; load(); } }),
        h('span', { class: 'pager-text', text: `Page ${state.page} of ${last}` }),
        h('button', { type: 'button', class: 'button button-secondary button-small', text: 'Next', disabled: state.page >= last,
          onClick: () => { state.page += 1; load(); } })) : null);
    } catch (error) {
      if (!error.handled) replace(body, errorState(error, load));
    }
  }

  load();
  return h('div', { class: 'page page-tasks' },
    pageHeader({ title: 'My tasks', description: 'Your tasks, soonest due first: overdue ones lead. Each morning you get an email listing the overdue ones and those due that day.' }),
    card({ body: [h('div', { class: 'task-toolbar' }, filters, summary), body, pager], className: 'card-my-tasks' }));
}

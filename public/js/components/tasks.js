// Tasks in the console: one row (complete, due date, priority, assignee, delete), the tasks
// card of a record (add one by typing its title and pressing Add), and the overdue badge in
// the navigation. "My tasks" (pages/tasks.js) lists rows too.

import { refreshOverdueBadge } from './overdue.js';
import { activityChanged } from './timeline.js';
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { session } from '../session.js';
import { workspacePeople } from './people.js';
import { card, errorState, loadingState } from './page.js';
import { toast } from './toast.js';

export const PRIORITIES = ['low', 'normal', 'high'];

// The styles of notes, tasks and the navigation's count (this module loads with the shell).
if (!document.querySelector('link[href="/css/activities.css"]')) {
  document.head.append(h('link', { rel: 'stylesheet', href: '/css/activities.css' }));
}

/** "2026-03-20" of a due date, in the viewer's own calendar (for a date input). */
function dateValue(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** A picked day as the end of that day where the viewer is, in UTC; '' clears. */
export function dueFromDate(value) {
  return value ? new Date(`${value}T23:59:00`).toISOString().replace(/\.\d{3}Z$/, 'Z') : null;
}

/** One task: done box, title (and, with `subject`, a link to its record), due date, priority, assignee. */
export function taskRow(task, { users = new Map(), onChanged = () => {}, subjectLink = null } = {}) {
  const editable = session.can('PUT /v1/tasks/{id}');
  async function change(fields, message = null) {
    try {
      const updated = await api.put(`/v1/tasks/${task.id}`, fields);
      if (message) toast(message);
      activityChanged();
      onChanged(updated);
    } catch (error) {
      if (!error.handled) toast(error.errors ? Object.values(error.errors).flat().join(' ') : error.message, 'error');
      onChanged(null);
    }
  }
  const done = task.status === 'done';
  const box = h('input', { type: 'checkbox', class: 'task-check', checked: done, disabled: !editable,
    'aria-label': done ? `Reopen “${task.title}”` : `Complete “${task.title}”`,
    onChange: () => change({ status: box.checked ? 'done' : 'open' }, box.checked ? 'Task completed.' : 'Task reopened.') });
  const due = h('input', { type: 'date', class: 'task-due', value: dateValue(task.due_at), disabled: !editable, 'aria-label': 'Due date',
    onChange: () => change({ due_at: dueFromDate(due.value) }) });
  const priority = h('select', { class: 'task-priority', disabled: !editable, 'aria-label': 'Priority',
    onChange: () => change({ priority: priority.value }) },
  PRIORITIES.map((p) => h('option', { value: p, selected: p === task.priority, text: p[0].toUpperCase() + p.slice(1) })));
  const people = [...users.values()];
  if (task.assignee_id && !users.has(task.assignee_id)) people.push({ id: task.assignee_id, name: task.assignee_name || `Member ${task.assignee_id}` });
  const assignee = h('select', { class: 'task-assignee', disabled: !editable, 'aria-label': 'Assignee',
    onChange: () => change({ assignee_id: assignee.value ? Number(assignee.value) : null }, 'Task reassigned.') },
  h('option', { value: '', text: 'Unassigned' }),
  people.map((u) => h('option', { value: String(u.id), selected: u.id === task.assignee_id, text: u.id === session.me?.user?.id ? `${u.name} (me)` : u.name })));
  const remove = session.can('DELETE /v1/tasks/{id}') ? h('button', { type: 'button', class: 'button button-ghost-danger button-small task-delete',
    'aria-label': `Delete “${task.title}”`, text: 'Delete',
    onClick: async () => { await api.del(`/v1/tasks/${task.id}`); toast('Task deleted.'); activityChanged(); onChanged(null); } }) : null;
  return h('li', { class: ['task', done ? 'is-done' : '', task.overdue ? 'is-overdue' : '', `priority-${task.priority}`], dataset: { taskId: task.id } },
    box,
    h('div', { class: 'task-main' },
      h('span', { class: 'task-title', text: task.title }),
      task.overdue ? h('span', { class: 'badge badge-overdue', text: 'Overdue' }) : null,
      subjectLink),
    h('div', { class: 'task-controls' }, due, priority, assignee, remove));
}

/** The tasks card of a record: open ones first (soonest due), then done ones. */
export function tasksPanel({ subjectType, subjectId }) {
  const list = h('ul', { class: 'task-list' });
  const status = h('div', {}, loadingState('Loading tasks…'));
  const query = { subject_type: subjectType, subject_id: String(subjectId) };
  let users = new Map();

  async function load() {
    try {
      const [open, done, people] = await Promise.all([
        api.get('/v1/tasks', { query: { ...query, status: 'open', per_page: 100 } }),
        api.get('/v1/tasks', { query: { ...query, status: 'done', sort: 'updated_at', order: 'desc', per_page: 20 } }),
        workspacePeople().catch(() => ({ users: new Map() })),
      ]);
      users = people.users || new Map();
      const tasks = [...(open.data || []), ...(done.data || [])];
      replace(status, tasks.length ? null : h('p', { class: 'muted', text: 'No tasks yet.' }));
      replace(list, tasks.map((task) => taskRow(task, { users, onChanged: () => { load(); refreshOverdueBadge(); } })));
    } catch (error) {
      if (!error.handled) replace(status, errorState(error, load));
    }
  }

  const title = h('input', { class: 'task-new-title', name: 'title', maxlength: 255, placeholder: 'Add a task…', 'aria-label': 'New task title' });
  const due = h('input', { type: 'date', class: 'task-new-due', name: 'due', 'aria-label': 'Due date (optional)' });
  const error = h('p', { class: 'field-error', hidden: true });
  const form = session.can('POST /v1/tasks') ? h('form', { class: 'task-new', novalidate: true,
    onSubmit: async (e) => {
      e.preventDefault();
      error.hidden = true;
      if (!title.value.trim()) { title.focus(); return; }
      try {
        await api.post('/v1/tasks', { title: title.value.trim(), due_at: dueFromDate(due.value), ...query,
          subject_id: subjectType === 'customer' ? Number(subjectId) : String(subjectId) });
        title.value = '';
        due.value = '';
        toast('Task added.');
        activityChanged();
        load();
        refreshOverdueBadge();
      } catch (err) {
        if (err.handled) return;
        error.textContent = Object.values(err.errors || {}).flat().join(' ') || err.message;
        error.hidden = false;
      }
    } },
  title, due, h('button', { type: 'submit', class: 'button button-primary button-small', text: 'Add' }), error) : null;
  load();
  return card({ title: 'Tasks', className: 'card-tasks', body: [form, status, list] });
}

export { refreshOverdueBadge };

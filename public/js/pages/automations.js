// #/automations: the list (name, trigger, active, steps, enrolled), a new automation, and
// #/automations/{id}: the flow designer.

import { request } from '../api.js';
import { h, icon, replace } from '../dom.js';
import { navigate } from '../router.js';
import { confirmDialog, openDialog } from '../components/dialog.js';
import { alertRegion, field, showErrors } from '../components/form.js';
import { card, emptyState, errorState, loadingState, pageHeader, tableWrap } from '../components/page.js';
import { count, dateOnly } from '../components/format.js';
import * as designer from './automations-designer.js';
import { permit } from '../components/permit.js';
import { deleteWithUndo, isPendingDelete } from '../components/undo.js';

import { fillSettings, readSettings, TRIGGERS, TRIGGER_LABEL } from './automations-trigger.js';

let styled = false;
export function ensureStyles() {
  if (styled) return;
  styled = true;
  document.head.append(h('link', { rel: 'stylesheet', href: '/css/automations.css' }));
}

export function render({ path }) {
  ensureStyles();
  const match = /^\/automations\/(\d+)$/.exec(path);
  if (match) return designer.render({ id: Number(match[1]) });
  const root = h('div', { class: 'page page-automations' });
  const newButton = h('button', { type: 'button', class: 'button button-primary', dataset: { action: 'new-automation' } }, icon('plus'), h('span', { text: 'New automation' }));
  newButton.addEventListener('click', openNew);
  const body = h('div', {}, loadingState());
  replace(root, pageHeader({ title: 'Automations', description: 'Flows that react to what customers do: triggers, waits, conditions and messages.',
    actions: [permit(newButton, 'POST /v1/automations', 'create automations')] }), body);

  async function load() {
    try {
      const list = await request('GET', '/v1/automations', { query: { per_page: 100 } });
      const rows = (list.data || []).filter((a) => !isPendingDelete(`/v1/automations/${a.id}`));
      if (!rows.length) {
        replace(body, emptyState({ title: 'No automations yet', text: 'Create one, then draw its flow in the designer.', iconName: 'automations' }));
        return;
      }
      const table = h('table', { class: 'table table-automations' },
        h('thead', {}, h('tr', {}, ['Name', 'Trigger', 'Status', 'Steps', 'Enrolled', 'Created', ''].map((t) => h('th', { scope: 'col', text: t })))),
        h('tbody', {}, rows.map((a) => row(a))));
      replace(body, card({ body: [tableWrap(table, 'Automations')] }));
    } catch (error) {
      replace(body, errorState(error, load));
    }
  }

  function row(a) {
    const remove = permit(h('button', { type: 'button', class: 'button button-secondary button-small', dataset: { action: 'delete-automation' },
      'aria-label': `Delete ${a.name}` }, icon('trash', 'icon icon-small')), 'DELETE /v1/automations/{id}', 'delete automations');
    const tr = h('tr', { dataset: { id: String(a.id) } },
      h('td', {}, h('a', { href: `#/automations/${a.id}`, text: a.name })),
      h('td', { text: TRIGGER_LABEL[a.trigger_type] || a.trigger_type }),
      h('td', {}, h('span', { class: ['badge', a.is_active ? 'badge-success' : ''], text: a.is_active ? 'Active' : 'Inactive' })),
      h('td', { text: count(a.steps_count) }),
      h('td', { text: count(a.total_enrolled) }),
      h('td', { class: 'nowrap' }, dateOnly(a.created_at)),
      h('td', { class: 'num' }, remove));
    remove.addEventListener('click', async () => {
      const enrolled = a.total_enrolled ? ` Its ${count(a.total_enrolled)} enrolment${a.total_enrolled === 1 ? '' : 's'} end${a.total_enrolled === 1 ? 's' : ''} with it.` : '';
      const ok = await confirmDialog({ title: `Delete the automation ${a.name}?`,
        message: `${a.is_active ? 'It is active: it stops at once. ' : ''}The flow is deleted.${enrolled} You can undo for 10 seconds.`,
        confirmLabel: 'Delete automation', danger: true });
      if (!ok) return;
      const tbody = tr.parentNode;
      const next = tr.nextSibling;
      deleteWithUndo({ label: `the automation “${a.name}”`, path: `/v1/automations/${a.id}`,
        hide: () => tr.remove(), restore: () => { if (tbody.isConnected) tbody.insertBefore(tr, next && next.parentNode === tbody ? next : null); } });
    });
    return tr;
  }

  function openNew() {
    // The chosen trigger's own settings only (the segment by name…), as the designer shows them.
    const settings = h('div', { class: 'trigger-settings' });
    const form = h('form', { class: 'form', novalidate: true },
      alertRegion(),
      field({ label: 'Name', name: 'name', required: true, maxlength: 190 }),
      field({ label: 'Trigger', name: 'trigger_type', type: 'select', options: TRIGGERS.map(([value, label]) => ({ value, label })), value: 'customer_created' }),
      settings);
    const triggerSelect = form.elements.trigger_type;
    triggerSelect.addEventListener('change', () => fillSettings(settings, triggerSelect.value));
    fillSettings(settings, triggerSelect.value);
    const create = h('button', { type: 'button', class: 'button button-primary', text: 'Create automation' });
    const cancel = h('button', { type: 'button', class: 'button button-secondary', text: 'Cancel' });
    const { close } = openDialog({ title: 'New automation', body: form, actions: [cancel, create] });
    cancel.addEventListener('click', () => close('cancel'));
    async function submit(event) {
      event?.preventDefault();
      const data = Object.fromEntries(new FormData(form).entries());
      const config = readSettings(settings);
      try {
        const made = await request('POST', '/v1/automations', { body: { name: data.name, trigger_type: data.trigger_type, trigger_config: config, is_active: false } });
        close('done');
        navigate(`/automations/${made.id}`);
      } catch (error) {
        if (error?.name !== 'ApiError') throw error;
        // Field errors beside their fields: trigger_config.x belongs to the field x.
        const errors = Object.fromEntries(Object.entries(error.errors || {}).map(([key, value]) => [key.replace(/^trigger_config\./, ''), value]));
        if (!error.handled) showErrors(form, { ...error, status: error.status, message: error.message, errors });
      }
    }
    create.addEventListener('click', submit);
    form.addEventListener('submit', submit);
  }

  load();
  return root;
}


// #/settings/webhooks: subscriptions (URL, event types, active or paused), their secret shown
// once (on creation and rotation), a test event, and each one's delivery log with replay
// (webhooks-log.js). Admins and owners only, as the API.

import { api } from '../api.js';
import { h, icon, replace, time } from '../dom.js';
import { copyField } from '../components/copy.js';
import { confirmDialog, openDialog } from '../components/dialog.js';
import { alertRegion, field, hideAlert, showAlert, showErrors, submitting, validate, values } from '../components/form.js';
import { card, emptyState, errorState, loadingState, pageHeader, tableWrap } from '../components/page.js';
import { readOnlyNote } from '../components/permit.js';
import { toast } from '../components/toast.js';
import { session } from '../session.js';
import { deliveryLog } from './webhooks-log.js';

const ROUTE = 'GET /v1/webhooks';

let stylesheetAdded = false;
function styles() {
  if (stylesheetAdded) return;
  stylesheetAdded = true;
  document.head.append(h('link', { rel: 'stylesheet', href: '/css/webhooks.css' }));
}

export function statusBadge(hook) {
  const paused = hook.status === 'paused';
  const failing = !paused && hook.failing_since;
  const tone = paused ? 'neutral' : failing ? 'warning' : 'success';
  const text = paused ? 'Paused' : failing ? 'Failing' : 'Active';
  return h('span', { class: ['badge', `badge-tone-${tone}`], text, title: hook.paused_reason || (failing ? `Failing since ${new Date(hook.failing_since).toLocaleString()}` : '') });
}

/** The event types as checkboxes, grouped by what they are about. */
function typesField(all, chosen = []) {
  const groups = {};
  for (const type of all) (groups[type.split('.')[0]] ||= []).push(type);
  return h('fieldset', { class: 'field field-multi webhook-types', dataset: { field: 'types' } },
    h('legend', { text: 'Event types' }),
    h('div', { class: 'webhook-type-groups' }, Object.entries(groups).map(([group, types]) => h('div', { class: 'webhook-type-group' },
      h('p', { class: 'webhook-type-group-name', text: group }),
      h('div', { class: 'check-list' }, types.map((type) => h('label', { class: 'check' },
        h('input', { type: 'checkbox', name: 'types', value: type, checked: chosen.includes(type) }),
        h('code', { text: type }))))))),
    h('p', { class: 'field-error', hidden: true }));
}

function hookForm(all, hook = null) {
  const form = h('form', { class: 'form', novalidate: true, 'aria-label': hook ? 'Edit the webhook' : 'Create a webhook' },
    alertRegion(),
    field({ label: 'Endpoint URL', name: 'url', type: 'url', required: true, maxlength: 2000, autocomplete: 'off',
      placeholder: 'https://hooks.example.com/entercrm', value: hook?.url,
      hint: 'A public http or https address. Internal addresses are refused, and redirects are not followed.' }),
    field({ label: 'Description', name: 'description', optional: true, maxlength: 255, value: hook?.description ?? '' }),
    typesField(all, hook?.types || []),
    field({ label: 'Only these tracked events', name: 'event_names', optional: true, value: (hook?.event_names || []).join(', '),
      hint: 'For event.tracked: event names separated by commas. Empty sends every event.' }));
  return form;
}

function formBody(form) {
  const data = values(form);
  const names = String(data.event_names || '').split(',').map((s) => s.trim()).filter(Boolean);
  return {
    url: data.url,
    description: data.description || null,
    types: [...form.querySelectorAll('input[name="types"]:checked')].map((box) => box.value),
    event_names: names.length ? names : null,
  };
}

function showSecret(title, secret, note) {
  const done = h('button', { type: 'button', class: 'button button-primary', text: 'I have copied the secret', onClick: () => dialog.close('done') });
  const dialog = openDialog({
    title,
    body: [
      h('div', { class: 'alert alert-warning', dataset: { testid: 'secret-warning' } }, icon('alert'),
        h('div', { class: 'alert-content' },
          h('p', { class: 'strong', text: 'Copy this signing secret now. It won’t be shown again.' }),
          h('p', { text: note || 'Your endpoint uses it to check the webhook-signature header (Standard Webhooks).' }))),
      copyField({ label: 'Signing secret', value: secret, name: 'webhook-secret', autofocus: true }),
    ],
    actions: [done],
  });
}

export function render() {
  styles();
  if (!session.can(ROUTE)) {
    return h('div', { class: 'page page-webhooks' },
      pageHeader({ title: 'Webhooks', description: 'Tell your other systems what happens here, as it happens.' }),
      readOnlyNote(ROUTE, 'manage webhooks'));
  }
  const pageAlert = alertRegion();
  const listBody = h('div', {}, loadingState('Loading webhooks…'));
  const logBody = h('div', { class: 'webhook-log-area' });
  let eventTypes = [];
  let hooks = [];
  let selected = null;

  const createButton = h('button', { type: 'button', class: 'button button-primary', dataset: { action: 'create' }, onClick: () => edit(null) },
    icon('plus'), h('span', { text: 'Add webhook' }));
  const root = h('div', { class: 'page page-webhooks' },
    pageHeader({
      title: 'Webhooks',
      description: 'Signed calls to your endpoints when customers, events, segments, campaigns, entries, companies and tasks change.',
      actions: [createButton],
    }),
    pageAlert,
    card({ title: 'Subscriptions', body: [listBody], className: 'card-webhooks' }),
    logBody);

  async function load() {
    try {
      const result = await api.get('/v1/webhooks');
      eventTypes = result.event_types || [];
      hooks = result.data || [];
      renderList();
      if (selected) {
        const again = hooks.find((hook) => hook.id === selected);
        if (again) openLog(again); else { selected = null; replace(logBody); }
      }
    } catch (error) {
      if (!error.handled) replace(listBody, errorState(error, () => { replace(listBody, loadingState()); load(); }));
    }
  }

  function renderList() {
    if (!hooks.length) {
      replace(listBody, emptyState({ title: 'No webhooks yet', text: 'Add an endpoint to receive a signed call for each change you choose.', iconName: 'globe' }));
      return;
    }
    const table = h('table', { class: 'table table-webhooks' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', text: 'Endpoint' }),
        h('th', { scope: 'col', text: 'Events' }),
        h('th', { scope: 'col', text: 'Status' }),
        h('th', { scope: 'col', text: 'Created' }),
        h('th', { scope: 'col', class: 'cell-actions' }, h('span', { class: 'visually-hidden', text: 'Actions' })))),
      h('tbody', {}, hooks.map((hook) => h('tr', { dataset: { webhookId: hook.id }, class: hook.id === selected ? 'is-selected' : '' },
        h('td', { class: 'webhook-url-cell' },
          h('code', { class: 'webhook-url', text: hook.url, title: hook.url }),
          hook.description ? h('span', { class: 'muted webhook-description', text: hook.description }) : null),
        h('td', { class: 'webhook-types-cell', title: hook.types.join(', ') }, hook.types.length === 1 ? h('code', { text: hook.types[0] }) : `${hook.types.length} types`),
        h('td', {}, statusBadge(hook)),
        h('td', { class: 'nowrap' }, time(hook.created_at)),
        h('td', { class: 'cell-actions webhook-actions' },
          button('Log', 'activity', () => openLog(hook), 'log'),
          button(hook.status === 'paused' ? 'Resume' : 'Pause', hook.status === 'paused' ? 'play' : 'pause', () => toggle(hook), 'toggle'),
          button('Send test', 'send', () => sendTest(hook), 'test', hook.status === 'paused'),
          button('Edit', 'edit', () => edit(hook), 'edit'),
          button('Rotate secret', 'key', () => rotate(hook), 'rotate'),
          h('button', { type: 'button', class: 'button button-ghost-danger button-small', 'aria-label': `Delete the webhook ${hook.url}`, dataset: { action: 'delete' }, onClick: () => remove(hook) },
            icon('trash'), h('span', { class: 'button-label', text: 'Delete' })))))));
    replace(listBody, tableWrap(table, 'Webhooks'));
  }

  function button(label, iconName, onClick, action, disabled = false) {
    return h('button', { type: 'button', class: 'button button-ghost button-small', dataset: { action }, disabled, onClick },
      icon(iconName), h('span', { class: 'button-label', text: label }));
  }

  function edit(hook) {
    const form = hookForm(eventTypes, hook);
    const save = h('button', { type: 'submit', class: 'button button-primary', dataset: { busyLabel: 'Saving…' } }, h('span', { text: hook ? 'Save' : 'Create webhook' }));
    form.append(h('div', { class: 'form-actions' }, save));
    const dialog = openDialog({ title: hook ? 'Edit the webhook' : 'Add a webhook', body: [form], size: 'large' });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!validate(form)) return;
      const body = formBody(form);
      if (!body.types.length) {
        showErrors(form, { status: 422, message: 'Choose at least one event type.', errors: { types: ['Choose at least one event type.'] } });
        return;
      }
      await submitting(form, async () => {
        const saved = hook ? await api.put(`/v1/webhooks/${hook.id}`, body) : await api.post('/v1/webhooks', body);
        dialog.close('saved');
        if (hook) toast('Webhook saved.'); else showSecret('Your webhook is ready', saved.secret, saved.note);
        selected = saved.id;
        await load();
      });
    });
  }

  async function toggle(hook) {
    hideAlert(pageAlert);
    try {
      const status = hook.status === 'paused' ? 'active' : 'paused';
      await api.put(`/v1/webhooks/${hook.id}`, { status });
      toast(status === 'paused' ? 'Webhook paused: its deliveries wait.' : 'Webhook resumed.');
      await load();
    } catch (error) {
      if (!error.handled) showAlert(pageAlert, error.message);
    }
  }

  async function sendTest(hook) {
    hideAlert(pageAlert);
    try {
      await api.post(`/v1/webhooks/${hook.id}/test`);
      toast('Test event queued: it shows in the log in a moment.');
      openLog(hook, { refreshIn: 1500 });
    } catch (error) {
      if (!error.handled) showAlert(pageAlert, error.message);
    }
  }

  async function rotate(hook) {
    const ok = await confirmDialog({
      title: 'Rotate the signing secret?',
      message: 'A new secret signs every call from now on. The old one keeps signing too (a second signature) for 24 hours, while you update your endpoint.',
      confirmLabel: 'Rotate secret',
    });
    if (!ok) return;
    try {
      const result = await api.post(`/v1/webhooks/${hook.id}/rotate-secret`);
      showSecret('The new signing secret', result.secret, result.note);
      await load();
    } catch (error) {
      if (!error.handled) showAlert(pageAlert, error.message);
    }
  }

  async function remove(hook) {
    const ok = await confirmDialog({
      title: 'Delete this webhook?',
      message: `${hook.url} receives nothing more, and its pending deliveries and log are deleted.`,
      confirmLabel: 'Delete webhook',
      danger: true,
    });
    if (!ok) return;
    try {
      await api.del(`/v1/webhooks/${hook.id}`);
      toast('Webhook deleted.');
      await load();
    } catch (error) {
      if (!error.handled) showAlert(pageAlert, error.message);
    }
  }

  function openLog(hook, options = {}) {
    selected = hook.id;
    for (const row of listBody.querySelectorAll('tr[data-webhook-id]')) row.classList.toggle('is-selected', Number(row.dataset.webhookId) === hook.id);
    replace(logBody, deliveryLog(hook, options));
  }

  load();
  return root;
}

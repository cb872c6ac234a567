// #/settings/api-keys: create keys (the full key is shown once), list them masked, revoke.

import { api } from '../api.js';
import { h, icon, replace, time } from '../dom.js';
import { session } from '../session.js';
import { copyField } from '../components/copy.js';
import { confirmDialog, openDialog } from '../components/dialog.js';
import { alertRegion, field, hideAlert, showAlert, submitting, validate, values } from '../components/form.js';
import { card, emptyState, errorState, loadingState, pageHeader, tableWrap } from '../components/page.js';
import { toast } from '../components/toast.js';

const TYPES = {
  secret: { label: 'Secret', hint: 'Server-side: full API access. Keep it on your servers, never in a browser or an app.' },
  publishable: { label: 'Publishable', hint: 'Browser-safe: tracking only (tracker.js on your website).' },
};

function typeBadge(type) {
  const known = TYPES[type] ? type : 'secret';
  return h('span', { class: ['badge', `badge-key-${known}`], text: TYPES[known].label });
}

/** The key as the API lists it: secret keys masked; publishable keys in full, with a copy button. */
function keyCell(key) {
  const code = h('code', { class: 'key-masked', text: key.key, title: key.key });
  if (key.type !== 'publishable' || String(key.key).includes('…')) return code;
  const label = h('span', { class: 'visually-hidden', text: `Copy the key ${key.name}` });
  const button = h('button', { type: 'button', class: 'icon-button icon-button-small', title: 'Copy' }, icon('copy'), label);
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(key.key);
      toast(`Key “${key.name}” copied.`);
    } catch {
      const range = document.createRange();
      range.selectNodeContents(code);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      toast('Press Ctrl+C (⌘C) to copy the selected key.', 'info');
    }
  });
  return h('span', { class: 'key-cell' }, code, button);
}

export function render() {
  if (!session.canManage) {
    return h('div', { class: 'page page-api-keys' },
      pageHeader({ title: 'API keys', description: 'Keys let your servers and websites send data to this workspace.' }),
      h('div', { class: 'alert alert-info' }, icon('info'),
        h('div', { class: 'alert-content' }, h('p', { text: 'Only owners and admins can create, see and revoke API keys. Ask one of them for a key.' }))));
  }
  const pageAlert = alertRegion();
  const listBody = h('div', {}, loadingState('Loading API keys…'));

  const typeHint = h('p', { class: 'field-hint', text: TYPES.secret.hint });
  const form = h('form', { class: 'form form-inline', novalidate: true, 'aria-label': 'Create an API key' },
    alertRegion(),
    h('div', { class: 'form-row' },
      field({ label: 'Key name', name: 'name', required: true, maxlength: 120, autocomplete: 'off', placeholder: 'e.g. Production server' }),
      field({ label: 'Type', name: 'type', type: 'select', value: 'secret', options: Object.entries(TYPES).map(([value, type]) => ({ value, label: type.label })) }),
      h('div', { class: 'field field-submit' },
        h('button', { type: 'submit', class: 'button button-primary', dataset: { busyLabel: 'Creating…' } }, icon('plus'), h('span', { text: 'Create key' })))),
    typeHint);
  const typeSelect = form.elements.type;
  typeSelect.addEventListener('change', () => { typeHint.textContent = TYPES[typeSelect.value]?.hint || ''; });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!validate(form)) return;
    const data = values(form);
    await submitting(form, async () => {
      const key = await api.post('/v1/api-keys', { name: data.name, type: data.type });
      form.reset();
      typeHint.textContent = TYPES.secret.hint;
      showNewKey(key);
      load();
    });
  });

  const root = h('div', { class: 'page page-api-keys' },
    pageHeader({
      title: 'API keys',
      description: 'Keys let your servers and websites send data to this workspace. Send a key in the X‑API‑Key header.',
    }),
    pageAlert,
    card({ title: 'Create a key', body: [form], className: 'card-create-key' }),
    card({ title: 'Keys', description: 'Secret keys are shown masked, publishable keys in full. Revoke a key you no longer use, or one that may have leaked.', body: [listBody], className: 'card-keys' }));

  function showNewKey(key) {
    const done = h('button', { type: 'button', class: 'button button-primary', text: 'I have copied the key', onClick: () => dialog.close('done') });
    const dialog = openDialog({
      title: 'Your new API key',
      body: [
        h('p', {}, 'The key ', h('strong', { text: `“${key.name}”` }), ' ', typeBadge(key.type), ' is ready.'),
        key.type === 'publishable'
          ? h('div', { class: 'alert alert-info', dataset: { testid: 'key-note' } }, icon('info'),
            h('div', { class: 'alert-content' },
              h('p', { class: 'strong', text: 'A publishable key is safe to put in your website’s pages.' }),
              h('p', { text: 'It can only send tracking data. It stays visible in the list of keys.' })))
          : h('div', { class: 'alert alert-warning', dataset: { testid: 'key-warning' } }, icon('alert'),
            h('div', { class: 'alert-content' },
              h('p', { class: 'strong', text: 'Copy this key now. It won’t be shown again.' }),
              h('p', { text: key.note || 'This is the only time the full key will be shown.' }))),
        copyField({ label: 'API key', value: key.key, name: 'api-key', autofocus: true }),
      ],
      actions: [done],
      onClose: () => form.elements.name.focus(),
    });
    dialog.dialog.classList.add('modal-new-key');
  }

  async function load() {
    try {
      const result = await api.get('/v1/api-keys');
      renderList(result.data || []);
    } catch (error) {
      if (!error.handled) replace(listBody, errorState(error, () => { replace(listBody, loadingState()); load(); }));
    }
  }

  function renderList(keys) {
    if (!keys.length) {
      replace(listBody, emptyState({ title: 'No API keys yet', text: 'Create a key above to connect your first integration.', iconName: 'key' }));
      return;
    }
    const table = h('table', { class: 'table' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', text: 'Name' }),
        h('th', { scope: 'col', text: 'Type' }),
        h('th', { scope: 'col', text: 'Key' }),
        h('th', { scope: 'col', text: 'Created' }),
        h('th', { scope: 'col', text: 'Last used' }),
        h('th', { scope: 'col', class: 'cell-actions' }, h('span', { class: 'visually-hidden', text: 'Actions' })))),
      h('tbody', {}, keys.map((key) => h('tr', { dataset: { keyId: key.id, keyName: key.name } },
        h('td', { class: 'strong', text: key.name }),
        h('td', {}, typeBadge(key.type)),
        h('td', {}, keyCell(key)),
        h('td', { class: 'nowrap' }, time(key.created_at)),
        h('td', { class: 'nowrap' }, time(key.last_used_at)),
        h('td', { class: 'cell-actions' },
          h('button', { type: 'button', class: 'button button-ghost-danger button-small', 'aria-label': `Revoke ${key.name}`, dataset: { action: 'revoke' }, onClick: () => revoke(key) },
            icon('trash'), h('span', { text: 'Revoke' })))))));
    replace(listBody, tableWrap(table, 'API keys'));
  }

  async function revoke(key) {
    const ok = await confirmDialog({
      title: `Revoke “${key.name}”?`,
      message: 'Requests with this key will be refused at once. This cannot be undone.',
      confirmLabel: 'Revoke key',
      danger: true,
    });
    if (!ok) return;
    hideAlert(pageAlert);
    try {
      await api.del(`/v1/api-keys/${encodeURIComponent(key.id)}`);
      toast(`API key “${key.name}” revoked.`);
      await load();
      root.querySelector('.page-title')?.focus();
    } catch (error) {
      if (!error.handled) showAlert(pageAlert, error.message);
    }
  }

  load();
  return root;
}

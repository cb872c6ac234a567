// #/settings/sessions: where you are signed in (revoke the others) and your password.

import { api } from '../api.js';
import { describeUserAgent, h, icon, replace, time } from '../dom.js';
import { confirmDialog } from '../components/dialog.js';
import { alertRegion, field, hideAlert, showAlert, submitting, validate, values } from '../components/form.js';
import { card, emptyState, errorState, loadingState, pageHeader, tableWrap } from '../components/page.js';
import { toast } from '../components/toast.js';

export function render() {
  const pageAlert = alertRegion();
  const listBody = h('div', {}, loadingState('Loading sessions…'));
  const revokeOthersButton = h('button', { type: 'button', class: 'button button-secondary', hidden: true, dataset: { action: 'revoke-others' }, onClick: () => revokeOthers() },
    icon('logout'), h('span', { text: 'Sign out other sessions' }));
  let sessions = [];

  const passwordForm = h('form', { class: 'form form-narrow', novalidate: true, 'aria-label': 'Change password' },
    alertRegion(),
    field({ label: 'Current password', name: 'current_password', type: 'password', required: true, autocomplete: 'current-password' }),
    field({ label: 'New password', name: 'password', type: 'password', required: true, minlength: 8, autocomplete: 'new-password', hint: 'At least 8 characters.' }),
    field({ label: 'Confirm new password', name: 'password_confirmation', type: 'password', required: true, autocomplete: 'new-password' }),
    h('p', { class: 'muted small', text: 'Changing your password signs you out everywhere else.' }),
    h('div', { class: 'form-actions form-actions-start' },
      h('button', { type: 'submit', class: 'button button-primary', text: 'Change password', dataset: { busyLabel: 'Changing…' } })));

  passwordForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const ok = validate(passwordForm, (form) => ({
      password_confirmation: form.elements.password.value !== form.elements.password_confirmation.value ? 'The new passwords do not match.' : null,
    }));
    if (!ok) return;
    const data = values(passwordForm);
    await submitting(passwordForm, async () => {
      const result = await api.post('/v1/auth/password', { current_password: data.current_password, password: data.password });
      passwordForm.reset();
      const revoked = Number(result?.revoked_sessions || 0);
      const message = revoked
        ? `Password changed. ${revoked} other session${revoked === 1 ? ' was' : 's were'} signed out.`
        : 'Password changed.';
      showAlert(passwordForm.querySelector('.alert'), message, [], 'success');
      toast(message);
      load();
    });
  });

  const root = h('div', { class: 'page page-sessions' },
    pageHeader({ title: 'Sessions & password', description: 'Every browser and device signed in to your account, in all your workspaces.' }),
    pageAlert,
    card({ title: 'Active sessions', actions: [revokeOthersButton], body: [listBody], className: 'card-sessions' }),
    card({ title: 'Change password', body: [passwordForm], className: 'card-password' }));

  async function load() {
    try {
      const result = await api.get('/v1/auth/sessions');
      sessions = result.data || [];
      renderList();
    } catch (error) {
      if (!error.handled) replace(listBody, errorState(error, () => { replace(listBody, loadingState()); load(); }));
    }
  }

  function renderList() {
    const others = sessions.filter((item) => !item.current);
    revokeOthersButton.hidden = !others.length;
    if (!sessions.length) {
      replace(listBody, emptyState({ title: 'No active sessions', iconName: 'device' }));
      return;
    }
    const sorted = [...sessions].sort((a, b) => (b.current ? 1 : 0) - (a.current ? 1 : 0));
    const table = h('table', { class: 'table' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', text: 'Device' }),
        h('th', { scope: 'col', text: 'IP address' }),
        h('th', { scope: 'col', text: 'Workspace' }),
        h('th', { scope: 'col', text: 'Signed in' }),
        h('th', { scope: 'col', text: 'Last active' }),
        h('th', { scope: 'col', class: 'cell-actions' }, h('span', { class: 'visually-hidden', text: 'Actions' })))),
      h('tbody', {}, sorted.map((item) => h('tr', { class: item.current ? 'is-current' : null, dataset: { sessionId: item.id } },
        h('td', {},
          h('div', { class: 'device' },
            h('span', { class: 'device-icon' }, icon('device')),
            h('span', { class: 'device-text' },
              h('span', { class: 'device-name', title: item.user_agent || '', text: describeUserAgent(item.user_agent) }),
              item.current ? h('span', { class: 'badge badge-success', text: 'This session' }) : null))),
        h('td', { class: 'mono nowrap', text: item.ip || '—' }),
        h('td', { text: item.tenant?.name || '—' }),
        h('td', { class: 'nowrap' }, time(item.created_at)),
        h('td', { class: 'nowrap' }, time(item.last_used_at)),
        h('td', { class: 'cell-actions' },
          item.current
            ? null
            : h('button', { type: 'button', class: 'button button-ghost-danger button-small', 'aria-label': `Revoke session: ${describeUserAgent(item.user_agent)}, ${item.ip || 'unknown address'}`, onClick: () => revoke(item) },
              h('span', { text: 'Revoke' })))))));
    replace(listBody, tableWrap(table, 'Active sessions'));
  }

  async function revoke(item) {
    const ok = await confirmDialog({
      title: 'Revoke this session?',
      message: `${describeUserAgent(item.user_agent)}${item.ip ? ` at ${item.ip}` : ''} is signed out at once and must sign in again.`,
      confirmLabel: 'Revoke session',
      danger: true,
    });
    if (!ok) return;
    hideAlert(pageAlert);
    try {
      await api.del(`/v1/auth/sessions/${encodeURIComponent(item.id)}`);
      toast('Session revoked.');
      await load();
      root.querySelector('.page-title')?.focus();
    } catch (error) {
      if (!error.handled) showAlert(pageAlert, error.message);
    }
  }

  async function revokeOthers() {
    const others = sessions.filter((item) => !item.current);
    const ok = await confirmDialog({
      title: 'Sign out other sessions?',
      message: `${others.length} other session${others.length === 1 ? '' : 's'} will be signed out. This browser stays signed in.`,
      confirmLabel: 'Sign them out',
      danger: true,
    });
    if (!ok) return;
    hideAlert(pageAlert);
    let failed = 0;
    for (const item of others) {
      try {
        await api.del(`/v1/auth/sessions/${encodeURIComponent(item.id)}`);
      } catch (error) {
        if (error.handled) return;
        failed += 1;
      }
    }
    if (failed) showAlert(pageAlert, `${failed} session${failed === 1 ? '' : 's'} could not be revoked. Try again.`);
    else toast('Other sessions signed out.');
    await load();
  }

  load();
  return root;
}

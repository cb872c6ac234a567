// #/settings/workspace: this workspace's details, your other workspaces, a new one.

import { api } from '../api.js';
import { h, icon, roleBadge } from '../dom.js';
import { navigate } from '../router.js';
import { session } from '../session.js';
import { alertRegion, field, submitting, validate, values } from '../components/form.js';
import { toast } from '../components/toast.js';
import { card, pageHeader, tableWrap } from '../components/page.js';
import { openCreateWorkspace } from '../components/workspace-dialog.js';

export function render({ switchWorkspace }) {
  const me = session.me;
  const createButton = h('button', { type: 'button', class: 'button button-primary', dataset: { action: 'create-workspace' }, onClick: () => openCreateWorkspace() },
    icon('plus'), h('span', { text: 'Create workspace' }));

  const details = h('dl', { class: 'stat-list' },
    h('div', { class: 'stat' }, h('dt', { text: 'Name' }), h('dd', { class: 'stat-value', text: me.tenant?.name || '' })),
    h('div', { class: 'stat' }, h('dt', { text: 'Slug' }), h('dd', { class: 'stat-value mono', text: me.tenant?.slug || '' })),
    h('div', { class: 'stat' }, h('dt', { text: 'Workspace ID' }), h('dd', { class: 'stat-value mono', text: String(me.tenant?.id ?? '') })),
    h('div', { class: 'stat' }, h('dt', { text: 'Your role' }), h('dd', { class: 'stat-value' }, roleBadge(me.role))));

  const table = h('table', { class: 'table' },
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', text: 'Workspace' }),
      h('th', { scope: 'col', text: 'Slug' }),
      h('th', { scope: 'col', text: 'Your role' }),
      h('th', { scope: 'col', class: 'cell-actions' }, h('span', { class: 'visually-hidden', text: 'Actions' })))),
    h('tbody', {}, me.workspaces.map((workspace) => {
      const isCurrent = workspace.slug === me.tenant?.slug;
      return h('tr', { class: isCurrent ? 'is-current' : null, dataset: { workspace: workspace.slug } },
        h('td', { class: 'strong', text: workspace.name }),
        h('td', { class: 'mono', text: workspace.slug }),
        h('td', {}, roleBadge(workspace.role)),
        h('td', { class: 'cell-actions' },
          isCurrent
            ? h('span', { class: 'badge badge-success', text: 'Current' })
            : h('button', { type: 'button', class: 'button button-secondary button-small', 'aria-label': `Switch to ${workspace.name}`, onClick: () => switchWorkspace(workspace.slug) }, h('span', { text: 'Switch' }))));
    })));

  let renameForm = null;
  if (session.canManage) {
    renameForm = h('form', { class: 'form form-narrow', novalidate: true, 'aria-label': 'Rename workspace' },
      alertRegion(),
      field({ label: 'Workspace name', name: 'name', required: true, maxlength: 120, autocomplete: 'organization', value: me.tenant?.name || '', hint: 'The slug stays the same, so sign-in links and integrations keep working.' }),
      h('div', { class: 'form-actions form-actions-start' },
        h('button', { type: 'submit', class: 'button button-primary', text: 'Save name', dataset: { busyLabel: 'Saving…' } })));
    renameForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!validate(renameForm)) return;
      const { name } = values(renameForm);
      await submitting(renameForm, async () => {
        const saved = await api.put('/v1/workspace', { name });
        await session.refresh();
        toast(`Workspace renamed to “${saved?.name || name}”.`);
        navigate('/settings/workspace');
      });
    });
  }

  const revenueCard = browserRevenueCard();

  return h('div', { class: 'page page-workspace' },
    pageHeader({ title: 'Workspace', description: 'Each workspace (one per brand) keeps its own customers, campaigns, members and API keys.', actions: [createButton] }),
    card({ title: 'This workspace', body: [details] }),
    renameForm ? card({ title: 'Workspace name', body: [renameForm], className: 'card-rename' }) : null,
    revenueCard,
    card({ title: 'Your workspaces', description: 'Switching signs this browser in to the other workspace.', body: [tableWrap(table, 'Your workspaces')] }));
}

/**
 * The "count revenue reported by browsers" setting (GET/PUT /v1/workspace), with the reason
 * it is off by default. Owners and admins change it; others see it, disabled, and why.
 */
function browserRevenueCard() {
  const canChange = session.canManage;
  const checkbox = h('input', { type: 'checkbox', name: 'count_browser_revenue', id: 'count-browser-revenue', disabled: true,
    'aria-describedby': 'count-browser-revenue-reason' });
  const reason = h('div', { class: 'setting-reason', id: 'count-browser-revenue-reason' },
    h('p', { text: 'Purchases sent from browsers (tracker.js, or any call with a publishable key) are always stored and show on the customer’s timeline. '
      + 'When this is on, their amounts also count towards lifetime value, orders and average order.' }),
    h('p', { class: 'setting-warning', text: 'Leave it off unless you accept forged revenue: the publishable key sits in your website’s HTML, '
      + 'so anyone can send a purchase of any amount for any customer. Report orders from your server with a secret key instead; those always count.' }),
    canChange ? null : h('p', { class: 'field-hint', text: 'Only owners and admins can change this setting.' }));
  const form = h('form', { class: 'form form-narrow', novalidate: true, 'aria-label': 'Revenue from browsers', dataset: { setting: 'count_browser_revenue' } },
    alertRegion(),
    h('div', { class: 'field setting-toggle', dataset: { field: 'count_browser_revenue' } },
      h('label', { for: 'count-browser-revenue' }, checkbox, h('span', { text: 'Count revenue reported by browsers' })),
      h('p', { class: 'field-error', hidden: true })),
    reason,
    canChange
      ? h('div', { class: 'form-actions form-actions-start' },
        h('button', { type: 'submit', class: 'button button-primary', text: 'Save setting', dataset: { busyLabel: 'Saving…' } }))
      : null);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!canChange) return;
    const wanted = checkbox.checked;
    await submitting(form, async () => {
      const saved = await api.put('/v1/workspace', { count_browser_revenue: wanted });
      checkbox.checked = Boolean(saved?.count_browser_revenue);
      toast(saved?.count_browser_revenue ? 'Browser-reported revenue now counts towards lifetime value.'
        : 'Browser-reported revenue no longer counts towards lifetime value.');
    });
  });
  api.get('/v1/workspace').then((workspace) => {
    checkbox.checked = Boolean(workspace?.count_browser_revenue);
    checkbox.disabled = !canChange;
    form.dataset.loaded = 'true';
  }).catch(() => {
    form.dataset.loaded = 'error';
  });
  return card({ title: 'Revenue from browsers', description: 'Whether purchases reported by web pages count towards customers’ lifetime value.',
    body: [form], className: 'card-browser-revenue' });
}

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

  return h('div', { class: 'page page-workspace' },
    pageHeader({ title: 'Workspace', description: 'Each workspace (one per brand) keeps its own customers, campaigns, members and API keys.', actions: [createButton] }),
    card({ title: 'This workspace', body: [details] }),
    renameForm ? card({ title: 'Workspace name', body: [renameForm], className: 'card-rename' }) : null,
    card({ title: 'Your workspaces', description: 'Switching signs this browser in to the other workspace.', body: [tableWrap(table, 'Your workspaces')] }));
}

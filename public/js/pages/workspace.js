// #/settings/workspace: this workspace's details, your other workspaces, a new one.

import { api } from '../api.js';
import { h, icon, roleBadge } from '../dom.js';
import { navigate } from '../router.js';
import { session } from '../session.js';
import { alertRegion, field, submitting, validate, values } from '../components/form.js';
import { toast } from '../components/toast.js';
import { card, pageHeader, tableWrap } from '../components/page.js';
import { confirmDialog } from '../components/dialog.js';
import { trackUnsaved } from '../components/unsaved.js';
import { permit } from '../components/permit.js';
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
    const unsaved = trackUnsaved(renameForm);
    renameForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!validate(renameForm)) return;
      const { name } = values(renameForm);
      await submitting(renameForm, async () => {
        const saved = await api.put('/v1/workspace', { name });
        await session.refresh();
        toast(`Workspace renamed to “${saved?.name || name}”.`);
        unsaved.markClean();
        navigate('/settings/workspace');
      });
    });
  }

  const revenueCard = browserRevenueCard();
  const linkCard = companyLinkCard();

  return h('div', { class: 'page page-workspace' },
    pageHeader({ title: 'Workspace', description: 'Each workspace (one per brand) keeps its own customers, campaigns, members and API keys.', actions: [createButton] }),
    card({ title: 'This workspace', body: [details] }),
    renameForm ? card({ title: 'Workspace name', body: [renameForm], className: 'card-rename' }) : null,
    revenueCard,
    linkCard,
    card({ title: 'Your workspaces', description: 'Switching signs this browser in to the other workspace.', body: [tableWrap(table, 'Your workspaces')] }),
    retentionCard(),
    deleteCard(me));
}

/** How long the audit log keeps its entries (owners change it; others see why not). */
function retentionCard() {
  const form = h('form', { class: 'form form-narrow', novalidate: true, 'aria-label': 'Audit log retention' },
    alertRegion(),
    field({ label: 'Keep audit log entries for (days)', name: 'audit_retention_days', type: 'number', min: 30, max: 3650, required: true,
      hint: 'At least 30 days. Older entries are deleted by the job runner, once an hour. 365 by default.' }),
    h('div', { class: 'form-actions form-actions-start' },
      permit(h('button', { type: 'submit', class: 'button button-primary', text: 'Save retention', dataset: { action: 'save-retention', busyLabel: 'Saving…' } }),
        'workspace.audit_retention', 'change how long the audit log is kept')));
  const input = form.elements.audit_retention_days;
  input.disabled = !session.can('workspace.audit_retention');
  const unsaved = trackUnsaved(form);
  api.get('/v1/workspace').then((workspace) => { input.value = String(workspace?.audit_retention_days ?? 365); unsaved.markClean(); }).catch(() => {});
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!validate(form)) return;
    const days = Number(values(form).audit_retention_days);
    await submitting(form, async () => {
      const saved = await api.put('/v1/workspace', { audit_retention_days: days });
      input.value = String(saved?.audit_retention_days ?? days);
      unsaved.markClean();
      toast(`Audit log entries are kept for ${input.value} days.`);
    });
  });
  return card({ title: 'Audit log', description: 'The record of security-relevant actions, on the Audit log page.', body: [form], className: 'card-retention' });
}

/** Deleting the workspace: owners only, after typing its slug. */
function deleteCard(me) {
  const button = h('button', { type: 'button', class: 'button button-danger', dataset: { action: 'delete-workspace' } },
    icon('trash'), h('span', { text: 'Delete this workspace' }));
  button.addEventListener('click', async () => {
    const slug = me.tenant?.slug || '';
    const ok = await confirmDialog({
      title: `Delete the workspace ${me.tenant?.name}?`,
      message: `This deletes “${me.tenant?.name}” with all its customers, events, campaigns and members, for good. Its members keep their accounts.`,
      confirmLabel: 'Delete workspace',
      danger: true,
      typed: { label: `Type its slug (${slug}) to confirm`, accept: [slug] },
    });
    if (!ok) return;
    const typed = slug;
    try {
      await api.del('/v1/workspace', { body: { confirm: typed } });
      await session.refresh().catch(() => null);
      toast('Workspace deleted.');
      navigate('/settings/workspace');
    } catch (error) {
      toast(error.message, 'error');
    }
  });
  return card({ title: 'Danger zone', className: 'card-danger', body: [
    h('p', { class: 'muted', text: 'Deleting the workspace deletes everything in it. Its members keep their accounts and other workspaces.' }),
    permit(button, 'DELETE /v1/workspace', 'delete the workspace')] });
}

/**
 * One on/off setting of the workspace (GET/PUT /v1/workspace), with what it does. Owners and
 * admins change it; others see it, disabled, and why.
 */
function settingCard({ setting, id, title, description, label, reasons, saved: savedText, className }) {
  const canChange = session.can('PUT /v1/workspace');
  const checkbox = h('input', { type: 'checkbox', name: setting, id, disabled: true, 'aria-describedby': `${id}-reason` });
  const reason = h('div', { class: 'setting-reason', id: `${id}-reason` },
    reasons,
    canChange ? null : h('p', { class: 'field-hint', text: 'Only owners and admins can change this setting.' }));
  const form = h('form', { class: 'form form-narrow', novalidate: true, 'aria-label': title, dataset: { setting } },
    alertRegion(),
    h('div', { class: 'field setting-toggle', dataset: { field: setting } },
      h('label', { for: id }, checkbox, h('span', { text: label })),
      h('p', { class: 'field-error', hidden: true })),
    reason,
    canChange
      ? h('div', { class: 'form-actions form-actions-start' },
        h('button', { type: 'submit', class: 'button button-primary', text: 'Save setting', dataset: { busyLabel: 'Saving…' } }))
      : null);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!canChange) return;
    await submitting(form, async () => {
      const saved = await api.put('/v1/workspace', { [setting]: checkbox.checked });
      checkbox.checked = Boolean(saved?.[setting]);
      toast(savedText(checkbox.checked));
    });
  });
  api.get('/v1/workspace').then((workspace) => {
    checkbox.checked = Boolean(workspace?.[setting]);
    checkbox.disabled = !canChange;
    form.dataset.loaded = 'true';
  }).catch(() => {
    form.dataset.loaded = 'error';
  });
  return card({ title, description, body: [form], className });
}

/** The "count revenue reported by browsers" setting, with the reason it is off by default. */
function browserRevenueCard() {
  return settingCard({
    setting: 'count_browser_revenue',
    id: 'count-browser-revenue',
    title: 'Revenue from browsers',
    description: 'Whether purchases reported by web pages count towards customers’ lifetime value.',
    label: 'Count revenue reported by browsers',
    reasons: [
      h('p', { text: 'Purchases sent from browsers (tracker.js, or any call with a publishable key) are always stored and show on the customer’s timeline. '
        + 'When this is on, their amounts also count towards lifetime value, orders and average order.' }),
      h('p', { class: 'setting-warning', text: 'Leave it off unless you accept forged revenue: the publishable key sits in your website’s HTML, '
        + 'so anyone can send a purchase of any amount for any customer. Report orders from your server with a secret key instead; those always count.' }),
    ],
    saved: (on) => (on ? 'Browser-reported revenue now counts towards lifetime value.' : 'Browser-reported revenue no longer counts towards lifetime value.'),
    className: 'card-browser-revenue',
  });
}

/** The "link customers to companies by email domain" setting (issue 24). */
function companyLinkCard() {
  return settingCard({
    setting: 'link_customers_by_email_domain',
    id: 'link-customers-by-email-domain',
    title: 'Companies by email domain',
    description: 'Whether new customers join the company of their email’s domain.',
    label: 'Link new customers to companies by email domain',
    reasons: [
      h('p', { text: 'When this is on, a new customer without a company (added here, sent by your servers, a batch import or identify) '
        + 'gets the company whose domain is their email’s: ana@acme.com joins the company with the domain acme.com.' }),
      h('p', { class: 'field-hint', text: 'Free-mail addresses (gmail.com, outlook.com, yahoo.com, gmx, yandex and the like) never link. '
        + 'Customers that exist already keep their company.' }),
    ],
    saved: (on) => (on ? 'New customers now join the company of their email’s domain.' : 'New customers are no longer linked by email domain.'),
    className: 'card-company-links',
  });
}

// #/customers/{id}: the profile. Contact details, value and activity figures, properties,
// segments, its tasks and notes, and the event timeline (newest first, more on demand); Edit, Export (a JSON
// download of everything held about the customer) and Erase (behind a typed confirmation).

import { api } from '../api.js';
import { avatar, h, icon, replace, time } from '../dom.js';
import { navigate } from '../router.js';
import { session } from '../session.js';
import { openDialog } from '../components/dialog.js';
import { alertRegion, field, showErrors, submitting } from '../components/form.js';
import {
  count, dateOnly, money, placeText, relativeTime, segmentBadge, valueText,
} from '../components/format.js';
import { card, emptyState, errorState, loadingState } from '../components/page.js';
import { notesPanel } from '../components/notes-panel.js';
import { members, ownerName } from '../components/owners.js';
import { permitAll } from '../components/permit.js';
import { tasksPanel } from '../components/tasks.js';
import { timelineCard } from '../components/timeline.js';
import { linkedEntriesCard } from '../components/entry-links.js';
import { toast } from '../components/toast.js';
import { customerName, LIST_QUERY_KEY } from './customers.js';
import { tagList } from '../components/list.js';

/** The list's address with its last search, filters and page. */
/** A customer that could not be loaded: "not found" for a 404 (erased, or another
 * workspace's), else the error with a retry that calls `load` again. */
export function showLoadError(error, title, body, load) {
  if (error.handled) return;
  if (error.status === 404) {
    title.textContent = 'Customer not found';
    replace(body, emptyState({
      title: 'This customer does not exist',
      text: 'They may have been erased, or the link belongs to another workspace.',
      iconName: 'customers',
      action: h('a', { class: 'button button-secondary', href: `#${listRoute()}`, text: 'Back to customers' }),
    }));
    return;
  }
  replace(body, errorState(error, () => { replace(body, loadingState('Loading the customer…')); load(); }));
}

export function listRoute() {
  let stored = '';
  try {
    stored = sessionStorage.getItem(LIST_QUERY_KEY) || '';
  } catch {
    stored = '';
  }
  return `/customers${stored ? `?${stored}` : ''}`;
}

export function backLink(label = 'Customers', href = `#${listRoute()}`) {
  return h('a', { class: 'back-link', href }, icon('arrowLeft', 'icon icon-small'), h('span', { text: label }));
}

function metric(label, value, sub = null, testid = null) {
  return h('div', { class: 'metric', dataset: testid ? { metric: testid } : null },
    h('dt', { class: 'metric-label', text: label }),
    h('dd', { class: 'metric-value' }, value),
    sub ? h('dd', { class: 'metric-sub' }, sub) : null);
}

/** One line that explains the prediction: how likely the customer is still active, and how many purchases are expected. */
export function predictionText(c) {
  if (c.expected_purchases === null || c.expected_purchases === undefined) return null;
  const purchases = Number(c.expected_purchases).toFixed(1);
  const alive = c.p_alive === null || c.p_alive === undefined ? null : `${Math.round(Number(c.p_alive) * 100)}% likely still active`;
  const text = [alive, `${purchases} purchases expected in the next 12 months`].filter(Boolean).join(' · ');
  return h('span', { class: 'metric-explain', dataset: { pAlive: c.p_alive ?? '' }, text,
    title: 'Expected spend over 12 months, discounted 1% a month. From the BG/NBD and Gamma-Gamma models fitted to this workspace (see Analytics). Every purchaser has a prediction, one who only bought for 0 too; Gamma-Gamma learns from positive spend only, so a customer without repeat purchases above 0 is given its mean spend per order.' });
}

function muted(text) {
  return h('span', { class: 'muted', text });
}

export function render({ params }) {
  const id = params[0];
  const base = `/v1/customers/${encodeURIComponent(id)}`;
  const title = h('h1', { class: 'page-title', tabindex: '-1', text: 'Customer' });
  const meta = h('ul', { class: 'profile-meta', 'aria-label': 'Contact details' });
  const actions = h('div', { class: 'page-actions profile-actions' });
  const headerAvatar = h('span', { class: 'profile-avatar' });
  const pageAlert = alertRegion();
  const body = h('div', { class: 'profile-body' }, loadingState('Loading the customer…'));
  let customer = null;

  const root = h('div', { class: 'page page-customer' },
    backLink(),
    h('header', { class: 'profile-header' },
      headerAvatar,
      h('div', { class: 'profile-heading' }, title, meta),
      actions),
    pageAlert,
    body);

  async function load() {
    try {
      customer = await api.get(base);
      show(customer);
    } catch (error) {
      showLoadError(error, title, body, load);
    }
  }

  function show(c) {
    const name = customerName(c);
    title.textContent = name;
    document.title = `${name} · Customers · ${session.me?.tenant?.name || 'EnterCRM'} · EnterCRM`;
    replace(headerAvatar, avatar(name, 'xl'));
    const place = placeText(c.city, c.country);
    // The company (linked to its profile) and the owner arrive after the profile.
    const companyItem = c.company_id ? h('li', { class: 'profile-company' }, icon('building', 'icon icon-small'),
      h('a', { class: 'company-link', href: `#/companies/${encodeURIComponent(c.company_id)}`, text: 'Company' })) : null;
    const ownerItem = c.owner_id ? h('li', { class: 'profile-owner' }, icon('user', 'icon icon-small'), h('span', { text: 'Owner' })) : null;
    replace(meta,
      companyItem,
      c.email && c.name ? h('li', {}, icon('mail', 'icon icon-small'), h('span', { class: 'profile-email', text: c.email })) : null,
      c.phone ? h('li', {}, icon('phone', 'icon icon-small'), h('span', { text: c.phone })) : null,
      // The id the workspace's own systems (a Segment userId) know this customer by.
      c.external_id ? h('li', { class: 'profile-external-id', title: 'External id (Segment userId)' }, icon('key', 'icon icon-small'),
        h('span', { class: 'mono', text: c.external_id })) : null,
      place ? h('li', {}, icon('pin', 'icon icon-small'), h('span', { text: place })) : null,
      ownerItem,
      c.tags?.length ? h('li', { class: 'profile-tags' }, tagList(c.tags)) : null);
    if (companyItem) {
      api.get(`/v1/companies/${encodeURIComponent(c.company_id)}`).then((company) => {
        companyItem.querySelector('a').textContent = company.name;
        companyItem.querySelector('a').title = company.domain || company.name;
        for (const cell of root.querySelectorAll('[data-detail="company"]')) {
          replace(cell, h('a', { class: 'company-link', href: `#/companies/${encodeURIComponent(company.id)}`, text: company.name }));
        }
      }).catch(() => {});
    }
    if (ownerItem) {
      members().then((list) => {
        const name = ownerName(c.owner_id, list);
        ownerItem.querySelector('span').textContent = `Owner: ${name}`;
        for (const cell of root.querySelectorAll('[data-detail="owner"]')) cell.textContent = name;
      }).catch(() => {});
    }

    const exportButton = h('button', { type: 'button', class: 'button button-secondary', dataset: { action: 'export' } },
      icon('download'), h('span', { text: 'Export' }));
    exportButton.addEventListener('click', () => exportCustomer(exportButton));
    replace(actions, ...permitAll([
      [h('a', { class: 'button button-secondary', href: `#/customers/${encodeURIComponent(c.id)}/edit`, dataset: { action: 'edit' } },
        icon('edit'), h('span', { text: 'Edit' })), 'PUT /v1/customers/{id}', 'edit customers'],
      [exportButton, 'GET /v1/customers/{id}/export', 'export customers'],
      [h('button', { type: 'button', class: 'button button-ghost-danger', dataset: { action: 'erase' }, onClick: () => openErase() },
        icon('trash'), h('span', { text: 'Erase' })), 'DELETE /v1/customers/{id}', 'erase customers'],
    ]));

    const metrics = h('dl', { class: 'metrics', 'aria-label': 'Value and activity' },
      metric('Lifetime value', money(c.clv_total, { empty: money(0) }), null, 'clv_total'),
      metric('Orders', count(c.clv_order_count, '0'), null, 'orders'),
      metric('Average order', c.clv_average_order === null || c.clv_average_order === undefined ? muted('—') : money(c.clv_average_order), null, 'average'),
      metric('Predicted value', c.clv_predicted === null || c.clv_predicted === undefined ? muted('Not predicted yet') : money(c.clv_predicted),
        predictionText(c), 'clv_predicted'),
      metric('RFM', c.rfm_score === null || c.rfm_score === undefined ? muted('Not scored yet') : String(c.rfm_score),
        c.rfm_segment ? segmentBadge(c.rfm_segment) : null, 'rfm'),
      metric('Events', count(c.events_count, '0'), null, 'events'),
      metric('Last order', dateOnly(c.last_order_at, { empty: 'No orders yet' }),
        c.first_order_at ? h('span', {}, 'First ', dateOnly(c.first_order_at)) : null, 'orders_dates'),
      metric('Last seen', relativeTime(c.last_seen_at), null, 'last_seen'));

    replace(body,
      metrics,
      h('div', { class: 'profile-grid' },
        h('div', { class: 'profile-main' },
          tasksPanel({ subjectType: 'customer', subjectId: c.id }),
          notesPanel({ subjectType: 'customer', subjectId: c.id }),
          timelineCard({
            path: base,
            description: 'Events, page views, notes, tasks, messages, segment entries and exits and automation steps, newest first.',
            emptyText: 'Pageviews and events sent for this customer appear here.',
          })),
        h('div', { class: 'profile-side' }, linkedEntriesCard(`/v1/customers/${c.id}`), propertiesCard(c), segmentsCard(c), detailsCard(c))));
  }

  function propertiesCard(c) {
    const entries = Object.entries(c.properties && typeof c.properties === 'object' ? c.properties : {});
    const content = entries.length
      ? h('table', { class: 'kv-table' },
        h('caption', { class: 'visually-hidden', text: 'Properties' }),
        h('tbody', {}, entries.map(([key, value]) => h('tr', { dataset: { property: key } },
          h('th', { scope: 'row', text: key }),
          h('td', { class: value !== null && typeof value === 'object' ? 'mono' : null, text: valueText(value) })))))
      : h('p', { class: 'muted', text: 'No properties yet. Edit the customer to add some.' });
    return card({ title: 'Properties', body: [content], className: 'card-properties' });
  }

  function segmentsCard(c) {
    const segments = Array.isArray(c.segments) ? c.segments : [];
    const content = segments.length
      ? h('ul', { class: 'badge-list', 'aria-label': 'Segments' }, segments.map((name) => h('li', {}, segmentBadge(name))))
      : h('p', { class: 'muted', text: 'Not in any segment yet.' });
    // The latest entries and exits, from the segments' records.
    const changes = h('ul', { class: 'segment-changes', 'aria-label': 'Segment entries and exits' });
    api.get('/v1/segments/changes', { query: { customer_id: c.id, per_page: 5 } }).then((feed) => {
      replace(changes, (feed.data || []).map((x) => h('li', { dataset: { event: x.event } },
        h('span', { class: 'muted', text: x.event === 'segment_entered' ? 'Entered ' : 'Left ' }),
        h('a', { href: `#/segments/${x.segment_id}`, text: x.segment_name }), ' ', h('span', { class: 'muted' }, dateOnly(x.occurred_at)))));
    }).catch(() => {});
    return card({ title: 'Segments', body: [content, changes], className: 'card-segments' });
  }

  function detailsCard(c) {
    return card({
      title: 'Record',
      className: 'card-record',
      body: [h('dl', { class: 'kv-list' },
        h('div', {}, h('dt', { text: 'Company' }), c.company_id
          ? h('dd', { dataset: { detail: 'company' } }, h('a', { class: 'company-link', href: `#/companies/${encodeURIComponent(c.company_id)}`, text: `Company #${c.company_id}` }))
          : h('dd', { class: 'muted', text: 'None' })),
        h('div', {}, h('dt', { text: 'Owner' }), c.owner_id ? h('dd', { dataset: { detail: 'owner' }, text: `#${c.owner_id}` }) : h('dd', { class: 'muted', text: 'No owner' })),
        h('div', {}, h('dt', { text: 'Customer ID' }), h('dd', { class: 'mono', text: String(c.id) })),
        h('div', {}, h('dt', { text: 'Created' }), h('dd', {}, time(c.created_at))),
        h('div', {}, h('dt', { text: 'Updated' }), h('dd', {}, time(c.updated_at))))],
    });
  }

  // Export --------------------------------------------------------------------------------
  async function exportCustomer(button) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
      const data = await api.get(`${base}/export`);
      const blob = new Blob([`${JSON.stringify(data, null, 2)}\n`], { type: 'application/json' });
      const url = URL.createObjectURL(blob);
      const link = h('a', { href: url, download: `customer-${id}.json`, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 30000);
      toast('The export was downloaded.');
    } catch (error) {
      if (!error.handled) toast(error.message, 'error');
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }

  // Erase ---------------------------------------------------------------------------------
  function openErase() {
    const c = customer;
    const name = customerName(c);
    const email = String(c.email || '').trim();
    const hint = email ? `Type ${email} or ERASE to confirm.` : 'Type ERASE to confirm.';
    const confirmField = field({
      label: 'Confirmation',
      name: 'confirmation',
      autocomplete: 'off',
      spellcheck: 'false',
      autocapitalize: 'off',
      hint,
    });
    const eraseButton = h('button', { type: 'submit', class: 'button button-danger', disabled: true, dataset: { busyLabel: 'Erasing…' } },
      h('span', { text: 'Erase customer' }));
    const form = h('form', { class: 'form', novalidate: true },
      alertRegion(),
      h('div', { class: 'alert alert-warning' }, icon('alert'),
        h('div', { class: 'alert-content' },
          h('p', { class: 'strong', text: 'This cannot be undone.' }),
          h('p', { text: `${name}, their ${count(c.events_count, '0')} event${Number(c.events_count) === 1 ? '' : 's'}, the anonymous history of their browsers and their segment memberships are deleted for good.` }))),
      confirmField,
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'button button-secondary', text: 'Cancel', onClick: () => dialog.close('cancel') }),
        eraseButton));
    const input = form.elements.confirmation;
    const matches = () => {
      const value = input.value.trim();
      return value === 'ERASE' || (email !== '' && value.toLowerCase() === email.toLowerCase());
    };
    input.addEventListener('input', () => { eraseButton.disabled = !matches(); });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!matches()) {
        showErrors(form, { status: 422, message: 'The confirmation does not match.', errors: { confirmation: [hint] } });
        return;
      }
      await submitting(form, async () => {
        const result = await api.del(base);
        dialog.close('done');
        const removed = Number(result?.events_deleted || 0);
        toast(`${name} was erased, with ${count(removed)} event${removed === 1 ? '' : 's'}.`);
        navigate(listRoute());
      });
      if (form.isConnected) eraseButton.disabled = !matches();
    });
    const dialog = openDialog({ title: `Erase ${name}?`, body: [form], size: 'small' });
    dialog.dialog.classList.add('modal-erase');
  }

  load();
  return root;
}

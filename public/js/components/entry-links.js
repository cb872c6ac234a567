// Associations of CRM entries with people (issue 24 part 2): on an entry, the customers and
// companies linked to it, with a search to add one and a button to remove one; on a customer
// or a company, the entries linked to them with their pipeline and stage.

import { api } from '../api.js';
import { h, icon, replace } from '../dom.js';
import { session } from '../session.js';
import { card, errorState, loadingState } from './page.js';
import { toast } from './toast.js';
import { activityChanged } from './timeline.js';

/** What an entry links to: the answer's field of ids, how one is read and shown, and its data attribute. */
const LINKED = {
  customer: {
    field: 'customer_ids', noun: 'customer', load: (id) => api.get(`/v1/customers/${id}`).catch(() => ({ id, name: `Customer ${id}` })),
    href: (id) => `#/customers/${id}`, name: (r) => r.name || r.email || `Customer ${r.id}`, sub: (r) => (r.name && r.email ? r.email : null),
    data: (id) => ({ customerId: String(id) }), iconName: 'customers',
  },
  company: {
    field: 'company_ids', noun: 'company', load: (id) => api.get(`/v1/companies/${id}`).catch(() => ({ id, name: `Company ${id}` })),
    href: (id) => `#/companies/${id}`, name: (r) => r.name || `Company ${r.id}`, sub: (r) => r.domain || null,
    data: (id) => ({ companyId: String(id) }), iconName: 'building',
  },
};

/** The "People" card of an entry at `path` (…/entries/{uid}), whose answer carries customer_ids and company_ids. */
export function linkedPeopleCard({ entry, path }) {
  const canEdit = session.can('PUT /api/brands/{brand}/crm/entries/{entry}/associations');
  const list = h('ul', { class: 'link-list', 'aria-label': 'Linked customers and companies' });
  const body = h('div', { class: 'link-body' }, loadingState('Loading people…'));
  const ids = { customer: [...(entry.customer_ids || [])], company: [...(entry.company_ids || [])] };

  async function save(type, next, message) {
    try {
      const updated = await api.put(`${path}/associations`, { [LINKED[type].field]: next });
      for (const kind of Object.keys(LINKED)) ids[kind] = updated[LINKED[kind].field] || [];
      toast(message);
      activityChanged();
      draw();
    } catch (error) {
      if (!error.handled) toast(error.errors ? Object.values(error.errors).flat().join(' ') : error.message, 'error');
    }
  }

  async function draw() {
    try {
      const rows = await Promise.all(Object.entries(ids).flatMap(([type, list]) => list.map(async (id) => ({ type, record: await LINKED[type].load(id) }))));
      replace(list, rows.map(({ type, record }) => {
        const kind = LINKED[type];
        const name = kind.name(record);
        return h('li', { class: 'link-item', dataset: { type, ...kind.data(record.id) } },
          icon(kind.iconName, 'icon icon-small link-icon'),
          h('a', { href: kind.href(record.id), class: 'link-name', text: name }),
          kind.sub(record) ? h('span', { class: 'muted small link-sub', text: kind.sub(record) }) : null,
          canEdit ? h('button', {
            type: 'button', class: 'icon-button link-remove', 'aria-label': `Unlink ${name}`,
            onClick: () => save(type, ids[type].filter((x) => x !== record.id), 'Unlinked.'),
          }, icon('close', 'icon icon-small')) : null);
      }));
      replace(body, rows.length ? list : h('p', { class: 'muted', text: 'No customer or company is linked to this entry yet.' }), canEdit ? picker() : null);
    } catch (error) {
      if (!error.handled) replace(body, errorState(error, draw));
    }
  }

  function picker() {
    const input = h('input', { type: 'text', class: 'input', name: 'link-customer', autocomplete: 'off', placeholder: 'Link a customer or a company: name, email or domain', 'aria-label': 'Link a customer or a company' });
    const results = h('ul', { class: 'link-results', role: 'listbox', 'aria-label': 'Customers and companies found' });
    let timer = null;
    let generation = 0;
    input.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const q = input.value.trim();
        const mine = ++generation;
        if (!q) { results.replaceChildren(); return; }
        try {
          const found = await api.get('/v1/search', { query: { q, types: 'customer,company', limit: 5 } });
          if (mine !== generation) return;
          replace(results, (found.data || []).filter((hit) => LINKED[hit.type] && !ids[hit.type].includes(hit.id)).map((hit) => h('li', {},
            h('button', {
              type: 'button', class: 'link-result', role: 'option', dataset: { type: hit.type, ...LINKED[hit.type].data(hit.id) },
              onClick: () => { input.value = ''; results.replaceChildren(); save(hit.type, [...ids[hit.type], hit.id], `Linked ${hit.title}.`); },
            }, icon(LINKED[hit.type].iconName, 'icon icon-small link-icon'), h('span', { class: 'link-name', text: hit.title }),
            hit.subtitle ? h('span', { class: 'muted small', text: hit.subtitle }) : null))));
        } catch (error) {
          if (!error.handled) toast(error.message, 'error');
        }
      }, 200);
    });
    return h('div', { class: 'link-picker' }, input, results);
  }

  draw();
  return card({ title: 'People', description: 'Customers and companies this entry is about.', body: [body], className: 'card-links' });
}

/** The "Deals & entries" card of a customer or a company (`path`: /v1/customers/{id}): the entries linked to it. */
export function linkedEntriesCard(path) {
  const body = h('div', {}, loadingState('Loading entries…'));
  async function load() {
    try {
      const result = await api.get(`${path}/entries`, { query: { per_page: 20 } });
      const entries = result?.data || [];
      replace(body, entries.length
        ? h('ul', { class: 'link-list' }, entries.map((e) => h('li', { class: 'link-item', dataset: { entryId: e.id } },
          h('a', { class: 'link-name', href: `#/pipelines/${e.entity?.slug}/entries/${encodeURIComponent(e.id)}`, text: e.title }),
          h('span', { class: 'muted small link-sub', text: [e.entity?.name, e.pipeline?.name].filter(Boolean).join(' · ') }),
          e.stage ? h('span', { class: 'badge badge-neutral link-stage', text: e.stage.name }) : null)))
        : h('p', { class: 'muted', text: 'No deal or other CRM entry is linked yet.' }));
    } catch (error) {
      if (!error.handled) replace(body, errorState(error, load));
    }
  }
  load();
  return card({ title: 'Deals & entries', body: [body], className: 'card-entries' });
}

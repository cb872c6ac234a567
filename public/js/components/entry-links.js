// Associations of CRM entries with people (issue 24 part 2): on an entry, the customers (and
// companies) linked to it, with a search to add one and a button to remove one; on a
// customer, the entries linked to them with their pipeline and stage.

import { api } from '../api.js';
import { h, icon, replace } from '../dom.js';
import { session } from '../session.js';
import { card, errorState, loadingState } from './page.js';
import { toast } from './toast.js';
import { activityChanged } from './timeline.js';

/** The "People" card of an entry at `path` (…/entries/{uid}), whose answer carries customer_ids. */
export function linkedPeopleCard({ entry, path }) {
  const canEdit = session.can('PUT /api/brands/{brand}/crm/entries/{entry}/associations');
  const list = h('ul', { class: 'link-list', 'aria-label': 'Linked customers' });
  const body = h('div', { class: 'link-body' }, loadingState('Loading people…'));
  let ids = [...(entry.customer_ids || [])];

  async function save(next, message) {
    try {
      const updated = await api.put(`${path}/associations`, { customer_ids: next });
      ids = updated.customer_ids || [];
      toast(message);
      activityChanged();
      draw();
    } catch (error) {
      if (!error.handled) toast(error.errors ? Object.values(error.errors).flat().join(' ') : error.message, 'error');
    }
  }

  async function draw() {
    try {
      const people = await Promise.all(ids.map((id) => api.get(`/v1/customers/${id}`).catch(() => ({ id, name: `Customer ${id}` }))));
      replace(list, people.map((p) => h('li', { class: 'link-item', dataset: { customerId: String(p.id) } },
        h('a', { href: `#/customers/${p.id}`, class: 'link-name', text: p.name || p.email || `Customer ${p.id}` }),
        p.name && p.email ? h('span', { class: 'muted small link-sub', text: p.email }) : null,
        canEdit ? h('button', {
          type: 'button', class: 'icon-button link-remove', 'aria-label': `Unlink ${p.name || p.email || p.id}`,
          onClick: () => save(ids.filter((x) => x !== p.id), 'Unlinked.'),
        }, icon('close', 'icon icon-small')) : null)));
      replace(body, ids.length ? list : h('p', { class: 'muted', text: 'No customer is linked to this entry yet.' }), canEdit ? picker() : null);
    } catch (error) {
      if (!error.handled) replace(body, errorState(error, draw));
    }
  }

  function picker() {
    const input = h('input', { type: 'text', class: 'input', name: 'link-customer', autocomplete: 'off', placeholder: 'Link a customer: name or email', 'aria-label': 'Link a customer' });
    const results = h('ul', { class: 'link-results', role: 'listbox', 'aria-label': 'Customers found' });
    let timer = null;
    let generation = 0;
    input.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const q = input.value.trim();
        const mine = ++generation;
        if (!q) { results.replaceChildren(); return; }
        try {
          const found = await api.get('/v1/search', { query: { q, types: 'customer', limit: 5 } });
          if (mine !== generation) return;
          replace(results, (found.data || []).filter((hit) => !ids.includes(hit.id)).map((hit) => h('li', {},
            h('button', {
              type: 'button', class: 'link-result', role: 'option', dataset: { customerId: String(hit.id) },
              onClick: () => { input.value = ''; results.replaceChildren(); save([...ids, hit.id], `Linked ${hit.title}.`); },
            }, h('span', { class: 'link-name', text: hit.title }), hit.subtitle ? h('span', { class: 'muted small', text: hit.subtitle }) : null))));
        } catch (error) {
          if (!error.handled) toast(error.message, 'error');
        }
      }, 200);
    });
    return h('div', { class: 'link-picker' }, input, results);
  }

  draw();
  return card({ title: 'People', description: 'Customers this entry is about.', body: [body], className: 'card-links' });
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

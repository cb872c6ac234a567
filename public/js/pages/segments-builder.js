// #/segments/new and #/segments/{id}/edit: the segment's name and colour, and its filters
// in the visual filter builder (components/filter-builder.js). Every edit asks the server
// for a live count and sample (POST /v1/segments/preview), without saving.

import { api } from '../api.js';
import { h, icon, replace } from '../dom.js';
import { filterBuilder } from '../components/filter-builder.js';
import { count, money } from '../components/format.js';
import { alertRegion, field, submitting, validate } from '../components/form.js';
import { trackUnsaved } from '../components/unsaved.js';
import { card, errorState, loadingState, pageHeader, tableWrap } from '../components/page.js';
import { toast } from '../components/toast.js';
import { navigate } from '../router.js';
import { segmentStyles } from './segments.js';

export function render({ params }) {
  segmentStyles();
  const id = params[0] ? Number(params[0]) : null;
  const body = h('div', {}, loadingState());
  const root = h('div', { class: 'page page-segment-builder' },
    pageHeader({ title: id ? 'Edit segment' : 'New segment', description: 'Combine conditions; the count updates as you edit.' }),
    body);

  (async () => {
    try {
      const [segment, list] = await Promise.all([
        id ? api.get(`/v1/segments/${id}`, { query: { per_page: 1 } }) : Promise.resolve(null),
        api.get('/v1/segments', { query: { per_page: 100 } }),
      ]);
      replace(body, builder(segment, list.data.filter((s) => s.id !== id)));
    } catch (error) {
      replace(body, errorState(error));
    }
  })();
  return root;
}

function builder(segment, others) {
  const alert = alertRegion();
  const nameField = field({ label: 'Name', name: 'name', maxlength: '120', required: true, value: segment?.name || '', autocomplete: 'off' });
  const descriptionField = field({ label: 'Description', name: 'description', maxlength: '500', value: segment?.description || '' });
  const colorField = field({ label: 'Colour', name: 'color', type: 'color', value: segment?.color && segment.color.length === 7 ? segment.color : '#60a5fa' });
  colorField.classList.add('field-color');
  const nameInput = nameField.querySelector('input');
  const descriptionInput = descriptionField.querySelector('input');
  const colorInput = colorField.querySelector('input');
  const jsonView = h('pre', { class: 'builder-json mono', 'aria-label': 'Filter document' });
  const countView = h('p', { class: 'preview-count', 'aria-live': 'polite', text: '—' });
  const sampleView = h('div', { class: 'preview-sample' });
  const previewError = h('div', { class: 'preview-error' });
  const saveButton = h('button', { type: 'submit', class: 'button button-primary', text: segment ? 'Save changes' : 'Save segment', dataset: { busyLabel: 'Saving…' } });

  let timer = null;
  let sequence = 0;
  function changed(json) {
    jsonView.textContent = JSON.stringify(json, null, 2);
    clearTimeout(timer);
    timer = setTimeout(() => preview(json), 300);
  }

  async function preview(json) {
    const mine = ++sequence;
    countView.classList.add('is-loading');
    try {
      const result = await api.post('/v1/segments/preview', { filters: json, limit: 8 });
      if (mine !== sequence) return;
      countView.textContent = count(result.customers_count, '0');
      countView.dataset.count = String(result.customers_count);
      replace(previewError);
      replace(sampleView, result.customers.length ? sample(result.customers) : h('p', { class: 'muted', text: 'No customer matches.' }));
    } catch (error) {
      if (mine !== sequence) return;
      countView.textContent = '—';
      delete countView.dataset.count;
      const lines = Object.entries(error.errors || {}).map(([field, messages]) => `${field}: ${[].concat(messages).join(' ')}`);
      replace(previewError, h('div', { class: 'alert alert-error', role: 'alert' }, icon('alert'),
        h('div', { class: 'alert-content' }, h('p', { text: error.message }), lines.map((line) => h('p', { class: 'mono', text: line })))));
    } finally {
      if (mine === sequence) countView.classList.remove('is-loading');
    }
  }

  const filters = filterBuilder({ filters: segment ? segment.filters : null, segments: others, onChange: changed });
  const form = h('form', { class: 'segment-form', novalidate: true },
    alert,
    h('div', { class: 'form-row segment-meta' },
      nameField, descriptionField, colorField),
    filters.element,
    h('details', { class: 'builder-json-details' }, h('summary', { text: 'Filter document (JSON)' }), jsonView),
    h('div', { class: 'form-actions' },
      h('a', { class: 'button button-secondary', href: segment ? `#/segments/${segment.id}` : '#/segments', text: 'Cancel' }),
      saveButton));

  // Unsaved: the three fields and the filter document, against those at load and save.
  const unsaved = trackUnsaved(form, { read: () => JSON.stringify([nameInput.value, descriptionInput.value, colorInput.value, filters.json()]) });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!validate(form, () => ({ name: nameInput.value.trim() ? null : 'Give the segment a name.' }))) return;
    const payload = { name: nameInput.value.trim(), description: descriptionInput.value.trim(), color: colorInput.value, filters: filters.json() };
    // The API's field errors go beside their fields (filter errors, with no field here, in the alert).
    submitting(form, async () => {
      const saved = segment ? await api.put(`/v1/segments/${segment.id}`, payload) : await api.post('/v1/segments', payload);
      toast(segment ? 'Segment saved. Its members are being rebuilt.' : 'Segment created.', 'success');
      unsaved.markClean();
      navigate(`/segments/${saved.id}`);
    });
  });

  changed(filters.json());
  return h('div', { class: 'builder-layout' },
    card({ title: 'Definition', body: [form], className: 'card-builder' }),
    card({ title: 'Matching customers', description: 'Live, from the current data.', body: [countView, previewError, sampleView], className: 'card-preview' }));
}

function sample(customers) {
  return tableWrap(h('table', { class: 'table table-compact' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Customer' }), h('th', { scope: 'col', class: 'num', text: 'Spent' }))),
    h('tbody', {}, customers.map((c) => h('tr', {},
      h('td', {}, h('a', { href: `#/customers/${c.id}`, text: c.name || c.email || `#${c.id}` })),
      h('td', { class: 'num', text: money(c.clv_total) }))))), 'Sample of matching customers');
}

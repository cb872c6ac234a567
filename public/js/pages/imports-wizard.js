// #/imports/new and #/imports/{id}: the import wizard. 1 upload the file (a progress bar while
// it is sent), 2 map its columns to fields (the first rows shown as they will be stored), 3 a
// dry run's result (every row checked, nothing written), 4 the run with a live progress bar.
// An import's page opens at the step its status is at, so a reload or a link resumes it.

import { api, ApiError, getToken } from '../api.js';
import { h, icon, replace } from '../dom.js';
import { count } from '../components/format.js';
import { field, showErrors } from '../components/form.js';
import { errorState, loadingState, pageHeader } from '../components/page.js';
import { toast } from '../components/toast.js';
import { navigate } from '../router.js';
import { session } from '../session.js';
import { errorsLink, importStyles, statusBadge, targetLabel } from './imports.js';

const STEPS = ['Upload', 'Map columns', 'Check', 'Import'];
const FIELD_LABELS = { email: 'Email', name: 'Name', first_name: 'First name', last_name: 'Last name', phone: 'Phone', city: 'City',
  country: 'Country', company: 'Company (by name or domain)', domain: 'Domain', industry: 'Industry', size: 'Size',
  title: 'Title', stage: 'Stage (name)', reference_id: 'Reference id' };

function fieldLabel(name) {
  if (name.startsWith('values.')) return `Field: ${name.slice(7)}`;
  if (name.startsWith('properties.')) return `Property: ${name.slice(11)}`;
  return FIELD_LABELS[name] || name;
}

function stepper(active) {
  return h('ol', { class: 'import-steps', 'aria-label': 'Import steps' }, ...STEPS.map((label, i) =>
    h('li', { class: ['import-step', i === active && 'is-active', i < active && 'is-done'], 'aria-current': i === active ? 'step' : null },
      h('span', { class: 'import-step-number', text: String(i + 1) }), h('span', { class: 'import-step-label', text: label }))));
}

function progressBar(value, label) {
  const bar = h('span', { class: 'progress-bar' });
  bar.style.width = `${Math.max(0, Math.min(100, value))}%`;
  return h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100',
    'aria-valuenow': String(Math.round(value)), 'aria-label': label }, bar);
}

function figures(item) {
  const cell = (label, value, tone) => h('div', { class: ['import-figure', tone && `import-figure-${tone}`] },
    h('span', { class: 'import-figure-value', text: count(value, '0') }), h('span', { class: 'import-figure-label', text: label }));
  return h('div', { class: 'import-figures', dataset: { counts: 'true' } },
    cell('Created', item.created, 'success'), cell('Updated', item.updated), cell('Unchanged', item.unchanged),
    cell('Skipped', item.skipped), cell('Failed', item.failed, item.failed ? 'danger' : null));
}

/** Sends the file with XMLHttpRequest (fetch cannot report upload progress). */
function send(file, target, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/v1/imports?target=${encodeURIComponent(target)}&filename=${encodeURIComponent(file.name)}`);
    xhr.setRequestHeader('Authorization', `Bearer ${getToken()}`);
    xhr.setRequestHeader('Content-Type', 'text/csv');
    xhr.upload.addEventListener('progress', (event) => event.lengthComputable && onProgress(100 * event.loaded / event.total));
    xhr.addEventListener('load', () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { body = null; }
      if (xhr.status === 201) resolve(body);
      else reject(new ApiError(xhr.status, body?.message || `The upload failed (${xhr.status}).`, body?.errors));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'Could not reach the server. Check your connection and try again.')));
    xhr.send(file);
  });
}

export function render({ query, params }) {
  importStyles();
  const id = params?.[0];
  const body = h('div', { class: 'import-wizard' }, loadingState('Loading…'));
  const root = h('div', { class: 'page page-import-wizard' },
    pageHeader({ title: id ? 'Import' : 'New import', eyebrow: 'Imports',
      description: 'Rows go through the same checks as the API: a row that fails is reported with its line, and the rest are imported.',
      actions: [h('a', { class: 'button button-secondary', href: '#/imports', text: 'All imports' })] }),
    body);
  let timer = null;
  const entities = {};

  async function entityOptions() {
    try {
      const result = await api.get(`/api/brands/${encodeURIComponent(session.me.tenant.id)}/crm/entities`);
      for (const entity of result?.data || result || []) entities[entity.id] = `${entity.name} (entries)`;
    } catch { /* entities are optional */ }
    return Object.entries(entities).map(([value, label]) => ({ value: `entity:${value}`, label }));
  }

  async function uploadStep() {
    const options = [{ value: 'customers', label: 'Customers' }, { value: 'companies', label: 'Companies' }, ...await entityOptions()];
    const wanted = query?.get('target') || 'customers';
    const form = h('form', { class: 'form import-upload', novalidate: true },
      field({ label: 'Import into', name: 'target', type: 'select', options, value: options.some((o) => o.value === wanted) ? wanted : 'customers' }),
      field({ label: 'CSV file', name: 'file', type: 'file', accept: '.csv,.tsv,.txt,text/csv',
        hint: 'UTF-8 (with or without BOM), UTF-16 or Windows-1252; comma, semicolon or tab; the first line names the columns. Up to 1 GB.' }));
    const progress = h('div', { class: 'import-upload-progress', hidden: true });
    const submit = h('button', { type: 'submit', class: 'button button-primary', dataset: { action: 'upload' } }, icon('upload'), h('span', { text: 'Upload' }));
    form.append(h('div', { class: 'form-actions' }, submit), progress);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const file = form.elements.file.files[0];
      if (!file) {
        showErrors(form, new ApiError(422, 'Choose a file.', { file: ['Choose the CSV file to import.'] }));
        return;
      }
      submit.disabled = true;
      progress.hidden = false;
      const show = (value) => replace(progress, progressBar(value, 'Upload progress'), h('span', { class: 'muted small', text: `Uploading ${file.name}: ${Math.round(value)} %` }));
      show(0);
      try {
        const item = await send(file, form.elements.target.value, show);
        navigate(`/imports/${item.id}`);
      } catch (error) {
        progress.hidden = true;
        submit.disabled = false;
        showErrors(form, error);
      }
    });
    replace(body, stepper(0), h('section', { class: 'card import-card' }, form));
  }

  function previewTable(item) {
    const records = (item.preview_records || []).slice(0, 5);
    const keys = [...new Set(records.flatMap((r) => Object.keys(r)))];
    const text = (value) => (value && typeof value === 'object' ? Object.entries(value).map(([k, v]) => `${k}: ${v}`).join(', ') : String(value ?? ''));
    return h('div', { class: 'table-wrap import-preview' }, h('table', { class: 'table' },
      h('caption', { class: 'muted small', text: 'The first rows as they will be stored' }),
      h('thead', {}, h('tr', {}, ...keys.map((k) => h('th', { scope: 'col', text: k })))),
      h('tbody', {}, ...records.map((r) => h('tr', {}, ...keys.map((k) => h('td', { text: text(r[k]) })))))));
  }

  function mappingStep(item) {
    const mapping = [...item.mapping];
    const preview = h('div', {}, previewTable(item));
    const alert = h('div', { class: 'form-alert', role: 'alert', hidden: true });
    const selects = item.header.map((column, index) => {
      const own = `properties.${column.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '_').replace(/^_|_$/g, '') || 'column'}`;
      const choices = [{ value: '', label: 'Skip this column' }, ...item.fields.map((f) => ({ value: f, label: fieldLabel(f) }))];
      if (!item.target.startsWith('entity:')) choices.push({ value: mapping[index]?.startsWith('properties.') ? mapping[index] : own, label: `Property: ${column}` });
      const select = h('select', { class: 'input', name: `mapping-${index}`, 'aria-label': `Field for column ${column}` },
        ...choices.map((c) => h('option', { value: c.value, text: c.label })));
      select.value = mapping[index] || '';
      select.addEventListener('change', () => { mapping[index] = select.value || null; save(); });
      return select;
    });
    const keep = h('input', { type: 'checkbox', name: 'keep', checked: mapping.some((m) => m?.startsWith('properties.')) });
    keep.addEventListener('change', () => {
      selects.forEach((select, index) => {
        const property = [...select.options].find((o) => o.value.startsWith('properties.'));
        if (!property) return;
        if (!keep.checked && select.value.startsWith('properties.')) select.value = '';
        if (keep.checked && !select.value && !item.fields.includes(item.mapping[index])) select.value = property.value;
        mapping[index] = select.value || null;
      });
      save();
    });
    const mode = field({ label: 'When a record exists', name: 'mode', type: 'select', value: item.mode, options: [
      { value: 'upsert', label: `Update it, create the others (by ${item.key_field})` },
      { value: 'create', label: 'Skip it, only create new ones' },
      { value: 'update', label: `Update it, create nothing (by ${item.key_field})` }] });
    const settings = h('form', { class: 'form import-settings', novalidate: true }, mode);
    settings.elements.mode.addEventListener('change', save);

    async function save() {
      alert.hidden = true;
      try {
        const updated = await api.put(`/v1/imports/${item.id}`, { mapping, mode: settings.elements.mode.value });
        replace(preview, previewTable(updated));
        return true;
      } catch (error) {
        alert.hidden = false;
        alert.textContent = [error.message, ...Object.values(error.errors || {}).flat()].join(' ');
        return false;
      }
    }

    const check = h('button', { type: 'button', class: 'button button-primary', dataset: { action: 'dry-run' } }, icon('check'), h('span', { text: 'Check every row (dry run)' }));
    check.addEventListener('click', async () => {
      check.disabled = true;
      if (await save()) await start({ dry_run: true });
      check.disabled = false;
    });
    replace(body, stepper(1), h('section', { class: 'card import-card' },
      h('p', { class: 'import-file muted', text: `${item.file_name || 'File'} · ${targetLabel(item.target, entities)} · ${item.encoding}${item.bom ? ' with BOM' : ''} · ${item.delimiter} separated · ${item.header.length} columns` }),
      h('div', { class: 'table-wrap' }, h('table', { class: 'table import-mapping' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Column' }), h('th', { scope: 'col', text: 'First value' }), h('th', { scope: 'col', text: 'Field' }))),
        h('tbody', {}, ...item.header.map((column, index) => h('tr', {},
          h('th', { scope: 'row', text: column }), h('td', { class: 'muted', text: item.preview?.[0]?.[index] ?? '' }), h('td', {}, selects[index])))))),
      item.target.startsWith('entity:') ? null : h('label', { class: 'checkbox import-keep' }, keep, h('span', { text: ' Keep the other columns as properties' })),
      settings, preview, alert, h('div', { class: 'form-actions' }, check)));
  }

  async function start(settings) {
    try {
      await api.put(`/v1/imports/${id}`, settings);
      await api.post(`/v1/imports/${id}/start`);
      load();
    } catch (error) {
      toast(error.message, 'error');
    }
  }

  function checkStep(item) {
    const run = h('button', { type: 'button', class: 'button button-primary', dataset: { action: 'run' } }, icon('upload'),
      h('span', { text: `Import ${count(item.rows_total - item.failed, '0')} rows` }));
    run.addEventListener('click', () => { run.disabled = true; start({ dry_run: false }); });
    const back = h('button', { type: 'button', class: 'button button-secondary', dataset: { action: 'back' }, text: 'Change the mapping' });
    back.addEventListener('click', () => mappingStep(item));
    replace(body, stepper(2), h('section', { class: 'card import-card' },
      h('h2', { class: 'import-result-title', text: `Dry run: ${count(item.rows_total, '0')} rows checked, nothing written` }),
      figures(item), h('p', {}, errorsLink(item)),
      h('div', { class: 'form-actions' }, back, run)));
  }

  function runStep(item) {
    const running = item.status === 'queued' || item.status === 'running';
    const percent = item.rows_total ? 100 * item.rows_done / item.rows_total : (item.status === 'done' ? 100 : 0);
    const speed = item.rows_per_second ? `${count(Math.round(item.rows_per_second))} rows a second` : '';
    const eta = item.eta_seconds != null && running ? ` · about ${item.eta_seconds} s left` : '';
    const cancel = h('button', { type: 'button', class: 'button button-secondary', dataset: { action: 'cancel' }, text: 'Cancel' });
    cancel.addEventListener('click', async () => {
      cancel.disabled = true;
      await api.post(`/v1/imports/${item.id}/cancel`).catch((error) => toast(error.message, 'error'));
      load();
    });
    const done = h('a', { class: 'button button-primary', href: item.target === 'companies' ? '#/companies' : item.target === 'customers' ? '#/customers' : '#/pipelines', text: 'See the records' });
    replace(body, stepper(item.dry_run ? 2 : 3), h('section', { class: 'card import-card' },
      h('div', { class: 'progress-head' }, statusBadge(item.status),
        h('span', { class: 'muted small import-progress-text', text: `${count(item.rows_done, '0')} of ${count(item.rows_total, '?')} rows${speed ? ` · ${speed}` : ''}${eta}` })),
      progressBar(percent, 'Import progress'),
      figures(item), item.error ? h('p', { class: 'form-alert', role: 'alert', text: item.error }) : null,
      h('p', {}, errorsLink(item)),
      h('div', { class: 'form-actions' }, running ? cancel : done)));
  }

  async function load() {
    clearTimeout(timer);
    if (!id) return uploadStep();
    try {
      if (!Object.keys(entities).length) await entityOptions();
      const item = await api.get(`/v1/imports/${id}`);
      if (item.status === 'uploaded') mappingStep(item);
      else if (item.dry_run && item.status === 'done') checkStep(item);
      else runStep(item);
      if (item.status === 'queued' || item.status === 'running') timer = setTimeout(() => document.contains(root) && load(), 1000);
    } catch (error) {
      replace(body, errorState(error, load));
    }
  }

  load();
  return root;
}

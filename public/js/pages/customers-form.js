// #/customers/new and #/customers/{id}/edit: the contact fields and free-form properties
// (rows of name, type and value). Editing sends only what changed; a removed property is
// sent as null, which the API's merge takes as "delete". The API's 422 field errors show
// beside their fields.

import { api } from '../api.js';
import { h, icon, replace, uid } from '../dom.js';
import { navigate } from '../router.js';
import { session } from '../session.js';
import { companyField, pickedCompany } from '../components/company-picker.js';
import { alertRegion, clearErrors, field, showAlert, showErrors, submitting, values } from '../components/form.js';
import { ownerField } from '../components/owners.js';
import { loadingState } from '../components/page.js';
import { toast } from '../components/toast.js';
import { trackUnsaved } from '../components/unsaved.js';
import { customerName } from './customers.js';
import { backLink, listRoute, showLoadError } from './customers-profile.js';
import { parseTags, sameTags, tagsField, tagsText } from '../components/tags.js';

const CONTACT_FIELDS = ['name', 'email', 'phone', 'city', 'country'];
const TYPES = [
  { value: 'text', label: 'Text' },
  { value: 'number', label: 'Number' },
  { value: 'boolean', label: 'Yes / no' },
  { value: 'json', label: 'JSON' },
];

function typeOfValue(value) {
  if (typeof value === 'string') return 'text';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'boolean';
  return 'json';
}

function editText(value, type) {
  if (type === 'text') return value;
  if (type === 'number') return String(value);
  if (type === 'boolean') return value ? 'true' : 'false';
  return JSON.stringify(value);
}

function sameValue(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function render({ params }) {
  const id = params[0] || null;
  const editing = id !== null;
  const title = h('h1', { class: 'page-title', tabindex: '-1', text: editing ? 'Edit customer' : 'New customer' });
  const profileHref = editing ? `#/customers/${encodeURIComponent(id)}` : null;
  const body = h('div', { class: 'customer-form-body' }, editing ? loadingState('Loading the customer…') : null);
  let original = null;
  let rowCounter = 0;

  const root = h('div', { class: 'page page-customer-form' },
    editing ? backLink('Back to the customer', profileHref) : backLink(),
    h('header', { class: 'page-header' },
      h('div', { class: 'page-header-text' },
        title,
        h('p', { class: 'page-description', text: editing
          ? 'Change the contact details and properties. Only what you change is saved.'
          : 'Add a customer by hand. Customers are also created when your website or servers send an event with a new email.' }))),
    body);

  // Properties ----------------------------------------------------------------------------
  const rows = h('div', { class: 'property-rows' });
  const propertiesHintId = uid('properties-hint');
  const addButton = h('button', { type: 'button', class: 'button button-secondary button-small', dataset: { action: 'add-property' } },
    icon('plus'), h('span', { text: 'Add property' }));
  const emptyNote = h('p', { class: 'muted small property-empty', text: 'No properties.' });
  const propertiesField = h('div', { class: 'field field-properties', dataset: { field: 'properties' }, role: 'group', 'aria-labelledby': `${propertiesHintId}-label`, 'aria-describedby': propertiesHintId },
    h('p', { class: 'field-label', id: `${propertiesHintId}-label`, text: 'Properties' }),
    h('p', { class: 'field-hint', id: propertiesHintId, text: 'Free-form details, such as plan or loyalty tier. Segments and automations can use them.' }),
    emptyNote,
    rows,
    h('p', { class: 'field-error', hidden: true }),
    h('div', {}, addButton));
  addButton.addEventListener('click', () => {
    const row = propertyRow();
    row.querySelector('.property-key').focus();
  });

  function renumber() {
    const all = [...rows.querySelectorAll('.property-row')];
    all.forEach((row, index) => {
      const n = index + 1;
      row.querySelector('.property-key').setAttribute('aria-label', `Property ${n} name`);
      row.querySelector('.property-type').setAttribute('aria-label', `Property ${n} type`);
      row.querySelector('.property-value').setAttribute('aria-label', `Property ${n} value`);
      row.querySelector('.property-remove').setAttribute('aria-label', `Remove property ${n}`);
    });
    emptyNote.hidden = all.length > 0;
  }

  function valueControl(type, text) {
    if (type === 'boolean') {
      return h('select', { class: 'property-value' },
        h('option', { value: 'true', text: 'Yes (true)', selected: text === 'true' }),
        h('option', { value: 'false', text: 'No (false)', selected: text === 'false' }));
    }
    return h('input', {
      class: ['property-value', type === 'json' && 'mono'],
      type: 'text',
      value: text,
      inputmode: type === 'number' ? 'decimal' : null,
      autocomplete: 'off',
      spellcheck: 'false',
      placeholder: type === 'json' ? '{"key": "value"}' : type === 'number' ? '0' : 'Value',
    });
  }

  function propertyRow({ key = '', type = 'text', text = '' } = {}) {
    rowCounter += 1;
    const keyInput = h('input', { class: 'property-key', type: 'text', value: key, maxlength: 120, autocomplete: 'off', spellcheck: 'false', placeholder: 'Name' });
    const typeSelect = h('select', { class: 'property-type' }, TYPES.map((option) => h('option', { value: option.value, text: option.label, selected: option.value === type })));
    let value = valueControl(type, text);
    const slot = h('div', { class: 'property-value-slot' }, value);
    const remove = h('button', { type: 'button', class: 'icon-button property-remove', title: 'Remove' }, icon('trash'));
    const row = h('div', { class: 'property-row', dataset: { row: String(rowCounter) } }, keyInput, typeSelect, slot, remove);
    typeSelect.addEventListener('change', () => {
      const previous = value.value;
      const next = typeSelect.value === 'boolean' ? (previous === 'false' ? 'false' : 'true') : previous;
      value = valueControl(typeSelect.value, next);
      slot.replaceChildren(value);
    });
    remove.addEventListener('click', () => {
      const all = [...rows.querySelectorAll('.property-row')];
      const index = all.indexOf(row);
      row.remove();
      renumber();
      const rest = [...rows.querySelectorAll('.property-row')];
      const next = rest[Math.min(index, rest.length - 1)];
      (next ? next.querySelector('.property-remove') : addButton).focus();
    });
    rows.append(row);
    renumber();
    return row;
  }

  function markRow(control, message) {
    control.setAttribute('aria-invalid', 'true');
    const error = propertiesField.querySelector(':scope > .field-error');
    error.textContent = message;
    error.hidden = false;
    propertiesField.classList.add('has-error');
    control.focus();
  }

  /** The properties the rows hold, or null after marking the first problem. */
  function readProperties() {
    const result = {};
    for (const row of rows.querySelectorAll('.property-row')) {
      const keyInput = row.querySelector('.property-key');
      const type = row.querySelector('.property-type').value;
      const valueInput = row.querySelector('.property-value');
      const key = keyInput.value.trim();
      const text = type === 'text' ? valueInput.value : valueInput.value.trim();
      if (!key && !text) continue;
      if (!key) {
        markRow(keyInput, 'Give every property a name.');
        return null;
      }
      if (Object.prototype.hasOwnProperty.call(result, key)) {
        markRow(keyInput, `There are two properties named “${key}”.`);
        return null;
      }
      if (type === 'number') {
        const number = Number(text);
        if (text === '' || !Number.isFinite(number)) {
          markRow(valueInput, `The value of “${key}” must be a number.`);
          return null;
        }
        result[key] = number;
      } else if (type === 'boolean') {
        result[key] = text === 'true';
      } else if (type === 'json') {
        try {
          result[key] = JSON.parse(text);
        } catch {
          markRow(valueInput, `The value of “${key}” is not valid JSON.`);
          return null;
        }
      } else {
        result[key] = text;
      }
    }
    return result;
  }

  // The form --------------------------------------------------------------------------------
  const form = h('form', { class: 'form customer-form', novalidate: true, 'aria-label': editing ? 'Edit customer' : 'New customer' },
    alertRegion(),
    h('div', { class: 'form-grid' },
      field({ label: 'Name', name: 'name', maxlength: 190, autocomplete: 'off' }),
      field({ label: 'Email', name: 'email', type: 'email', maxlength: 190, autocomplete: 'off', spellcheck: 'false', hint: 'A customer needs an email or a name. Emails are unique in the workspace.' }),
      field({ label: 'Phone', name: 'phone', type: 'tel', optional: true, maxlength: 40, autocomplete: 'off', placeholder: '+385 91 123 4567' }),
      field({ label: 'City', name: 'city', optional: true, maxlength: 120, autocomplete: 'off' }),
      field({ label: 'Country', name: 'country', optional: true, maxlength: 64, autocomplete: 'off', hint: 'A two-letter code such as HR is best.' }),
      companyField(),
      ownerField(),
      tagsField([])),
    propertiesField,
    h('div', { class: 'form-actions' },
      h('a', { class: 'button button-secondary', href: profileHref || `#${listRoute()}`, text: 'Cancel' }),
      h('button', { type: 'submit', class: 'button button-primary', text: editing ? 'Save changes' : 'Create customer', dataset: { busyLabel: 'Saving…' } })));

  // Unsaved: the contact fields and the properties that hold something (an empty row added is no change).
  const unsaved = trackUnsaved(form, { read: () => JSON.stringify([
    CONTACT_FIELDS.map((name) => form.elements[name]?.value ?? ''),
    form.elements.tags?.value ?? '',
    [form.querySelector('[data-company-input]')?.value ?? '', form.elements.owner_id?.value ?? ''],
    [...rows.querySelectorAll('.property-row')]
      .map((row) => [row.querySelector('.property-key').value, row.querySelector('.property-type').value, row.querySelector('.property-value').value])
      .filter(([key, , value]) => key.trim() || value.trim()),
  ]) });

  function fill(customer, company) {
    for (const name of CONTACT_FIELDS) form.elements[name].value = customer[name] ?? '';
    form.elements.tags.value = tagsText(customer.tags);
    // The pickers are made again with the customer's company and owner chosen.
    form.querySelector('.field[data-field="company_id"]').replaceWith(
      companyField({ company: company || (customer.company_id ? { id: customer.company_id, name: `Company #${customer.company_id}` } : null) }));
    form.querySelector('.field[data-field="owner_id"]').replaceWith(ownerField({ value: customer.owner_id ?? null }));
    rows.replaceChildren();
    for (const [key, value] of Object.entries(customer.properties || {})) {
      const type = typeOfValue(value);
      propertyRow({ key, type, text: editText(value, type) });
    }
    renumber();
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    for (const control of rows.querySelectorAll('[aria-invalid]')) control.removeAttribute('aria-invalid');
    const data = values(form);
    // The browser's own checks (the email's form) first.
    const email = form.elements.email;
    if (data.email && !email.checkValidity()) {
      showErrors(form, { status: 422, message: 'Please correct the highlighted field.', errors: { email: ['Enter a valid email address.'] } });
      return;
    }
    if (!data.name && !data.email) {
      showErrors(form, { status: 422, message: 'Please correct the highlighted field.', errors: { name: ['Give the customer a name or an email.'] } });
      return;
    }
    const picked = pickedCompany(form);
    if (!picked.ok) {
      showErrors(form, { status: 422, message: 'Please correct the highlighted field.', errors: { company_id: ['Choose a company from the suggestions, or clear the box.'] } });
      return;
    }
    const owner = data.owner_id ? Number(data.owner_id) : null;
    const properties = readProperties();
    if (properties === null) {
      showAlert(form.querySelector('.alert'), 'Please correct the highlighted property.');
      return;
    }

    let request;
    if (editing) {
      const changes = {};
      for (const name of CONTACT_FIELDS) {
        const before = original[name] ?? '';
        if (data[name] !== before) changes[name] = data[name] === '' ? null : data[name];
      }
      const patch = {};
      const previous = original.properties || {};
      for (const key of Object.keys(previous)) {
        if (!Object.prototype.hasOwnProperty.call(properties, key)) patch[key] = null;
      }
      for (const [key, value] of Object.entries(properties)) {
        if (!Object.prototype.hasOwnProperty.call(previous, key) || !sameValue(previous[key], value)) patch[key] = value;
      }
      if (Object.keys(patch).length) changes.properties = patch;
      if (picked.id !== (original.company_id ?? null)) changes.company_id = picked.id;
      if (owner !== (original.owner_id ?? null)) changes.owner_id = owner;
      if (!sameTags(parseTags(data.tags), original.tags)) changes.tags = parseTags(data.tags);
      if (!Object.keys(changes).length) {
        toast('Nothing changed.', 'info');
        unsaved.markClean();
        navigate(`/customers/${encodeURIComponent(id)}`);
        return;
      }
      request = () => api.put(`/v1/customers/${encodeURIComponent(id)}`, changes);
    } else {
      const created = {};
      for (const name of CONTACT_FIELDS) if (data[name]) created[name] = data[name];
      if (Object.keys(properties).length) created.properties = properties;
      if (picked.id) created.company_id = picked.id;
      if (owner) created.owner_id = owner;
      if (parseTags(data.tags).length) created.tags = parseTags(data.tags);
      request = () => api.post('/v1/customers', created);
    }

    await submitting(form, async () => {
      const saved = await request();
      toast(editing ? 'Changes saved.' : `${customerName(saved || data)} was created.`);
      unsaved.markClean();
      navigate(`/customers/${encodeURIComponent(saved?.id ?? id)}`);
    });
    // A properties error without rows to mark goes to the alert region (showErrors did that).
  });

  async function load() {
    try {
      original = await api.get(`/v1/customers/${encodeURIComponent(id)}`);
      const company = original.company_id
        ? await api.get(`/v1/companies/${encodeURIComponent(original.company_id)}`).catch(() => null)
        : null;
      const name = customerName(original);
      title.textContent = `Edit ${name}`;
      document.title = `Edit ${name} · Customers · ${session.me?.tenant?.name || 'EnterCRM'} · EnterCRM`;
      fill(original, company);
      unsaved.markClean();
      replace(body, h('section', { class: 'card card-customer-form', 'aria-label': 'Customer details' }, h('div', { class: 'card-body' }, form)));
    } catch (error) {
      showLoadError(error, title, body, load);
    }
  }

  if (editing) {
    load();
  } else {
    renumber();
    replace(body, h('section', { class: 'card card-customer-form', 'aria-label': 'Customer details' }, h('div', { class: 'card-body' }, form)));
  }
  return root;
}

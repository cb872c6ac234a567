// #/companies/new and #/companies/{id}/edit: a company's fields and its owner. Editing sends
// only what changed; the API's 422 field errors (a domain taken or not a domain, an owner who
// is no member) show beside their fields.

import { api } from '../api.js';
import { parseTags, sameTags, tagsField } from '../components/tags.js';
import { h, icon, replace } from '../dom.js';
import { navigate } from '../router.js';
import { session } from '../session.js';
import { alertRegion, clearErrors, field, showErrors, submitting, values } from '../components/form.js';
import { ownerField } from '../components/owners.js';
import { emptyState, errorState, loadingState } from '../components/page.js';
import { toast } from '../components/toast.js';
import { trackUnsaved } from '../components/unsaved.js';
import { COMPANY_SIZES, companyListRoute, companyStyles } from './companies.js';

const FIELDS = ['name', 'domain', 'industry', 'size', 'country', 'city', 'owner_id'];

export function companyBackLink(label = 'Companies', href = `#${companyListRoute()}`) {
  return h('a', { class: 'back-link', href }, icon('arrowLeft', 'icon icon-small'), h('span', { text: label }));
}

/** A company that could not be loaded: "not found" for a 404, else the error with a retry. */
export function showCompanyLoadError(error, title, body, load) {
  if (error.handled) return;
  if (error.status === 404) {
    title.textContent = 'Company not found';
    replace(body, emptyState({
      title: 'This company does not exist',
      text: 'It may have been deleted, or the link belongs to another workspace.',
      iconName: 'building',
      action: h('a', { class: 'button button-secondary', href: `#${companyListRoute()}`, text: 'Back to companies' }),
    }));
    return;
  }
  replace(body, errorState(error, () => { replace(body, loadingState('Loading the company…')); load(); }));
}

export function render({ params }) {
  companyStyles();
  const id = params[0] || null;
  const editing = id !== null;
  const profileHref = editing ? `#/companies/${encodeURIComponent(id)}` : null;
  const title = h('h1', { class: 'page-title', tabindex: '-1', text: editing ? 'Edit company' : 'New company' });
  const body = h('div', { class: 'customer-form-body' }, editing ? loadingState('Loading the company…') : null);
  let original = null;

  const root = h('div', { class: 'page page-company-form' },
    editing ? companyBackLink('Back to the company', profileHref) : companyBackLink(),
    h('header', { class: 'page-header' },
      h('div', { class: 'page-header-text' },
        title,
        h('p', { class: 'page-description', text: editing
          ? 'Change the company’s details. Only what you change is saved.'
          : 'Add a company, then link its people to it from their profiles (or by email domain, in Settings › Workspace).' }))),
    body);

  function form(company) {
    const f = h('form', { class: 'form customer-form company-form', novalidate: true, 'aria-label': editing ? 'Edit company' : 'New company' },
      alertRegion(),
      h('div', { class: 'form-grid' },
        field({ label: 'Name', name: 'name', required: true, maxlength: 190, autocomplete: 'off', value: company?.name ?? '' }),
        field({ label: 'Domain', name: 'domain', optional: true, maxlength: 2048, autocomplete: 'off', spellcheck: 'false', inputmode: 'url',
          placeholder: 'acme.com', hint: 'Its web domain; a pasted address works too. One company per domain.', value: company?.domain ?? '' }),
        field({ label: 'Industry', name: 'industry', optional: true, maxlength: 120, autocomplete: 'off', value: company?.industry ?? '' }),
        field({ label: 'Size', name: 'size', type: 'select', optional: true, value: company?.size ?? '',
          options: [{ value: '', label: 'Not set' }, ...COMPANY_SIZES.map((s) => ({ value: s, label: `${s} people` }))] }),
        field({ label: 'Country', name: 'country', optional: true, maxlength: 64, autocomplete: 'off', hint: 'A two-letter code such as HR is best.', value: company?.country ?? '' }),
        field({ label: 'City', name: 'city', optional: true, maxlength: 120, autocomplete: 'off', value: company?.city ?? '' }),
        ownerField({ value: company?.owner_id ?? null }),
        tagsField(company?.tags)),
      h('div', { class: 'form-actions' },
        h('a', { class: 'button button-secondary', href: profileHref || `#${companyListRoute()}`, text: 'Cancel' }),
        h('button', { type: 'submit', class: 'button button-primary', text: editing ? 'Save changes' : 'Create company', dataset: { busyLabel: 'Saving…' } })));
    const unsaved = trackUnsaved(f, { read: () => JSON.stringify([...FIELDS, 'tags'].map((name) => f.elements[name]?.value ?? '')) });
    f.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(f);
      const data = values(f);
      if (!data.name) {
        showErrors(f, { status: 422, message: 'Please correct the highlighted field.', errors: { name: ['Give the company a name.'] } });
        return;
      }
      const normalised = (name, value) => (name === 'owner_id' ? (value ? Number(value) : null) : value || null);
      let request;
      if (editing) {
        const changes = {};
        for (const name of FIELDS) {
          const before = original[name] === null || original[name] === undefined ? '' : String(original[name]);
          if ((data[name] ?? '') !== before) changes[name] = normalised(name, data[name]);
        }
        if (!sameTags(parseTags(data.tags), original.tags)) changes.tags = parseTags(data.tags);
        if (!Object.keys(changes).length) {
          toast('Nothing changed.', 'info');
          unsaved.markClean();
          navigate(`/companies/${encodeURIComponent(id)}`);
          return;
        }
        request = () => api.put(`/v1/companies/${encodeURIComponent(id)}`, changes);
      } else {
        const created = {};
        for (const name of FIELDS) if (data[name]) created[name] = normalised(name, data[name]);
        if (parseTags(data.tags).length) created.tags = parseTags(data.tags);
        request = () => api.post('/v1/companies', created);
      }
      await submitting(f, async () => {
        const saved = await request();
        toast(editing ? 'Changes saved.' : `${saved?.name || data.name} was created.`);
        unsaved.markClean();
        navigate(`/companies/${encodeURIComponent(saved?.id ?? id)}`);
      });
    });
    return h('section', { class: 'card card-customer-form', 'aria-label': 'Company details' }, h('div', { class: 'card-body' }, f));
  }

  async function load() {
    try {
      original = await api.get(`/v1/companies/${encodeURIComponent(id)}`);
      title.textContent = `Edit ${original.name}`;
      document.title = `Edit ${original.name} · Companies · ${session.me?.tenant?.name || 'EnterCRM'} · EnterCRM`;
      replace(body, form(original));
    } catch (error) {
      showCompanyLoadError(error, title, body, load);
    }
  }

  if (editing) load();
  else replace(body, form(null));
  return root;
}

// The company picker of a form (issue 24): a search box whose suggestions are the workspace's
// companies (GET /v1/companies?q=, by name), and a hidden `company_id` that holds the chosen
// one's id. Clearing the box clears the company; text that names no suggestion is an error
// the form shows before sending (`pickedCompany`).

import { api } from '../api.js';
import { h, uid } from '../dom.js';

/** "Acme (acme.com)": what a suggestion reads, and what the box holds once chosen. */
export function companyLabel(company) {
  return company.domain ? `${company.name} (${company.domain})` : company.name;
}

/** The field; `company`: the current one ({id, name, domain}) or null. */
export function companyField({ company = null, hint = 'Type to search the workspace’s companies.' } = {}) {
  const id = uid('f-company');
  const listId = `${id}-list`;
  const known = new Map();
  const input = h('input', {
    id, type: 'search', autocomplete: 'off', spellcheck: 'false', list: listId, maxlength: 400,
    placeholder: 'No company', 'aria-describedby': `${id}-hint ${id}-error`, dataset: { companyInput: 'true' },
  });
  const hidden = h('input', { type: 'hidden', name: 'company_id', value: company ? String(company.id) : '' });
  const datalist = h('datalist', { id: listId });
  if (company) {
    known.set(companyLabel(company), String(company.id));
    input.value = companyLabel(company);
  }
  let timer = null;
  let asked = 0;
  async function suggest() {
    const text = input.value.trim();
    const current = ++asked;
    try {
      const result = await api.get('/v1/companies', { query: { q: text, per_page: 20, sort: 'name', order: 'asc' } });
      if (current !== asked) return;
      const companies = result?.data || [];
      for (const c of companies) known.set(companyLabel(c), String(c.id));
      datalist.replaceChildren(...companies.map((c) => h('option', { value: companyLabel(c) })));
      pick();
    } catch {
      // Suggestions are a help; the server checks the id either way.
    }
  }
  function pick() {
    const text = input.value.trim();
    hidden.value = text ? known.get(text) || '' : '';
    input.dataset.pending = text && !hidden.value ? 'true' : 'false';
  }
  input.addEventListener('input', () => {
    pick();
    clearTimeout(timer);
    timer = setTimeout(suggest, 200);
  });
  input.addEventListener('focus', () => { if (!datalist.children.length) suggest(); }, { once: true });
  return h('div', { class: 'field field-company', dataset: { field: 'company_id' } },
    h('label', { for: id }, 'Company', h('span', { class: 'optional', text: ' (optional)' })),
    input,
    hidden,
    datalist,
    h('p', { class: 'field-hint', id: `${id}-hint`, text: hint }),
    h('p', { class: 'field-error', id: `${id}-error`, hidden: true }));
}

/** The form's chosen company: {ok: true, id: number|null}, or {ok: false} when its box names none of the suggestions. */
export function pickedCompany(form) {
  const input = form.querySelector('[data-company-input]');
  const hidden = form.querySelector('input[name="company_id"]');
  if (!input || !hidden) return { ok: true, id: null };
  if (input.value.trim() && !hidden.value) return { ok: false };
  return { ok: true, id: hidden.value ? Number(hidden.value) : null };
}

// Search everywhere: a command palette (Ctrl+K / ⌘K, or the top bar's search button) over
// GET /v1/search. Results arrive as you type, grouped by kind; arrows move, Enter opens,
// Escape closes. The modal is the console's one dialog (dialog.js).

import { api } from '../api.js';
import { h, icon, uid } from '../dom.js';
import { navigate } from '../router.js';
import { openDialog } from './dialog.js';

const KINDS = {
  customer: { label: 'Customers', iconName: 'customers', path: (hit) => `/customers/${hit.id}` },
  company: { label: 'Companies', iconName: 'building', path: (hit) => `/companies/${hit.id}` },
  entry: { label: 'CRM entries', iconName: 'pipelines', path: (hit) => `/pipelines/${hit.entity?.slug}/entries/${encodeURIComponent(hit.id)}` },
  segment: { label: 'Segments', iconName: 'segments', path: (hit) => `/segments/${hit.id}` },
  campaign: { label: 'Campaigns', iconName: 'campaigns', path: (hit) => `/campaigns/${hit.id}` },
  automation: { label: 'Automations', iconName: 'automations', path: (hit) => `/automations/${hit.id}` },
  email_template: { label: 'Email templates', iconName: 'mail', path: (hit) => `/email-templates/${hit.id}` },
  note: { label: 'Notes', iconName: 'edit', path: (hit) => KINDS[hit.subject_type]?.path({ id: hit.subject_id, entity: hit.entity }) || '/' },
};

let open = null;

/** Opens the palette (once: a second call focuses the open one). */
export function openPalette() {
  if (open) {
    open.input.focus();
    return;
  }
  const listId = uid('palette-list');
  const input = h('input', {
    type: 'text', class: 'input palette-input', name: 'palette-q', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'Customers, entries, segments, campaigns…', 'aria-label': 'Search everything',
    role: 'combobox', 'aria-expanded': 'true', 'aria-controls': listId, 'aria-autocomplete': 'list', autofocus: true,
  });
  const results = h('div', { class: 'palette-results', id: listId, role: 'listbox', 'aria-label': 'Results' });
  const status = h('p', { class: 'palette-status muted small', role: 'status', text: 'Type a name, an email or a word.' });
  let options = [];
  let active = -1;
  let generation = 0;
  let timer = null;

  function setActive(index) {
    if (!options.length) return;
    active = (index + options.length) % options.length;
    options.forEach((option, i) => option.setAttribute('aria-selected', String(i === active)));
    input.setAttribute('aria-activedescendant', options[active].id);
    options[active].scrollIntoView({ block: 'nearest' });
  }

  function go(option) {
    const path = option?.dataset.path;
    if (!path) return;
    handle.close('open');
    navigate(path);
  }

  function show(data, q) {
    results.replaceChildren();
    options = [];
    active = -1;
    if (!data.length) {
      status.textContent = `Nothing found for “${q}”.`;
      return;
    }
    status.textContent = `${data.length} result${data.length === 1 ? '' : 's'}`;
    let group = null;
    let lastType = null;
    for (const hit of data) {
      const kind = KINDS[hit.type];
      if (!kind) continue;
      if (hit.type !== lastType) {
        lastType = hit.type;
        group = h('div', { class: 'palette-group', role: 'group', 'aria-label': kind.label },
          h('p', { class: 'palette-group-label', text: kind.label, 'aria-hidden': 'true' }));
        results.append(group);
      }
      const option = h('div', {
        class: 'palette-option', role: 'option', id: uid('palette-option'), 'aria-selected': 'false',
        dataset: { path: kind.path(hit), type: hit.type },
      },
      icon(kind.iconName, 'icon icon-small'),
      h('span', { class: 'palette-option-text' },
        h('span', { class: 'palette-option-title', text: String(hit.title) }),
        hit.subtitle ? h('span', { class: 'palette-option-subtitle', text: String(hit.subtitle) }) : null));
      const index = options.length;
      option.addEventListener('mousemove', () => { if (active !== index) setActive(index); });
      option.addEventListener('click', () => go(option));
      options.push(option);
      group.append(option);
    }
    setActive(0);
  }

  async function search() {
    const q = input.value.trim();
    const mine = ++generation;
    if (!q) {
      results.replaceChildren();
      options = [];
      status.textContent = 'Type a name, an email or a word.';
      return;
    }
    status.textContent = 'Searching…';
    try {
      const result = await api.get('/v1/search', { query: { q, limit: 5 } });
      if (mine === generation) show(result?.data || [], q);
    } catch (error) {
      if (mine === generation && !error.handled) status.textContent = error.message;
    }
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(search, 150);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') { event.preventDefault(); handle.close('cancel'); }
    else if (event.key === 'ArrowDown') { event.preventDefault(); setActive(active + 1); }
    else if (event.key === 'ArrowUp') { event.preventDefault(); setActive(active - 1); }
    else if (event.key === 'Enter') {
      event.preventDefault();
      clearTimeout(timer);
      // Enter before the results of what was typed arrived: search first, then open the first.
      if (options.length && active >= 0) go(options[active]);
      else search().then(() => { if (options.length) go(options[Math.max(active, 0)]); });
    }
  });

  const handle = openDialog({
    title: 'Search',
    body: [input, status, results],
    size: 'palette',
    onClose: () => {
      clearTimeout(timer);
      open = null;
    },
  });
  handle.dialog.classList.add('palette');
  open = { input, close: handle.close };
}

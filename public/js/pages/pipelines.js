// #/pipelines…: the pipeline CRM. This module routes within it and lists the entities:
//   #/pipelines                          the entities, and "New entity" (from a preset)
//   #/pipelines/{slug}/board             the kanban board of a pipeline (?pipeline=id)
//   #/pipelines/{slug}/table             the table with search and filters
//   #/pipelines/{slug}/settings          fields and pipelines (the designer)
//   #/pipelines/{slug}/entries/{id}      one entry with its stage history

import { h, icon, replace } from '../dom.js';
import { navigate } from '../router.js';
import { openDialog } from '../components/dialog.js';
import { alertRegion, field, submitting, validate } from '../components/form.js';
import { emptyState, errorState, loadingState, pageHeader } from '../components/page.js';
import { toast } from '../components/toast.js';
import { crm } from './pipelines-api.js';
import { ensureStyles, slugify, swatch } from './pipelines-common.js';
import * as board from './pipelines-board.js';
import * as designer from './pipelines-designer.js';
import * as entryPage from './pipelines-entry.js';
import * as table from './pipelines-table.js';
import { permit } from '../components/permit.js';

export function render(route) {
  ensureStyles();
  const parts = route.path.split('/').filter(Boolean).slice(1).map(decodeURIComponent);
  if (!parts.length) return list();
  const [slug, view = 'board', id] = parts;
  const root = h('div', { class: 'page page-crm' }, loadingState('Loading…'));
  crm.entity(slug).then((entity) => {
    const context = { ...route, entity, root };
    let page;
    if (view === 'board') page = board.render(context);
    else if (view === 'table') page = table.render(context);
    else if (view === 'settings') page = designer.render(context);
    else if (view === 'entries' && id) page = entryPage.render({ ...context, id });
    else page = emptyState({ title: 'No such view', text: 'Choose Board, Table or Fields & pipelines.', iconName: 'alert' });
    root.replaceWith(page);
  }, (error) => {
    if (error.handled) return;
    replace(root, error.status === 404
      ? emptyState({ title: 'This entity does not exist', text: 'It may have been deleted.', iconName: 'pipelines',
        action: h('a', { class: 'button button-secondary', href: '#/pipelines', text: 'All entities' }) })
      : errorState(error, () => navigate(route.path)));
  });
  return root;
}

function list() {
  const body = h('div', {}, loadingState('Loading entities…'));
  const newButton = h('button', { type: 'button', class: 'button button-primary', dataset: { action: 'new-entity' }, onClick: () => openNewEntity() },
    icon('plus'), h('span', { text: 'New entity' }));
  const root = h('div', { class: 'page page-crm-entities' },
    pageHeader({ title: 'Pipelines', description: 'The kinds of record you track, each with its pipelines, stages and fields.', actions: [permit(newButton, 'POST /api/brands/{brand}/crm/entities', 'create entities')] }),
    body);

  async function load() {
    try {
      const entities = await crm.entities();
      if (!entities.length) {
        replace(body, emptyState({ title: 'No entities yet', text: 'Start from a preset (Leads, Contacts or Deals) or from scratch.', iconName: 'pipelines',
          action: permit(h('button', { type: 'button', class: 'button button-primary', onClick: () => openNewEntity() }, icon('plus'), h('span', { text: 'New entity' })),
            'POST /api/brands/{brand}/crm/entities', 'create entities') }));
        return;
      }
      replace(body, h('ul', { class: 'entity-grid' }, entities.map((entity) => h('li', {},
        h('a', { class: 'entity-tile', href: `#/pipelines/${encodeURIComponent(entity.slug)}/board`, dataset: { entity: entity.slug } },
          swatch(h('span', { class: 'entity-mark', 'aria-hidden': 'true', text: (entity.name[0] || '?').toUpperCase() }), entity.color),
          h('span', { class: 'entity-text' },
            h('span', { class: 'entity-name', text: entity.plural_name || entity.name }),
            h('span', { class: 'entity-meta', text: `${entity.pipelines_count} pipeline${entity.pipelines_count === 1 ? '' : 's'} · ${entity.fields_count} field${entity.fields_count === 1 ? '' : 's'}` })),
          icon('chevronRight', 'icon entity-chevron'))))));
    } catch (error) {
      if (!error.handled) replace(body, errorState(error, () => { replace(body, loadingState()); load(); }));
    }
  }
  load();
  return root;
}

async function openNewEntity() {
  let presets = [];
  try {
    presets = (await crm.presets()).presets || [];
  } catch (error) {
    if (!error.handled) toast(error.message, 'error');
    return;
  }
  const alert = alertRegion();
  const name = field({ label: 'Name', name: 'name', required: true, maxlength: 120, placeholder: 'Leads' });
  const slug = field({ label: 'Slug', name: 'slug', required: true, maxlength: 80, pattern: '[a-z0-9_\\-]+',
    hint: 'Lowercase letters, digits, - and _. Used in addresses and the API.' });
  const nameInput = name.querySelector('input');
  const slugInput = slug.querySelector('input');
  let slugEdited = false;
  nameInput.addEventListener('input', () => { if (!slugEdited) slugInput.value = slugify(nameInput.value); });
  slugInput.addEventListener('input', () => { slugEdited = true; });

  const choices = [{ key: '', label: 'Blank', description: 'No pipeline and no fields: design your own.' }, ...presets];
  const presetGroup = h('fieldset', { class: 'preset-choices' },
    h('legend', { text: 'Start from' }),
    choices.map((preset, i) => {
      const input = h('input', { type: 'radio', name: 'preset', value: preset.key, checked: i === 1 || (presets.length === 0 && i === 0) });
      input.addEventListener('change', () => {
        if (!input.checked) return;
        if (preset.key && !nameInput.value) { nameInput.value = preset.label; if (!slugEdited) slugInput.value = preset.key; }
      });
      const stages = preset.pipelines?.[0]?.stages || [];
      return h('label', { class: 'preset-choice', dataset: { preset: preset.key || 'blank' } },
        input,
        h('span', { class: 'preset-text' },
          h('span', { class: 'preset-label', text: preset.label }),
          h('span', { class: 'preset-description', text: preset.description }),
          stages.length ? h('span', { class: 'preset-stages' }, stages.map((stage) => swatch(h('span', { class: 'preset-stage', text: stage.name }), stage.color))) : null));
    }));
  if (presets.length) { nameInput.value = presets[0].label; slugInput.value = presets[0].key; }

  const form = h('form', { class: 'form', novalidate: true }, alert, presetGroup, h('div', { class: 'crm-row' }, name, slug));
  const submit = h('button', { type: 'submit', class: 'button button-primary', text: 'Create entity', dataset: { busyLabel: 'Creating…' } });
  form.append(h('div', { class: 'form-actions' }, submit));
  const dialog = openDialog({ title: 'New entity', description: 'A kind of record to track, such as leads or deals.', body: [form], size: 'large' });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!validate(form)) return;
    const preset = form.querySelector('input[name=preset]:checked')?.value || '';
    const entity = await submitting(form, () => crm.createEntity({ name: nameInput.value.trim(), slug: slugInput.value.trim(), preset: preset || null }));
    if (!entity) return;
    dialog.close();
    toast(`${entity.name} created.`);
    navigate(`/pipelines/${encodeURIComponent(entity.slug)}/${entity.pipelines?.length ? 'board' : 'settings'}`);
  });
}

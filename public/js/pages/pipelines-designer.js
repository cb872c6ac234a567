// #/pipelines/{slug}/settings: the designer. The entity's labels; its fields (add, edit with
// options, required, reorder by dragging or with the arrow buttons, delete); its pipelines
// and their stages (add, rename, recolour, status, reorder by dragging, delete, moving
// their entries elsewhere when they hold some); and deleting the entity.

import { h, icon, replace } from '../dom.js';
import { navigate } from '../router.js';
import { confirmDialog, openDialog } from '../components/dialog.js';
import { alertRegion, field, submitting, validate } from '../components/form.js';
import { card, emptyState } from '../components/page.js';
import { toast } from '../components/toast.js';
import { crm } from './pipelines-api.js';
import { entityHeader, slugify, swatch } from './pipelines-common.js';
import { permit, permitQuiet } from '../components/permit.js';

const TYPES = [
  ['text', 'Text'], ['number', 'Number'], ['date', 'Date'], ['boolean', 'Yes / no'], ['select', 'Select (one option)'],
  ['multi_select', 'Multi-select (several options)'], ['url', 'URL'], ['email', 'Email'], ['phone', 'Phone'],
];
const TYPE_LABEL = Object.fromEntries(TYPES);

export function render({ entity: initial }) {
  let entity = initial;
  const slug = () => encodeURIComponent(entity.slug);
  const root = h('div', { class: 'page page-crm page-crm-settings' });

  async function reload() {
    try {
      entity = await crm.entity(entity.id);
      paint();
    } catch (error) {
      if (!error.handled) toast(error.message, 'error');
    }
  }

  function fail(error) {
    if (error?.handled) return;
    const details = Object.values(error?.errors || {}).flat().map(String);
    toast(details[0] || error?.message || 'Something went wrong.', 'error');
  }

  function paint() {
    replace(root,
      entityHeader(entity, 'settings'),
      fieldsCard(),
      pipelinesCard(),
      entityCard());
  }

  // Fields ------------------------------------------------------------------------------

  function fieldsCard() {
    const fields = entity.fields || [];
    const add = permitQuiet(h('button', { type: 'button', class: 'button button-primary button-small', dataset: { action: 'add-field' } }, icon('plus'), h('span', { text: 'Add field' })),
      'POST /api/brands/{brand}/crm/entities/{entity}/fields', 'add fields');
    add.addEventListener('click', () => openFieldDialog());
    const list = h('ol', { class: 'sortable field-list', 'aria-label': 'Fields' }, fields.map((f, i) => {
      const up = h('button', { type: 'button', class: 'icon-button icon-button-small', 'aria-label': `Move ${f.name} up`, disabled: i === 0 }, arrow('up'));
      const down = h('button', { type: 'button', class: 'icon-button icon-button-small', 'aria-label': `Move ${f.name} down`, disabled: i === fields.length - 1 }, arrow('down'));
      const edit = h('button', { type: 'button', class: 'button button-ghost button-small', text: 'Edit', 'aria-label': `Edit ${f.name}` });
      const remove = permitQuiet(h('button', { type: 'button', class: 'icon-button icon-button-small danger', 'aria-label': `Delete ${f.name}` }, icon('trash')),
        'DELETE /api/brands/{brand}/crm/fields/{field}', 'delete fields');
      up.addEventListener('click', () => reorderFields(move(fields.map((x) => x.id), i, i - 1)));
      down.addEventListener('click', () => reorderFields(move(fields.map((x) => x.id), i, i + 1)));
      edit.addEventListener('click', () => openFieldDialog(f));
      remove.addEventListener('click', () => deleteField(f));
      return h('li', { class: 'sortable-item field-row', dataset: { id: f.id, key: f.key } },
        handle(`Drag to reorder ${f.name}`),
        h('div', { class: 'field-row-text' },
          h('span', { class: 'field-row-name' }, h('span', { text: f.name }), f.required ? h('span', { class: 'badge badge-neutral', text: 'Required' }) : null),
          h('span', { class: 'field-row-meta' },
            h('code', { text: f.key }), h('span', { text: ` · ${TYPE_LABEL[f.type] || f.type}` }),
            f.options?.length ? h('span', { class: 'muted', text: ` · ${f.options.join(', ')}` }) : null)),
        h('div', { class: 'row-actions' }, up, down, edit, remove));
    }));
    sortable(list, (ids) => reorderFields(ids));
    return card({ title: 'Fields', className: 'card-fields', description: 'What each entry holds. Drag to reorder; forms and cards follow this order.', actions: [add],
      body: [fields.length ? list : emptyState({ title: 'No fields yet', text: 'Add email, phone, amount…', iconName: 'info' })] });
  }

  async function reorderFields(ids) {
    try {
      const fields = await crm.reorderFields(ids);
      entity = { ...entity, fields };
      paint();
      toast('Field order saved.');
    } catch (error) {
      fail(error);
      paint();
    }
  }

  async function deleteField(f) {
    const ok = await confirmDialog({ title: `Delete ${f.name}?`, message: `The field and its values are removed from every ${entity.singular_name?.toLowerCase() || 'entry'}. This cannot be undone.`, confirmLabel: 'Delete field', danger: true });
    if (!ok) return;
    try {
      await crm.deleteField(f.id);
      toast(`${f.name} deleted.`);
      reload();
    } catch (error) {
      fail(error);
    }
  }

  function openFieldDialog(existing = null) {
    const alert = alertRegion();
    const name = field({ label: 'Label', name: 'name', required: true, maxlength: 120, value: existing?.name ?? '', placeholder: 'Lead source' });
    const key = field({ label: 'Key', name: 'key', required: true, maxlength: 64, pattern: '[a-z0-9_]+', value: existing?.key ?? '',
      hint: 'Lowercase letters, digits and _. The name of the value in the API.' });
    const type = field({ label: 'Type', name: 'type', type: 'select', value: existing?.type ?? 'text', options: TYPES.map(([value, label]) => ({ value, label })) });
    const required = h('div', { class: 'field field-check', dataset: { field: 'required' } },
      h('label', {}, h('input', { type: 'checkbox', name: 'required', checked: Boolean(existing?.required) }), h('span', { text: 'Required when an entry is created' })),
      h('p', { class: 'field-error', hidden: true }));
    const nameInput = name.querySelector('input');
    const keyInput = key.querySelector('input');
    const typeSelect = type.querySelector('select');
    let keyEdited = Boolean(existing);
    nameInput.addEventListener('input', () => { if (!keyEdited) keyInput.value = slugify(nameInput.value).replace(/-/g, '_'); });
    keyInput.addEventListener('input', () => { keyEdited = true; });

    // Options: one input per option, added and removed in place.
    const optionList = h('ol', { class: 'option-list' });
    const addOption = (value = '') => {
      const input = h('input', { type: 'text', class: 'option-input', value, maxlength: 100, 'aria-label': 'Option' });
      const remove = h('button', { type: 'button', class: 'icon-button icon-button-small', 'aria-label': 'Remove option' }, icon('close'));
      const item = h('li', { class: 'option-item' }, input, remove);
      remove.addEventListener('click', () => { item.remove(); });
      input.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') { event.preventDefault(); addOption().querySelector('input').focus(); }
      });
      optionList.append(item);
      return item;
    };
    for (const option of existing?.options || []) addOption(option);
    if (!existing?.options?.length) { addOption(); addOption(); }
    const addButton = h('button', { type: 'button', class: 'button button-ghost button-small', dataset: { action: 'add-option' } }, icon('plus'), h('span', { text: 'Add option' }));
    addButton.addEventListener('click', () => addOption().querySelector('input').focus());
    const options = h('fieldset', { class: 'field field-options', dataset: { field: 'options' } },
      h('legend', { text: 'Options' }), optionList, addButton, h('p', { class: 'field-error', hidden: true }));
    const showOptions = () => { options.hidden = !['select', 'multi_select'].includes(typeSelect.value); };
    typeSelect.addEventListener('change', showOptions);
    showOptions();

    const form = h('form', { class: 'form', novalidate: true }, alert, h('div', { class: 'crm-row' }, name, key), type, options, required);
    const submit = h('button', { type: 'submit', class: 'button button-primary', text: existing ? 'Save field' : 'Add field', dataset: { busyLabel: 'Saving…' } });
    const cancel = h('button', { type: 'button', class: 'button button-secondary', text: 'Cancel' });
    form.append(h('div', { class: 'form-actions' }, cancel, submit));
    const dialog = openDialog({ title: existing ? `Edit ${existing.name}` : 'Add a field', body: [form] });
    cancel.addEventListener('click', () => dialog.close());
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!validate(form)) return;
      const body = {
        name: nameInput.value.trim(), key: keyInput.value.trim(), type: typeSelect.value,
        required: form.querySelector('[name=required]').checked,
      };
      if (!options.hidden) body.options = [...optionList.querySelectorAll('input')].map((i) => i.value.trim()).filter(Boolean);
      const saved = await submitting(form, () => (existing ? crm.updateField(existing.id, body) : crm.createField(entity.id, body)));
      if (!saved) return;
      dialog.close();
      toast(existing ? `${saved.name} saved.` : `${saved.name} added.`);
      reload();
    });
  }

  // Pipelines and stages ----------------------------------------------------------------

  function pipelinesCard() {
    const add = h('button', { type: 'button', class: 'button button-secondary button-small', dataset: { action: 'add-pipeline' } }, icon('plus'), h('span', { text: 'Add pipeline' }));
    add.addEventListener('click', () => openPipelineDialog());
    const pipelines = entity.pipelines || [];
    return card({ title: 'Pipelines', className: 'card-pipelines', description: 'The stages an entry goes through. Won and lost stages give the win rate.', actions: [add],
      body: [pipelines.length ? h('div', { class: 'pipeline-editors' }, pipelines.map(pipelineEditor)) : emptyState({ title: 'No pipeline yet', iconName: 'pipelines' })] });
  }

  function pipelineEditor(pipeline) {
    const stages = pipeline.stages || [];
    const name = h('input', { type: 'text', class: 'inline-input pipeline-name', value: pipeline.name, maxlength: 120, 'aria-label': 'Pipeline name' });
    name.addEventListener('change', async () => {
      const value = name.value.trim();
      if (!value) { name.value = pipeline.name; return; }
      try {
        await crm.updatePipeline(pipeline.id, { name: value });
        pipeline.name = value;
        toast('Pipeline renamed.');
      } catch (error) {
        name.value = pipeline.name;
        fail(error);
      }
    });
    const remove = permitQuiet(h('button', { type: 'button', class: 'button button-ghost-danger button-small', 'aria-label': `Delete pipeline ${pipeline.name}` }, icon('trash'), h('span', { text: 'Delete' })),
      'DELETE /api/brands/{brand}/crm/pipelines/{pipeline}', 'delete pipelines');
    remove.addEventListener('click', () => deletePipeline(pipeline));
    const board = h('a', { class: 'button button-ghost button-small', href: `#/pipelines/${slug()}/board?pipeline=${pipeline.id}`, text: 'Open board' });

    const list = h('ol', { class: 'sortable stage-list', 'aria-label': `Stages of ${pipeline.name}` }, stages.map((stage, i) => stageRow(pipeline, stage, i)));
    sortable(list, (ids) => reorderStages(ids));

    const newName = h('input', { type: 'text', class: 'inline-input', name: 'stage-name', placeholder: 'New stage name', maxlength: 120, 'aria-label': 'New stage name' });
    const newColor = h('input', { type: 'color', class: 'color-input', value: '#64748b', 'aria-label': 'New stage colour' });
    const addForm = h('form', { class: 'stage-add', dataset: { pipelineId: pipeline.id } }, newColor, newName,
      h('button', { type: 'submit', class: 'button button-secondary button-small' }, icon('plus'), h('span', { text: 'Add stage' })));
    addForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const value = newName.value.trim();
      if (!value) { newName.focus(); return; }
      try {
        await crm.createStage(pipeline.id, { name: value, color: newColor.value });
        toast(`${value} added.`);
        reload();
      } catch (error) {
        fail(error);
      }
    });
    return h('section', { class: 'pipeline-editor', dataset: { pipelineId: pipeline.id }, 'aria-label': pipeline.name },
      h('div', { class: 'pipeline-editor-header' }, name, h('div', { class: 'row-actions' }, board, remove)),
      stages.length ? list : h('p', { class: 'muted', text: 'No stages yet.' }),
      addForm);
  }

  function stageRow(pipeline, stage, i) {
    const stages = pipeline.stages;
    const ids = stages.map((s) => s.id);
    const color = h('input', { type: 'color', class: 'color-input', value: sixDigits(stage.color), 'aria-label': `Colour of ${stage.name}` });
    const name = h('input', { type: 'text', class: 'inline-input', value: stage.name, maxlength: 120, 'aria-label': `Name of ${stage.name}` });
    const status = h('select', { class: 'select-compact', 'aria-label': `Status of ${stage.name}` },
      [['active', 'Open'], ['won', 'Won'], ['lost', 'Lost']].map(([value, label]) => h('option', { value, text: label, selected: stage.status === value })));
    const save = async (body, revert) => {
      try {
        await crm.updateStage(stage.id, body);
        Object.assign(stage, body);
        toast(`${stage.name} saved.`);
      } catch (error) {
        revert();
        fail(error);
      }
    };
    color.addEventListener('change', () => save({ color: color.value }, () => { color.value = sixDigits(stage.color); }));
    name.addEventListener('change', () => {
      if (!name.value.trim()) { name.value = stage.name; return; }
      save({ name: name.value.trim() }, () => { name.value = stage.name; });
    });
    status.addEventListener('change', () => save({ status: status.value }, () => { status.value = stage.status; }));
    const up = h('button', { type: 'button', class: 'icon-button icon-button-small', 'aria-label': `Move ${stage.name} up`, disabled: i === 0 }, arrow('up'));
    const down = h('button', { type: 'button', class: 'icon-button icon-button-small', 'aria-label': `Move ${stage.name} down`, disabled: i === stages.length - 1 }, arrow('down'));
    up.addEventListener('click', () => reorderStages(move(ids, i, i - 1)));
    down.addEventListener('click', () => reorderStages(move(ids, i, i + 1)));
    const remove = h('button', { type: 'button', class: 'icon-button icon-button-small danger', 'aria-label': `Delete ${stage.name}` }, icon('trash'));
    remove.addEventListener('click', () => deleteStage(pipeline, stage));
    return swatch(h('li', { class: 'sortable-item stage-row', dataset: { id: stage.id, stage: stage.name } },
      handle(`Drag to reorder ${stage.name}`), color, name, status, h('div', { class: 'row-actions' }, up, down, remove)), stage.color);
  }

  async function reorderStages(ids) {
    try {
      await crm.reorderStages(ids);
      toast('Stage order saved.');
    } catch (error) {
      fail(error);
    }
    reload();
  }

  async function deleteStage(pipeline, stage) {
    try {
      const ok = await confirmDialog({ title: `Delete ${stage.name}?`, message: 'The stage is removed from the pipeline.', confirmLabel: 'Delete stage', danger: true });
      if (!ok) return;
      await crm.deleteStage(stage.id);
      toast(`${stage.name} deleted.`);
      reload();
    } catch (error) {
      if (error.status !== 409) { fail(error); return; }
      openMoveDialog(pipeline, stage, error.message);
    }
  }

  /** A stage that holds entries: where they go before it is deleted. */
  function openMoveDialog(pipeline, stage, message) {
    const others = pipeline.stages.filter((s) => s.id !== stage.id);
    if (!others.length) { toast('Move its entries to another pipeline first: this is the only stage.', 'error'); return; }
    const target = field({ label: 'Move its entries to', name: 'move_to_stage_id', type: 'select', options: others.map((s) => ({ value: String(s.id), label: s.name })) });
    const form = h('form', { class: 'form', novalidate: true }, alertRegion(), h('p', { text: message }), target);
    const submit = h('button', { type: 'submit', class: 'button button-danger', text: `Move and delete ${stage.name}` });
    const cancel = h('button', { type: 'button', class: 'button button-secondary', text: 'Cancel' });
    form.append(h('div', { class: 'form-actions' }, cancel, submit));
    const dialog = openDialog({ title: `${stage.name} holds entries`, body: [form], size: 'small' });
    cancel.addEventListener('click', () => dialog.close());
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const result = await submitting(form, () => crm.deleteStage(stage.id, target.querySelector('select').value));
      if (!result) return;
      dialog.close();
      toast(`${stage.name} deleted; ${result.moved_entries} moved.`);
      reload();
    });
  }

  function openPipelineDialog() {
    const alert = alertRegion();
    const name = field({ label: 'Name', name: 'name', required: true, maxlength: 120, placeholder: 'Partner pipeline' });
    const starter = h('div', { class: 'field field-check' },
      h('label', {}, h('input', { type: 'checkbox', name: 'starter', checked: true }), h('span', { text: 'Start with the stages Open, In progress, Won and Lost' })));
    const form = h('form', { class: 'form', novalidate: true }, alert, name, starter);
    const submit = h('button', { type: 'submit', class: 'button button-primary', text: 'Add pipeline', dataset: { busyLabel: 'Adding…' } });
    form.append(h('div', { class: 'form-actions' }, submit));
    const dialog = openDialog({ title: 'Add a pipeline', body: [form], size: 'small' });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!validate(form)) return;
      const body = { name: name.querySelector('input').value.trim() };
      if (form.querySelector('[name=starter]').checked) {
        body.stages = [{ name: 'Open', color: '#94a3b8' }, { name: 'In progress', color: '#3b82f6' },
          { name: 'Won', color: '#22c55e', status: 'won' }, { name: 'Lost', color: '#ef4444', status: 'lost' }];
      }
      const created = await submitting(form, () => crm.createPipeline(entity.id, body));
      if (!created) return;
      dialog.close();
      toast(`${created.name} added.`);
      reload();
    });
  }

  async function deletePipeline(pipeline) {
    const ok = await confirmDialog({ title: `Delete ${pipeline.name}?`, message: 'The pipeline and its stages are deleted.', confirmLabel: 'Delete pipeline', danger: true });
    if (!ok) return;
    try {
      await crm.deletePipeline(pipeline.id);
    } catch (error) {
      if (error.status !== 409) { fail(error); return; }
      const force = await confirmDialog({ title: `${pipeline.name} holds entries`, message: `${error.message} Delete the pipeline and all its entries?`, confirmLabel: 'Delete everything', danger: true });
      if (!force) return;
      try { await crm.deletePipeline(pipeline.id, true); } catch (again) { fail(again); return; }
    }
    toast(`${pipeline.name} deleted.`);
    reload();
  }

  // The entity --------------------------------------------------------------------------

  function entityCard() {
    const alert = alertRegion();
    const name = field({ label: 'Name', name: 'name', required: true, maxlength: 120, value: entity.name });
    const entitySlug = field({ label: 'Slug', name: 'slug', required: true, maxlength: 80, pattern: '[a-z0-9_\\-]+', value: entity.slug });
    const single = field({ label: 'One is called', name: 'singular_name', optional: true, maxlength: 120, value: entity.singular_name ?? '', placeholder: 'Lead' });
    const plural = field({ label: 'Several are called', name: 'plural_name', optional: true, maxlength: 120, value: entity.plural_name ?? '', placeholder: 'Leads' });
    const color = field({ label: 'Colour', name: 'color', type: 'color', class: 'color-input', value: sixDigits(entity.color) });
    const form = h('form', { class: 'form', novalidate: true }, alert, h('div', { class: 'crm-row' }, name, entitySlug), h('div', { class: 'crm-row' }, single, plural), color);
    form.append(h('div', { class: 'form-actions form-actions-start' }, h('button', { type: 'submit', class: 'button button-primary', text: 'Save', dataset: { busyLabel: 'Saving…' } })));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!validate(form)) return;
      const read = (f) => f.querySelector('input').value.trim();
      const saved = await submitting(form, () => crm.updateEntity(entity.id, {
        name: read(name), slug: read(entitySlug), singular_name: read(single) || null, plural_name: read(plural) || null, color: read(color),
      }));
      if (!saved) return;
      toast('Saved.');
      if (saved.slug !== entity.slug) navigate(`/pipelines/${encodeURIComponent(saved.slug)}/settings`);
      else { entity = saved; paint(); }
    });
    const remove = h('button', { type: 'button', class: 'button button-danger', dataset: { action: 'delete-entity' } }, icon('trash'), h('span', { text: `Delete ${entity.name}` }));
    remove.addEventListener('click', async () => {
      const ok = await confirmDialog({ title: `Delete ${entity.name}?`, message: 'The entity, its pipelines, fields and entries are deleted for good.', confirmLabel: 'Delete', danger: true });
      if (!ok) return;
      try {
        await crm.deleteEntity(entity.id);
      } catch (error) {
        if (error.status !== 409) { fail(error); return; }
        const force = await confirmDialog({ title: `${entity.name} holds entries`, message: `${error.message} Delete it with all of them?`, confirmLabel: 'Delete everything', danger: true });
        if (!force) return;
        try { await crm.deleteEntity(entity.id, true); } catch (again) { fail(again); return; }
      }
      toast(`${entity.name} deleted.`);
      navigate('/pipelines');
    });
    return h('div', { class: 'settings-bottom' },
      card({ title: 'Entity', description: 'Its names, address and colour.', body: [form] }),
      card({ title: 'Danger zone', className: 'card-danger', body: [h('p', { class: 'muted', text: 'Deleting the entity deletes its pipelines, fields and entries.' }),
        permit(remove, 'DELETE /api/brands/{brand}/crm/entities/{entity}', 'delete entities')] }));
  }

  paint();
  return root;
}

function sixDigits(color) {
  if (/^#[0-9a-f]{6}$/i.test(color || '')) return color;
  if (/^#[0-9a-f]{3}$/i.test(color || '')) return `#${[...color.slice(1)].map((c) => c + c).join('')}`;
  if (/^#[0-9a-f]{8}$/i.test(color || '')) return color.slice(0, 7);
  return '#64748b';
}

function move(list, from, to) {
  const copy = [...list];
  const [item] = copy.splice(from, 1);
  copy.splice(to, 0, item);
  return copy;
}

function arrow(direction) {
  const svg = icon('chevronDown', 'icon icon-small');
  if (direction === 'up') svg.classList.add('flip');
  return svg;
}

function handle(label) {
  return h('span', { class: 'drag-handle', 'aria-hidden': 'true', title: label }, h('span', { class: 'grip' }));
}

/**
 * Makes a list reorderable by dragging the `.drag-handle` of its items (pointer events:
 * mouse, pen and touch). Calls `onReorder(ids)` with the new order when it changed.
 */
function sortable(list, onReorder) {
  list.addEventListener('pointerdown', (down) => {
    const grip = down.target.closest('.drag-handle');
    if (!grip || down.button !== 0) return;
    const item = grip.closest('.sortable-item');
    if (!item || item.parentNode !== list) return;
    down.preventDefault();
    const before = [...list.children].map((li) => Number(li.dataset.id));
    item.classList.add('is-dragging');
    list.classList.add('is-sorting');
    const onMove = (event) => {
      event.preventDefault();
      const over = document.elementFromPoint(event.clientX, event.clientY)?.closest('.sortable-item');
      if (!over || over === item || over.parentNode !== list) return;
      const box = over.getBoundingClientRect();
      list.insertBefore(item, event.clientY < box.top + box.height / 2 ? over : over.nextSibling);
    };
    const onUp = () => {
      document.removeEventListener('pointermove', onMove);
      document.removeEventListener('pointerup', onUp);
      document.removeEventListener('pointercancel', onUp);
      item.classList.remove('is-dragging');
      list.classList.remove('is-sorting');
      const after = [...list.children].map((li) => Number(li.dataset.id));
      if (after.join() !== before.join()) onReorder(after);
    };
    document.addEventListener('pointermove', onMove);
    document.addEventListener('pointerup', onUp);
    document.addEventListener('pointercancel', onUp);
  });
}

// An entry: the form generated from the entity's fields (create and edit, with the API's
// validation messages beside each field), and the detail page with its activity (stage moves), tasks
// and notes.

import { avatar, h, icon, replace, time } from '../dom.js';
import { navigate } from '../router.js';
import { confirmDialog, openDialog } from '../components/dialog.js';
import { deleteWithUndo, redrawRoute } from '../components/undo.js';
import { trackUnsaved } from '../components/unsaved.js';
import { alertRegion, field, showAlert, submitting, validate } from '../components/form.js';
import { card, emptyState, errorState, loadingState } from '../components/page.js';
import { toast } from '../components/toast.js';
import { crm, workspacePeople } from './pipelines-api.js';
import { entityHeader, singular, stagesById, swatch, valueNode } from './pipelines-common.js';
import { permitQuiet } from '../components/permit.js';
import { notesPanel } from '../components/notes-panel.js';
import { tasksPanel } from '../components/tasks.js';
import { timelineCard } from '../components/timeline.js';

const INPUT_TYPES = { text: 'text', number: 'number', date: 'date', url: 'url', email: 'email', phone: 'tel' };

/** The control of one custom field, named `values.<key>` so that API errors land beside it. */
function valueField(def, value) {
  const name = `values.${def.key}`;
  const label = def.name;
  const optional = !def.required;
  if (def.type === 'boolean') {
    const input = h('input', { type: 'checkbox', name, checked: value === true, dataset: { kind: 'boolean' } });
    return h('div', { class: 'field field-check', dataset: { field: name } },
      h('label', {}, input, h('span', { text: label })), h('p', { class: 'field-error', hidden: true }));
  }
  if (def.type === 'select') {
    return field({ label, name, type: 'select', optional, required: def.required, value: value ?? '',
      options: [{ value: '', label: 'Choose…' }, ...(def.options || []).map((o) => ({ value: o, label: o }))] });
  }
  if (def.type === 'multi_select') {
    const chosen = new Set(Array.isArray(value) ? value : []);
    return h('fieldset', { class: 'field field-multi', dataset: { field: name, kind: 'multi' } },
      h('legend', {}, label, optional ? h('span', { class: 'optional', text: ' (optional)' }) : null),
      h('div', { class: 'check-list' }, (def.options || []).map((option) =>
        h('label', { class: 'check' }, h('input', { type: 'checkbox', name, value: option, checked: chosen.has(option) }), h('span', { text: option })))),
      h('p', { class: 'field-error', hidden: true }));
  }
  const attrs = { label, name, type: INPUT_TYPES[def.type] || 'text', optional, required: def.required, value: value ?? '' };
  if (def.type === 'number') attrs.step = 'any';
  if (def.type === 'text') attrs.maxlength = 10000;
  return field(attrs);
}

/** The `values` object of a form: numbers as numbers, empty as null (cleared on edit). */
function readValues(form, fields, editing) {
  const result = {};
  for (const def of fields) {
    const name = `values.${def.key}`;
    if (def.type === 'boolean') {
      result[def.key] = form.querySelector(`input[name="${CSS.escape(name)}"]`).checked;
    } else if (def.type === 'multi_select') {
      const chosen = [...form.querySelectorAll(`input[name="${CSS.escape(name)}"]:checked`)].map((i) => i.value);
      if (chosen.length || editing) result[def.key] = chosen.length ? chosen : null;
    } else {
      const raw = form.querySelector(`[name="${CSS.escape(name)}"]`).value.trim();
      if (raw === '') { if (editing) result[def.key] = null; continue; }
      result[def.key] = def.type === 'number' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    }
  }
  return result;
}

/**
 * Opens the entry form. Without `entry`, creates one (in `pipelineId`/`stageId` if given).
 * Resolves with the saved entry, or null when cancelled.
 */
export async function openEntryForm({ entity, entry = null, pipelineId = null, stageId = null }) {
  const { users, teams } = await workspacePeople();
  const editing = Boolean(entry);
  const pipelines = entity.pipelines || [];
  const alert = alertRegion();
  const title = field({ label: 'Title', name: 'title', required: true, maxlength: 255, value: entry?.title ?? '',
    hint: `The ${singular(entity).toLowerCase()}'s name, as cards and lists show it.` });

  const current = entry?.pipeline_id ?? pipelineId ?? pipelines[0]?.id;
  const pipelineField = field({ label: 'Pipeline', name: 'pipeline_id', type: 'select', value: String(current ?? ''),
    options: pipelines.map((p) => ({ value: String(p.id), label: p.name })) });
  const stageField = field({ label: 'Stage', name: 'stage_id', type: 'select', options: [] });
  const pipelineSelect = pipelineField.querySelector('select');
  const stageSelect = stageField.querySelector('select');
  function fillStages(selected) {
    const pipeline = pipelines.find((p) => String(p.id) === pipelineSelect.value);
    replace(stageSelect, (pipeline?.stages || []).map((s) => h('option', { value: String(s.id), text: s.name, selected: s.id === selected })));
  }
  fillStages(entry?.stage_id ?? stageId ?? null);
  pipelineSelect.addEventListener('change', () => fillStages(null));

  const userField = field({ label: 'Assigned to', name: 'assigned_to_user_id', type: 'select', optional: true,
    value: String(entry?.assigned_to_user_id ?? ''),
    options: [{ value: '', label: 'Nobody' }, ...[...users.values()].map((u) => ({ value: String(u.id), label: u.name }))] });
  const teamField = field({ label: 'Team', name: 'assigned_to_team_id', type: 'select', optional: true,
    value: String(entry?.assigned_to_team_id ?? ''),
    options: [{ value: '', label: 'No team' }, ...[...teams.values()].map((t) => ({ value: String(t.id), label: t.name }))] });

  const fields = entity.fields || [];
  const flat = entry?.values_flat || {};
  const form = h('form', { class: 'form entry-form', novalidate: true },
    alert, title,
    pipelines.length ? h('div', { class: 'crm-row' }, pipelineField, stageField) : null,
    h('div', { class: 'crm-row' }, userField, teamField),
    fields.length ? h('div', { class: 'entry-fields' }, fields.map((def) => valueField(def, flat[def.key]))) : null);
  const submit = h('button', { type: 'submit', class: 'button button-primary', dataset: { busyLabel: 'Saving…' },
    text: editing ? 'Save changes' : `Create ${singular(entity).toLowerCase()}` });
  const cancel = h('button', { type: 'button', class: 'button button-secondary', text: 'Cancel' });
  form.append(h('div', { class: 'form-actions' }, cancel, submit));
  if (!pipelines.length) showAlert(alert, 'This entity has no pipeline yet: add one under Fields & pipelines.', [], 'warning');
  const unsaved = trackUnsaved(form);

  return new Promise((resolve) => {
    let saved = null;
    const dialog = openDialog({
      title: editing ? `Edit ${entry.title}` : `New ${singular(entity).toLowerCase()}`,
      body: [form], size: 'large', onClose: () => resolve(saved),
    });
    cancel.addEventListener('click', () => dialog.close());
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!validate(form)) return;
      const body = {
        title: form.querySelector('[name=title]').value.trim(),
        assigned_to_user_id: userField.querySelector('select').value ? Number(userField.querySelector('select').value) : null,
        assigned_to_team_id: teamField.querySelector('select').value ? Number(teamField.querySelector('select').value) : null,
        values: readValues(form, fields, editing),
      };
      if (pipelines.length) {
        body.pipeline_id = Number(pipelineSelect.value);
        body.stage_id = Number(stageSelect.value);
      }
      const result = await submitting(form, () => (editing ? crm.updateEntry(entry.id, body) : crm.createEntry(entity.id, body)));
      if (!result) return;
      saved = result;
      unsaved.markClean();
      dialog.close();
      toast(editing ? 'Changes saved.' : `${result.title} created.`);
    });
  });
}

/** #/pipelines/{slug}/entries/{id}: the entry, its values, its customer and its stage history. */
export function render({ entity, id }) {
  const body = h('div', { class: 'entry-detail' }, loadingState('Loading…'));
  const root = h('div', { class: 'page page-crm page-crm-entry' }, body);
  const stages = stagesById(entity);

  async function load() {
    try {
      const [entry, people] = await Promise.all([crm.entry(id), workspacePeople()]);
      show(entry, people);
    } catch (error) {
      if (error.handled) return;
      replace(body, error.status === 404
        ? emptyState({ title: 'This entry does not exist', text: 'It may have been deleted.', iconName: 'pipelines',
          action: h('a', { class: 'button button-secondary', href: `#/pipelines/${encodeURIComponent(entity.slug)}/board`, text: 'Back to the board' }) })
        : errorState(error, () => { replace(body, loadingState()); load(); }));
    }
  }

  function show(entry, { users, teams }) {
    const stage = stages.get(entry.stage_id);
    const pipeline = stage?.pipeline;
    const edit = permitQuiet(h('button', { type: 'button', class: 'button button-secondary', dataset: { action: 'edit-entry' } }, h('span', { text: 'Edit' })),
      'PUT /api/brands/{brand}/crm/entries/{entry}', 'edit entries');
    const remove = permitQuiet(h('button', { type: 'button', class: 'button button-ghost-danger', dataset: { action: 'delete-entry' } }, icon('trash'), h('span', { text: 'Delete' })),
      'DELETE /api/brands/{brand}/crm/entries/{entry}', 'delete entries');
    edit.addEventListener('click', async () => {
      if (await openEntryForm({ entity, entry })) load();
    });
    remove.addEventListener('click', async () => {
      const ok = await confirmDialog({ title: `Delete the ${entity.singular_name?.toLowerCase() || 'entry'} ${entry.title}?`,
        message: 'The entry and its stage history are deleted. You can undo for 10 seconds.', confirmLabel: `Delete ${entity.singular_name?.toLowerCase() || 'entry'}`, danger: true });
      if (!ok) return;
      const board = `/pipelines/${encodeURIComponent(entity.slug)}/board?pipeline=${entry.pipeline_id}`;
      navigate(board);
      deleteWithUndo({ label: `“${entry.title}”`, path: crm.entryPath(entry.id), restore: () => redrawRoute(`#${board}`) });
    });

    // Moving from here: a select of the pipeline's stages.
    const move = h('select', { class: 'select-compact', 'aria-label': 'Stage', dataset: { action: 'move-stage' } },
      (pipeline?.stages || []).map((s) => h('option', { value: String(s.id), text: s.name, selected: s.id === entry.stage_id })));
    move.addEventListener('change', async () => {
      move.disabled = true;
      try {
        await crm.moveEntry(entry.id, Number(move.value));
        toast(`Moved to ${stages.get(Number(move.value))?.name}.`);
        load();
      } catch (error) {
        move.value = String(entry.stage_id);
        move.disabled = false;
        if (!error.handled) toast(error.message, 'error');
      }
    });

    const user = users.get(entry.assigned_to_user_id);
    const team = teams.get(entry.assigned_to_team_id);
    const facts = h('dl', { class: 'facts' },
      fact('Stage', swatch(h('span', { class: 'fact-stage' }, h('span', { class: 'stage-dot', 'aria-hidden': 'true' }), move), stage?.color)),
      fact('Pipeline', h('span', { text: pipeline?.name || '—' })),
      fact('Assigned to', user ? h('span', { class: 'person' }, avatar(user.name, 'small'), h('span', { text: user.name })) : h('span', { class: 'muted', text: 'Nobody' })),
      fact('Team', h('span', { class: team ? '' : 'muted', text: team?.name || 'No team' })),
      fact('Reference', entry.reference_id ? h('span', { class: 'mono', text: `${entry.reference_type || 'reference'} · ${entry.reference_id}` }) : h('span', { class: 'muted', text: '—' })),
      fact('Created', time(entry.created_at)),
      fact('Updated', time(entry.updated_at)),
      fact('Id', h('span', { class: 'mono', text: entry.id })));

    const values = (entity.fields || []).map((def) => fact(def.name, valueNode(def, entry.values_flat?.[def.key])));
    const customer = entry.customer
      ? h('dl', { class: 'facts' },
        fact('Name', h('span', { text: entry.customer.name || '—' })),
        fact('Email', h('span', { text: entry.customer.email || '—' })),
        fact('Lifetime value', h('span', { text: String(entry.customer.clv_total ?? '—') })),
        fact('RFM segment', h('span', { text: entry.customer.rfm_segment || '—' })))
      : h('p', { class: 'muted', text: 'No customer of this workspace has this entry\'s email address.' });

    replace(body,
      entityHeader(entity, 'board', [edit, remove]),
      h('div', { class: 'entry-grid' },
        h('div', { class: 'entry-main' },
          card({ title: 'Details', body: [facts] }),
          card({ title: 'Fields', body: [values.length ? h('dl', { class: 'facts' }, values) : h('p', { class: 'muted', text: 'This entity has no fields.' })] }),
          tasksPanel({ subjectType: 'entry', subjectId: entry.id }),
          notesPanel({ subjectType: 'entry', subjectId: entry.id })),
        h('div', { class: 'entry-side' },
          timelineCard({
            path: crm.entryPath(entry.id), className: 'card-history', filters: ['all', 'stages', 'notes'],
            description: 'Stage moves, notes and tasks, newest first.', emptyText: 'Stage moves, notes and tasks appear here.',
          }),
          card({ title: 'Customer', body: [customer] }))));
    // The header names the entity; on this page its h1 is the entry.
    const heading = body.querySelector('h1');
    if (heading) heading.textContent = entry.title;
  }

  load();
  return root;
}

function fact(label, value) {
  return h('div', { class: 'fact' }, h('dt', { text: label }), h('dd', {}, value));
}

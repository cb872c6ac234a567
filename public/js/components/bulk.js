// A bulk action on a list's selection (loaded with the first click on the action bar of
// components/list.js): the action's one question (which tag, which owner), the count asked of
// the server first (POST /v1/bulk?preview=true) and confirmed ("Add the tag to 312
// customers?"), then the run: at once up to 1,000 records, else a job whose progress shows
// until it is done. Deleting waits ten seconds with Undo, as single deletes do (undo.js).

import { api } from '../api.js';
import { h } from '../dom.js';
import { confirmDialog, openDialog } from './dialog.js';
import { count } from './format.js';
import { firstError } from './list.js';
import { workspacePeople } from './people.js';
import { toast } from './toast.js';
import { deleteWithUndo } from './undo.js';

const VERBS = {
  add_tags: { title: 'Add a tag', button: 'Add tag', done: (n, tag) => `Tagged ${n} “${tag}”.` },
  remove_tags: { title: 'Remove a tag', button: 'Remove tag', done: (n, tag) => `Removed “${tag}” from ${n}.` },
  set_owner: { title: 'Set the owner', button: 'Set owner', done: (n) => `Set the owner of ${n}.` },
  move_stage: { title: 'Move to a stage', button: 'Move', done: (n, stage) => `Moved ${n} to ${stage}.` },
  set_field: { title: 'Set a field', button: 'Set', done: (n, what) => `Set ${what} for ${n}.` },
  add_to_campaign: { title: 'Add to a campaign’s audience', button: 'Add', done: (n, campaign) => `Added ${n} to the audience of ${campaign}.` },
  delete: { title: 'Delete', button: 'Delete', done: (n) => `Deleted ${n}.` },
};

/** The fields "Set a field" offers, per target (the API's settable fields). */
const SETTABLE = {
  customers: [['city', 'City'], ['country', 'Country'], ['phone', 'Phone']],
  companies: [['industry', 'Industry'], ['country', 'Country'], ['city', 'City']],
};

/** Asks the action's question; resolves {action, label} or null. */
async function ask(type, stages, target) {
  if (type === 'delete') return { action: { type }, label: '' };
  const verb = VERBS[type];
  let control;
  if (type === 'move_stage') {
    control = h('select', { name: 'stage_id', autofocus: true }, stages.map((s) => h('option', { value: String(s.id), text: s.label })));
  } else if (type === 'set_field') {
    control = [
      h('select', { name: 'field', autofocus: true, 'aria-label': 'Field' }, (SETTABLE[target] || []).map(([key, label]) => h('option', { value: key, text: label }))),
      h('input', { type: 'text', name: 'value', maxlength: 120, autocomplete: 'off', 'aria-label': 'Value', placeholder: 'Empty clears it' }),
    ];
  } else if (type === 'add_to_campaign') {
    // Campaigns not sent yet; the server checks that the audience is a segment on one tag.
    const campaigns = ((await api.get('/v1/campaigns', { query: { per_page: 100 } }).catch(() => null))?.data || [])
      .filter((c) => c.status === 'draft' || c.status === 'scheduled');
    control = [
      h('select', { name: 'campaign_id', autofocus: true }, campaigns.map((c) => h('option', { value: String(c.id), text: c.name }))),
      h('span', { class: 'field-hint', text: 'Customers join through the tag the campaign’s segment filters on.' }),
    ];
  } else if (type === 'set_owner') {
    const people = await workspacePeople();
    control = h('select', { name: 'owner_id', autofocus: true },
      h('option', { value: '', text: 'No owner' }),
      [...people.users.values()].map((user) => h('option', { value: String(user.id), text: user.name || user.email })));
  } else {
    const tags = (await api.get('/v1/tags').catch(() => null))?.data || [];
    control = [
      h('input', { type: 'text', name: 'tag', maxlength: 50, autocomplete: 'off', list: 'bulk-tag-names', autofocus: true }),
      h('datalist', { id: 'bulk-tag-names' }, tags.map((t) => h('option', { value: t.name }))),
    ];
  }
  return new Promise((resolve) => {
    let answer = null;
    const error = h('p', { class: 'field-error', hidden: true });
    const form = h('form', { class: 'bulk-form', novalidate: true },
      h('label', { class: 'field' }, h('span', { class: 'field-label', text: { set_owner: 'Owner', move_stage: 'Stage', add_to_campaign: 'Campaign', set_field: 'Field and value' }[type] || 'Tag' }), control, error));
    const submit = h('button', { type: 'button', class: 'button button-primary', text: 'Continue', dataset: { action: 'continue' }, onClick: () => form.requestSubmit() });
    const handle = openDialog({ title: verb.title, body: [form], actions: [submit], size: 'small', onClose: () => resolve(answer) });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (type === 'set_field') {
        const select = form.elements.field;
        const value = form.elements.value.value.trim();
        const name = select.selectedOptions[0].textContent;
        answer = { action: { type, field: select.value, value: value || null }, label: value ? `${name} to “${value}”` : `${name} to nothing` };
      } else if (type === 'add_to_campaign') {
        const select = form.elements.campaign_id;
        if (!select.value) {
          error.textContent = 'There is no campaign to add to: create a draft first.';
          error.hidden = false;
          return;
        }
        answer = { action: { type, campaign_id: Number(select.value) }, label: select.selectedOptions[0].textContent };
      } else if (type === 'move_stage') {
        const select = form.elements.stage_id;
        answer = { action: { type, stage_id: Number(select.value) }, label: select.selectedOptions[0]?.textContent || '' };
      } else if (type === 'set_owner') {
        const value = form.elements.owner_id.value;
        const label = value ? form.elements.owner_id.selectedOptions[0].textContent : 'no owner';
        answer = { action: { type, owner_id: value ? Number(value) : null }, label };
      } else {
        const tag = form.elements.tag.value.trim().replace(/\s+/g, ' ');
        if (!tag || tag.length > 50) {
          error.textContent = tag ? 'A tag is at most 50 characters.' : 'Name the tag.';
          error.hidden = false;
          form.elements.tag.setAttribute('aria-invalid', 'true');
          form.elements.tag.focus();
          return;
        }
        answer = { action: { type, tags: [tag] }, label: tag };
      }
      handle.close('confirm');
    });
  });
}

/** The question of the confirmation, with the count. */
function question(type, label, n) {
  switch (type) {
    case 'add_tags': return [`Add the tag “${label}” to ${n}?`, 'Each gets the tag once; those that have it stay as they are.'];
    case 'remove_tags': return [`Remove the tag “${label}” from ${n}?`, 'Those without it stay as they are.'];
    case 'set_owner': return [`Make ${label} the owner of ${n}?`, 'Each change is kept in the record’s history.'];
    case 'set_field': return [`Set ${label} for ${n}?`, 'Each change is kept in the record’s history, as an edit’s is.'];
    case 'add_to_campaign': return [`Add ${n} to the audience of ${label}?`, 'They get the tag the campaign’s segment filters on.'];
    case 'move_stage': return [`Move ${n} to ${label}?`, 'Those of another pipeline stay where they are; each move is in the stage history.'];
    default: return [`Delete ${n}?`, 'They are deleted as one by one deletes would, with their notes and tasks. You can undo for 10 seconds.'];
  }
}

/** Runs one bulk action: see the file's comment. */
export async function runBulk({ type, target, entityId, selection, plural, stages, done }) {
  const answer = await ask(type, stages, target);
  if (!answer) return;
  const body = { target, ...(entityId ? { entity_id: Number(entityId) } : {}), ...selection, action: answer.action };
  let preview;
  try {
    preview = await api.post('/v1/bulk', body, { query: { preview: 'true' } });
  } catch (error) {
    if (!error.handled) toast(`Could not prepare the action: ${firstError(error)}`, 'error');
    return;
  }
  if (!preview.count) {
    toast('No records match any more.', 'info');
    return;
  }
  const n = plural(preview.count);
  const [title, message] = question(type, answer.label, n);
  const ok = await confirmDialog({
    title,
    message: preview.runs_as_job ? `${message} It runs in the background; its progress shows here.` : message,
    confirmLabel: type === 'delete' ? `Delete ${n}` : `Apply to ${n}`,
    danger: type === 'delete',
  });
  if (!ok) return;
  if (type === 'delete') {
    deleteWithUndo({ label: n, path: `bulk:${Date.now()}`, send: (keepalive) => api.post('/v1/bulk', body, { keepalive }).then(follow), done });
    return;
  }
  try {
    follow(await api.post('/v1/bulk', body)).then((result) => {
      if (result?.status === 'done') toast(VERBS[type].done(plural(result.changed), answer.label));
      done();
    });
  } catch (error) {
    if (!error.handled) toast(`Could not apply the action: ${firstError(error)}`, 'error');
  }
}

/** Resolves with the operation once it is done: at once, or after showing a job's progress. */
function follow(operation) {
  if (!operation || operation.status === 'done' || operation.status === 'failed') return Promise.resolve(operation);
  return new Promise((resolve) => {
    const bar = h('progress', { max: operation.total, value: operation.processed, class: 'bulk-progress-bar' });
    const text = h('p', { class: 'bulk-progress-text', role: 'status', text: `${count(operation.processed)} of ${count(operation.total)} done` });
    const handle = openDialog({
      title: 'Working on it',
      description: 'The action runs in the background: you can close this and go on working.',
      body: [bar, text],
      actions: [h('button', { type: 'button', class: 'button button-secondary', text: 'Hide', onClick: () => handle.close('hide') })],
      size: 'small',
    });
    handle.dialog.classList.add('bulk-progress');
    const poll = async () => {
      let latest = operation;
      try {
        latest = await api.get(`/v1/bulk/${operation.id}`);
      } catch {
        // Try again at the next tick.
      }
      bar.value = latest.processed;
      text.textContent = `${count(latest.processed)} of ${count(latest.total)} done`;
      if (latest.status === 'done' || latest.status === 'failed') {
        handle.close('done');
        toast(latest.status === 'done' ? `Done: ${count(latest.changed)} changed.` : `The action stopped: ${latest.error || 'failed'}.`,
          latest.status === 'done' ? 'success' : 'error');
        resolve(latest);
        return;
      }
      setTimeout(poll, 1000);
    };
    setTimeout(poll, 1000);
  });
}

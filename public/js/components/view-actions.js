// The saved views' actions (loaded with the first click on a view bar's button, see viewTabs in
// list.js): save the list as a view, update a view with the list as it is, rename, delete.

import { api } from '../api.js';
import { h } from '../dom.js';
import { confirmDialog, openDialog } from './dialog.js';
import { firstError } from './list.js';
import { toast } from './toast.js';

/** Asks for a name (and whether to share); resolves {name, shared} or null. */
function nameDialog({ title, name = '', shared = null, submitLabel }) {
  return new Promise((resolve) => {
    let answer = null;
    const input = h('input', { type: 'text', name: 'name', maxlength: 120, value: name, autocomplete: 'off', autofocus: true });
    const error = h('p', { class: 'field-error', hidden: true });
    const sharedBox = shared === null ? null : h('input', { type: 'checkbox', name: 'shared', checked: shared });
    const form = h('form', { class: 'view-form', novalidate: true },
      h('label', { class: 'field' }, h('span', { class: 'field-label', text: 'Name' }), input, error),
      sharedBox ? h('label', { class: 'checkbox-field' }, sharedBox, h('span', { text: 'Share with the whole workspace' })) : null);
    const submit = h('button', { type: 'button', class: 'button button-primary', text: submitLabel, dataset: { action: 'confirm' }, onClick: () => form.requestSubmit() });
    const handle = openDialog({ title, body: [form], actions: [submit], size: 'small', onClose: () => resolve(answer) });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!input.value.trim()) {
        error.textContent = 'Give the view a name.';
        error.hidden = false;
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        return;
      }
      answer = { name: input.value.trim(), shared: sharedBox ? sharedBox.checked : undefined };
      handle.close('confirm');
    });
  });
}

/** Saves the list (`current()`) as a new view of `list`, then opens it. */
export async function saveAs({ list, current, hrefFor }) {
  const answer = await nameDialog({ title: 'Save as a view', shared: false, submitLabel: 'Save view' });
  if (!answer) return;
  try {
    const view = await api.post('/v1/views', { list, name: answer.name, shared: answer.shared, ...current() });
    toast(`Saved the view “${view.name}”.`);
    location.hash = hrefFor(view);
  } catch (error) {
    if (!error.handled) toast(`Could not save the view: ${firstError(error)}`, 'error');
  }
}

/** Writes `body` to `view`; `redraw(saved)` shows it. */
export async function change({ redraw }, view, body, verb) {
  try {
    const saved = await api.put(`/v1/views/${view.id}`, body);
    toast(`${verb} the view “${saved.name}”.`);
    redraw(saved);
  } catch (error) {
    if (!error.handled) toast(`Could not change the view: ${firstError(error)}`, 'error');
  }
}

/** Asks for a new name. */
export async function rename(context, view) {
  const answer = await nameDialog({ title: 'Rename the view', name: view.name, submitLabel: 'Rename' });
  if (!answer) return;
  await change(context, view, { name: answer.name }, 'Renamed');
}

/** Deletes `view` once confirmed, then shows the whole list. */
export async function remove({ hrefFor }, view) {
  const ok = await confirmDialog({ title: `Delete the view “${view.name}”?`, message: 'The view goes for everyone who sees it; the records stay.', confirmLabel: 'Delete view', danger: true });
  if (!ok) return;
  try {
    await api.del(`/v1/views/${view.id}`);
    toast(`Deleted the view “${view.name}”.`);
    location.hash = hrefFor(null);
  } catch (error) {
    if (!error.handled) toast(`Could not delete the view: ${firstError(error)}`, 'error');
  }
}

// Unsaved changes: a form's values at load (or at its last save) against its values now.
// The router asks before leaving a page with changes (setLeaveGuard in app.js), and the browser
// asks before the page unloads.

import { confirmDialog } from './dialog.js';

const tracked = new Set();

function snapshotOf(form) {
  const values = [];
  // Every control, named or not (rows added on the page, such as a customer's properties).
  for (const control of form.querySelectorAll('input, select, textarea')) {
    if (['file', 'password', 'submit', 'button'].includes(control.type) || control.disabled) continue;
    values.push([control.name, control.type === 'checkbox' || control.type === 'radio' ? control.checked : control.value]);
  }
  return JSON.stringify(values);
}

/**
 * Tracks `form`. `read()`: the state to compare, for editors whose state is not all in named
 * controls (default: every named control's value). Call `markClean()` once saved (before
 * navigating away) and after filling the form in from the server. Input and change events
 * update `form.dataset.dirty`.
 */
export function trackUnsaved(form, { read = () => snapshotOf(form) } = {}) {
  let saved = read();
  const entry = {
    form,
    dirty() {
      return form.isConnected && read() !== saved;
    },
  };
  const update = () => {
    if (entry.dirty()) form.dataset.dirty = 'true';
    else delete form.dataset.dirty;
  };
  form.addEventListener('input', update);
  form.addEventListener('change', update);
  tracked.add(entry);
  return {
    markClean() {
      saved = read();
      delete form.dataset.dirty;
    },
    isDirty: () => entry.dirty(),
    update,
  };
}

/** Whether a form on the page has changes not saved. */
export function hasUnsavedChanges() {
  for (const entry of [...tracked]) {
    if (!entry.form.isConnected) tracked.delete(entry);
    else if (entry.dirty()) return true;
  }
  return false;
}

/** Asks whether to leave the page and lose its changes; when yes, they count as discarded. */
export async function confirmLeave() {
  const leave = await confirmDialog({
    title: 'Leave without saving?',
    message: 'This page has changes that are not saved. Leaving discards them.',
    confirmLabel: 'Leave and discard',
    cancelLabel: 'Stay on this page',
    danger: true,
  });
  if (leave) tracked.clear();
  return leave;
}

window.addEventListener('beforeunload', (event) => {
  if (!hasUnsavedChanges()) return;
  event.preventDefault();
  event.returnValue = '';
});

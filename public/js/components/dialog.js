// Modal dialogs on the native <dialog> element: focus is kept inside, Escape closes, and
// focus returns to what opened it.

import { h, icon, uid } from '../dom.js';

/**
 * Opens a modal dialog. `body`: nodes; `actions`: nodes for the footer;
 * `onClose(returnValue)` runs once when it closes (Escape, the close button or `close()`).
 * Returns { dialog, close }.
 */
export function openDialog({ title, description, body = [], actions = [], onClose, size = '', closeLabel = 'Close' }) {
  const opener = document.activeElement;
  const titleId = uid('dialog-title');
  const descriptionId = description ? uid('dialog-desc') : null;
  const dialog = h(
    'dialog',
    { class: ['modal', size && `modal-${size}`], 'aria-labelledby': titleId, 'aria-describedby': descriptionId },
    h(
      'div',
      { class: 'modal-header' },
      h('h2', { class: 'modal-title', id: titleId, text: title }),
      h('button', { type: 'button', class: 'icon-button modal-close', 'aria-label': closeLabel, onClick: () => close('cancel') }, icon('close')),
    ),
    h('div', { class: 'modal-body' }, description ? h('p', { class: 'modal-description', id: descriptionId, text: description }) : null, body),
    actions.length ? h('div', { class: 'modal-footer' }, actions) : null,
  );

  let closed = false;
  function close(value = '') {
    if (closed) return;
    closed = true;
    if (dialog.open) dialog.close(value);
    dialog.remove();
    if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
    if (onClose) onClose(value);
  }
  dialog.addEventListener('cancel', (event) => {
    event.preventDefault();
    close('cancel');
  });
  dialog.addEventListener('close', () => close(dialog.returnValue));

  document.body.append(dialog);
  dialog.showModal();
  const autofocus = dialog.querySelector('[autofocus]') || dialog.querySelector('.modal-body input, .modal-body select, .modal-body textarea');
  if (autofocus) autofocus.focus();
  return { dialog, close };
}

/**
 * The one confirmation of the console, before anything irreversible or sent to many: a modal
 * with a title, the text, Cancel and a button named for the action (`danger`: red). Escape and
 * Cancel answer no; focus goes back to the control that asked. `typed`: {label, accept: [words]}
 * adds a field that must hold one of the words before the action is enabled. Resolves true
 * when confirmed.
 */
export function confirmDialog({ title, message, confirmLabel = 'Confirm', cancelLabel = 'Cancel', danger = false, typed = null }) {
  return new Promise((resolve) => {
    let result = false;
    const cancel = h('button', { type: 'button', class: 'button button-secondary', dataset: { action: 'cancel' }, text: cancelLabel, onClick: () => handle.close('cancel') });
    const confirm = h('button', {
      type: 'button',
      class: ['button', danger ? 'button-danger' : 'button-primary'],
      dataset: { action: 'confirm' },
      text: confirmLabel,
      disabled: Boolean(typed),
      onClick: () => {
        result = true;
        handle.close('confirm');
      },
    });
    let input = null;
    let typedField = null;
    if (typed) {
      const id = uid('confirm-typed');
      input = h('input', { id, type: 'text', autocomplete: 'off', spellcheck: 'false', class: 'mono' });
      input.addEventListener('input', () => {
        confirm.disabled = !typed.accept.includes(input.value.trim());
      });
      input.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' && !confirm.disabled) confirm.click();
      });
      typedField = h('div', { class: 'field' }, h('label', { for: id, text: typed.label }), input);
    }
    const handle = openDialog({
      title,
      body: [h('p', { class: 'modal-message', text: message }), typedField],
      actions: [cancel, confirm],
      size: 'small',
      onClose: () => resolve(result),
    });
    handle.dialog.classList.add('modal-confirm');
    (input || cancel).focus();
  });
}

// A read-only value with a copy button: the Clipboard API, or selecting the text and
// execCommand('copy') where that is unavailable.

import { h, icon, uid } from '../dom.js';

async function copyText(text, input) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Permission refused: fall back to selecting the text.
    }
  }
  input.focus();
  input.select();
  input.setSelectionRange(0, text.length);
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  }
}

/** A labelled read-only field holding `value`, with a Copy button beside it (`autofocus`: the
 * button takes the focus when its dialog opens). */
export function copyField({ label, value, name = 'copy', monospace = true, autofocus = false }) {
  const id = uid(name);
  const statusId = `${id}-status`;
  // A long secret wraps in a textarea rather than scrolling out of sight in an input.
  const input = h(monospace ? 'textarea' : 'input', {
    id,
    type: monospace ? null : 'text',
    rows: monospace ? 2 : null,
    readonly: true,
    class: ['copy-input', monospace && 'mono'],
    value,
    spellcheck: 'false',
    autocomplete: 'off',
    'aria-describedby': statusId,
    dataset: { copyValue: name },
  });
  input.addEventListener('focus', () => input.select());
  const status = h('span', { class: 'copy-status', id: statusId, 'aria-live': 'polite' });
  const buttonLabel = h('span', { text: 'Copy' });
  const button = h('button', { type: 'button', class: 'button button-secondary copy-button', autofocus, dataset: { copy: name } }, icon('copy'), buttonLabel);
  let timer = null;
  button.addEventListener('click', async () => {
    const ok = await copyText(value, input);
    status.textContent = ok ? 'Copied to the clipboard.' : 'Press Ctrl+C (⌘C) to copy the selected text.';
    buttonLabel.textContent = ok ? 'Copied' : 'Copy';
    button.classList.toggle('is-copied', ok);
    if (!ok) input.select();
    clearTimeout(timer);
    timer = setTimeout(() => {
      buttonLabel.textContent = 'Copy';
      button.classList.remove('is-copied');
      status.textContent = '';
    }, 4000);
  });
  return h(
    'div',
    { class: 'copy-field' },
    h('label', { for: id, class: 'copy-label', text: label }),
    h('div', { class: 'copy-row' }, input, button),
    status,
  );
}

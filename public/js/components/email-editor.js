// The visual mode of an email's HTML: the message's body edited in place (contenteditable,
// designMode) in a frame of /email-editor.html, a page with the email preview's own CSP
// (nginx), so that the message's inline styles and images show and the console's policy
// and styles stay apart. The frame is sandboxed without scripts: nothing in the message
// runs; the console drives the editing from outside (same origin). A small toolbar: bold,
// italic, link, heading, list and button. What it gives back is the message as before with
// its body's content edited: a full document keeps its head and <body> tag. The server
// applies its own rules to any body when it composes a message (CampaignDelivery.compose:
// unsafe links become "#"), and the live preview shows its answer: nothing is re-checked here.

import { h, icon } from '../dom.js';
import { openDialog } from './dialog.js';
import { field } from './form.js';

const BUTTON_STYLE = 'display:inline-block;padding:12px 20px;background:#4f46e5;color:#ffffff;border-radius:6px;text-decoration:none;font-weight:600';

/** The message split around its body's content: [before, content, after]. */
export function splitBody(html) {
  const text = String(html ?? '');
  const open = /<body\b[^>]*>/i.exec(text);
  if (!open) return ['', text, ''];
  const start = open.index + open[0].length;
  const close = text.toLowerCase().lastIndexOf('</body>');
  const end = close >= start ? close : text.length;
  return [text.slice(0, start), text.slice(start, end), text.slice(end)];
}

function escapeAttribute(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/** { element, setHTML(html), focus() }: `onInput(html)` after each edit. */
export function emailEditor({ html = '', onInput, label = 'Email body' }) {
  let parts = splitBody(html);
  let doc = null;
  const frame = h('iframe', { class: 'email-editor-frame', title: `${label} (visual editor)`, src: '/email-editor.html', sandbox: 'allow-same-origin' });
  const tools = [
    ['bold', 'Bold', 'B', () => run('bold')],
    ['italic', 'Italic', 'I', () => run('italic')],
    ['link', 'Link', null, () => askLink(false)],
    ['heading', 'Heading', 'H', heading],
    ['list', 'Bulleted list', null, () => run('insertUnorderedList')],
    ['button', 'Button', null, () => askLink(true)],
  ];
  const toolbar = h('div', { class: 'email-editor-toolbar', role: 'toolbar', 'aria-label': `${label} formatting` },
    tools.map(([name, title, letter, act]) => {
      const b = h('button', { type: 'button', class: ['button', 'button-ghost', 'button-small', 'email-tool'], 'aria-label': title, title, dataset: { tool: name } },
        letter ? h('span', { class: `email-tool-${name}`, text: letter }) : icon(name === 'list' ? 'list' : name === 'link' ? 'link' : 'plus', 'icon icon-small'),
        name === 'button' ? h('span', { text: 'Button' }) : null);
      // Keep the selection in the frame: a pressed button does not take the focus.
      b.addEventListener('mousedown', (event) => event.preventDefault());
      b.addEventListener('click', act);
      return b;
    }));
  const element = h('div', { class: 'email-editor' }, toolbar, frame);

  function changed() {
    if (onInput && doc) onInput(parts[0] + doc.body.innerHTML + parts[2]);
  }
  function run(command, value = null) {
    if (!doc) return;
    doc.execCommand(command, false, value);
    changed();
  }
  function heading() {
    const node = doc?.getSelection()?.anchorNode;
    const block = node && (node.nodeType === 1 ? node : node.parentElement)?.closest('h1, h2, h3');
    run('formatBlock', block ? 'p' : 'h2');
  }
  function load() {
    doc = frame.contentDocument;
    if (!doc || !doc.body) return;
    doc.body.innerHTML = parts[1];
    doc.designMode = 'on';
    doc.execCommand('styleWithCSS', false, false);
    doc.addEventListener('input', changed);
  }
  frame.addEventListener('load', load);

  /** Asks for an address (and a button's text), then links the selection or inserts a button. */
  function askLink(asButton) {
    if (!doc) return;
    const selection = doc.getSelection();
    const range = selection && selection.rangeCount ? selection.getRangeAt(0).cloneRange() : null;
    const form = h('form', { class: 'form', novalidate: true },
      field({ label: 'Address', name: 'url', type: 'url', placeholder: 'https://example.com/spring', required: true }),
      asButton ? field({ label: 'Button text', name: 'text', value: (range && String(range)) || 'Have a look' }) : null);
    const ok = h('button', { type: 'submit', class: 'button button-primary', text: asButton ? 'Insert button' : 'Link' });
    const cancel = h('button', { type: 'button', class: 'button button-secondary', text: 'Cancel' });
    const { close } = openDialog({ title: asButton ? 'Insert a button' : 'Link the selection', body: form, actions: [cancel, ok] });
    cancel.addEventListener('click', () => close('cancel'));
    const submit = (event) => {
      event.preventDefault();
      const url = form.elements.url.value.trim();
      if (!url) { form.elements.url.focus(); return; }
      close('done');
      frame.contentWindow.focus();
      if (range) { selection.removeAllRanges(); selection.addRange(range); }
      if (asButton) {
        const text = form.elements.text.value.trim() || 'Have a look';
        run('insertHTML', `<a href="${escapeAttribute(url)}" style="${BUTTON_STYLE}">${escapeAttribute(text)}</a>`);
      } else {
        run('createLink', url);
      }
    };
    ok.addEventListener('click', submit);
    form.addEventListener('submit', submit);
  }

  return {
    element,
    setHTML(next) {
      parts = splitBody(next);
      if (doc && doc.body) doc.body.innerHTML = parts[1];
    },
  };
}

// The notes of a record (a customer, an entry): a Markdown editor with a preview, and the
// notes, pinned first then newest, rendered by the safe renderer (markdown.js). Only the
// author, owners and admins see Edit and Delete; viewers only read.

import { activityChanged } from './timeline.js';
import { api } from '../api.js';
import { avatar, h, replace, time } from '../dom.js';
import { session } from '../session.js';
import { confirmDialog } from './dialog.js';
import { markdownBlock } from './markdown.js';
import { card, errorState, loadingState } from './page.js';
import { toast } from './toast.js';

/** A textarea with Write and Preview tabs, a pin box and Save (and Cancel when editing). */
function noteEditor({ body = '', pinned = false, saveLabel = 'Add note', onSave, onCancel = null }) {
  const textarea = h('textarea', { class: 'note-input', name: 'body', rows: 4, 'aria-label': 'Note (Markdown)',
    placeholder: 'Write a note… Markdown: **bold**, *italic*, - lists, [links](https://…)' });
  textarea.value = body;
  const preview = h('div', { class: 'note-preview', hidden: true });
  const error = h('p', { class: 'field-error', hidden: true });
  const pin = h('input', { type: 'checkbox', name: 'pinned', checked: pinned });
  const tab = (label, showPreview) => h('button', { type: 'button', class: 'note-tab', 'aria-pressed': String(!showPreview),
    dataset: { tab: showPreview ? 'preview' : 'write' }, text: label,
    onClick: (e) => {
      preview.hidden = !showPreview;
      textarea.hidden = showPreview;
      if (showPreview) replace(preview, textarea.value.trim() ? markdownBlock(textarea.value) : h('p', { class: 'muted', text: 'Nothing to preview.' }));
      for (const b of tabs.children) b.setAttribute('aria-pressed', String(b === e.currentTarget));
    } });
  const tabs = h('div', { class: 'note-tabs', role: 'group', 'aria-label': 'Editor' }, tab('Write', false), tab('Preview', true));
  const save = h('button', { type: 'submit', class: 'button button-primary button-small', text: saveLabel });
  const form = h('form', { class: 'note-editor', novalidate: true,
    onSubmit: async (e) => {
      e.preventDefault();
      error.hidden = true;
      if (!textarea.value.trim()) { textarea.focus(); return; }
      save.disabled = true;
      try {
        await onSave({ body: textarea.value, pinned: pin.checked });
        textarea.value = '';
        pin.checked = false;
        if (!preview.hidden) tabs.children[0].click();
      } catch (err) {
        if (err?.handled) return;
        error.textContent = err?.errors?.body?.[0] || err?.message || 'The note could not be saved.';
        error.hidden = false;
      } finally {
        save.disabled = false;
      }
    } },
  tabs, textarea, preview, error,
  h('div', { class: 'note-editor-actions' },
    h('label', { class: 'check' }, pin, h('span', { text: 'Pin to top' })),
    onCancel ? h('button', { type: 'button', class: 'button button-secondary button-small', text: 'Cancel', onClick: onCancel }) : null,
    save));
  return form;
}

function mayEdit(note) {
  return note.author_id === session.me?.user?.id || session.can('notes.edit_others');
}

/** The notes card of `subjectType` `subjectId`. */
export function notesPanel({ subjectType, subjectId }) {
  const list = h('ul', { class: 'note-list' });
  const status = h('div', {}, loadingState('Loading notes…'));
  const base = { subject_type: subjectType, subject_id: String(subjectId) };
  const canWrite = session.can('POST /v1/notes');

  async function load() {
    try {
      const result = await api.get('/v1/notes', { query: { ...base, per_page: 100 } });
      replace(status);
      replace(list, (result.data || []).map(item));
      if (!result.data?.length) status.append(h('p', { class: 'muted note-empty', text: canWrite ? 'No notes yet. Write the first one above.' : 'No notes yet.' }));
    } catch (error) {
      if (!error.handled) replace(status, errorState(error, load));
    }
  }

  function item(note) {
    const body = markdownBlock(note.body);
    const li = h('li', { class: ['note', note.pinned ? 'is-pinned' : ''], dataset: { noteId: note.id } });
    const actions = mayEdit(note) ? h('div', { class: 'note-actions' },
      h('button', { type: 'button', class: 'button button-ghost button-small', text: note.pinned ? 'Unpin' : 'Pin',
        onClick: async () => { await api.put(`/v1/notes/${note.id}`, { pinned: !note.pinned }); load(); } }),
      h('button', { type: 'button', class: 'button button-ghost button-small', text: 'Edit', dataset: { action: 'edit' },
        onClick: () => {
          replace(li, noteEditor({ body: note.body, pinned: note.pinned, saveLabel: 'Save',
            onSave: async (changes) => { await api.put(`/v1/notes/${note.id}`, changes); toast('Note saved.'); activityChanged(); load(); },
            onCancel: () => load() }));
        } }),
      h('button', { type: 'button', class: 'button button-ghost-danger button-small', text: 'Delete', dataset: { action: 'delete' },
        onClick: async () => {
          if (!await confirmDialog({ title: 'Delete this note?', message: 'The note is removed for everybody.', confirmLabel: 'Delete note', danger: true })) return;
          await api.del(`/v1/notes/${note.id}`);
          toast('Note deleted.');
          activityChanged();
          load();
        } })) : null;
    replace(li,
      h('div', { class: 'note-head' },
        avatar(note.author_name || 'API', 'avatar-small'),
        h('span', { class: 'note-author', text: note.author_name || 'API key' }),
        h('span', { class: 'muted small' }, time(note.created_at)),
        note.pinned ? h('span', { class: 'badge badge-neutral', text: 'Pinned' }) : null,
        actions),
      body);
    return li;
  }

  const editor = canWrite ? noteEditor({
    onSave: async (note) => {
      await api.post('/v1/notes', { ...base, ...note, subject_id: subjectType === 'customer' ? Number(subjectId) : subjectId });
      toast('Note added.');
      activityChanged();
      load();
    },
  }) : null;
  load();
  return card({ title: 'Notes', className: 'card-notes', body: [editor, status, list] });
}

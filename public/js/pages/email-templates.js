// #/email-templates, #/email-templates/new and #/email-templates/{id}: the workspace's saved
// email templates (what automations' "Send email" steps send), with the HTML editor, a live
// preview rendered by the server (the campaigns' merge, for a sample recipient) in a
// email-preview.js frame (sandboxed, no same origin), and delete. All user data goes in as text.

import { api } from '../api.js';
import { h, icon, replace } from '../dom.js';
import { navigate } from '../router.js';
import { confirmDialog } from '../components/dialog.js';
import { emailPreview } from '../components/email-preview.js';
import { dateOnly } from '../components/format.js';
import { alertRegion, field, submitting, values } from '../components/form.js';
import { card, emptyState, errorState, loadingState, pageHeader, tableWrap } from '../components/page.js';
import { toast } from '../components/toast.js';
import { campaignStyles } from './campaigns.js';
import { permit } from '../components/permit.js';
import { deleteWithUndo, isPendingDelete, redrawRoute } from '../components/undo.js';
import { trackUnsaved } from '../components/unsaved.js';

const TAGS = ['{{name}}', '{{first_name|there}}', '{{email}}', '{{city}}', '{{properties.plan}}', '{{unsubscribe_url}}'];
const STARTER = '<h1>Hello {{first_name|there}}</h1>\n<p>Write your message here.</p>\n<p style="font-size:12px"><a href="{{unsubscribe_url}}">Unsubscribe</a></p>';

export function render({ params, path }) {
  campaignStyles();
  const id = params[0] || null;
  if (id || String(path).endsWith('/new')) return editor(id);
  return list();
}

function list() {
  const body = h('div', {}, loadingState('Loading templates…'));
  const root = h('div', { class: 'page page-email-templates' },
    pageHeader({
      title: 'Email templates',
      description: 'Saved emails with merge tags, sent by automations\u2019 "Send email" steps.',
      actions: [permit(h('a', { class: 'button button-primary', href: '#/email-templates/new', dataset: { action: 'new-template' } },
        icon('plus'), h('span', { text: 'New template' })), 'POST /v1/email-templates', 'create templates')],
    }),
    body);

  async function load() {
    replace(body, loadingState('Loading templates…'));
    try {
      const page = await api.get('/v1/email-templates', { query: { per_page: 100, sort: 'name', order: 'asc' } });
      page.data = page.data.filter((t) => !isPendingDelete(`/v1/email-templates/${t.id}`));
      if (!page.data.length) {
        replace(body, card({ body: [emptyState({ title: 'No templates yet', text: 'Create a template, then pick it in an automation\u2019s email step.', iconName: 'mail' })] }));
        return;
      }
      const rows = page.data.map((t) => {
        const remove = h('button', { type: 'button', class: 'button button-secondary button-small', dataset: { action: 'delete-template' },
          'aria-label': `Delete ${t.name}` }, icon('trash', 'icon icon-small'));
        const row = h('tr', { dataset: { templateId: String(t.id), templateKey: t.key } },
          h('td', {}, h('a', { href: `#/email-templates/${t.id}`, class: 'template-name', text: t.name })),
          h('td', {}, h('code', { text: t.key })),
          h('td', { text: t.subject }),
          h('td', { class: 'nowrap' }, dateOnly(t.updated_at)),
          h('td', { class: 'num' }, remove));
        remove.addEventListener('click', async () => {
          if (!(await confirmRemove(t))) return;
          // The row goes now and comes back where it was on Undo.
          const tbody = row.parentNode;
          const next = row.nextSibling;
          deleteWithUndo({ label: `the template “${t.name}”`, path: `/v1/email-templates/${t.id}`,
            hide: () => row.remove(), restore: () => { if (tbody.isConnected) tbody.insertBefore(row, next && next.parentNode === tbody ? next : null); } });
        });
        return row;
      });
      const table = h('table', { class: 'table table-email-templates' },
        h('thead', {}, h('tr', {}, ['Name', 'Key', 'Subject', 'Updated', ''].map((t, i) => h('th', { scope: 'col', class: i === 4 ? 'num' : null, text: t })))),
        h('tbody', {}, rows));
      replace(body, card({ body: [tableWrap(table, 'Email templates')] }));
    } catch (error) {
      if (!error.handled) replace(body, errorState(error, load));
    }
  }
  load();
  return root;
}

/** Asks before deleting a template, naming the automations that send it when the API tells. */
function confirmRemove(t) {
  const users = (t.used_by || []).map((a) => a.name);
  const used = users.length ? ` (sent by ${users.length === 1 ? 'the automation' : `${users.length} automations:`} ${users.join(', ')})` : '';
  return confirmDialog({ title: `Delete the template ${t.name}?`,
    message: `“${t.name}” (${t.key})${used} is deleted. Automations that send it cannot be activated until they use another. You can undo for 10 seconds.`,
    confirmLabel: 'Delete template', danger: true });
}

function editor(id) {
  const body = h('div', {}, loadingState('Loading…'));
  const root = h('div', { class: 'page page-email-template-editor' },
    h('a', { class: 'back-link', href: '#/email-templates' }, icon('arrowLeft', 'icon icon-small'), h('span', { text: 'Email templates' })),
    pageHeader({ title: id ? 'Edit email template' : 'New email template', description: 'The subject and HTML body, with merge tags filled for each customer.' }),
    body);

  async function load() {
    try {
      const t = id ? await api.get(`/v1/email-templates/${id}`) : { body_html: STARTER };
      replace(body, form(t));
    } catch (error) {
      if (!error.handled) replace(body, errorState(error, load));
    }
  }

  function form(t) {
    const alert = alertRegion();
    const preview = emailPreview({ title: 'Preview', className: 'template-preview' });
    const previewSubject = h('p', { class: 'template-preview-subject small', 'aria-live': 'polite' });
    const bodyField = field({ label: 'HTML body', name: 'body_html', type: 'textarea', value: t.body_html ?? '', rows: 16, class: 'mono',
      hint: `Merge tags: ${TAGS.join(' ')}. Values are HTML-escaped.` });
    const usedBy = (t.used_by || []).length
      ? h('p', { class: 'muted small', text: `Sent by: ${t.used_by.map((a) => a.name).join(', ')}` }) : null;
    const el = h('form', { class: 'form campaign-form template-form', novalidate: true },
      alert,
      h('div', { class: 'campaign-editor-grid' },
        h('div', { class: 'campaign-editor-fields' },
          field({ label: 'Name', name: 'name', value: t.name ?? '', required: true }),
          field({ label: 'Key', name: 'key', value: t.key ?? '', required: true, placeholder: 'win-back-1',
            hint: 'Lowercase letters, digits, - and _: how automations name this template.' }),
          field({ label: 'Subject', name: 'subject', value: t.subject ?? '', required: true }),
          bodyField,
          usedBy),
        h('div', { class: 'campaign-editor-preview' }, h('p', { class: 'field-label', text: 'Preview (sample recipient)' }), previewSubject, preview.frame)),
      h('div', { class: 'form-actions' },
        permit(h('button', { type: 'submit', class: 'button button-primary', dataset: { busyLabel: 'Saving…' }, text: 'Save' }),
          id ? 'PUT /v1/email-templates/{id}' : 'POST /v1/email-templates', 'save templates'),
        id ? permit(h('button', { type: 'button', class: 'button button-danger', dataset: { action: 'delete-template' }, text: 'Delete' }),
          'DELETE /v1/email-templates/{id}', 'delete templates') : null));

    const textarea = bodyField.querySelector('textarea');
    const subjectInput = el.querySelector('[name="subject"]');
    let timer = null;
    let seq = 0;
    async function refresh() {
      const mine = ++seq;
      try {
        const r = await api.post('/v1/email-templates/preview', { subject: subjectInput.value, body_html: textarea.value });
        if (mine !== seq) return;
        previewSubject.textContent = `Subject: ${r.subject}`;
        preview.show(r.html);
      } catch {
        // The preview stays as it was; saving shows any problem.
      }
    }
    const later = () => { clearTimeout(timer); timer = setTimeout(refresh, 250); };
    textarea.addEventListener('input', later);
    subjectInput.addEventListener('input', later);
    refresh();
    const unsaved = trackUnsaved(el);

    el.addEventListener('submit', (event) => {
      event.preventDefault();
      submitting(el, async () => {
        const v = values(el);
        const payload = { name: v.name, key: v.key, subject: v.subject, body_html: textarea.value };
        const saved = id ? await api.put(`/v1/email-templates/${id}`, payload) : await api.post('/v1/email-templates', payload);
        toast('Template saved.');
        unsaved.markClean();
        navigate('/email-templates');
        return saved;
      });
    });
    const del = el.querySelector('[data-action="delete-template"]');
    if (del) {
      del.addEventListener('click', async () => {
        if (!(await confirmRemove(t))) return;
        unsaved.markClean();
        navigate('/email-templates');
        deleteWithUndo({ label: `the template “${t.name}”`, path: `/v1/email-templates/${id}`, restore: () => redrawRoute('#/email-templates') });
      });
    }
    return card({ body: [el] });
  }
  load();
  return root;
}

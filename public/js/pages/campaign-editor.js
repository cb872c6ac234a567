// #/campaigns/new and #/campaigns/{id}/edit: name, type, segment (with the audience size),
// a saved email template to start from, subject, the body in a visual mode (email-editor.js)
// or as HTML with merge tags, a live preview as sent beside it (composed by the server:
// POST /v1/campaigns/{id}/preview, or the templates' preview for a campaign not saved yet;
// shown by email-preview.js), scheduling, and a test send to an address.

import { api } from '../api.js';
import { h, icon, replace } from '../dom.js';
import { navigate } from '../router.js';
import { session } from '../session.js';
import { emailPreview } from '../components/email-preview.js';
import { emailEditor } from '../components/email-editor.js';
import { confirmDialog } from '../components/dialog.js';
import { alertRegion, field, showAlert, submitting, values } from '../components/form.js';
import { card, errorState, loadingState, pageHeader } from '../components/page.js';
import { toast } from '../components/toast.js';
import { trackUnsaved } from '../components/unsaved.js';
import { campaignStyles } from './campaigns.js';

const TAGS = ['{{name}}', '{{first_name|there}}', '{{email}}', '{{city}}', '{{unsubscribe_url}}'];
function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function render({ params }) {
  campaignStyles();
  const id = params[0] || null;
  const body = h('div', {}, loadingState('Loading…'));
  const root = h('div', { class: 'page page-campaign-editor' },
    h('a', { class: 'back-link', href: id ? `#/campaigns/${id}` : '#/campaigns' }, icon('arrowLeft', 'icon icon-small'), h('span', { text: 'Campaigns' })),
    pageHeader({ title: id ? 'Edit campaign' : 'New campaign', description: 'Write the message, choose who gets it, and send it now or later.' }),
    body);

  async function load() {
    try {
      const campaign = id ? await api.get(`/v1/campaigns/${id}`) : { type: 'email', body: '<h1>Hello {{first_name|there}}</h1>\n<p>Our spring collection is here.</p>\n<p><a href="https://example.com/spring">Have a look</a></p>' };
      const segments = (await api.get('/v1/campaigns/segments')).data;
      // The saved templates to start from (none to offer when they cannot be read).
      const templates = await api.get('/v1/email-templates', { query: { per_page: 100, sort: 'name', order: 'asc' } }).then((r) => r.data || [], () => []);
      replace(body, form(campaign, segments, templates));
    } catch (error) {
      if (!error.handled) replace(body, errorState(error, load));
    }
  }

  function form(campaign, segments, templates) {
    const alert = alertRegion();
    const segmentField = field({ label: 'Segment', name: 'segment_id', type: 'select', value: String(campaign.segment_id ?? ''),
      options: [{ value: '', label: 'Choose a segment…' }, ...segments.map((s) => ({ value: String(s.id), label: `${s.name} (${s.members})` }))] });
    const audience = h('p', { class: 'audience-size muted small', 'aria-live': 'polite' });
    const preview = emailPreview({ title: 'Preview' });
    const bodyField = field({ label: 'HTML body', name: 'body', type: 'textarea', value: campaign.body ?? '', rows: 14, class: 'mono',
      hint: `Merge tags: ${TAGS.join(' ')}. Values are HTML-escaped; links are tracked.` });
    const templateField = templates.length ? field({ label: 'Start from a template', name: 'template', type: 'select', optional: true,
      options: [{ value: '', label: 'Choose a saved template…' }, ...templates.map((t) => ({ value: String(t.id), label: `${t.name} (${t.key})` }))],
      hint: 'Fills in the subject and the body; you can change them after.' }) : null;
    const visual = emailEditor({ html: campaign.body ?? '', label: 'Email body', onInput: (html) => { textarea.value = html; textarea.dispatchEvent(new Event('input', { bubbles: true })); } });
    const modeButtons = [['visual', 'Visual'], ['html', 'HTML']].map(([mode, text]) => {
      const b = h('button', { type: 'button', class: 'button button-secondary button-small', text, dataset: { mode }, 'aria-pressed': 'false' });
      b.addEventListener('click', () => setMode(mode));
      return b;
    });
    const bodyLabel = h('p', { class: 'field-label', id: 'campaign-body-label', text: 'Body' });
    const modes = h('div', { class: 'editor-modes', role: 'group', 'aria-labelledby': 'campaign-body-label' }, modeButtons);
    const visualField = h('div', { class: 'field campaign-visual' }, visual.element);
    const form = h('form', { class: 'form campaign-form', novalidate: true },
      alert,
      h('div', { class: 'campaign-editor-grid' },
        h('div', { class: 'campaign-editor-fields' },
          field({ label: 'Name', name: 'name', value: campaign.name ?? '', required: true }),
          id ? null : field({ label: 'Type', name: 'type', type: 'select', value: campaign.type,
            options: [{ value: 'email', label: 'Email' }, { value: 'sms', label: 'SMS' }, { value: 'ad', label: 'Ad audience' }] }),
          segmentField, audience,
          templateField,
          field({ label: 'Subject', name: 'subject', value: campaign.subject ?? '', optional: true }),
          h('div', { class: 'editor-mode-bar' }, bodyLabel, modes),
          visualField,
          bodyField,
          field({ label: 'Send at', name: 'scheduled_at', type: 'datetime-local', optional: true, value: toLocalInput(campaign.scheduled_at),
            // Scheduling is sending: the send route's rule.
            disabled: !session.can('POST /v1/campaigns/{id}/send'),
            hint: session.can('POST /v1/campaigns/{id}/send') ? 'Leave empty to keep a draft and send it by hand.'
              : session.reason('POST /v1/campaigns/{id}/send', 'send or schedule campaigns') })),
        h('div', { class: 'campaign-editor-preview' }, h('p', { class: 'field-label', text: 'Preview' }), preview.frame)),
      h('div', { class: 'form-actions' },
        h('button', { type: 'submit', class: 'button button-primary', dataset: { busyLabel: 'Saving…' }, text: 'Save' })));

    const unsaved = trackUnsaved(form);
    const textarea = bodyField.querySelector('textarea');
    const subjectInput = form.querySelector('[name="subject"]');
    // Visual or HTML: one body, two views of it; the visual one reads the HTML when shown.
    function setMode(mode) {
      for (const b of modeButtons) b.setAttribute('aria-pressed', String(b.dataset.mode === mode));
      visualField.hidden = mode !== 'visual';
      bodyField.hidden = mode !== 'html';
      if (mode === 'visual') visual.setHTML(textarea.value);
    }
    setMode('visual');

    // The live preview: the server composes the message as it sends it (its merge tags, its
    // link rules), for a sample recipient; the latest answer wins.
    let asked = 0;
    let timer = null;
    async function refresh() {
      const mine = ++asked;
      try {
        const r = id
          ? await api.post(`/v1/campaigns/${id}/preview`, { subject: subjectInput.value, body: textarea.value })
          : await api.post('/v1/email-templates/preview', { subject: subjectInput.value, body_html: textarea.value });
        if (mine === asked) preview.show(r.html);
      } catch (error) {
        if (error?.name !== 'ApiError') throw error;
      }
    }
    const later = () => { clearTimeout(timer); timer = setTimeout(refresh, 250); };
    textarea.addEventListener('input', later);
    subjectInput.addEventListener('input', later);
    refresh();

    templateField?.querySelector('select').addEventListener('change', async (event) => {
      const chosen = event.target.value;
      if (!chosen) return;
      try {
        const t = await api.get(`/v1/email-templates/${chosen}`);
        // Asked only when the body here was written (not the starting text, not this template's).
        if (textarea.value.trim() && textarea.value !== (campaign.body ?? '') && textarea.value !== t.body_html) {
          const ok = await confirmDialog({ title: `Start from the template ${t.name}?`, message: 'Its subject and body replace the ones here.', confirmLabel: 'Use the template' });
          if (!ok) { event.target.value = ''; return; }
        }
        subjectInput.value = t.subject || '';
        textarea.value = t.body_html || '';
        visual.setHTML(textarea.value);
        textarea.dispatchEvent(new Event('input', { bubbles: true }));
        toast(`Started from the template “${t.name}”.`);
      } catch (error) {
        if (!error.handled) toast(error.message, 'error');
      }
    });

    const segmentControl = segmentField.querySelector('select, input');
    async function size() {
      const segment = segmentControl.value;
      if (!segment) { audience.textContent = ''; return; }
      try {
        const type = form.querySelector('[name="type"]')?.value || campaign.type || 'email';
        const r = await api.get('/v1/campaigns/audience-size', { query: { segment_id: segment, type } });
        audience.textContent = `${r.reachable} of ${r.members} members can be reached (without those unsubscribed or lacking an address).`;
      } catch {
        audience.textContent = '';
      }
    }
    segmentControl.addEventListener('change', size);
    size();

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      submitting(form, async () => {
        const v = values(form);
        const payload = { name: v.name, subject: v.subject || null, body: textarea.value, segment_id: v.segment_id ? Number(v.segment_id) : null,
          scheduled_at: v.scheduled_at ? new Date(v.scheduled_at).toISOString() : null };
        if (!id) payload.type = v.type;
        const saved = id ? await api.put(`/v1/campaigns/${id}`, payload) : await api.post('/v1/campaigns', payload);
        toast('Campaign saved.');
        unsaved.markClean();
        navigate(`/campaigns/${saved.id}`);
      });
    });

    const testForm = h('form', { class: 'form test-send', novalidate: true },
      field({ label: 'Send a test to', name: 'email', type: 'email', placeholder: 'you@example.com' }),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button button-secondary', dataset: { busyLabel: 'Sending…' }, text: 'Send test' })));
    testForm.addEventListener('submit', (event) => {
      event.preventDefault();
      submitting(testForm, async () => {
        if (!id) { showAlert(alert, 'Save the campaign first, then send a test.'); return; }
        const r = await api.post(`/v1/campaigns/${id}/test`, { email: values(testForm).email });
        toast(r.message);
      });
    });
    return h('div', { class: 'stack' }, card({ body: [form] }), card({ title: 'Test send', body: [testForm] }));
  }
  load();
  return root;
}

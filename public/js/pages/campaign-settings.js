// #/campaigns/settings: the workspace's delivery settings (its SMTP relay, sender, send rate
// and SMS provider webhook). The server refuses a relay or webhook on an internal address
// (loopback, private, link-local …) unless the operator allows it; that 422 shows beside the
// field. Secrets are write-only: the form says whether one is set, never what it is. A stored
// secret goes only where it was set for: once the relay (host, port, STARTTLS, username) or
// the webhook URL is changed, its field asks for the secret again, and the server refuses
// the save without it (422 beside the field).

import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { session } from '../session.js';
import { alertRegion, field, submitting, validate, values } from '../components/form.js';
import { toast } from '../components/toast.js';
import { trackUnsaved } from '../components/unsaved.js';
import { card, errorState, loadingState, pageHeader } from '../components/page.js';
import { campaignStyles } from './campaigns.js';

export function render() {
  campaignStyles();
  const body = h('div', {}, loadingState('Loading delivery settings…'));
  const root = h('div', { class: 'page page-campaign-settings' },
    pageHeader({
      title: 'Delivery settings',
      eyebrow: 'Campaigns',
      description: 'How this workspace sends email and SMS. Without an SMTP host, email goes to the development mailbox.',
      actions: [h('a', { class: 'button button-secondary', href: '#/campaigns' }, h('span', { text: 'Back to campaigns' }))],
    }),
    body);

  function form(s) {
    const readOnly = !session.canManage;
    const passwordHint = s.smtp_password_set ? 'A password is set; leave empty to keep it while the host, port, STARTTLS and username stay the same.' : 'No password is set.';
    const secretHint = s.sms_webhook_secret_set ? 'A secret is set; leave empty to keep it while the URL stays the same.' : 'No secret is set.';
    const f = h('form', { class: 'form form-narrow', novalidate: true, 'aria-label': 'Delivery settings', dataset: { form: 'delivery-settings' } },
      alertRegion(),
      h('fieldset', { class: 'fieldset', disabled: readOnly },
        h('legend', { text: 'Email (SMTP relay)' }),
        field({ label: 'SMTP host', name: 'smtp_host', optional: true, maxlength: 190, value: s.smtp_host || '', autocomplete: 'off',
          hint: 'A public host name. Internal addresses are refused unless the server operator allows them.' }),
        field({ label: 'Port', name: 'smtp_port', type: 'number', optional: true, min: 1, max: 65535, value: s.smtp_port ?? '' }),
        field({ label: 'STARTTLS', name: 'smtp_starttls', type: 'select', value: s.smtp_starttls ? 'on' : 'off',
          options: [{ value: 'on', label: 'Required (recommended)' }, { value: 'off', label: 'Off' }] }),
        field({ label: 'Username', name: 'smtp_username', optional: true, maxlength: 190, value: s.smtp_username || '', autocomplete: 'off' }),
        field({ label: 'Password', name: 'smtp_password', type: 'password', optional: true, maxlength: 190, autocomplete: 'new-password',
          hint: passwordHint }),
        field({ label: 'From address', name: 'from_email', type: 'email', optional: true, value: s.from_email || '' }),
        field({ label: 'From name', name: 'from_name', optional: true, maxlength: 190, value: s.from_name || '' }),
        field({ label: 'Messages a second', name: 'send_rate', type: 'number', optional: true, min: 1, max: 100000, value: s.send_rate ?? '',
          hint: `In force now: ${s.effective_send_rate} a second.` })),
      h('fieldset', { class: 'fieldset', disabled: readOnly },
        h('legend', { text: 'SMS (provider webhook)' }),
        field({ label: 'SMS webhook URL', name: 'sms_webhook_url', type: 'url', optional: true, maxlength: 1024, value: s.sms_webhook_url || '',
          hint: 'An http or https URL on a public host; each message is POSTed there, signed.' }),
        field({ label: 'Signing secret', name: 'sms_webhook_secret', type: 'password', optional: true, maxlength: 190, autocomplete: 'new-password',
          hint: secretHint })),
      readOnly ? h('p', { class: 'field-hint', text: 'Only admins and owners change delivery settings.' }) :
        h('div', { class: 'form-actions form-actions-start' },
          h('button', { type: 'submit', class: 'button button-primary', text: 'Save settings', dataset: { busyLabel: 'Saving…', action: 'save-settings' } })));
    // A stored secret is only sent where it was set for: once where changes, the hint asks
    // for it again (the server decides, and its 422 shows beside the field).
    const relayFields = ['smtp_host', 'smtp_port', 'smtp_starttls', 'smtp_username'];
    const changed = (names) => {
      const v = values(f);
      return names.some((name) => String(v[name] ?? '') !== String({ smtp_starttls: s.smtp_starttls ? 'on' : 'off' }[name] ?? s[name] ?? ''));
    };
    const watch = (names, secret, isSet, keepHint, askHint) => {
      const hint = f.querySelector(`[data-field="${secret}"] .field-hint`);
      const update = () => {
        const ask = isSet && changed(names);
        hint.textContent = ask ? askHint : keepHint;
      };
      for (const name of names) f.elements[name].addEventListener('input', update);
      for (const name of names) f.elements[name].addEventListener('change', update);
    };
    watch(relayFields, 'smtp_password', s.smtp_password_set, passwordHint,
      'Enter the password again: the relay changed, and the stored password is only sent to the relay it was set for.');
    watch(['sms_webhook_url'], 'sms_webhook_secret', s.sms_webhook_secret_set, secretHint,
      'Enter the secret again: the URL changed, and the stored secret is only sent to the URL it was set for.');
    f.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!validate(f)) return;
      const v = values(f);
      const number = (x) => (x === '' ? null : Number(x));
      const payload = {
        smtp_host: v.smtp_host || null, smtp_port: number(v.smtp_port), smtp_starttls: v.smtp_starttls === 'on',
        smtp_username: v.smtp_username || null, from_email: v.from_email || null, from_name: v.from_name || null,
        send_rate: number(v.send_rate), sms_webhook_url: v.sms_webhook_url || null,
      };
      // Empty secrets keep the stored ones (where the relay or URL stays the same).
      if (v.smtp_password) payload.smtp_password = v.smtp_password;
      if (v.sms_webhook_secret) payload.sms_webhook_secret = v.sms_webhook_secret;
      const saved = await submitting(f, () => api.put('/v1/campaigns/settings', payload));
      if (saved) {
        toast(saved.delivery === 'smtp' ? 'Saved: email goes through your SMTP relay.' : 'Saved: email goes to the development mailbox.');
        replace(body, card({ title: 'Settings', body: [form(saved)] }));
      }
    });
    trackUnsaved(f);
    return f;
  }

  async function load() {
    try {
      const s = await api.get('/v1/campaigns/settings');
      replace(body, card({ title: 'Settings', body: [form(s)] }));
    } catch (error) {
      replace(body, errorState(error, load));
    }
  }
  load();
  return root;
}

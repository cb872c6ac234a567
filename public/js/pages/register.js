// #/register: a new account and its first workspace.

import { api } from '../api.js';
import { h } from '../dom.js';
import { authLayout } from '../components/auth-layout.js';
import { alertRegion, field, submitting, validate, values } from '../components/form.js';
import { navigate } from '../router.js';
import { session } from '../session.js';
import { toast } from '../components/toast.js';

export function render() {
  const form = h('form', { class: 'form', novalidate: true, 'aria-label': 'Create your workspace' },
    alertRegion(),
    field({ label: 'Your name', name: 'name', required: true, autocomplete: 'name', maxlength: 120 }),
    field({ label: 'Work email', name: 'email', type: 'email', required: true, autocomplete: 'email', inputmode: 'email', spellcheck: 'false' }),
    field({ label: 'Password', name: 'password', type: 'password', required: true, minlength: 8, autocomplete: 'new-password', hint: 'At least 8 characters.' }),
    field({ label: 'Workspace name', name: 'workspace_name', required: true, maxlength: 120, autocomplete: 'organization', placeholder: 'e.g. Acme Retail', hint: 'Usually your company or brand. You can add more workspaces later.' }),
    h('button', { type: 'submit', class: 'button button-primary button-block', text: 'Create workspace', dataset: { busyLabel: 'Creating your workspace…' } }));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!validate(form)) return;
    const data = values(form);
    await submitting(form, async () => {
      const result = await api.post('/v1/auth/register', data, { auth: false });
      await session.start(result.token);
      toast(`Welcome to EnterCRM, ${result.user?.name || data.name}. Check your inbox to confirm your address.`);
      navigate('/dashboard', { replace: true });
    });
  });

  return authLayout({
    title: 'Create your workspace',
    subtitle: 'Start with one workspace; invite your team once you are in.',
    body: [form],
    footer: ['Already have an account? ', h('a', { href: '#/login', text: 'Sign in' })],
  });
}

// "Create workspace": POST /v1/workspaces, then switch to it (the creator is its owner).

import { api } from '../api.js';
import { h } from '../dom.js';
import { navigate } from '../router.js';
import { session } from '../session.js';
import { openDialog } from './dialog.js';
import { alertRegion, field, submitting, validate, values } from './form.js';
import { toast } from './toast.js';

export function openCreateWorkspace() {
  const form = h('form', { class: 'form', novalidate: true },
    alertRegion(),
    field({ label: 'Workspace name', name: 'name', required: true, maxlength: 120, autocomplete: 'organization', placeholder: 'Acme Retail', hint: 'A workspace keeps its own customers, campaigns, members and API keys.' }));
  const submit = h('button', { type: 'submit', class: 'button button-primary', text: 'Create workspace', dataset: { busyLabel: 'Creating…' } });
  const cancel = h('button', { type: 'button', class: 'button button-secondary', text: 'Cancel', onClick: () => dialog.close('cancel') });
  form.append(h('div', { class: 'form-actions' }, cancel, submit));

  const dialog = openDialog({ title: 'Create a workspace', body: [form], size: 'small' });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!validate(form)) return;
    const { name } = values(form);
    await submitting(form, async () => {
      const workspace = await api.post('/v1/workspaces', { name });
      await session.switchWorkspace(workspace.slug);
      dialog.close('done');
      toast(`Workspace “${workspace.name}” created. You are its owner.`);
      navigate('/dashboard');
    });
  });
}

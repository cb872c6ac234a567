// #/settings/members: the workspace's members (invite, change role, remove), its pending
// invitations (re-send, revoke) and its teams (create, rename, delete, add and remove
// members). Owners and admins manage; members read. An invitation's token is emailed to the
// address and never shown here.

import { api } from '../api.js';
import { avatar, h, icon, replace, roleBadge, roleLabel, time } from '../dom.js';
import { navigate } from '../router.js';
import { session } from '../session.js';
import { confirmDialog, openDialog } from '../components/dialog.js';
import { alertRegion, field, hideAlert, showAlert, submitting, validate, values } from '../components/form.js';
import { card, emptyState, errorState, loadingState, pageHeader, tableWrap } from '../components/page.js';
import { toast } from '../components/toast.js';

const PER_PAGE = 25;

function roleOptions() {
  const roles = session.me.role === 'owner' ? ['owner', 'admin', 'member', 'viewer'] : ['admin', 'member', 'viewer'];
  return roles.map((role) => ({ value: role, label: roleLabel(role) }));
}

/** "admin" → "an admin". */
function withArticle(role) {
  return `${/^[aeiou]/.test(role) ? 'an' : 'a'} ${role}`;
}

/** Can the signed-in user change or remove this member? Admins leave owners alone. */
function canEdit(member) {
  if (!session.canManage) return false;
  return !(session.me.role === 'admin' && member.role === 'owner');
}

async function loadAllMembers() {
  const all = [];
  for (let page = 1; page <= 50; page += 1) {
    const result = await api.get('/v1/users', { query: { page, per_page: 100 } });
    all.push(...(result.data || []));
    if (!result.meta || page >= result.meta.last_page) break;
  }
  return all;
}

export function render({ query }) {
  const canManage = session.canManage;
  const page = Math.max(1, Number.parseInt(query.get('page') || '1', 10) || 1);
  const pageAlert = alertRegion();
  const membersBody = h('div', {}, loadingState('Loading members…'));
  const teamsBody = h('div', {}, loadingState('Loading teams…'));
  const invitationsBody = h('div', {}, loadingState('Loading invitations…'));
  let teamsCache = [];

  const addButton = canManage
    ? h('button', { type: 'button', class: 'button button-primary', dataset: { action: 'add-member' }, onClick: () => openAddMember() }, icon('plus'), h('span', { text: 'Invite member' }))
    : null;
  const newTeamButton = canManage
    ? h('button', { type: 'button', class: 'button button-secondary', dataset: { action: 'new-team' }, onClick: () => openTeamDialog() }, icon('plus'), h('span', { text: 'New team' }))
    : null;

  const root = h('div', { class: 'page page-members' },
    pageHeader({
      title: 'Members & Teams',
      description: 'Who can sign in to this workspace, what they may do, and how they are grouped.',
      actions: [addButton].filter(Boolean),
    }),
    canManage ? null : h('div', { class: 'alert alert-info' }, icon('info'),
      h('div', { class: 'alert-content' }, h('p', { text: `You are ${withArticle(session.me.role || 'member')} of this workspace. ${session.reason('POST /v1/users', 'add, change or remove members and teams')}` }))),
    pageAlert,
    card({ title: 'Members', description: 'Owners manage everything, other owners included; admins manage members, teams, API keys and settings, and delete, send and activate; members work with customers, CRM entries and drafts; viewers only read.', body: [membersBody], className: 'card-members' }),
    canManage ? card({ title: 'Invitations', description: 'People invited by email who have not accepted yet. The link in the email is the only way in: it is never shown here.', body: [invitationsBody], className: 'card-invitations' }) : null,
    card({ title: 'Teams', description: 'Group members by function, such as Sales or Marketing.', actions: [newTeamButton].filter(Boolean), body: [teamsBody], className: 'card-teams' }));

  function fail(error) {
    if (error?.handled) return;
    // A single field error says more than "The given data was invalid.".
    const details = Object.values(error?.errors || {}).flat().map(String);
    if (details.length === 1) showAlert(pageAlert, details[0]);
    else showAlert(pageAlert, error?.message || 'Something went wrong.', details);
    pageAlert.scrollIntoView({ block: 'nearest' });
  }

  // Members ---------------------------------------------------------------------------

  async function loadMembers() {
    try {
      const result = await api.get('/v1/users', { query: { page, per_page: PER_PAGE } });
      renderMembers(result.data || [], result.meta || {});
    } catch (error) {
      if (!error.handled) replace(membersBody, errorState(error, () => { replace(membersBody, loadingState()); loadMembers(); }));
    }
  }

  function renderMembers(members, meta) {
    if (!members.length) {
      replace(membersBody, emptyState({ title: 'No members on this page', iconName: 'users' }));
      return;
    }
    const table = h('table', { class: 'table' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', text: 'Member' }),
        h('th', { scope: 'col', text: 'Role' }),
        h('th', { scope: 'col', text: 'Joined' }),
        canManage ? h('th', { scope: 'col', class: 'cell-actions' }, h('span', { class: 'visually-hidden', text: 'Actions' })) : null)),
      h('tbody', {}, members.map(memberRow)));
    const total = meta.total ?? members.length;
    replace(membersBody,
      tableWrap(table, 'Members'),
      h('div', { class: 'table-footer' },
        h('p', { class: 'muted', text: `${total} member${total === 1 ? '' : 's'}` }),
        pagination(meta)));
  }

  function memberRow(member) {
    const isSelf = member.id === session.me.user?.id;
    const who = h('div', { class: 'person' },
      avatar(member.name),
      h('div', { class: 'person-text' },
        h('span', { class: 'person-name' }, h('span', { text: member.name }), isSelf ? h('span', { class: 'badge badge-neutral', text: 'You' }) : null),
        h('span', { class: 'person-email', text: member.email })));

    let roleCell = roleBadge(member.role);
    if (canEdit(member)) {
      const select = h('select', { class: 'select-compact', 'aria-label': `Role of ${member.name}`, dataset: { role: member.email } },
        roleOptions().map((option) => h('option', { value: option.value, text: option.label, selected: option.value === member.role })));
      select.addEventListener('change', () => changeRole(member, select));
      roleCell = select;
    }

    return h('tr', { dataset: { memberId: member.id, email: member.email } },
      h('td', {}, who),
      h('td', {}, roleCell),
      h('td', { class: 'nowrap' }, time(member.created_at, { dateOnly: true, empty: '—' })),
      canManage
        ? h('td', { class: 'cell-actions' },
          canEdit(member) && !isSelf
            ? h('button', { type: 'button', class: 'button button-ghost-danger button-small', 'aria-label': `Remove ${member.name}`, onClick: () => removeMember(member) }, icon('trash'), h('span', { text: 'Remove' }))
            : null)
        : null);
  }

  function pagination(meta) {
    const last = meta.last_page || 1;
    if (last <= 1) return null;
    const current = meta.current_page || page;
    return h('nav', { class: 'pagination', 'aria-label': 'Members pages' },
      current > 1 ? h('a', { class: 'button button-secondary button-small', href: `#/settings/members?page=${current - 1}`, text: 'Previous' }) : null,
      h('span', { class: 'muted', text: `Page ${current} of ${last}` }),
      current < last ? h('a', { class: 'button button-secondary button-small', href: `#/settings/members?page=${current + 1}`, text: 'Next' }) : null);
  }

  async function changeRole(member, select) {
    const role = select.value;
    const isSelf = member.id === session.me.user?.id;
    if (isSelf && role !== member.role) {
      const ok = await confirmDialog({
        title: 'Change your own role?',
        message: `You will become ${withArticle(role)} of this workspace and may lose access to some settings.`,
        confirmLabel: 'Change my role',
        danger: true,
      });
      if (!ok) {
        select.value = member.role;
        return;
      }
    }
    hideAlert(pageAlert);
    select.disabled = true;
    try {
      const updated = await api.put(`/v1/users/${encodeURIComponent(member.id)}`, { role });
      member.role = updated?.role || role;
      toast(`${member.name} is now ${withArticle(member.role)}.`);
      if (isSelf) {
        await session.refresh();
        navigate('/settings/members');
      }
    } catch (error) {
      select.value = member.role;
      fail(error);
    } finally {
      if (select.isConnected) {
        select.disabled = false;
      }
    }
  }

  async function removeMember(member) {
    const ok = await confirmDialog({
      title: `Remove ${member.name}?`,
      message: `${member.name} (${member.email}) will lose access to this workspace and be taken out of its teams. Their other workspaces are not affected.`,
      confirmLabel: 'Remove member',
      danger: true,
    });
    if (!ok) return;
    hideAlert(pageAlert);
    try {
      await api.del(`/v1/users/${encodeURIComponent(member.id)}`);
      toast(`${member.name} was removed from the workspace.`);
      loadMembers();
      loadTeams();
    } catch (error) {
      fail(error);
    }
  }

  function openAddMember() {
    const form = h('form', { class: 'form', novalidate: true },
      alertRegion(),
      field({ label: 'Name', name: 'name', required: true, autocomplete: 'off', maxlength: 120 }),
      field({ label: 'Email', name: 'email', type: 'email', required: true, autocomplete: 'off', spellcheck: 'false', hint: 'The invitation is emailed to this address. Whoever accepts it proves they read that inbox.' }),
      field({ label: 'Role', name: 'role', type: 'select', options: roleOptions(), value: 'member', hint: 'Admins manage members, teams and API keys. Members use the workspace.' }),
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'button button-secondary', text: 'Cancel', onClick: () => dialog.close('cancel') }),
        h('button', { type: 'submit', class: 'button button-primary', text: 'Send invitation', dataset: { busyLabel: 'Sending…' } })));
    const dialog = openDialog({ title: 'Invite a member', body: [form] });

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!validate(form)) return;
      const data = values(form);
      await submitting(form, async () => {
        const invitation = await api.post('/v1/users', { name: data.name, email: data.email, role: data.role });
        dialog.close('done');
        toast(`Invitation sent to ${invitation?.email || data.email}.`);
        loadInvitations();
      });
    });
  }

  // Invitations -----------------------------------------------------------------------

  async function loadInvitations() {
    if (!canManage) return;
    try {
      const result = await api.get('/v1/invitations', { query: { per_page: 100 } });
      renderInvitations(result.data || []);
    } catch (error) {
      if (!error.handled) replace(invitationsBody, errorState(error, () => { replace(invitationsBody, loadingState()); loadInvitations(); }));
    }
  }

  function renderInvitations(invitations) {
    if (!invitations.length) {
      replace(invitationsBody, emptyState({ title: 'No pending invitations', text: 'Invite someone with “Invite member”: they get an email with a link to join.', iconName: 'users' }));
      return;
    }
    const table = h('table', { class: 'table' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', text: 'Invited' }),
        h('th', { scope: 'col', text: 'Role' }),
        h('th', { scope: 'col', text: 'Status' }),
        h('th', { scope: 'col', class: 'cell-actions' }, h('span', { class: 'visually-hidden', text: 'Actions' })))),
      h('tbody', {}, invitations.map(invitationRow)));
    replace(invitationsBody, tableWrap(table, 'Invitations'));
  }

  function invitationRow(invitation) {
    const expired = invitation.status === 'expired';
    const ownerOnly = invitation.role === 'owner' && session.me.role !== 'owner';
    return h('tr', { dataset: { invitationId: invitation.id, email: invitation.email, status: invitation.status } },
      h('td', {}, h('div', { class: 'person' },
        avatar(invitation.name),
        h('div', { class: 'person-text' },
          h('span', { class: 'person-name', text: invitation.name }),
          h('span', { class: 'person-email', text: invitation.email })))),
      h('td', {}, roleBadge(invitation.role)),
      h('td', {},
        h('span', { class: `badge ${expired ? 'badge-tone-warning' : 'badge-tone-info'}`, text: expired ? 'Expired' : 'Invited' }),
        h('span', { class: 'muted nowrap invitation-expiry' }, expired ? ' ' : ' until ', time(invitation.expires_at, { dateOnly: true, empty: '' }))),
      h('td', { class: 'cell-actions' },
        ownerOnly ? null : h('div', { class: 'row-actions' },
          h('button', { type: 'button', class: 'button button-secondary button-small', 'aria-label': `Re-send the invitation to ${invitation.email}`, dataset: { action: 'resend' }, onClick: () => resendInvitation(invitation) }, h('span', { text: 'Re-send' })),
          h('button', { type: 'button', class: 'button button-ghost-danger button-small', 'aria-label': `Revoke the invitation to ${invitation.email}`, dataset: { action: 'revoke' }, onClick: () => revokeInvitation(invitation) }, icon('trash'), h('span', { text: 'Revoke' })))));
  }

  async function resendInvitation(invitation) {
    hideAlert(pageAlert);
    try {
      await api.post(`/v1/invitations/${encodeURIComponent(invitation.id)}/resend`);
      toast(`A new invitation was sent to ${invitation.email}; the old link no longer works.`);
      loadInvitations();
    } catch (error) {
      fail(error);
    }
  }

  async function revokeInvitation(invitation) {
    const ok = await confirmDialog({
      title: `Revoke the invitation to ${invitation.email}?`,
      message: 'The emailed link stops working. You can invite them again later.',
      confirmLabel: 'Revoke invitation',
      danger: true,
    });
    if (!ok) return;
    hideAlert(pageAlert);
    try {
      await api.del(`/v1/invitations/${encodeURIComponent(invitation.id)}`);
      toast(`The invitation to ${invitation.email} was revoked.`);
      loadInvitations();
    } catch (error) {
      fail(error);
    }
  }

  // Teams -----------------------------------------------------------------------------

  async function loadTeams() {
    try {
      const [result, members] = await Promise.all([api.get('/v1/teams'), canManage ? loadAllMembers() : Promise.resolve([])]);
      teamsCache = result.data || [];
      renderTeams(teamsCache, members);
    } catch (error) {
      if (!error.handled) replace(teamsBody, errorState(error, () => { replace(teamsBody, loadingState()); loadTeams(); }));
    }
  }

  function renderTeams(teams, members) {
    if (!teams.length) {
      replace(teamsBody, emptyState({
        title: 'No teams yet',
        text: canManage ? 'Create a team to group members, for example Sales or Support.' : 'Your admins have not created any teams.',
        iconName: 'users',
        action: canManage ? h('button', { type: 'button', class: 'button button-secondary', onClick: () => openTeamDialog() }, icon('plus'), h('span', { text: 'Create a team' })) : null,
      }));
      return;
    }
    replace(teamsBody, h('ul', { class: 'team-list' }, teams.map((team) => teamItem(team, members))));
  }

  function teamItem(team, members) {
    const teamMembers = team.members || [];
    const count = team.members_count ?? teamMembers.length;
    const inTeam = new Set(teamMembers.map((member) => member.id));
    const available = members.filter((member) => !inTeam.has(member.id));

    const chips = teamMembers.length
      ? h('ul', { class: 'chip-list', 'aria-label': `Members of ${team.name}` },
        teamMembers.map((member) => h('li', { class: 'chip', dataset: { email: member.email } },
          avatar(member.name, 'small'),
          h('span', { class: 'chip-text', text: member.name, title: member.email }),
          canManage
            ? h('button', { type: 'button', class: 'chip-remove', 'aria-label': `Remove ${member.name} from ${team.name}`, onClick: () => removeFromTeam(team, member) }, icon('close', 'icon icon-small'))
            : null)))
      : h('p', { class: 'muted', text: 'No members yet.' });

    let addForm = null;
    if (canManage) {
      const selectId = `team-${team.id}-add`;
      const select = h('select', { id: selectId, name: 'user_id', class: 'select-compact', disabled: !available.length },
        available.length
          ? [h('option', { value: '', text: 'Choose a member…' }), available.map((member) => h('option', { value: member.id, text: `${member.name} (${member.email})` }))]
          : h('option', { value: '', text: 'Everyone is in this team' }));
      addForm = h('form', { class: 'team-add', novalidate: true },
        h('label', { class: 'visually-hidden', for: selectId, text: `Add a member to ${team.name}` }),
        select,
        h('button', { type: 'submit', class: 'button button-secondary button-small', disabled: !available.length, text: 'Add to team' }));
      addForm.addEventListener('submit', async (event) => {
        event.preventDefault();
        if (!select.value) {
          select.focus();
          return;
        }
        const member = available.find((candidate) => String(candidate.id) === select.value);
        hideAlert(pageAlert);
        try {
          await api.post(`/v1/teams/${encodeURIComponent(team.id)}/members`, { user_id: member ? member.id : Number(select.value) });
          toast(`${member?.name || 'The member'} joined ${team.name}.`);
          await loadTeams();
          teamsBody.querySelector(`#team-${CSS.escape(String(team.id))}-add`)?.focus();
        } catch (error) {
          fail(error);
        }
      });
    }

    return h('li', { class: 'team', dataset: { teamId: team.id, teamName: team.name } },
      h('div', { class: 'team-header' },
        h('div', { class: 'team-heading' },
          h('h3', { class: 'team-name', text: team.name }),
          h('span', { class: 'badge badge-neutral', text: `${count} member${count === 1 ? '' : 's'}` })),
        canManage
          ? h('div', { class: 'team-actions' },
            h('button', { type: 'button', class: 'button button-ghost button-small', 'aria-label': `Rename ${team.name}`, onClick: () => openTeamDialog(team) }, h('span', { text: 'Rename' })),
            h('button', { type: 'button', class: 'button button-ghost-danger button-small', 'aria-label': `Delete ${team.name}`, onClick: () => deleteTeam(team) }, icon('trash'), h('span', { text: 'Delete' })))
          : null),
      team.description ? h('p', { class: 'team-description', text: team.description }) : null,
      chips,
      addForm);
  }

  function openTeamDialog(team = null) {
    const form = h('form', { class: 'form', novalidate: true },
      alertRegion(),
      field({ label: 'Team name', name: 'name', required: true, maxlength: 120, autocomplete: 'off', value: team?.name }),
      field({ label: 'Description', name: 'description', type: 'textarea', optional: true, maxlength: 500, value: team?.description || '' }),
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'button button-secondary', text: 'Cancel', onClick: () => dialog.close('cancel') }),
        h('button', { type: 'submit', class: 'button button-primary', text: team ? 'Save' : 'Create team', dataset: { busyLabel: 'Saving…' } })));
    const dialog = openDialog({ title: team ? `Rename ${team.name}` : 'Create a team', body: [form], size: 'small' });

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!validate(form)) return;
      const data = values(form);
      const body = { name: data.name, description: data.description || null };
      await submitting(form, async () => {
        const saved = team
          ? await api.put(`/v1/teams/${encodeURIComponent(team.id)}`, body)
          : await api.post('/v1/teams', body);
        dialog.close('done');
        toast(team ? `Team “${saved?.name || data.name}” saved.` : `Team “${saved?.name || data.name}” created.`);
        loadTeams();
      });
    });
  }

  async function deleteTeam(team) {
    const ok = await confirmDialog({
      title: `Delete ${team.name}?`,
      message: 'The team is deleted; its members stay in the workspace.',
      confirmLabel: 'Delete team',
      danger: true,
    });
    if (!ok) return;
    hideAlert(pageAlert);
    try {
      await api.del(`/v1/teams/${encodeURIComponent(team.id)}`);
      toast(`Team “${team.name}” deleted.`);
      loadTeams();
    } catch (error) {
      fail(error);
    }
  }

  async function removeFromTeam(team, member) {
    hideAlert(pageAlert);
    try {
      await api.del(`/v1/teams/${encodeURIComponent(team.id)}/members/${encodeURIComponent(member.id)}`);
      toast(`${member.name} left ${team.name}.`);
      await loadTeams();
      (teamsBody.querySelector(`[data-team-id="${CSS.escape(String(team.id))}"] select`) || teamsBody.querySelector('h3'))?.focus();
    } catch (error) {
      fail(error);
    }
  }

  loadMembers();
  loadInvitations();
  loadTeams();
  return root;
}

// #/campaigns/mailbox: the development mailbox. With no SMTP relay configured, campaigns
// write each message as an .eml file; this lists this workspace's and shows one, its HTML
// in a sandboxed iframe (no scripts, no same origin).

import { api } from '../api.js';
import { h, icon, replace } from '../dom.js';
import { relativeTime } from '../components/format.js';
import { card, emptyState, errorState, loadingState, pageHeader, tableWrap } from '../components/page.js';
import { campaignStyles } from './campaigns.js';

/** The HTML part of a raw message (multipart, base64 parts as the sender writes them). */
export function htmlPart(raw) {
  const parts = raw.split(/\r?\n--=_entercrm_[0-9a-f]+/);
  for (const part of parts) {
    const split = part.split(/\r?\n\r?\n/);
    if (/content-type:\s*text\/html/i.test(split[0] || '')) {
      const b64 = split.slice(1).join('').replace(/\s+/g, '');
      try {
        return new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
      } catch {
        return '';
      }
    }
  }
  return '';
}

/** Header text with RFC 2047 encoded words (=?UTF-8?B?…?=) decoded. */
export function decodeWords(text) {
  return String(text || '').replace(/=\?UTF-8\?B\?([^?]*)\?=(\s+(?==\?))?/gi, (_, b64) => {
    try {
      return new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
    } catch {
      return b64;
    }
  });
}

export function render() {
  campaignStyles();
  const list = h('div', {}, loadingState('Loading the mailbox…'));
  const viewer = h('div', {});
  const root = h('div', { class: 'page page-mailbox' },
    h('a', { class: 'back-link', href: '#/campaigns' }, icon('arrowLeft', 'icon icon-small'), h('span', { text: 'Campaigns' })),
    pageHeader({ title: 'Development mailbox', description: 'With no SMTP relay configured, messages are kept here as .eml files and count as sent.' }),
    h('div', { class: 'stack' }, list, viewer));

  async function show(name, subject) {
    replace(viewer, loadingState('Opening…'));
    try {
      const { getToken } = await import('../api.js');
      const r = await fetch(`/v1/mailbox/${encodeURIComponent(name)}`, { headers: { Authorization: `Bearer ${getToken()}` } });
      const raw = await r.text();
      const head = raw.split(/\r?\n\r?\n/)[0];
      const frame = h('iframe', { class: 'campaign-preview mailbox-frame', title: 'Message', sandbox: '', referrerpolicy: 'no-referrer' });
      frame.srcdoc = htmlPart(raw);
      replace(viewer, card({ title: subject || name, body: [h('pre', { class: 'mail-headers small', text: head }), frame] }));
    } catch (error) {
      replace(viewer, errorState(error));
    }
  }

  async function load() {
    try {
      const box = await api.get('/v1/mailbox', { query: { per_page: 100 } });
      if (!box.data.length) {
        replace(list, card({ body: [emptyState({ title: 'The mailbox is empty', text: 'Send a campaign without an SMTP relay and its messages appear here.', iconName: 'mail' })] }));
        return;
      }
      const rows = box.data.map((m) => h('tr', {},
        h('td', {}, h('button', { type: 'button', class: 'link-button', text: decodeWords(m.subject) || '(no subject)', onClick: () => show(m.name, decodeWords(m.subject)) })),
        h('td', { class: 'mono small', text: decodeWords(m.to) }),
        h('td', {}, relativeTime(m.received_at))));
      replace(list, card({ title: `${box.meta.total} message${box.meta.total === 1 ? '' : 's'}`, body: [tableWrap(h('table', { class: 'table' },
        h('thead', {}, h('tr', {}, ['Subject', 'To', 'Received'].map((t) => h('th', { scope: 'col', text: t })))), h('tbody', {}, rows)), 'Messages')] }));
    } catch (error) {
      if (!error.handled) replace(list, errorState(error, load));
    }
  }
  load();
  return root;
}

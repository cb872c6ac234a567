// #/campaigns/mailbox: the development mailbox. With no SMTP relay configured, campaigns
// write each message as an .eml file; this lists this workspace's and shows one beside the
// list (below it on a phone), its HTML as sent in the email preview frame (email-preview.js).

import { api, getToken } from '../api.js';
import { h, icon, replace } from '../dom.js';
import { emailPreview } from '../components/email-preview.js';
import { relativeTime } from '../components/format.js';
import { card, emptyState, errorState, loadingState, pageHeader, tableWrap } from '../components/page.js';
import { campaignStyles } from './campaigns.js';

function base64Bytes(b64) {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

/** The HTML part of a raw message (multipart, base64 parts as the sender writes them). */
export function htmlPart(raw) {
  const parts = raw.split(/\r?\n--=_entercrm_[0-9a-f]+/);
  for (const part of parts) {
    const split = part.split(/\r?\n\r?\n/);
    if (/content-type:\s*text\/html/i.test(split[0] || '')) {
      try {
        return new TextDecoder().decode(base64Bytes(split.slice(1).join('').replace(/\s+/g, '')));
      } catch {
        return '';
      }
    }
  }
  return '';
}

/** The bytes of one encoded word's text: B is base64, Q is quoted-printable with _ for space. */
function wordBytes(encoding, data) {
  if (encoding.toUpperCase() === 'B') return base64Bytes(data);
  const bytes = [];
  for (let i = 0; i < data.length; i += 1) {
    const hex = data.slice(i + 1, i + 3);
    if (data[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(data[i] === '_' ? 0x20 : data.charCodeAt(i) & 0xff);
    }
  }
  return Uint8Array.from(bytes);
}

const WORD = /=\?([^?\s*]+)(?:\*[^?\s]*)?\?([BbQq])\?([^?\s]*)\?=/g;
const WORD_RUN = /=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=(?:\s+=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)*/g;

/**
 * Header text with its RFC 2047 encoded words (=?UTF-8?B?…?=, =?UTF-8?Q?…?=, any charset
 * TextDecoder knows) decoded. Adjacent words join without the space between them, and their
 * bytes join before decoding, so a character split across two words comes out whole.
 */
export function decodeWords(text) {
  return String(text ?? '').replace(WORD_RUN, (run) => {
    let out = '';
    let charset = null;
    let chunks = [];
    const flush = () => {
      if (!chunks.length) return;
      const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of chunks) { bytes.set(c, at); at += c.length; }
      out += new TextDecoder(charset).decode(bytes);
      chunks = [];
    };
    try {
      for (const [, set, encoding, data] of run.matchAll(WORD)) {
        if (charset && set.toLowerCase() !== charset) flush();
        charset = set.toLowerCase();
        chunks.push(wordBytes(encoding, data));
      }
      flush();
      return out;
    } catch {
      return run; // an unknown charset or broken base64: shown as it came
    }
  });
}

/** The header block of a raw message as [name, value] pairs: lines unfolded, words decoded. */
export function headerFields(raw) {
  const head = String(raw).split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
  return head.split(/\r?\n/).filter(Boolean).map((line) => {
    const colon = line.indexOf(':');
    return colon < 0 ? ['', decodeWords(line)] : [line.slice(0, colon), decodeWords(line.slice(colon + 1).trim())];
  });
}

const SHOWN = ['From', 'To', 'Subject', 'Date'];

export function render() {
  campaignStyles();
  const list = h('div', { class: 'mailbox-list' }, loadingState('Loading the mailbox…'));
  const viewer = h('div', { class: 'mailbox-viewer' },
    card({ body: [emptyState({ title: 'No message open', text: 'Choose a message in the list to read it here.', iconName: 'mail' })] }));
  const root = h('div', { class: 'page page-mailbox' },
    h('a', { class: 'back-link', href: '#/campaigns' }, icon('arrowLeft', 'icon icon-small'), h('span', { text: 'Campaigns' })),
    pageHeader({ title: 'Development mailbox', description: 'With no SMTP relay configured, messages are kept here as .eml files and count as sent.' }),
    h('div', { class: 'mailbox-layout' }, list, viewer));

  async function show(name, subject, row) {
    for (const other of list.querySelectorAll('tr[aria-current]')) other.removeAttribute('aria-current');
    row.setAttribute('aria-current', 'true');
    replace(viewer, loadingState('Opening…'));
    // Beside the list on a desktop; below it on a narrower screen, so brought into view.
    const reveal = () => { if (!matchMedia('(min-width: 1100px)').matches) viewer.scrollIntoView({ block: 'start' }); };
    reveal();
    try {
      const r = await fetch(`/v1/mailbox/${encodeURIComponent(name)}`, { headers: { Authorization: `Bearer ${getToken()}` } });
      if (!r.ok) throw new Error(r.status === 404 ? 'This message is no longer in the mailbox.' : `The message could not be read (${r.status}).`);
      const raw = await r.text();
      const fields = headerFields(raw);
      const preview = emailPreview({ title: `Message: ${subject || name}`, className: 'mailbox-frame' });
      preview.show(htmlPart(raw));
      // On a phone the list is above: a way back to where the reader was in it.
      const back = h('button', { type: 'button', class: 'button button-secondary button-small mailbox-back', text: 'Back to the list',
        onClick: () => { row.scrollIntoView({ block: 'center' }); row.querySelector('button')?.focus({ preventScroll: true }); } });
      replace(viewer, card({
        title: subject || '(no subject)',
        actions: [back],
        body: [
          h('dl', { class: 'mail-summary' }, fields.filter(([key]) => SHOWN.includes(key) && key !== 'Subject')
            .map(([key, value]) => h('div', {}, h('dt', { text: key }), h('dd', { text: value })))),
          h('details', { class: 'mail-all-headers' }, h('summary', { text: 'All headers' }),
            h('pre', { class: 'mail-headers small', text: fields.map(([key, value]) => (key ? `${key}: ${value}` : value)).join('\n') })),
          preview.frame,
        ],
      }));
      reveal();
    } catch (error) {
      replace(viewer, errorState(error));
      reveal();
    }
  }

  async function load() {
    try {
      const box = await api.get('/v1/mailbox', { query: { per_page: 100 } });
      if (!box.data.length) {
        replace(list, card({ body: [emptyState({ title: 'The mailbox is empty', text: 'Send a campaign without an SMTP relay and its messages appear here.', iconName: 'mail' })] }));
        return;
      }
      const rows = box.data.map((m) => {
        const subject = decodeWords(m.subject);
        const row = h('tr', {});
        replace(row,
          h('td', { class: 'mailbox-message' },
            h('button', { type: 'button', class: 'link-button', text: subject || '(no subject)', onClick: () => show(m.name, subject, row) }),
            h('span', { class: 'mailbox-to muted small', text: decodeWords(m.to) })),
          h('td', { class: 'nowrap' }, relativeTime(m.received_at)));
        return row;
      });
      replace(list, card({ title: `${box.meta.total} message${box.meta.total === 1 ? '' : 's'}`, body: [tableWrap(h('table', { class: 'table table-mailbox' },
        h('thead', {}, h('tr', {}, ['Message', 'Received'].map((t) => h('th', { scope: 'col', text: t })))), h('tbody', {}, rows)), 'Messages')] }));
    } catch (error) {
      if (!error.handled) replace(list, errorState(error, load));
    }
  }
  load();
  return root;
}

// An email's HTML shown as it is sent: in a frame on /email-preview.html, a page with a CSP
// of its own (nginx/email-preview-headers.conf), so that the message's inline styles apply,
// which the console's CSP would strip from a srcdoc frame. Sandboxed: the page's own script
// runs (it writes the message in), with no same origin (no token, no storage, no cookies).

import { h } from '../dom.js';

/** { frame, show(html) }: the frame to place, and what puts a message (HTML text) in it. */
export function emailPreview({ title = 'Preview', className = '' } = {}) {
  const frame = h('iframe', {
    class: ['campaign-preview', className], title, src: '/email-preview.html', sandbox: 'allow-scripts', referrerpolicy: 'no-referrer',
  });
  let ready = false;
  let html = null;
  const send = () => {
    if (ready && html !== null && frame.contentWindow) frame.contentWindow.postMessage({ emailPreview: html }, '*');
  };
  // The page says when it is ready (again after any reload); the message goes to it then.
  function onMessage(event) {
    if (!frame.isConnected && ready) {
      removeEventListener('message', onMessage);
      return;
    }
    if (event.source === frame.contentWindow && event.data && event.data.emailPreviewReady === true) {
      ready = true;
      send();
    }
  }
  addEventListener('message', onMessage);
  return {
    frame,
    show(text) {
      html = String(text ?? '');
      send();
    },
  };
}

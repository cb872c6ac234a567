/*! EnterCRM tracker: pageviews, events and identify from websites. No dependencies.
 * <script async src="https://HOST/tracker.js" data-key="eck_pub_…"></script>
 * Calls made before it loads are queued by the stub:
 * <script>window.entercrm=window.entercrm||function(){(entercrm.q=entercrm.q||[]).push(arguments)}</script>
 */
(function (w, d) {
  'use strict';
  var script = d.currentScript || d.querySelector('script[data-key][src*="tracker.js"]');
  if (!script || w.__entercrmLoaded) return;
  w.__entercrmLoaded = true;
  var key = script.getAttribute('data-key') || '';
  var base = script.getAttribute('data-endpoint') || new URL(script.src, w.location.href).origin;
  var store = {
    get: function (k) { try { return w.localStorage.getItem(k); } catch (e) { return null; } },
    set: function (k, v) { try { w.localStorage.setItem(k, v); } catch (e) { /* private mode */ } },
    del: function (k) { try { w.localStorage.removeItem(k); } catch (e) { /* private mode */ } }
  };
  var QUEUE = 'entercrm_queue', CONSENT = 'entercrm_consent', AID = 'entercrm_aid', EMAIL = 'entercrm_email';

  function uuid() {
    var c = w.crypto;
    if (c && c.randomUUID) return c.randomUUID();
    var b = new Uint8Array(16);
    c.getRandomValues(b);
    b[6] = b[6] & 15 | 64; b[8] = b[8] & 63 | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  function cookie(name, value) {
    if (value === undefined) {
      var m = d.cookie.match(new RegExp('(?:^|; )' + name + '=([^;]*)'));
      return m ? decodeURIComponent(m[1]) : null;
    }
    var secure = w.location.protocol === 'https:' ? '; Secure' : '';
    d.cookie = name + '=' + encodeURIComponent(value) + '; Max-Age=63072000; Path=/; SameSite=Lax' + secure;
  }

  // The anonymous id lives in a first-party cookie and in localStorage; either restores the other.
  var aid = cookie(AID) || store.get(AID) || uuid();
  cookie(AID, aid);
  store.set(AID, aid);

  function allowed() {
    var consent = store.get(CONSENT);
    if (consent === '0') return false;
    if (consent === '1') return true;
    return !(navigator.doNotTrack === '1' || w.doNotTrack === '1');
  }

  function queued() {
    try { return JSON.parse(store.get(QUEUE) || '[]'); } catch (e) { return []; }
  }

  function remember(item) {
    var q = queued();
    q.push(item);
    store.set(QUEUE, JSON.stringify(q.slice(-50)));
  }

  function post(item, onFail) {
    var url = base + '/v1/track/' + item.path + '?key=' + encodeURIComponent(key);
    var body = JSON.stringify(item.body);
    // text/plain keeps it a "simple" cross-origin request: no preflight, and sendBeacon allows it.
    if (navigator.sendBeacon && navigator.sendBeacon(url, new Blob([body], { type: 'text/plain' }))) return;
    if (!w.fetch) return onFail(item);
    w.fetch(url, { method: 'POST', body: body, keepalive: true, mode: 'cors', headers: { 'Content-Type': 'text/plain' } })
      .then(function (r) { if (r.status >= 500 || r.status === 429) onFail(item); })
      .catch(function () { onFail(item); });
  }

  function send(path, body) {
    if (!allowed() || !key) return;
    body.anonymous_id = aid;
    body.message_id = uuid();
    body.occurred_at = new Date().toISOString();
    var email = store.get(EMAIL);
    if (email && path !== 'identify' && !body.customer_email) body.customer_email = email;
    var item = { path: path, body: body };
    if (navigator.onLine === false) return remember(item);
    post(item, remember);
  }

  function flush() {
    if (!allowed() || navigator.onLine === false) return;
    var q = queued();
    store.del(QUEUE);
    // Each keeps its message_id, so a retry the server already has is not stored twice.
    for (var i = 0; i < q.length; i++) post(q[i], remember);
  }

  // History changes send a pageview when the address changed; entercrm('page') always does.
  var lastUrl = null, firstPage = true;
  function page(force) {
    var url = w.location.href;
    if (url === lastUrl && force !== true) return;
    if (!allowed()) return;
    var body = { url: url, title: d.title };
    if (firstPage && d.referrer) body.referrer = d.referrer;
    firstPage = false;
    lastUrl = url;
    send('pageview', body);
  }

  var api = {
    page: function () { page(true); },
    track: function (name, properties) { send('event', { event: String(name), properties: properties || {} }); },
    identify: function (email, traits) {
      // Without consent nothing is kept either: later events must not carry this address.
      if (!allowed()) return;
      store.set(EMAIL, String(email).trim().toLowerCase());
      send('identify', { email: String(email), traits: traits || {} });
    },
    consent: function (granted) {
      store.set(CONSENT, granted ? '1' : '0');
      if (granted) flush(); else { store.del(QUEUE); store.del(EMAIL); }
    }
  };

  function call(args) {
    var fn = api[args[0]];
    if (fn) fn.apply(null, Array.prototype.slice.call(args, 1));
  }

  var pending = (w.entercrm && w.entercrm.q) || [];
  w.entercrm = function () { call(arguments); };
  w.entercrm.anonymousId = aid;

  // Single-page apps: a pageview on every history change.
  ['pushState', 'replaceState'].forEach(function (m) {
    var original = history[m];
    history[m] = function () {
      var result = original.apply(this, arguments);
      setTimeout(page, 0);
      return result;
    };
  });
  w.addEventListener('popstate', page);
  w.addEventListener('online', flush);

  // Queued calls: consent first, then the load's pageview (unless one was queued), then the
  // rest in order, so the timeline shows the page before what happened on it.
  var explicitPage = false;
  for (var i = 0; i < pending.length; i++) {
    if (pending[i][0] === 'consent') call(pending[i]);
    if (pending[i][0] === 'page') explicitPage = true;
  }
  if (!explicitPage) page();
  for (var j = 0; j < pending.length; j++) {
    if (pending[j][0] !== 'consent') call(pending[j]);
  }
  flush();
})(window, document);

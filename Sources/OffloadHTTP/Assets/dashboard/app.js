// Offload dashboard: plain JavaScript, no build step, no dependencies.
// Everything it shows comes from the JSON API under /v1; with OFFLOAD_API_TOKEN set on the
// server it asks for the token once, keeps it in localStorage and sends it as a Bearer token.
(function () {
  'use strict';

  // The path the server mounted Offload under ('' at the root, '/offload' in an app).
  var BASE = (document.currentScript && document.currentScript.getAttribute('data-base')) || '';
  var TOKEN_KEY = 'offload.apiToken';
  var POLL_MS = 2000;
  var PAGE_SIZE = 25;
  var CHART_MINUTES = 15;
  var STATES = ['scheduled', 'pending', 'active', 'completed', 'dead', 'cancelled'];
  var STATE_LABELS = { scheduled: 'Scheduled', pending: 'Pending', active: 'Active', completed: 'Completed', dead: 'Dead', cancelled: 'Cancelled' };

  var view = document.getElementById('view');
  var token = safeStorage('get') || '';
  var live = true;
  var timer = null;
  var route = null;        // the current view: { name, refresh(), destroy() }
  var navigation = 0;      // bumps on every navigation so late answers of an old view are dropped
  var loginOpen = null;    // the pending sign-in promise while the dialog is up
  var lastOk = null;
  var failing = false;

  // ---------- helpers ----------

  function safeStorage(op, value) {
    try {
      if (op === 'get') return window.localStorage.getItem(TOKEN_KEY);
      if (op === 'set') window.localStorage.setItem(TOKEN_KEY, value);
      if (op === 'remove') window.localStorage.removeItem(TOKEN_KEY);
    } catch (e) { /* storage disabled: keep the token in memory only */ }
    return null;
  }

  function h(tag, attrs) {
    var el = document.createElement(tag);
    setAttrs(el, attrs);
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function setAttrs(el, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === 'class') el.setAttribute('class', value);
      else if (key === 'text') el.textContent = value;
      else if (key.slice(0, 2) === 'on') { el.addEventListener(key.slice(2), value); el.__listeners = true; }
      else el.setAttribute(key, value === true ? '' : String(value));
    });
  }
  function append(el, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(el, c); }); return; }
    el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  var SVGNS = 'http://www.w3.org/2000/svg';
  function s(tag, attrs) {
    var el = document.createElementNS(SVGNS, tag);
    setAttrs(el, attrs);
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function fill(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    for (var i = 1; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }

  function fmtInt(n) { return (n || 0).toLocaleString('en-US'); }
  function pad(n) { return n < 10 ? '0' + n : String(n); }
  function clock(date, seconds) {
    var text = pad(date.getHours()) + ':' + pad(date.getMinutes());
    return seconds ? text + ':' + pad(date.getSeconds()) : text;
  }
  function parseDate(text) { return text ? new Date(text) : null; }
  function fmtDateTime(text) {
    var d = parseDate(text);
    if (!d || isNaN(d)) return '—';
    var now = new Date();
    var sameDay = d.toDateString() === now.toDateString();
    var ms = '.' + String(d.getMilliseconds()).padStart(3, '0');
    if (sameDay) return clock(d, true) + ms;
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + clock(d, true);
  }
  function fmtDuration(seconds) {
    if (seconds === null || seconds === undefined || isNaN(seconds)) return '—';
    seconds = Math.max(0, seconds);
    if (seconds < 1) return Math.round(seconds * 1000) + ' ms';
    if (seconds < 10) return seconds.toFixed(1) + ' s';
    if (seconds < 60) return Math.round(seconds) + ' s';
    var m = Math.floor(seconds / 60), sec = Math.round(seconds % 60);
    if (m < 60) return m + 'm ' + pad(sec) + 's';
    var hr = Math.floor(m / 60);
    if (hr < 48) return hr + 'h ' + pad(m % 60) + 'm';
    return Math.floor(hr / 24) + 'd ' + (hr % 24) + 'h';
  }
  function until(text) {
    var d = parseDate(text);
    if (!d || isNaN(d)) return 'never';
    var secs = (d.getTime() - Date.now()) / 1000;
    return secs < 1 ? 'now' : 'in ' + fmtDuration(secs);
  }
  function ago(text) {
    var d = parseDate(text);
    if (!d || isNaN(d)) return '—';
    var secs = (Date.now() - d.getTime()) / 1000;
    if (secs < 1.5) return 'just now';
    return fmtDuration(secs) + ' ago';
  }
  function between(a, b) {
    var x = parseDate(a), y = parseDate(b);
    if (!x || !y) return null;
    return (y.getTime() - x.getTime()) / 1000;
  }
  function shortId(id) {
    var dot = id.indexOf('.');
    return dot >= 0 && id.length - dot > 12 ? id.slice(0, dot + 1) + id.slice(dot + 1, dot + 11) + '…' : id;
  }
  function enc(v) { return encodeURIComponent(v); }
  function stateBadge(state) { return h('span', { class: 'badge state-' + state, 'data-state': state }, STATE_LABELS[state] || state); }
  function jobLink(id, full) { return h('a', { href: '#/job/' + enc(id), class: 'mono', title: id }, full ? id : shortId(id)); }
  function countCell(queue, state, n) {
    var a = h('a', { href: '#/jobs?queue=' + enc(queue) + '&state=' + state, class: 'count-link' + (state === 'dead' && n > 0 ? ' danger' : '') },
      n > 0 ? fmtInt(n) : h('span', { class: 'zero' }, '0'));
    return h('td', { class: 'num', 'data-state': state, 'data-count': n }, a);
  }

  // JSON with light syntax colouring, built from text nodes (payloads are user data).
  function jsonView(value) {
    var pre = h('pre', { class: 'json' });
    if (value === null || value === undefined) { pre.appendChild(h('span', { class: 'zero' }, 'null')); return pre; }
    var text = JSON.stringify(value, null, 2);
    var re = /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;
    var last = 0, m;
    while ((m = re.exec(text))) {
      if (m.index > last) pre.appendChild(document.createTextNode(text.slice(last, m.index)));
      if (m[1]) {
        pre.appendChild(h('span', { class: m[2] ? 'k' : 's' }, m[1]));
        if (m[2]) pre.appendChild(document.createTextNode(m[2]));
      } else if (m[3]) pre.appendChild(h('span', { class: 'b' }, m[3]));
      else pre.appendChild(h('span', { class: 'n' }, m[4]));
      last = re.lastIndex;
    }
    if (last < text.length) pre.appendChild(document.createTextNode(text.slice(last)));
    return pre;
  }

  // ---------- API ----------

  function ApiError(status, code, message) { this.status = status; this.code = code; this.message = message; }
  ApiError.prototype = Object.create(Error.prototype);

  function headers() {
    var result = { 'Accept': 'application/json' };
    if (token) result['Authorization'] = 'Bearer ' + token;
    return result;
  }

  function api(method, path, options) {
    options = options || {};
    return fetch(path, { method: method, headers: headers(), cache: 'no-store', signal: options.signal })
      .catch(function (e) {
        if (e && e.name === 'AbortError') throw e;
        throw new ApiError(0, 'unreachable', 'Cannot reach the Offload API.');
      })
      .then(function (response) {
        if (response.status === 401 && !options.noLogin) {
          return signIn(token ? 'The saved token was not accepted. Enter a valid token.' : null)
            .then(function () { return api(method, path, options); });
        }
        return response.text().then(function (text) {
          var body = null;
          if (text) { try { body = JSON.parse(text); } catch (e) { body = null; } }
          if (!response.ok) {
            var err = (body && body.error) || {};
            throw new ApiError(response.status, err.code || 'http_' + response.status, err.message || ('HTTP ' + response.status));
          }
          return body;
        });
      });
  }

  // ---------- live status ----------

  function setStatus() {
    var dot = document.getElementById('live-dot'), label = document.getElementById('live-status');
    if (!live) { dot.className = 'dot paused'; label.textContent = 'Paused'; return; }
    if (failing) { dot.className = 'dot error'; label.textContent = 'API unreachable · retrying'; return; }
    if (!lastOk) { dot.className = 'dot'; label.textContent = 'Connecting…'; return; }
    dot.className = 'dot ok';
    label.textContent = 'Live · ' + clock(lastOk, true);
  }

  function schedule() {
    clearTimeout(timer);
    timer = null;
    if (!live || document.hidden || !route || !route.refresh) return;
    timer = setTimeout(tick, POLL_MS);
  }

  function tick() {
    if (!route || !route.refresh) return;
    var current = navigation;
    Promise.resolve(route.refresh()).then(function () {
      if (current !== navigation) return;
      lastOk = new Date(); failing = false; setStatus(); schedule();
    }, function (error) {
      if (current !== navigation) return;
      if (!(error && error.name === 'AbortError')) {
        failing = !(error instanceof ApiError) || error.status === 0 || error.status >= 500;
        if (!failing && route && route.onError) route.onError(error);
      }
      setStatus(); schedule();
    });
  }

  document.getElementById('live-toggle').addEventListener('click', function () {
    live = !live;
    setStatus();
    if (live) tick(); else clearTimeout(timer);
    if (route && route.onLive) route.onLive(live);
  });
  document.addEventListener('visibilitychange', function () { if (!document.hidden && live) tick(); });

  // ---------- toasts and dialogs ----------

  function toast(message, kind) {
    var el = h('div', { class: 'toast' + (kind === 'error' ? ' error' : '') }, message);
    document.getElementById('toasts').appendChild(el);
    setTimeout(function () { el.remove(); }, kind === 'error' ? 6000 : 3500);
  }

  function confirmDialog(title, message, confirmLabel, danger) {
    return new Promise(function (resolve) {
      var root = document.getElementById('modal-root');
      function close(value) { fill(root); document.removeEventListener('keydown', onKey); resolve(value); }
      function onKey(e) { if (e.key === 'Escape') close(false); }
      var ok = h('button', { type: 'button', class: 'btn ' + (danger ? 'btn-danger-solid' : 'btn-primary'), id: 'confirm-ok', onclick: function () { close(true); } }, confirmLabel);
      fill(root, h('div', { class: 'overlay', onclick: function (e) { if (e.target === e.currentTarget) close(false); } },
        h('div', { class: 'dialog', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'confirm-title' },
          h('h2', { id: 'confirm-title' }, title), h('p', null, message),
          h('div', { class: 'buttons' },
            h('button', { type: 'button', class: 'btn', onclick: function () { close(false); } }, 'Cancel'), ok))));
      document.addEventListener('keydown', onKey);
      ok.focus();
    });
  }

  function signIn(message) {
    if (loginOpen) return loginOpen;
    clearTimeout(timer);
    loginOpen = new Promise(function (resolve) {
      var root = document.getElementById('modal-root');
      var input = h('input', { type: 'password', id: 'token-input', name: 'token', autocomplete: 'current-password', placeholder: 'API token', 'aria-label': 'API token' });
      var error = h('div', { class: 'form-error', id: 'token-error' }, message || '');
      var submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'token-submit' }, 'Sign in');
      var form = h('form', { class: 'dialog', id: 'login-form', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'login-title' },
        h('h2', { id: 'login-title' }, 'Sign in to Offload'),
        h('p', null, 'This API is protected by a bearer token (OFFLOAD_API_TOKEN). It is kept in this browser only.'),
        input, error,
        h('div', { class: 'buttons' }, submit));
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        var candidate = input.value.trim();
        if (!candidate) { error.textContent = 'Enter the token.'; return; }
        submit.disabled = true;
        fetch(BASE + '/v1/queues', { headers: { 'Accept': 'application/json', 'Authorization': 'Bearer ' + candidate }, cache: 'no-store' })
          .then(function (response) {
            submit.disabled = false;
            if (response.status === 401) { error.textContent = 'That token was not accepted.'; input.select(); return; }
            token = candidate;
            safeStorage('set', token);
            document.getElementById('sign-out').hidden = false;
            fill(root);
            loginOpen = null;
            resolve();
          }, function () { submit.disabled = false; error.textContent = 'Cannot reach the Offload API.'; });
      });
      fill(root, h('div', { class: 'overlay', id: 'login' }, form));
      input.focus();
    });
    return loginOpen;
  }

  document.getElementById('sign-out').addEventListener('click', function () {
    token = '';
    safeStorage('remove');
    document.getElementById('sign-out').hidden = true;
    lastOk = null;
    render();
  });

  // ---------- actions (all through the JSON API) ----------

  function act(button, work, done) {
    if (button) button.disabled = true;
    return work().then(function (result) {
      if (done) toast(done(result));
      tick();
    }, function (error) {
      if (button) button.disabled = false;
      toast((error && error.message) || 'The action failed.', 'error');
    });
  }
  function retryJob(id, button) {
    return act(button, function () { return api('POST', BASE + '/v1/jobs/' + enc(id) + '/retry'); },
      function () { return 'Job ' + shortId(id) + ' is pending again.'; });
  }
  function cancelJob(id, button) {
    return confirmDialog('Cancel this job?', 'Job ' + id + ' will not run (a running job is asked to stop).', 'Cancel job', true).then(function (yes) {
      if (!yes) return;
      return act(button, function () { return api('DELETE', BASE + '/v1/jobs/' + enc(id)); },
        function (r) { return r && r.cancel_requested ? 'Cancellation requested for ' + shortId(id) + '.' : 'Job ' + shortId(id) + ' cancelled.'; });
    });
  }
  function setPaused(queue, paused, button) {
    return act(button, function () { return api('POST', BASE + '/v1/queues/' + enc(queue) + (paused ? '/pause' : '/resume')); },
      function () { return 'Queue ' + queue + (paused ? ' paused.' : ' resumed.'); });
  }
  function purgeDead(queue, count, button) {
    return confirmDialog('Purge dead jobs?', 'Delete all ' + fmtInt(count) + ' dead job(s) of queue "' + queue + '" for good.', 'Purge', true).then(function (yes) {
      if (!yes) return;
      return act(button, function () { return api('DELETE', BASE + '/v1/queues/' + enc(queue) + '/jobs?state=dead'); },
        function (r) { return 'Deleted ' + fmtInt(r && r.deleted) + ' dead job(s) from ' + queue + '.'; });
    });
  }
  function removeQueue(queue, button) {
    return confirmDialog('Remove queue?', 'Queue "' + queue + '" holds no job. Remove it from the list, with its settings and history?', 'Remove', true).then(function (yes) {
      if (!yes) return;
      return act(button, function () { return api('DELETE', BASE + '/v1/queues/' + enc(queue)); },
        function () { return 'Queue ' + queue + ' removed.'; });
    });
  }
  function unschedule(name, button) {
    return confirmDialog('Remove schedule?', 'Schedule "' + name + '" will submit no more jobs. Jobs it already submitted stay.', 'Remove', true).then(function (yes) {
      if (!yes) return;
      return act(button, function () { return api('DELETE', BASE + '/v1/schedules/' + enc(name)); },
        function () { return 'Schedule ' + name + ' removed.'; });
    });
  }
  function jobActions(job, small) {
    var cls = 'btn' + (small ? ' btn-sm' : '');
    var buttons = [];
    if (job.state === 'dead' || job.state === 'cancelled') {
      buttons.push(h('button', { type: 'button', class: cls + ' btn-retry', 'data-action': 'retry', 'data-job-id': job.id,
        title: 'Run it again with fresh attempts' }, 'Retry'));
    }
    if ((job.state === 'scheduled' || job.state === 'pending' || job.state === 'active') && !job.cancel_requested) {
      buttons.push(h('button', { type: 'button', class: cls + ' btn-danger btn-cancel', 'data-action': 'cancel', 'data-job-id': job.id }, 'Cancel'));
    }
    return buttons;
  }

  // One click handler for every action button, reading what to do from its attributes.
  document.addEventListener('click', function (e) {
    var button = e.target.closest ? e.target.closest('[data-action]') : null;
    if (!button || button.disabled) return;
    var action = button.getAttribute('data-action');
    var job = button.getAttribute('data-job-id'), queue = button.getAttribute('data-queue');
    if (action === 'retry') retryJob(job, button);
    else if (action === 'cancel') cancelJob(job, button);
    else if (action === 'pause') setPaused(queue, true, button);
    else if (action === 'resume') setPaused(queue, false, button);
    else if (action === 'purge') purgeDead(queue, Number(button.getAttribute('data-count')), button);
    else if (action === 'remove') removeQueue(queue, button);
    else if (action === 'unschedule') unschedule(button.getAttribute('data-schedule'), button);
    else if (action === 'go') location.hash = button.getAttribute('data-href');
  });

  // ---------- throughput chart (inline SVG) ----------

  function niceMax(value) {
    if (value <= 4) return 4;
    var magnitude = Math.pow(10, Math.floor(Math.log10(value)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * magnitude >= value) return steps[i] * magnitude;
    return 10 * magnitude;
  }

  function drawChart(container, points) {
    var width = Math.max(280, container.clientWidth - 16);
    var height = width < 500 ? 190 : 220;
    var left = 40, right = 8, top = 12, bottom = 26;
    var plotW = width - left - right, plotH = height - top - bottom;
    var max = niceMax(points.reduce(function (m, p) { return Math.max(m, p.processed + p.failed); }, 0));
    var svgEl = s('svg', { viewBox: '0 0 ' + width + ' ' + height, width: width, height: height, role: 'img',
      'aria-label': 'Jobs processed and failed per minute, last ' + points.length + ' minutes', id: 'throughput-svg' });
    for (var t = 0; t <= 4; t++) {
      var value = max * t / 4, y = top + plotH - plotH * t / 4;
      svgEl.appendChild(s('line', { class: 'grid-line', x1: left, x2: width - right, y1: y, y2: y }));
      svgEl.appendChild(s('text', { class: 'axis-label', x: left - 8, y: y + 4, 'text-anchor': 'end' }, fmtInt(Math.round(value))));
    }
    var slot = plotW / points.length, barW = Math.max(4, Math.min(36, slot * 0.62));
    var tip = container.querySelector('.chart-tip');
    var total = 0;
    points.forEach(function (p, i) {
      total += p.processed + p.failed;
      var x = left + slot * i + (slot - barW) / 2;
      var hp = plotH * p.processed / max, hf = plotH * p.failed / max;
      var partial = i === points.length - 1;
      var g = s('g', { class: partial ? 'partial' : null, 'data-minute': p.minute, 'data-processed': p.processed, 'data-failed': p.failed });
      var band = s('rect', { class: 'hover-band', x: left + slot * i, y: top, width: slot, height: plotH });
      g.appendChild(band);
      if (hp > 0) g.appendChild(s('rect', { class: 'bar-processed', x: x, y: top + plotH - hp, width: barW, height: hp, rx: 2 }));
      if (hf > 0) g.appendChild(s('rect', { class: 'bar-failed', x: x, y: top + plotH - hp - hf, width: barW, height: hf, rx: 2 }));
      var start = new Date(p.minute * 60000);
      var label = clock(start) + (partial ? ' (now)' : '') + ' — ' + fmtInt(p.processed) + ' processed, ' + fmtInt(p.failed) + ' failed';
      g.appendChild(s('title', null, label));
      g.__listeners = true;
      g.addEventListener('mouseenter', function () {
        if (!tip) return;
        tip.textContent = label;
        tip.hidden = false;
        tip.style.left = Math.min(Math.max(left + slot * (i + 0.5) + 4, 110), width - 100) + 'px';
        tip.style.top = Math.max(top + plotH - hp - hf, top + 24) + 'px';
      });
      g.addEventListener('mouseleave', function () { if (tip) tip.hidden = true; });
      svgEl.appendChild(g);
      var every = points.length > 10 ? (width < 500 ? 5 : 3) : 1;
      if ((points.length - 1 - i) % every === 0) {
        svgEl.appendChild(s('text', { class: 'axis-label', x: left + slot * (i + 0.5), y: height - 6, 'text-anchor': 'middle' }, clock(start)));
      }
    });
    if (total === 0) {
      svgEl.appendChild(s('text', { class: 'empty-label', x: left + plotW / 2, y: top + plotH / 2, 'text-anchor': 'middle' },
        'No jobs finished in the last ' + points.length + ' minutes'));
    }
    var old = container.querySelector('svg');
    if (old) container.replaceChild(svgEl, old); else container.insertBefore(svgEl, container.firstChild);
  }

  // ---------- views ----------

  function pageHead(title, sub, right, crumbs) {
    return h('div', { class: 'page-head' },
      h('div', null, crumbs ? h('div', { class: 'crumbs' }, crumbs) : null, h('h1', null, title), sub ? h('p', { class: 'sub' }, sub) : null),
      right || null);
  }
  function card(title, hint, right, body, attrs) {
    var a = attrs || {};
    a.class = 'card' + (a.class ? ' ' + a.class : '');
    return h('section', a,
      h('div', { class: 'card-head' }, h('h2', null, title, hint ? h('span', { class: 'hint' }, hint) : null), right || null),
      body);
  }
  function table(headers, rows, attrs) {
    return h('div', { class: 'table-wrap' }, h('table', attrs || null,
      h('thead', null, h('tr', null, headers.map(function (c) {
        return typeof c === 'string' ? h('th', null, c) : h('th', { class: c.cls }, c.label);
      }))),
      h('tbody', null, rows)));
  }
  // Re-renders a section only when its data changed, and then patches the DOM in place
  // (text, attributes, children) instead of replacing it, so rows and buttons under the
  // pointer survive a poll. Buttons act through data-action attributes (see onAction), so
  // a patched button always does what its attributes now say.
  function updater(el, renderFn) {
    var last = null;
    return function (data) {
      var key = JSON.stringify(data);
      if (key === last) return;
      last = key;
      var holder = document.createElement('div');
      append(holder, renderFn(data));
      morphChildren(el, holder);
    };
  }
  function morphChildren(target, source) {
    var fresh = Array.prototype.slice.call(source.childNodes);
    var old = Array.prototype.slice.call(target.childNodes);
    fresh.forEach(function (node, i) {
      if (i < old.length) morph(old[i], node); else target.appendChild(node);
    });
    for (var i = fresh.length; i < old.length; i++) target.removeChild(old[i]);
  }
  function morph(from, to) {
    if (from.nodeType !== to.nodeType || from.nodeName !== to.nodeName || from.__listeners || to.__listeners) {
      from.parentNode.replaceChild(to, from);
      return;
    }
    if (from.nodeType !== 1) {
      if (from.nodeValue !== to.nodeValue) from.nodeValue = to.nodeValue;
      return;
    }
    Array.prototype.slice.call(from.attributes).forEach(function (a) {
      if (!to.hasAttribute(a.name)) from.removeAttribute(a.name);
    });
    Array.prototype.slice.call(to.attributes).forEach(function (a) {
      if (a.name === 'style') { if (from.style.cssText !== to.style.cssText) from.style.cssText = to.style.cssText; }
      else if (from.getAttribute(a.name) !== a.value) from.setAttribute(a.name, a.value);
    });
    if (from.nodeName === 'BUTTON') from.disabled = to.disabled;
    morphChildren(from, to);
  }

  function sumCounts(queues) {
    var total = {};
    STATES.forEach(function (st) { total[st] = 0; });
    queues.forEach(function (q) { STATES.forEach(function (st) { total[st] += q.counts[st] || 0; }); });
    return total;
  }

  function tile(label, value, state, id) {
    return h('div', { class: 'tile', id: id || null },
      h('div', { class: 'label' }, state ? h('span', { class: 'swatch', 'data-swatch': state }) : null, label),
      h('div', { class: 'value' + (state === 'dead' && value > 0 ? ' danger' : '') }, fmtInt(value)));
  }

  function queuesTable(queues) {
    if (!queues.length) return h('div', { class: 'empty' }, 'No queues yet. Submit a job with POST /v1/jobs and its queue appears here.');
    var rows = queues.map(function (q) {
      var pauseBtn = h('button', { type: 'button', class: 'btn btn-sm ' + (q.paused ? 'btn-resume' : 'btn-pause'), 'data-queue': q.name,
        'data-action': q.paused ? 'resume' : 'pause' }, q.paused ? 'Resume' : 'Pause');
      var purgeBtn = h('button', { type: 'button', class: 'btn btn-sm btn-danger btn-purge', 'data-queue': q.name, disabled: q.counts.dead === 0,
        'data-action': 'purge', 'data-count': q.counts.dead }, 'Purge dead');
      // Only an empty queue can go (DELETE /v1/queues/{name} without force).
      var empty = STATES.every(function (st) { return !q.counts[st]; });
      var removeBtn = empty ? h('button', { type: 'button', class: 'btn btn-sm btn-danger btn-remove', 'data-queue': q.name,
        'data-action': 'remove', title: 'Remove this empty queue' }, 'Remove') : null;
      return h('tr', { 'data-queue': q.name },
        h('td', null, h('div', { class: 'qcell' }, h('a', { class: 'queue-name', href: '#/jobs?queue=' + enc(q.name) + '&state=pending' }, q.name),
          q.paused ? h('span', { class: 'badge paused queue-paused' }, 'Paused') : null,
          q.max_depth ? h('span', { class: 'badge plain', title: 'Submits past this depth get 429' }, 'max ' + fmtInt(q.max_depth)) : null,
          // On a Redis Cluster: the primary that holds the queue.
          q.node ? h('span', { class: 'badge plain queue-node', title: 'Redis Cluster node holding this queue' }, q.node) : null)),
        STATES.map(function (st) { return countCell(q.name, st, q.counts[st] || 0); }),
        h('td', { class: 'num', 'data-field': 'oldest' }, q.counts.pending > 0 ? fmtDuration(q.oldest_pending_age_seconds) : h('span', { class: 'zero' }, '—')),
        h('td', { class: 'num', 'data-field': 'rate', title: 'Jobs processed / runs failed in the last full minute' },
          fmtInt(q.processed_per_minute), q.failed_per_minute ? h('span', { class: 'state-dead' }, ' / ' + fmtInt(q.failed_per_minute)) : null),
        h('td', null, h('div', { class: 'actions' }, pauseBtn, purgeBtn, removeBtn)));
    });
    var headers = [{ label: 'Queue' }].concat(STATES.map(function (st) {
      return { label: h('span', { class: 'legend' }, h('span', null, h('span', { class: 'swatch', 'data-swatch': st }), STATE_LABELS[st])), cls: 'num' };
    }), [{ label: 'Oldest pending', cls: 'num' }, { label: 'Last minute', cls: 'num' }, { label: '', cls: 'r' }]);
    return table(headers, rows, { id: 'queues-table' });
  }

  function schedulesTable(schedules) {
    var rows = schedules.map(function (s) {
      return h('tr', { 'data-schedule': s.name },
        h('td', null, h('span', { class: 'mono' }, s.name)),
        h('td', { class: 'mono' }, s.cron ? s.cron + ' (UTC)' : 'every ' + fmtDuration(s.every_seconds)),
        h('td', { class: 'mono' }, s.type),
        h('td', null, h('a', { href: '#/jobs?queue=' + enc(s.queue) + '&state=pending' }, s.queue)),
        h('td', { class: 'num', title: s.next_run_at || '' }, until(s.next_run_at)),
        h('td', null, h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn btn-sm btn-danger btn-unschedule',
          'data-schedule': s.name, 'data-action': 'unschedule' }, 'Remove'))));
    });
    return table(['Schedule', 'When', 'Type', 'Queue', { label: 'Next run', cls: 'num' }, { label: '', cls: 'r' }], rows, { id: 'schedules-table' });
  }

  function workersTable(workers, compact) {
    if (!workers.length) return h('div', { class: 'empty', id: 'workers-empty' }, 'No live workers. Start one with offload-worker.');
    var rows = workers.map(function (w) {
      var busy = (w.current_jobs || []).length, ratio = w.concurrency ? Math.min(1, busy / w.concurrency) : 0;
      var bar = h('i'); bar.style.width = Math.round(ratio * 100) + '%';
      return h('tr', { 'data-worker': w.id },
        h('td', null, h('div', { class: 'mono', title: w.id }, w.id.length > 28 ? w.id.slice(0, 27) + '…' : w.id),
          h('div', { class: 'zero' }, w.host + ' · pid ' + w.pid)),
        h('td', null, (w.queues || []).join(', ')),
        h('td', null, h('span', { class: 'load' }, h('span', { class: 'meter' }, bar), busy + ' / ' + w.concurrency)),
        h('td', { class: 'wrap' }, busy ? w.current_jobs.map(function (id) { return h('a', { class: 'chip', href: '#/job/' + enc(id), title: id }, shortId(id)); })
          : h('span', { class: 'zero' }, 'idle')),
        compact ? null : h('td', { class: 'num' }, fmtInt(w.processed)),
        compact ? null : h('td', { class: 'num' }, w.failed ? h('span', { class: 'state-dead' }, fmtInt(w.failed)) : h('span', { class: 'zero' }, '0')),
        h('td', { class: 'num' }, ago(w.heartbeat_at)),
        compact ? null : h('td', { class: 'num' }, fmtDuration((Date.now() - new Date(w.started_at).getTime()) / 1000)));
    });
    var headers = compact ? ['Worker', 'Queues', 'Load', 'Current jobs', { label: 'Heartbeat', cls: 'num' }]
      : ['Worker', 'Queues', 'Load', 'Current jobs', { label: 'Processed', cls: 'num' }, { label: 'Failed', cls: 'num' }, { label: 'Heartbeat', cls: 'num' }, { label: 'Uptime', cls: 'num' }];
    return table(headers, rows, { id: 'workers-table' });
  }

  function workerList(workers) {
    if (!workers.length) return h('div', { class: 'empty', id: 'workers-empty' }, 'No live workers. Start one with offload-worker.');
    return h('ul', { id: 'workers-table' }, workers.map(function (w) {
      var busy = (w.current_jobs || []).length, ratio = w.concurrency ? Math.min(1, busy / w.concurrency) : 0;
      var bar = h('i'); bar.style.width = Math.round(ratio * 100) + '%';
      return h('li', { 'data-worker': w.id },
        h('div', { class: 'worker-top' },
          h('span', { class: 'mono worker-id', title: w.id }, w.id),
          h('span', { class: 'zero', title: 'Last heartbeat' }, ago(w.heartbeat_at))),
        h('div', { class: 'worker-meta' }, w.host + ' · pid ' + w.pid + ' · ' + (w.queues || []).join(', ')),
        h('div', { class: 'worker-meta' }, fmtInt(w.processed) + ' processed · ' + fmtInt(w.failed) + ' failed · up ' +
          fmtDuration((Date.now() - new Date(w.started_at).getTime()) / 1000)),
        h('div', { class: 'worker-jobs' },
          h('span', { class: 'load' }, h('span', { class: 'meter' }, bar), h('span', { class: 'num' }, busy + ' / ' + w.concurrency)),
          busy ? w.current_jobs.map(function (id) { return h('a', { class: 'chip', href: '#/job/' + enc(id), title: id }, shortId(id)); })
            : h('span', { class: 'zero' }, 'idle')));
    }));
  }

  function loadThroughput(queues, choice) {
    var names = choice && choice !== '*' ? [choice] : queues.map(function (q) { return q.name; });
    if (!names.length) {
      var now = Math.floor(Date.now() / 60000), empty = [];
      for (var i = CHART_MINUTES - 1; i >= 0; i--) empty.push({ minute: now - i, processed: 0, failed: 0 });
      return Promise.resolve(empty);
    }
    return Promise.all(names.map(function (name) {
      return api('GET', BASE + '/v1/queues/' + enc(name) + '/throughput?minutes=' + CHART_MINUTES);
    })).then(function (answers) {
      var byMinute = {}, order = [];
      answers.forEach(function (a) {
        a.minutes.forEach(function (p) {
          if (!byMinute[p.minute]) { byMinute[p.minute] = { minute: p.minute, processed: 0, failed: 0 }; order.push(p.minute); }
          byMinute[p.minute].processed += p.processed;
          byMinute[p.minute].failed += p.failed;
        });
      });
      order.sort(function (a, b) { return a - b; });
      return order.slice(-CHART_MINUTES).map(function (m) { return byMinute[m]; });
    });
  }

  function overviewView() {
    var tiles = h('div', { class: 'tiles', id: 'summary' });
    var chartBox = h('div', { class: 'chart', id: 'throughput-chart' }, h('div', { class: 'chart-tip', hidden: true }));
    var select = h('select', { id: 'chart-queue', 'aria-label': 'Queue shown in the chart' }, h('option', { value: '*' }, 'All queues'));
    var chartTotals = h('div', { class: 'chart-foot', id: 'chart-totals' });
    var queuesBody = h('div');
    var schedulesBody = h('div');
    // Shown once there is a schedule (PUT /v1/schedules/{name}, offload schedule).
    var schedulesCard = card('Schedules', 'fired by the workers', null, schedulesBody, { id: 'schedules' });
    schedulesCard.hidden = true;
    var workersBody = h('div', { class: 'worker-list' });
    var workerCount = h('span', { class: 'hint' });
    var points = null;

    fill(view,
      pageHead('Overview'),
      tiles,
      h('div', { class: 'overview-split' },
        card('Throughput', 'last ' + CHART_MINUTES + ' minutes', h('div', { class: 'legend' },
          h('span', null, h('span', { class: 'swatch', 'data-swatch': 'completed' }), 'Processed'),
          h('span', null, h('span', { class: 'swatch', 'data-swatch': 'dead' }), 'Failed'), select), [chartBox, chartTotals], { id: 'throughput' }),
        h('section', { class: 'card side-card', id: 'workers' },
          h('div', { class: 'card-head' }, h('h2', null, 'Workers', workerCount), h('a', { href: '#/workers' }, 'Details →')),
          workersBody)),
      card('Queues', null, null, queuesBody, { id: 'queues' }),
      schedulesCard);

    var showTiles = updater(tiles, function (d) {
      var t = sumCounts(d.queues);
      return [tile('Pending', t.pending, 'pending', 'tile-pending'), tile('Active', t.active, 'active', 'tile-active'),
        tile('Scheduled', t.scheduled, 'scheduled', 'tile-scheduled'), tile('Completed', t.completed, 'completed', 'tile-completed'),
        tile('Dead', t.dead, 'dead', 'tile-dead'), tile('Workers', d.workers, null, 'tile-workers')];
    });
    var showQueues = updater(queuesBody, queuesTable);
    var showSchedules = updater(schedulesBody, schedulesTable);
    var showWorkers = updater(workersBody, workerList);
    var showTotals = updater(chartTotals, function (p) {
      var processed = 0, failed = 0, peak = 0;
      p.forEach(function (x) { processed += x.processed; failed += x.failed; peak = Math.max(peak, x.processed + x.failed); });
      var full = p.slice(0, -1), avg = full.length ? full.reduce(function (a, x) { return a + x.processed; }, 0) / full.length : 0;
      var rate = processed + failed ? (100 * failed / (processed + failed)) : 0;
      function stat(k, v, cls) { return h('div', { class: 'stat' }, h('span', { class: 'k' }, k), h('span', { class: 'v' + (cls ? ' ' + cls : '') }, v)); }
      return [stat('Processed', fmtInt(processed)), stat('Failed runs', fmtInt(failed), failed ? 'state-dead' : null),
        stat('Failure rate', rate.toFixed(rate && rate < 10 ? 1 : 0) + '%'), stat('Avg / minute', avg.toFixed(avg < 10 ? 1 : 0)),
        stat('Busiest minute', fmtInt(peak))];
    });
    var lastChart = null, lastWidth = 0;
    function showChart(p) {
      points = p;
      var key = JSON.stringify(p), width = chartBox.clientWidth;
      if (key === lastChart && width === lastWidth) return;
      lastChart = key; lastWidth = width;
      drawChart(chartBox, p);
    }
    var lastOptions = '';
    function showOptions(queues) {
      var names = queues.map(function (q) { return q.name; }), key = names.join('\n');
      if (key === lastOptions) return;
      lastOptions = key;
      var chosen = select.value;
      fill(select, h('option', { value: '*' }, 'All queues'), names.map(function (n) { return h('option', { value: n }, n); }));
      select.value = names.indexOf(chosen) >= 0 ? chosen : '*';
    }
    select.addEventListener('change', function () { lastChart = null; tick(); });
    function onResize() { if (points) { lastChart = null; showChart(points); } }
    window.addEventListener('resize', onResize);

    return {
      name: 'overview',
      refresh: function () {
        return Promise.all([api('GET', BASE + '/v1/queues'), api('GET', BASE + '/v1/workers'), api('GET', BASE + '/v1/schedules')]).then(function (r) {
          var queues = r[0].queues, workers = r[1].workers, schedules = r[2].schedules;
          showTiles({ queues: queues, workers: workers.length });
          showQueues(queues);
          schedulesCard.hidden = !schedules.length;
          showSchedules(schedules);
          showWorkers(workers);
          workerCount.textContent = workers.length ? workers.length + ' live' : '';
          showOptions(queues);
          return loadThroughput(queues, select.value).then(function (p) { showChart(p); showTotals(p); });
        });
      },
      destroy: function () { window.removeEventListener('resize', onResize); }
    };
  }

  function workersView() {
    var body = h('div');
    fill(view, pageHead('Workers', 'Worker processes with a live heartbeat, and the jobs they are running.'),
      card('Live workers', null, null, body));
    var show = updater(body, function (w) { return workersTable(w, false); });
    return {
      name: 'workers',
      refresh: function () { return api('GET', BASE + '/v1/workers').then(function (r) { show(r.workers); }); }
    };
  }

  function parseQuery(text) {
    var result = {};
    (text || '').split('&').forEach(function (part) {
      if (!part) return;
      var i = part.indexOf('=');
      var k = decodeURIComponent(i < 0 ? part : part.slice(0, i)), v = i < 0 ? '' : decodeURIComponent(part.slice(i + 1));
      result[k] = v;
    });
    return result;
  }

  function jobsView(query) {
    var queue = query.queue || '';
    var state = STATES.indexOf(query.state) >= 0 ? query.state : 'pending';
    var cursor = query.cursor || '';
    var history = (query.prev || '').split(',').filter(Boolean);

    var queueSelect = h('select', { id: 'jobs-queue', 'aria-label': 'Queue' });
    var searchInput = h('input', { type: 'search', id: 'job-search', placeholder: 'Find a job by ID (queue.ULID)', 'aria-label': 'Job ID', autocomplete: 'off', spellcheck: 'false' });
    var searchForm = h('form', { class: 'search', id: 'job-search-form' }, searchInput, h('button', { type: 'submit', class: 'btn' }, 'Open'));
    var segments = h('nav', { class: 'segments', 'aria-label': 'Job states' });
    var body = h('div');
    var pager = h('div', { class: 'pager' });
    var headRight = h('div', { class: 'actions' });

    searchForm.addEventListener('submit', function (e) {
      e.preventDefault();
      var id = searchInput.value.trim();
      if (!id) return;
      api('GET', BASE + '/v1/jobs/' + enc(id)).then(function () { location.hash = '#/job/' + enc(id); },
        function (error) { toast(error.status === 404 ? 'No job with ID "' + id + '".' : error.message, 'error'); });
    });
    queueSelect.addEventListener('change', function () { go({ queue: queueSelect.value, state: state }); });

    function link(q) {
      var parts = ['queue=' + enc(q.queue), 'state=' + enc(q.state)];
      if (q.cursor) parts.push('cursor=' + enc(q.cursor));
      if (q.prev && q.prev.length) parts.push('prev=' + enc(q.prev.join(',')));
      return '#/jobs?' + parts.join('&');
    }
    function go(q) { location.hash = link(q); }

    fill(view,
      pageHead(h('span', null, 'Jobs'), null, headRight),
      h('section', { class: 'card', id: 'jobs' },
        h('div', { class: 'toolbar' }, h('label', null, 'Queue', queueSelect), searchForm),
        segments, body, pager));

    var lastQueues = '';
    function showQueues(queues) {
      var names = queues.map(function (q) { return q.name; });
      if (queue && names.indexOf(queue) < 0) names.push(queue);
      var key = names.join('\n');
      if (key === lastQueues) return;
      lastQueues = key;
      fill(queueSelect, names.map(function (n) { return h('option', { value: n }, n); }));
      queueSelect.value = queue;
    }
    var showSegments = updater(segments, function (counts) {
      return STATES.map(function (st) {
        return h('a', { href: '#/jobs?queue=' + enc(queue) + '&state=' + st, class: st === state ? 'current' : null, 'data-state': st },
          h('span', { class: 'swatch', 'data-swatch': st }), STATE_LABELS[st], h('span', { class: 'n' }, fmtInt(counts[st] || 0)));
      });
    });
    var showHead = updater(headRight, function (d) {
      if (state !== 'dead' || !d.dead) return [];
      return h('button', { type: 'button', class: 'btn btn-danger btn-purge', 'data-queue': queue, 'data-action': 'purge', 'data-count': d.dead },
        'Purge ' + fmtInt(d.dead) + ' dead');
    });
    var showRows = updater(body, function (page) {
      if (!page.jobs.length) return h('div', { class: 'empty', id: 'jobs-empty' }, 'No ' + STATE_LABELS[state].toLowerCase() + ' jobs in ' + queue + '.');
      var finished = state === 'completed' || state === 'dead' || state === 'cancelled';
      var rows = page.jobs.map(function (job) {
        var info;
        if (job.error && (state === 'dead' || state === 'scheduled' || state === 'cancelled')) {
          info = h('span', { class: 'truncate state-dead', title: job.error.type + ': ' + job.error.message }, job.error.type + ': ' + job.error.message);
        } else if (state === 'active' && job.progress !== null && job.progress !== undefined) {
          var bar = h('i'); bar.style.width = job.progress + '%';
          info = h('span', { class: 'load' }, h('span', { class: 'meter' }, bar), job.progress + '%', job.progress_message ? h('span', { class: 'zero truncate' }, job.progress_message) : null);
        } else if (state === 'scheduled' && job.run_at) {
          info = 'runs ' + fmtDateTime(job.run_at);
        } else {
          info = h('span', { class: 'zero' }, job.worker || '');
        }
        var when = finished ? job.finished_at : state === 'active' ? job.started_at : job.created_at;
        return h('tr', { 'data-job-id': job.id, 'data-state': job.state },
          h('td', null, jobLink(job.id, true)),
          h('td', null, h('code', null, job.type)),
          h('td', { class: 'hide-sm' }, stateBadge(job.state)),
          h('td', { class: 'num hide-sm' }, job.attempts + ' / ' + job.max_attempts),
          h('td', { class: 'num', title: when || '' }, fmtDateTime(when)),
          h('td', { class: 'num' }, finished ? fmtDuration(between(job.started_at, job.finished_at)) : state === 'active' ? ago(job.started_at).replace(' ago', '') : ago(job.created_at).replace(' ago', '')),
          h('td', null, info),
          h('td', null, h('div', { class: 'actions' }, jobActions(job, true))));
      });
      var whenLabel = finished ? 'Finished' : state === 'active' ? 'Started' : 'Created';
      var durLabel = finished ? 'Run time' : state === 'active' ? 'Running for' : 'Waiting';
      return table(['ID', 'Type', { label: 'State', cls: 'hide-sm' }, { label: 'Attempts', cls: 'num hide-sm' }, { label: whenLabel, cls: 'num' }, { label: durLabel, cls: 'num' }, 'Details', { label: '', cls: 'r' }],
        rows, { id: 'jobs-table' });
    });
    var showPager = updater(pager, function (d) {
      var offset = Number(cursor || 0);
      var range = d.count ? 'Showing ' + fmtInt(offset + 1) + '–' + fmtInt(offset + d.count) + (d.total !== null ? ' of ' + fmtInt(d.total) : '') : '';
      var p = history.slice(), back = p.pop() || '';
      var prev = h('button', { type: 'button', class: 'btn btn-sm', id: 'page-prev', disabled: !cursor, 'data-action': 'go',
        'data-href': link({ queue: queue, state: state, cursor: back === '0' ? '' : back, prev: p }) }, '← Previous');
      var next = h('button', { type: 'button', class: 'btn btn-sm', id: 'page-next', disabled: !d.next, 'data-action': 'go',
        'data-href': d.next ? link({ queue: queue, state: state, cursor: d.next, prev: history.concat([cursor || '0']) }) : null }, 'Next →');
      return [h('span', null, range), h('span', { class: 'btns' }, prev, next)];
    });

    return {
      name: 'jobs',
      refresh: function () {
        return api('GET', BASE + '/v1/queues').then(function (r) {
          var queues = r.queues;
          if (!queue) {
            var best = queues.slice().sort(function (a, b) { return (b.counts[state] || 0) - (a.counts[state] || 0); })[0];
            queue = best ? best.name : 'default';
          }
          showQueues(queues);
          var info = queues.filter(function (q) { return q.name === queue; })[0];
          var counts = info ? info.counts : {};
          showSegments(counts);
          showHead({ dead: counts.dead || 0 });
          var url = BASE + '/v1/jobs?queue=' + enc(queue) + '&state=' + state + '&limit=' + PAGE_SIZE + (cursor ? '&cursor=' + enc(cursor) : '');
          return api('GET', url).then(function (page) {
            showRows(page);
            showPager({ count: page.jobs.length, next: page.next_cursor || null, total: info ? (counts[state] || 0) : null });
          });
        });
      },
      onError: function (error) { fill(body, h('div', { class: 'empty' }, error.message)); }
    };
  }

  function jobView(id) {
    var stream = null;
    var job = null;
    var head = h('div');
    var content = h('div');
    fill(view, head, content);

    var timelineSteps = function (j) {
      var steps = [{ what: 'Created', at: j.created_at, cls: 'state-pending' }];
      if (j.run_at && j.run_at !== j.created_at) steps.push({ what: j.started_at ? 'Scheduled for' : 'Runs at', at: j.run_at, cls: 'state-scheduled', future: !j.started_at && new Date(j.run_at) > new Date() });
      if (j.started_at) steps.push({ what: j.attempts > 1 ? 'Started (attempt ' + j.attempts + ')' : 'Started', at: j.started_at, cls: 'state-active' });
      if (j.finished_at) steps.push({ what: STATE_LABELS[j.state] || 'Finished', at: j.finished_at, cls: 'state-' + j.state });
      else if (j.state === 'active') steps.push({ what: 'Running…', at: null, cls: 'state-active', future: true });
      return steps;
    };

    var showHead = updater(head, function (j) {
      return pageHead(h('span', { class: 'title-row' }, h('span', null, j.type), stateBadge(j.state)),
        h('code', { class: 'mono job-id', id: 'job-id' }, j.id),
        h('div', { class: 'actions' }, jobActions(j, false)),
        [h('a', { href: '#/jobs?queue=' + enc(j.queue) + '&state=' + j.state }, 'Jobs'), ' / ',
          h('a', { href: '#/jobs?queue=' + enc(j.queue) + '&state=pending' }, j.queue)]);
    });
    var showContent = updater(content, function (j) {
      var props = h('dl', { class: 'props' },
        h('dt', null, 'State'), h('dd', { id: 'job-state' }, stateBadge(j.state), j.cancel_requested ? h('span', { class: 'badge plain' }, 'cancel requested') : null),
        h('dt', null, 'Type'), h('dd', null, h('code', null, j.type)),
        h('dt', null, 'Queue'), h('dd', null, h('a', { href: '#/jobs?queue=' + enc(j.queue) + '&state=pending' }, j.queue)),
        h('dt', null, 'Attempts'), h('dd', { class: 'num' }, j.attempts + ' of ' + j.max_attempts),
        h('dt', null, 'Priority'), h('dd', { class: 'num' }, String(j.priority)),
        h('dt', null, 'Timeout'), h('dd', null, j.timeout_seconds ? fmtDuration(j.timeout_seconds) : 'none'),
        h('dt', null, 'Worker'), h('dd', { class: 'mono' }, j.worker || '—'),
        h('dt', null, 'Waited'), h('dd', null, fmtDuration(between(j.run_at || j.created_at, j.started_at) === null ? null : Math.max(0, between(j.run_at || j.created_at, j.started_at)))),
        h('dt', null, 'Run time'), h('dd', null, j.started_at ? fmtDuration(between(j.started_at, j.finished_at || new Date().toISOString())) + (j.finished_at ? '' : ' so far') : '—'));
      var progressBody = null;
      if (j.progress !== null && j.progress !== undefined) {
        var bar = h('i', { id: 'job-progress-bar' }); bar.style.width = Math.max(0, Math.min(100, j.progress)) + '%';
        progressBody = h('div', { class: 'card-body' },
          h('div', { class: 'progress-row' }, h('div', { class: 'progress' }, bar), h('strong', { class: 'num', id: 'job-progress' }, j.progress + '%')),
          j.progress_message ? h('div', { class: 'progress-msg', id: 'job-progress-message' }, j.progress_message) : null);
      }
      var steps = timelineSteps(j), prev = null;
      var timeline = h('ol', { class: 'timeline', id: 'job-timeline' }, steps.map(function (st) {
        var delta = prev && st.at ? between(prev, st.at) : null;
        if (st.at) prev = st.at;
        return h('li', { class: (st.cls || '') + (st.future ? ' future' : '') },
          h('span', { class: 'mark' }),
          h('div', { class: 'what' }, st.what, delta !== null && delta >= 0 ? h('span', { class: 'delta' }, '+' + fmtDuration(delta)) : null),
          h('div', { class: 'when', title: st.at || '' }, st.at ? fmtDateTime(st.at) + ' · ' + ago(st.at) : ''));
      }));
      return [
        j.error ? h('div', { class: 'error-box', id: 'job-error' },
          h('div', { class: 'etype' }, j.error.type), h('div', { class: 'emsg' }, j.error.message)) : null,
        h('div', { class: 'detail-grid' },
          h('section', { class: 'card' }, h('div', { class: 'card-head' }, h('h2', null, 'Details')), props,
            progressBody ? [h('div', { class: 'card-head' }, h('h2', null, 'Progress')), progressBody] : null),
          h('section', { class: 'card' }, h('div', { class: 'card-head' }, h('h2', null, 'Timeline')), timeline)),
        h('div', { class: 'detail-grid' },
          card('Payload', null, null, jsonView(j.payload), { id: 'job-payload' }),
          card('Result', null, null, j.result === undefined || j.result === null ? h('div', { class: 'empty' }, j.state === 'completed' ? 'No result stored (it may have expired).' : 'No result yet.') : jsonView(j.result), { id: 'job-result' }))
      ];
    });
    function show(j) {
      job = j;
      showHead(j);
      showContent(j);
    }

    // Server-Sent Events over fetch (EventSource cannot send the Authorization header).
    function openStream() {
      if (stream || !window.ReadableStream || !window.TextDecoder || !live) return;
      var controller = new AbortController();
      stream = controller;
      fetch(BASE + '/v1/jobs/' + enc(id) + '/events', { headers: Object.assign(headers(), { 'Accept': 'text/event-stream' }), signal: controller.signal, cache: 'no-store' })
        .then(function (response) {
          if (!response.ok || !response.body) throw new Error('stream ' + response.status);
          var reader = response.body.getReader(), decoder = new TextDecoder(), buffer = '';
          function pump() {
            return reader.read().then(function (chunk) {
              if (chunk.done) return;
              buffer += decoder.decode(chunk.value, { stream: true });
              var cut;
              while ((cut = buffer.indexOf('\n\n')) >= 0) {
                var block = buffer.slice(0, cut); buffer = buffer.slice(cut + 2);
                var event = 'message', data = '';
                block.split('\n').forEach(function (line) {
                  if (line.indexOf('event:') === 0) event = line.slice(6).trim();
                  else if (line.indexOf('data:') === 0) data += line.slice(5).trim();
                });
                handle(event, data);
              }
              return pump();
            });
          }
          return pump();
        })
        .catch(function () { /* fall back to polling */ })
        .then(function () { if (stream === controller) stream = null; });
    }
    function handle(event, data) {
      var value;
      try { value = JSON.parse(data); } catch (e) { return; }
      if (event === 'state') { show(value); lastOk = new Date(); setStatus(); }
      else if (event === 'progress' && job) {
        var copy = Object.assign({}, job, { progress: value.percent, progress_message: value.message || null });
        show(copy); lastOk = new Date(); setStatus();
      }
    }
    function closeStream() { if (stream) { stream.abort(); stream = null; } }

    return {
      name: 'job',
      refresh: function () {
        if (stream) return Promise.resolve();  // the stream is live; polling resumes when it ends
        return api('GET', BASE + '/v1/jobs/' + enc(id)).then(function (j) {
          show(j);
          var finished = j.state === 'completed' || j.state === 'dead' || j.state === 'cancelled';
          if (!finished) openStream();
        });
      },
      onError: function (error) {
        if (error.status === 404) {
          closeStream();
          fill(head, pageHead('Job not found', null, null, [h('a', { href: '#/jobs' }, 'Jobs'), ' / ', id]));
          fill(content, h('div', { class: 'card' }, h('div', { class: 'empty' }, 'No job "' + id + '". Finished jobs expire after their retention time.')));
        } else toast(error.message, 'error');
      },
      onLive: function (on) { if (!on) closeStream(); },
      destroy: closeStream
    };
  }

  // ---------- router ----------

  function render() {
    if (route && route.destroy) route.destroy();
    clearTimeout(timer);
    navigation++;
    var hash = location.hash.replace(/^#/, '') || '/';
    var q = hash.indexOf('?'), path = q < 0 ? hash : hash.slice(0, q), query = parseQuery(q < 0 ? '' : hash.slice(q + 1));
    var nav = 'overview';
    if (path.indexOf('/job/') === 0) { route = jobView(decodeURIComponent(path.slice(5))); nav = 'jobs'; }
    else if (path === '/jobs') { route = jobsView(query); nav = 'jobs'; }
    else if (path === '/workers') { route = workersView(); nav = 'workers'; }
    else route = overviewView();
    document.querySelectorAll('[data-nav]').forEach(function (a) { a.classList.toggle('current', a.getAttribute('data-nav') === nav); });
    document.title = (nav === 'overview' ? 'Overview' : nav === 'jobs' ? 'Jobs' : 'Workers') + ' · Offload';
    window.scrollTo(0, 0);
    tick();
  }

  window.addEventListener('hashchange', render);
  document.getElementById('sign-out').hidden = !token;
  setStatus();
  render();
})();

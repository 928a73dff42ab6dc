// Rebound's dashboard: plain JavaScript over the node's public HTTP API (docs/API.md); no build step.
'use strict';

const STATUSES = ['PENDING', 'RUNNING', 'WAITING', 'PARKED', 'SUCCEEDED', 'DEAD_LETTERED', 'CANCELLED'];
const REFRESH_MS = 2000;
const DLQ_PAGE = 50;
const $ = (sel) => document.querySelector(sel);

// ---- talking to the API -------------------------------------------------------------------

let token = localStorage.getItem('rebound.token') || '';

async function api(method, path, body) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (token) headers.Authorization = 'Bearer ' + token;
  // Writes need JSON and, on a node without tokens, this header: other sites' pages cannot send it.
  if (method !== 'GET') { headers['Content-Type'] = 'application/json'; headers['X-Rebound-Request'] = '1'; }
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 401 || res.status === 403) {
    $('#token-form').hidden = false;
    throw new Error(res.status === 401 ? 'a token is needed' : 'this token may not do that');
  }
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error((json && (json.detail || json.title)) || res.statusText);
  return json;
}

$('#token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  token = $('#token').value.trim();
  localStorage.setItem('rebound.token', token);
  $('#token-form').hidden = true;
  refresh();
});

// ---- small DOM helpers (text only: payloads and messages are other people's data) -----------

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c === null || c === undefined ? '' : String(c)));
  return e;
}

function num(n, testid) {
  return el('td', { class: 'num', 'data-testid': testid }, n === undefined ? '-' : String(n));
}

function ago(iso) {
  if (!iso) return '-';
  return duration((Date.now() - Date.parse(iso)) / 1000) + ' ago';
}

function duration(s) {
  if (s === null || s === undefined) return '-';
  s = Math.max(0, s);
  if (s < 1) return Math.round(s * 1000) + 'ms';
  if (s < 60) return s.toFixed(s < 10 ? 1 : 0) + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm' + String(Math.floor(s % 60)).padStart(2, '0') + 's';
  if (s < 86400) return Math.floor(s / 3600) + 'h' + String(Math.floor((s % 3600) / 60)).padStart(2, '0') + 'm';
  return Math.floor(s / 86400) + 'd' + Math.floor((s % 86400) / 3600) + 'h';
}

function setStatus(text, bad) {
  $('#status').textContent = text;
  $('#status').className = bad ? 'bad' : 'muted';
}

// ---- the overview -------------------------------------------------------------------------

let queueNames = [];

async function loadQueues() {
  const { queues } = await api('GET', '/v1/queues');
  queueNames = queues.map((q) => q.name);
  const stats = await Promise.all(queues.map((q) => api('GET', '/v1/queues/' + encodeURIComponent(q.name) + '/stats')));
  const body = $('#queues tbody');
  body.replaceChildren(...stats.map((s) => {
    const q = s.queue;
    const toggle = el('button', {
      'data-testid': 'toggle-' + q,
      onclick: () => act('POST', '/v1/queues/' + encodeURIComponent(q) + (s.paused ? '/resume' : '/pause')),
    }, s.paused ? 'Resume' : 'Pause');
    return el('tr', { 'data-queue': q },
      el('td', {}, q),
      ...STATUSES.map((st) => num(s.counts[st], 'count-' + q + '-' + st)),
      el('td', {}, s.oldestPendingAgeSeconds === null ? '-' : duration(s.oldestPendingAgeSeconds)),
      el('td', {}, el('span', { class: 'badge ' + (s.paused ? 'paused' : 'running'), 'data-testid': 'state-' + q },
        s.paused ? 'paused' : 'running')),
      el('td', {}, toggle));
  }));
  const select = $('#dlq-queue');
  if (select.options.length !== queueNames.length) {
    const current = select.value;
    select.replaceChildren(...queueNames.map((n) => el('option', { value: n }, n)));
    if (queueNames.includes(current)) select.value = current;
  }
}

async function loadMetrics() {
  const m = await api('GET', '/v1/metrics');
  drawChart(m.throughput);
  $('#rates').textContent = ' now ' + m.itemsPerSecond['1m'].toFixed(1) + ' items/s (1m), '
    + m.itemsPerSecond['5m'].toFixed(1) + ' (5m); ' + m.averageProcessingMillis.toFixed(1) + ' ms per attempt';
  const kinds = Object.entries(m.errorsByKind);
  $('#errors tbody').replaceChildren(...kinds.map(([k, n]) => el('tr', {}, el('td', {}, k), num(n, 'errors-' + k))));
}

function drawChart(tp) {
  const canvas = $('#chart');
  const ctx = canvas.getContext('2d');
  const w = canvas.width, h = canvas.height, pad = 30;
  ctx.clearRect(0, 0, w, h);
  if (!tp || !tp.completed.length) return;
  const per = (xs) => xs.map((x) => x / tp.bucketSeconds);
  const ok = per(tp.completed), bad = per(tp.failed);
  const max = Math.max(1, ...ok, ...bad);
  const x = (i) => pad + (i * (w - pad - 8)) / (ok.length - 1);
  const y = (v) => h - pad + 8 - (v * (h - pad - 8)) / max;
  ctx.strokeStyle = '#d8dde3';
  ctx.fillStyle = '#66707a';
  ctx.font = '11px system-ui, sans-serif';
  for (const frac of [0, 0.5, 1]) {
    const v = max * frac;
    ctx.beginPath(); ctx.moveTo(pad, y(v)); ctx.lineTo(w - 8, y(v)); ctx.stroke();
    ctx.fillText(v >= 10 ? v.toFixed(0) : v.toFixed(1), 2, y(v) + 4);
  }
  ctx.fillText('-15m', pad, h - 6);
  ctx.fillText('now', w - 30, h - 6);
  for (const [series, color] of [[ok, '#1f7a3f'], [bad, '#b3261e']]) {
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    series.forEach((v, i) => (i ? ctx.lineTo(x(i), y(v)) : ctx.moveTo(x(i), y(v))));
    ctx.stroke();
  }
}

async function loadAlerts() {
  const r = await api('GET', '/v1/alerts');
  const items = [
    ...r.alerts.map((a) => el('li', {}, el('span', { class: 'type' }, a.type), ' ' + (a.queue ? a.queue + ': ' : '') + a.message)),
    ...r.stuck.map((s) => el('li', {}, el('span', { class: 'type' }, 'stuck'), ' ',
      el('a', { href: '#/items/' + s.id }, s.id), ' (' + s.queue + ', ' + s.status + '): ' + s.reason)),
  ];
  $('#alerts').replaceChildren(...items);
  $('#alerts-section').hidden = items.length === 0;
}

async function loadDeadLetters() {
  const q = $('#dlq-queue').value;
  if (!q) return;
  const kind = $('#dlq-kind').value;
  const page = await api('GET', '/v1/queues/' + encodeURIComponent(q) + '/items?status=DEAD_LETTERED&limit=' + DLQ_PAGE
    + (kind ? '&errorKind=' + kind : ''));
  const checked = new Set([...document.querySelectorAll('#dlq tbody input:checked')].map((c) => c.value));
  $('#dlq tbody').replaceChildren(...page.items.map((it) => el('tr', { 'data-id': it.id },
    el('td', {}, el('input', { type: 'checkbox', value: it.id, 'aria-label': 'select ' + it.id, ...(checked.has(it.id) ? { checked: '' } : {}) })),
    el('td', {}, el('a', { href: '#/items/' + it.id }, it.key || it.id)),
    num(it.attempts),
    el('td', { class: 'msg' }, it.lastError ? it.lastError.kind + ': ' + (it.lastError.message || '') : '-'),
    el('td', {}, ago(it.updatedAt)),
    el('td', {}, el('button', { 'data-testid': 'redrive-' + it.id, onclick: () => act('POST', '/v1/items/' + it.id + '/redrive') }, 'Redrive')))));
  $('#dlq-more').hidden = !page.next;
  $('#dlq-more').textContent = 'Showing the oldest ' + DLQ_PAGE + '; redrive them or narrow the filter to see more.';
}

$('#dlq-all').addEventListener('change', (e) => {
  document.querySelectorAll('#dlq tbody input[type=checkbox]').forEach((c) => { c.checked = e.target.checked; });
});
$('#dlq-queue').addEventListener('change', () => loadDeadLetters().catch(showError));
$('#dlq-kind').addEventListener('change', () => loadDeadLetters().catch(showError));
$('#dlq-redrive-selected').addEventListener('click', async () => {
  const ids = [...document.querySelectorAll('#dlq tbody input:checked')].map((c) => c.value);
  for (const id of ids) await api('POST', '/v1/items/' + id + '/redrive').catch(() => {});
  refresh();
});
$('#dlq-redrive-all').addEventListener('click', async () => {
  const q = $('#dlq-queue').value, kind = $('#dlq-kind').value;
  if (!confirm('Redrive every dead letter of ' + q + (kind ? ' with error kind ' + kind : '') + '?')) return;
  const r = await api('POST', '/v1/queues/' + encodeURIComponent(q) + '/dead-letters/redrive', kind ? { errorKind: kind, max: 100000 } : { max: 100000 });
  setStatus('redriving ' + r.matched + ' dead letters at up to ' + r.ratePerSecond + '/s');
  refresh();
});

async function loadTools() {
  const { tools } = await api('GET', '/v1/tools');
  $('#tools tbody').replaceChildren(...tools.map((t) => el('tr', {},
    el('td', {}, t.name),
    el('td', {}, el('span', { class: 'badge ' + t.state }, t.state)),
    el('td', {}, ago(t.since)),
    num(t.parked, 'parked-' + t.name),
    el('td', {}, t.breakerOpen ? 'open' : 'closed'),
    el('td', { class: 'msg' }, t.lastError || '-'),
    el('td', {}, el('button', { onclick: () => act('POST', '/v1/tools/' + encodeURIComponent(t.name) + '/release') }, 'Release')))));
  if (!tools.length) $('#tools tbody').replaceChildren(el('tr', {}, el('td', { colspan: 7, class: 'muted' }, 'No tools configured.')));
}

async function act(method, path) {
  try {
    await api(method, path);
  } catch (e) {
    showError(e);
  }
  refresh();
}

function showError(e) {
  setStatus(e.message, true);
}

// ---- one item -----------------------------------------------------------------------------

async function loadItem(id) {
  const [item, history] = await Promise.all([api('GET', '/v1/items/' + id), api('GET', '/v1/items/' + id + '/history')]);
  $('#item-title').textContent = (item.key ? item.key + ' · ' : '') + item.queue;
  const facts = [['Id', item.id], ['Status', item.status], ['Attempts', item.attempts + ' of ' + item.maxAttempts],
    ['Priority', item.priority], ['Next attempt', item.nextAttemptAt || '-'], ['Created', item.createdAt],
    ['Updated', item.updatedAt], ['Payload', item.payload === undefined ? '(hidden: needs the producer role)' : JSON.stringify(item.payload)]];
  $('#item-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', { 'data-testid': 'item-' + k.toLowerCase() }, v)]));
  const actions = [];
  if (item.status === 'DEAD_LETTERED') actions.push(el('button', { onclick: () => act('POST', '/v1/items/' + id + '/redrive') }, 'Redrive'));
  if (['PENDING', 'WAITING', 'PARKED', 'RUNNING'].includes(item.status)) {
    actions.push(el('button', { onclick: () => act('POST', '/v1/items/' + id + '/cancel') }, 'Cancel'));
  }
  $('#item-actions').replaceChildren(...actions);
  $('#timeline').replaceChildren(...timeline(history.events));
}

const LABELS = { enqueued: 'Enqueued', 'dead-lettered': 'Dead-lettered', redriven: 'Redriven', unparked: 'Released from parking',
  cancelled: 'Cancelled' };

/** One entry per attempt (start to outcome, with its duration), plus parkings, redrives and the end. */
function timeline(events) {
  const out = [];
  let started = null;
  for (const e of events) {
    if (e.type === 'attempt-started') { started = e; continue; }
    const took = started ? ' after ' + duration((Date.parse(e.at) - Date.parse(started.at)) / 1000) : '';
    if (e.type === 'attempt-failed') {
      out.push(el('li', { class: 'failed' }, 'Attempt ' + e.attempt + ' failed' + took + ' — ' + e.kind + ': ' + (e.message || ''),
        e.nextAttemptAt ? el('div', { class: 'muted' }, 'next attempt ' + e.nextAttemptAt) : '',
        e.stackTrace ? el('details', {}, el('summary', {}, 'stack trace'), el('pre', {}, e.stackTrace)) : ''));
    } else if (e.type === 'succeeded') {
      out.push(el('li', { class: 'succeeded' }, 'Attempt ' + e.attempt + ' succeeded' + took));
    } else if (e.type === 'parked') {
      out.push(el('li', { class: 'parked' }, 'Parked' + took + ': ' + (e.message || '')));
    } else {
      out.push(el('li', {}, (LABELS[e.type] || e.type) + ' at ' + e.at + (e.reason ? ': ' + e.reason : '')));
    }
    started = null;
  }
  if (started) out.push(el('li', {}, 'Attempt ' + started.attempt + ' running since ' + started.at));
  return out;
}

// ---- refresh loop and routing -------------------------------------------------------------

function route() {
  const m = location.hash.match(/^#\/items\/([0-9a-fA-F-]+)$/);
  $('#overview').hidden = !!m;
  $('#item').hidden = !m;
  return m ? m[1] : null;
}

let refreshing = false;
async function refresh() {
  if (refreshing) return;
  refreshing = true;
  try {
    const id = route();
    if (id) {
      await loadItem(id);
    } else {
      await loadQueues();
      fillReplayQueues();
      await Promise.all([loadMetrics(), loadAlerts(), loadDeadLetters(), loadTools(), loadRebuild().catch(() => {})]);
    }
    setStatus('updated ' + new Date().toLocaleTimeString());
  } catch (e) {
    showError(e);
  } finally {
    refreshing = false;
  }
}

// ---- index rebuild progress (rebound index rebuild; docs/OPERATIONS.md) ----------------------

async function loadRebuild() {
  const s = await api('GET', '/v1/index/rebuild');
  let text = '';
  if (s.state === 'RUNNING') text = 'Index rebuild on ' + s.node + ': ' + s.items + ' of about ' + s.estimate + ' items folded.';
  else if (s.state === 'SWAPPING') text = 'Index rebuild: swapping the rebuilt index in.';
  else if (s.state === 'DONE') text = 'Index last rebuilt ' + ago(s.finishedAt) + ' (' + s.items + ' items).';
  else if (s.state === 'FAILED') text = 'The index rebuild of ' + ago(s.startedAt) + ' failed: ' + s.error;
  $('#rebuild').textContent = text;
}

// ---- what-if replay (run on demand, not refreshed: it reads the journal) ----------------------

function fillReplayQueues() {
  const select = $('#replay-queue');
  if (select.options.length === queueNames.length) return;
  select.replaceChildren(...queueNames.map((n) => el('option', {}, n)));
}

$('#replay-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('#replay-error').hidden = true;
  let retry;
  try {
    retry = JSON.parse($('#replay-retry').value);
  } catch (err) {
    $('#replay-error').textContent = 'Retry is not valid JSON';
    $('#replay-error').hidden = false;
    return;
  }
  try {
    const q = $('#replay-queue').value;
    const r = await api('POST', '/v1/queues/' + encodeURIComponent(q) + '/replay', { since: $('#replay-since').value.trim(), retry });
    const secs = (iso) => (iso ? parseIsoSeconds(iso) : null);
    const rows = [
      ['items', r.items, r.items],
      ['succeeded', r.recorded.SUCCEEDED, r.replayed.SUCCEEDED],
      ['dead-lettered', r.recorded.DEAD_LETTERED, r.replayed.DEAD_LETTERED],
      ['cancelled', r.recorded.CANCELLED, r.replayed.CANCELLED],
      ['open / unknown', r.recorded.OPEN, r.replayed.UNKNOWN],
      ['attempts', r.attempts.recorded, r.attempts.replayed],
      ['time to success p50', duration(secs(r.timeToSuccess.recorded.p50)), duration(secs(r.timeToSuccess.replayed.p50))],
      ['time to success p99', duration(secs(r.timeToSuccess.recorded.p99)), duration(secs(r.timeToSuccess.replayed.p99))],
    ];
    $('#replay tbody').replaceChildren(...rows.map(([name, rec, rep]) => el('tr', { 'data-testid': 'replay-' + name.replace(/[^a-z]+/g, '-') },
      el('th', {}, name), num(rec), num(rep))));
    $('#replay').hidden = false;
    $('#replay-changed').replaceChildren(
      el('li', {}, r.changed.total + ' items would end otherwise' + (r.changed.total > r.changed.items.length ? ' (first ' + r.changed.items.length + ' listed)' : '')),
      ...r.changed.items.map((c) => el('li', {}, el('a', { href: '#/items/' + c.id }, c.id), ' ' + c.recorded + ' → ' + c.replayed)));
  } catch (err) {
    $('#replay-error').textContent = err.message;
    $('#replay-error').hidden = false;
  }
});

/** PT1M14.5S → 74.5 */
function parseIsoSeconds(iso) {
  const m = iso.match(/^PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?$/);
  if (!m) return null;
  return (+(m[1] || 0)) * 3600 + (+(m[2] || 0)) * 60 + (+(m[3] || 0));
}

window.addEventListener('hashchange', refresh);
refresh();
setInterval(refresh, REFRESH_MS);

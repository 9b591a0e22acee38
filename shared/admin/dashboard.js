// The dashboard's script (vanilla, no build step but minification; see
// dashboard.html). Rules it keeps: the admin key lives in sessionStorage only
// (gone with the tab; never localStorage, never a URL); every value from the
// API reaches the page as text (textContent / text nodes, never innerHTML), so
// a room name cannot inject markup; it runs under a CSP that allows this one
// script and style (hashes computed by scripts/admin-page.ts).
(() => {
  'use strict';
  const KEY_STORE = 'roomservice.adminKey';
  const REFRESH_MS = 2000;
  const EVENTS_SHOWN = 200; // events kept on the page, newest first
  const EVENTS_PAGE = 100;
  const EVENTS_PAGES_PER_REFRESH = 10; // a burst of events is caught up over a few refreshes, never in one flood
  // The API sits beside the page: /admin/ -> /admin/rooms (also behind a gateway stage prefix).
  const BASE = location.pathname.replace(/\/?$/, '/');

  const $ = (id) => document.getElementById(id);
  const state = {
    key: sessionStorage.getItem(KEY_STORE) || '',
    type: '',
    cursors: [null], // cursor of each page visited; the last is the current page's
    next: null,
    types: new Set(),
    selected: null, // {roomType, roomID}
    events: [],
    eventsAfter: null,
    eventsStarted: false,
    eventsRoom: '',
    eventsGen: 0, // bumped when the filter changes, so a load in flight cannot mix two filters
    timer: 0,
    busy: false,
    again: false, // a refresh asked for while one runs: run once more right after it
    notice: '', // what the last action did, shown beside the refresh time
    range: '1h', // the charts' time range: 1h or 24h
    chartsAt: 0, // when the charts last loaded (ms)
    chartsDue: true, // load the charts on the next refresh whatever their age
  };
  // The charts read every minute of their range and the event log: with the page every 2 s,
  // at most every 10 s (or at once when asked: Refresh now, another range).
  const CHARTS_MS = 10000;
  const DAY_MS = 86400000;

  class AuthError extends Error {}

  /** One API call; resolves with the envelope when code is 0, throws otherwise. */
  async function api(method, path, query, body) {
    const url = new URL(path, location.origin + BASE);
    for (const [k, v] of Object.entries(query || {})) if (v !== null && v !== undefined && v !== '') url.searchParams.set(k, String(v));
    let response;
    try {
      response = await fetch(url, {
        method,
        cache: 'no-store',
        headers: { Authorization: 'Bearer ' + state.key, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (error) {
      throw new Error('cannot reach the service (' + error.message + ')');
    }
    let answer;
    try {
      answer = await response.json();
    } catch {
      throw new Error('HTTP ' + response.status + ' with a body that is not JSON');
    }
    if (response.status === 401) throw new AuthError(answer.message || 'admin API key missing or wrong');
    if (answer.code !== 0) {
      const error = new Error(method + ' ' + path + ': ' + answer.message + ' (code ' + answer.code + ')');
      error.code = answer.code;
      throw error;
    }
    return answer;
  }

  /** Builds an element: attributes, then children (strings become text nodes, never markup). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'onclick') node.addEventListener('click', v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const child of children) if (child !== undefined && child !== null) node.append(child);
    return node;
  }
  const text = (v) => (v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const td = (v, cls) => el('td', { class: cls }, text(v));
  const utc = (ms) => (typeof ms === 'number' && isFinite(ms) ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : text(ms));
  const age = (ms) => (typeof ms !== 'number' ? '' : ms < 10000 ? (ms / 1000).toFixed(1) + ' s ago' : Math.round(ms / 1000) + ' s ago');
  // A room id `.` or `..` would be a dot segment to the URL parser (the room
  // list or a 404 instead of the room): `~` before it, which the API drops (handler.ts decodeSegment).
  const segment = (id) => (/^\.{1,2}$/.test(id) ? '~' + id : encodeURIComponent(id));
  const roomPath = (r) => segment(r.roomType) + '/' + segment(r.roomID);
  const same = (a, b) => a && b && a.roomType === b.roomType && a.roomID === b.roomID;

  /** Fills a tbody with rows, or shows its "none" note. */
  function fill(tbodyId, emptyId, rows) {
    $(tbodyId).replaceChildren(...rows);
    $(emptyId).hidden = rows.length > 0;
  }

  function showError(message) {
    $('error').textContent = message || '';
    $('error').hidden = !message;
  }

  /** A modal yes/no (a <dialog>, so keyboard and screen readers work); resolves true on the action button. */
  function confirmAction(question, action) {
    const dialog = $('confirm');
    $('confirm-text').textContent = question;
    $('confirm-ok').textContent = action;
    return new Promise((resolve) => {
      const done = (yes) => {
        $('confirm-ok').onclick = $('confirm-cancel').onclick = dialog.oncancel = null;
        dialog.close();
        resolve(yes);
      };
      $('confirm-ok').onclick = () => done(true);
      $('confirm-cancel').onclick = () => done(false);
      dialog.oncancel = (e) => { e.preventDefault(); done(false); };
      dialog.showModal();
      $('confirm-cancel').focus();
    });
  }

  // --- key -----------------------------------------------------------------

  function askForKey(message) {
    state.key = '';
    sessionStorage.removeItem(KEY_STORE);
    clearTimeout(state.timer);
    $('app').hidden = true;
    $('controls').hidden = true;
    $('login').hidden = false;
    $('key-error').textContent = message || '';
    $('status').textContent = '';
    showError('');
    $('key').value = '';
    $('key').focus();
  }

  $('key-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const key = $('key').value.trim();
    if (!key) return;
    state.key = key;
    sessionStorage.setItem(KEY_STORE, key);
    $('key').value = '';
    $('key-error').textContent = '';
    $('login').hidden = true;
    $('app').hidden = false;
    $('controls').hidden = false;
    refresh();
  });
  $('forget').addEventListener('click', () => askForKey('Key forgotten.'));

  // --- loading -------------------------------------------------------------

  async function loadRooms() {
    const answer = await api('GET', 'rooms', { type: state.type, cursor: state.cursors[state.cursors.length - 1], limit: 50 });
    state.next = answer.next || null;
    for (const r of answer.rooms) state.types.add(r.roomType);
    return answer.rooms;
  }

  async function loadRoom() {
    if (!state.selected) return null;
    try {
      return (await api('GET', 'rooms/' + roomPath(state.selected))).room;
    } catch (error) {
      if (error.code !== 3) throw error;
      const gone = state.selected;
      state.selected = null;
      state.notice = 'Room ' + gone.roomType + '/' + gone.roomID + ' has ended.';
      return null;
    }
  }

  /**
   * Events, newest first: the newest page at the start (or after the room filter changed), then what
   * was appended since, following the log forward from the newest id seen (`after`).
   */
  async function loadEvents() {
    const gen = state.eventsGen;
    if (!state.eventsStarted) {
      const answer = await api('GET', 'events', { last: 'true', room: state.eventsRoom, limit: EVENTS_PAGE });
      if (gen !== state.eventsGen) return;
      state.events = (answer.events || []).slice().reverse();
      state.eventsAfter = answer.next || null;
      state.eventsStarted = true;
      return;
    }
    for (let page = 0; page < EVENTS_PAGES_PER_REFRESH; page++) {
      const answer = await api('GET', 'events', { after: state.eventsAfter, room: state.eventsRoom, limit: EVENTS_PAGE });
      if (gen !== state.eventsGen) return;
      const events = answer.events || [];
      if (answer.next) state.eventsAfter = answer.next;
      state.events = events.slice().reverse().concat(state.events).slice(0, EVENTS_SHOWN);
      if (events.length < EVENTS_PAGE) break;
    }
  }

  /** The charts' data: per-minute series of the range and usage per day of the last 7 days; null when not due. */
  async function loadCharts() {
    if (!state.chartsDue && Date.now() - state.chartsAt < CHARTS_MS) return null;
    const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    const [series, usage] = await Promise.all([
      api('GET', 'metrics/series', { range: state.range }),
      api('GET', 'usage', { from: today - 6 * DAY_MS, bucket: 'day' }),
    ]);
    state.chartsAt = Date.now();
    state.chartsDue = false;
    return { series, usage };
  }

  const loadDeadLetters = async () => (await api('GET', 'dead-letters')).deadLetters || [];
  const loadReceivers = async () => api('GET', 'webhooks');

  // --- rendering -----------------------------------------------------------

  const COLORS = ['#0b5cad', '#b42318', '#2e7d32', '#8e44ad'];

  /**
   * Draws (or updates) one chart: x in seconds, one line (or bar) series per label. The uPlot
   * instance hangs on its element as `uplot`, so what is drawn can be read back (the browser test
   * compares it with the metrics API). uPlot's legend shows the values under the cursor.
   */
  function chart(id, x, series, options) {
    const box = $(id);
    const data = [x, ...series.map((s) => s.values)];
    const bars = options && options.bars;
    if (box.uplot && box.uplot.series.length === data.length) {
      box.uplot.setData(data);
      return;
    }
    if (box.uplot) box.uplot.destroy();
    box.uplot = new uPlot(
      {
        width: Math.max(320, box.clientWidth || 540),
        height: 180,
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.label,
            stroke: COLORS[i % COLORS.length],
            width: bars ? 1 : 1.5,
            fill: bars ? COLORS[i % COLORS.length] + '99' : undefined,
            paths: bars ? uPlot.paths.bars({ size: [0.8 / series.length], align: 1, gap: 0 }) : undefined,
            // A minute between two without requests has no latency: a gap, not a zero. So a lone
            // minute still shows, points are drawn while the range has room for them (the hour).
            spanGaps: false,
            points: { show: !bars && x.length <= 120, size: 5 },
          })),
        ],
        scales: {
          // Bars get half a step of room at both ends, so the first and last are drawn whole.
          x: bars ? { time: true, range: (u, min, max) => [min - (options.step || 0) / 2, max + (options.step || 0) / 2] } : { time: true },
          y: { range: (u, min, max) => [0, Math.max(1, max)] },
        },
        axes: [{ stroke: '#5b6570', grid: { stroke: '#d5dbe133' } }, { stroke: '#5b6570', grid: { stroke: '#d5dbe166' } }],
        legend: { live: true },
      },
      data,
      box,
    );
  }

  function renderCharts(data) {
    if (!data) return;
    const s = data.series;
    const x = s.minutes.map((ms) => ms / 1000);
    chart('chart-requests', x, [{ label: 'requests', values: s.requests }, { label: 'errors', values: s.errors }]);
    chart('chart-latency', x, [{ label: 'p50', values: s.p50 }, { label: 'p99', values: s.p99 }]);
    chart('chart-rooms', x, [{ label: 'rooms', values: s.rooms }, { label: 'pushers', values: s.pushers }]);
    chart('chart-lag', x, [{ label: 'lag', values: s.webhookLag }]);
    // Usage: one bar group per day, all room types added up.
    const days = [...new Set(data.usage.rows.map((r) => r.start))].sort();
    const sum = (day, field) => data.usage.rows.filter((r) => r.start === day).reduce((total, r) => total + r[field], 0);
    chart(
      'chart-usage',
      days.map((d) => Date.parse(d) / 1000),
      [
        { label: 'room-minutes', values: days.map((d) => sum(d, 'roomMinutes')) },
        { label: 'pusher-minutes', values: days.map((d) => sum(d, 'pusherMinutes')) },
        { label: 'audience-minutes', values: days.map((d) => sum(d, 'audienceMinutes')) },
      ],
      { bars: true, step: DAY_MS / 1000 },
    );
  }

  function renderRooms(rooms) {
    const select = $('type-filter');
    const known = new Set([...select.options].map((o) => o.value));
    for (const type of [...state.types].sort()) if (!known.has(type)) select.append(el('option', { value: type }, type));
    fill('rooms', 'rooms-empty', rooms.map((r) => el('tr', { class: same(r, state.selected) ? 'selected' : undefined, 'aria-current': same(r, state.selected) ? 'true' : undefined, 'data-testid': 'room-row', 'data-room': r.roomType + '/' + r.roomID },
      td(r.roomType), td(r.roomID, 'mono'), td(r.roomInfo), td(r.creator), td(utc(r.createdAt)),
      td(r.pushers, 'num'), td(r.audience, 'num'), td(r.seq, 'num'),
      el('td', null,
        el('button', { type: 'button', 'aria-label': 'Details of room ' + r.roomID, 'data-testid': 'room-open', onclick: () => select_(r) }, 'Details'), ' ',
        el('button', { type: 'button', class: 'danger', 'aria-label': 'Dismiss room ' + r.roomID, 'data-testid': 'room-row-dismiss', onclick: () => dismiss(r) }, 'Dismiss')))));
    $('prev').disabled = state.cursors.length < 2;
    $('next').disabled = !state.next;
    $('page').textContent = 'page ' + state.cursors.length;
  }

  function renderRoom(room) {
    $('room').hidden = !room;
    if (!room) return;
    $('room-title').textContent = 'Room ' + room.roomType + '/' + room.roomID;
    const facts = [
      ['Info', room.roomInfo], ['Creator', room.creator], ['Created (UTC)', utc(room.createdAt)], ['Sequence', room.seq],
      ['Audience', room.audienceCount], ['IM group', room.imGroup ? text(room.imGroup.groupID) + ' (' + text(room.imGroup.state) + ')' : ''],
    ];
    $('room-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', null, k), el('dd', { 'data-testid': 'fact-' + k.split(' ')[0].toLowerCase() }, text(v))]));
    fill('pushers', 'pushers-empty', (room.pushers || []).map((p) => el('tr', { 'data-testid': 'pusher-row', 'data-user': p.userID },
      td(p.userID, 'mono'), td(p.userName), td(age(p.heartbeatAgeMs), 'num'),
      el('td', null, el('button', { type: 'button', class: 'danger', 'aria-label': 'Kick ' + p.userID, 'data-testid': 'kick', onclick: () => kick(room, p) }, 'Kick')))));
    fill('custom', 'custom-empty', Object.entries(room.custom || {}).map(([k, v]) => el('tr', null, td(k, 'mono'), td(v))));
  }

  function renderEvents() {
    fill('events', 'events-empty', state.events.map((e) => el('tr', { 'data-testid': 'event-row', 'data-type': e.type, 'data-reason': e.reason },
      td(utc(e.time)), td(e.type), td(e.roomType + '/' + e.roomID, 'mono'), td(e.seq, 'num'), td(e.userID), td(e.reason), td(e.id, 'mono'))));
  }

  function renderReceivers(status) {
    fill('hooks', 'hooks-empty', (status.receivers || []).map((r) => el('tr', { 'data-testid': 'receiver-row' },
      td(r.url, 'mono'), td(r.pending, 'num'), td(r.attempts, 'num'), td(r.lastError), td(r.retryAt ? utc(r.retryAt) : ''))));
    // Events the log's hard bound forced out before every receiver had them (each also an events_lost event).
    const lost = status.eventsLost || { count: 0, last: null };
    $('hooks-lost').hidden = !lost.count;
    $('hooks-lost').textContent = lost.count && lost.last
      ? 'Events lost to the log\'s memory bound (EVENT_LOG_HARD_MAX_LEN): ' + text(lost.count) + ' in all; the last loss ' + utc(lost.last.time) +
        ': ' + text(lost.last.count) + ' events, ' + text(lost.last.firstId) + ' to ' + text(lost.last.lastId) + '.'
      : '';
  }

  function renderDeadLetters(list) {
    $('redrive-all').disabled = list.length === 0;
    fill('dead', 'dead-empty', list.map((d) => el('tr', { 'data-testid': 'dead-row' },
      td(d.id, 'mono'), td(d.url, 'mono'), td(Array.isArray(d.events) ? d.events.length : d.events, 'num'), td(d.attempts, 'num'),
      td(d.lastError), td(utc(d.parkedAt)),
      el('td', null, el('button', { type: 'button', 'aria-label': 'Re-drive ' + d.id, 'data-testid': 'redrive', onclick: () => redrive(d.id) }, 'Re-drive')))));
  }

  /** One refresh of everything shown; the next is scheduled when it ends (never two at once). */
  async function refresh() {
    clearTimeout(state.timer);
    if (!state.key) return;
    if (state.busy) {
      state.again = true;
      return;
    }
    state.busy = true;
    state.again = false;
    // Each panel loads on its own: one that fails keeps its last content and says why; the others still update.
    const [rooms, room, events, hooks, dead, charts] = await Promise.allSettled([loadRooms(), loadRoom(), loadEvents(), loadReceivers(), loadDeadLetters(), loadCharts()]);
    const failed = [rooms, room, events, hooks, dead, charts].filter((r) => r.status === 'rejected').map((r) => r.reason);
    const refused = failed.find((error) => error instanceof AuthError);
    if (refused) {
      state.busy = false;
      askForKey('The service refused the key: ' + refused.message + '. Enter it again.');
      return;
    }
    try {
      if (rooms.status === 'fulfilled') renderRooms(rooms.value);
      if (room.status === 'fulfilled') renderRoom(room.value);
      if (events.status === 'fulfilled') renderEvents();
      if (hooks.status === 'fulfilled') renderReceivers(hooks.value);
      if (dead.status === 'fulfilled') renderDeadLetters(dead.value);
      if (charts.status === 'fulfilled') renderCharts(charts.value);
    } catch (error) {
      failed.push(new Error('cannot show an answer: ' + error.message)); // and keep refreshing
    }
    showError(failed.map((error) => error.message).join(' \u00b7 '));
    $('status').textContent = 'Updated ' + new Date().toLocaleTimeString() + (state.notice ? ' \u00b7 ' + state.notice : '');
    state.busy = false;
    if (state.again) refresh();
    else schedule();
  }

  function schedule() {
    clearTimeout(state.timer);
    // Hidden tabs do not poll; coming back refreshes at once (visibilitychange below).
    if (state.key && $('auto').checked && !document.hidden) state.timer = setTimeout(refresh, REFRESH_MS);
  }
  document.addEventListener('visibilitychange', () => (document.hidden ? clearTimeout(state.timer) : refresh()));
  $('auto').addEventListener('change', schedule);
  $('refresh').addEventListener('click', () => {
    state.chartsDue = true;
    refresh();
  });
  for (const input of document.querySelectorAll('input[name=range]')) {
    input.addEventListener('change', () => {
      state.range = input.value;
      state.chartsDue = true;
      refresh();
    });
  }

  // --- actions -------------------------------------------------------------

  /** Runs an admin action, reports it (`outcome` words the answer), refreshes; the refresh shows its effect and its event. */
  async function act(what, call, outcome) {
    try {
      const answer = await call();
      state.notice = what + ': ' + (outcome ? outcome(answer) : 'done.');
      showError('');
    } catch (error) {
      if (error instanceof AuthError) return askForKey('The service refused the key: ' + error.message + '. Enter it again.');
      showError(what + ' failed: ' + error.message);
    }
    refresh();
  }

  function select_(room) {
    state.selected = { roomType: room.roomType, roomID: room.roomID };
    refresh();
  }

  async function kick(room, pusher) {
    if (!(await confirmAction('Kick ' + pusher.userID + ' from ' + room.roomType + '/' + room.roomID + '? Their seat ends now (pusher_left, reason kicked).', 'Kick'))) return;
    act('Kick ' + pusher.userID, () => api('POST', 'rooms/' + roomPath(room) + '/kick', null, { userID: pusher.userID }));
  }

  async function dismiss(room) {
    if (!(await confirmAction('Dismiss ' + room.roomType + '/' + room.roomID + '? Every member leaves and its IM group is destroyed.', 'Dismiss room'))) return;
    act('Dismiss ' + room.roomID, () => api('POST', 'rooms/' + roomPath(room) + '/dismiss', null, {}));
  }

  const redrive = (id) =>
    act(id ? 'Re-drive ' + id : 'Re-drive all', () => api('POST', 'dead-letters/redrive', null, id ? { id } : {}), (a) => text(a.redriven) + ' delivered, ' + text(a.failed) + ' failed again.');

  $('redrive-all').addEventListener('click', async () => {
    if (await confirmAction('Send every dead letter again?', 'Re-drive all')) redrive(null);
  });
  $('room-dismiss').addEventListener('click', () => state.selected && dismiss(state.selected));
  $('room-close').addEventListener('click', () => { state.selected = null; refresh(); });
  $('room-events').addEventListener('click', () => {
    if (!state.selected) return;
    $('events-room').value = state.selected.roomType + '/' + state.selected.roomID;
    setEventsRoom($('events-room').value);
  });

  function setEventsRoom(room) {
    state.eventsRoom = room.trim();
    state.eventsGen++;
    state.events = [];
    state.eventsAfter = null;
    state.eventsStarted = false;
    refresh();
  }
  $('events-form').addEventListener('submit', (e) => { e.preventDefault(); setEventsRoom($('events-room').value); });
  $('events-all').addEventListener('click', () => { $('events-room').value = ''; setEventsRoom(''); });

  $('type-filter').addEventListener('change', () => { state.type = $('type-filter').value; state.cursors = [null]; refresh(); });
  $('next').addEventListener('click', () => { if (state.next) { state.cursors.push(state.next); refresh(); } });
  $('prev').addEventListener('click', () => { if (state.cursors.length > 1) { state.cursors.pop(); refresh(); } });

  // --- start ---------------------------------------------------------------

  if (state.key) {
    $('login').hidden = true;
    $('app').hidden = false;
    $('controls').hidden = false;
    refresh();
  } else {
    $('key').focus();
  }
})();

// Mini Meter Gateway dashboard: plain JavaScript, no build step, no library, no network
// beyond this gateway (it may have no internet). The gateway pushes one JSON per second on
// /api/stream; everything else (history, per-element register, latched alarms) is fetched
// once a minute and only for the meters on screen, so 50 meters cost a Pi no more than one.
'use strict';
(() => {
  const PLOT_SECONDS = 300;        // the rolling power plot: the last five minutes
  const GAP_SECONDS = 3;           // more than this between two readings: the line breaks
  const CARDS_MAX = 8;             // above this many meters: a summary table and one card
  const REFRESH_MS = 60000;        // history, register detail and gateway facts
  const STALE_MS = 5000;           // no event for this long: the stream is dead, reopen it
  const BACKOFF_MAX_MS = 30000;

  const meters = new Map();        // id -> meter state (series, DOM refs, history)
  let order = [];
  let cardsMode = true;
  let selected = null;
  let gatewayFacts = null;         // last /api/gateway and when it was read
  let source = null;               // the EventSource
  let lastEvent = 0;
  let backoff = 1000;
  let retryTimer = null;
  let rebuilding = false;
  let resync = false;              // set when the stream broke: the gateway may have restarted
  let colours = null;

  // ---- small helpers -------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c);
    return e;
  }

  const num = (v, digits) => (v === null || v === undefined || !Number.isFinite(v)) ? '—' : v.toFixed(digits);

  function setText(node, text) {
    if (node && node.textContent !== text) node.textContent = text;
  }

  async function getJson(path) {
    const r = await fetch(path, {headers: {Accept: 'application/json'}, cache: 'no-store'});
    if (!r.ok) {
      let reason = r.status + ' ' + r.statusText;
      try {
        const body = await r.json();
        if (body && body.reason) reason = body.reason;
      } catch (ignored) { /* not our error shape */ }
      const err = new Error(reason);
      err.status = r.status;
      throw err;
    }
    return r.json();
  }

  function duration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const d = Math.floor(s / 86400);
    const hms = [Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60, s % 60]
      .map(x => String(x).padStart(2, '0')).join(':');
    return d > 0 ? d + ' d ' + hms : hms;
  }

  const clock = new Intl.DateTimeFormat(undefined, {hour: '2-digit', minute: '2-digit', second: '2-digit'});
  // axis labels: short, so a day of hourly bars fits on a small card
  const hourMinute = new Intl.DateTimeFormat(undefined, {hour: '2-digit', minute: '2-digit', hourCycle: 'h23'});
  const hourOnly = new Intl.DateTimeFormat(undefined, {hour: '2-digit', hourCycle: 'h23'});
  const dayMonth = new Intl.DateTimeFormat(undefined, {day: 'numeric', month: 'short'});
  const zone = (() => {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || '';
    } catch (e) {
      return '';
    }
  })();

  function notice(text) {
    const n = document.getElementById('notice');
    n.hidden = !text;
    setText(n, text || '');
  }

  function field(scope, name) {
    return scope.querySelector('[data-field="' + name + '"]');
  }

  function readColours() {
    const css = getComputedStyle(document.documentElement);
    const c = name => css.getPropertyValue(name).trim();
    colours = {
      ink: c('--ink'), muted: c('--muted'), grid: c('--grid'), total: c('--total'),
      elements: [c('--e1'), c('--e2'), c('--e3')], delivered: c('--delivered'), received: c('--received'),
    };
  }

  // ---- the header --------------------------------------------------------------------

  const top = () => document.querySelector('header.top');

  function showGateway(g) {
    const h = top();
    setText(field(h, 'gateway_id'), g.id);
    document.title = g.id + ' · Mini Meter Gateway';
    setText(field(h, 'version'), g.version);
    const m = g.mqtt;
    setText(field(h, 'broker'), m ? m.broker + ' (MQTT ' + m.protocol + ')' : 'no MQTT publisher');
    setText(field(h, 'reconnects'), m ? String(m.reconnects) : '—');
    setText(field(h, 'outbox_dropped'), m ? String(m.outbox_dropped) : '—');
    showBroker(m ? m.connected : null, m ? m.outbox_depth : null);
    showUptime();
  }

  function showUptime() {
    if (gatewayFacts) {
      const s = gatewayFacts.body.uptime_s + (Date.now() - gatewayFacts.at) / 1000;
      setText(field(top(), 'uptime'), duration(s));
    }
  }

  function showBroker(connected, depth) {
    const h = top();
    const state = field(h, 'mqtt_connected');
    setText(state, connected === null ? '—' : connected ? 'connected' : 'disconnected');
    state.dataset.state = connected ? 'ok' : 'bad';
    setText(field(h, 'outbox_depth'), depth === null ? '—' : String(depth));
  }

  function showStream(state, text) {
    const s = field(top(), 'stream');
    setText(s, text);
    s.dataset.state = state;
    document.body.dataset.stream = state; // the values on screen are old while not 'ok'
  }

  // ---- building the page -------------------------------------------------------------

  async function start() {
    readColours();
    if (window.matchMedia) {
      window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
        readColours();
        redrawAll();
      });
    }
    window.addEventListener('resize', redrawAll);
    window.addEventListener('hashchange', () => {
      select(decodeURIComponent(location.hash.slice(1)));
      const m = meters.get(selected);
      if (m && m.card) m.card.root.scrollIntoView({block: 'nearest'});
    });
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) redrawAll();
    });
    await rebuild();
    connect();
    setInterval(watchdog, 1000);
    setInterval(refresh, REFRESH_MS);
  }

  /** Reads the gateway and its meters and lays the page out; again whenever the set changes. */
  async function rebuild() {
    if (rebuilding) return;
    rebuilding = true;
    try {
      const g = await getJson('api/gateway');
      gatewayFacts = {body: g, at: Date.now()};
      showGateway(g);
      const list = await getJson('api/meters');
      const old = new Map(meters);
      meters.clear();
      order = list.map(m => m.id);
      for (const m of list) {
        const prev = old.get(m.id);
        meters.set(m.id, {
          id: m.id, elements: m.elements, source: m.source, series: prev ? prev.series : [],
          last: prev ? prev.last : null, detail: m, card: null, row: null, history: {},
        });
      }
      cardsMode = order.length <= CARDS_MAX;
      layout();
      notice(order.length === 0 ? 'This gateway has no meters configured.' : '');
      if (cardsMode) {
        for (const m of meters.values()) showDetail(m);
        refreshHistory();
      }
    } catch (e) {
      notice('Cannot read the gateway: ' + e.message + '. Retrying with the next live data.');
      resync = true;
    } finally {
      rebuilding = false;
    }
  }

  function layout() {
    const summary = document.getElementById('summary');
    const body = summary.tBodies[0];
    const cards = document.getElementById('cards');
    body.replaceChildren();
    cards.replaceChildren();
    summary.hidden = cardsMode;
    selected = null;
    document.body.dataset.view = cardsMode ? 'cards' : 'list';
    if (cardsMode) {
      for (const id of order) {
        const m = meters.get(id);
        m.card = buildCard(m);
        cards.append(m.card.root);
      }
      return;
    }
    for (const id of order) {
      const m = meters.get(id);
      m.row = buildRow(m);
      body.append(m.row.root);
    }
    const wanted = decodeURIComponent(location.hash.slice(1));
    select(meters.has(wanted) ? wanted : order[0]);
  }

  /** List mode: one meter's card below the table. */
  function select(id) {
    if (cardsMode || !meters.has(id) || id === selected) return;
    const prev = meters.get(selected);
    if (prev) {
      prev.card = null;
      if (prev.row) prev.row.root.removeAttribute('aria-selected');
    }
    selected = id;
    const m = meters.get(id);
    m.row.root.setAttribute('aria-selected', 'true');
    m.card = buildCard(m);
    document.getElementById('cards').replaceChildren(m.card.root);
    if (m.last) updateCard(m, m.last);
    showDetail(m);
    drawPlot(m);
    loadHistory(m);
  }

  function buildRow(m) {
    const cells = {};
    const td = (name, cls) => (cells[name] = el('td', {'data-field': name, class: cls || ''}, '—'));
    const link = el('a', {href: '#' + encodeURIComponent(m.id), text: m.id});
    const root = el('tr', {'data-summary': m.id}, el('th', {scope: 'row'}, link),
      td('available'), td('power_w', 'num'), td('voltage_v', 'num'), td('delivered_kwh', 'num'), td('alarms'));
    root.addEventListener('click', () => {
      location.hash = encodeURIComponent(m.id);
    });
    return {root, cells};
  }

  function buildCard(m) {
    const f = {};
    const val = (name, unit, label) => {
      f[name] = el('span', {'data-field': name, class: 'v'}, '—');
      return el('div', {class: 'q'}, el('span', {class: 'label', text: label}), f[name],
        el('span', {class: 'unit', text: unit}));
    };
    const header = el('header', {},
      el('h2', {text: m.id}),
      f.available = el('span', {class: 'badge', 'data-field': 'available'}, '…'),
      f.source = el('span', {class: 'muted', 'data-field': 'source', text: m.source || ''}),
      f.source_problem = el('span', {class: 'problem', 'data-field': 'source_problem'}));
    f.alarms = el('ul', {class: 'alarms', 'data-field': 'alarms', 'aria-label': 'active alarms'});
    f.latched = el('span', {class: 'muted', 'data-field': 'latched'});
    const totals = el('div', {class: 'totals', 'data-element': 'total'},
      val('power_w', 'W', 'P'), val('reactive_var', 'var', 'Q'), val('apparent_va', 'VA', 'S'),
      val('pf', '', 'PF'), val('frequency_hz', 'Hz', 'f'));

    // one row per element: V, I, P, Q, PF
    const cols = [['voltage_v', 'V (V)'], ['current_a', 'I (A)'], ['power_w', 'P (W)'], ['reactive_var', 'Q (var)'],
      ['pf', 'PF']];
    const rows = [];
    const tbody = el('tbody');
    for (let e = 1; e <= m.elements; e++) {
      const cells = {};
      const tr = el('tr', {'data-element': String(e)}, el('th', {scope: 'row', text: 'L' + e}));
      for (const [name] of cols) {
        cells[name] = el('td', {class: 'num', 'data-field': name}, '—');
        tr.append(cells[name]);
      }
      rows.push({tr, cells});
      tbody.append(tr);
    }
    const table = el('table', {class: 'elements'},
      el('thead', {}, el('tr', {}, el('th', {scope: 'col', text: 'element'}),
        ...cols.map(([, label]) => el('th', {scope: 'col', class: 'num', text: label})))), tbody);

    const register = el('div', {class: 'register'},
      val('delivered_kwh', 'kWh', 'delivered'), val('received_kwh', 'kWh', 'received'));
    const pulses = el('div', {class: 'pulses', 'aria-label': 'pulse outputs'},
      val('pulse10', '', 'pulse10'), val('pulse100', '', 'pulse100'), val('pulse1000', '', 'pulse1000'),
      val('counter', '', 'counter'), val('counter_backlog', 'steps', 'counter owed'));

    // the durable register per element, as last saved (read once a minute)
    f.register_saved = el('span', {'data-field': 'register_saved'}, '');
    const regBody = el('tbody');
    const registerTable = el('details', {class: 'detail'},
      el('summary', {}, 'Register per element ', f.register_saved),
      el('table', {class: 'elements'}, el('thead', {}, el('tr', {},
        el('th', {scope: 'col', text: 'element'}), el('th', {scope: 'col', class: 'num', text: 'delivered (kWh)'}),
        el('th', {scope: 'col', class: 'num', text: 'received (kWh)'}))), regBody));
    registerTable.addEventListener('toggle', () => {
      if (registerTable.open) loadDetail(m);
    });

    const legend = el('span', {class: 'legend'}, el('i', {style: 'background:var(--total)'}), 'total');
    if (m.elements > 1) {
      for (let e = 1; e <= m.elements; e++) {
        legend.append(el('i', {style: 'background:var(--e' + e + ')'}), 'L' + e);
      }
    }
    const plot = el('canvas', {class: 'plot', 'data-plot': 'power', role: 'img',
      'aria-label': 'power over the last five minutes'});
    const hourly = el('canvas', {class: 'bars', 'data-chart': 'hourly', 'data-state': 'loading', role: 'img',
      'aria-label': 'energy today by hour'});
    const daily = el('canvas', {class: 'bars', 'data-chart': 'daily', 'data-state': 'loading', role: 'img',
      'aria-label': 'energy on each of the last 30 days'});
    f.today_kwh = el('span', {'data-field': 'today_kwh'}, '…');
    f.hourly_to = el('span', {class: 'muted', 'data-field': 'hourly_to'});
    f.days30_kwh = el('span', {'data-field': 'days30_kwh'}, '…');
    f.hourly_hover = el('output', {class: 'hover'});
    f.daily_hover = el('output', {class: 'hover'});

    const root = el('section', {class: 'meter', 'data-meter': m.id, 'data-available': 'unknown'},
      header,
      el('div', {class: 'alarmline'}, el('span', {class: 'label', text: 'alarms'}), f.alarms, f.latched),
      totals, table, register, pulses, registerTable,
      el('figure', {}, el('figcaption', {}, 'Power, last 5 minutes ', legend), plot),
      el('div', {class: 'history'},
        el('figure', {}, el('figcaption', {}, 'Today by hour', f.hourly_to, ': ', f.today_kwh, ' kWh ',
          f.hourly_hover), hourly),
        el('figure', {}, el('figcaption', {}, 'Last 30 days: ', f.days30_kwh, ' kWh ', f.daily_hover), daily)));

    const card = {root, f, rows, regBody, registerTable, plot, hourly, daily};
    hourly.addEventListener('mousemove', ev => hover(m, 'hourly', ev));
    daily.addEventListener('mousemove', ev => hover(m, 'daily', ev));
    hourly.addEventListener('mouseleave', () => setText(f.hourly_hover, ''));
    daily.addEventListener('mouseleave', () => setText(f.daily_hover, ''));
    return card;
  }

  // ---- the live stream -----------------------------------------------------------------

  function connect() {
    retryTimer = null;
    if (source) source.close();
    showStream('wait', 'connecting');
    lastEvent = Date.now();
    const es = new EventSource('api/stream');
    source = es;
    es.onmessage = ev => {
      if (es !== source) return;
      lastEvent = Date.now();
      backoff = 1000;
      let live;
      try {
        live = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      showStream('ok', 'live');
      if (resync) {
        resync = false;
        rebuild();
      }
      onLive(live);
    };
    es.onerror = () => {
      if (es !== source) return;
      resync = true;
      // the browser retries by itself unless the stream is closed for good (an HTTP error)
      if (es.readyState === EventSource.CLOSED) retryLater();
      else showStream('bad', 'reconnecting');
    };
  }

  function retryLater() {
    if (retryTimer) return;
    if (source) source.close();
    showStream('bad', 'reconnecting in ' + Math.round(backoff / 1000) + ' s');
    retryTimer = setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
  }

  function watchdog() {
    showUptime();
    // open but silent (a half-open connection, a stalled proxy): reopen it. While the browser
    // is reconnecting by itself (every ~3 s while the gateway is away) it is left to do so.
    if (!retryTimer && source && source.readyState === EventSource.OPEN && Date.now() - lastEvent > STALE_MS) {
      resync = true;
      retryLater();
    }
  }

  function onLive(live) {
    showBroker(live.mqtt_connected, live.outbox_depth);
    const ts = Date.parse(live.ts);
    setText(field(top(), 'last_update'), Number.isFinite(ts) ? clock.format(ts) : '');
    const ids = live.meters.map(m => m.id);
    if (!rebuilding && (ids.length !== order.length || ids.some(id => !meters.has(id)))) {
      rebuild();
      return;
    }
    const draw = !document.hidden;
    for (const lm of live.meters) {
      const m = meters.get(lm.id);
      if (!m) continue;
      m.last = lm;
      record(m, ts, lm);
      if (m.row) updateRow(m, lm);
      if (m.card) {
        updateCard(m, lm);
        if (draw) drawPlot(m);
      }
    }
  }

  /** Keeps the last five minutes of total and per-element power; a gap while unavailable. */
  function record(m, ts, lm) {
    const r = lm.available ? lm.reading : null;
    m.series.push({t: ts, p: r ? r.power_w : null, e: r ? r.elements.map(x => x.power_w) : null});
    const cut = ts - PLOT_SECONDS * 1000;
    let drop = 0;
    while (drop < m.series.length && m.series[drop].t < cut) drop++;
    if (drop > 0) m.series.splice(0, drop);
  }

  function availability(node, lm) {
    setText(node, lm.available ? 'available' : 'unavailable');
    node.dataset.state = lm.available ? 'ok' : 'bad';
  }

  function updateRow(m, lm) {
    const c = m.row.cells;
    const r = lm.reading;
    availability(c.available, lm);
    m.row.root.dataset.available = String(lm.available);
    setText(c.power_w, num(r && r.power_w, 1));
    setText(c.voltage_v, r ? r.elements.map(e => num(e.voltage_v, 1)).join('/') : '—');
    setText(c.delivered_kwh, num(lm.delivered_kwh, 3));
    setText(c.alarms, lm.alarms.join(', '));
    c.alarms.classList.toggle('alarm', lm.alarms.length > 0);
  }

  function updateCard(m, lm) {
    const {root, f, rows} = m.card;
    const r = lm.reading;
    root.dataset.available = String(lm.available);
    availability(f.available, lm);
    setText(f.source_problem, lm.available ? '' : lm.source_problem || '');
    setText(f.power_w, num(r && r.power_w, 1));
    setText(f.reactive_var, num(r && r.reactive_var, 1));
    setText(f.apparent_va, num(r && r.apparent_va, 1));
    setText(f.pf, num(r && r.pf, 3));
    setText(f.frequency_hz, num(r && r.frequency_hz, 2));
    const onElement = new Set(lm.alarms.map(a => a.split(':L')[1]).filter(Boolean));
    rows.forEach((row, i) => {
      const e = r && r.elements[i];
      setText(row.cells.voltage_v, num(e && e.voltage_v, 1));
      setText(row.cells.current_a, num(e && e.current_a, 2));
      setText(row.cells.power_w, num(e && e.power_w, 1));
      setText(row.cells.reactive_var, num(e && e.reactive_var, 1));
      setText(row.cells.pf, num(e && e.pf, 3));
      row.tr.classList.toggle('alarm', onElement.has(String(i + 1)));
    });
    setText(f.delivered_kwh, num(lm.delivered_kwh, 3));
    setText(f.received_kwh, num(lm.received_kwh, 3));
    const p = lm.pulse_seq || {};
    for (const k of ['pulse10', 'pulse100', 'pulse1000', 'counter']) setText(f[k], p[k] === undefined ? '—' : String(p[k]));
    setText(f.counter_backlog, String(lm.counter_backlog));
    showAlarms(f.alarms, lm.alarms);
  }

  function showAlarms(list, alarms) {
    const now = alarms.join(' ');
    if (list.dataset.keys === now) return;
    list.dataset.keys = now;
    list.replaceChildren(...(alarms.length === 0
      ? [el('li', {class: 'none', text: 'none active'})]
      : alarms.map(a => el('li', {class: 'alarm', 'data-alarm': a, text: a}))));
  }

  // ---- once a minute: gateway facts, register detail, history ----------------------------

  async function refresh() {
    try {
      const g = await getJson('api/gateway');
      gatewayFacts = {body: g, at: Date.now()};
      showGateway(g);
    } catch (e) {
      // the stream state already says the gateway is unreachable
    }
    for (const m of meters.values()) {
      if (m.card) loadDetail(m);
    }
    refreshHistory();
  }

  async function loadDetail(m) {
    try {
      m.detail = await getJson('api/meters/' + encodeURIComponent(m.id));
      if (m.card) showDetail(m);
    } catch (e) {
      // kept: the last detail read
    }
  }

  function showDetail(m) {
    const d = m.detail;
    if (!d || !m.card) return;
    const {f, regBody} = m.card;
    setText(f.source, d.source);
    const latched = d.alarms ? d.alarms.latched : [];
    setText(f.latched, latched.length ? 'latched: ' + latched.join(', ') : '');
    const reg = d.register;
    if (!reg) return;
    setText(f.register_saved, reg.saved_at
      ? '(saved ' + clock.format(Date.parse(reg.saved_at)) + ', generation ' + reg.generation + ')' : '(not saved yet)');
    regBody.replaceChildren(...reg.registers.map(x => el('tr', {'data-element': x.element},
      el('th', {scope: 'row', text: x.element === 'total' ? 'total' : 'L' + x.element}),
      el('td', {class: 'num', 'data-field': 'delivered_kwh', text: num(x.delivered_kwh, 6)}),
      el('td', {class: 'num', 'data-field': 'received_kwh', text: num(x.received_kwh, 6)}))));
  }

  function refreshHistory() {
    for (const m of meters.values()) {
      if (m.card) loadHistory(m);
    }
  }

  /** Today by hour in the browser's zone, and the last 30 days, delivered and received. */
  async function loadHistory(m) {
    const id = encodeURIComponent(m.id);
    const now = new Date();
    const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate());
    const nextMidnight = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
    const to = new Date(Math.floor(now.getTime() / 60000) * 60000);
    const hours = Math.round((nextMidnight - midnight) / 3600000); // 23 or 25 on a DST change
    const jobs = [];
    if (to > midnight) {
      jobs.push(getJson('api/meters/' + id + '/history?step=1h&from=' + midnight.toISOString() + '&to='
        + to.toISOString()).then(h => {
        m.history.hourly = {slots: hours, origin: midnight.getTime(), width: 3600000, intervals: h.intervals,
          to: to.getTime()};
      }, e => {
        m.history.hourly = {error: e.message};
      }));
    } else {
      m.history.hourly = {slots: hours, origin: midnight.getTime(), width: 3600000, intervals: []};
    }
    jobs.push(getJson('api/meters/' + id + '/history/daily' + (zone ? '?zone=' + encodeURIComponent(zone) : ''))
      .then(h => {
        m.history.daily = {slots: 30, intervals: h.intervals, daily: true};
      }, e => {
        m.history.daily = {error: e.message};
      }));
    await Promise.all(jobs);
    if (m.card) {
      drawHistory(m, 'hourly');
      drawHistory(m, 'daily');
    }
  }

  // ---- drawing -------------------------------------------------------------------------

  /** Sizes the canvas to its box in device pixels; returns a context in CSS pixels. */
  function surface(canvas) {
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    const g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    g.font = '11px system-ui, sans-serif';
    g.lineJoin = 'round';
    return {g, w, h};
  }

  function niceStep(range, ticks) {
    const raw = range / ticks;
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    const f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
  }

  /** A y axis from lo to hi with round ticks, 0 always inside; labels in `unit` or k`unit`. */
  function yAxis(g, box, lo, hi, unit) {
    lo = Math.min(0, lo);
    hi = Math.max(0, hi);
    if (hi - lo < 1e-9) hi = lo + 1;
    const step = niceStep(hi - lo, 4);
    lo = Math.floor(lo / step) * step;
    hi = Math.ceil(hi / step) * step;
    const kilo = Math.max(Math.abs(lo), Math.abs(hi)) >= 10000;
    const y = v => box.y + box.h - (v - lo) / (hi - lo) * box.h;
    g.strokeStyle = colours.grid;
    g.fillStyle = colours.muted;
    g.lineWidth = 1;
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    const digits = kilo ? Math.max(0, -Math.floor(Math.log10(step / 1000))) : Math.max(0, -Math.floor(Math.log10(step)));
    for (let v = lo; v <= hi + step / 2; v += step) {
      const py = Math.round(y(v)) + 0.5;
      g.beginPath();
      g.moveTo(box.x, py);
      g.lineTo(box.x + box.w, py);
      g.stroke();
      g.fillText((kilo ? (v / 1000).toFixed(digits) : v.toFixed(digits)), box.x - 4, py);
    }
    g.textAlign = 'left';
    g.textBaseline = 'top';
    g.fillText(kilo ? 'k' + unit : unit, 2, 0);
    return y;
  }

  function drawPlot(m) {
    if (!m.card || !colours) return;
    const {g, w, h} = surface(m.card.plot);
    const s = m.series;
    const box = {x: 46, y: 14, w: w - 54, h: h - 32};
    const end = s.length ? s[s.length - 1].t : Date.now();
    const begin = end - PLOT_SECONDS * 1000;
    let lo = 0;
    let hi = 0;
    for (const p of s) {
      if (p.p === null) continue;
      lo = Math.min(lo, p.p, ...p.e);
      hi = Math.max(hi, p.p, ...p.e);
    }
    const y = yAxis(g, box, lo, hi * 1.05, 'W');
    const x = t => box.x + (t - begin) / (PLOT_SECONDS * 1000) * box.w;
    // one tick a minute on the wall clock
    g.fillStyle = colours.muted;
    g.textAlign = 'center';
    g.textBaseline = 'top';
    for (let t = Math.ceil(begin / 60000) * 60000; t <= end; t += 60000) {
      g.fillText(hourMinute.format(t), x(t), box.y + box.h + 4);
    }
    const line = (value, colour, width) => {
      g.strokeStyle = colour;
      g.lineWidth = width;
      g.beginPath();
      let prev = null;
      for (const p of s) {
        const v = p.p === null ? null : value(p);
        if (v === null || v === undefined) {
          prev = null;
          continue;
        }
        if (prev && p.t - prev.t <= GAP_SECONDS * 1000) g.lineTo(x(p.t), y(v));
        else g.moveTo(x(p.t), y(v));
        prev = p;
      }
      g.stroke();
    };
    if (m.elements > 1) {
      for (let e = 0; e < m.elements; e++) line(p => p.e[e], colours.elements[e % colours.elements.length], 1.25);
    }
    line(p => p.p, colours.total, 2);
  }

  /** Bars: delivered up, received down; a bar with less than full coverage drawn pale. */
  function drawHistory(m, which) {
    const canvas = m.card[which];
    const hist = m.history[which];
    const total = m.card.f[which === 'hourly' ? 'today_kwh' : 'days30_kwh'];
    const {g, w, h} = surface(canvas);
    if (!hist) return;
    if (hist.error) {
      canvas.dataset.state = 'error';
      setText(total, '—');
      g.fillStyle = colours.muted;
      g.textBaseline = 'middle';
      g.fillText(hist.error, 8, h / 2);
      return;
    }
    const box = {x: 46, y: 14, w: w - 52, h: h - 32};
    const slots = hist.slots;
    const bars = new Array(slots).fill(null);
    let sum = 0;
    hist.intervals.forEach((iv, i) => {
      const idx = hist.daily ? i : Math.floor((Date.parse(iv.start) - hist.origin) / hist.width);
      if (idx >= 0 && idx < slots) bars[idx] = iv;
      sum += iv.delivered_wh[0];
    });
    setText(total, num(sum / 1000, 3));
    if (hist.to) setText(m.card.f.hourly_to, ' (to ' + hourMinute.format(hist.to) + ')');
    canvas.dataset.state = 'ok';
    canvas.dataset.bars = String(bars.filter(b => b && (b.delivered_wh[0] > 0 || b.received_wh[0] > 0)).length);
    let lo = 0;
    let hi = 0;
    for (const b of bars) {
      if (!b) continue;
      hi = Math.max(hi, b.delivered_wh[0]);
      lo = Math.min(lo, -b.received_wh[0]);
    }
    const y = yAxis(g, box, lo, hi, 'Wh');
    const bw = box.w / slots;
    bars.forEach((b, i) => {
      if (!b) return;
      g.globalAlpha = b.coverage >= 0.999 ? 1 : 0.45;
      g.fillStyle = colours.delivered;
      if (b.delivered_wh[0] > 0) g.fillRect(box.x + i * bw + 1, y(b.delivered_wh[0]), Math.max(1, bw - 2), y(0) - y(b.delivered_wh[0]));
      g.fillStyle = colours.received;
      if (b.received_wh[0] > 0) g.fillRect(box.x + i * bw + 1, y(0), Math.max(1, bw - 2), y(-b.received_wh[0]) - y(0));
    });
    g.globalAlpha = 1;
    g.fillStyle = colours.muted;
    g.textAlign = 'center';
    g.textBaseline = 'top';
    const every = hist.daily ? 5 : 3;
    for (let i = 0; i < slots; i += every) {
      const label = hist.daily
        ? (bars[i] ? dayMonth.format(Date.parse(bars[i].start)) : '')
        : hourOnly.format(hist.origin + i * hist.width);
      g.fillText(label, box.x + (i + 0.5) * bw, box.y + box.h + 4);
    }
    hist.box = box;
    hist.bars = bars;
  }

  /** Hovering a bar names its interval, energy and coverage. */
  function hover(m, which, ev) {
    const hist = m.history[which];
    const out = m.card.f[which + '_hover'];
    if (!hist || !hist.bars) return;
    const i = Math.floor((ev.offsetX - hist.box.x) / (hist.box.w / hist.slots));
    const b = hist.bars[i];
    if (!b) {
      setText(out, '');
      return;
    }
    const start = Date.parse(b.start);
    const when = hist.daily ? dayMonth.format(start) : hourMinute.format(start) + '–' + hourMinute.format(Date.parse(b.end));
    setText(out, when + ': ' + num(b.delivered_wh[0] / 1000, 3) + ' kWh delivered'
      + (b.received_wh[0] > 0 ? ', ' + num(b.received_wh[0] / 1000, 3) + ' kWh received' : '')
      + (b.coverage < 0.999 ? ' (' + Math.round(b.coverage * 100) + ' % covered)' : ''));
  }

  function redrawAll() {
    if (document.hidden) return;
    for (const m of meters.values()) {
      if (!m.card) continue;
      drawPlot(m);
      drawHistory(m, 'hourly');
      drawHistory(m, 'daily');
    }
  }

  start();
})();

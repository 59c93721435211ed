// Outcry live page: renders the State of /api/state, kept live by /api/stream (SSE).
// No libraries. Every piece of data is inserted as text (never as HTML), and every
// element holding text from the data has dir="auto" so Arabic reads right to left.
'use strict';
(() => {
  const SVGNS = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);

  function attrs(e, a) {
    for (const [k, v] of Object.entries(a || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') e.textContent = v;
      else if (k === 'style') for (const [p, x] of Object.entries(v)) e.style.setProperty(p, x);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
  }
  function kids(e, list) {
    for (const k of list.flat(Infinity)) {
      if (k === null || k === undefined || k === false) continue;
      e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    }
    return e;
  }
  const el = (tag, a, ...c) => { const e = document.createElement(tag); attrs(e, a); return kids(e, c); };
  const sv = (tag, a, ...c) => { const e = document.createElementNS(SVGNS, tag); attrs(e, a); return kids(e, c); };
  // Text from the data, isolated and direction-detected.
  const txt = (s, tag = 'bdi', a = {}) => el(tag, { dir: 'auto', ...a }, s);

  // ---- formatting (event time, UTC) ----
  const pad = (n) => String(n).padStart(2, '0');
  const hms = (t) => { const d = new Date(t); return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}Z`; };
  const hm = (t) => { const d = new Date(t); return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}Z`; };
  const day = (t) => new Date(t).toISOString().slice(0, 10);
  const fmtInt = new Intl.NumberFormat('en');
  function num(x) {
    if (x === null || x === undefined || !isFinite(x)) return '–';
    if (Math.abs(x) >= 100 || Number.isInteger(x)) return fmtInt.format(Math.round(x));
    if (Math.abs(x) >= 10) return x.toFixed(0);
    if (Math.abs(x) >= 1) return x.toFixed(1);
    return x.toFixed(2);
  }
  const pct = (x) => `${Math.round(x * 100)}%`;
  function dur(ms) {
    const m = Math.max(0, Math.round(ms / 60000));
    if (m < 60) return `${m} min`;
    return `${Math.floor(m / 60)} h ${pad(m % 60)} min`;
  }
  function displayName(kind, code) {
    try {
      const n = new Intl.DisplayNames(['en'], { type: kind }).of(kind === 'region' ? code.toUpperCase() : code);
      if (n && n !== code) return n;
    } catch (_) { /* not a code Intl knows */ }
    return code;
  }
  const problemName = (p) => p.charAt(0).toUpperCase() + p.slice(1).replace(/_/g, ' ');
  const reasonText = {
    '': 'no data yet', warmup: 'learning baseline', normal: 'normal', low_count: 'a few complaints',
    few_authors: 'few accounts', chatter: 'chatter, not outage', elevated: 'elevated', anomaly: 'anomaly',
  };
  const reasonRank = { anomaly: 5, elevated: 4, few_authors: 3, low_count: 3, chatter: 2, normal: 1, warmup: 0, '': -1 };

  // ---- charts ----
  function niceStep(max, ticks) {
    const raw = max / ticks;
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 2.5, 5, 10]) if (raw <= m * p) return m * p;
    return 10 * p;
  }
  // Series of a service, with the per-minute points limited to the last `span` minutes.
  // The minute in progress is shown as a rate: its counts so far scaled to a minute.
  function series(s) {
    const m = s.minutes || {};
    const n = (m.complaints || []).length;
    const start = m.start ? Date.parse(m.start) : 0;
    const scale = n && !m.complete[n - 1] && m.last_seconds > 0 ? 60 / m.last_seconds : 1;
    const rate = (arr, i) => (i === n - 1 ? arr[i] * scale : arr[i]);
    return { n, start, m, rate };
  }
  function lastComplete(s) {
    const { n, m } = series(s);
    for (let i = n - 1; i >= 0; i--) if (m.complete[i]) return i;
    return -1;
  }

  // chart draws complaints and mentions per minute against the baseline band.
  function chart(s, band, big, inc) {
    const { n, start, m, rate } = series(s);
    const W = big ? 760 : 160, H = big ? 230 : 34;
    const P = big ? { l: 46, r: 14, t: 16, b: 24 } : { l: 1, r: 1, t: 3, b: 2 };
    const li = lastComplete(s);
    const label = li >= 0
      ? `${s.display}: ${num(m.complaints[li])} complaints and ${num(m.posts[li])} mentions in the minute from ${hm(start + li * 60000)}; normal is about ${num(m.baseline[li])} complaints per minute.`
      : `${s.display}: no complete minute yet.`;
    const svg = sv('svg', { viewBox: `0 0 ${W} ${H}`, class: big ? 'chart' : 'spark', role: 'img', 'aria-label': label });
    if (!n) {
      if (big) svg.append(sv('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'axis', text: 'waiting for data' }));
      return svg;
    }
    let ymax = 1;
    for (let i = 0; i < n; i++) {
      ymax = Math.max(ymax, rate(m.complaints, i), big ? rate(m.posts, i) : 0, (m.baseline[i] || 0) * band);
    }
    const step = niceStep(ymax * 1.05, big ? 4 : 2);
    ymax = Math.ceil((ymax * 1.05) / step) * step;
    const iw = W - P.l - P.r, ih = H - P.t - P.b;
    const cols = Math.max(n, big ? 30 : 20); // short histories do not fill the width with a few fat points
    const dx = iw / cols;
    const x0 = P.l + (cols - n) * dx; // newest minute on the right
    const X = (i) => x0 + (i + 0.5) * dx;
    const Y = (v) => P.t + ih - (v / ymax) * ih;

    if (big) {
      for (let v = 0; v <= ymax + 1e-9; v += step) {
        svg.append(sv('line', { x1: P.l, x2: W - P.r, y1: Y(v), y2: Y(v), class: 'grid' }));
        svg.append(sv('text', { x: P.l - 6, y: Y(v) + 4, 'text-anchor': 'end', class: 'axis', text: num(v) }));
      }
      // time axis: a label every 15/30/60 min depending on the span
      const every = n > 120 ? 30 : n > 45 ? 15 : n > 15 ? 5 : 1;
      for (let i = 0; i < n; i++) {
        const t = start + i * 60000;
        if ((t / 60000) % every !== 0) continue;
        svg.append(sv('line', { x1: X(i), x2: X(i), y1: P.t + ih, y2: P.t + ih + 4, class: 'grid' }));
        svg.append(sv('text', { x: X(i), y: H - 6, 'text-anchor': 'middle', class: 'axis', text: hm(t).slice(0, 5) }));
      }
    }
    // baseline band (baseline … baseline × band), in runs where the baseline is known
    let runs = [], cur = [];
    for (let i = 0; i < n; i++) {
      if (m.baseline[i] === null) { if (cur.length) runs.push(cur); cur = []; } else cur.push(i);
    }
    if (cur.length) runs.push(cur);
    for (const r of runs) {
      const up = r.map((i) => `${X(i)},${Y(m.baseline[i] * band)}`);
      const down = r.slice().reverse().map((i) => `${X(i)},${Y(m.baseline[i])}`);
      if (r.length === 1) { // a single point: draw it as a short bar
        const i = r[0];
        up.unshift(`${X(i) - dx / 2},${Y(m.baseline[i] * band)}`); up.push(`${X(i) + dx / 2},${Y(m.baseline[i] * band)}`);
        down.unshift(`${X(i) + dx / 2},${Y(m.baseline[i])}`); down.push(`${X(i) - dx / 2},${Y(m.baseline[i])}`);
      }
      svg.append(sv('polygon', { points: up.concat(down).join(' '), class: 'band' }));
      if (big) svg.append(sv('polyline', { points: r.map((i) => `${X(i)},${Y(m.baseline[i])}`).join(' '), class: 'baseline' }));
    }
    const lc = lastComplete(s);
    const pts = (arr, from, to) => { const p = []; for (let i = from; i <= to; i++) p.push(`${X(i)},${Y(rate(arr, i))}`); return p; };
    if (big) {
      const p = pts(m.posts, 0, n - 1);
      svg.append(sv('polygon', { points: [`${X(0)},${Y(0)}`, ...p, `${X(n - 1)},${Y(0)}`].join(' '), class: 'mentions' }));
    }
    if (lc >= 0) svg.append(sv('polyline', { points: pts(m.complaints, 0, lc).join(' '), class: 'complaints' }));
    if (lc < n - 1) { // the minute in progress, dashed
      svg.append(sv('polyline', { points: pts(m.complaints, Math.max(0, lc), n - 1).join(' '), class: 'complaints partial' }));
    }
    if (big && inc) {
      const markers = [[inc.started_at, 'started']];
      if (inc.resolved_at) markers.push([inc.resolved_at, 'resolved']);
      for (const [t, what] of markers) {
        const i = (Date.parse(t) - start) / 60000;
        if (i < 0 || i > n) continue;
        const x = x0 + i * dx;
        svg.append(sv('line', { x1: x, x2: x, y1: P.t - 4, y2: P.t + ih, class: 'marker' }));
        const right = x > W - 140;
        svg.append(sv('text', { x: right ? x - 4 : x + 4, y: P.t + 6, 'text-anchor': right ? 'end' : 'start', class: 'marker-label', text: `${what} ${hm(t)}` }));
      }
    }
    if (big) { // hover: the figures of each minute
      for (let i = 0; i < n; i++) {
        const b = m.baseline[i];
        svg.append(sv('rect', { x: X(i) - dx / 2, y: P.t, width: dx, height: ih, class: 'hit' },
          sv('title', { text: `${hm(start + i * 60000)}${m.complete[i] ? '' : ` (first ${m.last_seconds} s, ≈${num(rate(m.complaints, i))}/min)`}: ${num(m.complaints[i])} complaints, ${num(m.posts[i])} mentions, ${num(m.recoveries[i])} “back up”; normal ${b === null ? '–' : num(b)}/min` })));
      }
    }
    return svg;
  }

  function legend(band) {
    return el('ul', { class: 'legend', 'aria-hidden': 'true' },
      el('li', { class: 'l-c', text: 'complaints / min' }),
      el('li', { class: 'l-m', text: 'all mentions / min' }),
      el('li', { class: 'l-b', text: `normal band (baseline … ×${band})` }));
  }

  // ---- incidents ----
  function bars(list, name) {
    if (!list || !list.length) return el('p', { class: 'hint', text: '—' });
    return el('ul', { class: 'bars' }, list.map((x) => el('li', {},
      el('span', { class: 'bar', style: { '--w': pct(x.share) }, title: x.label }, txt(name(x.label), 'span')),
      el('span', { class: 'pct', text: pct(x.share) }))));
  }
  function incidentCard(inc, s, band, asOf) {
    const since = asOf ? Date.parse(asOf) - Date.parse(inc.started_at) : 0;
    const perMin = s && s.window_minutes ? s.window_minutes : 2;
    return el('article', { class: `incident sev-${inc.severity}`, id: `incident-${inc.service}`, 'data-incident': inc.incident_id, 'data-service': inc.service, 'aria-labelledby': `inc-h-${inc.service}` },
      el('header', { class: 'inc-head' },
        el('h3', { id: `inc-h-${inc.service}` }, txt(inc.display)),
        el('span', { class: 'badge', text: inc.severity }),
        el('span', { class: 'hint', text: inc.state === 'started' ? 'new' : `updated: ${inc.reason || 'evidence'}` })),
      el('p', { class: 'since' },
        'since ', el('strong', {}, el('time', { datetime: inc.started_at, text: hms(inc.started_at) })),
        ` (${dur(since)}) · detected `, el('time', { datetime: inc.detected_at, text: hms(inc.detected_at) }),
        ' · ', el('code', { text: inc.incident_id })),
      el('dl', { class: 'figures' },
        el('div', { class: 'ratio' }, el('dt', { text: 'vs normal' }), el('dd', { text: `×${num(inc.ratio)}` })),
        el('div', {}, el('dt', { text: `complaints, last ${num(perMin)} min` }), el('dd', { text: num(inc.mentions) })),
        el('div', {}, el('dt', { text: 'distinct authors' }), el('dd', { text: num(inc.distinct_authors) })),
        el('div', {}, el('dt', { text: `normal per ${num(perMin)} min` }), el('dd', { text: num(inc.baseline) }))),
      s ? el('figure', {}, chart(s, band, true, inc), legend(band)) : null,
      el('div', { class: 'evidence' },
        el('section', {}, el('h4', { text: 'Problems' }), bars(inc.problems, problemName)),
        el('section', {}, el('h4', { text: 'Countries' }), bars(inc.countries, (c) => `${displayName('region', c)} (${c})`), worldMap(inc.countries)),
        el('section', {}, el('h4', { text: 'Languages' }), bars(inc.languages, (l) => `${displayName('language', l)} (${l})`)),
        el('section', {}, el('h4', { text: 'Related services' }),
          inc.related.length
            ? el('ul', { class: 'chips' }, inc.related.map((r) => el('li', {}, el('a', { href: `#svc-${r.name}` }, txt(r.display)))))
            : el('p', { class: 'hint', text: 'none' }),
          el('h4', { text: 'Sample posts', style: { 'margin-top': '.6rem' } }),
          inc.samples.length
            ? el('ul', { class: 'chips' }, inc.samples.map((id) => el('li', {}, el('code', { dir: 'auto', text: id }))))
            : el('p', { class: 'hint', text: 'none' }))),
      samplePosts(inc.sample_posts));
  }
  // What people say: each post as text (never markup: a post is untrusted input), in
  // its own direction and language, with a link to the original where there is one.
  function samplePosts(list) {
    if (!list || !list.length) return null;
    return el('section', { class: 'posts' }, el('h4', { text: 'What people say' }),
      el('ul', {}, list.map((p) => el('li', {},
        el('blockquote', { dir: 'auto', lang: p.lang || null, text: p.text }),
        el('p', { class: 'hint' },
          [p.lang && displayName('language', p.lang), p.country && displayName('region', p.country), p.source].filter(Boolean).join(' · '),
          ' ',
          p.url && p.url.startsWith('https://')
            ? el('a', { href: p.url, rel: 'noopener noreferrer nofollow', target: '_blank', text: 'original' })
            : el('code', { dir: 'auto', text: p.id }))))));
  }

  // ---- services ----
  const expanded = new Set();
  function serviceRow(s, band, asOf) {
    const { n, m } = series(s);
    const lc = lastComplete(s);
    const perMin = lc >= 0 ? m.complaints[lc] : null;
    const base = lc >= 0 ? m.baseline[lc] : null;
    let badge;
    if (s.incident) badge = el('span', { class: `badge sev-${s.incident.severity}`, text: s.incident.severity });
    else if (s.last_incident && s.last_incident.resolved_at) badge = el('span', { class: 'badge resolved', text: `resolved ${hm(s.last_incident.resolved_at)}` });
    else if ((reasonRank[s.reason] || 0) >= 3) badge = el('span', { class: 'badge warn', text: reasonText[s.reason] || s.reason });
    else badge = el('span', { class: 'badge quiet', text: reasonText[s.reason] || s.reason });
    const details = el('details', { 'data-service': s.name },
      el('summary', {},
        el('span', { class: 'svc-name' }, txt(s.display)),
        el('span', {}, badge),
        chart(s, band, false, null),
        el('span', { class: 'stat' }, num(perMin), el('small', { text: 'complaints/min' })),
        el('span', { class: 'stat' }, num(base), el('small', { text: 'normal/min' })),
        el('span', { class: 'stat' }, s.reason && s.reason !== 'warmup' ? `×${num(s.ratio)}` : '–', el('small', { text: 'vs normal' }))),
      el('div', { class: 'svc-body' }, el('figure', {}, chart(s, band, true, s.last_incident), legend(band)),
        el('p', { class: 'hint' }, n ? `Sliding window: ${num(s.window_complaints)} complaints in ${num(s.window_minutes)} min against ${num(s.window_expected)} expected; ${pct(s.share)} of mentions are complaints.` : 'No buckets yet.')));
    if (expanded.has(s.name)) details.open = true;
    details.addEventListener('toggle', () => { if (details.open) expanded.add(s.name); else expanded.delete(s.name); });
    return el('li', { id: `svc-${s.name}`, class: s.incident ? 'svc-incident' : null }, details);
  }

  // ---- timeline ----
  function timelineItem(e) {
    return el('li', { class: `tl-${e.type}`, 'data-event': e.id },
      el('div', { class: 'tl-head' },
        el('span', { class: 'tl-type', text: e.type }),
        el('time', { datetime: e.time, title: e.time, text: hms(e.time) })),
      el('p', { class: 'tl-body' }, el('a', { href: `#svc-${e.service}` }, txt(e.display, 'strong')),
        e.type !== 'resolved' ? ` · ${e.severity}` : ''),
      el('p', { class: 'tl-meta', text: [
        `×${num(e.ratio)} normal`, `${num(e.mentions)} complaints`, `${num(e.distinct_authors)} authors`,
        e.related && e.related.length ? `with ${e.related.map((r) => r.display).join(', ')}` : '', e.reason ? `(${e.reason.replace(/_/g, ' ')})` : '',
      ].filter(Boolean).join(' · ') }));
  }

  // ---- render ----
  // The sections are rebuilt on each update; keep the keyboard focus where it was.
  function focusKey() {
    const a = document.activeElement;
    if (!a || a === document.body) return null;
    const host = a.closest('[data-service]');
    if (!host) return null;
    return { service: host.getAttribute('data-service'), tag: a.tagName, inIncident: !!a.closest('#incidents') };
  }
  function restoreFocus(k) {
    if (!k) return;
    const root = k.inIncident ? $('incidents') : $('services');
    const host = root.querySelector(`[data-service="${CSS.escape(k.service)}"]`);
    const target = host && (k.tag === 'SUMMARY' ? host.querySelector('summary') : host.querySelector(k.tag.toLowerCase()));
    if (target) target.focus({ preventScroll: true });
  }

  // ---- world map (assets/world.json: ISO alpha-2 → outline, a unit a degree) ----
  let world = null, worldAsked = false, lastState = null;
  function worldMap(countries) {
    if (!countries || !countries.length) return null;
    if (!world) {
      if (!worldAsked) {
        worldAsked = true;
        fetch('assets/world.json').then((r) => (r.ok ? r.json() : null))
          .then((w) => { world = w; if (w && lastState) render(lastState); }).catch(() => {});
      }
      return null;
    }
    const share = Object.fromEntries(countries.map((c) => [String(c.label).toUpperCase(), c.share]));
    const most = Math.max(...countries.map((c) => c.share));
    return sv('svg', { class: 'worldmap', viewBox: '0 0 360 150', role: 'img',
      'aria-label': `complaints by country: ${countries.map((c) => `${displayName('region', c.label)} ${pct(c.share)}`).join(', ')}` },
    Object.entries(world).map(([cc, d]) => sv('path', share[cc] === undefined ? { d } : { d, class: 'hit', 'data-cc': cc, 'fill-opacity': (0.3 + 0.7 * share[cc] / most).toFixed(2) },
      share[cc] === undefined ? null : sv('title', { text: `${displayName('region', cc)}: ${pct(share[cc])}` }))));
  }

  function render(st) {
    lastState = st;
    const focus = focusKey();
    const band = st.band || 5;
    $('band').textContent = band;
    if (st.as_of) {
      const a = $('asof');
      a.replaceChildren(el('span', { class: 'day', text: day(st.as_of) }), 'as of ',
        el('time', { datetime: st.as_of, title: st.as_of, text: hms(st.as_of) }), ' event time');
    }
    const byName = new Map(st.services.map((s) => [s.name, s]));
    const incs = $('incidents');
    incs.replaceChildren(...(st.incidents.length
      ? st.incidents.map((inc) => incidentCard(inc, byName.get(inc.service), band, st.as_of))
      : [el('p', { class: 'empty', text: 'No open incidents: every service is within its normal band.' })]));
    $('incident-count').textContent = st.incidents.length ? String(st.incidents.length) : '';
    document.title = st.incidents.length ? `(${st.incidents.length}) Outcry — live` : 'Outcry — live';

    // The state carries the first page (and every service with an open incident);
    // a search or another page comes from api/services.
    const paged = pagedView();
    const page = paged ? pager.page : null;
    const list = paged ? (page ? page.services : []) : st.services.slice(0, pageSize);
    const total = paged ? (page ? page.total : null) : (st.services_total ?? st.services.length);
    // In the server's order: open incidents, then the last verdict's rank, then as declared.
    $('services').replaceChildren(...list.map((s) => serviceRow(s, band, st.as_of)));
    $('svc-range').textContent = total === null ? 'searching…'
      : total === 0 ? (pager.q.trim() ? `No service matches “${pager.q.trim()}”.` : 'No services.')
        : `${num(pager.offset + 1)}–${num(pager.offset + list.length)} of ${num(total)}`;
    $('svc-prev').disabled = pager.offset === 0;
    $('svc-next').disabled = total === null || pager.offset + pageSize >= total;

    const tl = $('timeline');
    tl.replaceChildren(...(st.timeline.length ? st.timeline.map(timelineItem) : [el('li', { class: 'empty', text: 'None yet.' })]));
    restoreFocus(focus);
    document.body.dataset.version = st.version;
  }

  // ---- paging and search of the services ----
  const pageSize = 50; // the server's PageSize: the state carries that many
  const pager = { q: '', offset: 0, page: null, busy: false, again: false };
  function pagedView() { return pager.q.trim() !== '' || pager.offset > 0; }
  // fetchPage reads the current page from api/services, one request at a time (the
  // latest asked for wins), and renders it with the latest state.
  function fetchPage() {
    if (!pagedView()) { pager.page = null; if (lastState) render(lastState); return; }
    if (pager.busy) { pager.again = true; return; }
    pager.busy = true;
    const q = pager.q.trim(), offset = pager.offset;
    fetch(`api/services?q=${encodeURIComponent(q)}&offset=${offset}&limit=${pageSize}`, { cache: 'no-store' })
      .then((r) => (r.ok ? r.json() : null))
      .then((p) => { if (p && p.q === pager.q.trim() && p.offset === pager.offset) { pager.page = p; if (lastState) render(lastState); } })
      .catch(() => {})
      .finally(() => { pager.busy = false; if (pager.again) { pager.again = false; fetchPage(); } });
  }
  let searchTimer = null;
  $('svc-q').addEventListener('input', (ev) => {
    pager.q = ev.target.value;
    pager.offset = 0;
    pager.page = null;
    clearTimeout(searchTimer);
    searchTimer = setTimeout(fetchPage, 150);
  });
  $('svc-prev').addEventListener('click', () => { pager.offset = Math.max(0, pager.offset - pageSize); pager.page = null; fetchPage(); });
  $('svc-next').addEventListener('click', () => { pager.offset += pageSize; pager.page = null; fetchPage(); });
  // Each new state refreshes the page on view (at most one request at a time).
  function update(st) {
    render(st);
    if (pagedView()) fetchPage();
  }

  function setConn(cls, text) {
    const c = $('conn');
    c.className = `conn ${cls}`;
    c.textContent = text;
  }

  function connect() {
    if (!window.EventSource) { poll(); return; }
    const es = new EventSource('api/stream');
    es.addEventListener('open', () => setConn('conn-live', 'live'));
    es.addEventListener('state', (ev) => {
      setConn('conn-live', 'live');
      try { update(JSON.parse(ev.data)); } catch (err) { console.error('outcry: bad state', err); }
    });
    es.addEventListener('error', () => {
      if (es.readyState === EventSource.CLOSED) {
        setConn('conn-down', 'offline — retrying');
        signedOut().then((out) => { if (!out) setTimeout(connect, 5000); });
      } else {
        setConn('conn-wait', 'reconnecting…');
      }
    });
  }
  // A stream refused for good may mean the session ended (401): reloading the page
  // then shows the server's login form. Other refusals (503 when the server has too
  // many streams, a restart) are retried.
  async function signedOut() {
    try {
      const r = await fetch('api/state', { cache: 'no-store' });
      if (r.status === 401) { location.reload(); return true; }
    } catch (_) { /* offline: retry */ }
    return false;
  }
  // Fallback without EventSource: poll the snapshot.
  async function poll() {
    try {
      const r = await fetch('api/state', { cache: 'no-store' });
      if (r.status === 401) { location.reload(); return; }
      update(await r.json());
      setConn('conn-live', 'live (polling)');
    } catch (_) { setConn('conn-down', 'offline'); }
    setTimeout(poll, 5000);
  }

  connect();
})();

// Opens a report.html in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core;
// never a downloaded browser) with JavaScript off, and checks that what a person sees is what the
// JSON files say: every metric's shown value equals analysis.json (rounded to 4 decimals), the
// baseline column equals the baseline, the highlighted rows are the violations, the counts are
// execution.json's; under the statistical rule, that each tested metric's row of tests shows
// bias_evidence.json's windows, rows per group, values, change, interval, |z|, threshold and verdict;
// that the page fetches nothing; then saves a screenshot.
// Usage: node report.mjs REPORT.html ANALYSIS.json SCREENSHOT.png [BASELINE.json|- VIOLATIONS.json|- ACCOUNT.json|- EVIDENCE.json|-]
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [page_path, analysis_path, shot, base_path = '-', viol_path = '-', acct_path = '-', ev_path = '-'] = process.argv.slice(2);
const load = (p) => (p === '-' ? null : JSON.parse(readFileSync(p, 'utf8')));
const analysis = load(analysis_path), base = load(base_path), viol = load(viol_path), acct = load(acct_path);
const evidence = load(ev_path);
const url = pathToFileURL(page_path).href;
let failures = 0;
const fail = (msg) => { console.log(`FAIL: ${msg}`); failures++; };

const num = (v) => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v);
const exact = (v) => (v === null ? 'null' : typeof v === 'string' ? v : String(v));
// data-value holds Python's repr: a number is the same number (JSON.parse turns 0.0 into 0)
const sameExact = (text, v) => (typeof v === 'number' ? text !== undefined && Number(text) === v : text === exact(v));
// what a person sees for a value: 4 decimals, infinities as their sign
function shownOk(text, v) {
  const x = num(v);
  if (x === Infinity) return text === '+\u221e';
  if (x === -Infinity) return text === '\u2212\u221e';
  if (typeof x !== 'number') return text === 'error' || text === '\u2013';
  if (Math.abs(x) >= 1e6) return Math.abs(Number(text) - x) <= Math.abs(x) * 1e-4;
  return /^-?\d+\.\d{4}$/.test(text) && Math.abs(Number(text) - x) <= 0.00005 + 1e-12;
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
  const fetched = [];
  // anything but the page itself would be a fetch: recorded and refused
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (u === url) return route.continue();
    fetched.push(u);
    return route.abort();
  });
  context.on('request', (r) => { if (r.url() !== url && !fetched.includes(r.url())) fetched.push(r.url()); });
  const page = await context.newPage();
  const resp = await page.goto(url, { waitUntil: 'load' });
  if (!resp || !resp.ok()) fail(`the page did not load: ${resp && resp.status()}`);

  // the metric rows as the browser renders them
  const rows = await page.$$eval('section.facet tr[data-metric]', (trs) => trs.map((tr) => {
    const sec = tr.closest('section');
    const cell = (cls) => {
      const td = tr.querySelector(`td.${cls}`);
      if (!td) return null;
      const r = td.getBoundingClientRect();
      return { exact: td.dataset.value, text: td.innerText.trim(), visible: r.width > 0 && r.height > 0 };
    };
    return {
      stage: sec.dataset.stage, facet: sec.dataset.facet, value: sec.dataset.facetValue, metric: tr.dataset.metric,
      violation: tr.classList.contains('violation'), bg: getComputedStyle(tr.querySelector('td')).backgroundColor,
      cur: cell('value'), base: cell('baseline'), meaning: (tr.querySelector('td.meaning, td.err') || {}).innerText,
      chart: !!tr.querySelector('svg.chart'),
    };
  }));
  const want = [];
  for (const stage of ['pre_training_bias_metrics', 'post_training_bias_metrics']) {
    for (const [facet, entries] of Object.entries((analysis[stage] || {}).facets || {})) {
      for (const e of entries) {
        for (const m of e.metrics) want.push({ stage, facet, value: e.value_or_threshold, m });
      }
    }
  }
  if (rows.length !== want.length) fail(`${rows.length} metric rows shown, analysis.json has ${want.length}`);
  const violated = new Set((viol ? viol.violations : []).map((v) => `${v.facet}\u0000${v.facet_value}\u0000${v.metric_name}`));
  let nviol = 0;
  want.forEach((w, i) => {
    const r = rows[i];
    const where = `${w.stage} ${w.facet}=${w.value} ${w.m.name}`;
    if (!r || r.stage !== w.stage || r.facet !== w.facet || r.value !== w.value || r.metric !== w.m.name) {
      fail(`row ${i}: ${JSON.stringify(r && [r.stage, r.facet, r.value, r.metric])} where analysis.json has ${where}`);
      return;
    }
    if (!r.cur || !r.cur.visible) fail(`${where}: the value is not visible`);
    else {
      if (!sameExact(r.cur.exact, w.m.value)) fail(`${where}: data-value ${r.cur.exact}, analysis.json ${exact(w.m.value)}`);
      if (!shownOk(r.cur.text, w.m.value)) fail(`${where}: shown "${r.cur.text}", analysis.json ${w.m.value}`);
    }
    if (base) {
      const be = base[w.stage].facets[w.facet].find((e) => e.value_or_threshold === w.value);
      const bm = be && be.metrics.find((m) => m.name === w.m.name);
      const bv = bm ? bm.value : null;
      if (!r.base || !sameExact(r.base.exact, bv) || !shownOk(r.base.text, bv))
        fail(`${where}: baseline shown ${JSON.stringify(r.base)}, baseline file ${bv}`);
    } else if (r.base) fail(`${where}: a baseline column without a baseline`);
    const isv = violated.has(`${w.facet}\u0000${w.value}\u0000${w.m.name}`);
    nviol += isv;
    if (r.violation !== isv) fail(`${where}: highlighted ${r.violation}, constraint_violations.json says ${isv}`);
    if (isv && r.bg === 'rgba(0, 0, 0, 0)') fail(`${where}: a violation without a background`);
    if (!r.meaning || r.meaning.length < 20) fail(`${where}: no sentence on what it means`);
    if (!r.chart) fail(`${where}: no chart`);
  });
  if (viol && nviol !== viol.violations.length) fail(`${nviol} rows highlighted, ${viol.violations.length} violations`);

  // the list of violations at the top links to the rows' sections
  const links = await page.$$eval('li.violation a', (as) => as.map((a) => a.getAttribute('href')));
  if (viol && links.length !== viol.violations.length) fail(`${links.length} violation links, ${viol.violations.length} violations`);
  for (const h of links) if (!(await page.$(h))) fail(`the link ${h} leads nowhere`);

  if (acct) {
    const counts = await page.$$eval('tr[data-count]', (trs) => Object.fromEntries(trs.map((tr) =>
      [tr.dataset.count, tr.querySelector('td.num').innerText.trim()])));
    for (const [k, v] of Object.entries(acct.counts)) {
      if (counts[k] !== String(v)) fail(`count ${k}: shown ${counts[k]}, execution.json ${v}`);
    }
  }
  // the statistical rule's tests, as bias_evidence.json has them (post-training metrics only)
  let ntests = 0;
  const shownEvidence = await page.$$eval('section.facet tr.evidence', (trs) => trs.map((tr) => {
    const sec = tr.closest('section');
    const r = tr.getBoundingClientRect();
    const cell = (row, cls) => {
      const el = row.querySelector(`.${cls}`);
      return el ? { exact: el.dataset.value, text: el.innerText.trim() } : null;
    };
    return {
      stage: sec.dataset.stage, facet: sec.dataset.facet, value: sec.dataset.facetValue, metric: tr.dataset.evidence,
      visible: r.width > 0 && r.height > 0, verdict: tr.querySelector('p.verdict').innerText.trim(),
      tests: [...tr.querySelectorAll('tr[data-test]')].map((row) => ({
        alarm: row.classList.contains('alarm'),
        cells: Object.fromEntries(['windows', 'rows-d', 'rows-a', 'window', 'baseline', 'change', 'lo', 'hi', 'z', 'threshold']
          .map((c) => [c, cell(row, c)])),
      })),
    };
  }));
  const wantEvidence = [];
  if (evidence) {
    for (const [facet, entries] of Object.entries(evidence.facets || {})) {
      for (const e of entries) {
        for (const m of e.metrics || []) if (Array.isArray(m.tests)) wantEvidence.push({ facet, value: e.value_or_threshold, m });
      }
    }
  }
  if (shownEvidence.length !== wantEvidence.length)
    fail(`${shownEvidence.length} rows of tests shown, bias_evidence.json has ${wantEvidence.length} tested metrics`);
  const same = (c, v, what) => {
    if (!c || c.exact === undefined) return fail(`${what}: not shown`);
    if (Number(c.exact) !== v) fail(`${what}: data-value ${c.exact}, bias_evidence.json ${v}`);
    if (!shownOk(c.text, v)) fail(`${what}: shown "${c.text}", bias_evidence.json ${v}`);
  };
  const sameCount = (c, v, what) => {
    if (!c || Number(c.exact) !== v || c.text !== String(Math.round(v))) fail(`${what}: shown ${JSON.stringify(c)}, bias_evidence.json ${v}`);
  };
  for (const w of wantEvidence) {
    const where = `${w.facet}=${w.value} ${w.m.name} tests`;
    const r = shownEvidence.find((x) => x.facet === w.facet && x.value === w.value && x.metric === w.m.name);
    if (!r) { fail(`${where}: no row of tests`); continue; }
    if (r.stage !== 'post_training_bias_metrics') fail(`${where}: shown under ${r.stage}`);
    if (!r.visible) fail(`${where}: not visible`);
    if (r.tests.length !== w.m.tests.length) { fail(`${where}: ${r.tests.length} tests shown, ${w.m.tests.length} in the file`); continue; }
    w.m.tests.forEach((t, i) => {
      const c = r.tests[i].cells, at = `${where} [${i}]`;
      ntests++;
      sameCount(c.windows, t.windows, `${at} windows`);
      sameCount(c['rows-d'], t.rows.d, `${at} rows d`);
      sameCount(c['rows-a'], t.rows.a, `${at} rows a`);
      if (t.decidable === false) {
        if (c.window || c.z) fail(`${at}: values shown for a test that could not run`);
        return;
      }
      same(c.window, t.window, `${at} window`);
      same(c.baseline, t.baseline, `${at} baseline`);
      same(c.change, t.change, `${at} change`);
      same(c.lo, t.interval[0], `${at} interval low`);
      same(c.hi, t.interval[1], `${at} interval high`);
      same(c.z, Math.abs(t.z), `${at} |z|`);
      same(c.threshold, t.threshold, `${at} threshold`);
      if (r.tests[i].alarm !== t.alarm) fail(`${at}: shown alarm ${r.tests[i].alarm}, bias_evidence.json ${t.alarm}`);
    });
    if (w.m.alarm && r.verdict !== w.m.reason) fail(`${where}: verdict "${r.verdict}", the alarm's reason "${w.m.reason}"`);
    if (!w.m.alarm && !/^(No alarm|Not decided)/.test(r.verdict)) fail(`${where}: verdict "${r.verdict}" without an alarm`);
  }
  if (fetched.length) fail(`the page fetched ${fetched.join(', ')}`);
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`report.mjs: ${rows.length} metrics, ${nviol} violations, ${ntests} tests checked; screenshot ${shot}`);
} finally {
  await browser.close();
}
process.exit(failures ? 1 : 0);

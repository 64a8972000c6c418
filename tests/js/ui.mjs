// Opens biasmon serve's dashboard (/ui) in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core; never a downloaded browser) with JavaScript off, and checks that what a person
// sees is what the service's files say: the overview's schedules, states and last executions; on
// each schedule's page the latest completed execution's metrics equal its analysis.json and the
// baseline's, the violations are constraint_violations.json's, each chart draws one point per
// completed execution with a value and marks the violated ones, the statistical rule's band is
// drawn where bias_evidence.json exists and only there, the executions table is the
// service's list with its failure reasons, and the report links open the execution's report.html
// and analysis.json; that no request leaves the service's address; then saves screenshots.
// Usage: node ui.mjs BASE_URL EXPECT.json SHOT_DIR [TOKEN]
//   EXPECT.json: {"schedules": [{"name", "state", "endpoint", "baseline": analysis.json path,
//                 "executions": [{"scheduled", "status", "violations", "reason", "output": dir|null}]
//                 newest first}]}
//   TOKEN: the service needs the dashboard's token: /ui must answer 401 without it and with a
//          wrong one, and /ui/login?token=TOKEN must let the browser in (a cookie).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [base, expectPath, shots, token] = process.argv.slice(2);
const expect = JSON.parse(readFileSync(expectPath, 'utf8'));
const origin = new URL(base).origin;
let failures = 0;
const fail = (msg) => { console.log(`FAIL: ${msg}`); failures++; };
const load = (p) => (existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : null);
const num = (v) => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v);
const sameValue = (shownExact, v) => {
  if (typeof v === 'number') return Number(shownExact) === v;
  return shownExact === (v === null ? 'null' : String(v));
};
const STAGES = ['pre_training_bias_metrics', 'post_training_bias_metrics'];
const metricsOf = (a) => {
  const out = [];
  for (const stage of STAGES) {
    for (const [facet, entries] of Object.entries((a && a[stage] && a[stage].facets) || {})) {
      for (const e of entries) for (const m of e.metrics) out.push({ stage, facet, value: e.value_or_threshold, m });
    }
  }
  return out;
};
const key = (facet, value, metric) => `${facet}\u0000${value}\u0000${metric}`;
const violationsOf = (dir) => {
  const v = dir && load(join(dir, 'constraint_violations.json'));
  return new Set(((v && v.violations) || []).map((x) => key(x.facet, x.facet_value, x.metric_name)));
};
const utc = (t) => new Date(t * 1000).toISOString().slice(0, 16).replace('T', ' ');

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1400, height: 1000 } });
  const elsewhere = [];
  context.on('request', (r) => { if (new URL(r.url()).origin !== origin) elsewhere.push(r.url()); });
  await context.route('**/*', (route) => (new URL(route.request().url()).origin === origin ? route.continue() : route.abort()));
  const page = await context.newPage();

  if (token) {
    let r = await page.goto(`${base}/ui`);
    if (!r || r.status() !== 401) fail(`/ui without the token answered ${r && r.status()}, not 401`);
    r = await page.goto(`${base}/ui/login?token=${'0'.repeat(token.length)}`);
    if (!r || r.status() !== 401) fail(`a wrong token answered ${r && r.status()}, not 401`);
    r = await page.goto(`${base}/ui/login?token=${token}`);
    if (!r || r.status() !== 200 || new URL(page.url()).pathname !== '/ui') fail(`the login link led to ${page.url()} (${r && r.status()})`);
    const cookies = await context.cookies();
    const c = cookies.find((x) => x.name === 'biasmon_ui');
    if (!c || !c.httpOnly || c.sameSite !== 'Strict') fail(`the cookie: ${JSON.stringify(c)}`);
  }

  // ---- the overview
  const resp = await page.goto(`${base}/ui`, { waitUntil: 'load' });
  if (!resp || resp.status() !== 200) fail(`/ui answered ${resp && resp.status()}`);
  const h = resp ? resp.headers() : {};
  if (!/frame-ancestors 'none'/.test(h['content-security-policy'] || '')) fail(`Content-Security-Policy: ${h['content-security-policy']}`);
  if (h['x-frame-options'] !== 'DENY') fail(`X-Frame-Options: ${h['x-frame-options']}`);
  if (h['referrer-policy'] !== 'no-referrer') fail(`Referrer-Policy: ${h['referrer-policy']}`);
  const rows = await page.$$eval('tr[data-schedule]', (trs) => trs.map((tr) => ({
    name: tr.dataset.schedule, cells: [...tr.querySelectorAll('td')].map((td) => td.innerText.trim()),
    spark: !!tr.querySelector('svg.spark'), link: tr.querySelector('a').getAttribute('href'),
  })));
  if (rows.length !== expect.schedules.length) fail(`${rows.length} schedules shown, ${expect.schedules.length} exist`);
  for (const s of expect.schedules) {
    const r = rows.find((x) => x.name === s.name);
    if (!r) { fail(`schedule ${s.name} not shown`); continue; }
    const last = s.executions[0];
    const want = [s.name, s.endpoint, s.state, utc(last.scheduled), last.status, String(last.violations)];
    want.forEach((w, i) => { if (r.cells[i] !== w) fail(`overview ${s.name} column ${i}: "${r.cells[i]}", want "${w}"`); });
    if (!r.cells[6].startsWith((last.reason || '').slice(0, 100))) fail(`overview ${s.name}: reason "${r.cells[6]}", want "${last.reason}"`);
    if (!r.spark) fail(`overview ${s.name}: no sparkline`);
  }
  await page.screenshot({ path: join(shots, 'ui-overview.png'), fullPage: true });

  // ---- each schedule's page, reached through the overview's link
  for (const s of expect.schedules) {
    const r = rows.find((x) => x.name === s.name);
    if (!r) continue;
    await page.goto(`${base}${r.link}`, { waitUntil: 'load' });
    const where = `/ui/schedules/${s.name}`;
    const done = s.executions.filter((e) => e.status.startsWith('Completed'));
    const latest = done[0];
    const a = latest && load(join(latest.output, 'analysis.json'));
    const b = load(s.baseline);
    const want = metricsOf(a);
    const shown = await page.$$eval('table.latest tr[data-metric]', (trs) => trs.map((tr) => ({
      stage: tr.dataset.stage, facet: tr.dataset.facet, value: tr.dataset.facetValue, metric: tr.dataset.metric,
      exact: tr.querySelector('td.value').dataset.value, text: tr.querySelector('td.value').innerText.trim(),
      base: tr.querySelector('td.baseline').dataset.value, violation: tr.classList.contains('violation'),
    })));
    if (!latest) { if (shown.length) fail(`${where}: values without a completed execution`); continue; }
    if (shown.length !== want.length) fail(`${where}: ${shown.length} metrics shown, analysis.json has ${want.length}`);
    const viol = violationsOf(latest.output);
    want.forEach((w, i) => {
      const x = shown[i];
      const what = `${where} ${w.stage} ${w.facet}=${w.value} ${w.m.name}`;
      if (!x || x.stage !== w.stage || x.facet !== w.facet || x.value !== w.value || x.metric !== w.m.name) { fail(`${what}: row ${i} is ${JSON.stringify(x)}`); return; }
      if (!sameValue(x.exact, w.m.value)) fail(`${what}: shown ${x.exact}, analysis.json ${w.m.value}`);
      const v = num(w.m.value);
      if (typeof v === 'number' && isFinite(v) && Math.abs(Number(x.text) - v) > 0.00005 + 1e-12) fail(`${what}: text "${x.text}", analysis.json ${v}`);
      const be = b && b[w.stage].facets[w.facet].find((e) => e.value_or_threshold === w.value);
      const bm = be && be.metrics.find((m) => m.name === w.m.name);
      const bv = bm && typeof bm.value === 'number' ? bm.value : null;
      if (!sameValue(x.base, bv)) fail(`${what}: baseline shown ${x.base}, baseline ${bv}`);
      if (x.violation !== viol.has(key(w.facet, w.value, w.m.name))) fail(`${what}: violation shown ${x.violation}`);
    });
    // the charts: a point per completed execution with a numeric value, the violations marked
    const figs = await page.$$eval('figure[data-metric]', (fs) => fs.map((f) => {
      const svg = f.querySelector('svg.series');
      return { stage: f.dataset.stage, facet: f.dataset.facet, value: f.dataset.facetValue, metric: f.dataset.metric,
        points: svg && Number(svg.dataset.points), violations: svg && Number(svg.dataset.violations),
        marks: svg ? ((svg.querySelector('path.marks') || { getAttribute: () => '' }).getAttribute('d').match(/h0/g) || []).length : -1, band: svg ? svg.querySelectorAll('path.band').length : -1 };
    }));
    if (figs.length !== want.length) fail(`${where}: ${figs.length} charts, ${want.length} metrics`);
    const outputs = done.map((e) => ({ a: load(join(e.output, 'analysis.json')), v: violationsOf(e.output),
      evidence: existsSync(join(e.output, 'bias_evidence.json')) }));
    const anyEvidence = outputs.some((o) => o.evidence);
    for (const f of figs) {
      const what = `${where} chart ${f.facet}=${f.value} ${f.metric}`;
      let points = 0, marks = 0;
      for (const o of outputs) {
        const e = o.a && o.a[f.stage].facets[f.facet].find((x) => x.value_or_threshold === f.value);
        const m = e && e.metrics.find((x) => x.name === f.metric);
        if (m && typeof num(m.value) === 'number') points++;
        if (o.v.has(key(f.facet, f.value, f.metric))) marks++;
      }
      if (f.points !== points) fail(`${what}: ${f.points} points drawn, ${points} executions have a value`);
      if (f.violations !== marks || f.marks !== marks) fail(`${what}: ${f.marks} violation marks, ${marks} violations`);
      if (!anyEvidence && f.band !== 0) fail(`${what}: a band without bias_evidence.json`);
    }
    if (anyEvidence && !figs.some((f) => f.band > 0)) fail(`${where}: bias_evidence.json exists but no band is drawn`);
    // the executions table
    const ex = await page.$$eval('table.executions tr[data-exec-id]', (trs) => trs.map((tr) => ({
      scheduled: Number(tr.dataset.scheduled), status: tr.querySelector('td.st').innerText.trim(),
      violations: tr.querySelector('td.num').innerText.trim(), reason: tr.querySelector('td.reason').innerText.trim(),
      report: (tr.querySelector('a.report') || {}).href, json: (tr.querySelector('a.analysis') || {}).href,
    })));
    if (ex.length !== s.executions.length) fail(`${where}: ${ex.length} executions listed, ${s.executions.length} exist`);
    s.executions.forEach((e, i) => {
      const x = ex[i];
      if (!x || x.scheduled !== e.scheduled || x.status !== e.status || x.violations !== String(e.violations) || x.reason !== (e.reason || ''))
        fail(`${where}: execution ${i} shown ${JSON.stringify(x)}, want ${JSON.stringify(e)}`);
      if (x && !!x.report !== e.status.startsWith('Completed')) fail(`${where}: execution ${i}: report link ${x.report} for ${e.status}`);
    });
    await page.screenshot({ path: join(shots, `ui-schedule-${s.name}.png`), fullPage: true });
    // the latest report and analysis through the service
    const x = ex.find((e) => e.report);
    if (x) {
      const rr = await page.goto(x.report, { waitUntil: 'load' });
      if (!rr || rr.status() !== 200) fail(`${where}: the report link answered ${rr && rr.status()}`);
      const want0 = readFileSync(join(latest.output, 'report.html'), 'utf8');
      if ((await rr.text()) !== want0) fail(`${where}: the report served is not the execution's report.html`);
      const di = await page.$$eval('section.facet tr[data-metric] td.value', (tds) => tds.map((td) => td.dataset.value));
      if (di.length !== want.length) fail(`${where}: the report shows ${di.length} values, analysis.json has ${want.length}`);
      const jr = await page.goto(x.json);
      if (!jr || JSON.stringify(JSON.parse(await jr.text())) !== JSON.stringify(a)) fail(`${where}: the json link is not analysis.json`);
    }
  }
  if (elsewhere.length) fail(`requests left ${origin}: ${elsewhere.join(', ')}`);
  console.log(`ui.mjs: ${expect.schedules.length} schedules checked${token ? ' behind the token' : ''}; screenshots in ${shots}`);
} finally {
  await browser.close();
}
process.exit(failures ? 1 : 0);

// Times pages of biasmon serve's dashboard in headless Chromium (Debian's /usr/bin/chromium,
// JavaScript off in the page; never a downloaded browser): for each URL, REPS fresh loads, each in
// a new page, reading the page's Navigation Timing entry (responseEnd: the last byte of the HTML,
// domContentLoadedEventEnd, loadEventEnd, from the navigation's start) and the HTML's size.
// Prints one line per URL with the median and the range of each figure. Asserts nothing.
// Usage: node ui_timing.mjs REPS URL...
import { chromium } from 'playwright-core';

const [reps, ...urls] = process.argv.slice(2);
const median = (v) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1400, height: 1000 } });
  for (const url of urls) {
    const t = { responseEnd: [], domContentLoaded: [], load: [] };
    let bytes = 0;
    for (let i = 0; i < Number(reps); i++) {
      const page = await context.newPage();
      const resp = await page.goto(url, { waitUntil: 'load', timeout: 120000 });
      if (!resp || resp.status() !== 200) throw new Error(`${url}: ${resp && resp.status()}`);
      bytes = (await resp.body()).length;
      // with JavaScript off in the page, the timing is read through the browser's own protocol
      const cdp = await context.newCDPSession(page);
      const { result } = await cdp.send('Runtime.evaluate', {
        expression: 'JSON.stringify(performance.getEntriesByType("navigation")[0])', returnByValue: true });
      const nav = JSON.parse(result.value);
      t.responseEnd.push(nav.responseEnd);
      t.domContentLoaded.push(nav.domContentLoadedEventEnd);
      t.load.push(nav.loadEventEnd);
      await page.close();
    }
    const f = (v) => `${median(v).toFixed(0)} ms (${Math.min(...v).toFixed(0)}-${Math.max(...v).toFixed(0)})`;
    console.log(`${url}  ${(bytes / 1024).toFixed(0)} KiB  html ${f(t.responseEnd)}  domcontentloaded ${f(t.domContentLoaded)}  load ${f(t.load)}`);
  }
} finally {
  await browser.close();
}

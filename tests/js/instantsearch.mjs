// An InstantSearch page against `tipdex serve`, in headless Chromium (issue 18): the
// libraries a web developer uses — InstantSearch.js 4.118.1 and instant-meilisearch 0.31.3
// with the meilisearch client 0.57.0 it asks for (tests/js/instantsearch/package.json) —
// unchanged, served as a web page would serve them, typed into and clicked like a person.
//   node tests/js/instantsearch.mjs TIPDEX_URL CHROMIUM_PATH
// The index must hold the shipped corpus. Exits non-zero, naming the failed check.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openBrowser } from './browser.mjs';

const [tipdex, executablePath] = process.argv.slice(2);
if (!tipdex || !executablePath) {
  console.error('usage: node instantsearch.mjs TIPDEX_URL CHROMIUM');
  process.exit(2);
}

// The page's own origin (a different port from tipdex's: cross-origin, as in real use).
const root = join(dirname(fileURLToPath(import.meta.url)), 'instantsearch');
const files = { '/': 'page.html', '/app.mjs': 'app.mjs' };
const types = { html: 'text/html; charset=utf-8', mjs: 'text/javascript', js: 'text/javascript' };
const site = createServer(async (req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  let file = files[path];
  if (!file && path.startsWith('/lib/')) file = join('node_modules', path.slice(5));
  const full = file && normalize(join(root, file));
  if (!full || !full.startsWith(root + sep)) {
    res.writeHead(404).end();
    return;
  }
  try {
    const body = await readFile(full);
    res.writeHead(200, { 'content-type': types[full.split('.').pop()] ?? 'application/octet-stream' });
    res.end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((ok) => site.listen(0, '127.0.0.1', ok));
const pageUrl = `http://127.0.0.1:${site.address().port}/?tipdex=${encodeURIComponent(tipdex)}`;

// The versions that ran, read from the installed packages.
for (const name of ['instantsearch.js', '@meilisearch/instant-meilisearch', 'meilisearch']) {
  const { version } = JSON.parse(await readFile(join(root, 'node_modules', name, 'package.json'), 'utf8'));
  console.log(`# ${name} ${version}`);
}

const browser = await openBrowser(executablePath);
const { page, check } = browser;
if (process.env.SHOW_REQUESTS) page.on('request', (r) => { if (r.url().includes('search')) console.log('REQ', r.url(), r.postData()); });

// What the page shows.
const hitsShown = () => page.$$eval('#hits article.hit', (as) => as.map((a) => ({
  id: a.dataset.id, kind: a.dataset.kind, year: a.dataset.year,
  title: a.querySelector('.title').textContent.trim(),
})));
const statsCount = async () => {
  const text = await page.textContent('#stats .ais-Stats-text');
  if (/^No results/.test(text.trim())) return 0;
  const m = text.replace(/[,\s]/g, ' ').match(/(\d+) results?/);
  assert.ok(m, `stats: ${text}`);
  return Number(m[1]);
};
const facetCounts = (container) => page.$$eval(`${container} .ais-RefinementList-item`, (items) =>
  Object.fromEntries(items.map((i) => [
    i.querySelector('.ais-RefinementList-labelText').textContent,
    Number(i.querySelector('.ais-RefinementList-count').textContent),
  ])));
const waitFor = (fn, arg) => page.waitForFunction(fn, arg);

try {
  await page.goto(pageUrl);

  await check('the page loads with every section before anything is typed', async () => {
    await page.waitForSelector('#hits article.hit');
    assert.equal((await hitsShown()).length, 5);
    assert.ok(await statsCount() >= 50, 'the whole directory counts');
    const kinds = await facetCounts('#kinds');
    assert.ok(kinds.organization > 0 && kinds.report > 0, JSON.stringify(kinds));
  });

  await check('typing shows highlighted hits with snippets and a count', async () => {
    await page.click('.ais-SearchBox-input');
    await page.keyboard.type('trafficking', { delay: 20 });
    await waitFor(() => [...document.querySelectorAll('#hits .ais-Snippet-highlighted, #hits .ais-Highlight-highlighted')]
      .some((m) => /^traffick/i.test(m.textContent)));
    const marks = await page.$$eval('#hits mark', (ms) => ms.map((m) => m.textContent));
    assert.ok(marks.length > 0 && marks.every((m) => !m.includes('__ais')), marks.join(' | '));
    const snippets = await page.$$eval('#hits .snippet', (ps) => ps.map((p) => p.textContent.trim()));
    assert.ok(snippets.some((s) => s.length > 0 && s.split(/\s+/).length <= 40), snippets.join(' | '));
    assert.ok(await statsCount() > 5);
  });

  let reportCount;
  await check('ticking a kind narrows the hits, and the other kinds keep their counts', async () => {
    const before = await facetCounts('#kinds');
    reportCount = before.report;
    assert.ok(reportCount > 0, JSON.stringify(before));
    await page.check('#kinds input[value="report"]');
    await waitFor(() => {
      const hits = [...document.querySelectorAll('#hits article.hit')];
      return hits.length > 0 && hits.every((h) => h.dataset.kind === 'report');
    });
    await waitFor((n) => /(\d[\d,]*) results?/.exec(document.querySelector('#stats').textContent)?.[1].replace(/,/g, '') === String(n), reportCount);
    const after = await facetCounts('#kinds');
    assert.equal(after.organization, before.organization, 'disjunctive counts of the other kinds');
  });

  await check('ticking a year narrows further', async () => {
    const years = await facetCounts('#years');
    const [year] = Object.keys(years).sort().reverse();
    assert.ok(year, JSON.stringify(years));
    await page.check(`#years input[value="${year}"]`);
    await waitFor((y) => {
      const hits = [...document.querySelectorAll('#hits article.hit')];
      return hits.length > 0 && hits.every((h) => h.dataset.year === y && h.dataset.kind === 'report');
    }, year);
    await waitFor((n) => /(\d[\d,]*) results?/.exec(document.querySelector('#stats').textContent)?.[1] === String(n), years[year]);
  });

  await check('clearing the refinements brings every kind back', async () => {
    await page.click('#clear .ais-ClearRefinements-button');
    await waitFor(() => new Set([...document.querySelectorAll('#hits article.hit')].map((h) => h.dataset.kind)).size > 1
      || [...document.querySelectorAll('#hits article.hit')].some((h) => h.dataset.kind !== 'report'));
    assert.equal(await page.locator('#kinds input:checked, #years input:checked').count(), 0);
    assert.ok(await statsCount() > reportCount);
  });

  await check('sorting newest first orders the hits by year, and back to relevance', async () => {
    const relevance = await hitsShown();
    const years = Object.keys(await facetCounts('#years')).map(Number);
    const newest = Math.max(...years);
    await page.selectOption('#sort select', 'sections:year:desc');
    await waitFor((y) => document.querySelector('#hits article.hit')?.dataset.year === String(y), newest);
    const shown = (await hitsShown()).map((h) => Number(h.year)).filter((y) => y > 0);
    assert.deepEqual(shown, [...shown].sort((a, b) => b - a), `years ${shown}`);
    await page.selectOption('#sort select', 'sections:year:asc');
    await waitFor((y) => document.querySelector('#hits article.hit')?.dataset.year === String(y), Math.min(...years));
    await page.selectOption('#sort select', 'sections');
    await waitFor((first) => document.querySelector('#hits article.hit')?.dataset.id === first, relevance[0].id);
  });

  await check('pagination moves to the next five hits', async () => {
    const first = (await hitsShown()).map((h) => h.id);
    await page.click('#pagination .ais-Pagination-item--page:not(.ais-Pagination-item--selected) a >> text="2"');
    await waitFor((ids) => {
      const now = [...document.querySelectorAll('#hits article.hit')].map((h) => h.dataset.id);
      return now.length > 0 && now.every((id) => !ids.includes(id));
    }, first);
    assert.equal(await page.textContent('#pagination .ais-Pagination-item--selected'), '2');
    await page.click('#pagination .ais-Pagination-item--page a >> text="1"');
    await waitFor((id) => document.querySelector('#hits article.hit')?.dataset.id === id, first[0]);
  });

  await check('a query with no answer says so', async () => {
    await page.fill('.ais-SearchBox-input', '');
    await page.keyboard.type('zzqxjvwkpq', { delay: 10 });
    await page.waitForSelector('#hits .empty');
    assert.equal(await statsCount(), 0);
  });

  await check('no console error and no failed request', async () => {
    assert.deepEqual(browser.relevantProblems(), []);
  });
} finally {
  site.close();
  await browser.finish();
}

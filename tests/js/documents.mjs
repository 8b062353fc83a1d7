// Documents on the search page in a real headless Chromium (issue 15): passages grouped
// under their document with citations, a citation opening the document at its page,
// and UN symbols linked to the official resolver.
//   node tests/js/documents.mjs http://127.0.0.1:PORT CHROMIUM_PATH
// The index must hold the shipped corpus plus the generated report A/HRC/47/34 (English
// and French PDFs; see tests/it/server_browser.rs). Exits non-zero on any failure.
import assert from 'node:assert/strict';
import { openBrowser } from './browser.mjs';

const [base, executablePath] = process.argv.slice(2);
if (!base || !executablePath) {
  console.error('usage: node documents.mjs BASE_URL CHROMIUM');
  process.exit(2);
}

const browser = await openBrowser(executablePath);
const { context, page, check } = browser;

try {
  await page.goto(`${base}/?q=${encodeURIComponent('cannabis farms')}`);
  await page.waitForSelector('li.hit .passage .citation');

  await check('passages are grouped under their document with citations', async () => {
    const groups = page.locator('li.hit', { has: page.locator('.passage') });
    assert.ok(await groups.count() >= 1);
    const citations = await page.$$eval('li.hit .citation', (els) => els.map((e) => e.textContent));
    assert.ok(citations.some((c) => /^A\/HRC\/47\/34, para\. \d+ \(p\. \d+\)$/.test(c)), citations.join(' | '));
    const more = await page.$$eval('.more-passages', (els) => els.map((e) => e.textContent));
    assert.ok(more.some((m) => /^\d+ more passages? in this document$/.test(m)), more.join(' | '));
    // Each document is shown once: no two cards lead with passages of the same document.
    const leads = await page.$$eval('li.hit > .citation', (els) => els.map((e) => e.getAttribute('href').split('#')[0]));
    assert.equal(new Set(leads).size, leads.length, leads.join(' | '));
  });

  await check('a citation opens the document at its page', async () => {
    const link = page.locator('li.hit .citation[href]').first();
    const href = await link.getAttribute('href');
    assert.match(href, /^\/documents\/[^#]+#page=\d+$/);
    const [popup] = await Promise.all([context.waitForEvent('page'), link.click()]);
    assert.ok(popup.url().endsWith(href), `${popup.url()} opens ${href}`);
    await popup.close();
    const served = await page.request.get(base + href.split('#')[0]);
    assert.equal(served.status(), 200);
    assert.equal(served.headers()['content-type'], 'application/pdf');
    assert.ok((await served.body()).subarray(0, 5).toString() === '%PDF-');
  });

  await check('UN symbols link to the official resolver, with the language', async () => {
    await page.goto(`${base}/?q=${encodeURIComponent('A/HRC/47/34 par. 7')}`);
    await page.waitForSelector('li.hit a.symbol');
    const links = await page.$$eval('li.hit a.symbol', (as) => as.map((a) => a.href));
    assert.ok(links.every((l) => l.startsWith('https://undocs.org/')), links.join(' | '));
    assert.ok(links.includes('https://undocs.org/fr/A/HRC/47/34'), links.join(' | '));
    const first = await page.locator('li.hit').first().locator('.citation').first().textContent();
    assert.match(first, /^A\/HRC\/47\/34, par\. 7/);
  });

  await check('no script errors and no failed requests', async () => {
    assert.deepEqual(browser.relevantProblems(), []);
  });
} finally {
  await browser.finish();
}

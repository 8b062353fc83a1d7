// The search page in a real headless Chromium, as a person uses it:
//   node tests/js/page.mjs http://127.0.0.1:PORT SCREENSHOT.png CHROMIUM_PATH
// The index must hold the shipped corpus plus a hostile section (see tests/server_browser.rs)
// whose title and body carry <script> and <img onerror> and the word "quokkaxss".
// Exits non-zero, naming the failed check, on any failure.
import assert from 'node:assert/strict';
import { openBrowser } from './browser.mjs';

const [base, screenshot, executablePath] = process.argv.slice(2);
if (!base || !screenshot || !executablePath) {
  console.error('usage: node page.mjs BASE_URL SCREENSHOT.png CHROMIUM');
  process.exit(2);
}

const browser = await openBrowser(executablePath);
const { page, check } = browser;
const dialogs = [];
page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });

// Types into the box like a person (replacing what is there) and waits for the page to settle.
async function typeQuery(text) {
  await page.click('#q', { clickCount: 3 });
  await page.keyboard.press('Backspace');
  await page.keyboard.type(text, { delay: 15 });
}

const hitTitles = () => page.$$eval('li.hit a.title', (as) => as.map((a) => a.textContent));

try {
  await check('the page loads with an empty search box and help', async () => {
    const response = await page.goto(`${base}/`);
    assert.equal(response.status(), 200);
    assert.ok(response.headers()['content-security-policy'].includes("default-src 'none'"));
    assert.equal(await page.title(), 'tipdex — anti-trafficking directory search');
    assert.ok(await page.isVisible('#help'));
    assert.equal(await page.$eval('#q', (q) => q === document.activeElement), true);
  });

  await check('typing a query shows ranked results with badges and highlights', async () => {
    await typeQuery('GRETA');
    await page.waitForSelector('li.hit');
    await page.waitForFunction(() => document.querySelector('li.hit a.title')?.textContent === 'Council of Europe');
    const first = page.locator('li.hit').first();
    assert.equal(await first.locator('.badge').textContent(), 'organization');
    assert.ok((await first.locator('.badge').getAttribute('class')).includes('kind-organization'));
    assert.ok(await first.locator('.snippet mark').count() > 0, 'a <mark> in the snippet');
    assert.match(await page.textContent('#status'), /result/);
    assert.equal(new URL(page.url()).searchParams.get('q'), 'GRETA');
  });

  await check('kind filters show counts and narrow the results', async () => {
    await typeQuery('trafficking');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('q') === 'trafficking'
      && document.querySelectorAll('li.hit').length > 0
      && !document.body.classList.contains('loading'));
    const labels = await page.$$eval('#kind-facets label', (ls) => ls.map((l) => l.textContent));
    assert.ok(labels.some((l) => /^report \(\d+\)$/.test(l)), labels.join(' | '));
    assert.ok(labels.some((l) => /^organization \(\d+\)$/.test(l)), labels.join(' | '));
    const reportCount = Number(labels.find((l) => l.startsWith('report')).match(/\((\d+)\)/)[1]);
    // Close the suggestions (they cover the filters), as a person would.
    await page.keyboard.press('Escape');
    await page.waitForSelector('#suggestions', { state: 'hidden' });
    await page.check('#kind-facets input[value="report"]');
    await page.waitForFunction(() => {
      const badges = [...document.querySelectorAll('li.hit .badge')];
      return badges.length > 0 && badges.every((b) => b.textContent === 'report')
        && !document.body.classList.contains('loading');
    });
    assert.match(await page.textContent('#status'), new RegExp(`^${reportCount} result`));
    assert.deepEqual(new URL(page.url()).searchParams.getAll('kind'), ['report']);
    await page.uncheck('#kind-facets input[value="report"]');
    await page.waitForFunction(() => [...document.querySelectorAll('li.hit .badge')].some((b) => b.textContent !== 'report'));
  });

  await check('suggestions are chosen with the keyboard', async () => {
    await typeQuery('traf');
    await page.waitForSelector('#suggestions:not([hidden]) li.suggestion');
    await page.focus('#q');
    await page.keyboard.press('ArrowDown');
    const active = await page.waitForSelector('#suggestions li.suggestion.active');
    const chosen = await active.textContent();
    assert.equal(await page.getAttribute('#q', 'aria-activedescendant'), 'sug-0');
    await page.keyboard.press('Enter');
    await page.waitForFunction((c) => document.querySelector('#q').value.endsWith(c), chosen);
    assert.ok(await page.isHidden('#suggestions'));
    await page.waitForFunction((c) => new URL(location.href).searchParams.get('q') === c
      && document.querySelectorAll('li.hit').length > 0, (await page.inputValue('#q')).trim());
    // Arrow keys then move through the results.
    await page.keyboard.press('ArrowDown');
    await page.waitForSelector('li.hit.active');
  });

  await check('gibberish says there are no results', async () => {
    await typeQuery('zzqxjvwkpq');
    await page.waitForSelector('#no-results:not([hidden])');
    assert.match(await page.textContent('#no-results'), /No results for “zzqxjvwkpq”/);
    assert.equal(await page.locator('li.hit').count(), 0);
  });

  await check('a screenshot of results', async () => {
    await typeQuery('Siobhan Mullally');
    await page.waitForFunction(() => document.querySelectorAll('li.hit').length > 0
      && new URL(location.href).searchParams.get('q') === 'Siobhan Mullally');
    await page.keyboard.press('Escape');
    await page.screenshot({ path: screenshot, fullPage: false });
  });

  await check('markup in documents shows as text and never runs', async () => {
    await typeQuery('quokkaxss');
    await page.waitForFunction(() => [...document.querySelectorAll('li.hit a.title')]
      .some((a) => a.textContent.includes('quokkaxss')));
    const titles = await hitTitles();
    const title = titles.find((t) => t.includes('quokkaxss'));
    assert.equal(title, 'Hostile <script>alert(1)</script> quokkaxss heading');
    const hit = page.locator('li.hit', { hasText: 'quokkaxss heading' });
    const snippet = await hit.locator('.snippet').textContent();
    assert.ok(snippet.includes('<img src=x onerror=alert(2)>'), snippet);
    assert.ok(snippet.includes('<script>alert(3)</script>'), snippet);
    assert.ok(await hit.locator('.snippet mark').count() > 0, 'highlighted as well');
    assert.equal(await page.locator('#results script, #results img').count(), 0);
    await hit.locator('button.expand').click();
    await page.waitForFunction(() => document.querySelector('.fulltext')?.textContent.includes('onerror'));
    assert.equal(await page.locator('#results img').count(), 0);
    assert.ok(await hit.locator('.fulltext').isVisible());
    // The query itself, from the URL, is never markup either.
    await page.goto(`${base}/?q=${encodeURIComponent('<img src=x onerror=alert(4)> quokkaxss')}`);
    await page.waitForSelector('li.hit');
    assert.equal(await page.inputValue('#q'), '<img src=x onerror=alert(4)> quokkaxss');
    await page.waitForTimeout(300);
    assert.deepEqual(dialogs, [], 'no dialog fired');
    assert.equal(await page.locator('img').count(), 0);
  });

  await check('no script errors and no blocked resources', async () => {
    // Typing cancels the request of the keystroke before: an abort is the page working.
    const relevant = browser.relevantProblems().filter((p) => !p.includes('net::ERR_ABORTED'));
    assert.deepEqual(relevant, []);
  });
} finally {
  await browser.finish();
}

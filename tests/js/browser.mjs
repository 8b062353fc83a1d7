// Shared by the browser tests: Debian's Chromium through playwright-core with the flags
// this machine needs, a record of console errors, page errors and failed requests, and
// named checks that report `ok -` / `not ok -` and set the exit code.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

/// Opens a fresh headless Chromium profile; `problems` collects what went wrong on the page.
export async function openBrowser(executablePath, { timeout = 60000 } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'tipdex-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    viewport: { width: 1100, height: 900 },
  });
  // A first run beside other work can be slow: generous waits, never a fixed sleep.
  context.setDefaultTimeout(timeout);
  const page = context.pages()[0] ?? (await context.newPage());
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  let failed = false;
  return {
    context,
    page,
    problems,
    /// Runs one named check; a failure is printed and remembered, the next check still runs.
    async check(name, fn) {
      try {
        await fn();
        console.log(`ok - ${name}`);
      } catch (e) {
        failed = true;
        console.error(`not ok - ${name}`);
        console.error(e);
      }
    },
    /// Problems other than a missing favicon.
    relevantProblems() {
      return problems.filter((p) => !p.includes('favicon'));
    },
    /// Closes the browser, removes the profile and exits with the checks' verdict.
    async finish() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
      process.exit(failed ? 1 : 0);
    },
  };
}

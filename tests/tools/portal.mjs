// Drives the license holder's portal (/portal) and the support console (/console) in Debian's Chromium, as people
// use them, and prints what it saw as one JSON line (the test asserts on it).
// Usage: node portal.mjs '<json: {base, licenseKey, apiKey, accountId, productId, issuer, lostMachine, newFingerprint, screenshots}>'
import { chromium } from 'playwright-core';
import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, jwtVerify } from 'jose';

const input = JSON.parse(process.argv[2]);
const { base, licenseKey, apiKey, accountId, productId, issuer, lostMachine, newFingerprint, screenshots } = input;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const result = { portal: {}, console: {}, consoleErrors: [] };
const shot = async (page, name) => { if (screenshots) await page.screenshot({ path: `${screenshots}/${name}.png`, fullPage: true }); };
try {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, acceptDownloads: true });
  const page = await context.newPage();
  // A violated Content-Security-Policy, or any script error, shows in the console: the test wants none.
  // (A refused request, which the flows make on purpose, is logged too: those are left out.)
  const noted = m => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) result.consoleErrors.push(m.text()); };
  page.on('console', noted);
  page.on('pageerror', e => result.consoleErrors.push(e.message));
  const urls = [];
  page.on('request', r => urls.push(r.url()));

  // The portal: a wrong key first, then the right one.
  await page.goto(`${base}/portal`);
  await page.getByLabel('License key').fill('ZZZ-AAAA-BBBB-CCCC-DDDD');
  await page.getByRole('button', { name: 'Sign in' }).click();
  result.portal.wrongKey = await page.getByRole('alert').innerText();
  await page.getByLabel('License key').fill(licenseKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Machines' }).waitFor();
  await page.getByRole('row', { name: new RegExp(lostMachine) }).waitFor();
  result.portal.machinesShown = await page.locator('#machine-rows th').allInnerTexts();
  result.portal.seats = await page.locator('#license-facts dd').nth(3).innerText();
  result.portal.product = await page.locator('#license-facts dd').nth(1).innerText();
  await shot(page, 'portal');

  // The lost laptop: deactivated, after a confirmation.
  await page.getByRole('button', { name: `Deactivate ${lostMachine}` }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Deactivate' }).click();
  await page.getByRole('status').filter({ hasText: 'is deactivated' }).waitFor();
  result.portal.afterDeactivation = await page.locator('#machine-rows th').allInnerTexts();

  // The software on the new machine activates with the license key alone (the seat is free again).
  const activation = await fetch(`${base}/api/v1/client/machines`, {
    method: 'POST', headers: { Authorization: `License ${licenseKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ fingerprint: newFingerprint, name: 'New laptop' }),
  });
  result.portal.newActivation = activation.status;

  // A license file for the new machine, downloaded and verified with the account's JWK Set.
  await page.getByLabel('Fingerprint of the machine').fill(newFingerprint);
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download license file' }).click();
  const file = (await readFile(await (await downloading).path(), 'utf8')).trim();
  const jwks = await (await fetch(`${base}/api/v1/accounts/${accountId}/jwks.json`)).json();
  try {
    const { payload } = await jwtVerify(file, createLocalJWKSet(jwks), { algorithms: ['EdDSA'], typ: 'license+jwt', issuer });
    result.portal.file = { valid: true, machineFingerprint: payload.machine?.fingerprint, licenseId: payload.license?.id };
  } catch (error) {
    result.portal.file = { valid: false, error: error.code ?? error.message };
  }
  await page.getByLabel('Fingerprint of the machine').fill('not-a-machine-of-this-license');
  await page.getByRole('button', { name: 'Download license file' }).click();
  result.portal.unknownFingerprint = await page.getByRole('alert').innerText();

  // What the browser kept: the key in this tab's session only, never in a URL, a cookie or local storage.
  result.portal.storage = await page.evaluate(() => ({ local: localStorage.length, session: Object.keys(sessionStorage) }));
  result.portal.cookies = (await context.cookies()).length;
  result.portal.keyInAUrl = urls.some(u => u.includes(licenseKey) || u.includes(encodeURIComponent(licenseKey)));
  await page.getByRole('button', { name: 'Sign out' }).click();
  result.portal.afterSignOut = await page.evaluate(() => sessionStorage.length);

  // The console: sign in with the API key, find the license by its key, free a seat, see the product's chart.
  const desk = await context.newPage();
  desk.on('console', noted);
  desk.on('pageerror', e => result.consoleErrors.push(e.message));
  desk.on('request', r => urls.push(r.url()));
  await desk.goto(`${base}/console`);
  await desk.getByLabel('API key').fill(apiKey);
  await desk.getByRole('button', { name: 'Sign in' }).click();
  await desk.getByRole('heading', { name: 'Products' }).waitFor();
  result.console.products = await desk.locator('#product-rows th').allInnerTexts();
  await shot(desk, 'console-products');

  await desk.getByPlaceholder('Find a license by its key').fill(licenseKey.toLowerCase());
  await desk.getByRole('button', { name: 'Find', exact: true }).click();
  await desk.getByRole('heading', { name: `License ${licenseKey}` }).waitFor();
  await desk.locator('#license-events li').first().waitFor();
  result.console.machines = await desk.locator('#license-machine-rows th').allInnerTexts();
  result.console.events = await desk.locator('#license-events strong').allInnerTexts();
  await shot(desk, 'console-license');
  await desk.getByRole('button', { name: 'Free the seat of New laptop' }).click();
  await desk.getByRole('dialog').getByRole('button', { name: 'Free seat' }).click();
  await desk.getByRole('status').filter({ hasText: 'is free' }).waitFor();
  result.console.machinesAfterFreeing = await desk.locator('#license-machine-rows th').allInnerTexts();
  result.console.seatsAfterFreeing = await desk.locator('#license-facts dd').nth(3).innerText();

  await desk.getByRole('button', { name: 'Suspend' }).click();
  await desk.getByRole('dialog').getByRole('button', { name: 'Suspend' }).click();
  await desk.getByRole('status').filter({ hasText: 'suspended' }).waitFor();
  result.console.statusAfterSuspending = await desk.locator('#license-facts dd').first().innerText();
  await desk.getByRole('button', { name: 'Reinstate' }).click();
  await desk.getByRole('status').filter({ hasText: 'reinstated' }).waitFor();
  result.console.statusAfterReinstating = await desk.locator('#license-facts dd').first().innerText();

  // Renewed to a date, and its usage reset.
  await desk.getByLabel('Renew until').fill(input.renewUntil);
  await desk.getByRole('button', { name: 'Renew' }).click();
  await desk.getByRole('status').filter({ hasText: 'now runs until' }).waitFor();
  result.console.expiresAfterRenewing = await desk.locator('#license-facts dd').nth(2).innerText();
  result.console.usageBeforeReset = await desk.locator('#license-facts dd').nth(5).innerText();
  await desk.getByRole('button', { name: 'Reset usage' }).click();
  await desk.getByRole('dialog').getByRole('button', { name: 'Reset' }).click();
  await desk.getByRole('status').filter({ hasText: 'back to 0' }).waitFor();
  result.console.usageAfterReset = await desk.locator('#license-facts dd').nth(5).innerText();

  await desk.getByRole('button', { name: 'Products' }).click();
  await desk.locator('#product-rows a').first().click();
  // The chart is projected from the events a few seconds behind them: the product is opened again until it shows
  // the day's activations and validations (or the wait gives up and the test sees what it showed).
  const today = new Date().toISOString().slice(0, 10);
  const todays = async name => Number(await desk.locator(`#chart rect.${name}[data-day="${today}"]`).getAttribute('data-count'));
  for (let attempt = 0; ; attempt++) {
    await desk.locator('#chart svg').waitFor();
    result.console.activationsToday = await todays('activations');
    result.console.validationsToday = await todays('validations');
    if (attempt === 30 || (result.console.activationsToday >= input.activationsToday && result.console.validationsToday >= input.validationsToday)) break;
    await desk.waitForTimeout(1000);
    await desk.getByRole('button', { name: 'Products' }).click();
    await desk.locator('#product-rows a').first().click();
  }
  result.console.licensesListed = await desk.locator('#license-rows th').allInnerTexts();
  await shot(desk, 'console-product');
  // The console's search names the license key in its query (a vendor's authenticated search, never logged by the
  // service); its own credential, the API key, never.
  result.keyInAUrl = urls.some(u => u.includes(apiKey));
} catch (error) {
  result.error = String(error.stack ?? error);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(result.error ? 1 : 0);

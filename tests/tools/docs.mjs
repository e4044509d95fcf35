// Opens the service's API reference (/docs) in Debian's Chromium, checks that the Products, Licenses and
// Events operations are listed, and sends a "try it" request with a real key from the page itself.
// Usage: node docs.mjs <baseUrl> <apiKey> <screenshot.png>. Prints one JSON line; exits 0 when all passed.
import { chromium } from 'playwright-core';

const [base, key, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const result = { listed: {}, tryIt: null };
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${base}/docs/`, { waitUntil: 'networkidle' });
  await page.getByText('Create a product').first().waitFor();
  if (screenshot) await page.screenshot({ path: screenshot });

  // Try it: the key goes in the page's authentication box, then "Test Request" and "Send" on List products.
  await page.getByPlaceholder('Token').first().fill(key);
  await page.getByText('List products, newest first').first().click();
  await page.locator('button', { hasText: 'get /api/v1/products)' }).first().click();
  const answered = page.waitForResponse(r => new URL(r.url()).pathname.endsWith('/api/v1/products') && r.request().method() === 'GET');
  await page.getByRole('button', { name: /^Send/i }).first().click();
  const response = await answered;
  result.tryIt = { status: response.status(), authorization: (response.request().headers()['authorization'] ?? '').startsWith('Bearer ctlg_'), body: await response.text() };
  await page.keyboard.press('Escape');

  const text = await page.innerText('body');
  for (const name of ['Products', 'Licenses', 'Events', 'Create a product', 'List products, newest first']) {
    result.listed[name] = text.includes(name);
  }
  for (const group of ['Licenses', 'Events']) {
    await page.getByText(group, { exact: true }).first().click();
  }
  const opened = await page.innerText('body');
  for (const name of ['Issue a license key for a product', 'Validate a license key', 'Read the event log, oldest first']) {
    result.listed[name] = opened.includes(name);
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
const ok = Object.values(result.listed).every(Boolean) && result.tryIt?.status === 200 && result.tryIt.authorization;
process.exit(ok ? 0 : 1);

// The vendor's support desk: an API key, the public REST API, and nothing the key's scopes do not allow (the
// service refuses, and the page says so in words).
import { call, confirmThat, el, facts, inWords, keyOfThisTab, licenseFacts, ofLimit, show, signInAndOut, tell, when } from './common.js';

const key = keyOfThisTab('catalog.console.apiKey');
const $ = id => document.getElementById(id);
const message = () => $('message');
const api = (method, path, body) => call(`Bearer ${key.get()}`, method, path, body);
const sections = ['products', 'product', 'license'];
let current = { product: null, license: null, cursor: null };

function only(section) {
  for (const id of sections) $(id).hidden = id !== section;
}

function failed(result) {
  tell(message(), inWords(result, 'API key'), true);
}

async function products() {
  const result = await api('GET', '/api/v1/products?limit=100');
  if (result.problem) {
    failed(result);
    return result.status !== 401;
  }
  tell(message(), '');
  $('sign-in').hidden = true;
  $('nav').hidden = false;
  only('products');
  show($('product-rows'), result.data.length === 0
    ? [el('tr', {}, el('td', { colspan: 4 }, 'No product yet.'))]
    : result.data.map(p => el('tr', {},
        el('th', { scope: 'row' }, el('a', { href: '#', onclick: e => { e.preventDefault(); showProduct(p.id); } }, p.name)),
        el('td', {}, p.code), el('td', {}, p.licensesCount), el('td', {}, when(p.createdAt)))));
  return true;
}

async function showProduct(id) {
  const result = await api('GET', `/api/v1/products/${encodeURIComponent(id)}`);
  if (result.problem) return failed(result);
  const p = result.data;
  current = { product: p, license: null, cursor: null };
  tell(message(), '');
  only('product');
  $('product-title').textContent = p.name;
  show($('product-facts'), facts([['Code', p.code], ['Key prefix', p.keyPrefix], ['Licenses', p.licensesCount], ['Created', when(p.createdAt)]]));
  const policies = await api('GET', `/api/v1/products/${encodeURIComponent(id)}/policies?limit=100`);
  show($('policy-rows'), policies.problem
    ? [el('tr', {}, el('td', { colspan: 5 }, inWords(policies, 'API key')))]
    : policies.data.length === 0
      ? [el('tr', {}, el('td', { colspan: 5 }, 'No policy.'))]
      : policies.data.map(x => el('tr', {}, el('th', { scope: 'row' }, x.name),
          el('td', {}, x.duration ? `${Math.round(x.duration / 86400)} days` : 'perpetual'),
          el('td', {}, x.maxMachines ?? 'no limit'), el('td', {}, x.maxConcurrent ?? '—'), el('td', {}, x.maxUses ?? 'no limit'))));
  await licenses(false);
  await chart(p.id);
}

async function licenses(more) {
  const status = $('status-filter').value;
  const query = new URLSearchParams({ productId: current.product.id, limit: '50' });
  if (status) query.set('status', status);
  if (more && current.cursor) query.set('cursor', current.cursor);
  const result = await api('GET', `/api/v1/licenses?${query}`);
  const rows = result.problem
    ? [el('tr', {}, el('td', { colspan: 4 }, inWords(result, 'API key')))]
    : result.data.map(l => el('tr', {},
        el('th', { scope: 'row' }, el('a', { href: '#', class: 'key', onclick: e => { e.preventDefault(); license(l.id); } }, l.key)),
        el('td', {}, el('span', { class: `status ${l.status}` }, l.status)),
        el('td', {}, ofLimit(l.machinesCount, l.maxMachines)), el('td', {}, when(l.expiresAt)))) ;
  if (more) $('license-rows').append(...rows); else show($('license-rows'), rows.length ? rows : [el('tr', {}, el('td', { colspan: 4 }, 'No license.'))]);
  current.cursor = result.json?.pagination?.nextCursor ?? null;
  $('more-licenses').hidden = !result.json?.pagination?.hasMore;
}

/** The product's activations and validations per day over the last 14 days, from the service (projected from its events). */
async function chart(productId) {
  const result = await api('GET', `/api/v1/products/${encodeURIComponent(productId)}/activity?days=14`);
  if (result.problem) return show($('chart'), el('p', { class: 'hint' }, inWords(result, 'API key')));
  drawBars($('chart'), result.data);
}

/** Grouped bars in SVG, drawn here (no chart library, no third-party service), with a table for screen readers. */
function drawBars(figure, days) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = (tag, attributes, text) => {
    const node = document.createElementNS(ns, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const series = [['activations', 'Activations'], ['validations', 'Validations']];
  const width = 760, height = 200, bottom = 24, top = 18, gap = 10;
  const max = Math.max(1, ...days.flatMap(d => series.map(([name]) => d[name])));
  const group = (width - gap) / days.length - gap;
  const bar = group / series.length;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'bars',
    'aria-label': 'Activations and validations per day (the table below lists them)' });
  days.forEach((d, i) => {
    const x = gap + i * (group + gap);
    series.forEach(([name], j) => {
      const h = Math.round((height - bottom - top) * d[name] / max);
      chart.append(svg('rect', { x: x + j * bar, y: height - bottom - h, width: bar - 1, height: h, class: `bar ${name}`, 'data-day': d.day, 'data-count': d[name] }));
      if (d[name] > 0) chart.append(svg('text', { x: x + j * bar + bar / 2, y: height - bottom - h - 4, 'text-anchor': 'middle', class: 'count' }, String(d[name])));
    });
    chart.append(svg('text', { x: x + group / 2, y: height - 6, 'text-anchor': 'middle', class: 'day' }, d.day.slice(5)));
  });
  const legend = el('figcaption', { class: 'legend' }, series.map(([name, label]) => el('span', { class: `swatch ${name}` }, label)));
  const table = el('table', { class: 'visually-hidden' },
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Day'), series.map(([, label]) => el('th', { scope: 'col' }, label)))),
    el('tbody', {}, days.map(d => el('tr', {}, el('td', {}, d.day), series.map(([name]) => el('td', {}, d[name]))))));
  show(figure, chart, legend, table);
}

async function findByKey(event) {
  event.preventDefault();
  const typed = $('find-key').value.trim().toUpperCase();
  if (!typed) return;
  // A search, not a validation: it is not counted among the license's validations.
  const result = await api('GET', `/api/v1/licenses?key=${encodeURIComponent(typed)}`);
  if (result.problem) return tell(message(), result.status === 400 ? 'This is not a license key: it looks like ABC-XXXX-XXXX-XXXX-XXXX.' : inWords(result, 'API key'), true);
  if (result.data.length === 0) return tell(message(), 'No license of this account has this key.', true);
  $('find-key').value = '';
  await license(result.data[0].id);
}

async function license(id) {
  const result = await api('GET', `/api/v1/licenses/${encodeURIComponent(id)}`);
  if (result.problem) return failed(result);
  const l = result.data;
  const product = await api('GET', `/api/v1/products/${encodeURIComponent(l.productId)}`);
  current.license = l;
  only('license');
  $('license-title').textContent = `License ${l.key}`;
  show($('license-facts'), licenseFacts(l, product.problem ? l.productId
    : el('a', { href: '#', onclick: e => { e.preventDefault(); showProduct(l.productId); } }, `${product.data.name} (${product.data.code})`)));
  $('suspend').hidden = l.status !== 'active';
  $('reinstate').hidden = l.status !== 'suspended';
  $('reset-usage').hidden = l.uses === 0;

  const machines = await api('GET', `/api/v1/licenses/${encodeURIComponent(id)}/machines?limit=100`);
  show($('license-machine-rows'), machines.problem
    ? [el('tr', {}, el('td', { colspan: 5 }, inWords(machines, 'API key')))]
    : machines.data.length === 0 ? [el('tr', {}, el('td', { colspan: 5 }, 'No machine.'))]
      : machines.data.map(m => el('tr', {},
          el('th', { scope: 'row' }, m.name ?? '(unnamed)'), el('td', { class: 'key' }, m.fingerprint),
          el('td', {}, when(m.activatedAt)), el('td', {}, when(m.lastHeartbeatAt, '—')),
          el('td', {}, el('button', { type: 'button', class: 'danger', 'aria-label': `Free the seat of ${m.name ?? m.fingerprint}`,
            onclick: () => freeSeat(m) }, 'Free seat')))));

  const leases = await api('GET', `/api/v1/licenses/${encodeURIComponent(id)}/leases?limit=100`);
  show($('lease-rows'), leases.problem
    ? [el('tr', {}, el('td', { colspan: 3 }, inWords(leases, 'API key')))]
    : leases.data.length === 0 ? [el('tr', {}, el('td', { colspan: 3 }, 'No lease.'))]
      : leases.data.map(x => el('tr', {}, el('td', {}, when(x.grantedAt)), el('td', {}, when(x.expiresAt)), el('td', {}, x.borrowed ? 'yes' : 'no'))));
  await events(l.id);
}

/** The license's stream (its machines, leases, usage, suspensions), newest first: its last 1,000 events at most. */
async function events(licenseId) {
  const found = [];
  let cursor = null;
  for (let page = 0; page < 100; page++) {
    const query = new URLSearchParams({ streamId: licenseId, limit: '100' });
    if (cursor) query.set('cursor', cursor);
    const result = await api('GET', `/api/v1/events?${query}`);
    if (result.problem) return show($('license-events'), el('li', {}, inWords(result, 'API key')));
    found.push(...result.data);
    if (found.length > 1000) found.splice(0, found.length - 1000);
    cursor = result.json?.pagination?.nextCursor;
    if (!result.json?.pagination?.hasMore || !cursor) break;
  }
  show($('license-events'), found.length === 0 ? [el('li', {}, 'No event yet.')]
    : found.reverse().map(e => el('li', {}, el('time', { datetime: e.occurredAt }, when(e.occurredAt)), ' ', el('strong', {}, e.type),
        e.data?.name ? ` (${e.data.name})` : '')));
}

async function act(method, path, body, done) {
  const result = await api(method, path, body);
  if (result.problem) return failed(result);
  await license(current.license.id);
  tell(message(), done);
}

async function freeSeat(machine) {
  const name = machine.name ?? machine.fingerprint;
  if (!await confirmThat(`Free the seat of ${name}? The software there stops working, even with a license file.`, 'Free seat')) return;
  await act('DELETE', `/api/v1/machines/${encodeURIComponent(machine.id)}?force=true`, undefined, `The seat of ${name} is free.`);
}

$('to-products').addEventListener('click', products);
$('find').addEventListener('submit', findByKey);
$('license-filter').addEventListener('submit', e => { e.preventDefault(); licenses(false); });
$('more-licenses').addEventListener('click', () => licenses(true));
$('suspend').addEventListener('click', async () => {
  if (await confirmThat('Suspend this license? Its software stops validating until it is reinstated.', 'Suspend'))
    await act('POST', `/api/v1/licenses/${current.license.id}/suspend`, undefined, 'The license is suspended.');
});
$('reinstate').addEventListener('click', () => act('POST', `/api/v1/licenses/${current.license.id}/reinstate`, undefined, 'The license is reinstated.'));
$('reset-usage').addEventListener('click', async () => {
  if (await confirmThat('Reset the usage of this license to 0?', 'Reset'))
    await act('POST', `/api/v1/licenses/${current.license.id}/usage/reset`, undefined, 'Its usage is back to 0.');
});
$('renew').addEventListener('submit', e => {
  e.preventDefault();
  const until = $('renew-until').value;
  act('PATCH', `/api/v1/licenses/${current.license.id}`, { expiresAt: `${until}T23:59:59Z` }, `The license now runs until ${until}.`);
});
signInAndOut({ key, input: $('api-key'), open: products, signedIn: [...sections, 'nav'], message: message() });

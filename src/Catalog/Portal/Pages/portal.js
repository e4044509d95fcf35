// The license holder's portal: the license key alone, and only the client endpoints (the same the software calls),
// so it can do nothing the software itself could not.
import { call, confirmThat, download, el, inWords, keyOfThisTab, licenseFacts, show, signInAndOut, tell, when } from './common.js';

const key = keyOfThisTab('catalog.portal.licenseKey');
const $ = id => document.getElementById(id);
const message = () => $('message');
const api = (method, path, body) => call(`License ${key.get()}`, method, path, body);

/** Reads the license and its machines; false (and why, in words) when the key does not open it. */
async function load() {
  const license = await api('GET', '/api/v1/client/license');
  if (license.problem) {
    tell(message(), inWords(license, 'license key'), true);
    return false;
  }
  const [product, machines] = await Promise.all([api('GET', '/api/v1/client/product'), api('GET', '/api/v1/client/machines')]);
  tell(message(), '');
  $('sign-in').hidden = true;
  $('sign-out').hidden = false;
  showLicense(license.data, product.problem ? license.data.productId
    : `${product.data.name}${product.data.deletedAt ? ' (no longer sold)' : ''}`);
  showMachines(machines.problem ? [] : machines.data);
  if (machines.problem) tell(message(), inWords(machines, 'license key'), true);
  $('file').hidden = false;
  return true;
}

function showLicense(l, product) {
  $('license').hidden = false;
  show($('license-facts'), licenseFacts(l, product));
}

function showMachines(machines) {
  $('machines').hidden = false;
  show($('machine-rows'), machines.length === 0
    ? [el('tr', {}, el('td', { colspan: 4 }, 'No machine is activated.'))]
    : machines.map(m => el('tr', {},
        el('th', { scope: 'row' }, m.name ?? '(unnamed)'),
        el('td', {}, when(m.activatedAt)),
        el('td', {}, when(m.lastHeartbeatAt, '—')),
        el('td', {}, el('button', { type: 'button', class: 'danger', 'aria-label': `Deactivate ${m.name ?? 'this machine'}`,
          onclick: () => deactivate(m) }, 'Deactivate')))));
}

async function deactivate(machine) {
  const name = machine.name ?? 'this machine';
  if (!await confirmThat(`Deactivate ${name}? The software on it stops working there until it is activated again.`, 'Deactivate')) return;
  const result = await api('DELETE', `/api/v1/client/machines/by-id/${encodeURIComponent(machine.id)}`);
  if (result.problem) return tell(message(), inWords(result, 'license key'), true);
  await load();
  tell(message(), `${name} is deactivated: its seat is free.`);
}

async function downloadFile(event) {
  event.preventDefault();
  const fingerprint = $('fingerprint').value.trim();
  const result = await api('POST', '/api/v1/client/license-file', { fingerprint });
  if (result.problem) {
    const notActive = result.problem.code === 'NOT_ACTIVATED';
    return tell(message(), notActive ? 'No active machine has this fingerprint: activate the software on it first.' : inWords(result, 'license key'), true);
  }
  download('license.lic', result.data.file);
  tell(message(), `License file downloaded. It is valid until ${when(result.data.expiresAt)}.`);
}

$('file-form').addEventListener('submit', downloadFile);
signInAndOut({ key, input: $('key'), normalize: x => x.toUpperCase(), open: load,
  signedIn: ['license', 'machines', 'file', 'sign-out'], message: message() });

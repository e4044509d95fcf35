// Shared by the portal and the console: calls to the service, its errors in plain words, and pages built from DOM
// nodes (never from HTML strings, so nothing the service returns can run as script).

/** An element: attributes (on* as listeners), then children (strings become text). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replaces what a node shows. */
export function show(node, ...children) {
  node.replaceChildren(...children.flat().filter(x => x !== undefined && x !== null && x !== false)
    .map(x => x instanceof Node ? x : document.createTextNode(String(x))));
}

/** The key of this tab: sessionStorage lives and dies with the tab, and is never sent anywhere by the browser itself. */
export function keyOfThisTab(name) {
  return {
    get: () => sessionStorage.getItem(name),
    set: value => sessionStorage.setItem(name, value),
    clear: () => sessionStorage.removeItem(name),
  };
}

/**
 * A page's sign-in form (#sign-in) and "Sign out" button (#sign-out): the key typed in `input` is kept for this tab
 * when `open` (which shows the signed-in page) accepts it; signing out forgets it and hides the `signedIn` elements.
 * A key kept from earlier in this tab opens the page at once.
 */
export function signInAndOut({ key, input, normalize = x => x, open, signedIn, message }) {
  const form = document.getElementById('sign-in');
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const typed = normalize(input.value.trim());
    if (!typed) return;
    key.set(typed);
    input.value = '';
    if (!await open()) key.clear();
  });
  document.getElementById('sign-out').addEventListener('click', () => {
    key.clear();
    for (const id of signedIn) document.getElementById(id).hidden = true;
    form.hidden = false;
    tell(message, 'You are signed out.');
    input.focus();
  });
  if (key.get()) open(); else input.focus();
}

/** A call to the service: {status, data, problem}. The key goes in the Authorization header, never in the URL. */
export async function call(authorization, method, path, body) {
  const headers = { Authorization: authorization, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  // A change carries an Idempotency-Key: a retried click never does it twice.
  if (method === 'POST') headers['Idempotency-Key'] = idempotencyKey();
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'omit' });
  } catch {
    return { status: 0, problem: { title: 'The service cannot be reached. Check your connection and try again.' } };
  }
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (response.ok) return { status: response.status, data: json?.data ?? json, json };
  return { status: response.status, problem: json ?? { title: response.statusText } };
}

/** A random key (crypto.randomUUID exists only on HTTPS and localhost; getRandomValues everywhere). */
function idempotencyKey() {
  return [...crypto.getRandomValues(new Uint8Array(16))].map(b => b.toString(16).padStart(2, '0')).join('');
}

/** A problem in words a customer understands. */
export function inWords(result, what = 'key') {
  const p = result.problem ?? {};
  switch (result.status) {
    case 401: return `This ${what} is not recognised, or it no longer works. Check it and try again.`;
    case 403: return p.detail ?? p.title ?? `This ${what} may not do that.`;
    case 404: return p.detail ?? 'It was not found: it may have been removed meanwhile.';
    case 429: return 'Too many attempts in a short time. Wait a few seconds and try again.';
    case 503: return 'The service is unavailable for a moment. Try again shortly.';
    case 0: return p.title;
    default: {
      const fields = p.errors ? Object.entries(p.errors).map(([field, messages]) => `${field}: ${[].concat(messages).join(', ')}`) : [];
      return [p.detail ?? p.title ?? 'Something went wrong.', ...fields].join(' ');
    }
  }
}

/** A time as the reader's locale writes it; "never" for none. */
export function when(iso, none = 'never') {
  if (!iso) return none;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** "3 of 5", "3 (no limit)". */
export function ofLimit(used, limit) {
  return limit === null || limit === undefined ? `${used} (no limit)` : `${used} of ${limit}`;
}

/** Facts as a description list. */
export function facts(pairs) {
  return el('dl', { class: 'facts' }, pairs.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]));
}

/** A message for the reader: role=status for news, role=alert for errors (read out by screen readers). */
export function tell(node, text, isError = false) {
  node.className = isError ? 'message error' : 'message';
  node.setAttribute('role', isError ? 'alert' : 'status');
  node.textContent = text;
  node.hidden = !text;
}

/** Asks before something that cannot be undone, in the page's <dialog id="confirm">. Resolves true or false. */
export function confirmThat(text, yes) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = text;
  const ok = document.getElementById('confirm-ok');
  ok.textContent = yes;
  return new Promise(resolve => {
    const done = answer => () => { dialog.close(); resolve(answer); };
    ok.onclick = done(true);
    document.getElementById('confirm-cancel').onclick = done(false);
    dialog.oncancel = () => resolve(false);
    dialog.showModal();
  });
}

/** Saves text as a file the reader downloads. */
export function download(name, text, type = 'application/jwt') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = el('a', { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A license's facts, as both pages show them (the product's cell is the page's). */
export function licenseFacts(l, product) {
  return facts([
    ['Status', el('span', { class: `status ${l.status}` }, l.status)],
    ['Product', product],
    ['Expires', when(l.expiresAt, 'never (perpetual)')],
    ['Seats in use', ofLimit(l.machinesCount, l.maxMachines)],
    ['Leases in use', l.maxConcurrent === null ? 'not needed' : ofLimit(l.leasesCount, l.maxConcurrent)],
    ['Usage', ofLimit(l.uses, l.maxUses)],
    ['Features', l.entitlements.length ? l.entitlements.join(', ') : 'none'],
    ['Issued', when(l.createdAt)],
  ]);
}

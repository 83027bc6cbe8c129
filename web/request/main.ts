import type { IntakeBody, IntakeChallenge, IntakeReceipt, Problem } from '../src/api/contract';
import { ConfigUnavailable, loadConfig } from '../src/lib/config';
import { zonedInputToIso, zoneName } from '../src/lib/time';
import { E164, normalisePhone } from './phone';
import './request.css';

/**
 * The public "Request a ride" page: plain TypeScript and the DOM, no framework (it must be small
 * on a phone). The form carries the same bounds as the API's IntakeBody; the API stays the judge,
 * and its problem+json errors are shown next to their fields with a summary at the top.
 *
 * The ALTCHA proof of work is fetched on load and solved in a module worker while the person types;
 * sending waits for it with a visible, announced status.
 */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = byId<HTMLFormElement>('request-form');
const summary = byId<HTMLDivElement>('summary');
const checkStatus = byId<HTMLParagraphElement>('check-status');
const sendButton = byId<HTMLButtonElement>('send');

/** Field paths as the API names them → the control that takes focus for that error. */
const FOCUS_FOR: Record<string, string> = {
  fullName: 'fullName',
  phone: 'phone',
  email: 'email',
  dateOfBirth: 'dateOfBirth',
  pickupAddress: 'pickupAddress',
  dropoffAddress: 'dropoffAddress',
  appointmentAt: 'appointmentDate',
  requestedPickupAt: 'pickupTime',
  returnTrip: 'returnTrip',
  requestedReturnAt: 'returnTime',
  mobility: 'mobility',
  oxygen: 'oxygen',
  companions: 'companions',
  notes: 'notes',
  notifyChannel: 'notifyChannel',
  notifyConsent: 'notifyConsent',
};
const LABELS: Record<string, string> = {
  fullName: 'Name',
  phone: 'Phone number',
  email: 'Email',
  dateOfBirth: 'Date of birth',
  pickupAddress: 'Pick up from',
  dropoffAddress: 'Going to',
  appointmentAt: 'Appointment date and time',
  requestedPickupAt: 'Pickup time',
  returnTrip: 'Ride back',
  requestedReturnAt: 'Ride back time',
  mobility: 'How they get around',
  oxygen: 'Oxygen',
  companions: 'People riding along',
  notes: 'Notes for the driver',
  notifyChannel: 'Messages',
  notifyConsent: 'Permission to send messages',
};

let timeZone = '';

// ---- the proof of work ----------------------------------------------------------------------

type Proof =
  | { state: 'idle' }
  | { state: 'solving'; done: Promise<string | null> }
  | { state: 'solved'; payload: string; expiresAt: number };
let proof: Proof = { state: 'idle' };

async function fetchChallenge(): Promise<IntakeChallenge> {
  const response = await fetch('/v1/intake/challenge', { cache: 'no-store', headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`challenge ${response.status}`);
  return (await response.json()) as IntakeChallenge;
}

/** Starts (or restarts) solving a fresh challenge; resolves to the base64 payload, or null. */
function startProof(): Promise<string | null> {
  const done = (async () => {
    try {
      const challenge = await fetchChallenge();
      const worker = new Worker(new URL('./pow-worker.ts', import.meta.url), { type: 'module' });
      const solution = await new Promise<{ number: number; took: number } | null>((resolve) => {
        worker.onmessage = (event: MessageEvent<{ number: number; took: number } | null>) => resolve(event.data);
        worker.onerror = () => resolve(null);
        worker.postMessage({
          algorithm: challenge.algorithm,
          challenge: challenge.challenge,
          salt: challenge.salt,
          maxnumber: challenge.maxnumber,
        });
      });
      worker.terminate();
      if (!solution) return null;
      const payload = btoa(JSON.stringify({
        algorithm: challenge.algorithm,
        challenge: challenge.challenge,
        number: solution.number,
        salt: challenge.salt,
        signature: challenge.signature,
        took: solution.took,
      }));
      proof = { state: 'solved', payload, expiresAt: expiryOf(challenge) };
      return payload;
    } catch {
      proof = { state: 'idle' };
      return null;
    }
  })();
  proof = { state: 'solving', done };
  return done;
}

/** When the challenge stops being accepted (altcha-lib puts `expires`, in seconds, in the salt's parameters). */
function expiryOf(challenge: IntakeChallenge): number {
  const expires = Number(new URLSearchParams(challenge.salt.split('?')[1] ?? '').get('expires'));
  return Number.isFinite(expires) && expires > 0 ? expires * 1000 : Number.POSITIVE_INFINITY;
}

async function awaitProof(): Promise<string | null> {
  // Someone who took longer than the challenge lives (10 minutes) gets a fresh one, not a refusal.
  if (proof.state === 'solved' && Date.now() < proof.expiresAt - 30_000) return proof.payload;
  if (proof.state === 'solving') return proof.done;
  return startProof();
}

// ---- errors ---------------------------------------------------------------------------------

function clearErrors(): void {
  for (const element of form.querySelectorAll<HTMLElement>('.error')) {
    element.hidden = true;
    element.textContent = '';
  }
  for (const element of form.querySelectorAll<HTMLElement>('[aria-invalid]')) element.removeAttribute('aria-invalid');
  summary.hidden = true;
  summary.replaceChildren();
}

function showFieldError(path: string, message: string): void {
  const slot = document.getElementById(`${path}-error`);
  if (slot) {
    slot.textContent = message;
    slot.hidden = false;
  }
  const target = document.getElementById(FOCUS_FOR[path] ?? path);
  if (target && !(target instanceof HTMLFieldSetElement)) target.setAttribute('aria-invalid', 'true');
}

/** The summary at the top, focused, with a link to each field that needs fixing. */
function showSummary(title: string, errors: { path: string; message: string }[], extra?: string): void {
  const heading = document.createElement('h2');
  heading.textContent = title;
  summary.replaceChildren(heading);
  if (extra) {
    const p = document.createElement('p');
    p.textContent = extra;
    summary.append(p);
  }
  if (errors.length > 0) {
    const list = document.createElement('ul');
    for (const error of errors) {
      const item = document.createElement('li');
      const link = document.createElement('a');
      const targetId = FOCUS_FOR[error.path] ?? error.path;
      link.href = `#${targetId}`;
      link.textContent = `${LABELS[error.path] ?? 'This answer'}: ${error.message}`;
      link.addEventListener('click', (event) => {
        event.preventDefault();
        const target = document.getElementById(targetId);
        const focusable = target instanceof HTMLFieldSetElement ? target.querySelector<HTMLElement>('input') : target;
        focusable?.focus();
      });
      item.append(link);
      list.append(item);
    }
    summary.append(list);
  }
  summary.hidden = false;
  summary.focus();
}

// ---- reading the form -----------------------------------------------------------------------

function value(id: string): string {
  return (byId<HTMLInputElement | HTMLTextAreaElement>(id).value ?? '').trim();
}
function checked(name: string): string {
  return form.querySelector<HTMLInputElement>(`input[name="${name}"]:checked`)?.value ?? '';
}

type Draft = Omit<IntakeBody, 'altcha'>;

function readForm(): { body: Draft | null; errors: { path: string; message: string }[] } {
  const errors: { path: string; message: string }[] = [];
  const need = (path: string, text: string, max: number, message: string) => {
    if (!text) errors.push({ path, message });
    else if (text.length > max) errors.push({ path, message: `Please keep it under ${max} characters.` });
  };
  const fullName = value('fullName');
  need('fullName', fullName, 200, 'Enter the name of the person who needs the ride.');
  const phone = normalisePhone(value('phone'));
  if (!value('phone')) errors.push({ path: 'phone', message: 'Enter a phone number we can reach.' });
  else if (!E164.test(phone)) errors.push({ path: 'phone', message: 'This does not look like a phone number. Example: 555 010 0777.' });
  const email = value('email');
  const notifyChannel = checked('notifyChannel') as Draft['notifyChannel'];
  if (email && (!EMAIL.test(email) || email.length > 254)) errors.push({ path: 'email', message: 'This does not look like an email address.' });
  if (!email && notifyChannel === 'email') errors.push({ path: 'email', message: 'Enter an email address, or choose another way to hear from us.' });
  const dateOfBirth = value('dateOfBirth');
  if (dateOfBirth && !/^\d{4}-\d{2}-\d{2}$/.test(dateOfBirth)) errors.push({ path: 'dateOfBirth', message: 'Enter the date of birth as a date.' });
  const pickupAddress = value('pickupAddress');
  need('pickupAddress', pickupAddress, 500, 'Enter where to pick them up.');
  const dropoffAddress = value('dropoffAddress');
  need('dropoffAddress', dropoffAddress, 500, 'Enter where they are going.');
  const date = value('appointmentDate');
  const appointmentAt = zonedInputToIso(date, value('appointmentTime'), timeZone);
  if (!appointmentAt) errors.push({ path: 'appointmentAt', message: 'Enter the date and the time of the appointment.' });
  else if (Date.parse(appointmentAt) < Date.now()) errors.push({ path: 'appointmentAt', message: 'This time has already passed. Check the date.' });
  const pickupTime = value('pickupTime');
  const requestedPickupAt = pickupTime ? zonedInputToIso(date, pickupTime, timeZone) : null;
  const returnTrip = (checked('returnTrip') || 'none') as Draft['returnTrip'];
  const returnTime = value('returnTime');
  const requestedReturnAt = returnTrip === 'scheduled' && returnTime ? zonedInputToIso(date, returnTime, timeZone) : null;
  if (returnTrip === 'scheduled' && !returnTime) errors.push({ path: 'requestedReturnAt', message: 'Enter the time for the ride back, or choose another option.' });
  const mobility = (checked('mobility') || 'ambulatory') as Draft['mobility'];
  const oxygen = byId<HTMLInputElement>('oxygen').checked;
  const companions = Number(byId<HTMLSelectElement>('companions').value) || 0;
  const notes = value('notes');
  if (notes.length > 2000) errors.push({ path: 'notes', message: 'Please keep it under 2000 characters.' });
  const consent = byId<HTMLInputElement>('notifyConsent').checked;
  if (notifyChannel !== 'none' && !consent) {
    errors.push({ path: 'notifyConsent', message: 'Tick the box so we may send messages, or choose "No messages".' });
  }
  if (errors.length > 0 || !appointmentAt) return { body: null, errors };
  return {
    errors,
    body: {
      fullName,
      phone,
      ...(email ? { email } : {}),
      ...(dateOfBirth ? { dateOfBirth } : {}),
      pickupAddress,
      dropoffAddress,
      appointmentAt,
      ...(requestedPickupAt ? { requestedPickupAt } : {}),
      returnTrip,
      ...(requestedReturnAt ? { requestedReturnAt } : {}),
      mobility,
      oxygen,
      companions,
      ...(notes ? { notes } : {}),
      notifyChannel,
      notifyConsent: notifyChannel !== 'none' && consent,
    },
  };
}

// ---- sending --------------------------------------------------------------------------------

let sending = false;

async function send(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  if (sending) return;
  clearErrors();
  const { body, errors } = readForm();
  if (!body) {
    for (const error of errors) showFieldError(error.path, error.message);
    showSummary(errors.length === 1 ? 'One answer needs fixing' : `${errors.length} answers need fixing`, errors);
    return;
  }
  sending = true;
  sendButton.disabled = true;
  try {
    const ready = proof.state === 'solved' && Date.now() < proof.expiresAt - 30_000;
    if (!ready) checkStatus.textContent = 'Checking this browser before sending. This takes a few seconds…';
    const altcha = await awaitProof();
    if (!altcha) {
      checkStatus.textContent = '';
      showSummary('We could not prepare the request', [], 'Check your connection, then press "Send the request" again.');
      return;
    }
    checkStatus.textContent = 'Sending…';
    let response: Response;
    try {
      response = await fetch('/v1/intake/trip-requests', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ ...body, altcha } satisfies IntakeBody),
      });
    } catch {
      checkStatus.textContent = '';
      showSummary('The request was not sent', [], 'We could not reach the server. Check your connection and press "Send the request" again.');
      return;
    }
    // Each proof is accepted once: the next attempt needs a new one, whatever happened.
    proof = { state: 'idle' };
    if (response.status === 202) {
      const receipt = (await response.json()) as IntakeReceipt;
      showReceipt(receipt.receiptCode);
      return;
    }
    checkStatus.textContent = '';
    await showProblem(response);
    void startProof();
  } finally {
    sending = false;
    sendButton.disabled = false;
    if (checkStatus.textContent === 'Sending…') checkStatus.textContent = '';
  }
}

async function showProblem(response: Response): Promise<void> {
  let problem: Partial<Problem> = {};
  try {
    problem = (await response.json()) as Partial<Problem>;
  } catch {
    problem = {};
  }
  const slug = problem.type?.split(':').pop();
  if (slug === 'challenge-failed') {
    showSummary('Please send it again', [], 'We could not verify the request, so we are preparing a new check. Press "Send the request" again. Your answers are still here.');
    return;
  }
  const errors = (problem.errors ?? []).filter((error) => error.path !== 'altcha');
  if (errors.length > 0) {
    for (const error of errors) showFieldError(error.path, error.message);
    showSummary(errors.length === 1 ? 'One answer needs fixing' : `${errors.length} answers need fixing`, errors);
    return;
  }
  if (response.status === 429) {
    showSummary('Too many requests just now', [], 'Please wait a minute, then press "Send the request" again.');
    return;
  }
  showSummary('The request was not sent', [], `${problem.detail ?? 'Something went wrong on our side.'} Please try again in a moment, or call us.`);
}

function showReceipt(code: string): void {
  form.reset();
  form.hidden = true;
  summary.hidden = true;
  byId('receipt').textContent = code;
  const done = byId<HTMLElement>('done');
  done.hidden = false;
  byId<HTMLElement>('done-title').focus();
}

// ---- start ----------------------------------------------------------------------------------

function syncDependentFields(): void {
  byId('returnTime-field').hidden = checked('returnTrip') !== 'scheduled';
  byId('consent-field').hidden = checked('notifyChannel') === 'none';
}

async function start(): Promise<void> {
  form.addEventListener('submit', (event) => void send(event));
  form.addEventListener('change', syncDependentFields);
  byId('again').addEventListener('click', () => {
    byId('done').hidden = true;
    form.hidden = false;
    syncDependentFields();
    void startProof();
    byId<HTMLElement>('page-title').focus();
  });
  syncDependentFields();
  try {
    const config = await loadConfig();
    timeZone = config.timeZone;
    byId('provider').textContent = config.providerName;
    byId('zone-hint').textContent = `Times are ${config.providerName}'s local time (${zoneName(timeZone)}).`;
    const today = new Date().toISOString().slice(0, 10);
    byId<HTMLInputElement>('appointmentDate').min = today;
    byId<HTMLInputElement>('dateOfBirth').max = today;
  } catch (error) {
    form.hidden = true;
    const notice = byId('unavailable');
    const why = error instanceof ConfigUnavailable ? 'its settings could not be loaded' : 'something went wrong while it was starting';
    notice.textContent = `Sorry, the request form is not available right now: ${why}. Please try again later, or phone us to book the ride.`;
    notice.hidden = false;
    return;
  }
  void startProof();
}

void start();

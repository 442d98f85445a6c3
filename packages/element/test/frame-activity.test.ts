import { expect } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { DOCUMENT_ACTIVITY_EVENTS, WINDOW_ACTIVITY_EVENTS } from '../src/activity-controller.js';
import { FRAME_ACTIVITY_MESSAGE, watchFrameActivity } from '../src/frame-activity.js';
import type { FrameActivityOptions } from '../src/frame-activity.js';
import { watchErrors } from './helpers.js';

const EVENTS = { window: WINDOW_ACTIVITY_EVENTS, document: DOCUMENT_ACTIVITY_EVENTS };

const FIXTURE = '/test/frame-activity-frame.html';

let host: HTMLElement;
let stops: (() => void)[];
let watcher: ReturnType<typeof watchErrors>;
let calls: number;

beforeEach(() => {
  host = document.createElement('div');
  document.body.append(host);
  stops = [];
  calls = 0;
  watcher = watchErrors();
});

afterEach(() => {
  for (const stop of stops) stop();
  host.remove();
  watcher.stop();
  expect(watcher.errors, 'uncaught errors').to.deep.equal([]);
});

/** Starts watching `document`, counting calls in `calls`; stopped after each test. */
function watch(options?: FrameActivityOptions): () => void {
  const stop = watchFrameActivity(document, () => calls++, EVENTS, options);
  stops.push(stop);
  return stop;
}

/** Resolves on the next `load` event of `frame`. */
function nextLoad(frame: HTMLIFrameElement): Promise<void> {
  return new Promise((resolve) => frame.addEventListener('load', () => resolve(), { once: true }));
}

/** Appends `frame` to `parent` and waits for the load of the document with the given URL. */
async function append(parent: Element, frame: HTMLIFrameElement, url = 'about:srcdoc'): Promise<HTMLIFrameElement> {
  const loaded = nextLoad(frame);
  parent.append(frame);
  await loaded;
  while (frame.contentDocument?.URL !== url) await nextLoad(frame);
  return frame;
}

/** A same-origin `srcdoc` iframe, loaded. */
function srcdocFrame(html: string, parent: Element = host): Promise<HTMLIFrameElement> {
  const frame = document.createElement('iframe');
  frame.srcdoc = html;
  return append(parent, frame);
}

function docOf(frame: HTMLIFrameElement): Document {
  const doc = frame.contentDocument;
  if (!doc) throw new Error('frame has no readable document');
  return doc;
}

/** Sends what typing one key sends: keydown on the focus target (bubbling to the window), then input. */
function type(doc: Document): void {
  const target = doc.querySelector('input') ?? doc.body;
  target.dispatchEvent(new KeyboardEvent('keydown', { bubbles: true, key: 'a' }));
  target.dispatchEvent(new Event('input', { bubbles: true }));
}

interface Registration {
  readonly target: EventTarget;
  readonly type: string;
  readonly listener: unknown;
  readonly capture: boolean;
}

/** Records the listeners currently added to `targets` (own-property wrappers of add/removeEventListener). */
function spyListeners(...targets: EventTarget[]): Registration[] {
  const active: Registration[] = [];
  const captureOf = (options?: boolean | EventListenerOptions): boolean => (typeof options === 'boolean' ? options : !!options?.capture);
  const indexOf = (r: Omit<Registration, 'capture'> & { capture: boolean }): number =>
    active.findIndex((a) => a.target === r.target && a.type === r.type && a.listener === r.listener && a.capture === r.capture);
  for (const target of targets) {
    const { addEventListener: add, removeEventListener: remove } = target;
    target.addEventListener = function (type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions) {
      const registration = { target, type, listener, capture: captureOf(options) };
      if (indexOf(registration) < 0) active.push(registration);
      add.call(this, type, listener, options);
    };
    target.removeEventListener = function (type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions) {
      const index = indexOf({ target, type, listener, capture: captureOf(options) });
      if (index >= 0) active.splice(index, 1);
      remove.call(this, type, listener, options);
    };
  }
  return active;
}

describe('watchFrameActivity: same-origin frames', () => {
  it('counts keydown and input in an iframe present at start, and nothing after stop', async () => {
    const frame = await srcdocFrame('<input aria-label="Name">');
    const stop = watch();
    type(docOf(frame));
    expect(calls).to.equal(2);
    docOf(frame).dispatchEvent(new Event('scroll'));
    frame.contentWindow!.dispatchEvent(new Event('pointerdown'));
    expect(calls).to.equal(4);
    stop();
    type(docOf(frame));
    frame.contentWindow!.dispatchEvent(new Event('wheel'));
    expect(calls).to.equal(4);
  });

  it('does not count the events of the root document itself (the controller does)', async () => {
    await srcdocFrame('<p>frame</p>');
    watch();
    window.dispatchEvent(new Event('keydown'));
    document.dispatchEvent(new Event('input'));
    expect(calls).to.equal(0);
  });

  it('counts activity in an iframe added after start', async () => {
    watch();
    const frame = await srcdocFrame('<input aria-label="Name">');
    type(docOf(frame));
    expect(calls).to.equal(2);
  });

  it('counts activity in an about:blank iframe filled by script', async () => {
    watch();
    const frame = await append(host, document.createElement('iframe'), 'about:blank');
    docOf(frame).body.innerHTML = '<input aria-label="Name">';
    type(docOf(frame));
    expect(calls).to.equal(2);
  });

  it('follows a navigation to a new srcdoc document and removes every listener it added there on stop', async () => {
    const frame = await srcdocFrame('<p>one</p>');
    let active: Registration[] = [];
    // Added before the watcher's own capturing load listener, so it runs first and sees every addition.
    const spy = (event: Event): void => {
      if (event.target === frame) active = spyListeners(frame.contentWindow!, docOf(frame));
    };
    document.addEventListener('load', spy, true);
    try {
      const stop = watch();
      const before = docOf(frame);
      frame.srcdoc = '<input aria-label="Two">';
      await nextLoad(frame);
      const after = docOf(frame);
      expect(after).not.to.equal(before);
      expect(active.map((r) => `${r.target === after ? 'document' : 'window'} ${r.type} ${r.capture}`)).to.have.members([
        ...WINDOW_ACTIVITY_EVENTS.map((t) => `window ${t} false`),
        ...DOCUMENT_ACTIVITY_EVENTS.map((t) => `document ${t} true`),
        'document load true',
      ]);
      type(after);
      expect(calls).to.equal(2);
      stop();
      expect(active, 'listeners left in the new document').to.deep.equal([]);
      type(after);
      frame.contentWindow!.dispatchEvent(new Event('touchstart'));
      expect(calls).to.equal(2);
    } finally {
      document.removeEventListener('load', spy, true);
    }
  });

  it('follows a navigation to another same-origin page (src)', async () => {
    const frame = await srcdocFrame('<p>one</p>');
    watch();
    frame.removeAttribute('srcdoc');
    frame.src = FIXTURE;
    await nextLoad(frame);
    expect(docOf(frame).URL).to.equal(new URL(FIXTURE, location.href).href);
    type(docOf(frame));
    expect(calls).to.equal(2);
  });

  it('counts activity in nested frames, present at start or added later, and stops in them too', async () => {
    const outer = await srcdocFrame('<p>outer</p>');
    const inner = await srcdocFrame('<input aria-label="Inner">', docOf(outer).body);
    const stop = watch();
    type(docOf(inner));
    expect(calls).to.equal(2);
    const later = await srcdocFrame('<input aria-label="Later">', docOf(inner).body);
    type(docOf(later));
    expect(calls).to.equal(4);
    inner.srcdoc = '<iframe srcdoc="<input aria-label=Deep>"></iframe>';
    const deep = await new Promise<HTMLIFrameElement>((resolve) =>
      inner.addEventListener('load', () => resolve(docOf(inner).querySelector('iframe')!), { once: true }),
    );
    type(docOf(deep));
    expect(calls).to.equal(6);
    stop();
    type(docOf(deep));
    type(docOf(outer));
    expect(calls).to.equal(6);
  });

  it('counts real typing in a contenteditable body (TinyMCE-like)', async () => {
    const frame = await srcdocFrame('<body contenteditable="true"><p>Draft</p></body>');
    watch();
    docOf(frame).body.focus();
    await sendKeys({ type: 'hi' });
    expect(docOf(frame).body.textContent).to.contain('hi');
    // keydown and input per key
    expect(calls).to.be.at.least(4);
  });

  it('counts typing in a designMode document written with document.write (CKEditor 4-like)', async () => {
    const frame = await append(host, document.createElement('iframe'), 'about:blank');
    watch();
    const doc = docOf(frame);
    // document.open() erases every listener of the document and its window; the load after close() re-attaches.
    const loaded = nextLoad(frame);
    doc.open();
    doc.write('<!doctype html><html><body><p>Draft</p></body></html>');
    doc.close();
    await loaded;
    doc.designMode = 'on';
    doc.body.focus();
    await sendKeys({ type: 'hi' });
    expect(doc.body.textContent).to.contain('hi');
    expect(calls).to.be.at.least(4);
  });

  it('skips a sandboxed (opaque-origin) iframe without throwing', async () => {
    const frame = document.createElement('iframe');
    frame.setAttribute('sandbox', 'allow-scripts');
    frame.srcdoc = '<input>';
    const loaded = nextLoad(frame);
    host.append(frame);
    await loaded;
    expect(frame.contentDocument).to.equal(null);
    const stop = watch();
    await srcdocFrame('<p>after</p>');
    stop();
    expect(calls).to.equal(0);
  });
});

describe('watchFrameActivity: messages from cross-origin frames', () => {
  const ALLOWED = 'https://editor.example';
  const post = (data: unknown, origin = ALLOWED): void => void window.dispatchEvent(new MessageEvent('message', { data, origin }));

  it(`counts exactly { type: '${FRAME_ACTIVITY_MESSAGE}' } from a listed origin`, () => {
    expect(FRAME_ACTIVITY_MESSAGE).to.equal('idle-session-activity');
    const stop = watch({ origins: ['https://other.example', ALLOWED] });
    post({ type: 'idle-session-activity' });
    post({ type: 'idle-session-activity' });
    expect(calls).to.equal(2);
    stop();
    post({ type: 'idle-session-activity' });
    expect(calls).to.equal(2);
  });

  it('ignores other origins and other shapes', () => {
    watch({ origins: [ALLOWED] });
    for (const origin of ['https://evil.example', 'https://editor.example.evil', 'http://editor.example', 'https://editor.example:8443', 'null', '']) {
      post({ type: 'idle-session-activity' }, origin);
    }
    for (const data of ['idle-session-activity', { type: 'other' }, { type: 'idle-session-activity', remainingMs: 1e9 }, ['idle-session-activity'], null, undefined, 42]) {
      post(data);
    }
    expect(calls).to.equal(0);
  });

  it('counts no message when no origin is listed', () => {
    watch();
    post({ type: 'idle-session-activity' });
    post({ type: 'idle-session-activity' }, location.origin);
    expect(calls).to.equal(0);
  });

  it('rejects origins that could never match or would trust everyone, naming the option', () => {
    for (const origin of ['*', 'null', 'https://editor.example/', 'https://editor.example/path', 'editor.example', 'HTTPS://EDITOR.EXAMPLE']) {
      expect(() => watchFrameActivity(document, () => calls++, EVENTS, { origins: [origin] }), origin).to.throw(TypeError, /options\.origins/);
    }
  });

  it('counts the message a real cross-origin frame posts, without touching its document', async () => {
    const otherHost = location.hostname === '127.0.0.1' ? 'localhost' : '127.0.0.1';
    const other = `${location.protocol}//${otherHost}:${location.port}`;
    watch({ origins: [other] });
    const frame = document.createElement('iframe');
    frame.src = `${other}${FIXTURE}?parent=${encodeURIComponent(location.origin)}`;
    const loaded = nextLoad(frame);
    host.append(frame);
    await loaded;
    while (frame.contentDocument) await nextLoad(frame); // past an initial about:blank, if any
    expect(frame.contentDocument, 'cross-origin document').to.equal(null);
    const message = new Promise<MessageEvent>((resolve) => window.addEventListener('message', resolve, { once: true }));
    frame.focus();
    await sendKeys({ press: 'a' });
    expect((await message).origin).to.equal(other);
    expect(calls).to.equal(1);
  });

  it('counts messages posted to a same-origin frame by a cross-origin frame nested in it', async () => {
    const outer = await srcdocFrame('<p>outer</p>');
    watch({ origins: [ALLOWED] });
    outer.contentWindow!.dispatchEvent(new MessageEvent('message', { data: { type: 'idle-session-activity' }, origin: ALLOWED }));
    outer.contentWindow!.dispatchEvent(new MessageEvent('message', { data: { type: 'idle-session-activity' }, origin: 'https://evil.example' }));
    expect(calls).to.equal(1);
  });
});

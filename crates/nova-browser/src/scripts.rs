//! Scripts run in the page. Each is one expression; arguments are spliced in as JSON.

/// The page's URL, user agent and scroll and window sizes.
pub(crate) const FACTS: &str = r#"(() => {
  const d = document.scrollingElement || document.documentElement;
  return {
    url: location.href,
    userAgent: navigator.userAgent,
    dimensions: {
      scrollHeight: d ? d.scrollHeight : 0,
      scrollWidth: d ? d.scrollWidth : 0,
      scrollLeft: d ? d.scrollLeft : 0,
      scrollTop: d ? d.scrollTop : 0,
      windowHeight: innerHeight,
      windowWidth: innerWidth,
    },
  };
})()"#;

/// Changes whenever the document's loading state or layout does; settling waits for it to hold.
pub(crate) const LAYOUT_SIGNATURE: &str = r#"(() => {
  const d = document.documentElement;
  return document.readyState + '|' +
    (d ? d.scrollWidth + 'x' + d.scrollHeight + ':' + document.getElementsByTagName('*').length : '');
})()"#;

/// Selects the focused field's content, so that typing replaces it.
pub(crate) const SELECT_FOCUSED: &str = r#"(() => {
  const e = document.activeElement;
  if (!e) return false;
  if (e.tagName === 'INPUT' || e.tagName === 'TEXTAREA') {
    try { e.select(); return true; } catch (_) { return false; }
  }
  if (e.isContentEditable) { document.execCommand('selectAll'); return true; }
  return false;
})()"#;

/// Scrolls the nearest scrollable element under `(x, y)` (the page when `x` is null) by three
/// quarters of its visible size, instantly. Called as `SCROLL(x, y, direction)`.
pub(crate) const SCROLL: &str = r#"((x, y, dir) => {
  const page = document.scrollingElement || document.documentElement;
  const vertical = dir === 'up' || dir === 'down';
  const scrollable = e => {
    const s = getComputedStyle(e);
    const o = vertical ? s.overflowY : s.overflowX;
    return (o === 'auto' || o === 'scroll' || o === 'overlay') &&
      (vertical ? e.scrollHeight > e.clientHeight : e.scrollWidth > e.clientWidth);
  };
  let el = x === null ? null : document.elementFromPoint(x, y);
  while (el && el !== document.body && el !== document.documentElement && !scrollable(el)) {
    el = el.parentElement;
  }
  if (!el || el === document.body || el === document.documentElement) el = page;
  const isPage = el === page;
  const span = vertical ? (isPage ? innerHeight : el.clientHeight) : (isPage ? innerWidth : el.clientWidth);
  const amount = Math.round(span * 0.75) * (dir === 'up' || dir === 'left' ? -1 : 1);
  el.scrollBy({ left: vertical ? 0 : amount, top: vertical ? amount : 0, behavior: 'instant' });
  return { element: isPage ? 'page' : el.tagName.toLowerCase(), scrollLeft: el.scrollLeft, scrollTop: el.scrollTop };
})"#;

/// The visible text and interactive elements of the viewport, one per line, each with its box
/// normalised to 0..1000 as the agent's `<bbox>` uses. Password values are never included.
pub(crate) const SIMPLIFIED_DOM: &str = r#"(() => {
  const W = innerWidth, H = innerHeight, out = [], LIMIT = 100000;
  let size = 0;
  const norm = r => [r.left / W, r.top / H, r.right / W, r.bottom / H]
    .map(n => Math.round(Math.min(1, Math.max(0, n)) * 1000));
  const visible = (el, r) => {
    if (r.width < 1 || r.height < 1) return false;
    if (r.bottom <= 0 || r.right <= 0 || r.top >= H || r.left >= W) return false;
    const s = getComputedStyle(el);
    return s.visibility !== 'hidden' && s.display !== 'none' && Number(s.opacity) !== 0;
  };
  const INTERACTIVE = 'a[href],button,input,select,textarea,summary,[role=button],[role=link],' +
    '[role=checkbox],[role=tab],[onclick],[contenteditable=""],[contenteditable=true]';
  const squash = t => (t || '').replace(/\s+/g, ' ').trim();
  const ownText = el => squash(Array.from(el.childNodes)
    .filter(n => n.nodeType === 3).map(n => n.textContent).join(' '));
  const esc = t => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  const ATTRS = ['id', 'name', 'type', 'placeholder', 'value', 'href', 'aria-label', 'title', 'alt', 'role'];
  const walk = el => {
    if (size > LIMIT) return;
    const tag = el.tagName.toLowerCase();
    if (['script', 'style', 'noscript', 'template', 'svg', 'head'].includes(tag)) return;
    const r = el.getBoundingClientRect();
    const interactive = el.matches(INTERACTIVE);
    const text = interactive ? squash(el.innerText) : ownText(el);
    if ((interactive || text) && visible(el, r)) {
      let attrs = '';
      for (const a of ATTRS) {
        const secret = a === 'value' && el.type === 'password';
        // A field holding a secret shows what the model typed: its placeholders.
        const marked = a === 'value' && el.hasAttribute('data-nova-secret');
        const v = marked ? el.getAttribute('data-nova-secret')
          : a === 'value' && 'value' in el ? el.value : el.getAttribute(a);
        if (!secret && v !== null && v !== undefined && v !== '') {
          attrs += ` ${a}="${esc(String(v).slice(0, 200))}"`;
        }
      }
      const line = `<${tag}${attrs} bbox="${norm(r).join(',')}">${esc(text.slice(0, 300))}</${tag}>`;
      out.push(line);
      size += line.length;
      if (interactive) return;
    }
    for (const child of el.children) walk(child);
  };
  if (document.body) walk(document.body);
  return out.join('\n');
})()"#;

/// The address typing at viewport point (X, Y) reaches: an iframe's source there, else the
/// page's. Called as `(TYPING_ORIGIN)(x, y)`.
pub(crate) const TYPING_ORIGIN: &str = r#"((x, y) => {
  const el = document.elementFromPoint(x, y);
  if (el && (el.tagName === 'IFRAME' || el.tagName === 'FRAME')) {
    try { return new URL(el.src || 'about:blank', location.href).href; } catch (e) { return 'about:blank'; }
  }
  return location.href;
})"#;

/// Marks the focused field as holding a secret shown to the model as SHOWN, and hides the text
/// of every marked field from screenshots. Called as `(MARK_SECRET)(shown)`.
pub(crate) const MARK_SECRET: &str = r#"((shown) => {
  const el = document.activeElement;
  if (!el || el === document.body || el.tagName === 'IFRAME') return false;
  el.setAttribute('data-nova-secret', shown);
  if (!document.getElementById('nova-secret-style')) {
    const style = document.createElement('style');
    style.id = 'nova-secret-style';
    style.textContent = '[data-nova-secret] { -webkit-text-security: disc !important; }';
    (document.head || document.documentElement).appendChild(style);
  }
  return true;
})"#;

import { css } from 'lit';

/**
 * Default styles of `<idle-session-warning>`. Custom properties (all optional):
 * `--idle-session-background`, `--idle-session-color`, `--idle-session-accent` (primary button and
 * link colour), `--idle-session-accent-color` (text on the primary button), `--idle-session-border`,
 * `--idle-session-backdrop`, `--idle-session-cover` (the opaque cover of the ended states; keep it opaque). Dark defaults under `prefers-color-scheme: dark`; system colours under
 * `forced-colors: active`.
 */
export const styles = css`
  :host {
    display: contents;
    --_bg: var(--idle-session-background, #ffffff);
    --_fg: var(--idle-session-color, #1b1b1b);
    --_accent: var(--idle-session-accent, #0b57d0);
    --_accent-fg: var(--idle-session-accent-color, #ffffff);
    --_border: var(--idle-session-border, #6b6b6b);
    --_backdrop: var(--idle-session-backdrop, rgb(0 0 0 / 0.55));
    --_cover: var(--idle-session-cover, #2b2b2b);
  }
  @media (prefers-color-scheme: dark) {
    :host {
      --_bg: var(--idle-session-background, #1f1f1f);
      --_fg: var(--idle-session-color, #f1f1f1);
      --_accent: var(--idle-session-accent, #a8c7fa);
      --_accent-fg: var(--idle-session-accent-color, #062e6f);
      --_border: var(--idle-session-border, #9a9a9a);
    }
  }
  :host([hidden]) {
    display: none;
  }
  dialog {
    box-sizing: border-box;
    max-inline-size: min(32rem, calc(100vw - 2rem));
    padding: 1.5rem;
    border: 1px solid var(--_border);
    border-radius: 0.5rem;
    background: var(--_bg);
    color: var(--_fg);
    font: inherit;
    line-height: 1.5;
    box-shadow: 0 0.5rem 2rem rgb(0 0 0 / 0.3);
  }
  dialog::backdrop {
    background: var(--_backdrop);
  }
  :host(:is([state='expired'], [state='signed-out'], [state='other-session']):not([keep-page-visible])) dialog::backdrop {
    background: var(--_cover);
  }
  h2 {
    margin: 0 0 0.75rem;
    font-size: 1.25rem;
    line-height: 1.3;
  }
  h2:focus {
    outline: none;
  }
  p {
    margin: 0 0 1rem;
  }
  [part~='countdown'] {
    font-weight: 700;
    font-variant-numeric: tabular-nums;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 0.75rem;
    align-items: center;
  }
  button,
  a {
    font: inherit;
    min-block-size: 2.75rem;
    padding: 0.5rem 1rem;
    border-radius: 0.25rem;
    cursor: pointer;
  }
  button {
    border: 2px solid var(--_accent);
    background: transparent;
    color: var(--_fg);
  }
  .primary {
    background: var(--_accent);
    color: var(--_accent-fg);
  }
  a {
    display: inline-flex;
    align-items: center;
    box-sizing: border-box;
    color: var(--_accent);
    text-decoration: underline;
  }
  a.primary {
    text-decoration: none;
  }
  button:focus-visible,
  a:focus-visible {
    outline: 3px solid var(--_fg);
    outline-offset: 2px;
  }
  button[disabled] {
    cursor: progress;
    opacity: 0.7;
  }
  .visually-hidden {
    position: absolute;
    inline-size: 1px;
    block-size: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
    border: 0;
  }
  @media (forced-colors: active) {
    dialog {
      border: 2px solid CanvasText;
      background: Canvas;
      color: CanvasText;
    }
    button,
    .primary {
      border: 2px solid ButtonText;
      background: ButtonFace;
      color: ButtonText;
      forced-color-adjust: none;
    }
    a,
    a.primary {
      background: Canvas;
      color: LinkText;
    }
    button:focus-visible,
    a:focus-visible {
      outline-color: Highlight;
    }
  }
`;

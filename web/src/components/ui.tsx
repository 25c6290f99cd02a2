import {
  Fragment,
  useEffect,
  useId,
  useRef,
  useState,
  type ButtonHTMLAttributes,
  type ReactElement,
  type ReactNode,
} from 'react';

/** The time now, refreshed every `intervalMs` (durations tick without events). */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => {
      setNow(Date.now());
    }, intervalMs);
    return () => {
      clearInterval(timer);
    };
  }, [intervalMs]);
  return now;
}

/** Colour families of badges and banners. */
export type Tone = 'good' | 'warn' | 'bad' | 'muted' | 'info';

export function Badge({ tone, children, testId }: { tone: Tone; children: ReactNode; testId?: string }) {
  return (
    <span className={`badge badge-${tone}`} data-testid={testId}>
      {children}
    </span>
  );
}

/**
 * A labelled form field: the label, the control (given the ids it needs) and, beside it, the API's
 * error about this field (announced by screen readers through aria-describedby / aria-invalid).
 */
export function Field({
  label,
  error,
  hint,
  children,
}: {
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  children: (props: {
    id: string;
    'aria-invalid': boolean;
    'aria-describedby': string | undefined;
  }) => ReactElement;
}) {
  const id = useId();
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [error ? errorId : '', hint ? hintId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={error ? 'field field-invalid' : 'field'}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': Boolean(error), 'aria-describedby': describedBy })}
      {hint ? (
        <p className="field-hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="field-error" id={errorId} role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** An on/off switch (role="switch"), labelled for screen readers. */
export function Toggle({
  checked,
  onChange,
  label,
  disabled,
  showLabel,
}: {
  checked: boolean;
  onChange: (checked: boolean) => void;
  label: string;
  disabled?: boolean;
  showLabel?: boolean;
}) {
  return (
    <button
      type="button"
      role="switch"
      aria-checked={checked}
      aria-label={showLabel === true ? undefined : label}
      className="toggle"
      disabled={disabled}
      onClick={() => {
        onChange(!checked);
      }}
    >
      <span className="toggle-track" aria-hidden="true">
        <span className="toggle-thumb" />
      </span>
      {showLabel === true ? <span className="toggle-label">{label}</span> : null}
    </button>
  );
}

/** A labelled progress bar (0..100). */
export function ProgressBar({ label, percent, tone }: { label: string; percent: number; tone?: Tone }) {
  const value = Math.max(0, Math.min(100, Math.round(percent)));
  return (
    <div className="progress-row">
      <div className="progress-label">
        <span>{label}</span>
        <span className="mono">{value}%</span>
      </div>
      <div
        className={`progress progress-${tone ?? 'info'}`}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={value}
      >
        <div className="progress-fill" style={{ width: `${value}%` }} />
      </div>
    </div>
  );
}

/** Copies text to the clipboard; on a plain-HTTP LAN address (no Clipboard API) selects-and-copies. */
async function copyText(text: string): Promise<boolean> {
  try {
    if (window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the old way
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'offscreen';
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the only way without a secure context
    ok = document.execCommand('copy');
  } finally {
    area.remove();
  }
  return ok;
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState<'' | 'ok' | 'fail'>('');
  useEffect(() => {
    if (done === '') return;
    const timer = setTimeout(() => {
      setDone('');
    }, 2000);
    return () => {
      clearTimeout(timer);
    };
  }, [done]);
  return (
    <button
      type="button"
      className="btn btn-small"
      aria-label={label}
      onClick={() => {
        void copyText(text).then((ok) => {
          setDone(ok ? 'ok' : 'fail');
        });
      }}
    >
      {done === 'ok' ? 'Copied' : done === 'fail' ? 'Copy failed' : 'Copy'}
      <span className="sr-only" aria-live="polite">
        {done === 'ok' ? `${label}: copied` : ''}
      </span>
    </button>
  );
}

/**
 * A button that asks first, in a modal <dialog> (focus moves into it, Escape cancels). `onConfirm` may
 * return a promise; its error is shown in the dialog.
 */
export function ConfirmButton({
  children,
  title,
  message,
  confirmLabel,
  onConfirm,
  danger,
  ...buttonProps
}: {
  children: ReactNode;
  title: string;
  message: ReactNode;
  confirmLabel: string;
  onConfirm: () => unknown;
  danger?: boolean;
} & Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'onClick' | 'title'>) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const close = (): void => {
    dialog.current?.close();
  };
  return (
    <>
      <button
        type="button"
        {...buttonProps}
        onClick={() => {
          setError('');
          dialog.current?.showModal();
        }}
      >
        {children}
      </button>
      <dialog ref={dialog} className="dialog" aria-labelledby={titleId}>
        <h2 id={titleId}>{title}</h2>
        <div className="dialog-body">{message}</div>
        {error ? (
          <p className="field-error" role="alert">
            {error}
          </p>
        ) : null}
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={close} autoFocus>
            Cancel
          </button>
          <button
            type="button"
            className={danger === true ? 'btn btn-danger' : 'btn btn-primary'}
            disabled={busy}
            onClick={() => {
              setBusy(true);
              void Promise.resolve()
                .then(onConfirm)
                .then(
                  () => {
                    close();
                  },
                  (err: unknown) => {
                    setError(err instanceof Error ? err.message : String(err));
                  },
                )
                .finally(() => {
                  setBusy(false);
                });
            }}
          >
            {confirmLabel}
          </button>
        </div>
      </dialog>
    </>
  );
}

/** A short notice under a form: success or failure, announced politely. */
export function Notice({ tone, children }: { tone: Tone; children: ReactNode }) {
  if (children === null || children === undefined || children === '') return null;
  return (
    <p className={`notice notice-${tone}`} role={tone === 'bad' ? 'alert' : 'status'}>
      {children}
    </p>
  );
}

/** A labelled number input whose text stays as typed (a half-typed value is not reformatted). */
export function NumberField({
  label,
  error,
  hint,
  value,
  onChange,
  min,
  max,
  step,
  disabled,
  integer,
}: {
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  value: string;
  onChange: (text: string) => void;
  min?: number | undefined;
  max?: number | undefined;
  step?: number | undefined;
  disabled?: boolean | undefined;
  /** Whole numbers only (numeric keypad on phones). */
  integer?: boolean | undefined;
}) {
  return (
    <Field label={label} error={error} hint={hint}>
      {(props) => (
        <input
          {...props}
          type="number"
          inputMode={integer ? 'numeric' : 'decimal'}
          min={min}
          max={max}
          step={step}
          value={value}
          disabled={disabled}
          onChange={(e) => {
            onChange(e.target.value);
          }}
        />
      )}
    </Field>
  );
}

/** A secret shown once (a new API token, a webhook signing secret), with a copy button and Done. */
export function SecretOnce({
  children,
  secret,
  copyLabel,
  onDone,
}: {
  children: ReactNode;
  secret: string;
  copyLabel: string;
  onDone: () => void;
}) {
  return (
    <div className="secret-once" role="status">
      <p>{children}</p>
      <div className="copy-field copy-field-bare">
        <code className="copy-value break">{secret}</code>
        <CopyButton text={secret} label={copyLabel} />
      </div>
      <button type="button" className="btn btn-small" onClick={onDone}>
        Done
      </button>
    </div>
  );
}

/**
 * A URL that wraps only after its `/` and `:` (a `<wbr>` there), so that on a phone
 * `rtmp://host:1935/live` breaks between its parts instead of mid-word.
 */
export function Address({ text, className, testId }: { text: string; className?: string; testId?: string }) {
  const parts = text.split(/(?<=:\/\/)|(?<=[^/:]\/)(?!\/)/);
  return (
    <span className={className ? `address ${className}` : 'address'} data-testid={testId}>
      {parts.map((part, i) => (
        <Fragment key={i}>
          {i > 0 ? <wbr /> : null}
          {part}
        </Fragment>
      ))}
    </span>
  );
}

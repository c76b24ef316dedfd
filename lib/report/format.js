// Numbers and text as a report shows them.

/** A number for a person: at most 4 significant digits, thousands separated, k/M/G past 100 000. */
export function formatNumber(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  const abs = Math.abs(value);
  if (abs >= 1e5) {
    const [scale, suffix] = abs >= 1e9 ? [1e9, 'G'] : abs >= 1e6 ? [1e6, 'M'] : [1e3, 'k'];
    return `${trim((value / scale).toPrecision(3))}${suffix}`.replace('-', '−');
  }
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US').replace('-', '−');
  if (abs === 0) return '0';
  if (abs < 1e-3) {
    const [mantissa, exponent] = value.toExponential(2).split('e');
    return `${trim(mantissa)}e${exponent}`.replaceAll('-', '−');
  }
  return trim(value.toPrecision(4)).replace('-', '−');
}

/**
 * `value.toFixed(digits)`, or "–" for a figure the model could not compute: metrics of targets
 * near the float limit overflow and are stored as null.
 */
export function formatFixed(value, digits) {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}

/** 0.9132 → "91.3%". */
export function formatPercent(share) {
  if (share === null || share === undefined || !Number.isFinite(share)) return '–';
  const percent = share * 100;
  return `${trim(percent.toFixed(Math.abs(percent) >= 99.95 || percent === 0 ? 0 : 1))}%`;
}

/** A duration in ms for a person: "under 1 ms", "850 ms", "12.4 s", "3 min 5 s". */
export function formatDuration(ms) {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 0.5) return 'under 1 ms';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${trim((ms / 1000).toFixed(1))} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms - minutes * 60_000) / 1000)} s`;
}

const DAY_MS = 86_400_000;

/**
 * A formatter of instants (ms since 1970) for an axis that spans `spanMs`, in UTC so a report reads
 * the same wherever it is drawn: "14:30" within two days, "Jun 12" within a year, "Jun 2025" past it.
 */
export function dateLabeller(spanMs) {
  const options =
    spanMs <= 2 * DAY_MS
      ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }
      : spanMs <= 330 * DAY_MS
        ? { month: 'short', day: 'numeric' }
        : { month: 'short', year: 'numeric' };
  const format = new Intl.DateTimeFormat('en-US', { ...options, timeZone: 'UTC' });
  return (ms) => format.format(new Date(ms));
}

/** An integer count with thousands separators. */
export function formatCount(n) {
  return Number.isFinite(n) ? n.toLocaleString('en-US') : '–';
}

/** Text made safe inside HTML (element content and quoted attributes). */
export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function trim(fixed) {
  return fixed.includes('.') && !fixed.includes('e') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/**
 * CronJob schedules (SPEC W-11) as the CronJob controller reads them, over cron-parser: the standard five fields
 * and the descriptors robfig/cron's ParseStandard accepts (@yearly, @annually, @monthly, @weekly, @daily,
 * @midnight, @hourly; not @every), evaluated in the CronJob's time zone (UTC without one, AKS's control plane's
 * zone), and the times upstream derives from it: the most recent unmet schedule time, the next one, the Job's
 * name and its scheduled-timestamp annotation.
 */
import { CronExpressionParser, type CronExpression } from 'cron-parser';

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const NAMES = new Set(['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec', 'sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']);
/** More unmet times than this are reported (TooManyMissedTimes) and only the most recent one is run. */
export const MANY_MISSED = 100;

/** Whether the IANA time zone is known ("unknown time zone X" otherwise). */
export function knownTimeZone(tz: string): boolean {
  if (tz === '' || tz === 'Local') return tz === '';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * Why a schedule cannot be used, in robfig/cron's and ValidateCronJob's words, or undefined. Fields cron-parser
 * would take but robfig/cron does not (seconds, `L`, `W`, `#`, `H`) are refused as kube-apiserver refuses them.
 */
export function scheduleError(schedule: string): string | undefined {
  const s = schedule.trim();
  if (/^(CRON_)?TZ=/.test(s)) return 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead';
  if (s.startsWith('@')) return DESCRIPTORS[s] ? undefined : `unrecognized descriptor: ${s}`;
  const fields = s.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) return `expected exactly 5 fields, found ${fields.length}: ${s}`;
  for (const f of fields) {
    for (const token of f.split(/[,/-]/)) {
      if (token === '*' || token === '?' || /^\d+$/.test(token) || NAMES.has(token.toLowerCase())) continue;
      return `failed to parse int from ${token}: strconv.Atoi: parsing "${token}": invalid syntax`;
    }
  }
  try {
    CronExpressionParser.parse(s, { tz: 'UTC' });
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

function expression(schedule: string, timeZone: string | undefined, from: number): CronExpression {
  const s = schedule.trim();
  return CronExpressionParser.parse(DESCRIPTORS[s] ?? s, { tz: timeZone || 'UTC', currentDate: new Date(from) });
}

/** The first schedule time strictly after `afterMs` (emulated ms), or undefined when there is none. */
export function nextScheduleTime(schedule: string, timeZone: string | undefined, afterMs: number): number | undefined {
  try {
    const e = expression(schedule, timeZone, afterMs);
    return e.hasNext() ? e.next().getTime() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The most recent schedule time after `earliestMs` and at or before `nowMs` (mostRecentScheduleTime), and how
 * many were missed (capped just above MANY_MISSED). `earliestMs` is the last schedule time, else the CronJob's
 * creation, moved up to now − startingDeadlineSeconds when that is later.
 */
export function mostRecentScheduleTime(schedule: string, timeZone: string | undefined, earliestMs: number, nowMs: number): { time?: number; missed: number } {
  const first = nextScheduleTime(schedule, timeZone, earliestMs);
  if (first === undefined || first > nowMs) return { missed: 0 };
  // Walked back from now, a bounded number of steps, so that a CronJob idle for years costs little.
  const back = expression(schedule, timeZone, nowMs + 1);
  const time = back.prev().getTime();
  let missed = 1;
  try {
    while (missed <= MANY_MISSED && back.prev().getTime() > earliestMs) missed++;
  } catch {
    // no earlier time at all
  }
  return { time, missed };
}

/** The Job a CronJob creates for a schedule time: `<cronjob>-<minutes since the epoch>` (getJobName). */
export function scheduledJobName(cronJobName: string, scheduledMs: number): string {
  return `${cronJobName}-${Math.floor(scheduledMs / 60_000)}`;
}

/** RFC 3339 of a time in a time zone with its offset ("2026-05-01T09:00:00+02:00"; "Z" in UTC), as Go formats it. */
export function rfc3339In(ms: number, timeZone: string | undefined): string {
  const tz = timeZone || 'UTC';
  if (tz === 'UTC') return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'longOffset' })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  const offset = parts.timeZoneName === 'GMT' ? 'Z' : (parts.timeZoneName ?? '').replace(/^GMT/, '');
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}

import { createHash } from 'node:crypto';

/**
 * The conditional write, run inside Redis so that the check and the write are one step (no other
 * client's command can come between them) and one round trip.
 *
 * KEYS[1] the session's key; KEYS[2] the ended mark of the session's record; KEYS[3] the marker that
 * remembers why the session will end once its key is gone.
 * ARGV[1] the serialized session; ARGV[2] its TTL in milliseconds, '0' when its deadline has passed (it is
 * then deleted, unless the stored copy holds a later lastActivity); ARGV[3] the field that holds the
 * idle-session record; ARGV[4] the record's createdAt and ARGV[5] its lastActivity ('' for a session
 * without a tracked record); ARGV[6] the session serialized with {@link LAST_ACTIVITY_MARK} in place of
 * its lastActivity, ARGV[7] the marker as serialized, ARGV[8] the touchInterval in milliseconds;
 * ARGV[9] the marker of why the session will end, `<idle|absolute>:<record id>` ('' for none) and ARGV[10] the TTL of the
 * reason marker in milliseconds; ARGV[11] when the record's limits were last changed (its `limitsSetAt`, '0' for never).
 *
 * Returns
 * - 0 when the record is marked ended (nothing written);
 * - 1 when written;
 * - 3 when deleted (ARGV[2] was '0': the session's deadline has passed, by the stored copy too);
 * - 2 when nothing needs writing: the stored copy is the very same, or the same session but for a lastActivity less than
 *   `touchInterval` older than ours (another instance wrote it for a parallel request: one write per
 *   `touchInterval`, across instances too);
 * - when the stored copy of the same sign-in (same createdAt) has a later lastActivity, that lastActivity
 *   as a string (nothing written: the caller writes again with it, so activity only moves forward);
 * - when the stored copy of the same sign-in had its limits changed later (a greater `limitsSetAt`), the
 *   array `{'limits', <the stored record as JSON>}` (nothing written: the caller takes those limits and
 *   writes again, so a copy of the session from before a `setLimits` never writes the old limits back).
 */
export const CONDITIONAL_WRITE_SCRIPT = `
if ARGV[4] ~= '' and redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local stored = redis.call('GET', KEYS[1])
if stored == ARGV[1] then return 2 end
if stored and ARGV[5] ~= '' then
  local ok, data = pcall(cjson.decode, stored)
  if ok and type(data) == 'table' and type(data[ARGV[3]]) == 'table' then
    local record = data[ARGV[3]]
    if tonumber(record.createdAt) == tonumber(ARGV[4]) and (tonumber(record.limitsSetAt) or 0) > tonumber(ARGV[11]) then
      return {'limits', cjson.encode(record)}
    end
    local later = tonumber(record.lastActivity)
    if tonumber(record.createdAt) == tonumber(ARGV[4]) and later then
      local ours = tonumber(ARGV[5])
      if later > ours then return string.format('%.0f', later) end
      if later > ours - tonumber(ARGV[8]) then
        local at = string.find(ARGV[6], ARGV[7], 1, true)
        if at and ARGV[6]:sub(1, at - 1) .. string.format('%.0f', later) .. ARGV[6]:sub(at + #ARGV[7]) == stored then return 2 end
      end
    end
  end
end
if ARGV[2] == '0' then
  redis.call('DEL', KEYS[1])
  return 3
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if ARGV[9] ~= '' then redis.call('SET', KEYS[3], ARGV[9], 'PX', ARGV[10]) end
return 1
`;

/**
 * A number that stands for lastActivity in the template of ARGV[6]; no timestamp looks like it, and
 * JSON.stringify writes it as `-1.23456789e-7`.
 */
export const LAST_ACTIVITY_MARK = -1.23456789e-7;

/** The SHA-1 that `EVALSHA` knows the script by. */
export const CONDITIONAL_WRITE_SHA = createHash('sha1').update(CONDITIONAL_WRITE_SCRIPT).digest('hex');

/**
 * The lease of a session held active by a request running on some instance (see
 * `RedisSessionState.holdActive`), in one step: KEYS[1] the lease, set for ARGV[1] ms; KEYS[2] (optional)
 * the session's key and KEYS[3] its reason marker, whose TTLs are lengthened (never shortened: `GT`) to
 * ARGV[2] and ARGV[3] ms, so that a session kept busy by a long upload does not run out in the store.
 */
export const HOLD_ACTIVE_SCRIPT = `
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
if KEYS[2] then
  redis.call('PEXPIRE', KEYS[2], ARGV[2], 'GT')
  redis.call('PEXPIRE', KEYS[3], ARGV[3], 'GT')
end
return 1
`;

/** The SHA-1 that `EVALSHA` knows {@link HOLD_ACTIVE_SCRIPT} by. */
export const HOLD_ACTIVE_SHA = createHash('sha1').update(HOLD_ACTIVE_SCRIPT).digest('hex');

// Preloaded (node --import) into an ops CLI child by harness/server-api.ts `ops(…, { laterMinutes })`: the process's
// clock reads E2E_CLOCK_OFFSET_MS later, as if support ran the command that much later. Nothing else changes.
const offset = Number(process.env.E2E_CLOCK_OFFSET_MS ?? 0);
if (Number.isFinite(offset) && offset !== 0) {
  const realNow = Date.now.bind(Date);
  Date.now = () => realNow() + offset;
}

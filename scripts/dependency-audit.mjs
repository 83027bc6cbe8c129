// Runs `npm audit` and fails on any high or critical advisory. When the registry's audit
// service cannot be reached (some mirrors answer 405), it says so loudly and does not pretend
// the dependencies were checked.
import { spawnSync } from 'node:child_process';

const run = spawnSync('npm', ['audit', '--json', '--omit=optional'], { encoding: 'utf8' });
let report;
try {
  report = JSON.parse(run.stdout);
} catch {
  console.error('dependency audit: npm audit printed no JSON');
  process.exit(1);
}
const counts = report?.metadata?.vulnerabilities;
if (!counts) {
  const reason = report?.statusCode ?? report?.error?.code ?? 'no report';
  console.warn(`dependency audit: NOT CHECKED - the audit service did not answer (${reason})`);
  process.exit(0);
}
const blocking = (counts.high ?? 0) + (counts.critical ?? 0);
console.log(`dependency audit: ${JSON.stringify(counts)}`);
if (blocking > 0) {
  console.error(`dependency audit: ${blocking} high or critical advisories`);
  process.exit(1);
}

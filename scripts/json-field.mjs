// `… | node scripts/json-field.mjs <path>`: the README walkthrough's `field`. Shows the whole JSON
// answer on stderr and prints one field of it (`items.0.id`) on stdout. An answer that is a
// problem (RFC 9457), is not JSON or lacks the field ends the step with one clear line and exit 1,
// so a shell variable is never silently empty and the next command never builds a broken URL.
const path = process.argv[2];
if (!path) {
  console.error('usage: … | node scripts/json-field.mjs <field.path>');
  process.exit(2);
}
let text = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  text += chunk;
});
process.stdin.on('end', () => {
  console.error(text);
  let answer;
  try {
    answer = JSON.parse(text);
  } catch {
    console.error(`✖ the answer is not JSON (is the stack running at $BASE?)`);
    process.exit(1);
  }
  if (answer && typeof answer.status === 'number' && answer.status >= 400) {
    console.error(`✖ ${answer.status} ${answer.title ?? 'refused'}${answer.detail ? `: ${answer.detail}` : ''}`);
    process.exit(1);
  }
  const value = path.split('.').reduce((node, key) => (node === null || node === undefined ? undefined : node[key]), answer);
  if (value === undefined || value === null) {
    console.error(`✖ the answer has no ${path}`);
    process.exit(1);
  }
  console.log(typeof value === 'object' ? JSON.stringify(value) : String(value));
});

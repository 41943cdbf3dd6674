// Payonify's official Node SDK, unmodified, against a running disburse-sandbox.
//
//   node scripts/payonify-node-sdk.mjs SDK_DIST_DIR
//
// Reads PAYONIFY_BASE_URL, PAYONIFY_PUBLISHABLE_KEY, PAYONIFY_SECRET_KEY and
// DISBURSE_SANDBOX_CONTROL_URL (the lines disburse-sandbox prints). Validates a recipient,
// creates payouts, retrieves one, walks the list page by page with the SDK's cursors, and checks
// that the SDK's errors carry the sandbox's messages. Exits non-zero on the first mismatch and
// ends with a "N passed, N failed" line. Needs only Node.js (fetch, node:assert): no npm install.

import assert from "node:assert/strict";
import path from "node:path";
import { pathToFileURL } from "node:url";

const dist = process.argv[2];
if (!dist) {
  console.error("usage: node scripts/payonify-node-sdk.mjs SDK_DIST_DIR");
  process.exit(2);
}
const sdk = await import(pathToFileURL(path.resolve(dist, "index.js")).href);
const { Payonify, PayonifyError, AuthenticationError, NotFoundError, ValidationError } = sdk;

const need = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set: source the lines disburse-sandbox prints`);
    process.exit(2);
  }
  return value;
};
const baseUrl = need("PAYONIFY_BASE_URL");
const control = need("DISBURSE_SANDBOX_CONTROL_URL");
const payonify = new Payonify({
  publishableKey: need("PAYONIFY_PUBLISHABLE_KEY"),
  secretKey: need("PAYONIFY_SECRET_KEY"),
  baseUrl,
});

let passed = 0;
let failed = 0;
async function check(name, body) {
  try {
    await body();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`not ok - ${name}`);
    console.log(`  ${String(error?.stack ?? error).split("\n").join("\n  ")}`);
  }
}

async function rejects(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the SDK to throw");
}

const ecocash = (mobile_number) => ({ mobile_money: { ecocash: { mobile_number } } });

await fetch(`${control}/reset`, { method: "POST" });

await check("validateRecipient names an EcoCash recipient", async () => {
  const answer = await payonify.payouts.validateRecipient({ destination: ecocash("771234569") });
  assert.equal(answer.valid, true);
  assert.equal(answer.recipient.account_status, "active");
  assert.equal(answer.recipient.mobile_number, "771234569");
  assert.equal(typeof answer.recipient.first_name, "string");
  const refused = await payonify.payouts.validateRecipient({ destination: ecocash("771230002") });
  assert.deepEqual(refused, { valid: false });
});

const created = [];
await check("create makes pending payouts in the SDK's Payout shape", async () => {
  for (let i = 0; i < 5; i += 1) {
    const payout = await payonify.payouts.create({
      amount: 1000 + i,
      currency: "usd",
      destination: ecocash("771234569"),
      description: `sdk payout ${i}`,
      metadata: { order_id: `sdk-${i}` },
    });
    assert.match(payout.id, /^po_/);
    assert.equal(payout.object, "payout");
    assert.deepEqual(payout.amount, { value: 1000 + i, currency: "usd" });
    assert.equal(payout.status, "pending");
    assert.equal(payout.livemode, false);
    assert.deepEqual(payout.metadata, { order_id: `sdk-${i}` });
    assert.equal(payout.destination_details.type, "mobile_money");
    const mm = payout.destination_details.mobile_money;
    assert.deepEqual(Object.keys(mm).sort(), [
      "brand",
      "channel_number",
      "network",
      "recipient_name",
      "recipient_number",
      "reference",
    ]);
    assert.equal(mm.brand, "ecocash");
    assert.equal(mm.recipient_number, "771234569");
    assert.equal(mm.network, "econet");
    assert.equal(mm.reference, null);
    created.push(payout.id);
  }
});

await check("retrieve returns the payout, paid once settled", async () => {
  const settle = await fetch(`${control}/settle`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ provider: "payonify", id: created[0] }),
  });
  assert.equal(settle.status, 200);
  const payout = await payonify.payouts.retrieve(created[0]);
  assert.equal(payout.id, created[0]);
  assert.equal(payout.status, "paid");
  assert.match(payout.destination_details.mobile_money.reference, /^MP/);
});

await check("list walks every page forward and back with the SDK's cursors", async () => {
  const seen = [];
  let page = await payonify.payouts.list({ limit: 2 });
  for (;;) {
    assert.equal(page.object, "list");
    assert.equal(page.paging.page_size, 2);
    seen.push(...page.data.map((p) => p.id));
    if (!page.paging.has_next_page) break;
    page = await payonify.payouts.list({ first: 2, after: page.paging.end_cursor });
  }
  assert.deepEqual(seen, [...created].reverse(), "newest first, each once");
  const back = await payonify.payouts.list({ last: 2, before: page.paging.start_cursor });
  assert.deepEqual(
    back.data.map((p) => p.id),
    [created[2], created[1]],
  );
  const paid = await payonify.payouts.list({ status: "paid" });
  assert.deepEqual(
    paid.data.map((p) => p.id),
    [created[0]],
  );
});

await check("a bad parameter is a ValidationError with the sandbox's message", async () => {
  const error = await rejects(
    payonify.payouts.create({ amount: 99, currency: "usd", destination: ecocash("771234569") }),
  );
  assert.ok(error instanceof ValidationError, String(error));
  assert.equal(error.status, 400);
  assert.equal(error.message, "Invalid amount: the minimum is 100.");
});

await check("a OneMoney destination is refused as unsupported", async () => {
  const error = await rejects(
    payonify.payouts.create({
      amount: 1000,
      currency: "usd",
      destination: { mobile_money: { onemoney: { mobile_number: "711234569" } } },
    }),
  );
  assert.ok(error instanceof ValidationError, String(error));
  assert.equal(
    error.message,
    "Unsupported destination: OneMoney payouts are not available yet. EcoCash mobile money is the only supported destination.",
  );
});

await check("an unknown payout is a NotFoundError with the sandbox's message", async () => {
  const error = await rejects(payonify.payouts.retrieve("po_missing"));
  assert.ok(error instanceof NotFoundError, String(error));
  assert.equal(error.message, "No such payout: 'po_missing'");
});

await check("wrong keys are an AuthenticationError with the sandbox's message", async () => {
  const stranger = new Payonify({ publishableKey: "pk_test_x", secretKey: "sk_test_x", baseUrl });
  const error = await rejects(stranger.payouts.list());
  assert.ok(error instanceof AuthenticationError, String(error));
  const direct = await fetch(new URL("/v1/payouts", baseUrl), {
    headers: { Authorization: `Basic ${btoa("pk_test_x:sk_test_x")}` },
  });
  assert.equal(error.message, (await direct.json()).message);
});

await check("an injected 503 is a PayonifyError with the sandbox's message", async () => {
  const inject = await fetch(`${control}/faults`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ provider: "payonify", fault: "status", status: 503 }),
  });
  assert.equal(inject.status, 201);
  const error = await rejects(payonify.payouts.list());
  assert.ok(error instanceof PayonifyError, String(error));
  assert.equal(error.status, 503);
  assert.equal(
    error.message,
    "An unexpected error occurred on Payonify's end. Please try again later.",
  );
});

await check("under the main port's /payonify prefix the SDK drops the path: why a port each", async () => {
  const prefixed = new Payonify({
    publishableKey: need("PAYONIFY_PUBLISHABLE_KEY"),
    secretKey: need("PAYONIFY_SECRET_KEY"),
    baseUrl: `${need("DISBURSE_SANDBOX_URL")}/payonify`,
  });
  const error = await rejects(prefixed.payouts.list());
  assert.ok(error instanceof NotFoundError, String(error));
});

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

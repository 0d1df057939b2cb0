// One DynamoDB ListTables call from the AWS SDK for JavaScript v3 against `canreq serve`, with
// the SDK's clock `systemClockOffset` milliseconds off, for serve_js_clock.rs.
//
//     node js_clock.cjs ENDPOINT OFFSET_MS
//
// The SDK loads from CANREQ_NODE_MODULES (.ci/run installs it there from .ci/node). The key
// comes from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, passed explicitly so the SDK looks for
// nothing else. Makes the call twice on one client and prints one JSON object: how each call
// ended, after how many attempts, and the clock offset the SDK held after it.
const path = require("node:path");

const { DynamoDBClient, ListTablesCommand } = require(
  path.join(process.env.CANREQ_NODE_MODULES, "@aws-sdk/client-dynamodb"),
);

async function main() {
  const [endpoint, offset] = process.argv.slice(2);
  const client = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID,
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
    },
    systemClockOffset: Number(offset),
    maxAttempts: 3,
  });
  const result = { offsetBefore: Number(offset), calls: [] };
  // Two calls on the one client: the second shows the clock the first left.
  for (let i = 0; i < 2; i++) {
    const call = {};
    try {
      const out = await client.send(new ListTablesCommand({}));
      call.ok = true;
      call.status = out.$metadata.httpStatusCode;
      call.attempts = out.$metadata.attempts;
    } catch (e) {
      call.ok = false;
      call.code = e.name;
      call.message = e.message;
      call.status = e.$metadata && e.$metadata.httpStatusCode;
      call.attempts = e.$metadata && e.$metadata.attempts;
    }
    call.offsetAfter = client.config.systemClockOffset;
    result.calls.push(call);
  }
  process.stdout.write(JSON.stringify(result) + "\n");
}

main();

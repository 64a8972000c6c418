// InvokeEndpoint through biasmon with the AWS SDK for JavaScript v3's
// @aws-sdk/client-sagemaker-runtime (the endpoint made with @aws-sdk/client-sagemaker): the
// model's answer, content type, custom attributes and the variant that answered; TargetVariant;
// InferenceId; ModelError with the model's status and body; ValidationError for an unknown
// endpoint. Run by tests/cli/serve_jsruntime.sh, which starts the model server and biasmon serve
// and then reads the capture back with `biasmon execute`. Writes the rows it sent (x, g, the
// model's prediction, the variant) to BM_ROWS_OUT as JSON. Prints "js PASSES FAILS" last.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  SageMakerClient, CreateModelCommand, CreateEndpointConfigCommand, CreateEndpointCommand,
} from "@aws-sdk/client-sagemaker";
import { SageMakerRuntimeClient, InvokeEndpointCommand } from "@aws-sdk/client-sagemaker-runtime";

const env = (k) => { if (!process.env[k]) throw new Error(`${k} is not set`); return process.env[k]; };
const DATA = env("BM_DATA_DIR"), MODEL_URL = env("BM_MODEL_URL"), CAPTURE = env("BM_CAPTURE_URI");
const ROWS_OUT = env("BM_ROWS_OUT");
const serve = JSON.parse(readFileSync(join(DATA, "serve.json"), "utf8"));
const keys = Object.fromEntries(readFileSync(join(DATA, "credentials"), "utf8").split("\n")
  .filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).trim()]));
const conf = {
  endpoint: serve.endpoint_url, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: keys.access_key_id, secretAccessKey: keys.secret_access_key },
};
const sm = new SageMakerClient(conf);
const rt = new SageMakerRuntimeClient(conf);

let passes = 0, fails = 0;
function check(name, cond, detail = "") {
  if (cond) passes++;
  else { fails++; console.log(`FAIL: ${name} ${detail}`); }
}
const text = (b) => Buffer.from(b).toString("utf8");

try {
  const role = "arn:aws:iam::123456789012:role/SageMakerRole";
  for (const m of ["m-a", "m-b"])
    await sm.send(new CreateModelCommand({
      ModelName: m, ExecutionRoleArn: role,
      PrimaryContainer: { Image: "any", Environment: { BIASMON_MODEL_URL: MODEL_URL } },
    }));
  await sm.send(new CreateEndpointConfigCommand({
    EndpointConfigName: "ec-js",
    ProductionVariants: [
      { VariantName: "A", ModelName: "m-a", InitialInstanceCount: 1, InstanceType: "ml.m5.large", InitialVariantWeight: 1 },
      { VariantName: "B", ModelName: "m-b", InitialInstanceCount: 1, InstanceType: "ml.m5.large", InitialVariantWeight: 0 },
    ],
    DataCaptureConfig: {
      EnableCapture: true, InitialSamplingPercentage: 100, DestinationS3Uri: CAPTURE,
      CaptureOptions: [{ CaptureMode: "Input" }, { CaptureMode: "Output" }],
      CaptureContentTypeHeader: { CsvContentTypes: ["text/csv"] },
    },
  }));
  await sm.send(new CreateEndpointCommand({ EndpointName: "ep-js", EndpointConfigName: "ec-js" }));

  // 60 invocations: x = i % 10, g = F when i % 3 == 1 or x == 2; every fourth sent to variant B by name
  const rows = [];
  for (let i = 0; i < 60; i++) {
    const x = i % 10, g = i % 3 === 1 || x === 2 ? "F" : "M";
    const target = i % 4 === 0 ? "B" : undefined;
    const r = await rt.send(new InvokeEndpointCommand({
      EndpointName: "ep-js", ContentType: "text/csv", Accept: "text/csv", Body: Buffer.from(`${x},${g}`),
      InferenceId: `js-${i}`, CustomAttributes: `trace=${i}`, ...(target ? { TargetVariant: target } : {}),
    }));
    const answer = text(r.Body);
    const want = x >= 5 ? "yes" : "no";
    check(`invocation ${i}: the model's answer`, answer === want, `${answer} != ${want}`);
    check(`invocation ${i}: the variant`, r.InvokedProductionVariant === (target || "A"), r.InvokedProductionVariant);
    check(`invocation ${i}: the content type`, r.ContentType === "text/csv; charset=utf-8", r.ContentType);
    check(`invocation ${i}: the model saw the headers`,
      r.CustomAttributes === `ct=text/csv;accept=text/csv;iid=js-${i};ca=trace=${i}`, r.CustomAttributes);
    rows.push({ id: `js-${i}`, x, g, prediction: answer, variant: r.InvokedProductionVariant });
  }
  writeFileSync(ROWS_OUT, JSON.stringify(rows));

  // the model answers 500: ModelError, 424, with its status and body; not captured
  try {
    await rt.send(new InvokeEndpointCommand({ EndpointName: "ep-js", ContentType: "text/csv", Body: Buffer.from("boom"), InferenceId: "js-boom" }));
    check("a model's 500 is an error", false);
  } catch (e) {
    check("a model's 500: ModelError", e.name === "ModelError", `${e.name}: ${e.message}`);
    check("ModelError is status 424", e.$metadata?.httpStatusCode === 424, String(e.$metadata?.httpStatusCode));
    check("ModelError carries the model's status", e.OriginalStatusCode === 500, String(e.OriginalStatusCode));
    check("ModelError carries the model's body", e.OriginalMessage === "the model fell over", String(e.OriginalMessage));
  }
  try {
    await rt.send(new InvokeEndpointCommand({ EndpointName: "ep-nope", ContentType: "text/csv", Body: Buffer.from("1,M") }));
    check("an unknown endpoint is an error", false);
  } catch (e) {
    check("an unknown endpoint: ValidationError 400", e.name === "ValidationError" && e.$metadata?.httpStatusCode === 400,
      `${e.name} ${e.$metadata?.httpStatusCode}`);
  }
  try {
    await rt.send(new InvokeEndpointCommand({ EndpointName: "ep-js", ContentType: "text/csv", Body: Buffer.from("1,M"), TargetVariant: "C" }));
    check("an unknown target variant is an error", false);
  } catch (e) {
    check("an unknown target variant: ValidationError", e.name === "ValidationError", `${e.name}: ${e.message}`);
  }
  // a wrong secret: the runtime refuses it, as every API call
  const bad = new SageMakerRuntimeClient({ ...conf, credentials: { accessKeyId: keys.access_key_id, secretAccessKey: "wrong" } });
  try {
    await bad.send(new InvokeEndpointCommand({ EndpointName: "ep-js", ContentType: "text/csv", Body: Buffer.from("1,M") }));
    check("a wrongly signed invocation is refused", false);
  } catch (e) {
    check("a wrongly signed invocation is refused (403)", e.$metadata?.httpStatusCode === 403, `${e.name} ${e.$metadata?.httpStatusCode}`);
  }
} catch (e) {
  fails++;
  console.log(`FAIL: ${e.name}: ${e.message}`);
}
console.log(`js ${passes} ${fails}`);

// The baseline -> schedule -> executions -> outputs lifecycle of a SageMaker Model Monitor user,
// driven by the AWS SDK for JavaScript v3 against biasmon serve and an S3 server, with the request
// bodies the SageMaker Python SDK sends (../../../shared/spec/sdk-flow.md). Run by
// tests/cli/serve_jssdk.sh, which starts the servers and computes the local outputs to compare.
// Prints "js PASSES FAILS" last.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import {
  SageMakerClient, CreateEndpointConfigCommand, CreateEndpointCommand, DescribeEndpointCommand,
  CreateProcessingJobCommand, DescribeProcessingJobCommand, CreateModelBiasJobDefinitionCommand,
  DescribeModelBiasJobDefinitionCommand, CreateMonitoringScheduleCommand, DescribeMonitoringScheduleCommand,
  ListMonitoringExecutionsCommand, StopMonitoringScheduleCommand, StartMonitoringScheduleCommand,
  DeleteMonitoringScheduleCommand, DeleteModelBiasJobDefinitionCommand,
} from "@aws-sdk/client-sagemaker";

const env = (k) => { if (!process.env[k]) throw new Error(`${k} is not set`); return process.env[k]; };
const SRC = env("BM_SOURCE_DIR"), DATA = env("BM_DATA_DIR"), LOCAL = env("BM_LOCAL_DIR");
const serve = JSON.parse(readFileSync(join(DATA, "serve.json"), "utf8"));
const keys = Object.fromEntries(readFileSync(join(DATA, "credentials"), "utf8").split("\n")
  .filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).trim()]));
const sm = new SageMakerClient({
  endpoint: serve.endpoint_url, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: keys.access_key_id, secretAccessKey: keys.secret_access_key },
});
const s3 = new S3Client({
  endpoint: env("BM_S3_ENDPOINT"), region: "us-east-1", forcePathStyle: true, maxAttempts: 1,
  credentials: { accessKeyId: "testing", secretAccessKey: "testing-secret" },
});

let passes = 0, fails = 0;
function check(name, cond, detail = "") {
  if (cond) passes++;
  else { fails++; console.log(`FAIL: ${name} ${detail}`); }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function poll(what, fn, done, limit = 1200) { // 0.1 s apart: two minutes at most, whatever the load
  let v;
  for (let i = 0; i < limit; i++) {
    v = await fn();
    if (done(v)) return v;
    await sleep(100);
  }
  throw new Error(`${what}: still not done: ${JSON.stringify(v).slice(0, 400)}`);
}
async function getBytes(bucket, key) {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await r.Body.transformToByteArray());
}
async function putFile(key, path) {
  await s3.send(new PutObjectCommand({ Bucket: "ml-bkt", Key: key, Body: readFileSync(path) }));
}
async function putTree(prefix, dir) {
  for (const name of readdirSync(dir, { recursive: true })) {
    const p = join(dir, name);
    if (statSync(p).isFile()) await putFile(`${prefix}/${relative(dir, p)}`, p);
  }
}
const sameBytes = (a, path) => Buffer.compare(a, readFileSync(path)) === 0;
const ROLE = "arn:aws:iam::123456789012:role/SageMakerRole";
const CLARIFY = "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0";
const CLUSTER = { InstanceType: "ml.m5.xlarge", InstanceCount: 1, VolumeSizeInGB: 30 };

// ---- the user's data in S3: the training data, the captured traffic, the labels
await s3.send(new CreateBucketCommand({ Bucket: "ml-bkt" }));
await putFile("data/adult.csv", join(LOCAL, "base/adult_with_predictions.csv"));
await putTree("capture", join(SRC, "data/sample-monitoring/capture"));
await putTree("ground-truth", join(SRC, "data/sample-monitoring/ground-truth"));

// ---- step 0: the endpoint whose traffic is captured
await sm.send(new CreateEndpointConfigCommand({
  EndpointConfigName: "adult-income-config",
  ProductionVariants: [{ VariantName: "AllTraffic", ModelName: "adult-model", InitialInstanceCount: 1, InstanceType: "ml.m5.xlarge" }],
  DataCaptureConfig: { EnableCapture: true, InitialSamplingPercentage: 100, DestinationS3Uri: "s3://ml-bkt/capture",
    CaptureOptions: [{ CaptureMode: "Input" }, { CaptureMode: "Output" }] },
}));
await sm.send(new CreateEndpointCommand({ EndpointName: "adult-income", EndpointConfigName: "adult-income-config" }));
const ep = await poll("endpoint", () => sm.send(new DescribeEndpointCommand({ EndpointName: "adult-income" })),
  (d) => d.EndpointStatus !== "Creating");
check("endpoint InService", ep.EndpointStatus === "InService", ep.EndpointStatus);

// ---- step 2: suggest_baseline: the analysis config to S3, then Clarify's processing job
await putFile("baseline/analysis_config.json", join(SRC, "data/adult/analysis_config.json"));
const input = (name, uri, local) => ({ InputName: name, AppManaged: false, S3Input: { S3Uri: uri, LocalPath: local,
  S3DataType: "S3Prefix", S3InputMode: "File", S3DataDistributionType: "FullyReplicated", S3CompressionType: "None" } });
const baselineJob = "baseline-suggestion-job-2026-11-24-11-58-09-295";
await sm.send(new CreateProcessingJobCommand({
  ProcessingJobName: baselineJob, ProcessingResources: { ClusterConfig: CLUSTER },
  AppSpecification: { ImageUri: CLARIFY }, RoleArn: ROLE,
  ProcessingInputs: [input("dataset", "s3://ml-bkt/data/adult.csv", "/opt/ml/processing/input/data"),
    input("analysis_config", "s3://ml-bkt/baseline/analysis_config.json", "/opt/ml/processing/input/config")],
  ProcessingOutputConfig: { Outputs: [{ OutputName: "analysis_result", AppManaged: false,
    S3Output: { S3Uri: "s3://ml-bkt/baseline", LocalPath: "/opt/ml/processing/output", S3UploadMode: "EndOfJob" } }] },
  StoppingCondition: { MaxRuntimeInSeconds: 1800 },
}));
const bj = await poll("baseline job", () => sm.send(new DescribeProcessingJobCommand({ ProcessingJobName: baselineJob })),
  (d) => ["Completed", "Failed", "Stopped"].includes(d.ProcessingJobStatus));
check("the baseline job Completed", bj.ProcessingJobStatus === "Completed", `${bj.ProcessingJobStatus} ${bj.FailureReason ?? ""}`);
// ---- step 3: suggested_constraints() reads analysis.json beside the config
const baseline = await getBytes("ml-bkt", "baseline/analysis.json");
check("the baseline is byte-identical to biasmon analyze on local files", sameBytes(baseline, join(LOCAL, "base/analysis.json")));

// ---- step 4: create_monitoring_schedule: the monitoring config to S3, the job definition, the schedule
await putFile("monitoring/bias-jd/6f1c2a/analysis_config.json", join(SRC, "data/sample-monitoring/analysis_config.json"));
await sm.send(new CreateModelBiasJobDefinitionCommand({
  JobDefinitionName: "bias-jd",
  ModelBiasBaselineConfig: { ConstraintsResource: { S3Uri: "s3://ml-bkt/baseline/analysis.json" } },
  ModelBiasAppSpecification: { ImageUri: CLARIFY, ConfigUri: "s3://ml-bkt/monitoring/bias-jd/6f1c2a/analysis_config.json",
    Environment: { publish_cloudwatch_metrics: "Enabled" } },
  ModelBiasJobInput: {
    EndpointInput: { EndpointName: "adult-income", LocalPath: "/opt/ml/processing/input/endpoint",
      S3InputMode: "File", S3DataDistributionType: "FullyReplicated", StartTimeOffset: "-PT1H", EndTimeOffset: "-PT0H",
      InferenceAttribute: "0" },
    GroundTruthS3Input: { S3Uri: "s3://ml-bkt/ground-truth" } },
  ModelBiasJobOutputConfig: { MonitoringOutputs: [{ S3Output: { S3Uri: "s3://ml-bkt/reports",
    LocalPath: "/opt/ml/processing/output", S3UploadMode: "EndOfJob" } }] },
  JobResources: { ClusterConfig: CLUSTER }, RoleArn: ROLE, StoppingCondition: { MaxRuntimeInSeconds: 1800 },
}));
const schedule = (name, cfg) => sm.send(new CreateMonitoringScheduleCommand({
  MonitoringScheduleName: name, Tags: [],
  MonitoringScheduleConfig: { ScheduleConfig: cfg, MonitoringJobDefinitionName: "bias-jd", MonitoringType: "ModelBias" },
}));
await schedule("bias-hourly", { ScheduleExpression: "cron(0 * ? * * *)" });
// a one-time schedule (CronExpressionGenerator.now()) runs at once over the last hour
await schedule("bias-now", { ScheduleExpression: "NOW", DataAnalysisStartTime: "-PT1H", DataAnalysisEndTime: "-PT0H" });

// ---- step 5: describe_schedule()
const ds = await sm.send(new DescribeMonitoringScheduleCommand({ MonitoringScheduleName: "bias-hourly" }));
check("the hourly schedule is Scheduled", ds.MonitoringScheduleStatus === "Scheduled" &&
  ds.MonitoringScheduleConfig.MonitoringJobDefinitionName === "bias-jd" && ds.EndpointName === "adult-income",
  JSON.stringify(ds).slice(0, 400));
const dj = await sm.send(new DescribeModelBiasJobDefinitionCommand({ JobDefinitionName: "bias-jd" }));
check("the job definition", dj.ModelBiasJobInput.EndpointInput.EndpointName === "adult-income" &&
  dj.ModelBiasBaselineConfig.ConstraintsResource.S3Uri === "s3://ml-bkt/baseline/analysis.json");

// ---- step 6: list_executions(), then each execution's processing job
const listed = await poll("the execution", () => sm.send(new ListMonitoringExecutionsCommand({
  MonitoringScheduleName: "bias-now", SortBy: "ScheduledTime", SortOrder: "Descending", MaxResults: 100 })),
(r) => r.MonitoringExecutionSummaries.length > 0 &&
  !["Pending", "InProgress"].includes(r.MonitoringExecutionSummaries[0].MonitoringExecutionStatus));
const ex = listed.MonitoringExecutionSummaries[0];
check("the execution found violations", ex.MonitoringExecutionStatus === "CompletedWithViolations",
  `${ex.MonitoringExecutionStatus} ${ex.FailureReason ?? ""}`);
check("it ran for 12:00", new Date(ex.ScheduledTime).toISOString() === "2026-11-24T12:00:00.000Z", String(ex.ScheduledTime));
const jobName = ex.ProcessingJobArn.split(":")[5].slice("processing-job/".length);
const pj = await sm.send(new DescribeProcessingJobCommand({ ProcessingJobName: jobName }));
const out = pj.ProcessingOutputConfig.Outputs[0].S3Output.S3Uri;
check("its processing job is Completed and names its output", pj.ProcessingJobStatus === "Completed" &&
  out === "s3://ml-bkt/reports/adult-income/bias-now/2026/11/24/12", out);

// ---- step 7: execution.constraint_violations(): read from the job's output in S3
const key = out.slice("s3://ml-bkt/".length);
const violations = JSON.parse((await getBytes("ml-bkt", `${key}/constraint_violations.json`)).toString("utf8"));
check("a DI violation", violations.violations.some((v) => v.metric_name === "DI" && v.constraint_check_type === "bias_drift_check"),
  JSON.stringify(violations).slice(0, 400));
const local = join(LOCAL, "out/adult-income/bias-now/2026/11/24/12");
check("analysis.json byte-identical to biasmon execute on local files",
  sameBytes(await getBytes("ml-bkt", `${key}/analysis.json`), join(local, "analysis.json")));
check("constraint_violations.json byte-identical to biasmon execute on local files",
  sameBytes(await getBytes("ml-bkt", `${key}/constraint_violations.json`), join(local, "constraint_violations.json")));

// ---- without constraints the SDK names the baselining job (BaseliningJobName): its analysis.json
const jdWith = (name, baselineConfig) => sm.send(new CreateModelBiasJobDefinitionCommand({
  JobDefinitionName: name, ModelBiasBaselineConfig: baselineConfig,
  ModelBiasAppSpecification: { ImageUri: CLARIFY, ConfigUri: "s3://ml-bkt/monitoring/bias-jd/6f1c2a/analysis_config.json" },
  ModelBiasJobInput: {
    EndpointInput: { EndpointName: "adult-income", LocalPath: "/opt/ml/processing/input/endpoint",
      StartTimeOffset: "-PT1H", EndTimeOffset: "-PT0H", InferenceAttribute: "0" },
    GroundTruthS3Input: { S3Uri: "s3://ml-bkt/ground-truth" } },
  ModelBiasJobOutputConfig: { MonitoringOutputs: [{ S3Output: { S3Uri: "s3://ml-bkt/reports-bjn",
    LocalPath: "/opt/ml/processing/output", S3UploadMode: "EndOfJob" } }] },
  JobResources: { ClusterConfig: CLUSTER }, RoleArn: ROLE,
}));
const refusedBjn = await jdWith("bias-jd-none", { BaseliningJobName: "never-made" }).then(() => "created", (e) => `${e.name}: ${e.message}`);
check("a BaseliningJobName that names no job is refused", /^ValidationException: .*BaseliningJobName.*never-made/.test(refusedBjn), refusedBjn);
await jdWith("bias-jd-bjn", { BaseliningJobName: baselineJob });
await sm.send(new CreateMonitoringScheduleCommand({ MonitoringScheduleName: "bias-now-bjn", MonitoringScheduleConfig: {
  ScheduleConfig: { ScheduleExpression: "NOW", DataAnalysisStartTime: "-PT1H", DataAnalysisEndTime: "-PT0H" },
  MonitoringJobDefinitionName: "bias-jd-bjn", MonitoringType: "ModelBias" } }));
const bjnList = await poll("the BaseliningJobName execution", () => sm.send(new ListMonitoringExecutionsCommand({
  MonitoringScheduleName: "bias-now-bjn" })), (r) => r.MonitoringExecutionSummaries.length > 0 &&
  !["Pending", "InProgress"].includes(r.MonitoringExecutionSummaries[0].MonitoringExecutionStatus));
const bjnEx = bjnList.MonitoringExecutionSummaries[0];
check("BaseliningJobName: the execution compares with the job's analysis.json", bjnEx.MonitoringExecutionStatus === "CompletedWithViolations",
  `${bjnEx.MonitoringExecutionStatus} ${bjnEx.FailureReason ?? ""}`);
check("BaseliningJobName: the same violations as with the constraints named",
  Buffer.compare(await getBytes("ml-bkt", "reports-bjn/adult-income/bias-now-bjn/2026/11/24/12/constraint_violations.json"),
    await getBytes("ml-bkt", `${key}/constraint_violations.json`)) === 0);
await sm.send(new DeleteMonitoringScheduleCommand({ MonitoringScheduleName: "bias-now-bjn" }));
await poll("delete bias-now-bjn", () => sm.send(new DescribeMonitoringScheduleCommand({ MonitoringScheduleName: "bias-now-bjn" }))
  .then(() => false, (e) => e.name), (v) => v !== false);
await sm.send(new DeleteModelBiasJobDefinitionCommand({ JobDefinitionName: "bias-jd-bjn" }));

// ---- step 8: stop and start
await sm.send(new StopMonitoringScheduleCommand({ MonitoringScheduleName: "bias-hourly" }));
let st = await poll("stop", () => sm.send(new DescribeMonitoringScheduleCommand({ MonitoringScheduleName: "bias-hourly" })),
  (d) => d.MonitoringScheduleStatus !== "Pending");
check("stopped", st.MonitoringScheduleStatus === "Stopped", st.MonitoringScheduleStatus);
await sm.send(new StartMonitoringScheduleCommand({ MonitoringScheduleName: "bias-hourly" }));
st = await poll("start", () => sm.send(new DescribeMonitoringScheduleCommand({ MonitoringScheduleName: "bias-hourly" })),
  (d) => d.MonitoringScheduleStatus !== "Pending");
check("started", st.MonitoringScheduleStatus === "Scheduled", st.MonitoringScheduleStatus);

// ---- step 9: delete: the schedules, until they are gone, then the job definition
for (const name of ["bias-now", "bias-hourly"]) {
  await sm.send(new DeleteMonitoringScheduleCommand({ MonitoringScheduleName: name }));
  const gone = await poll(`delete ${name}`, () => sm.send(new DescribeMonitoringScheduleCommand({ MonitoringScheduleName: name }))
    .then(() => false, (e) => e.name), (v) => v !== false);
  check(`${name} is gone`, gone === "ResourceNotFound", gone);
}
await sm.send(new DeleteModelBiasJobDefinitionCommand({ JobDefinitionName: "bias-jd" }));
const gone = await sm.send(new DescribeModelBiasJobDefinitionCommand({ JobDefinitionName: "bias-jd" })).then(() => "found", (e) => e.name);
check("the job definition is gone", gone === "ResourceNotFound", gone);
console.log(`js ${passes} ${fails}`);

const { Worker, isMainThread, workerData, parentPort } = require("worker_threads");
const root = "/work/wt-scale/dist";
if (isMainThread) {
  const n = Number(process.argv[2] || 200); const W = Number(process.argv[3] || 2);
  const units = []; const { environments } = require(root + "/environments");
  for (const env of environments) for (const cloud of Object.keys(env.clouds)) units.push([env.name, cloud]);
  let next = 0, done = 0; const t0 = Date.now();
  const limits = process.env.OLD ? { maxOldGenerationSizeMb: Number(process.env.OLD) } : undefined;
  for (let w = 0; w < W; w++) {
    const worker = new Worker(__filename, { workerData: { n }, resourceLimits: limits });
    worker.on("message", (m) => { if (m === "ready" || m === "done") { if (next < units.length) worker.postMessage(units[next++]); else worker.postMessage(null); } });
    worker.on("exit", () => { if (++done === W) console.error("wall", Date.now() - t0, "maxRSS", Math.round(process.resourceUsage().maxRSS / 1024)); });
  }
} else {
  const { App } = require("cdktf");
  const { environments } = require(root + "/environments");
  const { scaleServices } = require(root + "/stacks/scale-services");
  const { PlatformStack } = require(root + "/stacks/platform-stack");
  require(root + "/stacks/token-traces").skipTokenCreationTraces();
  const app = new App();
  const session = { outdir: app.outdir, skipValidation: false, manifest: app.manifest };
  parentPort.on("message", (u) => {
    if (!u) { process.exit(0); }
    const env = environments.find((e) => e.name === u[0]); const cloud = u[1];
    const id = `${env.name}-${cloud}`;
    const stack = new PlatformStack(app, id, { env, cloud, services: scaleServices(env, workerData.n) });
    for (const node of stack.node.findAll()) node.node.validate();
    stack.prepareStack(); stack.synthesizer.synthesize(session); app.node.tryRemoveChild(id);
    parentPort.postMessage("done");
  });
  parentPort.postMessage("ready");
}

const { App } = require("cdktf");
const root = "/work/wt-scale/dist";
const { environments } = require(root + "/environments");
const { scaleServices } = require(root + "/stacks/scale-services");
const { PlatformStack } = require(root + "/stacks/platform-stack");
const { skipTokenCreationTraces } = require(root + "/stacks/token-traces");
skipTokenCreationTraces();
const n = Number(process.argv[2] || 200);
const app = new App();
const session = { outdir: app.outdir, skipValidation: false, manifest: app.manifest };
for (const env of environments) for (const cloud of Object.keys(env.clouds)) {
  const services = scaleServices(env, n);
  const id = `${env.name}-${cloud}`;
  const stack = new PlatformStack(app, id, { env, cloud, services });
  for (const node of stack.node.findAll()) node.node.validate();
  stack.prepareStack();
  stack.synthesizer.synthesize(session);
  if (process.env.KEEP !== "1") app.node.tryRemoveChild(id);
  if (global.gc) { global.gc(); console.error(id, Math.round(process.memoryUsage().heapUsed/1e6), "MB heap"); }
}
app.manifest.writeToFile();
console.error("maxRSS", Math.round(process.resourceUsage().maxRSS/1024), "MB");

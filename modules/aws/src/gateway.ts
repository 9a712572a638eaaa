import { Annotations } from "cdktf";
import { Construct } from "constructs";
import { ANY_METHODS, AlarmInfo, GatewaySpec, NAME_RULES, PlatformGateway, resolveCors } from "@polycloud/core";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2ApiMapping } from "@cdktf/provider-aws/lib/apigatewayv2-api-mapping";
import { Apigatewayv2Authorizer } from "@cdktf/provider-aws/lib/apigatewayv2-authorizer";
import { Apigatewayv2DomainName } from "@cdktf/provider-aws/lib/apigatewayv2-domain-name";
import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { Apigatewayv2Stage } from "@cdktf/provider-aws/lib/apigatewayv2-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { createAlarm } from "./alarm";
import { AwsContext } from "./context";
import { AwsFunction } from "./function";
import { logRetention } from "./limits";

export interface AwsCustomDomain {
  readonly domainName: string;
  /** ACM certificate in the stack's region. */
  readonly certificateArn: string;
}

export interface AwsHttpGatewayProps {
  readonly context: AwsContext;
  readonly logicalId: string;
  readonly spec: GatewaySpec;
  /** Functions by id; routes to unknown ids are reported by validation and skipped here. */
  readonly functions: Readonly<Record<string, AwsFunction>>;
  /** AWS-only: serve the API on a custom domain and switch off the execute-api endpoint. */
  readonly customDomain?: AwsCustomDomain;
}

/** Fields of the JSON access log line. */
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  ip: "$context.identity.sourceIp",
  requestTime: "$context.requestTime",
  httpMethod: "$context.httpMethod",
  routeKey: "$context.routeKey",
  status: "$context.status",
  protocol: "$context.protocol",
  responseLength: "$context.responseLength",
  integrationLatency: "$context.integrationLatency",
  integrationError: "$context.integrationErrorMessage",
  authorizerError: "$context.authorizer.error",
});

/** HTTP API with payload-2.0 Lambda routes, stage throttling, JSON access logs, CORS and optional JWT. */
export class AwsHttpGateway extends Construct implements PlatformGateway {
  readonly spec: GatewaySpec;
  readonly api: Apigatewayv2Api;
  readonly stage: Apigatewayv2Stage;
  readonly accessLogGroup: CloudwatchLogGroup;
  readonly alarms: AlarmInfo[] = [];
  readonly url: string;

  constructor(scope: Construct, id: string, props: AwsHttpGatewayProps) {
    super(scope, id);
    const { context: ctx, spec } = props;
    this.spec = spec;
    const name = ctx.namer.name(NAME_RULES.aws.apiGateway, props.logicalId);
    const cors = spec.cors ? resolveCors(spec.cors, spec) : undefined;

    this.api = new Apigatewayv2Api(this, "api", {
      name,
      protocolType: "HTTP",
      disableExecuteApiEndpoint: props.customDomain !== undefined,
      // API-level CORS answers preflights and overrides CORS headers returned by the functions.
      corsConfiguration: cors && {
        allowOrigins: cors.allowOrigins,
        allowMethods: cors.allowMethods,
        allowHeaders: cors.allowHeaders,
        exposeHeaders: cors.exposeHeaders.length ? cors.exposeHeaders : undefined,
        maxAge: cors.maxAgeSeconds,
        allowCredentials: cors.allowCredentials,
      },
    });

    const authorizer = spec.auth
      ? new Apigatewayv2Authorizer(this, "jwt", {
          apiId: this.api.id,
          name: "jwt",
          authorizerType: "JWT",
          identitySources: ["$request.header.Authorization"],
          jwtConfiguration: { issuer: spec.auth.issuer, audience: [...spec.auth.audiences] },
        })
      : undefined;

    const integrations = new Map<string, Apigatewayv2Integration>();
    const seen = new Set<string>();
    const explicit = new Set((spec.routes ?? []).filter((r) => r.method !== "ANY").map((r) => `${r.method} ${r.path}`));
    for (const route of spec.routes ?? []) {
      const fn = props.functions[route.function];
      // An ANY route also receives CORS preflights, and behind the JWT authorizer answers them 401
      // (browsers send no credentials). With CORS on, ANY is split into the other methods, so an
      // OPTIONS matches no route and API Gateway answers the preflight itself.
      const routeKeys = route.method === "ANY" && cors
        ? ANY_METHODS.map((m) => `${m} ${route.path}`).filter((k) => !explicit.has(k))
        : [`${route.method} ${route.path}`];
      // Unknown functions and duplicate routes are reported by validation; never crash before it runs.
      if (!fn || routeKeys.every((k) => seen.has(k))) continue;
      routeKeys.forEach((k) => seen.add(k));
      let integration = integrations.get(route.function);
      if (!integration) {
        if (fn.spec.timeoutSeconds > 30) {
          Annotations.of(this).addWarning(
            `AwsHttpGateway: function '${route.function}' has timeoutSeconds = ${fn.spec.timeoutSeconds}, but HTTP API integrations stop waiting after 30 seconds.`,
          );
        }
        integration = new Apigatewayv2Integration(this, `integration-${route.function}`, {
          apiId: this.api.id,
          integrationType: "AWS_PROXY",
          integrationUri: fn.invokeArn,
          payloadFormatVersion: "2.0",
          timeoutMilliseconds: Math.min(30000, fn.spec.timeoutSeconds * 1000),
        });
        integrations.set(route.function, integration);
        new LambdaPermission(this, `invoke-${route.function}`, {
          statementId: `AllowHttpApi-${props.logicalId}`,
          action: "lambda:InvokeFunction",
          functionName: fn.lambda.functionName,
          qualifier: fn.alias.name,
          principal: "apigateway.amazonaws.com",
          sourceArn: `${this.api.executionArn}/*/*`,
        });
      }
      const secured = authorizer && route.authorized !== false;
      for (const routeKey of routeKeys) {
        new Apigatewayv2Route(this, `route-${routeKey}`, {
          apiId: this.api.id,
          routeKey,
          target: `integrations/${integration.id}`,
          authorizationType: secured ? "JWT" : "NONE",
          authorizerId: secured ? authorizer.id : undefined,
        });
      }
    }

    this.accessLogGroup = new CloudwatchLogGroup(this, "access-logs", {
      name: `/aws/apigateway/${name}`,
      retentionInDays: logRetention(spec.accessLogs?.retentionDays ?? ctx.env.retention?.logDays ?? 30),
      kmsKeyId: ctx.key.arn,
    });
    this.stage = new Apigatewayv2Stage(this, "stage", {
      apiId: this.api.id,
      name: "$default",
      autoDeploy: true,
      accessLogSettings: { destinationArn: this.accessLogGroup.arn, format: ACCESS_LOG_FORMAT },
      defaultRouteSettings: {
        throttlingRateLimit: spec.throttle?.rateLimit,
        throttlingBurstLimit: spec.throttle?.burstLimit,
        detailedMetricsEnabled: true,
      },
    });
    this.url = this.api.apiEndpoint;

    if (props.customDomain) {
      const domain = new Apigatewayv2DomainName(this, "domain", {
        domainName: props.customDomain.domainName,
        domainNameConfiguration: { certificateArn: props.customDomain.certificateArn, endpointType: "REGIONAL", securityPolicy: "TLS_1_2" },
      });
      new Apigatewayv2ApiMapping(this, "mapping", { apiId: this.api.id, domainName: domain.domainName, stage: this.stage.id });
      this.url = `https://${props.customDomain.domainName}`;
    }

    const t = ctx.thresholds;
    const dims = { ApiId: this.api.id, Stage: "$default" };
    this.alarms.push(
      createAlarm(this, "5xx-alarm", ctx, {
        signal: "gateway.5xx", nameParts: [props.logicalId, "5xx"], description: `API ${name}: 5xx responses`,
        threshold: t.gateway5xx,
        // HTTP APIs publish lowercase 5xx/4xx (REST APIs use 5XXError).
        metric: { namespace: "AWS/ApiGateway", metricName: "5xx", dimensions: dims, statistic: "Sum" },
      }),
      createAlarm(this, "latency-alarm", ctx, {
        signal: "gateway.latencyP99", nameParts: [props.logicalId, "latency-p99"], description: `API ${name}: p99 latency`,
        threshold: t.gatewayLatencyP99Ms, comparison: "GreaterThanThreshold",
        metric: { namespace: "AWS/ApiGateway", metricName: "Latency", dimensions: dims, extendedStatistic: "p99" },
      }),
    );
  }
}

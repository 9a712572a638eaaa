import { Testing, TerraformStack } from "cdktf";
import { buildTags } from "@polycloud/core";
import { AwsFoundation, AwsService } from "@polycloud/aws";
import { envByName, find, only, resources } from "../helpers/synth";
import { dev, prod } from "./shared";

test("HTTP API with CORS and a JWT authorizer", () => {
  const api = only(dev, "aws_apigatewayv2_api");
  expect(api).toMatchObject({ protocol_type: "HTTP", name: "orders-dev-public", disable_execute_api_endpoint: false });
  expect(api.cors_configuration).toMatchObject({ allow_origins: ["https://dev.shop.example.com"], allow_credentials: true, allow_methods: ["POST", "GET"], max_age: 600 });
  expect(only(dev, "aws_apigatewayv2_authorizer")).toMatchObject({
    authorizer_type: "JWT", identity_sources: ["$request.header.Authorization"],
    jwt_configuration: { issuer: "https://auth.example.com/", audience: ["orders-api"] },
  });
});

test("routes map to payload-2.0 Lambda integrations; /health is the only open route", () => {
  const routes = Object.values(resources(dev, "aws_apigatewayv2_route")) as any[];
  expect(routes.map((r) => r.route_key).sort()).toEqual(["GET /health", "GET /orders/{id}", "POST /orders"]);
  expect(routes.filter((r) => r.authorization_type === "NONE").map((r) => r.route_key)).toEqual(["GET /health"]);
  const integration = only(dev, "aws_apigatewayv2_integration");
  expect(integration).toMatchObject({ integration_type: "AWS_PROXY", payload_format_version: "2.0", timeout_milliseconds: 10000 });
  expect(integration.integration_uri).toMatch(/aws_lambda_alias\./);
});

test("stage throttles every route, emits detailed metrics and JSON access logs with retention", () => {
  const stage = only(dev, "aws_apigatewayv2_stage");
  expect(stage).toMatchObject({ name: "$default", auto_deploy: true, default_route_settings: { throttling_rate_limit: 50, throttling_burst_limit: 100, detailed_metrics_enabled: true } });
  expect(JSON.parse(stage.access_log_settings.format)).toMatchObject({ requestId: "$context.requestId", status: "$context.status" });
  expect(only(prod, "aws_apigatewayv2_stage").default_route_settings).toMatchObject({ throttling_rate_limit: 500, throttling_burst_limit: 1000 });
  expect(find(dev, "aws_cloudwatch_log_group", (g) => g.name === "/aws/apigateway/orders-dev-public").retention_in_days).toBe(14);
});

test("the invoke permission is scoped to this API's execution ARN", () => {
  const perm = find(dev, "aws_lambda_permission", (p) => p.principal === "apigateway.amazonaws.com");
  expect(perm.source_arn).toMatch(/^\$\{aws_apigatewayv2_api\.[^}]+\.execution_arn\}\/\*\/\*$/);
  expect(perm.qualifier).toMatch(/aws_lambda_alias/);
});

test("optional custom domain with TLS 1.2 turns off the execute-api endpoint", () => {
  const env = envByName("dev");
  const stack = new TerraformStack(Testing.app(), "custom");
  const foundation = new AwsFoundation(stack, "f", { env, serviceName: "shop", tags: buildTags({ ...env.tags, environment: "dev", service: "shop" }) });
  new AwsService(stack, "shop", {
    context: foundation.context,
    service: { name: "shop", functions: { web: { source: "stacks/reference/functions/api", runtime: "nodejs22", handler: "index.handler" } },
      gateways: { www: { routes: [{ method: "GET", path: "/", function: "web" }], throttle: { rateLimit: 10, burstLimit: 20 } } } },
    aws: { gateways: { www: { customDomain: { domainName: "api.example.com", certificateArn: "arn:aws:acm:eu-west-1:111111111111:certificate/abc" } } } },
  });
  const json = JSON.parse(Testing.synth(stack));
  expect(Object.values(json.resource.aws_apigatewayv2_domain_name)[0]).toMatchObject({
    domain_name: "api.example.com",
    domain_name_configuration: { endpoint_type: "REGIONAL", security_policy: "TLS_1_2", certificate_arn: "arn:aws:acm:eu-west-1:111111111111:certificate/abc" },
  });
  expect(Object.values(json.resource.aws_apigatewayv2_api)[0]).toMatchObject({ disable_execute_api_endpoint: true });
  expect(Object.keys(json.resource.aws_apigatewayv2_api_mapping)).toHaveLength(1);
});

test("with CORS, an authorized ANY route is split so preflights match no route and API Gateway answers them; without CORS it stays ANY", () => {
  const env = envByName("dev");
  const synth = (cors: boolean) => {
    const stack = new TerraformStack(Testing.app(), `any-${cors}`);
    const foundation = new AwsFoundation(stack, "f", { env, serviceName: "shop", tags: buildTags({ ...env.tags, environment: "dev", service: "shop" }) });
    new AwsService(stack, "shop", {
      context: foundation.context,
      service: { name: "shop", functions: { web: { source: "stacks/reference/functions/api", runtime: "nodejs22", handler: "index.handler" }, admin: { source: "stacks/reference/functions/api", runtime: "nodejs22", handler: "index.handler" } },
        gateways: { www: {
          routes: [{ method: "ANY", path: "/cart/{proxy+}", function: "web" }, { method: "DELETE", path: "/cart/{proxy+}", function: "admin" }],
          throttle: { rateLimit: 10, burstLimit: 20 }, auth: { issuer: "https://auth.example.com/", audiences: ["shop"] },
          ...(cors ? { cors: { allowOrigins: ["https://shop.example.com"] } } : {}),
        } } },
    });
    return Object.values(JSON.parse(Testing.synth(stack)).resource.aws_apigatewayv2_route) as any[];
  };
  const split = synth(true);
  expect(split.map((r) => r.route_key).sort()).toEqual(["DELETE /cart/{proxy+}", "GET /cart/{proxy+}", "HEAD /cart/{proxy+}", "PATCH /cart/{proxy+}", "POST /cart/{proxy+}", "PUT /cart/{proxy+}"]);
  expect(split.every((r) => r.authorization_type === "JWT")).toBe(true);
  // The explicit DELETE keeps its own function; the split never shadows it.
  const targets = new Map(split.map((r) => [r.route_key, r.target]));
  expect(new Set([...targets.values()]).size).toBe(2);
  expect(targets.get("DELETE /cart/{proxy+}")).not.toBe(targets.get("GET /cart/{proxy+}"));
  expect(split.some((r) => /^(OPTIONS|ANY) /.test(r.route_key))).toBe(false);
  expect(synth(false).map((r) => r.route_key).sort()).toEqual(["ANY /cart/{proxy+}", "DELETE /cart/{proxy+}"]);
});

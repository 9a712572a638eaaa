import { interpolations, parseTraversal, resolveReferences } from "@polycloud/core";

test("references in synthesized JSON: whole-string references keep their type, embedded ones become text", () => {
  const values: Record<string, unknown> = { "aws_sqs_queue.q.arn": "arn:aws:sqs:eu-west-1:1:q", "aws_rds_cluster.db.port": 5432, "google_cloudfunctions2_function.f.service_config[0].uri": "https://f.a.run.app" };
  const resolve = (t: { text: string }) => values[t.text];
  expect(resolveReferences({ a: "${aws_sqs_queue.q.arn}", b: "${aws_rds_cluster.db.port}", c: ["x-${aws_rds_cluster.db.port}"], d: "${google_cloudfunctions2_function.f.service_config[0].uri}/x" }, resolve as any))
    .toEqual({ a: "arn:aws:sqs:eu-west-1:1:q", b: 5432, c: ["x-5432"], d: "https://f.a.run.app/x" });
  expect(parseTraversal("data.azurerm_function_app_host_keys.k.default_function_key")).toMatchObject({ mode: "data", type: "azurerm_function_app_host_keys", name: "k", path: ["default_function_key"] });
  expect(parseTraversal("azurerm_eventgrid_topic.t.identity[0].principal_id")).toMatchObject({ path: ["identity", 0, "principal_id"] });
  expect(parseTraversal("base64encode(x)")).toBeUndefined();
  expect(interpolations('${jsonencode({"a" = "}"})} and ${x.y.z}').map((p) => p.expr)).toEqual(['jsonencode({"a" = "}"})', "x.y.z"]);
  expect(() => resolveReferences("${base64encode(aws_sqs_queue.q.arn)}", resolve as any)).toThrow(/not a plain reference/);
  // `$${` is a literal `${` (Terraform's escape), never a reference: a Monitoring documentation variable stays text.
  expect(interpolations("see $${resource.label.service_name} and ${x.y.z}").map((p) => p.expr)).toEqual(["x.y.z"]);
  expect(resolveReferences({ a: "Function $${resource.label.service_name} failed", b: "$${a.b.c}-${aws_rds_cluster.db.port}" }, resolve as any))
    .toEqual({ a: "Function ${resource.label.service_name} failed", b: "${a.b.c}-5432" });
});

test("element(split(...)) of a reference: a part of an ARN, as the stacks take RDS Proxy's resource id for rds-db:connect", () => {
  const resolve = (t: { text: string }) => ({ "aws_db_proxy.p.arn": "arn:aws:rds:eu-west-1:111111111111:db-proxy:prx-0123456789abcdef" } as Record<string, unknown>)[t.text];
  expect(resolveReferences("arn:aws:rds-db:eu-west-1:111111111111:dbuser:${element(split(\":\", aws_db_proxy.p.arn), 6)}/fn_orders_api", resolve as any))
    .toBe("arn:aws:rds-db:eu-west-1:111111111111:dbuser:prx-0123456789abcdef/fn_orders_api");
  // Terraform's element() wraps around the list's length.
  expect(resolveReferences("${element(split(\":\", aws_db_proxy.p.arn), 7)}", resolve as any)).toBe("arn");
  expect(() => resolveReferences("${element(split(\":\", upper(aws_db_proxy.p.arn)), 6)}", resolve as any)).toThrow(/not a plain reference/);
});

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

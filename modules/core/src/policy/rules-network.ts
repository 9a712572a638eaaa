import { PolicyRule, Violation } from "./types";
import { block, bool, resources, str } from "./json";

export const PRIVATE_BY_DEFAULT: PolicyRule = {
  id: "PC017",
  severity: "high",
  title: "Subnets give no public addresses by default",
  rationale: "A subnet that hands out public IPs puts every instance, endpoint or task started in it on the internet, whatever its security group was meant to do.",
  conditions: {
    "public-ip-on-launch": { title: "a subnet that assigns public IPv4 addresses on launch", checks: ["AVD-AWS-0164", "CKV_AWS_130"] },
  },
  fix: "Keep map_public_ip_on_launch false (the platform's subnets are private); reach the internet through NAT or endpoints.",
  reads: { aws_subnet: ["map_public_ip_on_launch"], aws_default_subnet: ["map_public_ip_on_launch"] },
  check: ({ json }) => resources(json, "aws_subnet", "aws_default_subnet")
    // aws_default_subnet maps public IPs unless told not to (the default subnets do).
    .filter(([address, r]) => bool(r.map_public_ip_on_launch) === true || (address.startsWith("aws_default_subnet.") && bool(r.map_public_ip_on_launch) !== false))
    .map(([address]) => ({ address, condition: "public-ip-on-launch", message: "map_public_ip_on_launch" })),
};

export const DROP_MALFORMED: PolicyRule = {
  id: "PC019",
  severity: "high",
  title: "Load balancers and firewalls drop malformed and known-malicious traffic",
  rationale: "Invalid headers and desynchronised requests smuggle requests past the backend's checks; a firewall that only alerts on known threats lets them through.",
  conditions: {
    "invalid-headers": { title: "an application load balancer that forwards invalid header fields", checks: ["AVD-AWS-0052", "CKV_AWS_131"] },
    "desync-monitor": { title: "a load balancer whose desync mitigation only monitors", checks: ["CKV_AWS_328"] },
    "threat-intel": { title: "an Azure Firewall whose threat intelligence mode is not Deny (the default Alert lets known-malicious traffic through)", checks: ["CKV_AZURE_216"] },
    idps: { title: "an Azure Firewall policy without intrusion detection in Deny mode", checks: ["CKV_AZURE_220"] },
  },
  fix: "drop_invalid_header_fields = true and desync_mitigation_mode defensive or strictest on ALBs; threat_intel_mode and intrusion_detection.mode Deny on Azure Firewall.",
  reads: {
    aws_lb: ["load_balancer_type", "drop_invalid_header_fields", "desync_mitigation_mode"], aws_alb: ["load_balancer_type", "drop_invalid_header_fields", "desync_mitigation_mode"],
    aws_elb: ["desync_mitigation_mode"], azurerm_firewall: ["threat_intel_mode"], azurerm_firewall_policy: ["intrusion_detection.mode"],
  },
  check: ({ json }) => {
    const out: Violation[] = [];
    for (const [address, r] of resources(json, "aws_lb", "aws_alb")) {
      const application = (str(r.load_balancer_type) ?? "application") === "application";
      if (application && bool(r.drop_invalid_header_fields) !== true) out.push({ address, condition: "invalid-headers", message: "drop_invalid_header_fields is not true" });
    }
    for (const [address, r] of resources(json, "aws_lb", "aws_alb", "aws_elb")) {
      if (str(r.desync_mitigation_mode) === "monitor") out.push({ address, condition: "desync-monitor", message: "desync_mitigation_mode monitor" });
    }
    for (const [address, r] of resources(json, "azurerm_firewall")) {
      // A firewall managed by a firewall policy takes its threat intelligence mode from the policy.
      if (!r.firewall_policy_id && str(r.threat_intel_mode) !== "Deny") out.push({ address, condition: "threat-intel", message: `threat_intel_mode ${str(r.threat_intel_mode) ?? "unset (Alert)"}` });
    }
    for (const [address, r] of resources(json, "azurerm_firewall_policy")) {
      if (str(block(r.intrusion_detection).mode) !== "Deny") out.push({ address, condition: "idps", message: `intrusion_detection.mode ${str(block(r.intrusion_detection).mode) ?? "unset (Off)"}` });
    }
    return out;
  },
};

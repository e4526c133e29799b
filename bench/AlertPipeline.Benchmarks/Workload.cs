using System.Globalization;
using System.Text;
using System.Text.Json;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Events;

namespace AlertPipeline.Benchmarks;

/// <summary>
/// Deterministic synthetic telemetry shaped like a training fleet's: mostly benign process, network and GPU events,
/// a few malicious ones, so evaluation cost reflects rules that mostly do not match.
/// </summary>
public static class Workload
{
    public static readonly DateTimeOffset Start = new(2025, 11, 14, 3, 0, 0, TimeSpan.Zero);

    public static byte[] EcsJsonLines(int events)
        => Encoding.UTF8.GetBytes(string.Join('\n', Enumerable.Range(0, events).Select(EcsEvent)) + "\n");

    /// <summary>One message body per event, as a sandbox shipper sends them.</summary>
    public static byte[][] EcsJsonLinesAsMessages(int events)
        => Enumerable.Range(0, events).Select(i => Encoding.UTF8.GetBytes(EcsEvent(i))).ToArray();

    public static byte[] AzureFirewallEnvelope(int records)
        => JsonSerializer.SerializeToUtf8Bytes(new { records = Enumerable.Range(0, records).Select(FirewallRecord).ToArray() });

    private static string Time(int i) => Start.AddMilliseconds(i * 10).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    private static string EcsEvent(int i)
    {
        var sandbox = new { id = $"rl-env-{7700 + (i % 40)}", run_id = "ppo-0110" };
        object body = (i % 4) switch
        {
            0 => new
            {
                @event = new { category = "process", type = "start", dataset = "sandbox.process" },
                host = new { name = $"rl-node-{i % 40}" },
                sandbox,
                process = new
                {
                    pid = 1000 + i, name = "python", executable = "/usr/bin/python3",
                    command_line = $"python train.py --epoch {i} --checkpoint /ckpt/step-{i}.pt",
                    parent = new { name = "bash", executable = "/bin/bash" },
                },
                user = new { name = "agent" },
            },
            1 => new
            {
                @event = new { category = "network", type = "connection" },
                sandbox,
                source = new { ip = $"10.40.77.{i % 200}", port = 30000 + (i % 20000) },
                destination = new { ip = $"10.40.78.{i % 200}", port = 29500 },
                network = new { transport = "tcp" },
            },
            2 => new
            {
                @event = new { category = "host", dataset = "gpu.metrics" },
                sandbox,
                gpu = new { index = i % 8, uuid = $"GPU-{i % 8}", utilization = (i % 100) + 0.5, memory = new { used = 20000 + (i % 1000) } },
                process = new { pid = 1000 + i, name = "python" },
            },
            _ => new
            {
                @event = new { category = "process", type = "start" },
                sandbox,
                process = new
                {
                    pid = i, name = "sh",
                    command_line = i % 400 == 3 ? "xmrig -o stratum+tcp://pool.supportxmr.com:3333 -u 4A" : "pip install --no-cache-dir torch==2.5.1",
                },
            },
        };

        // ECS puts the time in "@timestamp", which no C# member can be named; splice it in front.
        var json = JsonSerializer.Serialize(body);
        return $"{{\"@timestamp\":\"{Time(i)}\",{json[1..]}";
    }

    private static object FirewallRecord(int i)
    {
        const string resourceId = "/SUBSCRIPTIONS/0000/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/AZUREFIREWALLS/FW-TRAIN-HUB";
        if (i % 2 == 0)
        {
            var deny = i % 10 == 0;
            return new
            {
                category = "AzureFirewallNetworkRule", time = Time(i), resourceId, operationName = "AzureFirewallNetworkRuleLog",
                properties = new { msg = $"TCP request from 10.40.77.{i % 200}:{40000 + (i % 20000)} to 203.0.113.{i % 250}:{(deny ? 3333 : 443)}. Action: {(deny ? "Deny" : "Allow")}." },
            };
        }

        return new
        {
            category = "AZFWNetworkRule", time = Time(i), resourceId,
            properties = new
            {
                Protocol = "TCP", SourceIp = $"10.40.77.{i % 200}", SourcePort = 40000 + (i % 20000), DestinationIp = $"198.51.100.{i % 250}",
                DestinationPort = 443, Action = "Allow", Policy = "fw-policy", RuleCollectionGroup = "egress", RuleCollection = "allow-web", Rule = "https", ActionReason = "",
            },
        };
    }

    /// <summary>The bundled rule pack, found by walking up to the repository root.</summary>
    public static IReadOnlyList<RuleRecord> BundledRules()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AlertPipeline.sln")))
        {
            dir = dir.Parent;
        }

        var rulesDir = Path.Combine(dir?.FullName ?? throw new InvalidOperationException("repository root not found"), "rules", "default");
        return Directory.EnumerateFiles(rulesDir, "*.yml")
            .Select(file => RuleRecord.FromSigma("default", File.ReadAllText(file), RuleMode.Enforce, Start))
            .ToList();
    }
}

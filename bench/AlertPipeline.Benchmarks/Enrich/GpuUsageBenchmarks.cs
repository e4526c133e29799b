using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Enrich.Enrichers;
using AlertPipeline.Core.Events;
using BenchmarkDotNet.Attributes;

namespace AlertPipeline.Benchmarks.Enrich;

/// <summary>
/// The GPU usage enricher over 1,000 GPU samples of 1,000 inventory sandboxes (8 GPUs, 2 processes and 24 schedule
/// windows each). Baseline: the same samples for sandboxes without GPU information (parse the usage, find the sandbox,
/// return), so Ratio is what judging assignment, schedule and process adds. One operation is one event.
/// </summary>
/// <remarks>
/// Every judged sample is explained (its own GPU, an active hour, python3): that is the common case and the longest
/// path, since all three checks run; a flagged sample stops at its first finding. It also keeps the batch unchanged
/// between invocations (a finding would append its reason to the batch's arena on every run).
/// </remarks>
[MemoryDiagnoser]
public class GpuUsageBenchmarks
{
    private const int Events = 1000;
    private static readonly DateTimeOffset Day = new(2025, 11, 14, 0, 0, 0, TimeSpan.Zero);
    private readonly EventBatch _judged = new(Events);
    private readonly EventBatch _unjudged = new(Events);
    private GpuUsageEnricher _enricher = null!;

    [GlobalSetup]
    public void Setup()
    {
        var sandboxes = new List<SandboxRecord>();
        for (var s = 0; s < Events; s++)
        {
            sandboxes.Add(new SandboxRecord
            {
                Id = $"rl-env-{s:D4}",
                Gpus = [.. Enumerable.Range(0, 8).Select(g => $"GPU-{s:D8}-{g:D4}-4000-8000-000000000000")],
                GpuProcesses = ["python3", "torchrun"],
                Schedule = [.. Enumerable.Range(0, 24).Select(h => new SandboxRunWindow(h % 3 == 2 ? RunState.Idle : RunState.Active, Day.AddHours(h), Day.AddHours(h + 1)))],
            });
            sandboxes.Add(new SandboxRecord { Id = $"plain-{s:D4}" });
        }

        _enricher = new GpuUsageEnricher(new SandboxSnapshot(sandboxes));
        Fill(_judged, "rl-env");
        Fill(_unjudged, "plain");

        // The judged samples must really run every check and pass them (see the remarks).
        Run(_judged);
        if (Enumerable.Range(0, Events).Any(i => _judged.Has(i, EcsField.GpuUnexplained)))
        {
            throw new InvalidOperationException("A judged sample was flagged; the benchmark would measure a shorter path.");
        }
    }

    // Each sample on one of its sandbox's eight GPUs, in an active hour (hours 2, 5, 8, … are idle), under python3.
    private static void Fill(EventBatch batch, string prefix)
    {
        for (var i = 0; i < Events; i++)
        {
            batch.BeginEvent(new SourcePosition("bench", i, 0), "ecs");
            batch.Set(EcsField.EventDataset, "gpu.metrics");
            batch.Set(EcsField.SandboxId, $"{prefix}-{i:D4}");
            batch.Set(EcsField.GpuUtilization, "97.5");
            batch.Set(EcsField.GpuMemoryUsed, "8000");
            batch.Set(EcsField.GpuUuid, $"GPU-{i:D8}-{i % 8:D4}-4000-8000-000000000000");
            batch.Set(EcsField.ProcessName, "python3");
            batch.SetTimestamp(Day.AddHours(i % 2 == 0 ? 0 : 13).AddMinutes(i % 60));
            batch.CommitEvent();
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public int NotJudged() => Run(_unjudged);

    [Benchmark(OperationsPerInvoke = Events)]
    public int Judged() => Run(_judged);

    private int Run(EventBatch batch)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            _enricher.Enrich(batch, i);
        }

        return batch.Count;
    }
}

using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Correlation;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Enrich.Attribution;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;
using AlertPipeline.Core.Pipeline;
using AlertPipeline.Core.Respond;
using BenchmarkDotNet.Attributes;

namespace AlertPipeline.Benchmarks.Enrich;

/// <summary>
/// What attribution costs: picking a 1,000-event batch's lineage out of it (per event), and the whole path over
/// in-memory stores with lineage recorded and alerts attributed against the same path without (the baseline, as
/// <c>EndToEndBenchmarks.ProcessBatch</c>). One operation is one event.
/// </summary>
[MemoryDiagnoser]
public class LineageBenchmarks
{
    private const int Events = 1000;
    private readonly EventBatch _batch = new(Events);
    private TelemetryMessage[] _messages = [];
    private TelemetryPipeline _plain = null!;
    private TelemetryPipeline _attributing = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _messages = Workload.EcsJsonLinesAsMessages(Events).Select((body, i) => new TelemetryMessage(body, "bench/0", i, Workload.Start)).ToArray();
        var ingestor = new TelemetryIngestor();
        foreach (var message in _messages)
        {
            ingestor.Ingest(message, _batch);
        }

        _plain = await PipelineAsync(null);
        _attributing = await PipelineAsync(new InMemoryLineageStore());
        if (LineageRecorder.Collect(_batch) is null || (await _attributing.ProcessAsync(_messages, CancellationToken.None)).Alerts.Count == 0)
        {
            throw new InvalidOperationException("the workload has no lineage or raises no alert; the benchmark would measure nothing");
        }
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public int Collect() => LineageRecorder.Collect(_batch)?.Processes.Count ?? 0;

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public async Task<int> ProcessBatch() => (await _plain.ProcessAsync(_messages, CancellationToken.None)).EventsAccepted;

    [Benchmark(OperationsPerInvoke = Events)]
    public async Task<int> ProcessBatchWithAttribution() => (await _attributing.ProcessAsync(_messages, CancellationToken.None)).EventsAccepted;

    private static async Task<TelemetryPipeline> PipelineAsync(ILineageStore? lineage)
    {
        var store = new InMemoryRuleStore();
        foreach (var rule in Workload.BundledRules())
        {
            await store.UpsertAsync(rule, CancellationToken.None);
        }

        var pipeline = new TelemetryPipeline(
            new TelemetryIngestor(),
            new SandboxSnapshotProvider(new InMemorySandboxInventory([]), TimeSpan.FromHours(1)),
            new RuleSetProvider(store, TimeSpan.FromHours(1)),
            new AlertResponder(new InMemoryAlertStore(), [], ResponsePolicy.Default),
            new InMemoryDeadLetterStore(),
            new PipelineOptions(),
            new CorrelationEngine(new InMemoryCorrelationStateStore()))
        {
            Lineage = lineage,
        };
        await pipeline.ProcessAsync([], CancellationToken.None);
        return pipeline;
    }
}

using AlertPipeline.Core.Detect.Correlation;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;
using AlertPipeline.Core.Pipeline;
using AlertPipeline.Core.Respond;
using BenchmarkDotNet.Attributes;

namespace AlertPipeline.Benchmarks.Pipeline;

/// <summary>
/// The whole path over in-memory stores for a 1,000-event batch with a few malicious events: ingest, enrich,
/// detect, and alert upserts. Repeated iterations are redeliveries, so respond cost is the idempotent path.
/// </summary>
[MemoryDiagnoser]
public class EndToEndBenchmarks
{
    private const int Events = 1000;
    private TelemetryMessage[] _messages = [];
    private TelemetryPipeline _pipeline = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        var store = new InMemoryRuleStore();
        foreach (var rule in Workload.BundledRules())
        {
            await store.UpsertAsync(rule, CancellationToken.None);
        }

        _pipeline = new TelemetryPipeline(
            new TelemetryIngestor(),
            new SandboxSnapshotProvider(new InMemorySandboxInventory([]), TimeSpan.FromHours(1)),
            new RuleSetProvider(store, TimeSpan.FromHours(1)),
            new AlertResponder(new InMemoryAlertStore(), [], ResponsePolicy.Default),
            new InMemoryDeadLetterStore(),
            new PipelineOptions(),
            new CorrelationEngine(new InMemoryCorrelationStateStore()));
        _messages = Workload.EcsJsonLinesAsMessages(Events)
            .Select((body, i) => new TelemetryMessage(body, "bench/0", i, Workload.Start))
            .ToArray();

        // A pipeline whose rules failed to load would be fast and meaningless: require the pack and its alerts.
        var first = await _pipeline.ProcessAsync(_messages, CancellationToken.None);
        if (first.Alerts.Count == 0)
        {
            throw new InvalidOperationException("the bundled pack raised no alert on the workload; the benchmark would measure nothing");
        }
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public async Task<int> ProcessBatch()
    {
        var result = await _pipeline.ProcessAsync(_messages, CancellationToken.None);
        return result.EventsAccepted;
    }
}

using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;
using BenchmarkDotNet.Attributes;

namespace AlertPipeline.Benchmarks.Detect;

/// <summary>Evaluating the bundled rule pack over an enriched batch: the per-event cost of detection.</summary>
[MemoryDiagnoser]
public class EvaluateBenchmarks
{
    private const int Events = 1000;
    private readonly EventBatch _batch = new(Events);
    private readonly List<Detection> _detections = new(Events);
    private RuleSet _rules = RuleSet.Empty;

    [GlobalSetup]
    public void Setup()
    {
        _rules = RuleSet.Compile(Workload.BundledRules());
        if (_rules.Errors.Count > 0)
        {
            throw new InvalidOperationException("bundled rules do not compile: " + string.Join("; ", _rules.Errors));
        }

        var ingestor = new TelemetryIngestor();
        var sequence = 0L;
        foreach (var body in Workload.EcsJsonLinesAsMessages(Events))
        {
            ingestor.Ingest(new TelemetryMessage(body, "bench/0", sequence++, Workload.Start), _batch);
        }

        new EnrichmentStage(SandboxSnapshot.Empty).Enrich(_batch);
    }

    /// <summary>The same rules without the log-source index: every rule's whole matcher on every event.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public int EvaluateRuleByRule()
    {
        _detections.Clear();
        var rules = _rules.Rules;
        for (var e = 0; e < _batch.Count; e++)
        {
            for (var r = 0; r < rules.Count; r++)
            {
                if (rules[r].Rule.Matches(_batch, e))
                {
                    _detections.Add(new Detection(r, e));
                }
            }
        }

        return _detections.Count;
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public int EvaluateBundledPack()
    {
        _detections.Clear();
        _rules.Evaluate(_batch, _detections);
        return _detections.Count;
    }
}

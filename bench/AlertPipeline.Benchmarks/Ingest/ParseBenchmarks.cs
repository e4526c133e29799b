using System.Text.Json;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;
using AlertPipeline.Core.Ingest.Formats;
using BenchmarkDotNet.Attributes;

namespace AlertPipeline.Benchmarks.Ingest;

/// <summary>
/// Parse + normalize throughput. The baseline only tokenizes the same bytes with Utf8JsonReader, so Ratio is the
/// cost of normalizing relative to the floor any JSON reader pays.
/// </summary>
[MemoryDiagnoser]
public class ParseBenchmarks
{
    private const int Events = 1000;
    private readonly EventBatch _batch = new(Events);
    private readonly TelemetryIngestor _ingestor = new();
    private byte[][] _ecsLines = [];
    private byte[] _firewall = [];

    [Params("ecs", "azure-firewall")]
    public string Format { get; set; } = "ecs";

    [GlobalSetup]
    public void Setup()
    {
        _ecsLines = Workload.EcsJsonLinesAsMessages(Events);
        _firewall = Workload.AzureFirewallEnvelope(Events);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public int TokenizeOnly()
    {
        var tokens = 0;
        foreach (var body in Bodies())
        {
            var reader = new Utf8JsonReader(body);
            while (reader.Read())
            {
                tokens++;
            }
        }

        return tokens;
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public int ParseAndNormalize()
    {
        _batch.Clear();
        var sequence = 0L;
        foreach (var body in Bodies())
        {
            _ingestor.Ingest(new TelemetryMessage(body, "bench/0", sequence++, Workload.Start), _batch);
        }

        return _batch.Count;
    }

    private IEnumerable<byte[]> Bodies() => Format == "ecs" ? _ecsLines : [_firewall];
}

using AlertPipeline.Shipper;
using AlertPipeline.Shipper.Send;
using AlertPipeline.Shipper.Sources;
using AlertPipeline.Shipper.Spool;
using Azure.Messaging.EventHubs;
using Azure.Messaging.EventHubs.Producer;
using BenchmarkDotNet.Attributes;

namespace AlertPipeline.Benchmarks.Ship;

/// <summary>
/// <c>alertpipe ship</c> from a local file of native ECS lines into a mocked producer (model-factory batches of 1 MB,
/// sends that return at once), so what is measured is the shipper: read, detect and parse per line, stamp, batch.
/// The baseline only reads the same file into lines. One operation is one event; memory is bounded by the pending
/// list (1,000 events) and one batch, and Allocated is per event.
/// </summary>
[MemoryDiagnoser]
public class ShipBenchmarks
{
    private const int Events = 20_000;
    private string _directory = "";
    private string _file = "";

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "alertpipe-ship-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        _file = Path.Combine(_directory, "telemetry.jsonl");
        File.WriteAllBytes(_file, Workload.EcsJsonLines(Events));
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public long ReadLinesOnly()
    {
        using var source = new FileSource(_file, endIsEndOfLine: true);
        long bytes = 0;
        while (source.TryReadLine(out var line, out _))
        {
            bytes += line.Length;
        }

        return bytes;
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public async Task<long> ShipToMockedHub()
    {
        var producer = new MockedProducer();
        using var shipper = new TelemetryShipper([new FileSource(_file, endIsEndOfLine: true)], new EventHubSender(producer),
            new DiskSpool(Path.Combine(_directory, "spool"), 1024 * 1024), null,
            new ShipperOptions { HeartbeatInterval = null }, TimeProvider.System, TextWriter.Null);
        while (await shipper.PumpAsync(CancellationToken.None).ConfigureAwait(false) > 0)
        {
        }

        return producer.Events != Events ? throw new InvalidOperationException($"sent {producer.Events} of {Events}") : producer.Events;
    }

    /// <summary>A producer whose batches come from the SDK's model factory with a 1 MB limit; sending only counts.</summary>
    private sealed class MockedProducer : EventHubProducerClient
    {
        private const long MaxBatchBytes = 1024 * 1024;

        public long Events { get; private set; }

        public override ValueTask<EventDataBatch> CreateBatchAsync(CreateBatchOptions options, CancellationToken cancellationToken = default)
        {
            long size = 0;
            var batch = EventHubsModelFactory.EventDataBatch(MaxBatchBytes, new List<EventData>(), options, data =>
            {
                size += data.EventBody.ToMemory().Length + 32;
                return size <= MaxBatchBytes;
            });
            return ValueTask.FromResult(batch);
        }

        public override Task SendAsync(EventDataBatch eventBatch, CancellationToken cancellationToken = default)
        {
            Events += eventBatch.Count;
            return Task.CompletedTask;
        }
    }
}

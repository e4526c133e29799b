using System.Runtime.CompilerServices;
using Azure.Messaging.EventHubs;
using Azure.Messaging.EventHubs.Producer;

namespace AlertPipeline.Shipper.Tests;

/// <summary>
/// An <see cref="EventHubProducerClient"/> with its virtual members overridden, as the SDK intends for tests: batches come
/// from <see cref="EventHubsModelFactory.EventDataBatch"/> with a size limit enforced in the try-add callback, and what is
/// "sent" is recorded in memory. <see cref="Down"/> makes every call fail like an unreachable namespace. No network.
/// </summary>
internal sealed class FakeHubProducer : EventHubProducerClient
{
    private readonly ConditionalWeakTable<EventDataBatch, BatchRecord> _batches = [];

    /// <summary>Largest batch, in body bytes plus <see cref="PerEventOverhead"/> per event.</summary>
    public long MaxBatchBytes { get; set; } = 1024 * 1024;

    public int PerEventOverhead { get; set; }

    /// <summary>While true, creating or sending a batch throws as an unreachable hub does.</summary>
    public bool Down { get; set; }

    /// <summary>When set, the send with this (0-based) number fails once.</summary>
    public int? FailSendNumber { get; set; }

    public int SendCalls { get; private set; }

    public List<SentBatch> Sent { get; } = [];

    public IEnumerable<(string Key, string Body)> Events => Sent.SelectMany(b => b.Bodies.Select(body => (b.PartitionKey, body)));

    public override ValueTask<EventDataBatch> CreateBatchAsync(CreateBatchOptions options, CancellationToken cancellationToken = default)
    {
        ThrowIfDown();
        var record = new BatchRecord(options.PartitionKey ?? string.Empty);
        var batch = EventHubsModelFactory.EventDataBatch(MaxBatchBytes, record.Store, options, data =>
        {
            var size = data.EventBody.ToMemory().Length + PerEventOverhead;
            if (record.Bytes + size > MaxBatchBytes)
            {
                return false;
            }

            record.Bytes += size;
            return true;
        });
        _batches.Add(batch, record);
        return ValueTask.FromResult(batch);
    }

    public override Task SendAsync(EventDataBatch eventBatch, CancellationToken cancellationToken = default)
    {
        var number = SendCalls++;
        ThrowIfDown();
        if (FailSendNumber == number)
        {
            FailSendNumber = null;
            throw new EventHubsException(true, "hub", "send timed out", EventHubsException.FailureReason.ServiceTimeout);
        }

        var record = _batches.TryGetValue(eventBatch, out var r) ? r : throw new InvalidOperationException("not a batch of this producer");
        Sent.Add(new SentBatch(record.PartitionKey, [.. record.Store.Select(e => e.EventBody.ToString())]));
        return Task.CompletedTask;
    }

    public override Task CloseAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    private void ThrowIfDown()
    {
        if (Down)
        {
            throw new EventHubsException(true, "hub", "the namespace cannot be reached", EventHubsException.FailureReason.ServiceCommunicationProblem);
        }
    }

    internal sealed record SentBatch(string PartitionKey, IReadOnlyList<string> Bodies);

    private sealed class BatchRecord(string partitionKey)
    {
        public string PartitionKey { get; } = partitionKey;

        public List<EventData> Store { get; } = [];

        public long Bytes { get; set; }
    }
}
